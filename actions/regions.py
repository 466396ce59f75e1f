"""Region actions: tracker -> bot.core.regions -> slots `gemeente` / `region` + responses.

- validate_region_form: the domain fills `gemeente` with the raw entity value
  (or, while the form asks, the raw text). This action turns it into the
  official CBS name plus `region` (VRxx), or says it does not know the name
  and offers suggestions / asks which one. The form asks nothing when the
  region is already known (widget or earlier answer).
- action_region_info: region site, alert site, calamiteitenzender and national
  channels, worded in templates/utter_region_info.j2.
The words live in templates/; this module passes data only.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, ActionExecutionRejection, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import current_region, latest_text
from bot.core import regions

FORM_NAME = "region_form"
# Intents that mean "not an answer to 'which gemeente?'". While the form asks,
# such a message is rejected (unless it names a known place), so the digression
# rules in data/rules/regions.yml answer it and return to the form.
# out_of_scope is left out on purpose: a misspelt place name often lands there,
# and then the resident should get suggestions.
NOT_AN_ANSWER = frozenset(
    {
        "emergency",
        "ask_risk",
        "ask_phase",
        "ask_kit",
        "inform_household",
        "inform_budget",
        "inform_needs",
        "greet",
        "goodbye",
        "thank",
        "deny",
        "bot_challenge",
        "ask_capabilities",
        "ask_region",
    }
)
MAX_ANSWER_WORDS = 6  # a longer free-text answer is not a place name: no suggestions


def _intent(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def _gemeente_entities(tracker: Tracker) -> List[str]:
    entities = (tracker.latest_message or {}).get("entities") or []
    return [
        e["value"]
        for e in entities
        if isinstance(e, dict) and e.get("entity") == "gemeente" and isinstance(e.get("value"), str)
    ]


def _form_is_asking(tracker: Tracker) -> bool:
    return bool(tracker.active_loop_name == FORM_NAME and tracker.get_slot("requested_slot") == "gemeente")


def resolve_value(value: Any, text: str) -> regions.LookupResult:
    """Slot value (entity or raw answer) -> lookup result, using the message as backup."""
    result = regions.lookup_gemeente(value) if isinstance(value, str) else regions.LookupResult("unknown")
    if result.status != "unknown":
        return result
    # The raw text may hold the name inside a sentence ("ik woon in Middelburg hoor").
    inside = regions.extract_gemeente(text)
    if inside is not None and (inside.status != "unknown" or inside.candidates):
        return inside
    if isinstance(value, str) and len(value.split()) > MAX_ANSWER_WORDS:
        return regions.LookupResult("unknown")  # suggestions for a whole sentence are noise
    return result


class ValidateRegionForm(FormValidationAction):  # type: ignore[misc]  # rasa_sdk has no py.typed, so its classes are Any
    def name(self) -> Text:
        return "validate_region_form"

    def validate_gemeente(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        result = resolve_value(slot_value, latest_text(tracker))
        if result.found:
            return {"gemeente": result.gemeente, "region": result.region_code}
        if (
            _form_is_asking(tracker)
            and _intent(tracker) in NOT_AN_ANSWER
            and not _gemeente_entities(tracker)
            and result.status == "unknown"
        ):
            # "ben jij een robot?" is not a place: let the digression rules answer.
            raise ActionExecutionRejection(self.name(), "message is not a gemeente")
        if result.status == "ambiguous":
            dispatcher.utter_message(response="utter_gemeente_ambiguous", candidates=result.candidates)
        else:
            dispatcher.utter_message(response="utter_gemeente_unknown", suggestions=result.candidates)
        return {"gemeente": None}

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events: List[EventType] = await super().get_validation_events(dispatcher, tracker, domain)
        # A gemeente entity from an earlier turn (outside the form) was never
        # resolved; use it quietly if it is a known name, else forget it.
        stale = tracker.get_slot("gemeente")
        recent = {e["name"] for e in events if e.get("event") == "slot"}
        if stale and not tracker.get_slot("region") and "gemeente" not in recent:
            result = regions.lookup_gemeente(stale)
            update = {"gemeente": result.gemeente, "region": result.region_code} if result.found else {"gemeente": None}
            tracker.slots.update(update)
            events += [SlotSet(key, value) for key, value in update.items()]
        return events

    async def next_requested_slot(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Optional[EventType]:
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


class ActionRegionInfo(Action):  # type: ignore[misc]  # rasa_sdk has no py.typed, so its classes are Any
    """Tell the resident where to find regional and national crisis information."""

    def name(self) -> Text:
        return "action_region_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        code = current_region(tracker)
        if code is None:
            # The form normally prevents this; ask instead of guessing.
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
        if tracker.get_slot("region") != code:
            # Remember the embedding site's region too, so later answers use it.
            return [SlotSet("region", code)]
        return []
