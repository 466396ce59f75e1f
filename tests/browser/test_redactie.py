"""The Redactie end to end in Chromium, against the real stack.

A regional editor logs in, edits the VR19 greeting, sees the live preview,
saves, and the chat (POST /api/v1/chat with region VR19) answers with the new
text within seconds, without a restart. Restoring an old version brings the old
text back. Notices show for their own region only and expire by themselves.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest

from bot.redactie import accounts, notices
from bot.redactie.db import Database
from tests.browser.conftest import log_in_editor
from tests.conftest import Chat, add_editor, get_json

pytestmark = [pytest.mark.stack, pytest.mark.browser]

PASSWORD = "browser-test-" + uuid.uuid4().hex[:12]


@pytest.fixture(scope="module")
def stack_db(stack) -> Database:
    return Database(stack.extra_env["NOODWIJZER_DB"])


@pytest.fixture(scope="module")
def editor_vr19(stack, stack_db) -> str:
    username = "vr19-" + uuid.uuid4().hex[:8]
    add_editor(stack, username, PASSWORD, "regional", "VR19")
    return username


def greeting(stack, region: str) -> str:
    return Chat(stack.gateway, region).say_text("hallo")


def wait_until(check, timeout: float = 10.0, interval: float = 0.3):
    """Poll until check() is truthy; the bot must pick up changes 'within seconds'."""
    deadline = time.monotonic() + timeout
    value = check()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = check()
    return value


def save_text(page, text: str) -> None:
    page.get_by_label("Tekst", exact=True).fill(text)
    page.get_by_role("button", name="Opslaan").click()


def test_secure_session_cookie_is_accepted_on_localhost(page, stack, editor_vr19):
    log_in_editor(page, stack.gateway, editor_vr19, PASSWORD)
    cookie = next(c for c in page.context.cookies() if c["name"] == "nw_redactie")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    # The cookie is not readable from page scripts.
    assert "nw_redactie" not in page.evaluate("document.cookie")


def test_edit_preview_save_chat_restore(page, stack, editor_vr19):
    original = greeting(stack, "VR19")
    first = f"Welkom in Zeeland, test {uuid.uuid4().hex[:6]}."
    second = f"Goedendag uit Zeeland, test {uuid.uuid4().hex[:6]}."

    log_in_editor(page, stack.gateway, editor_vr19, PASSWORD)
    page.get_by_role("link", name="Begroeting").click()
    page.get_by_role("heading", name=re.compile("Begroeting")).wait_for()
    assert "Landelijke tekst" in page.content()  # national text side by side

    # Live preview while typing (no save yet).
    page.get_by_label("Tekst", exact=True).fill(first + "\nknop: Noodpakket maken | /ask_kit")
    page.locator("#preview .bubble", has_text=first).first.wait_for()
    assert page.locator("#preview .button", has_text="Noodpakket maken").count() >= 1
    assert greeting(stack, "VR19") == original

    page.get_by_role("button", name="Opslaan").click()
    page.get_by_text("Opgeslagen als versie").wait_for()
    assert wait_until(lambda: first in greeting(stack, "VR19")), "chat did not show the new text"
    assert first not in greeting(stack, "VR17")  # other regions keep the national text

    save_text(page, second)
    page.get_by_text("Opgeslagen als versie").wait_for()
    assert wait_until(lambda: second in greeting(stack, "VR19"))

    # An invalid text is refused and the chat keeps the live text.
    save_text(page, "Hallo {{ ''.__class__.__mro__ }}")
    page.get_by_text("Niet opgeslagen").wait_for()
    assert second in greeting(stack, "VR19")

    # History shows the diff; restoring the first version brings its text back.
    page.goto(f"{stack.gateway}/redactie/tekst/utter_greet/geschiedenis?regio=VR19")
    assert page.locator(".diff .add", has_text=second).count() >= 1
    first_version = page.locator("ol.versions > li").last
    first_version.get_by_role("button", name=re.compile("Zet versie .* terug")).click()
    page.get_by_text("Opgeslagen als versie").wait_for()
    assert wait_until(lambda: first in greeting(stack, "VR19")), "chat did not show the restored text"

    # Back to the repository text: the original greeting returns.
    page.goto(f"{stack.gateway}/redactie/tekst/utter_greet/geschiedenis?regio=VR19")
    page.get_by_role("button", name="Zet de standaardtekst terug").click()
    assert wait_until(lambda: greeting(stack, "VR19") == original)


def test_regional_editor_cannot_open_other_layers(page, stack, editor_vr19):
    log_in_editor(page, stack.gateway, editor_vr19, PASSWORD)
    for layer in ("VR17", "NL"):
        response = page.goto(f"{stack.gateway}/redactie/tekst/utter_greet?regio={layer}")
        assert response.status == 403


def test_notice_shows_for_its_region_in_api_and_greeting_then_expires(page, stack, stack_db, editor_vr19):
    title = f"Testmelding {uuid.uuid4().hex[:6]}"
    log_in_editor(page, stack.gateway, editor_vr19, PASSWORD)
    page.get_by_role("link", name="Actuele melding").click()
    page.get_by_label("Titel").fill(title)
    page.get_by_label("Tekst").fill("Blijf binnen en sluit ramen en deuren.")
    page.get_by_label("Link voor meer informatie").fill("https://www.veiligheidsregiozeeland.nl")
    page.get_by_role("button", name="Publiceren").click()
    page.get_by_text("De melding is gepubliceerd.").wait_for()

    status, body = get_json(f"{stack.gateway}/api/v1/notice?region=VR19")
    assert status == 200 and body["notice"]["title"] == title
    assert (get_json(f"{stack.gateway}/api/v1/notice?region=VR17")[1]["notice"] or {}).get("title") != title
    assert wait_until(lambda: title in greeting(stack, "VR19"))
    assert title not in greeting(stack, "VR17")

    page.get_by_role("button", name="Nu intrekken").first.click()
    assert wait_until(lambda: get_json(f"{stack.gateway}/api/v1/notice?region=VR19")[1]["notice"] is None)
    assert wait_until(lambda: title not in greeting(stack, "VR19"))

    # Expiry needs no restart: a notice that ends in 3 seconds disappears by itself.
    user = accounts.authenticate(stack_db, editor_vr19, PASSWORD)
    short = notices.publish(
        stack_db,
        user,
        "VR19",
        "Korte melding",
        "Even opletten.",
        "https://www.veiligheidsregiozeeland.nl",
        time.time() + 3,
    )
    assert get_json(f"{stack.gateway}/api/v1/notice?region=VR19")[1]["notice"]["title"] == short.title
    assert wait_until(lambda: get_json(f"{stack.gateway}/api/v1/notice?region=VR19")[1]["notice"] is None, timeout=15)
    assert "Korte melding" not in greeting(stack, "VR19")
