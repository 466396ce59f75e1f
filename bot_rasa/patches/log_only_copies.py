"""No deep copies for debug-log calls.

Rasa: rasa.core.processor, the memoization policy and RulePolicy deep-copy
states and events only to pass them to structlogger.debug(...), which runs
the copy even when debug logging is off (~8 % of Rasa's CPU under load).

Patch: in those modules, the name `copy` points to a stand-in whose
deepcopy returns its argument (copy.copy stays the real one).

Same decisions: the copies only fed those log calls (a test parses each
module and fails if a deepcopy appears anywhere else, e.g. after an upgrade).
"""

from __future__ import annotations

import copy
import importlib
import types
from typing import Any, List

from bot_rasa.patches._switch import Replacement, Switch

NAME = "log_only_copies"
SUMMARY = "no deep copies of states/events that only fed debug-log calls"


def identity(value: Any, memo: Any = None) -> Any:
    return value


LOG_ONLY_COPY = types.SimpleNamespace(deepcopy=identity, copy=copy.copy)
# Checked for rasa 3.6.21 (see the test): every copy.deepcopy here sits inside a debug log call.
LOG_ONLY_DEEPCOPY_MODULES = (
    "rasa.core.processor",
    "rasa.core.policies.memoization",
    "rasa.core.policies.rule_policy",
)


def _replacements() -> List[Replacement]:
    return [Replacement(importlib.import_module(name), "copy", LOG_ONLY_COPY) for name in LOG_ONLY_DEEPCOPY_MODULES]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
