"""What every template can use: slots, region, national channels, incident notice.

Shared by the NLG endpoint and the gateway (degraded mode, API texts), so a
template sees the same variables wherever it is rendered.
"""
from __future__ import annotations

import importlib
import logging
import re
from typing import Any

from bot.knowledge import KNOWLEDGE_DIR, load_yaml

logger = logging.getLogger(__name__)
REGION_RE = re.compile(r"^VR(0[1-9]|1[0-9]|2[0-5])$")


def valid_region(code: Any) -> str | None:
    return code if isinstance(code, str) and REGION_RE.match(code) else None


def region_from_tracker(tracker: dict[str, Any]) -> str | None:
    """Region the resident told us (slot) wins over the embedding site's region."""
    slots = tracker.get("slots") or {}
    region = valid_region(slots.get("region")) if isinstance(slots, dict) else None
    if region:
        return region
    latest = tracker.get("latest_message") or {}
    metadata = latest.get("metadata") if isinstance(latest, dict) else None
    if isinstance(metadata, dict):
        region = valid_region(metadata.get("region"))
        if region:
            return region
    if isinstance(slots, dict):
        meta = slots.get("session_started_metadata")
        if isinstance(meta, dict):
            return valid_region(meta.get("region"))
    return None


def _optional(module: str, attr: str) -> Any:
    """Parts built by other modules may be absent in a minimal install."""
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        return None


def region_info(code: str | None) -> dict[str, Any] | None:
    get_region = _optional("bot.regions", "get_region")
    if not code or get_region is None:
        return None
    return get_region(code)


def national_channels() -> dict[str, Any]:
    if (KNOWLEDGE_DIR / "channels.yml").is_file():
        return load_yaml("channels.yml") or {}
    return {}


def active_notice(region: str | None) -> dict[str, Any] | None:
    fn = _optional("bot.redactie.notices", "active_notice")
    if fn is None or not region:
        return None
    try:
        return fn(region)
    except Exception:
        logger.exception("notice lookup failed")
        return None


def template_store() -> Any:
    factory = _optional("bot.redactie.store", "default_store")
    if factory is None:
        return None
    try:
        return factory()
    except Exception:
        logger.exception("template store unavailable; using repository texts only")
        return None


def template_context(slots: dict[str, Any], region: str | None, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {
        "slots": dict(slots),
        "region": region_info(region),
        "national": national_channels(),
        "notice": active_notice(region),
    }
    for key, value in (arguments or {}).items():
        if key not in ("slots", "national"):
            context[key] = value
    return context
