"""Public JSON API for the handelingsperspectieven (data/knowledge/risks.yml).

GET /api/v1/risico
    200 {"keys": [key, ...], "risks": [{"key", "title", "href"}, ...]}
GET /api/v1/risico/{key}?region=VRxx
    200 {"key", "title", "voor": [str], "tijdens": [str], "na": [str],
         "sources": [url], "source_details": [{"url", "checked", "about"}],
         "more_info": [url], "region"?: {"code", "name", "website", "alert_site", "radio"}}
    404 unknown key: {"error", "keys": [...]}
    400 bad region (not VR01..VR25, empty or given twice): {"error"}

The advice is served as staff published it in the Redactie: the national edit,
then the region's edit (bot.core.advice.merge_risk, the same merge as the chat),
placeholders like [regio] filled in. The edits come from the Replies the gateway
holds (app["replies"].advice); without them (or when the store fails) the
national defaults of data/knowledge are served, in the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from bot.core import risks
from bot.core.advice import AdviceSource, fill_risk, merge_channels, merge_risk, placeholder_values
from bot.core.regions import is_region_code
from bot.gateway.errors import json_error

logger = logging.getLogger(__name__)

PATH = "/api/v1/risico"
NATIONAL_INFO = ["https://www.denkvooruit.nl", "https://crisis.nl"]
# The list of risks changes only on deploy.
CACHE_HEADERS = {"Cache-Control": "public, max-age=3600"}
# One risk carries staff's edits: a published change reaches API users within a minute.
RISK_CACHE_HEADERS = {"Cache-Control": "public, max-age=60"}


def _get_region(code: str) -> dict[str, Any] | None:
    # bot.core.regions is another module's job; without it a valid code simply adds nothing.
    try:
        from bot.core.regions import get_region
    except ImportError:
        return None
    return get_region(code)


def region_payload(region: dict[str, Any]) -> dict[str, Any]:
    radio = region.get("radio") or {}
    return {
        "code": region.get("code"),
        "name": region.get("name"),
        "website": region.get("website"),
        "alert_site": region.get("alert_site"),
        "radio": {"name": radio.get("name"), "fm": radio.get("fm")},
    }


def _edited(
    risk: dict[str, Any], region: dict[str, Any] | None, edits: tuple[dict[str, Any] | None, dict[str, Any] | None]
) -> dict[str, Any]:
    """The risk with the national and regional edits, placeholders filled in; no empty lines
    (a blank tip is a chat bubble break, which means nothing to an API user)."""
    national, regional = edits
    merged = fill_risk(
        merge_risk(risk, national, regional, (region or {}).get("name")), placeholder_values(region, None)
    )
    for phase in risks.PHASES:
        merged[phase] = [tip for tip in merged[phase] if tip.strip()]
    return merged


def risk_payload(
    key: str,
    region: dict[str, Any] | None = None,
    edits: tuple[dict[str, Any] | None, dict[str, Any] | None] = (None, None),
) -> dict[str, Any]:
    """edits: (national, regional) edit documents from the Redactie (bot.core.advice)."""
    base = risks.get_risk(key)
    assert base is not None, key  # handle_risk only passes known keys
    risk = _edited(base, region, edits) if any(edits) else base
    payload = {
        "key": risk["key"],
        "title": risk["title"],
        "voor": risk["voor"],
        "tijdens": risk["tijdens"],
        "na": risk["na"],
        "sources": [s["url"] for s in risk["sources"]],
        "source_details": risk["sources"],
        "more_info": list(NATIONAL_INFO),
    }
    if region:
        payload["region"] = region_payload(region)
        if region.get("website"):
            payload["more_info"] = [region["website"], NATIONAL_INFO[1]]
    return payload


async def handle_list(request: web.Request) -> web.Response:
    listed = [{**item, "href": f"{PATH}/{item['key']}"} for item in risks.list_risks()]
    return web.json_response({"keys": list(risks.RISK_KEYS), "risks": listed}, headers=CACHE_HEADERS)


def _advice(app: web.Application) -> AdviceSource | None:
    replies = app.get("replies")
    return getattr(replies, "advice", None)


def _staff_edits(
    advice: AdviceSource | None, key: str, code: str | None, region: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, tuple[dict[str, Any] | None, dict[str, Any] | None]]:
    """(region with the channel edits, (national, regional) advice edits); the defaults when the store fails."""
    if advice is None:
        return region, (None, None)
    try:
        if code is not None:
            region = merge_channels(region, advice.channel_edits(code))
        return region, advice.risk_edits(key, code)
    except Exception:  # a broken store must not break the public API: serve the defaults
        logger.exception("advice edits unavailable for the risico API")
        return region, (None, None)


async def handle_risk(request: web.Request) -> web.Response:
    key = request.match_info["key"].strip().lower()
    if not risks.is_risk_key(key):
        return json_error(404, "unknown risk", keys=list(risks.RISK_KEYS))
    region = None
    code = None
    if "region" in request.query:
        values = request.query.getall("region")
        code = values[0].strip().upper() if len(values) == 1 else ""
        if not is_region_code(code):
            return json_error(400, "region must be one code VR01..VR25")
        region = _get_region(code)
    region, edits = _staff_edits(_advice(request.app), key, code, region)
    return web.json_response(risk_payload(key, region, edits), headers=RISK_CACHE_HEADERS)


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, handle_list)
    app.router.add_get(PATH + "/", handle_list)
    app.router.add_get(PATH + "/{key}", handle_risk)
