"""What the bounded render costs (issue 16): every text render runs in a worker process.

Renders real answers with the context the bot gives them (the greeting, storm
advice, a noodpakket plan), the same text over and over, three ways:
- in-process (Renderer(strict=True): the old path, compiled template cached);
- through the render pool, called from a thread (Renderer.render with the pool);
- through the pool from an event loop (safe_render.off_loop), one at a time and
  20 at once, as the NLG server and the gateway do.
It prints the median and p95 per render and writes them to docs/performance.md
(section "render"). Run: .venv/bin/python scripts/bench_render.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import kit  # noqa: E402
from bot.core.risks import get_risk  # noqa: E402
from bot.texts.context import template_context  # noqa: E402
from bot.texts.render import Renderer  # noqa: E402
from bot.texts.safe_render import RenderLimits, RenderPool, off_loop  # noqa: E402
from scripts.bench import cpu_reference, replace_section  # noqa: E402

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("utter_greet", "VR19", {}),
    ("utter_risk_advice", "VR19", {"risk": get_risk("storm"), "risk_key": "storm", "phase": "tijdens"}),
    (
        "utter_kit_plan",
        "VR19",
        {"plan": kit.make_plan(kit.parse_request({"adults": 2, "children": 1, "pets": 1, "budget_eur": 50}))},
    ),
]


def timings(call: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


async def loop_timings(renderer: Renderer, name: str, context: dict[str, Any], region: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        await off_loop(renderer.render, name, context, region)
        out.append((time.perf_counter() - started) * 1000)
    return out


async def burst(renderer: Renderer, name: str, context: dict[str, Any], region: str, n: int) -> list[float]:
    async def one() -> float:
        started = time.perf_counter()
        await off_loop(renderer.render, name, context, region)
        return (time.perf_counter() - started) * 1000

    out: list[float] = []
    for _ in range(n // 20):
        out.extend(await asyncio.gather(*(one() for _ in range(20))))
    return out


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=400)
    parser.add_argument("--out", default=str(ROOT / "docs" / "performance.md"))
    args = parser.parse_args()

    pool = RenderPool(RenderLimits())
    local = Renderer(strict=True)
    bounded = Renderer(pool=pool)
    rows = []
    for name, region, arguments in CASES:
        context = template_context({}, region, arguments)
        assert local.render(name, context, region).text == bounded.render(name, context, region).text
        for _ in range(50):  # warm: compiled in this process and in both workers
            local.render(name, context, region)
            bounded.render(name, context, region)
        inproc = timings(lambda: local.render(name, context, region), args.n)  # noqa: B023
        pooled = timings(lambda: bounded.render(name, context, region), args.n)  # noqa: B023
        looped = asyncio.run(loop_timings(bounded, name, context, region, args.n))
        bursts = asyncio.run(burst(bounded, name, context, region, args.n))
        rows.append((name, inproc, pooled, looped, bursts))
    pool.close()

    cpu = cpu_reference()
    load = os.getloadavg()[0]
    lines = [
        "## Bounded rendering (`scripts/bench_render.py`)",
        "",
        "Every text render runs in a worker process (bot/texts/safe_render.py: time budget "
        "0.3 s, output and memory limits). Milliseconds per render, median / p95, "
        f"{args.n} renders each, the same text and context each time (compiled once per worker). "
        f"CPU reference {cpu:.2f} s, load average {load:.1f} during the run.",
        "",
        "| text | in-process (old) | pool, from a thread | pool via off_loop | off_loop, 20 at once | added (median) |",
        "|---|---|---|---|---|---|",
    ]
    for name, inproc, pooled, looped, bursts in rows:

        def cell(values: list[float]) -> str:
            return f"{statistics.median(values):.2f} / {p95(values):.2f}"

        added = statistics.median(looped) - statistics.median(inproc)
        lines.append(
            f"| {name} | {cell(inproc)} | {cell(pooled)} | {cell(looped)} | {cell(bursts)} | {added:+.2f} ms |"
        )
    lines += [
        "",
        "The added cost is a thread hop, a pickled context (about 13 KB for a plan) and two pipe messages. "
        "Trusted repository texts go through the pool too, as the issue asks for every render: the last "
        "column is small next to a chat turn of 100-400 ms, which renders one to three texts. Twenty at "
        "once wait in line for the two workers; in-process they would hold the event loop instead. "
        "The trap (a text that loops for one budget) is answered by the fallback within the budget plus "
        "Pebble's 0.1 s check: see tests/stack/test_render_limits.py, which prints its times.",
    ]
    text = "\n".join(lines)
    print(text)
    out = Path(args.out)
    out.write_text(replace_section(out.read_text(encoding="utf-8"), "render", "", text), encoding="utf-8")


if __name__ == "__main__":
    main()
