"""Offline tests for the risk actions (financial-demo style: Tracker.from_dict)."""

from __future__ import annotations

import pytest
from rasa_sdk.events import SlotSet

from actions.risks import ActionPhaseAdvice, ActionRiskAdvice
from bot.core import risks
from tests.actions.helpers import entity, make_tracker, run


def slots_of(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- action_risk_advice -----------------------------------------------------


@pytest.mark.parametrize(
    "text,entities,expected_risk,expected_phase",
    [
        ("de stroom is uitgevallen", [entity("risk", "stroomstoring")], "stroomstoring", "tijdens"),
        ("hoe bereid ik me voor op een overstroming", [entity("risk", "overstroming")], "overstroming", "voor"),
        ("wat nu de storm voorbij is", [entity("risk", "storm")], "storm", "na"),
        # entity missing: free-text fallback
        ("wat moet ik doen als de sirene gaat", [], "gevaarlijke_stoffen", "tijdens"),
        # entity not normalised (typo the synonym mapper did not know)
        ("wat doe ik bij een bosbrnd", [entity("risk", "bosbrnd")], "natuurbrand", "tijdens"),
        # entity phase wins over the text
        ("vertel over hitte", [entity("risk", "hitte"), entity("phase", "vooraf")], "hitte", "voor"),
    ],
)
async def test_risk_advice_picks_risk_and_phase(text, entities, expected_risk, expected_phase):
    messages, events = await run(ActionRiskAdvice(), make_tracker(text, "ask_risk", entities))
    assert len(messages) == 1
    message = messages[0]
    assert message["response"] == "utter_risk_advice"
    assert message["risk_key"] == expected_risk
    assert message["phase"] == expected_phase
    assert message["risk"]["key"] == expected_risk
    assert message["risk"][expected_phase] == risks.get_risk(expected_risk)[expected_phase]
    assert "synonyms" not in message["risk"] and "sources" not in message["risk"]
    assert slots_of(events) == {"risk": expected_risk, "phase": expected_phase}


async def test_unknown_risk_gets_the_menu_and_clears_slots():
    tracker = make_tracker(
        "wat moet ik doen bij een zombie-apocalyps",
        "ask_risk",
        [entity("risk", "zombie-apocalyps")],
        slots={"risk": "storm", "phase": "na"},
    )
    messages, events = await run(ActionRiskAdvice(), tracker)
    assert [m["response"] for m in messages] == ["utter_risk_menu"]
    assert [r["key"] for r in messages[0]["risks"]] == list(risks.RISK_KEYS)
    assert slots_of(events) == {"risk": None, "phase": None}


# --- action_phase_advice ----------------------------------------------------------


@pytest.mark.parametrize(
    "risk,text,entities,expected_phase",
    [
        ("stroomstoring", "en daarna?", [entity("phase", "daarna")], "na"),
        ("overstroming", "hoe bereid ik me voor?", [], "voor"),  # no entity: text cue
        ("storm", "en wat nu?", [entity("phase", "tijdens")], "tijdens"),
    ],
)
async def test_phase_switch_keeps_the_risk(risk, text, entities, expected_phase):
    tracker = make_tracker(text, "ask_phase", entities, slots={"risk": risk, "phase": "tijdens"})
    messages, events = await run(ActionPhaseAdvice(), tracker)
    assert messages[0]["response"] == "utter_risk_advice"
    assert messages[0]["risk_key"] == risk
    assert messages[0]["phase"] == expected_phase
    assert slots_of(events) == {"risk": risk, "phase": expected_phase}


async def test_phase_without_hint_moves_to_the_next_phase():
    tracker = make_tracker("en dan?", "ask_phase", [], slots={"risk": "hitte", "phase": "voor"})
    messages, events = await run(ActionPhaseAdvice(), tracker)
    assert messages[0]["phase"] == "tijdens"
    assert slots_of(events)["phase"] == "tijdens"


async def test_phase_button_payload_names_the_risk():
    # Buttons send /ask_phase{"phase":"na","risk":"brand"}: works even when the slot was lost.
    tracker = make_tracker(
        '/ask_phase{"phase":"na","risk":"brand"}', "ask_phase", [entity("phase", "na"), entity("risk", "brand")]
    )
    messages, events = await run(ActionPhaseAdvice(), tracker)
    assert messages[0]["risk_key"] == "brand" and messages[0]["phase"] == "na"


async def test_phase_without_known_risk_gets_the_menu():
    tracker = make_tracker("en daarna?", "ask_phase", [entity("phase", "daarna")])
    messages, events = await run(ActionPhaseAdvice(), tracker)
    assert [m["response"] for m in messages] == ["utter_risk_menu"]
    assert SlotSet("risk", None) in events


async def test_phase_with_junk_risk_slot_gets_the_menu():
    tracker = make_tracker("en daarna?", "ask_phase", [], slots={"risk": "blablabla"})
    messages, _ = await run(ActionPhaseAdvice(), tracker)
    assert messages[0]["response"] == "utter_risk_menu"


def test_action_names_are_in_the_domain():
    import yaml

    from bot.core.knowledge import ROOT

    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert ActionRiskAdvice().name() in domain["actions"]
    assert ActionPhaseAdvice().name() in domain["actions"]
    assert {"utter_risk_advice", "utter_risk_menu"} <= set(domain["responses"])


@pytest.mark.parametrize(
    "text,intent,entities",
    [
        ("de stroom is uitgevallen", "ask_risk", [entity("risk", "stroomstoring")]),
        ("wat moet ik doen bij een ramp", "ask_risk", []),
    ],
)
async def test_action_kwargs_render_with_the_templates(text, intent, entities):
    """What the action sends must be enough for the NLG templates (strict: no undefined variables)."""
    from bot.texts.render import Renderer

    messages, _ = await run(ActionRiskAdvice(), make_tracker(text, intent, entities))
    renderer = Renderer(strict=True)
    for message in messages:
        kwargs = {
            k: v
            for k, v in message.items()
            if k not in ("response", "text", "buttons", "elements", "custom", "template", "image", "attachment")
        }
        out = renderer.render(message["response"], {"region": None, "slots": {}, **kwargs})
        assert out.text.strip()
        assert out.buttons, "both answers offer buttons (phase switch or risk menu)"
