"""Objects alive after the model has loaded are frozen for the garbage collector.

Rasa: nothing special; Python's full garbage collections walk every object,
including the whole loaded model (~600,000 objects in a replica, ~0.6 s per
pass on the 2-core machine), a few times per benchmark run, with every
resident on that replica waiting.

Patch: Agent.load_model calls bot/ops/memory.py's freeze_startup_objects
right after Rasa's own load_model, so later collections only walk what is
made while serving. Reference counting still frees frozen objects.

Same decisions: the model and its answers are untouched; only when the
collector looks at which objects changes.
"""

from __future__ import annotations

from typing import Any, List

from rasa.core.agent import Agent

from bot.ops.memory import freeze_startup_objects
from bot_rasa.patches._switch import Replacement, Switch

NAME = "gc_freeze"
SUMMARY = "objects alive after the model has loaded frozen, so full garbage collections skip the model"
_rasa_load_model: Any = None  # Rasa's Agent.load_model while the patch is on


def load_model_then_freeze(self: Any, *args: Any, **kwargs: Any) -> Any:
    result = _rasa_load_model(self, *args, **kwargs)
    freeze_startup_objects()
    return result


def _replacements() -> List[Replacement]:
    return [Replacement(Agent, "load_model", load_model_then_freeze, "_rasa_load_model")]


_switch = Switch(globals(), _replacements)
apply = _switch.apply
revert = _switch.revert


def applied() -> bool:
    return _switch.applied
