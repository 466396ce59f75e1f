"""Smaller bodies for action and NLG calls.

Rasa: every action call carries the whole conversation (all events) and the
domain; every NLG call carries all events too. Both build the tracker state
with tracker.current_state(), which deep-copies the active form's state with
dataclasses.asdict (down to every value of the message that started it).

Patch:
- NLG calls carry the tracker state without the event list
  (bot/nlg/server.py reads only slots and the latest message);
- action calls carry the current turn's events (from the latest user message
  on; all events when there is none yet): our actions and rasa_sdk's form
  validation only read those. With selective domain (endpoints.yml) the
  domain goes only to the actions that ask for it (the form validators);
- the tracker state is built from the same values without the deep copy.

Same decisions: the action server and NLG endpoint read the same values as
before (tests compare the state with Rasa's current_state and the events with
the tail of Rasa's full list); the stack and story tests pass either way.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Text

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg import callback
from rasa.shared.core.events import UserUttered

from bot_rasa.patches._switch import Replacement, Switch

NAME = "lean_requests"
SUMMARY = "action calls with the current turn's events only (domain only for validators), NLG calls without events, no deep copy of the active form"


def tracker_state(tracker: Any) -> Dict[Text, Any]:
    """tracker.current_state(EventVerbosity.NONE), without copying the active loop.

    The state is only encoded as JSON for the action server or the NLG
    endpoint, so the same values without a copy give the same body.
    """
    loop = tracker.active_loop
    events = tracker.events
    return {
        "sender_id": tracker.sender_id,
        "slots": tracker.current_slot_values(),
        "latest_message": tracker._latest_message_data(),
        "latest_event_time": events[-1].timestamp if len(events) > 0 else None,
        "followup_action": tracker.followup_action,
        "paused": tracker.is_paused(),
        "events": None,
        "latest_input_channel": tracker.get_latest_input_channel(),
        "active_loop": {field.name: getattr(loop, field.name) for field in dataclasses.fields(loop)} if loop else {},
        "latest_action": tracker.latest_action,
        "latest_action_name": tracker.latest_action_name,
    }


def turn_events(tracker: Any) -> List[Any]:
    """The current turn: events from the latest user message on (all when none)."""
    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return events[index:]
    return events


def lean_nlg_request_format(utter_action: Text, tracker: Any, output_channel: Text, **kwargs: Any) -> Dict[Text, Any]:
    """Same body as rasa.core.nlg.callback.nlg_request_format, minus the events."""
    response_id = kwargs.pop("response_id", None)
    return {
        "response": utter_action,
        "id": response_id,
        "arguments": kwargs,
        "tracker": tracker_state(tracker),
        "channel": {"name": output_channel},
    }


def lean_action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> Dict[Text, Any]:
    """RemoteAction._action_call_format with only the current turn's events."""
    state = tracker_state(tracker)
    state["events"] = [event.as_dict() for event in turn_events(tracker)]
    result = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state, "version": rasa.__version__}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


def _replacements() -> List[Replacement]:
    return [
        Replacement(callback, "nlg_request_format", lean_nlg_request_format),
        Replacement(RemoteAction, "_action_call_format", lean_action_call_format),
    ]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
