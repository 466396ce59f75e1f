"""Noodpakket plan over HTTP.

POST /api/v1/noodpakket      JSON household + budget -> the plan (see docs and DESIGN.md contract)
GET  /noodpakket/checklist   the printable A4 page, the same for everyone (no household)
GET  /noodpakket/checklist.js  its script
POST /noodpakket/checklist   form-encoded household (the page's URL fragment) -> the plan as HTML

The household travels in the checklist URL's fragment (`checklist_url` is
`/noodpakket/checklist#adults=2&...`), which browsers never send to a server:
the page's own script posts it in a request body. So no proxy access log, server
log or Referer holds a household or a health need, and nothing is stored.
Every route validates with bot.core.kit.parse_request: a bad household gets the
same 400 JSON error on each. The plan's text and the checklist's plan part are
rendered in the render pool's worker processes, off the event loop, with a time
budget (bot/texts/safe_render.py).
"""

from __future__ import annotations

import functools
import logging
import re
import urllib.parse
from typing import Any

from aiohttp import web
from multidict import MultiDict, MultiMapping

from bot.core import kit
from bot.core.knowledge import TEMPLATES_DIR
from bot.gateway.errors import BadInput, json_error, read_json
from bot.gateway.widget import STATIC_DIR
from bot.redactie import inzicht
from bot.texts.jinja import html_environment
from bot.texts.replies import Replies
from bot.texts.safe_render import off_loop, shared_pool

logger = logging.getLogger(__name__)

API_PATH = "/api/v1/noodpakket"
CHECKLIST_TEMPLATE = "checklist.html.j2"
CHECKLIST_PLAN_TEMPLATE = "checklist_plan.html.j2"
CHECKLIST_SCRIPT = kit.CHECKLIST_PATH + ".js"
MAX_FRAGMENT = 1024  # the longest household fragment is ~250 characters
PLAN_RESPONSE = "utter_kit_plan"
INT_RE = re.compile(r"^\d{1,6}$")
NUMBER_RE = re.compile(r"^\d{1,6}(?:\.\d{1,2})?$")
QUERY_FIELDS = set(kit.COUNT_FIELDS) | {"budget_eur", "days", "needs", "region"}

# The page shows no private data to third parties: no external resources, only
# its own script, which may only call this server; no referrer; not cached.
CHECKLIST_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
    ),
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


class ChecklistUnavailable(Exception):
    """The plan part could not be rendered within its limits."""


def render_checklist(plan: kit.Plan) -> str:
    """The plan part of the checklist page (HTML, no scripts), rendered in a worker with a time budget."""
    weeks = [step["week"] for step in plan.spread["schedule"] for _ in step["items"]]
    rows = [{"week": week, "item": item} for week, item in zip(weeks, plan.later)]
    context = {"plan": plan, "kit": kit.kit_facts(), "later_rows": rows}
    outcome = shared_pool().render_page(TEMPLATES_DIR / "web", CHECKLIST_PLAN_TEMPLATE, context)
    if outcome.error == "unavailable":
        # No worker to be had: this page is the repository's own, so render it here.
        return _HTML.get_template(CHECKLIST_PLAN_TEMPLATE).render(**context)
    if outcome.raw is None:
        raise ChecklistUnavailable(outcome.error)
    return outcome.raw


@functools.lru_cache(maxsize=1)
def checklist_page() -> str:
    """The page around it: the same for everyone, so it can hold nothing personal."""
    return _HTML.get_template(CHECKLIST_TEMPLATE).render()


@functools.lru_cache(maxsize=1)
def checklist_script() -> bytes:
    return (STATIC_DIR / "checklist.js").read_bytes()


def request_from_fragment(raw: bytes) -> kit.PlanRequest:
    """The checklist URL's fragment (as the page's script posts it) -> a plan request."""
    if len(raw) > MAX_FRAGMENT:
        raise BadInput(f"body is larger than {MAX_FRAGMENT} bytes", 413)
    try:
        text = raw.decode("ascii")
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, max_num_fields=40, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise kit.PlanInputError("the household must be form-encoded UTF-8 (adults=2&budget_eur=50)") from None
    return request_from_query(MultiDict(pairs))


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
    payload = await read_json(request)
    try:
        plan_request = kit.parse_request(payload)
    except kit.PlanInputError as exc:
        return json_error(400, str(exc))
    return web.json_response(await off_loop(plan_response, request.app["replies"], plan_request))


async def handle_checklist_page(request: web.Request) -> web.Response:
    # A query string is not read: an old link that carried the household in it
    # gets the page without data, which asks for a new list.
    return web.Response(text=checklist_page(), content_type="text/html", charset="utf-8", headers=CHECKLIST_HEADERS)


async def handle_checklist_script(request: web.Request) -> web.Response:
    headers = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}
    return web.Response(
        body=checklist_script(), content_type="application/javascript", charset="utf-8", headers=headers
    )


async def handle_checklist_plan(request: web.Request) -> web.Response:
    if request.content_length is not None and request.content_length > MAX_FRAGMENT:
        raise BadInput(f"body is larger than {MAX_FRAGMENT} bytes", 413)
    try:
        plan_request = request_from_fragment(await request.read())
    except kit.PlanInputError as exc:
        return json_error(400, str(exc))
    try:
        html = await off_loop(render_checklist, kit.make_plan(plan_request))
    except ChecklistUnavailable as exc:
        logger.error("checklist plan not rendered: %s", exc)
        return json_error(503, "de lijst kan nu niet gemaakt worden, probeer het zo opnieuw")
    inzicht.count(request.app, plan_request.region, [("checklist", "")])  # Inzicht: counted, not recorded
    return web.Response(text=html, content_type="text/html", charset="utf-8", headers=CHECKLIST_HEADERS)


def setup(app: web.Application) -> None:
    app.router.add_post(API_PATH, handle_plan)
    app.router.add_get(kit.CHECKLIST_PATH, handle_checklist_page)
    app.router.add_post(kit.CHECKLIST_PATH, handle_checklist_plan)
    app.router.add_get(CHECKLIST_SCRIPT, handle_checklist_script)
