"""Shared fixtures for offline action tests (financial-demo style: Tracker.from_dict)."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(text: str, intent: str = "emergency", entities=None, slots=None) -> Tracker:
    return Tracker.from_dict({
        "sender_id": "test",
        "slots": {"risk": None, "phase": None, "region": None, **(slots or {})},
        "latest_message": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.99},
            "entities": entities or [],
        },
        "events": [],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    })


def entity(name: str, value: str) -> dict:
    return {"entity": name, "value": value, "start": 0, "end": len(value)}


async def run(action, tracker, domain=None):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain or {})
    return dispatcher.messages, events
