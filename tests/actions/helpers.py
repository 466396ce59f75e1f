"""The one tracker helper for offline action tests (financial-demo style:
Tracker.from_dict fixtures, assertions on the returned events).

The domain is the real domain.yml, so a slot or form renamed there is renamed
here too.
"""

from __future__ import annotations

from typing import Any

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.core.knowledge import ROOT

DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def make_tracker(
    text: str,
    intent: str = "emergency",
    entities: list[dict] | None = None,
    *,
    slots: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    active_loop: str | None = None,
    requested_slot: str | None = None,
    latest_action: str = "action_listen",
    extra_events: list[dict] | None = None,
    confidence: float = 0.95,
) -> Tracker:
    """A tracker right after the resident said `text`: every domain slot is
    empty unless given in `slots`."""
    all_slots: dict[str, Any] = {name: None for name in DOMAIN["slots"]}
    all_slots["requested_slot"] = requested_slot
    all_slots.update(slots or {})
    unknown = set(slots or {}) - set(all_slots) - {"session_started_metadata"}
    assert not unknown, f"not in domain.yml: {unknown}"
    return Tracker.from_dict(
        {
            "sender_id": "test",
            "slots": all_slots,
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": confidence},
                "entities": entities or [],
                "metadata": metadata or {},
            },
            "events": [
                {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}},
                *(extra_events or []),
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": latest_action,
        }
    )


def entity(name: str, value: str) -> dict:
    return {"entity": name, "value": value, "start": 0, "end": len(value)}


async def run(action, tracker: Tracker, domain: dict[str, Any] | None = None):
    """(messages the action sent, events it returned)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN if domain is None else domain)
    return dispatcher.messages, events


def slots_set(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
