"""Issue 16: an incident notice cannot add buttons to the bot's answers.

A line "knop: Titel | /payload" in a rendered answer becomes a quick-reply
button (bot/texts/render.py). A notice's title and text go into answers (the
greeting shows the region's notice), so that syntax is refused when the notice
is published, and dropped when it is shown, also for a notice saved before.
"""

from __future__ import annotations

import time

import pytest

from bot.redactie import accounts, notices
from bot.redactie.db import Database
from bot.texts.render import Renderer
from bot.texts.replies import Replies

BUTTON_LINES = [
    "knop: Doneer nu | /greet",
    "  knop:Bel ons|/ask_kit",
    "Kijk hier\u2028knop: Klik | /greet",  # a line separator that splitlines() honours
]


@pytest.fixture
def zeeland(tmp_path):
    db = Database(tmp_path / "n.sqlite3")
    user = accounts.add_user(db, "zeeland", "een-lang-wachtwoord", "regional", "VR19")
    return db, user


@pytest.mark.parametrize("line", BUTTON_LINES)
def test_a_notice_with_a_button_line_is_refused(zeeland, line: str) -> None:
    db, user = zeeland
    now = time.time()
    with pytest.raises(notices.NoticeError) as refused:
        notices.publish(db, user, "VR19", "Storm", f"Blijf binnen.\n{line}", "https://vrz.nl", now + 3600)
    assert refused.value.code == "notice_button"
    with pytest.raises(notices.NoticeError):
        notices.publish(db, user, "VR19", line, "Blijf binnen.", "https://vrz.nl", now + 3600)
    assert notices.current(db, "VR19") is None


def test_a_notice_without_buttons_is_published(zeeland) -> None:
    db, user = zeeland
    notice = notices.publish(
        db, user, "VR19", "Storm", "Blijf binnen | knop dicht.", "https://vrz.nl", time.time() + 60
    )
    assert notices.current(db, "VR19") == notice


def test_a_stored_button_line_is_dropped_when_the_notice_is_shown() -> None:
    # As if saved before publish() refused it (or written to the database by hand).
    now = time.time()
    old = notices.Notice(
        1, "VR19", "Storm", "Blijf binnen.\nknop: Doneer | /greet", "https://vrz.nl", now + 60, "x", now
    )
    shown = old.public()
    assert shown["text"] == "Blijf binnen."

    replies = Replies(Renderer(strict=True), notice_lookup=lambda region: shown)
    greeting = replies.render("utter_greet", region="VR19")
    assert "Blijf binnen." in greeting.text
    assert all(button["payload"] != "/greet" or button["title"] != "Doneer" for button in greeting.buttons)

    # Without the filter the same notice would have added the button: the test can fail.
    raw = {**shown, "text": old.text}
    unfiltered = Replies(Renderer(strict=True), notice_lookup=lambda region: raw).render("utter_greet", region="VR19")
    assert {"title": "Doneer", "payload": "/greet"} in unfiltered.buttons
