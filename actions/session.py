"""Session start: remember the embedding site's region for the whole conversation."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.texts.context import valid_region


class ActionSessionStart(Action):  # type: ignore[misc]  # rasa_sdk has no py.typed, so its classes are Any
    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        metadata = tracker.get_slot("session_started_metadata") or {}
        region = valid_region(metadata.get("region")) if isinstance(metadata, dict) else None
        if region:
            events.append(SlotSet("region", region))
        events.append(ActionExecuted("action_listen"))
        return events
