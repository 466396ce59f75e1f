"""Public JSON API for the handelingsperspectieven (data/knowledge/risks.yml).

GET /api/v1/risico
    200 {"keys": [key, ...], "risks": [{"key", "title", "href"}, ...]}
GET /api/v1/risico/{key}?region=VRxx
    200 {"key", "title", "voor": [str], "tijdens": [str], "na": [str],
         "sources": [url], "source_details": [{"url", "checked", "about"}],
         "more_info": [url], "region"?: {"code", "name", "website", "alert_site", "radio"}}
    404 unknown key: {"error", "keys": [...]}
    400 bad region (not VR01..VR25, empty or given twice): {"error"}
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.core import risks
from bot.core.regions import is_region_code
from bot.gateway.errors import json_error

PATH = "/api/v1/risico"
NATIONAL_INFO = ["https://www.denkvooruit.nl", "https://crisis.nl"]
# The catalogue changes only on deploy.
CACHE_HEADERS = {"Cache-Control": "public, max-age=3600"}


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


def risk_payload(key: str, region: dict[str, Any] | None = None) -> dict[str, Any]:
    risk = risks.get_risk(key)
    assert risk is not None, key  # handle_risk only passes known keys
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


async def handle_risk(request: web.Request) -> web.Response:
    key = request.match_info["key"].strip().lower()
    if not risks.is_risk_key(key):
        return json_error(404, "unknown risk", keys=list(risks.RISK_KEYS))
    region = None
    if "region" in request.query:
        values = request.query.getall("region")
        code = values[0].strip().upper() if len(values) == 1 else ""
        if not is_region_code(code):
            return json_error(400, "region must be one code VR01..VR25")
        region = _get_region(code)
    return web.json_response(risk_payload(key, region), headers=CACHE_HEADERS)


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, handle_list)
    app.router.add_get(PATH + "/", handle_list)
    app.router.add_get(PATH + "/{key}", handle_risk)
