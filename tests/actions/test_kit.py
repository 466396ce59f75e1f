"""Offline tests for the noodpakket actions (financial-demo style: Tracker.from_dict).

The validation action is run the way Rasa runs it inside the form; what the plan
action utters is rendered with the real template, so a test follows one message
from the tracker to the text the resident reads."""

from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.kit import ActionKitPlan, ActionKitStandardList, ValidateNoodpakketForm
from bot.texts.context import template_context
from bot.texts.render import Renderer
from tests.actions import helpers

FAMILY = {"adults": 2, "children": 2, "babies": 0, "pets": 0}


def make_tracker(
    text: str, intent: str = "inform_household", slots=None, requested=None, active=True, metadata=None
) -> Tracker:
    return helpers.make_tracker(
        text,
        intent,
        slots=slots,
        requested_slot=requested,
        metadata=metadata,
        active_loop="noodpakket_form" if active else None,
        confidence=0.9,
    )


async def validate(tracker):
    messages, events = await helpers.run(ValidateNoodpakketForm(), tracker)
    return helpers.slots_set(events), [m.get("response") for m in messages]


@pytest.fixture(scope="module")
def renderer():
    return Renderer(strict=True)


# --- validate_noodpakket_form ------------------------------------------------------------


async def test_one_message_fills_household_and_budget():
    slots, said = await validate(make_tracker("Ik wil een noodpakket. We zijn met 4 en hebben 30 euro", "ask_kit"))
    assert slots["kit_household"] == {"adults": 4, "children": 0, "babies": 0, "pets": 0}
    assert slots["kit_budget"] == 30.0
    assert slots.get("kit_needs") is None  # still to ask
    assert said == []


async def test_baby_and_medication_mentions_fill_needs():
    slots, _ = await validate(
        make_tracker("2 volwassenen en een baby, ik gebruik medicijnen", requested="kit_household")
    )
    assert slots["kit_household"]["babies"] == 1
    assert slots["kit_needs"] == ["medicijnen", "babyvoeding", "luiers"]


async def test_bare_number_is_a_budget_only_when_asked():
    slots, _ = await validate(
        make_tracker("twintig", "inform_budget", slots={"kit_household": FAMILY}, requested="kit_budget")
    )
    assert slots["kit_budget"] == 20.0
    slots, _ = await validate(make_tracker("twintig", "inform_budget", requested="kit_household"))
    assert "kit_budget" not in slots


@pytest.mark.parametrize(
    "text,intent", [("geen geld", "inform_budget"), ("weet ik niet", "inform_budget"), ("nee", "deny")]
)
async def test_no_money_gives_zero_budget(text, intent):
    slots, _ = await validate(make_tracker(text, intent, slots={"kit_household": FAMILY}, requested="kit_budget"))
    assert slots["kit_budget"] == 0.0


async def test_correction_while_asking_budget_updates_household_not_budget():
    slots, said = await validate(
        make_tracker("nee, drie kinderen", "inform_household", slots={"kit_household": FAMILY}, requested="kit_budget")
    )
    assert slots["kit_household"] == {"adults": 2, "children": 3, "babies": 0, "pets": 0}
    assert slots.get("kit_budget") is None
    assert said == []


async def test_correction_while_asking_needs_does_not_answer_needs():
    slots, _ = await validate(
        make_tracker(
            "nee, drie kinderen", "deny", slots={"kit_household": FAMILY, "kit_budget": 50.0}, requested="kit_needs"
        )
    )
    assert slots["kit_household"]["children"] == 3
    assert slots.get("kit_needs") is None


@pytest.mark.parametrize("text,intent", [("nee", "deny"), ("geen", "inform_needs"), ("/deny", "deny")])
async def test_no_needs(text, intent):
    slots, _ = await validate(
        make_tracker(text, intent, slots={"kit_household": FAMILY, "kit_budget": 50.0}, requested="kit_needs")
    )
    assert slots["kit_needs"] == []


async def test_unclear_answer_is_said_and_asked_again():
    slots, said = await validate(make_tracker("pannenkoek", "nlu_fallback", requested="kit_household"))
    assert slots == {"kit_household": None}
    assert said == ["utter_kit_household_unclear"]
    slots, said = await validate(
        make_tracker("een heleboel", "inform_budget", slots={"kit_household": FAMILY}, requested="kit_budget")
    )
    assert "kit_budget" in slots and slots["kit_budget"] is None
    assert said == ["utter_kit_budget_unclear"]


async def test_side_question_fills_nothing_so_the_form_steps_aside():
    slots, said = await validate(
        make_tracker(
            "wat moet ik doen bij een stroomstoring?",
            "ask_risk",
            slots={"kit_household": FAMILY},
            requested="kit_budget",
        )
    )
    assert slots == {}
    assert said == []


async def test_unclear_message_is_not_repeated_in_the_same_turn():
    tracker = make_tracker("pannenkoek", "nlu_fallback", requested="kit_household")
    tracker.events.append({"event": "slot", "name": "kit_household", "value": None})
    _, said = await validate(tracker)
    assert said == []


async def test_absurd_household_is_rejected():
    slots, _ = await validate(make_tracker("we zijn met 45 volwassenen en 20 kinderen", requested="kit_household"))
    assert slots.get("kit_household") is None


# --- action_kit_plan ---------------------------------------------------------------------


async def run_plan(slots, metadata=None):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("nee", "deny", slots=slots, active=False, metadata=metadata)
    events = await ActionKitPlan().run(dispatcher, tracker, helpers.DOMAIN)
    return dispatcher.messages, events


async def test_plan_for_family_on_fifty_euro(renderer):
    messages, events = await run_plan({"kit_household": FAMILY, "kit_budget": 50.0, "kit_needs": []})
    assert events == []
    assert len(messages) == 1 and messages[0]["response"] == "utter_kit_plan"
    plan = messages[0]["plan"]
    assert plan["water_liters"] == 36 and plan["total_cost_eur"] <= 50
    text = renderer.render("utter_kit_plan", template_context({}, None, {"plan": plan})).text
    assert "36 liter water" in text
    assert "/noodpakket/checklist#adults=2&children=2" in text


async def test_plan_uses_region_radio(renderer, monkeypatch):
    import bot.core.kit as kit_module

    monkeypatch.setattr(
        kit_module, "get_region", lambda code: {"code": code, "radio": {"name": "Omroep Zeeland", "fm": "87.9"}}
    )
    messages, _ = await run_plan(
        {"kit_household": {"adults": 1}, "kit_budget": 0.0, "kit_needs": []}, metadata={"region": "VR19"}
    )
    plan = messages[0]["plan"]
    assert plan["region"] == "VR19"
    text = renderer.render("utter_kit_plan", template_context({}, None, {"plan": plan})).text
    assert "Omroep Zeeland op FM 87.9" in text


async def test_plan_with_baby_pet_and_medication(renderer):
    messages, _ = await run_plan(
        {
            "kit_household": {"adults": 1, "children": 0, "babies": 1, "pets": 1},
            "kit_budget": 200.0,
            "kit_needs": ["medicijnen"],
        }
    )
    plan = messages[0]["plan"]
    ids = {i["id"] for i in plan["items"]}
    assert {"babyvoeding", "luiers", "dierenvoer", "pillendoos"} <= ids
    text = renderer.render("utter_kit_plan", template_context({}, None, {"plan": plan})).text
    assert "medicijnen" in text and "Babyvoeding" in text


async def test_plan_without_household_asks_again():
    messages, events = await run_plan({"kit_household": None, "kit_budget": 10.0})
    assert messages[0]["response"] == "utter_kit_household_unclear"
    assert {"event": "slot", "name": "kit_household", "value": None, "timestamp": None} in events


EARLIER_PLAN = {"kit_household": FAMILY, "kit_budget": 50.0, "kit_needs": ["medicijnen"]}


@pytest.mark.parametrize("active", [True, False])
async def test_new_request_drops_the_answers_of_an_earlier_plan(active):
    # Rasa runs the validation when the form starts (3.6 already marks it active then).
    slots, said = await validate(
        make_tracker("ik wil een noodpakket maken", "ask_kit", slots=EARLIER_PLAN, active=active)
    )
    assert slots == {"kit_household": None, "kit_budget": None, "kit_needs": None}
    assert said == []


async def test_new_request_keeps_only_what_it_says_itself():
    slots, said = await validate(
        make_tracker("noodpakket voor 3 volwassenen en een baby", "ask_kit", slots=EARLIER_PLAN, active=False)
    )
    assert slots["kit_household"] == {"adults": 3, "children": 0, "babies": 1, "pets": 0}
    assert slots["kit_budget"] is None
    assert slots["kit_needs"] == ["babyvoeding", "luiers"], "the earlier medication is not merged in"
    assert said == []


@pytest.mark.parametrize("requested", ["kit_household", "kit_budget", "kit_needs"])
async def test_noodpakket_request_inside_the_running_form_starts_over(requested):
    # Not "not understood", and not a rejected form (Rasa would fall back): the first question again.
    slots, said = await validate(
        make_tracker(
            "ik wil een noodpakket maken",
            "ask_kit",
            slots={"kit_household": FAMILY, "kit_budget": 20.0},
            requested=requested,
        )
    )
    assert slots == {"kit_household": None, "kit_budget": None, "kit_needs": None}
    assert said == []


@pytest.mark.parametrize(
    "name",
    [
        "utter_ask_kit_household",
        "utter_ask_kit_budget",
        "utter_ask_kit_needs",
        "utter_kit_household_unclear",
        "utter_kit_budget_unclear",
    ],
)
def test_question_templates_render(renderer, name):
    rendered = renderer.render(name, template_context({}, None))
    assert rendered.text and "?" in rendered.text or "begreep" in rendered.text


async def test_side_question_about_children_does_not_change_household():
    slots, said = await validate(
        make_tracker(
            "wat doe ik met mijn 2 kinderen bij storm?",
            "ask_risk",
            slots={"kit_household": FAMILY},
            requested="kit_budget",
        )
    )
    assert slots == {} and said == []


async def test_request_naming_only_a_baby_still_asks_the_household():
    slots, said = await validate(make_tracker("noodpakket met een baby", "ask_kit"))
    assert slots.get("kit_household") is None
    assert slots["kit_needs"] == ["babyvoeding", "luiers"]
    assert said == []


# --- issue 17: the standard list first, then the button starts the form ---------------------


async def _standard_list(text: str, slots=None):
    tracker = make_tracker(text, "ask_kit", slots=slots, active=False)
    messages, events = await helpers.run(ActionKitStandardList(), tracker)
    return [m.get("response") for m in messages], helpers.slots_set(events)


async def test_standard_list_keeps_the_details_of_the_question():
    said, slots = await _standard_list("Ik wil een noodpakket. We zijn met 4 en hebben 30 euro")
    assert said == ["utter_kit_standard_list"]
    assert slots == {
        "kit_household": {"adults": 4, "children": 0, "babies": 0, "pets": 0},
        "kit_budget": 30.0,
        "kit_needs": None,
    }


async def test_standard_list_clears_an_earlier_plan_when_the_question_says_nothing():
    old = {"kit_household": FAMILY, "kit_budget": 50.0, "kit_needs": ["medicijnen"]}
    said, slots = await _standard_list("wat moet er in een noodpakket?", slots=old)
    assert said == ["utter_kit_standard_list"]
    assert slots == {"kit_household": None, "kit_budget": None, "kit_needs": None}


async def test_standard_list_reads_named_needs():
    _, slots = await _standard_list("noodpakket voor mij en mijn baby, ik gebruik insuline")
    assert "medicijnen" in slots["kit_needs"]


async def test_the_button_keeps_what_the_list_action_set():
    kept = {"kit_household": {"adults": 4, "children": 0, "babies": 0, "pets": 0}, "kit_budget": 30.0}
    slots, said = await validate(make_tracker("/start_kit_plan", "start_kit_plan", slots=kept))
    assert slots == {} and said == []  # nothing overwritten, nothing "not understood"
