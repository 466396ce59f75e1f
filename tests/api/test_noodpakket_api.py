"""POST /api/v1/noodpakket and the printable checklist (/noodpakket/checklist#household).

Most tests run the route module in-process (aiohttp test server, no Rasa);
the `stack` ones go through the real gateway, including the chat."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core import kit
from bot.gateway import noodpakket_api
from bot.gateway.errors import error_middleware
from bot.texts import readability as rb
from bot.texts.context import template_context
from bot.texts.render import Renderer, split_bubbles
from bot.texts.replies import Replies
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import Chat, post_json

FAMILY = {"adults": 2, "children": 2, "babies": 0, "pets": 0, "budget_eur": 50}


@pytest.fixture
async def client():
    app = web.Application(middlewares=[error_middleware], client_max_size=64 * 1024)
    app["replies"] = Replies(Renderer(strict=True))
    noodpakket_api.setup(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


class ChecklistParser(HTMLParser):
    """Collects what a test needs from the checklist page."""

    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.checkboxes = 0
        self.external = []
        self.scripts = 0
        self.styles = []
        self.text = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "input" and attrs.get("type") == "checkbox":
            self.checkboxes += 1
        if tag == "script":
            self.scripts += 1
        if tag == "style":
            self._in_style = True
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            if value.startswith(("http:", "https:", "//")):
                self.external.append(value)

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        (self.styles if self._in_style else self.text).append(data)


def parse_html(html: str) -> ChecklistParser:
    parser = ChecklistParser()
    parser.feed(html)
    return parser


# --- POST /api/v1/noodpakket ----------------------------------------------------------


async def test_plan_for_family_of_four_on_fifty_euro(client):
    resp = await client.post("/api/v1/noodpakket", json=FAMILY)
    assert resp.status == 200
    body = await resp.json()
    for key in (
        "persons",
        "days",
        "water_liters",
        "cash_eur",
        "budget_eur",
        "total_cost_eur",
        "items",
        "later",
        "free_actions",
        "text",
        "checklist_url",
    ):
        assert key in body, key
    assert body["persons"] == 4 and body["days"] == 3
    assert body["water_liters"] == 36
    assert body["cash_eur"] == 200
    assert body["budget_eur"] == 50
    assert 0 < body["total_cost_eur"] <= 50
    for item in body["items"] + body["later"]:
        assert set(item) == {"id", "name", "quantity", "unit", "cost_eur", "priority", "reason"}
    assert "36 liter" in body["text"]
    assert "ongeveer" in body["text"]
    assert body["checklist_url"].startswith("/noodpakket/checklist#")
    # The text is the bot's own template, rendered with this plan.
    assert (
        body["text"]
        == Renderer(strict=True)
        .render("utter_kit_plan", template_context({}, None, {"plan": {k: v for k, v in body.items() if k != "text"}}))
        .text
    )


async def test_plan_text_is_b1(client):
    for payload in (
        FAMILY,
        {"adults": 1, "budget_eur": 0, "needs": ["medicijnen"]},
        {"adults": 3, "children": 4, "babies": 1, "pets": 2, "budget_eur": 80},
    ):
        body = await (await client.post("/api/v1/noodpakket", json=payload)).json()
        prose = "\n".join(line for line in body["text"].splitlines() if not line.startswith("/noodpakket"))
        assert rb.words_per_sentence(prose) <= 15
        assert rb.hard_sentences(prose) == []
        assert all(len(bubble) < 700 for bubble in split_bubbles(body["text"]))


async def test_days_and_needs_are_used(client):
    body = await (await client.post("/api/v1/noodpakket", json={**FAMILY, "days": 5, "needs": ["medicijnen"]})).json()
    assert body["days"] == 5
    assert body["water_liters"] == 60
    assert "pillendoos" in {i["id"] for i in body["items"] + body["later"]}


@pytest.mark.parametrize(
    "payload",
    [
        {**FAMILY, "adults": 0, "children": 0},
        {**FAMILY, "adults": -1},
        {**FAMILY, "budget_eur": -5},
        {**FAMILY, "adults": True},
        {**FAMILY, "adults": "2"},
        {**FAMILY, "budget_eur": "vijftig"},
        {**FAMILY, "adults": 51},
        {**FAMILY, "days": 31},
        {**FAMILY, "budget_eur": 100001},
        {**FAMILY, "needs": ["toverdrank"]},
        {**FAMILY, "region": "VR99"},
        {"adults": 2},
        [],
        "x",
    ],
)
async def test_bad_input_gets_400_json(client, payload):
    resp = await client.post("/api/v1/noodpakket", json=payload)
    assert resp.status == 400
    body = await resp.json()
    assert isinstance(body["error"], str) and body["error"]


@pytest.mark.parametrize("raw", [b"{", b"", b"\xff\xfe", b"null"])
async def test_invalid_json_gets_400(client, raw):
    resp = await client.post("/api/v1/noodpakket", data=raw, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    assert "error" in await resp.json()


async def test_too_large_body_is_4xx_json(client):
    resp = await client.post(
        "/api/v1/noodpakket", data=b"{" + b" " * 70_000 + b"}", headers={"Content-Type": "application/json"}
    )
    assert resp.status == 413
    assert "error" in await resp.json()


# --- the checklist: a page that holds no data, and the plan from the URL fragment ------------


def fragment(plan: dict) -> str:
    path, _, household = plan["checklist_url"].partition("#")
    assert path == kit.CHECKLIST_PATH and "?" not in path
    return household


async def test_checklist_page_is_the_same_for_everyone(client):
    resp = await client.get(kit.CHECKLIST_PATH)
    assert resp.status == 200
    assert resp.content_type == "text/html"
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    html = await resp.text()
    page = parse_html(html)
    assert page.lang == "nl" and page.external == [] and page.scripts == 1
    style = "".join(page.styles)
    assert "@media print" in style and "size: A4" in style
    # An old link with the household in its query gets the same page: the query is not read.
    assert await (await client.get(kit.CHECKLIST_PATH + "?adults=2&needs=medicijnen")).text() == html
    script = await client.get(noodpakket_api.CHECKLIST_SCRIPT)
    assert script.status == 200 and "location.hash" in await script.text()


async def test_checklist_plan_from_the_fragment(client):
    plan = await (await client.post("/api/v1/noodpakket", json={**FAMILY, "pets": 1, "needs": ["medicijnen"]})).json()
    resp = await client.post(
        kit.CHECKLIST_PATH, data=fragment(plan), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert resp.status == 200 and resp.content_type == "text/html"
    assert resp.headers["Cache-Control"] == "no-store"
    page = parse_html(await resp.text())
    assert page.external == [] and page.scripts == 0
    text = " ".join(" ".join(page.text).split())
    for item in plan["items"] + plan["later"]:
        assert item["name"] in text, item["id"]
    for action in plan["free_actions"]:
        assert action["text"] in text
    # One checkbox per free action, per item now and later, plus one for the cash.
    assert page.checkboxes == len(plan["free_actions"]) + len(plan["items"]) + len(plan["later"]) + 1
    assert "36 liter" in text and "medicijnen" in text.lower()


async def test_checklist_escapes_html(client, monkeypatch):
    monkeypatch.setattr(kit, "get_region", lambda code: {"radio": {"name": "<script>alert(1)</script>", "fm": "1"}})
    resp = await client.post(kit.CHECKLIST_PATH, data="adults=1&budget_eur=0&region=VR01")
    html = await resp.text()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


@pytest.mark.parametrize(
    "household",
    [
        "adults=0&budget_eur=10",
        "adults=-1&budget_eur=10",
        "adults=abc&budget_eur=10",
        "adults=2",
        "adults=2&budget_eur=ten",
        "adults=2&budget_eur=10&needs=vliegen",
        "adults=2&budget_eur=10&region=XX",
        "adults=2&adults=3&budget_eur=10",
        "adults=2&budget_eur=10&evil=1",
        "adults=99&budget_eur=10",
        "adults=2&budget_eur=10&needs=%ff%fe",
        "",
    ],
)
async def test_checklist_bad_household_gets_400(client, household):
    resp = await client.post(kit.CHECKLIST_PATH, data=household)
    assert resp.status == 400
    assert "error" in await resp.json()


async def test_checklist_too_long_gets_413(client):
    resp = await client.post(kit.CHECKLIST_PATH, data="adults=2&budget_eur=10&" + "x" * 5000)
    assert resp.status == 413


def test_checklist_fragment_round_trip_gives_same_plan():
    request = kit.parse_request(
        {
            "adults": 2,
            "children": 1,
            "babies": 1,
            "pets": 2,
            "budget_eur": 33.5,
            "days": 4,
            "needs": ["luiers", "zicht"],
            "region": "VR19",
        }
    )
    url = kit.checklist_url(request)
    assert noodpakket_api.request_from_fragment(url.partition("#")[2].encode()) == request


# --- through the real stack -----------------------------------------------------------------


@pytest.mark.stack
def test_stack_api_and_checklist(stack):
    status, body = post_json(f"{stack.gateway}/api/v1/noodpakket", FAMILY)
    assert status == 200, body
    assert body["water_liters"] == 36 and body["total_cost_eur"] <= 50
    status, page = post_json(stack.gateway + kit.CHECKLIST_PATH, fragment(body))
    assert status == 200
    assert body["items"][0]["name"] in page
    status, error = post_json(f"{stack.gateway}/api/v1/noodpakket", {**FAMILY, "adults": -1})
    assert status == 400 and "error" in error


def _text(messages) -> str:
    return "\n".join(m.get("text", "") for m in messages)


@pytest.mark.stack
@pytest.mark.parametrize(
    "turns",
    [
        # Everything in one message: the standard list first (issue 17); its button starts
        # the form, which keeps the details and asks only for the needs.
        ["Ik wil een noodpakket. We zijn met 2 volwassenen en 2 kinderen en hebben 50 euro", "/start_kit_plan", "nee"],
        # Step by step, answering each question.
        ["help me met een noodpakket", "2 volwassenen en 2 kinderen", "50 euro", "nee"],
        # Collective number and money words.
        ["wat moet er in een noodpakket", "we zijn met z'n vieren, waarvan 2 kinderen", "vijf tientjes", "geen"],
        # Typos and an informal budget.
        ["noodpakket maken", "2 volwasenen en 2 kinderren", "vijftig", "nee hoor"],
        # A correction halfway: first 1 child, then "nee, twee kinderen".
        ["ik wil een noodpakket samenstellen", "2 volwassenen en 1 kind", "nee, twee kinderen", "50 euro", "nee"],
    ],
)
def test_chat_reaches_plan(stack, turns):
    chat = Chat(stack.gateway)
    replies = []
    for message in turns:
        replies = chat.say(message)
    text = _text(replies)
    assert "36 liter" in text, text
    assert "/noodpakket/checklist#" in text and "/noodpakket/checklist?" not in text


@pytest.mark.stack
def test_chat_side_question_then_back_to_the_form(stack):
    chat = Chat(stack.gateway)
    chat.say("ik wil een noodpakket")
    chat.say("ik woon alleen met mijn hond")
    side = _text(chat.say("wat moet ik doen bij een stroomstoring?"))
    assert "stroom" in side.lower()
    chat.say("twintig euro")
    plan = _text(chat.say("medicijnen"))
    assert "9 liter" in plan, plan
    assert "medicijnen" in plan


@pytest.mark.stack
def test_chat_unknown_budget_gives_free_plan(stack):
    chat = Chat(stack.gateway)
    chat.say("noodpakket")
    chat.say("ik woon alleen")
    chat.say("weet ik niet")
    plan = _text(chat.say("nee"))
    assert "gratis" in plan and "9 liter" in plan


# --- in a real browser ----------------------------------------------------------------------


@pytest.fixture
def checklist_server():
    """The route module on a real port, in a thread (Playwright's sync API needs its own loop)."""
    import asyncio
    import threading

    from bot.ops.stack import free_port

    port = free_port()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder = {}

    async def start():
        app = web.Application(middlewares=[error_middleware])
        app["replies"] = Replies(Renderer(strict=True))
        noodpakket_api.setup(app)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        holder["runner"] = runner

    def serve():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield f"http://127.0.0.1:{port}"
    asyncio.run_coroutine_threadsafe(holder["runner"].cleanup(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.mark.browser
def test_checklist_in_chromium(checklist_server):
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup_test_deps.sh")
    request = kit.parse_request({**FAMILY, "babies": 1, "pets": 1})
    plan = kit.make_plan(request).as_dict()
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            outside = []
            page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(checklist_server) else None)
            response = page.goto(checklist_server + plan["checklist_url"])
            assert response.status == 200
            assert page.get_attribute("html", "lang") == "nl"
            page.wait_for_selector("html[data-loaded=true]")
            body = page.inner_text("body")
            for item in plan["items"] + plan["later"]:
                assert item["name"] in body
            boxes = page.locator("input[type=checkbox]")
            assert boxes.count() == len(plan["free_actions"]) + len(plan["items"]) + len(plan["later"]) + 1
            boxes.first.check()
            assert boxes.first.is_checked()
            page.emulate_media(media="print")
            assert not page.locator(".noprint").is_visible()
            pdf = page.pdf(format="A4")
            assert pdf.startswith(b"%PDF")
            assert outside == []  # no external resources
        finally:
            browser.close()
