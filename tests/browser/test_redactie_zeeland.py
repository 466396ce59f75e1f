"""Issue 16 as a person would do it, in Chromium against the real stack.

A regional editor of Zeeland (VR19) logs in, finds "Storm", changes one tip,
sees it in the preview (phone width, the widget's look), publishes, and the
Zeeland chat (POST /api/v1/chat with region VR19, through Rasa and the NLG
server) gives the new tip within 5 seconds. Another change, then the history
in words, and restoring the earlier version. axe checks the editor's pages.
The screenshots go into docs/img/ for docs/redactie.md.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from tests.browser.conftest import log_in_editor, run_axe
from tests.conftest import Chat, add_editor

pytestmark = [pytest.mark.stack, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
IMG = ROOT / "docs" / "img"
PASSWORD = "zeeland-" + uuid.uuid4().hex[:12]
STORM_NOW = '/ask_phase{"phase":"tijdens","risk":"storm"}'  # what the chat's button sends
CHAT_DEADLINE_S = 5.0


@pytest.fixture(scope="module")
def zeeland_editor(stack) -> str:
    username = "zeeland-" + uuid.uuid4().hex[:6]
    add_editor(stack, username, PASSWORD, "regional", "VR19")
    return username


def storm_advice(stack, region: str) -> str:
    return Chat(stack.gateway, region).say_text(STORM_NOW)


def shows_within(stack, text: str, region: str = "VR19", timeout: float = CHAT_DEADLINE_S) -> float | None:
    """Seconds until the chat shows text, or None if it did not within timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if text in storm_advice(stack, region):
            return time.monotonic() - start
        time.sleep(0.2)
    return None


def change_first_tip(page, new_tip: str) -> str:
    box = page.get_by_label("Tips", exact=True)
    lines = box.input_value().split("\n")
    old = lines[0]
    lines[0] = new_tip
    box.fill("\n".join(lines))
    return old


def test_zeeland_editor_changes_a_storm_tip_and_restores_it(browser, stack, zeeland_editor):
    context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    original = storm_advice(stack, "VR19")
    first = f"Zet in Zeeland je tuinmeubels vast, test {uuid.uuid4().hex[:5]}."
    second = f"Zet alles vast wat kan wegwaaien, test {uuid.uuid4().hex[:5]}."
    try:
        log_in_editor(page, stack.gateway, zeeland_editor, PASSWORD, screenshot=IMG / "redactie-inloggen.png")
        page.screenshot(path=str(IMG / "redactie-lijst.png"))

        # Finds "Storm" with the search box: the list narrows while typing.
        page.get_by_label("Zoek een tekst").fill("Storm")
        page.get_by_role("status").filter(has_text="gevonden").wait_for()
        assert page.get_by_role("link", name="Advies bij hitte: tijdens").is_hidden()
        page.screenshot(path=str(IMG / "redactie-zoeken.png"))
        page.get_by_role("link", name="Advies bij storm: tijdens").click()
        page.get_by_role("heading", name="Advies bij storm: tijdens").wait_for()
        assert "{%" not in page.content()  # words, no template code

        # Changes one tip; the preview shows it (as it will look on a phone) before anything is live.
        old_tip = change_first_tip(page, first)
        assert old_tip in original
        bubble = page.locator("#preview .phone .msg.bot", has_text=first)
        bubble.wait_for()
        assert page.locator("#preview .phone").bounding_box()["width"] <= 360
        assert first not in storm_advice(stack, "VR19")
        page.locator("#preview").screenshot(path=str(IMG / "redactie-voorbeeld.png"))
        page.screenshot(path=str(IMG / "redactie-advies.png"), full_page=True)

        page.get_by_role("button", name="Publiceren").click()
        page.get_by_text("Gepubliceerd als versie").wait_for()
        took = shows_within(stack, first)
        assert took is not None, "the Zeeland chat did not show the new tip within 5 s"
        print(f"chat showed the published tip after {took:.2f} s")
        assert first not in storm_advice(stack, "VR17")  # other regions keep the national advice

        # A second change, then the history in words and the earlier version back.
        change_first_tip(page, second)
        page.get_by_role("button", name="Publiceren").click()
        page.get_by_text("Gepubliceerd als versie").wait_for()
        assert shows_within(stack, second) is not None
        page.get_by_role("link", name="Eerdere versies en terugzetten").click()
        page.get_by_text(f"Tip 1 veranderd: “{first}” → “{second}”").wait_for()
        page.screenshot(path=str(IMG / "redactie-versies.png"), full_page=True)
        page.locator("ol.versions > li").nth(1).get_by_role("button", name="Zet versie").click()
        page.get_by_text("Teruggezet").wait_for()
        assert shows_within(stack, first) is not None, "the restored tip did not come back within 5 s"
        assert second not in storm_advice(stack, "VR19")

        # And back to the national advice, so other tests see the default.
        page.get_by_role("button", name="Eigen advies weghalen: landelijk advies gebruiken").click()
        page.get_by_text("Teruggezet").wait_for()
        assert shows_within(stack, old_tip) is not None and first not in storm_advice(stack, "VR19")

        # A plain text (the greeting) is words too: no template code on the page.
        page.goto(f"{stack.gateway}/redactie")
        page.get_by_label("Zoek een tekst").fill("begroeting")
        page.get_by_role("link", name="Begroeting").click()
        page.get_by_role("heading", name="Begroeting").wait_for()
        assert "{%" not in page.get_by_label("Tekst", exact=True).input_value()
        page.locator("#preview .phone .msg").first.wait_for()
        page.screenshot(path=str(IMG / "redactie-begroeting.png"), full_page=True)
    finally:
        context.close()


def test_editor_pages_pass_axe(axe_page, stack, zeeland_editor, axe_source):
    log_in_editor(axe_page, stack.gateway, zeeland_editor, PASSWORD)
    pages = [
        "/redactie",
        "/redactie?zoek=storm",
        "/redactie/advies/storm/tijdens",
        "/redactie/advies/storm/algemeen",
        "/redactie/advies/storm/geschiedenis",
        "/redactie/tekst/utter_greet",
        "/redactie/tekst/utter_greet/geschiedenis",
        "/redactie/meldingen",
    ]
    for path in pages:
        axe_page.goto(f"{stack.gateway}{path}")
        problems = run_axe(axe_page, axe_source)
        assert problems == [], (path, problems)
    # With the search used and a preview on screen.
    axe_page.goto(f"{stack.gateway}/redactie")
    axe_page.get_by_label("Zoek een tekst").fill("storm")
    assert run_axe(axe_page, axe_source) == []
