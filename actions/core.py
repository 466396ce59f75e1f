"""Core actions: acute danger and "not understood".

Thin on purpose: bot.core.safety decides what kind of danger it is, bot.core.risks
supplies the advice, templates/utter_emergency.j2 and utter_fallback.j2 hold
the words.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from bot.core import risks, safety


def _entity_risk(tracker: Tracker) -> Optional[str]:
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if not isinstance(entity, dict) or entity.get("entity") != "risk":
            continue
        value = entity.get("value")
        if risks.is_risk_key(value):
            return value
        # An entity value the synonym mapper did not normalise ("woningbrand", a typo).
        key = risks.match_risk(value) if isinstance(value, str) else None
        if key:
            return key
    return None


def emergency_details(tracker: Tracker) -> tuple[Optional[str], Optional[str]]:
    """(danger kind, risk key) for the latest message.

    The safety net's reading wins over the NLU entity: it knows the acute
    situation ("rook in huis" is a house fire, not a chemical plume, and a gas
    leak indoors needs no risk advice at all). The entity only helps when the
    safety net does not recognise the wording.
    """
    danger = safety.find_danger(latest_text(tracker))
    if danger is not None:
        return danger.kind, danger.risk
    return None, _entity_risk(tracker)


def emergency_response(dispatcher: CollectingDispatcher, kind: Optional[str], key: Optional[str]) -> List[EventType]:
    arguments = safety.emergency_arguments(kind, key)
    dispatcher.utter_message(response="utter_emergency", **arguments)
    return [SlotSet("risk", key)] if arguments["risk"] else []


class ActionEmergency(Action):  # type: ignore[misc]  # rasa_sdk has no py.typed, so its classes are Any
    """emergency: "Bel 112" first, then one short bubble of first steps."""

    def name(self) -> Text:
        return "action_emergency"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        kind, key = emergency_details(tracker)
        return emergency_response(dispatcher, kind, key)


class ActionFallback(Action):  # type: ignore[misc]  # rasa_sdk has no py.typed, so its classes are Any
    """nlu_fallback / low-confidence dialogue: ask again, unless the text is acute danger.

    A resident in danger may write something the NLU has never seen; the
    safety net still recognises it, and then 112 goes first.
    """

    def name(self) -> Text:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        danger = safety.find_danger(latest_text(tracker))
        if danger is not None:
            return emergency_response(dispatcher, danger.kind, danger.risk)
        dispatcher.utter_message(response="utter_fallback")
        return []
