"""Action and NLG replies checked with validators built once.

Rasa: RemoteAction._validate_action_result and the NLG callback's
validate_response call jsonschema.validate(), which first checks Rasa's
constant schema against the JSON-Schema metaschema, on every reply
(profiled under load at ~64 % of Rasa's CPU). The action-reply schema also
tries every event against a `oneOf` of 23 event types.

Patch: each schema is checked once and its validator kept. Action replies
are checked without the `oneOf`, then each event against the one type that
has its `event` name (each type pins a different name, so no other type can
match); anything that fails goes through the full validator.

Same decisions: the same replies are accepted and rejected, with Rasa's
error (tests/unit/test_rasa_patches.py compares with jsonschema.validate for
valid and invalid replies of every event type).
"""

from __future__ import annotations

import copy
import functools
from typing import Any, Dict, List, Optional, Text

from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg import callback
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.exceptions import RasaException

from bot_rasa.patches._switch import Replacement, Switch

NAME = "cached_validators"
SUMMARY = "JSON-schema validators for action/NLG replies built once; action events checked against their own type"


def _checked_validator(schema: Dict[Text, Any]) -> Any:
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class EventDispatchValidator:
    """Rasa's action-reply check, with the same verdict in less time."""

    def __init__(self, schema: Dict[Text, Any]) -> None:
        self._full = _checked_validator(schema)
        self.by_type: Optional[Dict[Text, Any]] = None
        branches = schema["properties"]["events"]["items"].get("oneOf", [])
        names = [branch.get("properties", {}).get("event", {}).get("const") for branch in branches]
        if not names or None in names or len(set(names)) != len(names) or "$ref" in str(schema):
            return  # not the shape we know: always use the full check
        outer = copy.deepcopy(schema)
        del outer["properties"]["events"]["items"]["oneOf"]
        self._outer = _checked_validator(outer)
        self.by_type = {name: _checked_validator(branch) for name, branch in zip(names, branches)}

    def _fast_valid(self, document: Any) -> bool:
        assert self.by_type is not None
        if not self._outer.is_valid(document):
            return False
        for event in document.get("events", ()):
            branch = self.by_type.get(event["event"])
            if branch is None or not branch.is_valid(event):
                return False
        return True

    def iter_errors(self, document: Any) -> Any:
        if self.by_type is not None and self._fast_valid(document):
            return iter(())
        return self._full.iter_errors(document)


@functools.lru_cache(maxsize=1)
def action_validator() -> EventDispatchValidator:
    return EventDispatchValidator(RemoteAction.action_response_format_spec())


@functools.lru_cache(maxsize=1)
def nlg_validator() -> Any:
    return _checked_validator(callback.nlg_response_format_spec())


def validate_nlg_response(content: Any) -> bool:
    if content is None or content == "":
        return True  # the endpoint did not want to respond with anything
    error = exceptions.best_match(nlg_validator().iter_errors(content))
    if error is not None:
        raise RasaException(  # Rasa's message, word for word
            f"{error.message}. Failed to validate NLG response from API, make sure "
            f"your response from the NLG endpoint is valid. "
            f"For more information about the format please consult the "
            f"`nlg_response_format_spec` function from this same module: "
            f"https://github.com/RasaHQ/rasa/blob/main/rasa/core/nlg/callback.py"
        )
    return True


def validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    error = exceptions.best_match(action_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def _replacements() -> List[Replacement]:
    return [
        Replacement(RemoteAction, "_validate_action_result", validate_action_result),
        Replacement(
            callback.CallbackNaturalLanguageGenerator, "validate_response", staticmethod(validate_nlg_response)
        ),
    ]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
