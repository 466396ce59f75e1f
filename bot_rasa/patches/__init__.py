"""Patches to Rasa internals, each a separate module that can be switched on and off.

Every patch removes wasted work in Rasa 3.6.21 without changing what Rasa
decides; each module's docstring says what Rasa does, what the patch
changes and why the decisions stay the same. Measured gains and the patches
that were dropped: docs/rasa-patches.md.

Nothing is applied on import. `bot_rasa.launch` (the Rasa command line with
patches) calls apply_enabled() before Rasa starts:

- NW_RASA_PATCHES unset, "", "1" or "all": every patch below;
- NW_RASA_PATCHES=0 (or "none"): plain Rasa;
- NW_RASA_PATCHES=rule_index,gc_freeze: only those (unknown names: error).

Patches are only applied on the Rasa version they were written for; on any
other version they stay off and a warning is logged.
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType
from typing import List, Mapping, Optional

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"  # the version every patch was written and tested for
ENV_VAR = "NW_RASA_PATCHES"

# Module names in bot_rasa/patches/, in the order they are applied.
PATCHES = (
    "cached_validators",
    "pooled_http",
    "lean_requests",
    "log_only_copies",
    "event_type_lookup",
    "graph_in_order",
    "sparse_join",
    "rule_index",
    "diet_predict",
    "gc_freeze",
    "domain_is_empty",
)

_ALL = {"", "1", "all", "on", "true", "yes"}
_NONE = {"0", "none", "off", "false", "no"}


class UnknownPatch(ValueError):
    pass


def patch_module(name: str) -> ModuleType:
    if name not in PATCHES:
        raise UnknownPatch(f"unknown Rasa patch {name!r}; known: {', '.join(PATCHES)}")
    return importlib.import_module(f"{__name__}.{name}")


def selected(env: Mapping[str, str] = os.environ) -> List[str]:
    """The patch names NW_RASA_PATCHES asks for, in application order."""
    value = env.get(ENV_VAR, "").strip()
    if value.lower() in _ALL:
        return list(PATCHES)
    if value.lower() in _NONE:
        return []
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in PATCHES]
    if unknown:
        raise UnknownPatch(
            f"{ENV_VAR}: unknown Rasa patch(es) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(PATCHES)} (or 0 for none)"
        )
    return [name for name in PATCHES if name in names]


def apply_enabled(env: Mapping[str, str] = os.environ, rasa_version: Optional[str] = None) -> List[str]:
    """Apply the patches NW_RASA_PATCHES selects; returns their names.

    Safe to call more than once: a patch that is on stays on (and keeps
    Rasa's own functions to fall back to). Patches that are on but no longer
    selected are left alone; call revert_all() first for a clean switch.
    """
    names = selected(env)  # an unknown name is an error on every version
    if not names:
        return []
    if rasa_version is None:
        import rasa

        rasa_version = rasa.__version__
    if rasa_version != RASA_VERSION:
        logger.warning(
            "Rasa %s is not %s, which bot_rasa/patches/ were written for: running plain Rasa (patches %s stay off).",
            rasa_version,
            RASA_VERSION,
            ", ".join(names),
        )
        return []
    for name in names:
        patch_module(name).apply()
    return names


def applied() -> List[str]:
    """Names of the patches that are on now (only modules already imported can be)."""
    import sys

    return [
        name for name in PATCHES if f"{__name__}.{name}" in sys.modules and sys.modules[f"{__name__}.{name}"].applied()
    ]


def revert_all() -> List[str]:
    """Switch every patch off again (Rasa's own functions back); returns the names."""
    names = applied()
    for name in reversed(names):
        patch_module(name).revert()
    return names
