"""Offline tests for the region actions (financial-demo style: Tracker.from_dict).

The domain fills `gemeente` with the raw entity value (from_entity) or, while
the form asks, the raw text (from_text). Rasa then runs validate_region_form
with a tracker whose latest action is the form and whose events after the
user message hold that SlotSet; make_tracker builds exactly that.
"""

from __future__ import annotations

import pytest
from rasa_sdk import ActionExecutionRejection

from actions.regions import ActionRegionInfo, ValidateRegionForm
from tests.actions import helpers


def make_tracker(
    text, intent, entities=None, slots=None, filled=None, form_active=False, metadata=None, latest_action="region_form"
):
    """filled: raw value the domain mapping put into `gemeente` for this message."""
    slots = dict(slots or {})
    extra_events = []
    if filled is not None:
        slots["gemeente"] = filled
        extra_events.append({"event": "slot", "name": "gemeente", "value": filled})
    return helpers.make_tracker(
        text,
        intent,
        entities=entities,
        slots=slots,
        metadata=metadata,
        extra_events=extra_events,
        active_loop="region_form" if form_active else None,
        requested_slot="gemeente" if form_active else None,
        latest_action=latest_action,
    )


def gemeente(value):
    return {"entity": "gemeente", "value": value, "start": 0, "end": len(value)}


async def run(action, tracker):
    return await helpers.run(action, tracker)


def slots_of(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- validate_region_form: answers -----------------------------------------------


async def test_form_answer_sets_official_name_and_region_and_ends_the_form():
    tracker = make_tracker(
        "ik woon in Middelburg", "inform_gemeente", [gemeente("Middelburg")], filled="Middelburg", form_active=True
    )
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert slots_of(events) == {"gemeente": "Middelburg (Z.)", "region": "VR19", "requested_slot": None}


@pytest.mark.parametrize(
    "text,intent,expected_gemeente,expected_region",
    [
        ("Zierikzee", "nlu_fallback", "Schouwen-Duiveland", "VR19"),
        ("den haag", "out_of_scope", "'s-Gravenhage", "VR15"),
        ("Sudwest Fryslan", "nlu_fallback", "Súdwest-Fryslân", "VR02"),
        ("ik woon in bergen op zoom hoor", "inform_gemeente", "Bergen op Zoom", "VR20"),
    ],
)
async def test_free_text_answer_is_resolved(text, intent, expected_gemeente, expected_region):
    tracker = make_tracker(text, intent, filled=text, form_active=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert slots_of(events)["gemeente"] == expected_gemeente
    assert slots_of(events)["region"] == expected_region


async def test_button_payload_with_candidate_name_resolves():
    tracker = make_tracker(
        '/inform_gemeente{"gemeente":"Bergen (Limburg)"}',
        "inform_gemeente",
        [gemeente("Bergen (Limburg)")],
        filled="Bergen (Limburg)",
        form_active=True,
    )
    _, events = await run(ValidateRegionForm(), tracker)
    assert slots_of(events)["gemeente"] == "Bergen (L.)"
    assert slots_of(events)["region"] == "VR23"


async def test_typo_gets_suggestions_and_no_region():
    tracker = make_tracker(
        "Amsterdma", "inform_gemeente", [gemeente("amsterdma")], filled="amsterdma", form_active=True
    )
    messages, events = await run(ValidateRegionForm(), tracker)
    assert [m["response"] for m in messages] == ["utter_gemeente_unknown"]
    assert messages[0]["suggestions"][0] == "Amsterdam"
    slots = slots_of(events)
    assert slots["gemeente"] is None
    assert "region" not in slots
    assert "requested_slot" not in slots  # Rasa asks for the gemeente again


async def test_typo_inside_a_sentence_gets_suggestions_for_the_name_only():
    text = "ik woon in amsterdma"
    tracker = make_tracker(text, "inform_gemeente", filled=text, form_active=True)
    messages, _ = await run(ValidateRegionForm(), tracker)
    assert messages[0]["suggestions"] == ["Amsterdam"]


async def test_bergen_alone_asks_which_one():
    tracker = make_tracker("Bergen", "inform_gemeente", [gemeente("Bergen")], filled="Bergen", form_active=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert [m["response"] for m in messages] == ["utter_gemeente_ambiguous"]
    assert sorted(messages[0]["candidates"]) == ["Bergen (Limburg)", "Bergen (Noord-Holland)"]
    assert slots_of(events)["gemeente"] is None
    assert "region" not in slots_of(events)


async def test_misspelt_name_read_as_out_of_scope_gets_suggestions():
    tracker = make_tracker("Groningn", "out_of_scope", filled="Groningn", form_active=True)
    messages, _ = await run(ValidateRegionForm(), tracker)
    assert messages[0]["response"] == "utter_gemeente_unknown"
    assert messages[0]["suggestions"][0] == "Groningen"


async def test_long_unknown_sentence_gets_no_random_suggestions():
    text = "dat weet ik eigenlijk niet zo goed eerlijk gezegd"
    tracker = make_tracker(text, "out_of_scope", filled=text, form_active=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages[0]["response"] == "utter_gemeente_unknown"
    assert messages[0]["suggestions"] == []
    assert slots_of(events)["gemeente"] is None


# --- validate_region_form: digressions ----------------------------------------------


@pytest.mark.parametrize(
    "intent,text",
    [
        ("bot_challenge", "ben jij een robot"),
        ("ask_kit", "wat moet er in een noodpakket"),
        ("deny", "nee laat maar"),
        ("greet", "hallo"),
    ],
)
async def test_digressions_in_the_form_are_rejected_not_read_as_a_place(intent, text):
    tracker = make_tracker(text, intent, filled=text, form_active=True)
    with pytest.raises(ActionExecutionRejection):
        await run(ValidateRegionForm(), tracker)


async def test_exact_name_misread_as_small_talk_still_counts():
    tracker = make_tracker("Best", "thank", filled="Best", form_active=True)
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert slots_of(events)["region"] == "VR22"


# --- validate_region_form: asking or not ---------------------------------------------


async def test_activation_with_a_gemeente_entity_resolves_it():
    # "ik woon in Den Haag" outside the form: from_entity filled the raw value.
    tracker = make_tracker("ik woon in Den Haag", "inform_gemeente", [gemeente("Den Haag")], filled="Den Haag")
    _, events = await run(ValidateRegionForm(), tracker)
    assert slots_of(events) == {"gemeente": "'s-Gravenhage", "region": "VR15", "requested_slot": None}


async def test_question_with_gemeente_is_not_rejected():
    text = "welke veiligheidsregio hoort bij Almere"
    tracker = make_tracker(text, "ask_region", [gemeente("Almere")], filled="Almere")
    _, events = await run(ValidateRegionForm(), tracker)
    assert slots_of(events)["region"] == "VR25"


async def test_new_gemeente_replaces_the_known_region():
    tracker = make_tracker(
        "ik woon nu in Zwolle", "inform_gemeente", [gemeente("Zwolle")], filled="Zwolle", slots={"region": "VR09"}
    )
    _, events = await run(ValidateRegionForm(), tracker)
    assert slots_of(events) == {"gemeente": "Zwolle", "region": "VR04", "requested_slot": None}


async def test_known_region_means_the_form_asks_nothing():
    tracker = make_tracker("waar vind ik info over mijn regio", "ask_region", slots={"region": "VR09"})
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert slots_of(events) == {"requested_slot": None}


async def test_unknown_region_means_the_form_asks():
    tracker = make_tracker("waar vind ik info over mijn regio", "ask_region")
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert slots_of(events) == {}  # Rasa requests `gemeente` itself


async def test_known_region_but_unknown_new_name_asks_again():
    tracker = make_tracker(
        "ik woon in Xyzzyland", "inform_gemeente", [gemeente("Xyzzyland")], filled="Xyzzyland", slots={"region": "VR09"}
    )
    messages, events = await run(ValidateRegionForm(), tracker)
    assert [m["response"] for m in messages] == ["utter_gemeente_unknown"]
    assert slots_of(events) == {"gemeente": None}


async def test_earlier_unresolved_entity_is_used_quietly():
    # The gemeente entity came with an earlier risk question; now the region is asked.
    tracker = make_tracker("wat is mijn veiligheidsregio", "ask_region", slots={"gemeente": "zwolle"})
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert slots_of(events) == {"gemeente": "Zwolle", "region": "VR04", "requested_slot": None}


async def test_earlier_unknown_entity_is_forgotten_quietly():
    tracker = make_tracker("wat is mijn veiligheidsregio", "ask_region", slots={"gemeente": "xyzzy"})
    messages, events = await run(ValidateRegionForm(), tracker)
    assert messages == []
    assert slots_of(events) == {"gemeente": None}


# --- action_region_info ------------------------------------------------------------


async def test_region_info_uses_the_remembered_region_and_gemeente():
    tracker = make_tracker(
        "ik woon in Middelburg", "inform_gemeente", slots={"region": "VR19", "gemeente": "Middelburg (Z.)"}
    )
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
    tracker = make_tracker(
        "ik woon in Scheveningen", "inform_gemeente", slots={"region": "VR15", "gemeente": "'s-Gravenhage"}
    )
    messages, _ = await run(ActionRegionInfo(), tracker)
    assert messages[0]["place"] == "Scheveningen"
    assert messages[0]["gemeente"] == "Den Haag"


async def test_region_info_from_widget_metadata_is_remembered():
    tracker = make_tracker("wat is de rampenzender", "ask_region", metadata={"region": "VR04"})
    messages, events = await run(ActionRegionInfo(), tracker)
    assert messages[0]["region"]["code"] == "VR04"
    assert messages[0]["gemeente"] is None
    assert slots_of(events) == {"region": "VR04"}


async def test_region_info_does_not_name_a_gemeente_from_another_region():
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
