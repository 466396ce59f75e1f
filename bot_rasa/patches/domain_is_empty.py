"""Domain.is_empty answered once per domain.

Rasa: the processor asks Domain.is_empty for every parsed message, and
Rasa answers by building an empty Domain and comparing both as dicts.

Patch: the answer is kept on the domain object; a loaded domain does not
change.

Same decisions: the same answer (tested against Rasa's for an empty and a
non-empty domain).
"""

from __future__ import annotations

from typing import Any, List

from rasa.shared.core.domain import Domain

from bot_rasa.patches._switch import Replacement, Switch

NAME = "domain_is_empty"
SUMMARY = "Domain.is_empty (asked for every message) answered once per domain"
_rasa_is_empty: Any = None  # Rasa's Domain.is_empty while the patch is on


def domain_is_empty(self: Any) -> bool:
    cached = self.__dict__.get("_nw_is_empty")
    if cached is None:
        cached = self.__dict__["_nw_is_empty"] = bool(_rasa_is_empty(self))
    return bool(cached)


def _replacements() -> List[Replacement]:
    return [Replacement(Domain, "is_empty", domain_is_empty, "_rasa_is_empty")]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
