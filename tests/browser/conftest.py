"""Browser fixtures: Debian's chromium driven by Playwright (never `playwright install`).

`browser` is one Chromium per test session (Playwright gives it a fresh,
temporary user-data-dir); `page` is a new page in a fresh context per test,
so sessionStorage never leaks between tests. Other browser tests reuse these.
"""

from __future__ import annotations

import http.server
import os
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from bot.ops.chromium import CHROMIUM as DEBIAN_CHROMIUM
from bot.ops.chromium import CHROMIUM_ARGS
from bot.ops.stack import Stack, free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("NOODWIJZER_CHROMIUM", DEBIAN_CHROMIUM)
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
EXTRA_ORIGINS_ENV = "NOODWIJZER_EXTRA_ORIGINS"


def pytest_collection_modifyitems(session, config, items):
    """Run every test that uses the browser last.

    Playwright's sync API keeps its event loop marked as running in the main
    thread while it is open, and pytest-asyncio cannot start a loop then. So
    the session-wide browser must only start once the async tests are done.
    """
    uses_browser = [item for item in items if "browser" in getattr(item, "fixturenames", ())]
    if uses_browser:
        others = [item for item in items if "browser" not in getattr(item, "fixturenames", ())]
        items[:] = others + uses_browser


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup_test_deps.sh (apt-get install chromium)")
    chromium = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 800})
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    yield tab


@pytest.fixture
def axe_page(browser):
    """A page for axe-core: our pages' CSP forbids injected scripts, so this context bypasses CSP."""
    ctx = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 800}, bypass_csp=True)
    tab = ctx.new_page()
    tab.set_default_timeout(20_000)
    yield tab
    ctx.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE_JS.is_file():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` (scripts/setup_test_deps.sh)")
    return str(AXE_JS)


def run_axe(page, axe_path: str, context: str = "document") -> list[dict]:
    """axe-core's WCAG 2.1 A/AA rules; returns the serious and critical violations."""
    page.add_script_tag(path=axe_path)
    result = page.evaluate(
        """async (ctx) => {
            const r = await axe.run(ctx === 'document' ? document : ctx, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
                resultTypes: ['violations'],
            });
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
        }""",
        context,
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def log_in_editor(page, base: str, username: str, password: str, screenshot: Path | None = None) -> None:
    """The Redactie's login form as a person uses it; returns once the list of texts shows.

    screenshot: where to save the filled-in form (for the docs), before it is sent.
    """
    page.goto(f"{base}/redactie")
    assert page.url.endswith("/redactie/login")  # no session yet: the Redactie sends you to its form
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord").fill(password)
    if screenshot:
        page.screenshot(path=str(screenshot))
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("heading", name="Teksten van de chatbot").wait_for()


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


class ThirdPartySite:
    """A plain site on its own origin that embeds the widget from `gateway`.

    It sends the CSP that /embed tells web teams to use, so the test also
    proves those lines are enough.
    """

    def __init__(self, gateway_ref: dict) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        ref = gateway_ref

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                gateway = ref["url"]
                body = (
                    '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Andere site</title></head>'
                    "<body><main><h1>Een andere site</h1><p>Deze site is geen Noodwijzer.</p></main>"
                    f'<script src="{gateway}/widget.js" data-region="VR19" async></script></body></html>'
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header(
                    "Content-Security-Policy",
                    f"default-src 'none'; script-src {gateway}; connect-src {gateway}; img-src {gateway}",
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class ExtraGateway:
    """A second gateway process in front of the session's Rasa, with its own settings.

    The tests can stop and start it to see what a resident sees when the
    gateway goes away.
    """

    stack: Stack

    @property
    def url(self) -> str:
        return self.stack.gateway

    def start(self) -> None:
        self.stack.start_process("gateway")
        wait_http(f"{self.url}/widget.js")

    def stop(self) -> None:
        self.stack.stop_process("gateway")


@pytest.fixture(scope="session")
def third_party_sites() -> Iterator[tuple[ThirdPartySite, ThirdPartySite, dict]]:
    """Two foreign sites: the first is allowed to embed (for VR19), the second is not."""
    gateway_ref: dict = {"url": ""}
    allowed, refused = ThirdPartySite(gateway_ref), ThirdPartySite(gateway_ref)
    yield allowed, refused, gateway_ref
    allowed.close()
    refused.close()


@pytest.fixture(scope="session")
def extra_gateway(stack, third_party_sites) -> Iterator[ExtraGateway]:
    allowed, _refused, gateway_ref = third_party_sites
    ports = dict(stack.ports)
    ports["gateway"] = free_port()
    extra_env = {**stack.extra_env, EXTRA_ORIGINS_ENV: f"VR19={allowed.origin}"}
    gateway = ExtraGateway(
        Stack(ports=ports, model=stack.model, log_dir=stack.log_dir, extra_env=extra_env, gateway_host="127.0.0.1")
    )
    gateway.start()
    gateway_ref["url"] = gateway.url
    yield gateway
    gateway.stop()
