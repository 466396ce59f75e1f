"""A form coming back after a digression is not validated twice with the same inputs.

Rasa: when a form comes back after a digression ("bedankt" while the form
asks something), FormAction._validate_if_required calls the form's
validation action again, although nothing new came in since its first call
for this message (one action-server call per such turn).

Patch: FormAction.validate_slots notes on the message what its validation
said (form, got values?, answered events?). When the form comes back and,
earlier in this turn, the validation of this same message got no values,
answered nothing at all, so the form was rejected, and no slot has been set
since, the question is the same and so is the answer: nothing. Every other
case goes to Rasa's own method.

Same decisions: the skipped call could only have answered nothing (our
validation action answers from the message and the slots, both unchanged);
unit tests cover each condition and the stack test replays the digression.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.core.actions.forms import FormAction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecutionRejected, SlotSet, UserUttered

from bot_rasa.patches._switch import Replacement, Switch

NAME = "form_validation_once"
SUMMARY = (
    "no second call of a form's validation when the form comes back after a digression and the first call said nothing"
)
_rasa_validate_slots: Any = None  # Rasa's FormAction.validate_slots while the patch is on
_rasa_validate_if_required: Any = None  # Rasa's FormAction._validate_if_required while the patch is on


async def validate_slots_remembering(
    self: Any, slot_candidates: Dict[Text, Any], tracker: Any, domain: Any, output_channel: Any, nlg: Any
) -> List[Any]:
    events: List[Any] = await _rasa_validate_slots(self, slot_candidates, tracker, domain, output_channel, nlg)
    # Kept on the message event: Rasa gives every action run its own copy of the
    # tracker, and the copies share the event objects.
    message = tracker.latest_message
    if message is not None:
        message.__dict__["_nw_validated"] = (self.name(), bool(slot_candidates), bool(events))
    return events


async def validate_if_required(self: Any, tracker: Any, domain: Any, output_channel: Any, nlg: Any) -> List[Any]:
    """FormAction._validate_if_required, without asking the validator the same question twice."""
    returning = tracker.active_loop and not (
        tracker.latest_action_name == ACTION_LISTEN_NAME and not tracker.is_active_loop_interrupted
    )
    message = tracker.latest_message
    said = message.__dict__.get("_nw_validated") if message is not None else None
    if returning and said == (self.name(), False, False):
        for event in reversed(tracker.events):
            if isinstance(event, ActionExecutionRejected) and event.action_name == self.name():
                return []  # rejected this turn, nothing set since
            if isinstance(event, (SlotSet, UserUttered)):
                break
    events: List[Any] = await _rasa_validate_if_required(self, tracker, domain, output_channel, nlg)
    return events


def _replacements() -> List[Replacement]:
    return [
        Replacement(FormAction, "validate_slots", validate_slots_remembering, "_rasa_validate_slots"),
        Replacement(FormAction, "_validate_if_required", validate_if_required, "_rasa_validate_if_required"),
    ]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
