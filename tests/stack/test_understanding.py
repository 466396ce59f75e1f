"""Issue 14 through the real stack (gateway -> Rasa -> actions -> NLG), first reply.

The blind held-out sets (tests/nlu/blind_heldout*.yml) were written by someone
who never read data/nlu; they are scored with the same rules as `make
nlu-report` (scripts/eval_nlu.py: classify_reply / is_right).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from tests.conftest import Chat
from tests.unit.test_understanding import ISSUE_RISKS

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"scripts_{name}"] = module
    spec.loader.exec_module(module)
    return module


eval_nlu = _load("eval_nlu")
nlu_report = _load("nlu_report")
# The development sets (read and tuned on; docs/nlu.md). Sets 3 to 7 were each scored
# once blind first (set 3: 0.767, set 4: 0.882, set 5: 0.859, sets 6 and 7: 0.833) and then
# used for development too. The test sets (scripts/nlu_report.py TEST_SETS) are not read here.
DEVELOPMENT_SETS = (
    "blind_heldout.yml",
    "blind_heldout_2.yml",
    "blind_heldout_3.yml",
    "blind_heldout_4.yml",
    "blind_heldout_5.yml",
    "blind_heldout_6.yml",
    "blind_heldout_7.yml",
)
SETS = [p for p in nlu_report.HELDOUT_SETS if p.exists() and p.name in DEVELOPMENT_SETS]

# What the development sets reach today (docs/nlu.md, issue 14); a drop below fails the build.
# These are regression floors, not estimates for new wording (the blind scores are).
MIN_OVERALL = {  # measured 0.992, 0.994, 0.973, 0.982, 1.000, 1.000, 0.981 (2026-11-30, model nw-1293ddedcaefb249)
    # About 1.5 points under what was measured: DIET trained on another machine (CI) gives a
    # slightly different model from the same data and seed (set 1: 0.989 there, 0.992 here).
    "blind_heldout.yml": 0.975,
    "blind_heldout_2.yml": 0.975,
    "blind_heldout_3.yml": 0.955,
    "blind_heldout_4.yml": 0.965,
    "blind_heldout_5.yml": 0.975,
    "blind_heldout_6.yml": 0.975,
    "blind_heldout_7.yml": 0.96,
}
MIN_OUT_OF_SCOPE = {  # measured 9/10, 5/5, 8/8, 9/10, 10/10, 17/17, 16/17
    "blind_heldout.yml": 0.90,
    "blind_heldout_2.yml": 0.95,
    "blind_heldout_3.yml": 0.95,
    "blind_heldout_4.yml": 0.80,
    "blind_heldout_5.yml": 0.90,
    "blind_heldout_6.yml": 0.94,
    "blind_heldout_7.yml": 0.88,
}
MAX_FALSE_ALARMS = 0.02


@pytest.fixture(scope="module")
def results(stack):
    say = lambda text: Chat(stack.gateway).say(text)  # noqa: E731 - a fresh conversation per message
    return {path.name: eval_nlu.score_e2e(eval_nlu.load_blind(path, nlu_report.relabels()), say) for path in SETS}


def _misses(result, rows) -> str:
    return "\n".join(f"{r[0].text!r}: expected {r[0].intent}/{r[0].risk}, got {r[1]}/{r[2]}" for r in rows)


def test_every_heldout_emergency_gets_112_first(results):
    for name, result in results.items():
        missed = [
            r
            for r in result.rows
            if (r[0].intent == "emergency" or r[0].first_112) and r[1] not in eval_nlu.EMERGENCY_KINDS
        ]
        assert not missed, f"{name}:\n" + _misses(result, missed)


def test_false_alarms_are_rare(results):
    for name, result in results.items():
        alarms, total = result.false_alarms
        rows = [
            r
            for r in result.rows
            if not (r[0].intent == "emergency" or r[0].first_112) and r[1] in eval_nlu.EMERGENCY_KINDS
        ]
        assert alarms <= MAX_FALSE_ALARMS * total, f"{name}: {alarms}/{total}\n" + _misses(result, rows)


def test_english_without_danger_never_gets_the_dutch_112_script(results):
    for name, result in results.items():
        rows = [r for r in result.rows if r[0].lang == "en" and not (r[0].intent == "emergency" or r[0].first_112)]
        assert rows, name
        # Never the Dutch "Bel 112" script; "Call 112" only where the safety net saw danger.
        assert not [r for r in rows if r[1] == "emergency"], name
        answered = [r for r in rows if r[1].startswith("english") or r[1] == "emergency_en"]
        assert len(answered) == len(rows), _misses(result, [r for r in rows if r not in answered])


def test_overall_first_reply_accuracy(results):
    for name, result in results.items():
        assert result.overall >= MIN_OVERALL[name], f"{name}: {result.overall:.3f}\n" + _misses(
            result, [r for r in result.rows if not r[3]]
        )


def test_out_of_scope_is_refused(results):
    for name, result in results.items():
        right, total = result.out_of_scope
        assert total and right / total >= MIN_OUT_OF_SCOPE[name], f"{name}: {right}/{total}"


# --- the issue's own examples (ISSUE_RISKS, shared with the unit test) -------------------


ISSUE_EMERGENCIES = [
    "kind te water bij de haven",
    "mijn vader ademt niet meer",
    "mijn buurvrouw is in elkaar gezakt",
    "ik ruik gas en word duizelig",
    "het water komt binnen en we kunnen er niet meer uit",
    "er ligt iemand onder een omgevallen boom",
    "er wordt geschoten in de straat",
    "iemand steekt mensen neer met een mes",
    "ik zie vlammen bij het huis naast ons",
]


@pytest.mark.parametrize(("text", "risk"), ISSUE_RISKS)
def test_issue_situations_get_advice_for_the_right_risk(chat, text, risk):
    kind, key = eval_nlu.classify_reply(chat().say(text))
    assert (kind, key) == ("risk", risk)


@pytest.mark.parametrize("text", ISSUE_EMERGENCIES)
def test_issue_emergencies_get_112_first(chat, text):
    assert chat().say(text)[0]["text"].startswith("Bel 112")


def test_kookadvies_is_not_an_alarm(chat):
    messages = chat().say("het waterbedrijf zegt dat we water moeten koken, hoe lang")
    assert not messages[0]["text"].lower().startswith("bel 112")


def test_english_question_gets_english_advice(chat):
    messages = chat().say("what should I do during a power outage")
    assert messages[0]["text"].startswith("Power cut: what to do.")
    assert "Bel 112" not in " ".join(m["text"] for m in messages)


def test_english_danger_gets_call_112_first(chat):
    assert chat().say("help, my house is on fire")[0]["text"].startswith("Call 112")


def test_english_without_a_risk_points_to_the_english_pages(chat):
    text = chat().say_text("hello, do you speak english?")
    assert "english.denkvooruit.nl" in text and "crisis.nl" in text


def test_risk_menu_reaches_all_16_risks_by_buttons(chat):
    conversation = chat()
    first = conversation.say("/ask_risk")
    groups = [b["payload"] for m in first for b in m.get("buttons") or []]
    assert len(groups) == 3 and all("risk_group" in p for p in groups)
    reached = set()
    for payload in groups:
        for message in conversation.say(payload):
            for button in message.get("buttons") or []:
                key = eval_nlu._RISK_PAYLOAD.search(button["payload"])
                if key:
                    reached.add(key.group(1))
    from bot.core.risks import RISK_KEYS

    assert reached == set(RISK_KEYS)


def test_two_likely_risks_get_a_narrow_question(chat):
    messages = chat().say("code oranje, wat nu?")
    payloads = [b["payload"] for m in messages for b in m.get("buttons") or []]
    assert messages[0]["text"].startswith(("Bedoel je", "Over welk risico gaat het"))
    assert any('"storm"' in p for p in payloads) and any('"winterweer"' in p for p in payloads)


@pytest.mark.parametrize("text", ["wat is het nummer van de politie", "wat als 112 niet werkt"])
def test_emergency_numbers(chat, text):
    messages = chat().say(text)
    body = "\n".join(m["text"] for m in messages)
    assert not messages[0]["text"].lower().startswith("bel 112")
    assert "0900-8844" in body and "0900-0904" in body and "Huisartsenpost" in body and "112" in body
