"""Noodpakket plan over HTTP.

POST /api/v1/noodpakket   JSON household + budget -> the plan (see docs and DESIGN.md contract)
GET  /noodpakket/checklist  the same plan as a printable A4 HTML page

Both validate with bot.core.kit.parse_request, so a bad household gets the same 400
JSON error on either route. The checklist carries the household in its query
string only: nothing is stored, and nothing about the household is logged.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from bot.core import kit
from bot.core.knowledge import TEMPLATES_DIR
from bot.gateway.errors import json_error
from bot.texts.jinja import html_environment
from bot.texts.replies import Replies

API_PATH = "/api/v1/noodpakket"
CHECKLIST_TEMPLATE = "checklist.html.j2"
PLAN_RESPONSE = "utter_kit_plan"
INT_RE = re.compile(r"^\d{1,6}$")
NUMBER_RE = re.compile(r"^\d{1,6}(?:\.\d{1,2})?$")
QUERY_FIELDS = set(kit.COUNT_FIELDS) | {"budget_eur", "days", "needs", "region"}

# The page shows no private data to third parties: no external resources,
# no scripts, no referrer (the query holds the household), not cached.
CHECKLIST_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


_HTML = html_environment(TEMPLATES_DIR / "web")


def plan_text(replies: Replies, plan: kit.Plan) -> str:
    """The plan in words: the same template and context the bot uses in chat."""
    return replies.render(PLAN_RESPONSE, region=plan.region, arguments={"plan": plan}).text


def plan_response(replies: Replies, request: kit.PlanRequest) -> dict[str, Any]:
    plan = kit.make_plan(request)
    return {**plan.as_dict(), "text": plan_text(replies, plan)}


def render_checklist(plan: kit.Plan) -> str:
    weeks = [step["week"] for step in plan.spread["schedule"] for _ in step["items"]]
    rows = [{"week": week, "item": item} for week, item in zip(weeks, plan.later)]
    return _HTML.get_template(CHECKLIST_TEMPLATE).render(plan=plan, kit=kit.kit_facts(), later_rows=rows)


def request_from_query(query: MultiMapping[str]) -> kit.PlanRequest:
    """Turn query parameters (all strings) into the JSON shape parse_request checks."""
    unknown = set(query.keys()) - QUERY_FIELDS
    if unknown:
        raise kit.PlanInputError("unknown parameter: " + ", ".join(sorted(unknown))[:100])
    payload: dict[str, Any] = {}
    for name in (*kit.COUNT_FIELDS, "days"):
        values = query.getall(name, [])
        if len(values) > 1:
            raise kit.PlanInputError(f"'{name}' given more than once")
        if values:
            if not INT_RE.match(values[0]):
                raise kit.PlanInputError(f"'{name}' must be a whole number (0 or more)")
            payload[name] = int(values[0])
    budgets = query.getall("budget_eur", [])
    if len(budgets) != 1 or not NUMBER_RE.match(budgets[0]):
        raise kit.PlanInputError("'budget_eur' must be one number (0 or more)")
    payload["budget_eur"] = float(budgets[0])
    payload["needs"] = query.getall("needs", [])
    regions = query.getall("region", [])
    if len(regions) > 1:
        raise kit.PlanInputError("'region' given more than once")
    if regions:
        payload["region"] = regions[0]
    return kit.parse_request(payload)


async def handle_plan(request: web.Request) -> web.Response:
    try:
        payload = json.loads(await request.text())
    except (ValueError, UnicodeDecodeError):
        return json_error(400, "body is not valid JSON")
    try:
        plan_request = kit.parse_request(payload)
    except kit.PlanInputError as exc:
        return json_error(400, str(exc))
    return web.json_response(plan_response(request.app["replies"], plan_request))


async def handle_checklist(request: web.Request) -> web.Response:
    try:
        plan_request = request_from_query(request.query)
    except kit.PlanInputError as exc:
        return json_error(400, str(exc))
    html = render_checklist(kit.make_plan(plan_request))
    return web.Response(text=html, content_type="text/html", charset="utf-8", headers=CHECKLIST_HEADERS)


def setup(app: web.Application) -> None:
    app.router.add_post(API_PATH, handle_plan)
    app.router.add_get(kit.CHECKLIST_PATH, handle_checklist)
