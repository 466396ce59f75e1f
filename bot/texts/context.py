"""What every template can use: slots, region, national channels, incident notice.

Shared by the NLG endpoint, the gateway (degraded mode, API texts) and the
Redactie preview, so a template sees the same variables wherever it is rendered.
The incident notice comes from the Redactie; callers pass it in, so this module
depends on bot.core only.
"""

from __future__ import annotations

import functools
from typing import Any

from bot.core.advice import merge_channels
from bot.core.kit import Plan, kit_facts
from bot.core.regions import choose_region, get_region, national_channels, valid_region

__all__ = ["region_from_tracker", "template_context", "valid_region"]


def region_from_tracker(tracker: dict[str, Any]) -> str | None:
    """The region for a tracker as Rasa sends it to the NLG endpoint."""
    slots = tracker.get("slots")
    slots = slots if isinstance(slots, dict) else {}
    latest = tracker.get("latest_message")
    metadata = latest.get("metadata") if isinstance(latest, dict) else None
    return choose_region(
        slot=slots.get("region"),
        message_metadata=metadata,
        session_metadata=slots.get("session_started_metadata"),
    )


_kit_facts = functools.lru_cache(maxsize=1)(kit_facts)


@functools.lru_cache(maxsize=1)
def _national() -> dict[str, Any]:
    # Built once per process: templates run in an immutable sandbox, so every
    # rendering can share it instead of deep-copying the channels each time.
    return {"channels": national_channels()}


def template_context(
    slots: dict[str, Any],
    region: str | None,
    arguments: dict[str, Any] | None = None,
    notice: dict[str, Any] | None = None,
    channels: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Variables for one rendering. `arguments` (from the action) cannot replace
    the slots or the national facts. `channels`: the Redactie's edit of the
    region's broadcaster, frequency and alert site (bot.core.advice.merge_channels)."""
    context: dict[str, Any] = {
        "slots": dict(slots),
        "region": merge_channels(get_region(region), channels) if region else None,
        "national": _national(),
        "kit": _kit_facts(),
        "notice": notice,
    }
    for key, value in (arguments or {}).items():
        if key not in ("slots", "national", "kit"):
            context[key] = value
    if isinstance(context.get("plan"), dict):
        # A plan that came through Rasa as JSON reads the same as one made here.
        context["plan"] = Plan.from_dict(context["plan"])
    return context
