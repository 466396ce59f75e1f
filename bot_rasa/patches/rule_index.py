"""RulePolicy's rules decoded once and indexed by their previous action.

Rasa: RulePolicy._get_possible_keys decodes every rule (JSON), reverses it
and turns its lists into tuples, for every rule at every turn of every
prediction, then filters the set of all rules turn by turn.

Patch: each rule table is decoded once (and again if it changes). At the
current turn only the rules that can match its previous action are tried:
_does_rule_match_state only accepts a rule whose current state names a
previous action (action_name) when the conversation has that same previous
action, and a rule without a previous action only when the conversation has
none either; every other rule (no states, action_text, SHOULD_NOT_BE_SET,
...) is always tried. The matching itself is Rasa's own
(_does_rule_match_state), and the sets are filled in the same order.

Same decisions: the same rules in the same set order, so ties between rules
break the same way (tests compare with Rasa's method on >100 state lists
made from the learned rules, and on unusual rule shapes).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Text

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET

from bot_rasa.patches._switch import Replacement, Switch

NAME = "rule_index"
SUMMARY = "RulePolicy's rules decoded once, and only rules that can match the current previous action tried"


def possible_rule_keys(self: Any, lookup: Dict[Text, Text], states: List[Dict[Text, Any]]) -> Set[Text]:
    """RulePolicy._get_possible_keys with each rule's states decoded once."""
    cache = self.__dict__.setdefault("_nw_rule_states", {})
    prepared = cache.get(id(lookup))
    if prepared is None or prepared.keys != lookup.keys():
        prepared = cache[id(lookup)] = RuleIndex(self, lookup)
    rules = prepared.rules
    match = self._does_rule_match_state

    def applicable(key: Text, turn: int, state: Dict[Text, Any]) -> bool:
        # Same steps as RulePolicy._is_rule_applicable.
        rule_states = rules[key]
        if turn >= len(rule_states):
            return True
        current_previous = state.get(PREVIOUS_ACTION)
        rule_previous = rule_states[turn].get(PREVIOUS_ACTION)
        if not rule_previous and not current_previous:
            return True
        if not rule_previous or not current_previous:
            return False
        return bool(match(rule_states[turn], state))

    if not states:
        return set(lookup.keys())  # as Rasa builds it (a set's order depends on how it was filled)
    reversed_states = list(reversed(states))
    current = reversed_states[0]
    # Rasa filters set(lookup) with each turn; the same keys inserted in the same
    # order give the same set, iteration order included.
    possible = set(
        sorted(
            (key for key in prepared.candidates(current.get(PREVIOUS_ACTION)) if applicable(key, 0, current)),
            key=prepared.position.__getitem__,
        )
    )
    for turn, state in enumerate(reversed_states[1:], start=1):
        if not possible:
            break
        possible = set(filter(lambda key: applicable(key, turn, state), possible))
    return possible


class RuleIndex:
    """A rule table decoded once, with its rules grouped by the previous action
    their current turn needs."""

    def __init__(self, policy: Any, lookup: Dict[Text, Text]) -> None:
        self.keys = frozenset(lookup)
        self.order = list(set(lookup.keys()))  # the order of Rasa's set(lookup.keys())
        self.position = {key: index for index, key in enumerate(self.order)}
        self.rules = {
            key: [_tuples_for_lists(state) for state in reversed(policy._rule_key_to_state(key))] for key in lookup
        }
        self._always: List[Text] = []
        self._without_previous: List[Text] = []
        self._by_action: Dict[Any, List[Text]] = {}
        for key in self.order:
            states = self.rules[key]
            previous = states[0].get(PREVIOUS_ACTION) if states else None
            name = previous.get("action_name") if previous else None
            if not states:
                self._always.append(key)
            elif not previous:
                self._without_previous.append(key)
            elif set(previous) == {"action_name"} and name and name != SHOULD_NOT_BE_SET:
                self._by_action.setdefault(name, []).append(key)
            else:
                self._always.append(key)

    def candidates(self, previous: Optional[Dict[Text, Any]]) -> List[Text]:
        if not previous:
            return self._always + self._without_previous
        return self._always + self._by_action.get(previous.get("action_name"), [])


def _tuples_for_lists(state: Dict[Text, Any]) -> Dict[Text, Any]:
    """A rule state with list values as tuples, as _does_rule_match_state compares them."""
    return {
        kind: {k: tuple(v) if isinstance(v, list) else v for k, v in sub_state.items()}
        for kind, sub_state in state.items()
    }


def _replacements() -> List[Replacement]:
    return [Replacement(RulePolicy, "_get_possible_keys", possible_rule_keys)]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
