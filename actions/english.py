"""English messages (intent `english`, set by bot_rasa/understanding.py): a short English answer.

Danger first: "Call 112" (templates/utter_english_emergency.j2). Otherwise the
short English advice for the risk (data/knowledge/english.yml, via
bot.core.english) or, without a risk, a note that the assistant speaks Dutch
with the official English pages. Never the Dutch 112 script for a question.
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from bot.core import english, safety


class ActionEnglish(Action):  # type: ignore[misc]  # rasa_sdk has no py.typed, so its classes are Any
    def name(self) -> Text:
        return "action_english"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        text = latest_text(tracker)
        danger = safety.find_danger(text)
        entities = (tracker.latest_message or {}).get("entities") or []
        keys = [e.get("value") for e in entities if isinstance(e, dict) and e.get("entity") == "risk"]
        if danger is not None:
            dispatcher.utter_message(response="utter_english_emergency", **english.emergency_arguments(danger.kind))
            return []
        advice = next((english.advice(k) for k in keys if english.advice(k)), None)
        if advice:
            dispatcher.utter_message(response="utter_english_risk", risk=advice)
        else:
            dispatcher.utter_message(response="utter_english_general", about_kit=english.is_kit_question(text))
        return []
