"""Issue 20 in Chromium: a region that chooses English in "Instellingen" gets an English widget.

A beheerder of Haaglanden (The Hague: many expats and international schools) sets
the language to English and adds a test site. On that site the widget (served by
the session stack's gateway, another process than the Redactie's) speaks English:
launcher, greeting (112, "works best in Dutch"), the starters, and a starter's
answer comes from the bot's English path, through the real Rasa.
"""

from __future__ import annotations

import http.server
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest
import yaml
from playwright.sync_api import expect
from sqlalchemy import text

from bot.gateway.widget import EMBED_FILE
from bot.ops.stack import Stack, free_port
from bot.redactie.db import Database
from tests.browser.conftest import ExtraGateway, run_axe
from tests.browser.test_instellingen import add_user, log_in
from tests.browser.test_widget import HOST, Widget

pytestmark = [pytest.mark.stack, pytest.mark.browser]

REGION = "VR15"
EN = yaml.safe_load(EMBED_FILE.read_text(encoding="utf-8"))["defaults"]
DEADLINE_S = 5.0


def preflight(gateway: str, origin: str) -> int:
    request = urllib.request.Request(
        f"{gateway}/api/v1/chat?region={REGION}",
        method="OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


class RegionSite:
    """A site on its own loopback origin that embeds the widget for `region`, with the CSP of /embed."""

    def __init__(self, gateway: str, region: str) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>International school</title></head>'
            "<body><main><h1>Welcome to our school</h1><p>Information for parents.</p></main>"
            f'<script src="{gateway}/widget.js" data-region="{region}" async></script></body></html>'
        ).encode()
        csp = f"default-src 'none'; script-src {gateway}; connect-src {gateway}; img-src {gateway}"

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", csp)
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def haaglanden(stack):
    """The Redactie's gateway (loopback test sites allowed in the form), a beheerder and a site."""
    ports = {**stack.ports, "gateway": free_port()}
    env = {**stack.extra_env, "NOODWIJZER_TEST_LOOPBACK_ORIGINS": "1"}
    gateway = ExtraGateway(
        Stack(ports=ports, model=stack.model, log_dir=stack.log_dir, extra_env=env, gateway_host="127.0.0.1")
    )
    gateway.start()
    username = "beheer-hgl-" + uuid.uuid4().hex[:6]
    add_user(stack, username, REGION)
    site = RegionSite(stack.gateway, REGION)
    yield gateway, username, site
    site.close()
    gateway.stop()
    # Leave the session stack as the file describes it for the tests after this one.
    with Database(stack.extra_env["NOODWIJZER_DB"]).write() as conn:
        conn.execute(text("DELETE FROM embed_settings WHERE party = :party"), {"party": REGION})


def test_region_on_english_greets_and_answers_in_english(browser, stack, haaglanden, axe_source):
    gateway, username, site = haaglanden
    assert preflight(stack.gateway, site.origin) == 403  # not allowed yet

    # The beheerder chooses English; the preview shows the English look before saving.
    editor = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = editor.new_page()
    page.set_default_timeout(20_000)
    log_in(page, gateway.url, username)
    page.get_by_role("link", name="Instellingen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Haaglanden")
    expect(page.get_by_text("Kies je Engels, dan praat de chat Engels")).to_be_visible()
    preview = page.locator("#preview")
    expect(preview.locator(".sub")).to_have_text("Hulp bij een noodsituatie")
    page.get_by_label("Taal waarin de chat begint").select_option("en")
    expect(preview).to_have_attribute("lang", "en")
    expect(preview.locator(".sub")).to_have_text(EN["ui_en"]["subtitle"])
    expect(preview.locator("#preview-greeting")).to_have_text(EN["greeting_en"])
    expect(preview.locator(".replies")).to_have_text(EN["starters_en"][0]["title"])
    assert run_axe(page, axe_source) == []
    origins = page.get_by_label("Websites waarop de chat mag staan")
    origins.fill(site.origin)
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("De instellingen zijn opgeslagen")
    saved_at = time.monotonic()
    expect(page.get_by_label("Taal waarin de chat begint")).to_have_value("en")
    expect(preview.locator(".sub")).to_have_text(EN["ui_en"]["subtitle"])
    editor.close()

    # On the school's site: the widget speaks English (the session gateway, another process).
    while preflight(stack.gateway, site.origin) != 204 and time.monotonic() - saved_at < DEADLINE_S:
        time.sleep(0.1)
    assert preflight(stack.gateway, site.origin) == 204, f"not allowed within {DEADLINE_S} s"
    resident = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800}, bypass_csp=True)
    tab = resident.new_page()
    tab.set_default_timeout(30_000)
    tab.goto(f"{site.origin}/")
    widget = Widget(tab)
    expect(widget.launcher).to_have_text(EN["ui_en"]["launcher"])
    expect(tab.locator(f"{HOST} .nw")).to_have_attribute("lang", "en")
    widget.open()
    expect(widget.bot.first).to_have_text(f"{EN['ui_en']['bot']} {EN['greeting_en']}")
    greeting = widget.bot.first.inner_text()
    assert "Call 112" in greeting and "work best in Dutch" in greeting and "answer you in English" in greeting
    expect(widget.input).to_have_attribute("placeholder", EN["ui_en"]["placeholder"])
    expect(tab.locator(f"{HOST} .send")).to_have_text("Send")
    expect(tab.locator(f"{HOST} .reset")).to_have_text("New conversation")
    expect(tab.locator(f"{HOST} .close")).to_have_text("Close")
    expect(widget.replies).to_have_text([s["title"] for s in EN["starters_en"]])
    assert run_axe(tab, axe_source) == []

    # A starter: its English sentence goes to the real bot, which answers in English.
    before = widget.bot.count()
    widget.replies.filter(has_text="power cut").click()
    widget.wait_reply(before)
    answer = "\n".join(widget.bot.all_inner_texts()[before:])
    assert "Power cut: what to do." in answer, answer
    assert "carbon monoxide" in answer and "english.denkvooruit.nl" in answer
    for dutch in ("Bij een stroomstoring", "Noodpakket", " je "):
        assert dutch not in answer, answer
    assert run_axe(tab, axe_source) == []
    resident.close()
