"""GET /api/v1/regio?gemeente=NAME -> the resident's veiligheidsregio (JSON).

Status codes:
  200  found: {"code","name","gemeente","website","alert_site","radio":{"name","fm"}, ...}
  400  parameter missing, empty or longer than 100 characters
  404  unknown name: {"error", "suggestions": [names to try]}
  409  ambiguous name such as "Bergen": {"error", "suggestions": [...]}.
       409 and not 300, because a 300 answer has no agreed JSON shape; the
       caller should ask the resident which one and call again.
Only verified websites, alert sites and frequencies are returned; unverified
values are listed separately under "unverified" (see data/knowledge/regions.yml).
The gemeente name is never logged.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.core.regions import MAX_INPUT_CHARS, LookupResult, get_region, lookup_gemeente
from bot.gateway.errors import json_error

PATH = "/api/v1/regio"
# Region data changes only on deploy; let browsers and proxies keep it for an hour.
CACHE_HEADERS = {"Cache-Control": "public, max-age=3600"}


def region_payload(gemeente_result: LookupResult) -> dict[str, Any]:
    region = get_region(gemeente_result.region_code) or {}
    return {
        "code": region.get("code"),
        "name": region.get("name"),
        "gemeente": gemeente_result.gemeente,
        "gemeente_code": gemeente_result.gemeente_code,
        "gemeente_display": gemeente_result.display,
        "matched": gemeente_result.matched,
        "website": region.get("website"),
        "alert_site": region.get("alert_site"),
        "alert_app": region.get("alert_app"),
        "radio": region.get("radio"),
        "unverified": region.get("unverified", {}),
        "sources": region.get("sources", []),
    }


async def handle_regio(request: web.Request) -> web.Response:
    values = request.query.getall("gemeente", [])
    if len(values) != 1:
        return json_error(400, "give exactly one 'gemeente' parameter")
    name = values[0].strip()
    if not name:
        return json_error(400, "parameter 'gemeente' is empty")
    if len(name) > MAX_INPUT_CHARS:
        return json_error(400, f"parameter 'gemeente' is longer than {MAX_INPUT_CHARS} characters")
    result = lookup_gemeente(name)
    if result.status == "found":
        return web.json_response(region_payload(result), headers=CACHE_HEADERS)
    if result.status == "ambiguous":
        return json_error(409, "ambiguous gemeente: choose one of the suggestions", suggestions=result.candidates)
    return json_error(404, "unknown gemeente", suggestions=result.candidates)


def setup(app: web.Application) -> None:
    app.router.add_get(PATH, handle_regio)
