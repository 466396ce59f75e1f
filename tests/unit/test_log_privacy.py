"""bot_rasa/log_privacy.py: Rasa's structured log lines lose resident text (real stack: tests/stack/test_privacy_logs.py)."""

from __future__ import annotations

import io
import json
import logging

import structlog

from bot_rasa import log_privacy


def test_rasa_style_error_line_keeps_event_but_not_text():
    before = logging.getLogRecordFactory()
    log_privacy.install()
    log_privacy.install()  # twice is harmless
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("rasa.core.channels.rest.test")
    logger.addHandler(handler)
    try:
        # The way Rasa 3.6 configures structlog for a non-terminal (rasa.utils.log_utils).
        structlog.configure(
            processors=[structlog.processors.add_log_level, structlog.processors.JSONRenderer()],
            logger_factory=structlog.stdlib.LoggerFactory(),
            cache_logger_on_first_use=False,
        )
        structlog.get_logger("rasa.core.channels.rest.test").error(
            "rest.message.received.timeout", text="oma gebruikt insuline", sender_id="abc"
        )
        logger.warning("plain line about insuline stays as written")
    finally:
        logger.removeHandler(handler)
        structlog.reset_defaults()
        logging.setLogRecordFactory(before)
    first, second = stream.getvalue().splitlines()
    data = json.loads(first)
    assert data["event"] == "rest.message.received.timeout" and data["level"] == "error"
    assert data["text"] == log_privacy.REDACTED and data["sender_id"] == "abc"
    assert "insuline" not in first
    assert second == "plain line about insuline stays as written"


def test_every_sensitive_key_is_replaced():
    line = json.dumps({"event": "x", "slots": {"kit_needs": ["medicijnen"]}, "user_message": "hoi", "n": 1})
    data = json.loads(log_privacy.redact(line))
    assert data == {"event": "x", "slots": "[weg]", "user_message": "[weg]", "n": 1}
    assert log_privacy.redact("not json {") == "not json {"
