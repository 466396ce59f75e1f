"""The cached action-result validator accepts and rejects exactly what Rasa's does."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

import bot_rasa  # noqa: F401  (applies the patch)
from bot_rasa.speedups import _validate_action_result

GOOD = {"events": [{"event": "slot", "name": "risk", "value": "storm"}], "responses": [{"response": "utter_greet"}]}
BAD = [
    {"events": [{"event": "slot", "name": 3}], "responses": []},
    {"events": "nope"},
    {"responses": ["not an object"]},
]


def test_patch_is_applied():
    assert RemoteAction._validate_action_result is _validate_action_result


def test_accepts_valid_reply():
    action = RemoteAction("action_x", None)
    assert action._validate_action_result(GOOD) is True


@pytest.mark.parametrize("reply", BAD)
def test_rejects_what_jsonschema_rejects(reply):
    with pytest.raises(ValidationError):
        validate(reply, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as exc:
        RemoteAction("action_x", None)._validate_action_result(reply)
    assert "Failed to validate Action server response" in exc.value.message


def test_nlg_validation_still_rejects_bad_replies():
    from rasa.core.nlg.callback import CallbackNaturalLanguageGenerator
    from rasa.shared.exceptions import RasaException

    assert CallbackNaturalLanguageGenerator.validate_response({"text": "hoi", "buttons": []}) is True
    assert CallbackNaturalLanguageGenerator.validate_response(None) is True
    with pytest.raises(RasaException):
        CallbackNaturalLanguageGenerator.validate_response({"text": 5})


def test_nlg_request_has_slots_and_latest_message_but_no_events():
    from rasa.core.nlg import callback
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.slots import TextSlot
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events(
        "s1",
        [UserUttered("hallo", metadata={"region": "VR19"}), SlotSet("region", "VR19")],
        slots=[TextSlot("region", mappings=[{}])],
    )
    body = callback.nlg_request_format("utter_greet", tracker, "rest", risk_key="storm")
    assert body["response"] == "utter_greet"
    assert body["arguments"] == {"risk_key": "storm"}
    assert body["tracker"]["slots"]["region"] == "VR19"
    assert body["tracker"]["latest_message"]["metadata"] == {"region": "VR19"}
    assert "events" not in body["tracker"] or not body["tracker"]["events"]
