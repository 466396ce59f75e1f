"""Offline tests for the core actions and core templates (financial-demo style).

Actions run against Tracker.from_dict fixtures; what they utter is then rendered
with the real templates, so the test follows one message from tracker to text.
"""

from __future__ import annotations

import pytest

from actions.core import ActionEmergency, ActionFallback
from bot.texts import readability as rb
from bot.texts.context import template_context
from bot.texts.render import Renderer, split_bubbles

CORE_TEMPLATES = [
    "utter_greet",
    "utter_goodbye",
    "utter_thank",
    "utter_bot_challenge",
    "utter_capabilities",
    "utter_out_of_scope",
    "utter_fallback",
    "utter_emergency",
    "utter_affirm",
    "utter_deny",
    "utter_continue_form",
]
DANGER_KINDS = [
    "fire",
    "natuurbrand",
    "medical",
    "drowning",
    "car_water",
    "water",
    "gas",
    "chemical",
    "attack",
    "violence",
    "storm",
    "earthquake",
    "heat",
    "general",
    None,
]


from tests.actions.helpers import entity, make_tracker, run  # noqa: E402


def slots_of(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture(scope="module")
def renderer():
    return Renderer(strict=True)


def render_message(renderer, message, region=None, slots=None):
    """Render an uttered message the way the NLG endpoint does."""
    arguments = {k: v for k, v in message.items() if k not in ("response", "template") and v is not None}
    # Rasa passes every utter_message kwarg on, including None values.
    arguments.update({k: v for k, v in message.items() if k in ("danger", "risk")})
    context = template_context(slots or {}, region, arguments)
    return renderer.render(message["response"], context, region)


# --- action_emergency -----------------------------------------------------------


@pytest.mark.parametrize(
    "text,entities,kind,risk_key",
    [
        ("help de keuken staat in brand", [], "fire", "brand"),
        # The safety net knows smoke in a house is a fire, even if the NLU tagged "rook"
        # as the chemical-plume risk.
        ("er is rook in de woonkamer", [entity("risk", "gevaarlijke_stoffen")], "fire", "brand"),
        ("het water komt ons huis binnen", [], "water", "overstroming"),
        ("er hangt een gifwolk boven de wijk", [], "chemical", "gevaarlijke_stoffen"),
        # Gas indoors: no risk advice (chemical advice says stay in, gas says get out).
        ("ik ruik gas in de keuken", [], "gas", None),
        ("mijn moeder ademt niet", [], "medical", None),
        # Wording the safety net does not know: the NLU entity still gives the risk.
        ("het stormt en ons dak gaat eraf", [entity("risk", "storm")], None, "storm"),
        # An entity value that is a synonym, not a key.
        ("de woningbrand is enorm", [entity("risk", "woningbrand")], None, "brand"),
        ("er is iets heel ergs aan de hand", [], None, None),
    ],
)
async def test_emergency_picks_kind_and_risk(text, entities, kind, risk_key):
    messages, events = await run(ActionEmergency(), make_tracker(text, entities=entities))
    assert len(messages) == 1
    message = messages[0]
    assert message["response"] == "utter_emergency"
    assert message["danger"] == kind
    if risk_key:
        assert message["risk"]["key"] == risk_key
        assert message["risk"]["tijdens"], "the template needs the during-advice"
        assert set(message["risk"]) == {"key", "title", "tijdens"}
        assert slots_of(events) == {"risk": risk_key}
    else:
        assert message["risk"] is None
        assert slots_of(events) == {}


@pytest.mark.parametrize(
    "text,entities",
    [
        ("help de keuken staat in brand", []),
        ("ik ruik gas in de keuken", []),
        ("mijn moeder ademt niet", []),
        ("het stormt en ons dak gaat eraf", [entity("risk", "storm")]),
        ("er is iets heel ergs aan de hand", []),
        ("", []),
    ],
)
@pytest.mark.parametrize("region", [None, "VR19"])
async def test_emergency_text_starts_with_bel_112(renderer, text, entities, region):
    messages, _ = await run(ActionEmergency(), make_tracker(text, entities=entities))
    rendered = render_message(renderer, messages[0], region)
    first_line = rendered.text.splitlines()[0]
    assert first_line.startswith("Bel 112"), first_line
    assert 2 <= len(split_bubbles(rendered.text)) <= 3


async def test_emergency_fire_tells_to_get_out_before_calling(renderer):
    messages, _ = await run(ActionEmergency(), make_tracker("er is brand in de flat"))
    text = render_message(renderer, messages[0]).text
    assert text.splitlines()[0] == "Bel 112 zodra je buiten bent. Ga nu eerst naar buiten."
    # The fire advice lines come from data/knowledge/risks.yml via the action.
    from bot.core.risks import get_risk

    assert get_risk("brand")["tijdens"][0] in text


async def test_emergency_violence_gives_non_urgent_police_number(renderer):
    messages, _ = await run(ActionEmergency(), make_tracker("er zijn inbrekers in ons huis"))
    text = render_message(renderer, messages[0]).text
    from bot.core.regions import national_channels

    assert national_channels()["politie"]["number"] in text


# --- action_fallback ------------------------------------------------------------


async def test_fallback_asks_again(renderer):
    messages, events = await run(ActionFallback(), make_tracker("xyzzy plof", intent="nlu_fallback"))
    assert [m["response"] for m in messages] == ["utter_fallback"]
    assert events == []
    rendered = render_message(renderer, messages[0])
    assert "112" in rendered.text
    assert rendered.buttons


async def test_fallback_still_catches_acute_danger(renderer):
    tracker = make_tracker("mn opa reageert nergens meer op en ademd niet", intent="nlu_fallback")
    messages, _ = await run(ActionFallback(), tracker)
    assert [m["response"] for m in messages] == ["utter_emergency"]
    assert render_message(renderer, messages[0]).text.startswith("Bel 112")


# --- core templates -------------------------------------------------------------


def core_contexts():
    notice = {
        "title": "Grote brand in Vlissingen",
        "text": "Houd ramen en deuren dicht.",
        "url": "https://crisis.nl",
        "expires_at": "2026-11-28T18:00",
    }
    yield "plain", None, {}
    yield "region", "VR19", {}
    yield "notice", "VR19", {"notice": notice}


@pytest.mark.parametrize("name", CORE_TEMPLATES)
@pytest.mark.parametrize("label,region,extra", list(core_contexts()))
def test_core_templates_render_b1(renderer, name, label, region, extra):
    context = template_context({}, region, {"danger": None, "risk": None})
    context.update(extra)
    rendered = renderer.render(name, context, region)
    assert rendered.text.strip()
    for bubble in split_bubbles(rendered.text):
        assert len(bubble) <= 400, f"{name}: bubble too long for a chat"
    assert rb.words_per_sentence(rendered.text) <= rb.MAX_WORDS_PER_SENTENCE, name
    assert rb.flesch_douma(rendered.text) >= rb.MIN_FLESCH_DOUMA, name
    assert rb.hard_sentences(rendered.text) == [], name
    for button in rendered.buttons:
        assert button["payload"].startswith("/"), button


@pytest.mark.parametrize("kind", DANGER_KINDS)
def test_emergency_template_for_every_danger_kind(renderer, kind):
    from bot.core import safety
    from bot.core.knowledge import load_yaml
    from bot.core.risks import get_risk

    rule = next((d for d in load_yaml(safety.PHRASES_FILE)["dangers"] if d["kind"] == kind), None)
    risk = get_risk(rule["risk"]) if rule and rule.get("risk") else None
    if kind is not None:
        assert rule is not None, f"{kind} is not a danger kind in the phrase file"
    context = template_context({}, None, {"danger": kind, "risk": risk})
    text = renderer.render("utter_emergency", context).text
    assert text.startswith("Bel 112")
    assert rb.words_per_sentence(text) <= rb.MAX_WORDS_PER_SENTENCE
    assert rb.hard_sentences(text) == []


def test_every_danger_kind_in_the_data_is_covered_by_the_tests():
    from bot.core import safety
    from bot.core.knowledge import load_yaml

    kinds = {d["kind"] for d in load_yaml(safety.PHRASES_FILE)["dangers"]}
    assert kinds == set(DANGER_KINDS) - {None}


def test_greet_puts_an_active_notice_first(renderer):
    context = template_context({}, "VR19", {})
    context["notice"] = {"title": "Stroomstoring in Middelburg", "text": "", "url": "", "expires_at": ""}
    rendered = renderer.render("utter_greet", context, "VR19")
    assert rendered.text.splitlines()[0] == "Let op: Stroomstoring in Middelburg"
    assert "Zeeland" in rendered.text
    assert {b["payload"] for b in rendered.buttons} >= {"/ask_kit", '/ask_risk{"risk":"stroomstoring"}', "/ask_region"}


def test_greet_without_region_or_notice(renderer):
    rendered = renderer.render("utter_greet", template_context({}, None, {}))
    assert rendered.text.startswith("Hoi! Ik ben Noodwijzer.")
    assert "regio" not in rendered.text.splitlines()[0]
