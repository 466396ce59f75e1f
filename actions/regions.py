"""Region actions: tracker -> bot.regions -> slots `gemeente` / `region` + responses.

- validate_region_form: fills `gemeente` (official CBS name) and `region` (VRxx).
  Rasa runs it after every user message (custom slot mapping) and again inside
  the form, so it only speaks when it resolved something new in this turn.
- action_region_info: region site, alert site, calamiteitenzender and national
  channels, worded in templates/utter_region_info.j2.
The words live in templates/; this module passes data only.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import current_region, latest_text
from bot import regions

FORM_NAME = "region_form"
# Intents that mean "not an answer to 'which gemeente?'": the form lets the
# rules in data/rules/regions.yml handle them instead of reading a place name.
NOT_AN_ANSWER = frozenset(
    {
        "emergency", "ask_risk", "ask_phase", "ask_kit", "inform_household",
        "inform_budget", "inform_needs", "greet", "goodbye", "thank", "deny",
        "bot_challenge", "ask_capabilities", "ask_region",
    }
)
# out_of_scope is not in this list on purpose: an unknown or misspelt place name
# often lands there, and then the resident should get suggestions.
MAX_ANSWER_WORDS = 6  # a free-text answer longer than this is not a place name


def _intent(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def _gemeente_entities(tracker: Tracker) -> List[str]:
    entities = (tracker.latest_message or {}).get("entities") or []
    return [
        e["value"]
        for e in entities
        if isinstance(e, dict) and e.get("entity") == "gemeente" and isinstance(e.get("value"), str)
    ]


def _asking_gemeente(tracker: Tracker) -> bool:
    return tracker.active_loop_name == FORM_NAME and tracker.get_slot("requested_slot") == "gemeente"


def _handled_this_turn(tracker: Tracker) -> bool:
    """True when `gemeente` was already set after the latest user message.

    Rasa calls the validation action twice per turn while the form is active;
    the second call must not repeat a question or message.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == "gemeente":
            return True
    return False


def resolve_from_message(tracker: Tracker) -> Optional[regions.LookupResult]:
    """The gemeente the latest message names, or None when it names none.

    Entity first (NLU or button payload), then a place inside the sentence,
    then (only when we asked for it) the whole short answer as a name.
    """
    intent = _intent(tracker)
    entities = _gemeente_entities(tracker)
    asked = _asking_gemeente(tracker)
    if not entities and intent != "inform_gemeente" and not asked:
        return None
    if asked and not entities and intent in NOT_AN_ANSWER:
        # Still take an exact place name ("Best", "Buren") misread as small talk.
        named = regions.extract_gemeente(latest_text(tracker))
        return named if named is not None and named.status != "unknown" else None
    unknown: Optional[regions.LookupResult] = None
    for value in entities:
        result = regions.lookup_gemeente(value)
        if result.status != "unknown":
            return result
        unknown = unknown or result
    text = latest_text(tracker)
    found = regions.extract_gemeente(text)
    if found is not None and (found.status != "unknown" or unknown is None):
        return found
    if unknown is not None:
        return unknown
    if asked and text.strip() and len(text.split()) <= MAX_ANSWER_WORDS:
        return regions.lookup_gemeente(text)
    if intent == "inform_gemeente":
        return regions.LookupResult(status="unknown")
    return None


class ValidateRegionForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_region_form"

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Optional[EventType]:
        # Only when the form itself runs us: Rasa also calls this action after
        # every message (custom slot mapping), and then a requested_slot event
        # could end another active form.
        if tracker.latest_action_name != FORM_NAME:
            return None
        # A known region (from the widget or told earlier) means we never ask,
        # unless the resident just named a gemeente we could not place.
        # (Overriding required_slots instead would also skip validation.)
        if tracker.get_slot("region") and not self._named_unknown_this_turn(tracker):
            return SlotSet("requested_slot", None)
        return None  # Rasa asks for `gemeente` while it is empty

    @staticmethod
    def _named_unknown_this_turn(tracker: Tracker) -> bool:
        if tracker.get_slot("gemeente"):
            return False
        return _intent(tracker) == "inform_gemeente" or bool(_gemeente_entities(tracker))

    async def extract_gemeente(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if _handled_this_turn(tracker):
            return {}
        result = resolve_from_message(tracker)
        if result is None:
            return {}
        if result.found:
            return {"gemeente": result.gemeente}
        if result.status == "ambiguous":
            dispatcher.utter_message(response="utter_gemeente_ambiguous", candidates=result.candidates)
        else:
            dispatcher.utter_message(response="utter_gemeente_unknown", suggestions=result.candidates)
        # An explicit SlotSet(None) marks this turn as handled (see _handled_this_turn).
        return {"gemeente": None}

    def validate_gemeente(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if not isinstance(slot_value, str) or not slot_value:
            return {"gemeente": None}
        result = regions.lookup_gemeente(slot_value)
        if not result.found:
            # Only reached with a stale or edited slot value; the message was given in extract.
            return {"gemeente": None}
        return {"gemeente": result.gemeente, "region": result.region_code}


class ActionRegionInfo(Action):
    """Tell the resident where to find regional and national crisis information."""

    def name(self) -> Text:
        return "action_region_info"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        code = current_region(tracker)
        if code is None:
            # The form normally prevents this; say where to look without guessing.
            dispatcher.utter_message(response="utter_ask_gemeente")
            return []
        gemeente = tracker.get_slot("gemeente")
        display = None
        place = None
        if isinstance(gemeente, str):
            result = regions.lookup_gemeente(gemeente)
            if result.found and result.region_code == code:
                display = result.display
        found = regions.extract_gemeente(latest_text(tracker))
        if found is not None and found.found and found.via_place and found.region_code == code:
            place = found.matched
        region = regions.get_region(code) or {}
        # Passed explicitly so the text matches this decision even before the
        # slot event below is applied; channels come from the template context.
        region.pop("channels", None)
        region.pop("sources", None)
        dispatcher.utter_message(
            response="utter_region_info", region=region, region_code=code, gemeente=display, place=place
        )
        events: List[EventType] = []
        if tracker.get_slot("region") != code:
            # Remember the embedding site's region too, so later answers use it.
            events.append(SlotSet("region", code))
        return events
