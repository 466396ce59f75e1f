"""The on/off switch every patch module uses.

A patch is a list of replacements: (owner, attribute, new value, and
optionally the name of a module global that holds Rasa's own value while the
patch is on, for the new code to fall back to). `apply()` swaps them in once
and returns what it replaced; `revert()` puts Rasa's values back exactly as
they were (a staticmethod stays a staticmethod, an inherited attribute is
deleted again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, NamedTuple, Optional

_MISSING = object()


@dataclass(frozen=True)
class Replacement:
    owner: Any  # a class or a module
    attribute: str
    new: Any
    keep_original_as: Optional[str] = None  # module global of the patch for Rasa's own value


class Replaced(NamedTuple):
    owner: Any
    attribute: str
    original: Any  # as found in the owner's __dict__ (_MISSING if it was inherited)


def as_called(raw: Any) -> Any:
    """What attribute access gives for a class's __dict__ value."""
    return raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw


class Switch:
    def __init__(self, namespace: Dict[str, Any], replacements: Callable[[], List[Replacement]]) -> None:
        # Replacements are built on first use: building them imports Rasa modules.
        self._namespace = namespace
        self._replacements = replacements
        self.replaced: List[Replaced] = []

    @property
    def applied(self) -> bool:
        return bool(self.replaced)

    def apply(self) -> List[Replaced]:
        if self.replaced:  # once only, so a second apply keeps Rasa's own values
            return list(self.replaced)
        done: List[Replaced] = []
        for item in self._replacements():
            raw = vars(item.owner).get(item.attribute, _MISSING)
            if raw is _MISSING:
                raw_value = getattr(item.owner, item.attribute)  # inherited
            else:
                raw_value = raw
            done.append(Replaced(item.owner, item.attribute, raw))
            if item.keep_original_as:
                self._namespace[item.keep_original_as] = as_called(raw_value)
            setattr(item.owner, item.attribute, item.new)
        self.replaced = done
        return list(done)

    def revert(self) -> List[Replaced]:
        undone, self.replaced = self.replaced, []
        for item in reversed(undone):
            if item.original is _MISSING:
                delattr(item.owner, item.attribute)
            else:
                setattr(item.owner, item.attribute, item.original)
        for replacement in self._replacements() if undone else ():
            if replacement.keep_original_as:
                self._namespace[replacement.keep_original_as] = None
        return undone
