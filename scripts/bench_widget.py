"""Widget size and time to first render, measured in Debian's Chromium.

Usage: python scripts/bench_widget.py [--runs 15] [--json]
Needs no Rasa: it serves only the widget routes (demo page, widget.js, config).

Size: widget.js as served (national defaults filled in), plain and gzipped.
Render: performance marks that widget.js sets itself:
  noodwijzer:start    first line of the script ran
  noodwijzer:rendered launcher in the page (custom element connected)
"script" is start -> rendered; "page" is navigation start -> rendered.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiohttp import web  # noqa: E402

from bot.gateway import cors, widget  # noqa: E402
from bot.ops.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from bot.ops.stack import free_port  # noqa: E402


def serve(port: int) -> threading.Event:
    """Run the widget routes in a background thread until the returned event is set."""
    stop = threading.Event()
    ready = threading.Event()

    def run() -> None:
        async def main() -> None:
            app = web.Application(middlewares=[cors.cors_middleware])
            widget.setup(app)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)
            await runner.cleanup()

        asyncio.run(main())

    threading.Thread(target=run, daemon=True).start()
    if not ready.wait(15):
        raise SystemExit("widget server did not start")
    return stop


def measure(base: str, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    script_ms: list[float] = []
    page_ms: list[float] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for _ in range(runs + 1):  # the first run warms the server and the browser
                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                page = ctx.new_page()
                page.goto(f"{base}/")
                page.wait_for_function("performance.getEntriesByName('noodwijzer:rendered').length > 0")
                start, rendered = page.evaluate(
                    "['noodwijzer:start', 'noodwijzer:rendered'].map(n => performance.getEntriesByName(n)[0].startTime)"
                )
                script_ms.append(rendered - start)
                page_ms.append(rendered)
                ctx.close()
        finally:
            browser.close()
    return {"script": script_ms[1:], "page": page_ms[1:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    asset = widget.build_widget_asset(widget.load_embed_config(extra_origins=""))
    source_bytes = (widget.STATIC_DIR / "widget.js").stat().st_size
    port = free_port()
    stop = serve(port)
    try:
        timings = measure(f"http://127.0.0.1:{port}", args.runs)
    finally:
        stop.set()

    result = {
        "widget_js_bytes": len(asset.body),
        "widget_js_gzip_bytes": len(asset.gzipped),
        "widget_js_source_bytes": source_bytes,
        "runs": args.runs,
        "script_to_render_ms_median": round(statistics.median(timings["script"]), 1),
        "script_to_render_ms_max": round(max(timings["script"]), 1),
        "navigation_to_render_ms_median": round(statistics.median(timings["page"]), 1),
        "navigation_to_render_ms_max": round(max(timings["page"]), 1),
    }
    if args.json:
        print(json.dumps(result))
        return
    print("Noodwijzer widget")
    print(f"  widget.js as served : {result['widget_js_bytes']:>7} bytes ({result['widget_js_gzip_bytes']} gzipped)")
    print(
        f"  script -> rendered  : median {result['script_to_render_ms_median']} ms, "
        f"max {result['script_to_render_ms_max']} ms ({args.runs} runs)"
    )
    print(
        f"  page   -> rendered  : median {result['navigation_to_render_ms_median']} ms, "
        f"max {result['navigation_to_render_ms_max']} ms"
    )


if __name__ == "__main__":
    main()
