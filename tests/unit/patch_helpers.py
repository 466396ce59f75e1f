"""Shared by the patch equivalence tests: every patch on for the module, and Rasa's
own function for what a patch replaced."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from bot_rasa import patches
from bot_rasa.patches._switch import as_called


@pytest.fixture(autouse=True, scope="module")
def all_patches_on() -> Iterator[None]:
    before = patches.revert_all()
    patches.apply_enabled({})
    yield
    patches.revert_all()
    patches.apply_enabled({patches.ENV_VAR: ",".join(before) or "0"})


def rasas_own(module: ModuleType, attribute: str) -> Any:
    """Rasa's value of what `module` replaced (the patch stays on)."""
    return next(as_called(r.original) for r in module.apply() if r.attribute == attribute)
