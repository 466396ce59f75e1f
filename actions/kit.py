"""Noodpakket actions: tracker -> bot.core.household / bot.core.kit -> slots and responses.

- validate_noodpakket_form: reads household, budget and needs from the latest
  message text (bot.core.household), so one message can fill several slots and the
  form only asks what is missing. A later message can correct an earlier answer
  ("nee, drie kinderen"). When a message is no answer at all (a risk question,
  a greeting), it fills nothing, so Rasa rejects the form for this turn and the
  digression rules in data/rules/kit.yml answer it before the form continues.
  A noodpakket request ("ik wil een noodpakket") starts fresh, also while the
  form runs: earlier answers are dropped and only what this message says counts.
  (Doing this in the validation Rasa runs anyway when the form starts saves a
  separate reset action, a policy prediction and a second validation call.)
- action_kit_plan: builds the plan (bot.core.kit) and utters utter_kit_plan with it.
The words live in templates/; this module passes data only. Message text is
never logged (privacy).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import current_region, latest_text
from bot.core import household, kit

FORM_NAME = "noodpakket_form"
# Intents that mean "this was meant as an answer": when we cannot read it, we say
# so and ask again. Any other intent (a risk question, a greeting) fills nothing,
# so the form steps aside for the digression rules.
ANSWER_INTENTS = frozenset(
    {
        "inform_household",
        "inform_budget",
        "inform_needs",
        "affirm",
        "deny",
        "ask_kit",
        "nlu_fallback",
        None,
    }
)
# Issue 17: a noodpakket question (outside the form) first gets the standard list
# from action_kit_standard_list, which also keeps what the question already said in
# the kit slots. The list's button (start_kit_plan, not an answer) starts the form,
# which then asks only what is still missing.
KIT_SLOTS = ("kit_household", "kit_budget", "kit_needs")
UNCLEAR_RESPONSE = {"kit_household": "utter_kit_household_unclear", "kit_budget": "utter_kit_budget_unclear"}


def _intent(tracker: Tracker) -> Optional[str]:
    name: Optional[str] = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    return name


def _requested(tracker: Tracker) -> Optional[str]:
    if tracker.active_loop_name not in (None, FORM_NAME):
        return None
    slot: Optional[str] = tracker.get_slot("requested_slot")
    return slot


def _already_set_this_turn(tracker: Tracker, slot: str) -> bool:
    """Rasa may call the validation twice in one turn; speak only the first time."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == slot:
            return True
    return False


def _unclear(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> Dict[Text, Any]:
    """The resident answered our question but we could not read it: say so, ask again."""
    if _requested(tracker) != slot or _intent(tracker) not in ANSWER_INTENTS:
        return {}
    text = latest_text(tracker)
    if (
        household.parse_budget(text) is not None
        or household.parse_household(text) is not None
        or household.parse_needs(text) is not None
    ):
        return {}  # it answered another question; the form asks this one again
    if not _already_set_this_turn(tracker, slot):
        dispatcher.utter_message(response=UNCLEAR_RESPONSE[slot])
    # Setting the slot to None keeps the form active: it asks the question again.
    return {slot: None}


def _fresh_start(tracker: Tracker) -> bool:
    """A noodpakket request ("ik wil een noodpakket") always starts over.

    Earlier answers no longer count, also when the form was still asking: the
    resident gets the first question again instead of a "not understood".
    """
    return _intent(tracker) == "ask_kit"


def read_request(text: str) -> Dict[Text, Any]:
    """What a noodpakket question already says, as kit slot values (None = not said).

    The same reading as a fresh start of the form: "ik wil een noodpakket voor 4
    personen, 30 euro" fills household and budget, and the needs only when named."""
    counts = household.parse_household(text)
    if counts is not None:
        try:
            kit.parse_request({**counts, "budget_eur": 0})
        except (kit.PlanInputError, TypeError):
            counts = None
    amount = household.parse_budget(text)
    if amount is not None and not 0 <= amount <= kit.MAX_BUDGET_EUR:
        amount = None
    needs = household.parse_needs(text)
    return {
        "kit_household": counts,
        "kit_budget": float(amount) if amount is not None else None,
        "kit_needs": [n for n in kit.known_needs() if n in needs] if needs else None,
    }


def _earlier(tracker: Tracker, slot: str) -> Any:
    return None if _fresh_start(tracker) else tracker.get_slot(slot)


def _nothing_read(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> Dict[Text, Any]:
    if _fresh_start(tracker):
        return {slot: None}  # clear an answer from an earlier plan
    return _unclear(dispatcher, tracker, slot)


def _answering(tracker: Tracker) -> bool:
    """A side question ("wat doe ik met mijn kinderen bij storm?") must not change the answers."""
    return _intent(tracker) in ANSWER_INTENTS


class ValidateNoodpakketForm(FormValidationAction):  # type: ignore[misc]  # rasa_sdk has no py.typed, so its classes are Any
    def name(self) -> Text:
        return "validate_noodpakket_form"

    async def extract_kit_household(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if not _answering(tracker):
            return {}
        previous = _earlier(tracker, "kit_household")
        parsed = household.parse_household(
            latest_text(tracker),
            previous if isinstance(previous, dict) else None,
            asked=_requested(tracker) == "kit_household",
        )
        if parsed is not None:
            return {"kit_household": parsed}
        return _nothing_read(dispatcher, tracker, "kit_household")

    async def extract_kit_budget(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if not _answering(tracker):
            return {}
        asked = _requested(tracker) == "kit_budget"
        text = latest_text(tracker)
        # A household answer given while we ask the budget is a correction, not an amount.
        previous = _earlier(tracker, "kit_household")
        if (
            asked
            and household.parse_household(text, previous if isinstance(previous, dict) else None) is not None
            and household.parse_budget(text) is None
        ):
            return {}
        amount = household.parse_budget(text, asked=asked)
        if amount is None and asked and _intent(tracker) == "deny":
            amount = 0.0  # "nee" to "how much can you spend?": start with what is free
        if amount is not None:
            return {"kit_budget": float(amount)}
        return _nothing_read(dispatcher, tracker, "kit_budget")

    async def extract_kit_needs(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if not _answering(tracker):
            return {}
        text = latest_text(tracker)
        asked = _requested(tracker) == "kit_needs"
        # "nee, drie kinderen" corrects the household; its "nee" does not answer this question.
        previous = _earlier(tracker, "kit_household")
        correcting = household.parse_household(text, previous if isinstance(previous, dict) else None) is not None
        needs = household.parse_needs(text, asked=asked and not correcting)
        if needs is None and asked and not correcting and _intent(tracker) == "deny":
            needs = []  # the "Nee" button sends /deny
        if needs is None or (not needs and not asked):
            return {"kit_needs": None} if _fresh_start(tracker) else {}
        # Needs add up over the conversation: naming a baby first and medication later keeps both.
        earlier = _earlier(tracker, "kit_needs") or []
        merged = [n for n in kit.known_needs() if n in needs or (n in earlier and needs)]
        return {"kit_needs": merged}

    async def validate_kit_household(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is None:
            return {"kit_household": None}
        try:
            kit.parse_request({**value, "budget_eur": 0})
        except (kit.PlanInputError, TypeError):
            return {"kit_household": None}
        return {"kit_household": value}

    async def validate_kit_budget(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is None:
            return {"kit_budget": None}
        try:
            amount = float(value)
        except (TypeError, ValueError):
            return {"kit_budget": None}
        if not 0 <= amount <= kit.MAX_BUDGET_EUR:
            return {"kit_budget": None}
        return {"kit_budget": amount}

    async def validate_kit_needs(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if not isinstance(value, list):
            return {"kit_needs": None}
        return {"kit_needs": [n for n in value if n in kit.known_needs()]}


class ActionKitStandardList(Action):  # type: ignore[misc]  # rasa_sdk has no py.typed, so its classes are Any
    """Issue 17: "Wat moet er in een noodpakket?" first gets the standard list
    (utter_kit_standard_list, with a button that starts the form). The slots keep
    what the question already said, so the form asks only what is missing; a
    question that says nothing clears the answers of an earlier plan."""

    def name(self) -> Text:
        return "action_kit_standard_list"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        dispatcher.utter_message(response="utter_kit_standard_list")
        values = read_request(latest_text(tracker))
        return [SlotSet(slot, values[slot]) for slot in KIT_SLOTS]


def plan_from_slots(tracker: Tracker) -> Optional[kit.Plan]:
    """The plan for the slots, or None if they do not make a valid household."""
    counts = tracker.get_slot("kit_household")
    if not isinstance(counts, dict):
        return None
    payload = {name: counts.get(name, 0) for name in kit.COUNT_FIELDS}
    payload["budget_eur"] = tracker.get_slot("kit_budget") or 0.0
    payload["needs"] = tracker.get_slot("kit_needs") or []
    region = current_region(tracker)
    if region:
        payload["region"] = region
    try:
        return kit.make_plan(kit.parse_request(payload))
    except kit.PlanInputError:
        return None


class ActionKitPlan(Action):  # type: ignore[misc]  # rasa_sdk has no py.typed, so its classes are Any
    def name(self) -> Text:
        return "action_kit_plan"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        plan = plan_from_slots(tracker)
        if plan is None:
            dispatcher.utter_message(response="utter_kit_household_unclear")
            return [SlotSet("kit_household", None)]
        dispatcher.utter_message(response="utter_kit_plan", plan=plan.as_dict())
        return []
