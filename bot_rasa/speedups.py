"""Performance fix for Rasa 3.6, applied when Rasa imports bot_rasa.

RemoteAction._validate_action_result and the NLG callback's
validate_response call jsonschema.validate(), which re-checks Rasa's
constant schemas against the JSON-Schema metaschema on every reply.
Profiling the full stack under load (20 residents) showed this at ~64% and
then ~14% of Rasa's CPU time. We check each schema once and reuse its
validator, so behaviour (which replies are rejected, and the error
message) is unchanged.

The NLG request also carried every event of the conversation, which grows
each turn; bot/nlg_server.py reads only slots and the latest message, so we
send the tracker state without the event list.
"""
from __future__ import annotations

import functools
from typing import Any, Dict, Text

from jsonschema import ValidationError, exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg import callback
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.exceptions import RasaException


def _checked_validator(schema: Dict[Text, Any]) -> Any:
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    return _checked_validator(RemoteAction.action_response_format_spec())


@functools.lru_cache(maxsize=1)
def _nlg_validator() -> Any:
    return _checked_validator(callback.nlg_response_format_spec())


def _validate_nlg_response(content: Any) -> bool:
    if content is None or content == "":
        return True  # the endpoint did not want to respond with anything
    error = exceptions.best_match(_nlg_validator().iter_errors(content))
    if error is not None:
        raise RasaException(f"{error.message}. Failed to validate NLG response from API.")
    return True


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    error = exceptions.best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def _lean_nlg_request_format(utter_action: Text, tracker: Any, output_channel: Text, **kwargs: Any) -> Dict[Text, Any]:
    """Same body as rasa.core.nlg.callback.nlg_request_format, minus the events."""
    from rasa.shared.core.trackers import EventVerbosity

    response_id = kwargs.pop("response_id", None)
    return {
        "response": utter_action,
        "id": response_id,
        "arguments": kwargs,
        "tracker": tracker.current_state(EventVerbosity.NONE),
        "channel": {"name": output_channel},
    }


def apply() -> None:
    callback.nlg_request_format = _lean_nlg_request_format
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    callback.CallbackNaturalLanguageGenerator.validate_response = staticmethod(_validate_nlg_response)  # type: ignore[assignment]


__all__ = ["apply", "ValidationError"]
