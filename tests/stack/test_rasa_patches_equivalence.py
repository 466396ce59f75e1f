"""Rasa decides the same with and without bot_rasa/patches/, through the real stack.

(a) The dialogue story tests (tests/stories/) through `python -m
bot_rasa.launch test core`, once as plain Rasa (NW_RASA_PATCHES=0) and once
with every patch: both pass and predict the same actions.
(b) Two real stacks side by side, one plain and one patched (one Rasa
replica each), get the same multi-turn conversations through /api/v1/chat
and must give the same replies, word for word.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from bot.ops.stack import ROOT, Stack, latest_model
from bot_rasa.patches import PATCHES
from tests.conftest import Chat

pytestmark = pytest.mark.stack

PLAIN, PATCHED = "0", "all"


def story_test(patches: str, out: Path) -> subprocess.Popen:
    env = dict(
        os.environ,
        NW_RASA_PATCHES=patches,
        PYTHONPATH=str(ROOT),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        TF_INTRA_OP_PARALLELISM_THREADS="1",
        TF_INTER_OP_PARALLELISM_THREADS="1",
    )
    out.mkdir(parents=True)
    log = open(out / "run.log", "wb")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot_rasa.launch",
            "test",
            "core",
            "--stories",
            "tests/stories",
            "--model",
            str(latest_model()),
            "--fail-on-prediction-errors",
            "--out",
            str(out),
            "--quiet",
            "--successes",
            "--no-plot",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def predicted_stories(out: Path) -> dict:
    stories = yaml.safe_load((out / "successful_test_stories.yml").read_text(encoding="utf-8"))["stories"]
    return {story["story"]: story["steps"] for story in stories}


def test_story_tests_pass_with_the_same_predictions_with_and_without_patches(tmp_path):
    runs = {patches: story_test(patches, tmp_path / f"patches-{patches}") for patches in (PLAIN, PATCHED)}
    for proc in runs.values():
        proc.wait(timeout=240)
    logs = {patches: (tmp_path / f"patches-{patches}" / "run.log").read_text(errors="replace") for patches in runs}
    for patches, proc in runs.items():
        assert proc.returncode == 0, logs[patches][-3000:]
    assert "Rasa patches on: none (plain Rasa)" in logs[PLAIN]
    assert f"Rasa patches on: {', '.join(PATCHES)}" in logs[PATCHED]

    plain, patched = (tmp_path / f"patches-{p}" for p in (PLAIN, PATCHED))
    for out in (plain, patched):
        assert yaml.safe_load((out / "failed_test_stories.yml").read_text(encoding="utf-8")) is None, "no failed story"
    report = json.loads((plain / "story_report.json").read_text())
    assert report["conversation_accuracy"]["accuracy"] == 1.0 and report["conversation_accuracy"]["total"] >= 20
    assert json.loads((patched / "story_report.json").read_text()) == report
    assert predicted_stories(patched) == predicted_stories(plain)


# --- two stacks, the same conversations -----------------------------------------------------


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    """A plain and a patched stack, each with one Rasa replica, started side by side."""
    tmp = tmp_path_factory.mktemp("patch-stacks")
    made = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("NW_RASA_REPLICAS", "1")  # read from os.environ when the ports are chosen
        for patches in (PLAIN, PATCHED):
            made[patches] = Stack.on_free_ports(
                model=latest_model(),
                log_dir=tmp / f"log-{patches}",
                gateway_host="127.0.0.1",
                extra_env={
                    "NW_RASA_PATCHES": patches,
                    "NW_RASA_REPLICAS": "1",
                    "NOODWIJZER_DB": str(tmp / f"noodwijzer-{patches}.sqlite3"),
                    "NW_IP_RATE": "0",
                    "NW_SESSION_RATE": "0",
                },
            )
    assert all(s.rasa_replicas == ["rasa"] for s in made.values())
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(lambda s: s.start(timeout=240), made.values()))
        yield made
    finally:
        for running in made.values():
            running.stop()


# (region sent by the widget, messages): the noodpakket form with household, budget
# and needs, risks and phase follow-ups, region questions, an emergency, out of
# scope, "bedankt" and a risk question inside the form, buttons, a new plan.
CONVERSATIONS = [
    (None, ["ik wil een noodpakket maken", "we zijn met 2 volwassenen en 2 kinderen", "50 euro", "medicijnen"]),
    (None, ["bij ons is de stroom uitgevallen wat moet ik nu doen", "en daarna?", "hoe bereid ik me voor?"]),
    (None, ["waar vind ik informatie in mijn regio?", "ik woon in Middelburg", "wat is de rampenzender?"]),
    ("VR19", ["er is brand", "bedankt"]),
    (None, ["wie wint de champions league dit jaar", "hallo", "ben jij een robot?", "doei"]),
    (None, ["noodpakket", "ik woon alleen", "bedankt", "25 euro", "nee"]),
    (None, ["noodpakket", "2 volwassenen", "wat moet ik doen bij storm", "30 euro", "geen"]),
    ("VR17", ["hoe bereid ik me goed voor op een overstroming", "en als het gebeurt?", "wat doe ik daarna"]),
    (
        None,
        [
            "ik wil een noodpakket voor 2 volwassenen en een hond, 100 euro",
            "nee",
            "ik wil een nieuw noodpakket",
            "ik woon alleen met mijn hond",
            "geen geld",
            "nee",
        ],
    ),
    (
        None,
        [
            '/ask_risk{"risk":"drinkwater"}',
            '/ask_phase{"phase":"na","risk":"drinkwater"}',
            "welke veiligheidsregio hoort bij mij",
            "Bergen",
        ],
    ),
    (None, ["help me met een noodpakket", "2 volwassenen en 1 kind", "nee laat maar", "wat moet ik doen bij hitte"]),
]
# Answers that do not come from Rasa's decisions: the gateway's answer when Rasa
# does not answer (utter_degraded) and the one for a reply it cannot show.
NOT_FROM_RASA = ("kan je vraag nu niet goed beantwoorden", "dit antwoord kan ik nu niet goed laten zien")


def replay(gateway: str, region: str | None, messages: list[str], session: str) -> list[list[dict]]:
    chat = Chat(gateway, region)
    chat.session_id = session  # the same conversation id on both stacks
    return [chat.say(message) for message in messages]


def test_both_stacks_start_rasa_as_asked(stacks):
    logs = {
        patches: (s.log_dir / f"rasa-{s.ports['rasa']}.log").read_text(errors="replace")
        for patches, s in stacks.items()
    }
    assert "Rasa patches on: none (plain Rasa)" in logs[PLAIN]
    assert f"Rasa patches on: {', '.join(PATCHES)}" in logs[PATCHED]


@pytest.mark.parametrize("number", range(len(CONVERSATIONS)))
def test_the_same_conversation_gets_the_same_replies(stacks, number):
    region, messages = CONVERSATIONS[number]
    session = f"test-equivalence-{number}-{os.getpid()}"
    with ThreadPoolExecutor(2) as pool:
        plain, patched = pool.map(
            lambda s: replay(s.gateway, region, messages, session), (stacks[PLAIN], stacks[PATCHED])
        )
    for turn, (message, ours, theirs) in enumerate(zip(messages, patched, plain)):
        assert ours == theirs, f"turn {turn} ({message!r}) differs"
        text = "\n".join(m["text"] for m in ours).lower()
        assert ours and not any(answer in text for answer in NOT_FROM_RASA), (message, text)
