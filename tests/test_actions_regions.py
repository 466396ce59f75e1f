"""Offline tests for the region actions (financial-demo style: Tracker.from_dict)."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.regions import ActionRegionInfo, ValidateRegionForm

DOMAIN = {
    "forms": {"region_form": {"required_slots": ["gemeente"]}},
    "slots": {
        "gemeente": {"type": "text", "mappings": [{"type": "custom", "action": "validate_region_form"}]},
        "region": {"type": "text", "mappings": [{"type": "custom"}]},
    },
}


def make_tracker(text, intent, entities=None, slots=None, form_active=False, events=None, metadata=None,
                 by_form=False):
    """by_form: the form runs the validation (Rasa then sets latest_action_name to the form)."""
    slots = {"gemeente": None, "region": None, "requested_slot": None, **(slots or {})}
    if form_active:
        slots["requested_slot"] = slots["requested_slot"] or "gemeente"
    user_event = {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}
    return Tracker.from_dict({
        "sender_id": "test",
        "slots": slots,
        "latest_message": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.95},
            "entities": entities or [],
            "metadata": metadata or {},
        },
        "events": [user_event, *(events or [])],
        "paused": False,
        "followup_action": None,
        "active_loop": {"name": "region_form"} if form_active else {},
        "latest_action_name": "region_form" if by_form else "action_listen",
    })


def gemeente(value):
    return {"entity": "gemeente", "value": value, "start": 0, "end": len(value)}


async def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    return dispatcher.messages, events


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- validate_region_form ----------------------------------------------------------

async def test_form_answer_sets_gemeente_and_region_and_ends_the_form():
    tracker = make_tracker("ik woon in Middelburg", "inform_gemeente", [gemeente("Middelburg")], form_active=True,
                           by_form=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    slots = slots_of(events)
    assert slots["gemeente"] == "Middelburg (Z.)"
    assert slots["region"] == "VR19"
    assert slots["requested_slot"] is None  # nothing left to ask


@pytest.mark.parametrize("text,intent,expected_gemeente,expected_region", [
    ("Zierikzee", "nlu_fallback", "Schouwen-Duiveland", "VR19"),
    ("den haag", "affirm", "'s-Gravenhage", "VR15"),
    ("Sudwest Fryslan", "nlu_fallback", "Súdwest-Fryslân", "VR02"),
    ("ik woon in bergen op zoom", "inform_gemeente", "Bergen op Zoom", "VR20"),
])
async def test_form_answer_without_entity_is_read_from_text(text, intent, expected_gemeente, expected_region):
    tracker = make_tracker(text, intent, form_active=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert slots_of(events)["gemeente"] == expected_gemeente
    assert slots_of(events)["region"] == expected_region


async def test_button_payload_with_candidate_name_resolves():
    tracker = make_tracker('/inform_gemeente{"gemeente":"Bergen (Limburg)"}', "inform_gemeente",
                           [gemeente("Bergen (Limburg)")], form_active=True)
    _, events = await run(ValidateRegionForm(), tracker)
    assert slots_of(events)["gemeente"] == "Bergen (L.)"
    assert slots_of(events)["region"] == "VR23"


async def test_typo_gets_suggestions_and_no_region():
    tracker = make_tracker("Amsterdma", "inform_gemeente", [gemeente("Amsterdma")], form_active=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert [m["response"] for m in messages] == ["utter_gemeente_unknown"]
    assert messages[0]["suggestions"][0] == "Amsterdam"
    slots = slots_of(events)
    assert slots["gemeente"] is None
    assert "region" not in slots
    assert "requested_slot" not in slots  # the form asks again by itself


async def test_bergen_alone_asks_which_one():
    tracker = make_tracker("Bergen", "inform_gemeente", [gemeente("Bergen")], form_active=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert [m["response"] for m in messages] == ["utter_gemeente_ambiguous"]
    assert sorted(messages[0]["candidates"]) == ["Bergen (Limburg)", "Bergen (Noord-Holland)"]
    assert slots_of(events)["gemeente"] is None
    assert "region" not in slots_of(events)


async def test_second_call_in_the_same_turn_does_not_repeat_the_message():
    # Rasa runs the validation action from action_extract_slots and again in the form.
    already = [{"event": "slot", "name": "gemeente", "value": None}]
    tracker = make_tracker("Amsterdma", "inform_gemeente", [gemeente("Amsterdma")], form_active=True, events=already)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert "region" not in slots_of(events)


@pytest.mark.parametrize("intent,text", [
    ("bot_challenge", "ben jij een robot"),
    ("ask_kit", "wat moet er in een noodpakket"),
    ("emergency", "er is brand"),
    ("deny", "nee"),
])
async def test_digressions_in_the_form_are_not_read_as_a_gemeente(intent, text):
    tracker = make_tracker(text, intent, form_active=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert "gemeente" not in slots_of(events) and "region" not in slots_of(events)


async def test_after_every_message_it_never_touches_requested_slot():
    # Called by action_extract_slots (latest action: action_listen) while another form is active.
    tracker = make_tracker("ik woon in Zwolle", "inform_gemeente", [gemeente("Zwolle")],
                           slots={"region": "VR09", "requested_slot": "kit_budget"})
    _, events = await run(ValidateRegionForm(), tracker)
    assert slots_of(events)["region"] == "VR04"
    assert "requested_slot" not in slots_of(events)


async def test_exact_name_misread_as_small_talk_still_counts_in_the_form():
    tracker = make_tracker("Best", "thank", form_active=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert slots_of(events)["region"] == "VR22"


async def test_misspelt_name_read_as_out_of_scope_gets_suggestions_in_the_form():
    tracker = make_tracker("Groningn", "out_of_scope", form_active=True)
    messages, _ = await run(ValidateRegionForm(), tracker)
    assert messages[0]["response"] == "utter_gemeente_unknown"
    assert messages[0]["suggestions"][0] == "Groningen"


async def test_unrelated_message_outside_the_form_changes_nothing():
    tracker = make_tracker("hallo", "greet", slots={"region": "VR09"})
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert "gemeente" not in slots_of(events) and "region" not in slots_of(events)


async def test_naming_a_gemeente_outside_the_form_updates_the_region():
    tracker = make_tracker("ik woon nu in Zwolle", "inform_gemeente", [gemeente("Zwolle")], slots={"region": "VR09"})
    _, events = await run(ValidateRegionForm(), tracker)
    assert slots_of(events) == {"gemeente": "Zwolle", "region": "VR04"}


async def test_known_region_means_the_form_asks_nothing():
    tracker = make_tracker("waar vind ik info over mijn regio", "ask_region", slots={"region": "VR09"}, by_form=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert slots_of(events) == {"requested_slot": None}


async def test_unknown_region_means_the_form_asks():
    tracker = make_tracker("waar vind ik info over mijn regio", "ask_region", by_form=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert "requested_slot" not in slots_of(events)  # Rasa requests `gemeente` itself


async def test_known_region_but_unknown_new_name_asks_again():
    tracker = make_tracker("ik woon in Xyzzyland", "inform_gemeente", [gemeente("Xyzzyland")], slots={"region": "VR09"},
                           by_form=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert [m["response"] for m in messages] == ["utter_gemeente_unknown"]
    assert slots_of(events)["gemeente"] is None
    assert "requested_slot" not in slots_of(events)


async def test_validate_gemeente_rejects_a_stale_value():
    form = ValidateRegionForm()
    tracker = make_tracker("x", "inform_gemeente")
    assert form.validate_gemeente("Niet Bestaand", CollectingDispatcher(), tracker, DOMAIN) == {"gemeente": None}
    assert form.validate_gemeente(None, CollectingDispatcher(), tracker, DOMAIN) == {"gemeente": None}
    assert form.validate_gemeente("Den Haag", CollectingDispatcher(), tracker, DOMAIN) == {
        "gemeente": "'s-Gravenhage", "region": "VR15"}


# --- action_region_info ------------------------------------------------------------

async def test_region_info_uses_the_remembered_region_and_gemeente():
    tracker = make_tracker("ik woon in Middelburg", "inform_gemeente",
                           slots={"region": "VR19", "gemeente": "Middelburg (Z.)"})
    messages, events = await run(ActionRegionInfo(), tracker)
    assert len(messages) == 1
    message = messages[0]
    assert message["response"] == "utter_region_info"
    assert message["region"]["code"] == "VR19"
    assert message["region"]["radio"]["fm"] == "87.9"
    assert message["gemeente"] == "Middelburg"
    assert message["place"] is None
    assert "channels" not in message["region"]  # national channels come from the template context
    assert events == []


async def test_region_info_names_the_place_the_resident_typed():
    tracker = make_tracker("ik woon in Scheveningen", "inform_gemeente",
                           slots={"region": "VR15", "gemeente": "'s-Gravenhage"})
    messages, _ = await run(ActionRegionInfo(), tracker)
    assert messages[0]["place"] == "Scheveningen"
    assert messages[0]["gemeente"] == "Den Haag"


async def test_region_info_from_widget_metadata_is_remembered():
    tracker = make_tracker("wat is de rampenzender", "ask_region", metadata={"region": "VR04"})
    messages, events = await run(ActionRegionInfo(), tracker)
    assert messages[0]["region"]["code"] == "VR04"
    assert messages[0]["gemeente"] is None
    assert slots_of(events) == {"region": "VR04"}


async def test_region_info_ignores_a_gemeente_from_another_region():
    # The widget region wins over nothing; a stale gemeente from elsewhere is not named.
    tracker = make_tracker("rampenzender", "ask_region", slots={"region": "VR04", "gemeente": "Utrecht"})
    messages, _ = await run(ActionRegionInfo(), tracker)
    assert messages[0]["region"]["code"] == "VR04"
    assert messages[0]["gemeente"] is None


async def test_region_info_without_region_asks_for_the_gemeente():
    tracker = make_tracker("regio", "ask_region")
    messages, events = await run(ActionRegionInfo(), tracker)
    assert [m["response"] for m in messages] == ["utter_ask_gemeente"]
    assert events == []


async def test_region_info_ignores_a_bad_region_value():
    tracker = make_tracker("regio", "ask_region", slots={"region": "VR99"}, metadata={"region": "../x"})
    messages, _ = await run(ActionRegionInfo(), tracker)
    assert [m["response"] for m in messages] == ["utter_ask_gemeente"]
