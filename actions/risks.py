"""Risk questions: tracker -> bot.core.risks -> utter_risk_advice / utter_risk_menu + slots.

Thin on purpose: which risk and which phase is decided in bot.core.risks, the
words are in templates/utter_risk_advice.j2 and templates/utter_risk_menu.j2.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_text
from bot.core import risks

# What the template needs; synonyms and sources stay out of the tracker.
TEMPLATE_FIELDS = ("key", "title", "voor", "tijdens", "na")


def _entity_values(tracker: Tracker, entity: str) -> List[Any]:
    entities = (tracker.latest_message or {}).get("entities") or []
    return [e.get("value") for e in entities if isinstance(e, dict) and e.get("entity") == entity]


def _as_risk_key(value: Any) -> Optional[str]:
    """A key as-is, or an un-normalised entity value (typo, synonym) mapped to its key."""
    if risks.is_risk_key(value):
        return value
    return risks.match_risk(value) if isinstance(value, str) else None


def risk_from_message(tracker: Tracker) -> Optional[str]:
    for value in _entity_values(tracker, "risk"):
        key = _as_risk_key(value)
        if key:
            return key
    # The NLU entity can be missing (new wording); the text itself may still name the risk.
    return risks.match_risk(latest_text(tracker))


def phase_from_message(tracker: Tracker) -> Optional[str]:
    for value in _entity_values(tracker, "phase"):
        phase = risks.normalize_phase(value)
        if phase:
            return phase
    return risks.detect_phase(latest_text(tracker))


def _advise(dispatcher: CollectingDispatcher, key: str, phase: str) -> List[EventType]:
    risk = risks.get_risk(key)
    assert risk is not None, key  # callers pass keys from is_risk_key or match_risk only
    payload = {field: risk[field] for field in TEMPLATE_FIELDS}
    dispatcher.utter_message(response="utter_risk_advice", risk=payload, risk_key=key, phase=phase)
    return [SlotSet("risk", key), SlotSet("phase", phase)]


def risk_candidates(tracker: Tracker) -> List[str]:
    """2-3 equally likely risks the NLU found (bot_rasa/understanding.py marks them `candidate`)."""
    entities = (tracker.latest_message or {}).get("entities") or []
    keys = [
        e.get("value") for e in entities if isinstance(e, dict) and e.get("entity") == "risk" and e.get("candidate")
    ]
    return [k for k in dict.fromkeys(keys) if risks.is_risk_key(k)]


def _choice(dispatcher: CollectingDispatcher, keys: List[str]) -> List[EventType]:
    """ "Bedoel je storm of hitte?" with a button per risk (issue 14)."""
    options = [{"key": key, "title": risks.get_risk(key)["title"]} for key in keys]  # type: ignore[index]
    dispatcher.utter_message(response="utter_risk_choice", options=options)
    return [SlotSet("risk", None), SlotSet("phase", None)]


def _menu(dispatcher: CollectingDispatcher, group: Optional[str] = None) -> List[EventType]:
    """The risk menu: groups first, then the risks of the chosen group (templates/utter_risk_menu.j2)."""
    dispatcher.utter_message(response="utter_risk_menu", risks=risks.list_risks(), group=group)
    # Forget an unrecognised entity value so "en daarna?" cannot act on it.
    return [SlotSet("risk", None), SlotSet("phase", None)]


class ActionRiskAdvice(Action):  # type: ignore[misc]  # rasa_sdk has no py.typed, so its classes are Any
    """ask_risk: the phase that fits the question, for the risk named in it."""

    def name(self) -> Text:
        return "action_risk_advice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        groups = [g for g in _entity_values(tracker, "risk_group") if isinstance(g, str)]
        if groups:
            return _menu(dispatcher, groups[0])
        candidates = risk_candidates(tracker)
        if len(candidates) > 1:
            return _choice(dispatcher, candidates)
        key = risk_from_message(tracker)
        if key is None:
            return _menu(dispatcher)
        phase = phase_from_message(tracker) or risks.DEFAULT_PHASE
        return _advise(dispatcher, key, phase)


class ActionPhaseAdvice(Action):  # type: ignore[misc]  # rasa_sdk has no py.typed, so its classes are Any
    """ask_phase: "en daarna?" / "hoe bereid ik me voor?" for the risk we talked about."""

    def name(self) -> Text:
        return "action_phase_advice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        key = None
        for value in _entity_values(tracker, "risk"):
            key = _as_risk_key(value)
            if key:
                break
        if key is None:
            key = _as_risk_key(tracker.get_slot("risk"))
        if key is None:
            return _menu(dispatcher)
        phase = phase_from_message(tracker) or risks.next_phase(tracker.get_slot("phase"))
        return _advise(dispatcher, key, phase)
