"""Issue 19, item 3, through the real stack (session `stack` fixture): a sentence the bot
does not understand is in no file on disk while VR19's opt-in is off; while it is on,
only its de-identified form is stored (the name, number and postcode gone), and the
widget's privacy line says so. De-identification by real deduce in .venv-deidentify."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.core.knowledge import ROOT
from bot.redactie import learn
from bot.redactie.db import Database
from tests.conftest import get_json

pytestmark = pytest.mark.stack

FALLBACK = "Sorry, dat begreep ik niet"


def files_with(roots: list[Path], needles: list[str]) -> list[str]:
    """Every file under the roots holding any of the needles (as UTF-8 bytes): database, WAL, logs."""
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                found += [f"{path}: {n}" for n in needles if n.encode() in data]
    return found


def privacy_line(stack) -> str | None:
    status, config = get_json(f"{stack.gateway}/api/v1/widget-config?region=VR19")
    assert status == 200, config
    return config["privacy"]


# Sentences the trained model does not understand (nlu_fallback), each with a name, a
# postcode and a phone number. Numbers sway the NLU towards the noodpakket, so these are
# fixed, tried in turn; every one sent is checked the same way.
SENTENCES = [
    ("De kleur van de maan is paars volgens Klaas Bakker uit 2765 WE, tel 650653185", "650653185", "2765 WE"),
    ("De kleur van de maan is paars volgens Klaas Bakker (2765 WE, 650653185)", "650653185", "2765 WE"),
]
NAME = "Klaas Bakker"


def say_until_not_understood(chat, region: str) -> tuple[str, list[str]]:
    """Send the sentences until the bot answers with its fallback; (that sentence, every identifying part sent)."""
    sent: list[str] = []
    for sentence, number, postcode in SENTENCES:
        sent += [sentence, number, postcode]
        if FALLBACK in chat(region).say_text(sentence):
            return sentence, sent
    raise AssertionError("the model understood every sentence: pick new ones")


def test_not_understood_is_kept_only_when_on_and_only_deidentified(stack, chat) -> None:
    roots = [Path(stack.extra_env["NOODWIJZER_DB"]).parent, ROOT / "var"]
    db = Database(Path(stack.extra_env["NOODWIJZER_DB"]))
    try:
        # Off (the default): not kept, and in no file of the stack.
        assert files_with(roots, [NAME]) == []
        _, sent = say_until_not_understood(chat, "VR19")
        status, config = get_json(f"{stack.gateway}/api/v1/widget-config?region=VR19")
        assert status == 200 and learn.PRIVACY_LINE not in (config["privacy"] or "")
        time.sleep(2)
        assert learn.kept(db, "VR19") == []
        assert files_with(roots, [NAME, *sent]) == []

        # On: the privacy line says so, and only the de-identified text is stored.
        learn.set_enabled(db, "test", "VR19", True)
        deadline = time.monotonic() + 10
        while learn.PRIVACY_LINE not in (privacy_line(stack) or ""):
            assert time.monotonic() < deadline, "the widget's privacy line does not mention the learning"
            time.sleep(0.5)
        sentence, sent = say_until_not_understood(chat, "VR19")
        deadline = time.monotonic() + 150  # the worker starts on first use: deduce loads its tables
        while not (kept := learn.kept(db, "VR19")):
            assert time.monotonic() < deadline, "nothing kept"
            time.sleep(1)
        time.sleep(1)
        kept = learn.kept(db, "VR19")
        assert len(kept) == 1, kept  # only the one not understood
        text = kept[0]["text"]
        assert text.startswith("De kleur van de maan is paars volgens [PERSOON]"), text
        for part in (NAME, "Klaas", "Bakker", *sent):
            assert part not in text, text
        assert files_with(roots, [NAME, *sent]) == []
        assert files_with(roots, ["De kleur van de maan is paars volgens [PERSOON]"])  # in the database

        # Another region (opt-in off) keeps nothing.
        say_until_not_understood(chat, "VR01")
        time.sleep(2)
        assert learn.kept(db, "VR01") == [] and len(learn.kept(db, "VR19")) == 1
    finally:
        learn.set_enabled(db, "test", "VR19", False)  # off again wipes VR19's kept messages
        db.close()
