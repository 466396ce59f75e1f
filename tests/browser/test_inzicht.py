"""Inzicht (issue 19) through the real stack and Chromium.

Chats in region VR19 become counts (NLG server -> memory -> the editor's store
every 5 s); the VR19 editor sees "minder dan 10" until the cell reaches 10, then
the number; another region's editor gets 403; a sentence a resident typed is in
no file of the stack; the pages pass axe. Screenshots go to docs/img/ for docs/inzicht.md.
"""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

import pytest

from bot.redactie import accounts, inzicht_counts, inzicht_view
from bot.redactie.db import Database
from tests.browser.conftest import log_in_editor, run_axe
from tests.browser.test_widget import goto_demo
from tests.conftest import Chat

pytestmark = [pytest.mark.stack, pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
IMG = ROOT / "docs" / "img"
PASSWORD = "inzicht-" + uuid.uuid4().hex[:12]
ASK = '/ask_phase{"phase":"na","risk":"overstroming"}'  # what the chat's button sends
KEY = "overstroming|na"


@pytest.fixture(scope="module")
def stack_db(stack) -> Database:
    return Database(stack.extra_env["NOODWIJZER_DB"])


@pytest.fixture(scope="module")
def editors(stack_db) -> dict[str, str]:
    names = {}
    for label, role, region in (("vr19", "regional", "VR19"), ("vr01", "regional", "VR01"), ("nl", "national", None)):
        names[label] = f"inzicht-{label}-" + uuid.uuid4().hex[:6]
        accounts.add_user(stack_db, names[label], PASSWORD, role, region)
    return names


def week_value(db: Database) -> int:
    """The raw week cell (what the test may know; pages never show it under 10)."""
    week = inzicht_view.week_of(inzicht_counts.day_of())
    rows = inzicht_counts.read_counts(db, "2000-01-01", ["VR19"])
    return sum(
        r["count"]
        for r in rows
        if r["metric"] == "vraag" and r["key"] == KEY and inzicht_view.week_of(r["day"]) == week
    )


def ask_until(stack, db: Database, target: int) -> int:
    """Ask in fresh VR19 conversations until the stored cell reaches target (the flush runs every 5 s)."""
    value = week_value(db)
    for _ in range(max(target - value, 0)):
        assert "overstroming" in Chat(stack.gateway, "VR19").say_text(ASK).lower()
    deadline = time.monotonic() + 20
    while week_value(db) < target and time.monotonic() < deadline:
        time.sleep(0.5)
    return week_value(db)


def csv_cell(page, stack, query: str = "") -> str | None:
    response = page.request.get(f"{stack.gateway}/redactie/inzicht.csv{query}")
    assert response.status == 200
    for line in response.text().splitlines():
        if line.startswith("VR19,") and f",vraag,{KEY}," in line:
            return line.rsplit(",", 1)[1]
    return None


def test_vr19_counts_show_from_10_and_minder_dan_10_below(page, stack, stack_db, editors):
    before = week_value(stack_db)
    assert before < 9, f"another test asked {KEY} in VR19 {before} times this week"
    assert ask_until(stack, stack_db, 9) == 9
    log_in_editor(page, stack.gateway, editors["vr19"], PASSWORD)
    assert csv_cell(page, stack) == "minder dan 10"
    page.goto(f"{stack.gateway}/redactie/inzicht")
    assert "Na (herstel): minstens" in page.inner_text("#tekst-fase")
    assert ask_until(stack, stack_db, 10) == 10
    assert csv_cell(page, stack) == "10"
    page.goto(f"{stack.gateway}/redactie/inzicht")
    summary = page.inner_text("#tekst-fase")
    shown = int(re.search(r"Na \(herstel\): (?:minstens )?(\d+)", summary).group(1))
    assert shown >= 10
    page.screenshot(path=str(IMG / "inzicht-regio.png"), full_page=True)


def test_another_region_cannot_see_vr19(page, stack, stack_db, editors):
    ask_until(stack, stack_db, 10)
    log_in_editor(page, stack.gateway, editors["vr01"], PASSWORD)
    assert page.request.get(f"{stack.gateway}/redactie/inzicht?regio=VR19").status == 403
    assert page.request.get(f"{stack.gateway}/redactie/inzicht.csv?regio=VR19").status == 403
    assert page.request.get(f"{stack.gateway}/redactie/inzicht?regio=NL").status == 403
    own = page.request.get(f"{stack.gateway}/redactie/inzicht.csv").text()
    assert "VR19" not in own
    # The national editor does see VR19, and the national total.
    page.context.clear_cookies()
    log_in_editor(page, stack.gateway, editors["nl"], PASSWORD)
    assert csv_cell(page, stack, "?regio=NL") not in (None, "minder dan 10")
    page.goto(f"{stack.gateway}/redactie/inzicht")
    assert "Heel Nederland" in page.inner_text("#kop-regio ~ table tfoot")
    page.screenshot(path=str(IMG / "inzicht-landelijk.png"), full_page=True)


def test_a_residents_sentence_is_in_no_file(stack, stack_db):
    secret = "Mijn buurvrouw Zwaantje " + uuid.uuid4().hex + " woont op de Dijkweg"
    for message in (secret, "wat moet ik doen na een overstroming? " + secret):
        Chat(stack.gateway, "VR19").say_text(message)
    time.sleep(7)  # one flush of the counts later
    needle = secret.split()[2].encode()
    roots = [Path(stack.extra_env["NOODWIJZER_DB"]).parent, ROOT / "var"]
    checked = 0
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                checked += 1
                assert needle not in path.read_bytes(), path
    assert checked >= 3  # the database and the logs were there to look at


def test_inzicht_pages_pass_axe(axe_page, stack, editors, axe_source):
    log_in_editor(axe_page, stack.gateway, editors["nl"], PASSWORD)
    for path in ("/redactie/inzicht", "/redactie/inzicht?regio=VR19"):
        axe_page.goto(f"{stack.gateway}{path}")
        assert run_axe(axe_page, axe_source) == [], path


def widget_opens(db: Database) -> int:
    rows = inzicht_counts.read_counts(db, inzicht_counts.day_of(), ["VR19"])
    return sum(r["count"] for r in rows if r["metric"] == "widget")


def test_opening_the_widget_is_counted_once_per_conversation(page, stack, stack_db):
    before = widget_opens(stack_db)
    widget = goto_demo(page, stack.gateway)  # the demo page embeds the widget for VR19
    widget.open()
    deadline = time.monotonic() + 20
    while widget_opens(stack_db) == before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert widget_opens(stack_db) == before + 1
