"""Event types looked up by name in a cached table.

Rasa: Event.resolve_by_type searches all subclasses of Event for the type
name, for every event it deserialises (action replies, trackers).

Patch: the search result per name is cached; on a miss the cache is cleared
and the search done again (a subclass may have been defined since), then
Rasa's rules for "topic", a default and unknown names apply.

Same decisions: the same class (or None, or ValueError) for every name.
"""

from __future__ import annotations

import functools
from typing import List, Optional, Text

from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from bot_rasa.patches._switch import Replacement, Switch

NAME = "event_type_lookup"
SUMMARY = "event class looked up by type name in a cached table instead of searching all Event subclasses"


@functools.cache
def _event_class(type_name: Text) -> Optional[type]:
    for cls in all_subclasses(Event):
        if cls.type_name == type_name:
            found: type = cls
            return found
    return None


def resolve_event_type(type_name: Text, default: Optional[type] = None) -> Optional[type]:
    """Event.resolve_by_type with the subclass search cached (same results)."""
    cls = _event_class(type_name)
    if cls is not None:
        return cls
    _event_class.cache_clear()  # a subclass may have been defined since
    cls = _event_class(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def _replacements() -> List[Replacement]:
    return [Replacement(Event, "resolve_by_type", staticmethod(resolve_event_type))]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
