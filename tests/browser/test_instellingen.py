"""Issue 20 in Chromium: a beheerder of Zeeland sets up a new site in "Instellingen".

The settings are saved through a second gateway process (the Redactie's), and the
widget on the new site loads from the session stack's own gateway: so the change
also reaches another process. Production origins must be https; this test's sites
are http://127.0.0.1:<port>, which only a gateway started with the test-only
NOODWIJZER_TEST_LOOPBACK_ORIGINS=1 accepts in the settings form.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect
from sqlalchemy import text

from bot.ops.stack import Stack, free_port
from bot.redactie.db import Database
from tests.browser.conftest import ExtraGateway, ThirdPartySite, log_in_editor, run_axe
from tests.browser.test_widget import Widget, watch_console
from tests.conftest import add_editor

pytestmark = [pytest.mark.stack, pytest.mark.browser]

PASSWORD = "beheer-" + uuid.uuid4().hex[:12]
NEW_PRIMARY = "#6a1b4d"  # white on it is 11:1, it on white too
NEW_PRIMARY_RGB = "rgb(106, 27, 77)"
EVIL_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10" onload="alert(1)">'
    b"<script>document.title='gehackt'</script>"
    b'<circle cx="5" cy="5" r="4" fill="#6a1b4d"/></svg>'
)
DEADLINE_S = 5.0


def add_user(stack, username: str, region: str) -> None:
    """A beheerder of region (other browser tests of the settings reuse this and log_in)."""
    add_editor(stack, username, PASSWORD, "beheerder", region)


@pytest.fixture(scope="module")
def beheerder(stack) -> str:
    username = "beheer-zld-" + uuid.uuid4().hex[:6]
    add_user(stack, username, "VR19")
    return username


@pytest.fixture(scope="module")
def editor_gateway(stack):
    """The Redactie's gateway: the session stack's database, loopback test sites allowed in the form."""
    ports = {**stack.ports, "gateway": free_port()}
    env = {**stack.extra_env, "NOODWIJZER_TEST_LOOPBACK_ORIGINS": "1"}
    gateway = ExtraGateway(
        Stack(ports=ports, model=stack.model, log_dir=stack.log_dir, extra_env=env, gateway_host="127.0.0.1")
    )
    gateway.start()
    yield gateway
    gateway.stop()
    # Leave the session stack as the file describes it for the tests after this one.
    db = Database(stack.extra_env["NOODWIJZER_DB"])
    with db.write() as conn:
        conn.execute(text("DELETE FROM embed_settings WHERE party = 'VR19'"))


@pytest.fixture(scope="module")
def sites(stack):
    """A new site of Zeeland and a stranger's site; both embed the widget from the session gateway."""
    ref = {"url": stack.gateway}
    new_site, stranger = ThirdPartySite(ref), ThirdPartySite(ref)
    yield new_site, stranger
    new_site.close()
    stranger.close()


def preflight(gateway: str, origin: str) -> int:
    request = urllib.request.Request(
        f"{gateway}/api/v1/chat?region=VR19",
        method="OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def log_in(page, base: str, username: str) -> None:
    log_in_editor(page, base, username, PASSWORD)


def test_zeeland_beheerder_adds_a_site_colour_and_logo(browser, stack, editor_gateway, beheerder, sites, axe_source):
    new_site, stranger = sites
    assert preflight(stack.gateway, new_site.origin) == 403  # not allowed yet
    # Redactie pages: CSP bypassed only so axe can be injected.
    editor = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = editor.new_page()
    page.set_default_timeout(20_000)
    log_in(page, editor_gateway.url, beheerder)
    page.get_by_role("link", name="Instellingen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Zeeland")
    expect(page.get_by_text("met en zonder www zijn twee adressen")).to_be_visible()
    assert run_axe(page, axe_source) == []

    origins = page.get_by_label("Websites waarop de chat mag staan")
    origins.fill(origins.input_value() + "\n" + new_site.origin)
    page.get_by_label("Hoofdkleur", exact=True).fill(NEW_PRIMARY)
    page.get_by_label("Links", exact=True).fill(NEW_PRIMARY)
    # The preview follows the form before saving.
    preview_head = page.locator("#preview .head")
    expect(preview_head).to_have_css("background-color", NEW_PRIMARY_RGB)
    page.get_by_label("Logo (PNG of SVG").set_input_files(
        files=[{"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": EVIL_LOGO}]
    )
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("De instellingen zijn opgeslagen")
    saved_at = time.monotonic()
    snippet = page.locator("#snippet").inner_text()
    assert snippet == f'<script src="{editor_gateway.url}/widget.js" data-region="VR19" async></script>'
    assert page.locator("#csp").inner_text().startswith(f"script-src {editor_gateway.url};")

    # The stored logo lost its script and its event attribute, and kept its drawing.
    logo_url = page.locator("#logo-now").get_attribute("src")
    with urllib.request.urlopen(f"{stack.gateway}{logo_url}", timeout=10) as response:
        logo = response.read()
        assert response.headers["Content-Type"].startswith("image/svg+xml")
    assert b"<circle" in logo and b"script" not in logo and b"onload" not in logo and b"alert" not in logo

    # A regional beheerder cannot open or change another region's settings.
    refused = page.goto(f"{editor_gateway.url}/redactie/instellingen/VR17")
    assert refused is not None and refused.status == 403
    expect(page.get_by_text("Je mag deze instellingen niet aanpassen")).to_be_visible()
    page.goto(f"{editor_gateway.url}/redactie/instellingen/VR19/geschiedenis")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Eerdere versies")
    assert run_axe(page, axe_source) == []
    editor.close()

    # On the new site (the session gateway, another process): the Zeeland look, and the chat answers.
    resident = browser.new_context(locale="nl-NL", viewport={"width": 390, "height": 800})
    site = resident.new_page()
    site.set_default_timeout(20_000)
    problems = watch_console(site)
    while True:
        allowed = preflight(stack.gateway, new_site.origin) == 204
        if allowed or time.monotonic() - saved_at > DEADLINE_S:
            break
        time.sleep(0.1)
    assert allowed, f"not allowed within {DEADLINE_S} s"
    site.goto(f"{new_site.origin}/")
    widget = Widget(site)
    widget.open()
    expect(site.get_by_role("heading", name="Noodwijzer Zeeland")).to_be_visible()
    expect(site.locator("noodwijzer-widget .head")).to_have_css("background-color", NEW_PRIMARY_RGB)
    expect(site.locator("noodwijzer-widget .head img")).to_have_attribute("src", f"{stack.gateway}{logo_url}")
    before = widget.send("Wat moet er in een noodpakket?")
    widget.wait_reply(before)
    expect(widget.card).to_have_count(0)
    assert site.title() == "Andere site"  # the logo's script never ran
    assert problems == []

    # A site that was not added is refused (CORS), and the widget says so.
    assert preflight(stack.gateway, stranger.origin) == 403
    other = resident.new_page()
    other.goto(f"{stranger.origin}/")
    refused_widget = Widget(other)
    refused_widget.open()
    expect(refused_widget.card).to_contain_text("werkt nog niet op deze website")
    resident.close()
