"""No message text in Rasa's logs, also when something fails.

Rasa 3.6 logs through structlog, rendered as JSON into a standard logging
record. Some of those records carry what a resident typed: the REST channel
logs the whole message at ERROR level when handling it times out or fails
(`rest.message.received.timeout` / `.failure`, `text=...`), and `--quiet`
does not stop that. Rasa's own anonymisation hook is a Rasa Pro feature that
also re-reads the tracker on every message.

So `install()` (called by bot_rasa.launch before Rasa starts) wraps Python's
log record factory, a documented logging extension point that sees every
record whatever handlers Rasa or coloredlogs set up later: a structlog JSON
record keeps its event name and level, and the values of the keys that can
hold resident text (the same keys Rasa's anonymiser lists) become "[weg]".
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

REDACTED = "[weg]"
# rasa.utils.log_utils._anonymizer's list, plus the slots and tracker dumps.
SENSITIVE_KEYS = frozenset(
    {
        "text",
        "response_text",
        "user_text",
        "slot_values",
        "parse_data_text",
        "parse_data_entities",
        "prediction_events",
        "tracker_latest_message",
        "prefilled_slots",
        "message",
        "response",
        "slot_candidates",
        "rasa_event",
        "rasa_events",
        "tracker_states",
        "current_states",
        "old_states",
        "successes",
        "current_entity",
        "next_entity",
        "states",
        "entity",
        "token_text",
        "user_message",
        "json_message",
        "tracker",
        "events",
        "slots",
        "metadata",
        "parse_data",
        "latest_message",
    }
)


def redact(message: str) -> str:
    """A structlog JSON line with the sensitive values replaced; other text as it is."""
    if not message.startswith("{") or not any(f'"{key}"' in message for key in SENSITIVE_KEYS):
        return message
    try:
        data = json.loads(message)
    except ValueError:
        return message
    if not isinstance(data, dict):
        return message
    for key in SENSITIVE_KEYS & data.keys():
        data[key] = REDACTED
    return json.dumps(data, ensure_ascii=False)


def install() -> None:
    """Wrap the log record factory once per process."""
    previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
    if getattr(previous, "noodwijzer_redacts", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if isinstance(record.msg, str) and not record.args:
            record.msg = redact(record.msg)
        return record

    factory.noodwijzer_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
