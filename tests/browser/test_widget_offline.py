"""Issue 21: when the widget cannot reach the server, the resident still sees 112 and where to look.

Real Chromium, real widget, real stack. Each failure (gateway stopped, a gateway
slower than the widget's timeout, 429, a site that is not allowed, a broken
data-region) must show the safety card: "Bel 112 bij direct gevaar" as a tel:
link and crisis.nl, in a live region, with no serious axe findings. Retries
carry the same message_id, so the gateway answers a message once.
"""

from __future__ import annotations

import http.server
import json
import re
import threading

import pytest
from playwright.sync_api import Page, Route, expect

from bot.ops.stack import free_port
from tests.browser.conftest import run_axe
from tests.browser.test_widget import HOST, Widget, goto_demo
from tests.conftest import rasa_heard

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def assert_safety_card(page: Page, widget: Widget, axe_source: str, region: bool = True) -> None:
    """What every failure must show; `region`: the region's links were loaded before."""
    expect(widget.card).to_be_visible()
    call = widget.card.locator("a[href='tel:112']")
    expect(call).to_have_text("Bel 112 bij direct gevaar")
    expect(widget.card.locator("a[href='https://crisis.nl']")).to_be_visible()
    # A screen reader hears it: the card sits in an assertive live region.
    assert widget.card.evaluate("el => el.parentElement.getAttribute('role')") == "alert"
    if region:  # the demo site and the allowed site are VR19, Zeeland
        expect(widget.card.locator("a[href='https://www.zeelandveilig.nl']")).to_be_visible()
        expect(widget.card).to_contain_text("Omroep Zeeland, FM 87.9")
    text = widget.card.text_content() or ""
    assert "geen verbinding" not in text.lower()
    # 112 comes before everything else that a resident can act on.
    order = widget.card.evaluate(
        "el => [...el.querySelectorAll('a, button')].map(x => x.getAttribute('href') || 'button')"
    )
    assert order[0] == "tel:112", order
    violations = run_axe(page, axe_source)
    assert violations == [], violations


def press_retry_until_back(page: Page, widget: Widget, seconds: float = 60) -> None:
    """Press "Opnieuw proberen" until the widget says the connection is back.

    The widget also retries by itself, so the button may be gone (or busy) at any moment.
    """
    for _ in range(int(seconds * 2)):
        if widget.note.count():
            return
        widget.shadow("const b = root.querySelector('.card button'); if (b) b.click();")
        page.wait_for_timeout(500)
    raise AssertionError("the widget never said the connection is back")


def session_id(page: Page) -> str:
    return page.evaluate("JSON.parse(sessionStorage.getItem('noodwijzer:v1')).sid")


def test_gateway_stopped_mid_conversation(stack, extra_gateway, axe_page, axe_source):
    page = axe_page
    widget = goto_demo(page, extra_gateway.url)
    widget.open()
    before = widget.send("Wat moet ik doen bij storm?")
    widget.wait_reply(before)  # a conversation is going on; the region's config is loaded

    question = "Wat moet ik doen bij een stroomstoring?"
    extra_gateway.stop()
    try:
        before = widget.send(question)
        assert_safety_card(page, widget, axe_source)
        expect(widget.card).to_contain_text("werkt nu even niet")
        expect(widget.card).to_contain_text("nog niet verstuurd")
        expect(widget.retry).to_be_visible()
        expect(widget.input).to_have_value(question)  # the typed text stays
        assert widget.bot.count() == before
    finally:
        extra_gateway.start()
    # The widget tries again by itself (backing off); the retry button does it now.
    press_retry_until_back(page, widget)
    expect(widget.note).to_have_text("De verbinding is terug.")
    widget.wait_reply(before)
    expect(widget.card).to_have_count(0)
    expect(widget.input).to_have_value("")
    assert widget.user.all_text_contents().count(f"Jij: {question}") == 1
    assert rasa_heard(stack, session_id(page), question) == 1


def test_gateway_slower_than_the_timeout_is_retried_and_answered_once(stack, axe_page, axe_source):
    page = axe_page
    page.clock.install()
    question = "Hoeveel water heb ik nodig?"
    bodies: list[dict] = []
    held: list[Route] = []
    parked: list[Route] = []
    release = False

    def slow_then_normal(route: Route) -> None:
        bodies.append(json.loads(route.request.post_data or "{}"))
        if len(bodies) == 1:
            route.fetch()  # the gateway gets the message and answers...
            held.append(route)  # ...but the answer never reaches the browser in time
        elif release:
            route.continue_()
        else:
            parked.append(route)  # a retry while the test still looks at the card

    widget = goto_demo(page, stack.gateway)
    widget.open()
    expect(widget.replies.first).to_be_visible()  # greeted: the config is in
    page.route("**/api/v1/chat**", slow_then_normal)
    before = widget.send(question)
    page.wait_for_function("() => true")
    page.clock.run_for(21_000)  # past the widget's 20 s timeout
    assert_safety_card(page, widget, axe_source)
    expect(widget.input).to_have_value(question)

    release = True
    if parked:
        parked[0].continue_()
    else:
        page.clock.run_for(4_000)  # the first automatic retry (2-3 s)
    expect(widget.note).to_have_text("De verbinding is terug.")
    widget.wait_reply(before)
    expect(widget.card).to_have_count(0)
    assert len(bodies) == 2
    assert bodies[0]["message_id"] == bodies[1]["message_id"]  # the same key...
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", bodies[0]["message_id"])
    assert rasa_heard(stack, bodies[0]["session_id"], question) == 1  # ...so Rasa heard it once
    assert widget.user.all_text_contents().count(f"Jij: {question}") == 1


def test_5xx_from_a_proxy_shows_the_card_and_retries_back_off(stack, axe_page, axe_source):
    page = axe_page
    page.clock.install()
    calls: list[dict] = []

    def bad_gateway(route: Route) -> None:
        calls.append(json.loads(route.request.post_data or "{}"))
        route.fulfill(status=502, content_type="text/html", body="<h1>502 Bad Gateway</h1>")

    widget = goto_demo(page, stack.gateway)
    widget.open()
    expect(widget.replies.first).to_be_visible()
    page.route("**/api/v1/chat**", bad_gateway)
    widget.send("Wat doe ik bij een overstroming?")
    expect(widget.card).to_be_visible()
    expect(widget.card).to_contain_text("werkt nu even niet")
    page.wait_for_timeout(300)
    # Tries 2-3 s later, then 4-5 s after that, then 8-9 s: never a burst.
    page.clock.run_for(3_100)
    page.wait_for_timeout(300)
    assert len(calls) == 2, calls
    page.clock.run_for(5_100)
    page.wait_for_timeout(300)
    assert len(calls) == 3
    page.clock.run_for(3_000)
    page.wait_for_timeout(300)
    assert len(calls) == 3  # the third retry waits 8-9 s
    page.clock.run_for(6_000)
    page.wait_for_timeout(300)
    assert len(calls) == 4
    assert len({c["message_id"] for c in calls}) == 1  # always the same message
    assert_safety_card(page, widget, axe_source)


def test_429_shows_the_wait_and_retries_after_it(stack, axe_page, axe_source):
    page = axe_page
    page.clock.install()
    calls: list[dict] = []

    def busy_once(route: Route) -> None:
        calls.append(json.loads(route.request.post_data or "{}"))
        if len(calls) == 1:
            route.fulfill(
                status=429,
                headers={"Retry-After": "42"},
                content_type="application/json",
                body=json.dumps({"error": "too many messages, wait a minute", "retry_after": 42}),
            )
        else:
            route.continue_()

    widget = goto_demo(page, stack.gateway)
    widget.open()
    expect(widget.replies.first).to_be_visible()
    page.route("**/api/v1/chat**", busy_once)
    before = widget.send("Wat doe ik bij hitte?")
    assert_safety_card(page, widget, axe_source)
    expect(widget.card).to_contain_text("Het is nu erg druk. We proberen het over 42 seconden opnieuw.")
    page.clock.run_for(30_000)
    assert len(calls) == 1  # no retry before the wait is over
    page.clock.run_for(14_000)
    widget.wait_reply(before)
    expect(widget.card).to_have_count(0)
    assert len(calls) == 2 and calls[0]["message_id"] == calls[1]["message_id"]


def test_site_not_allowed_gets_only_the_safety_card(extra_gateway, third_party_sites, axe_page, axe_source):
    page = axe_page
    _allowed, refused, _ = third_party_sites
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if "Noodwijzer" in msg.text else None)
    chats: list[str] = []
    page.on("request", lambda req: chats.append(req.url) if "/api/v1/chat" in req.url else None)
    page.goto(f"{refused.origin}/")
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()
    widget.open()
    assert_safety_card(page, widget, axe_source, region=False)
    expect(widget.card).to_contain_text("De Noodwijzer werkt nog niet op deze website.")
    # It does not pretend to chat: no greeting, no input, no retry.
    expect(widget.bot).to_have_count(0)
    expect(page.locator(f"{HOST} form")).to_be_hidden()
    expect(widget.retry).to_have_count(0)
    widget.launcher.click()
    widget.launcher.click()  # closing and opening again still shows the card
    expect(widget.card).to_be_visible()
    assert chats == []
    # One line for the site's developers: what is wrong and where to read more.
    assert len(console) == 1, console
    assert refused.origin in console[0] and "allowed_origins" in console[0]
    assert f"{extra_gateway.url}/embed" in console[0]


def serve_once(html: str) -> http.server.ThreadingHTTPServer:
    """A real loopback site (Chromium does not let a routed page load from 127.0.0.1)."""
    body = html.encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_broken_data_region_gets_only_the_safety_card(stack, axe_page, axe_source):
    page = axe_page
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text) if "Noodwijzer" in msg.text else None)
    server = serve_once(
        '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Gemeente</title></head>'
        "<body><main><h1>Gemeente</h1></main>"
        f'<script src="{stack.gateway}/widget.js" data-region="VR99" async></script></body></html>'
    )
    try:
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        widget = Widget(page)
        widget.open()
        assert_safety_card(page, widget, axe_source, region=False)
        expect(page.locator(f"{HOST} form")).to_be_hidden()
        assert len(console) == 1 and 'data-region="VR99"' in console[0] and "/embed" in console[0]
    finally:
        server.shutdown()
        server.server_close()


def test_card_works_with_no_server_at_all(stack, axe_page, axe_source):
    """The server was never reached on this page: only widget.js's own words and the cached config."""
    page = axe_page
    widget = goto_demo(page, stack.gateway)  # loads the region's config once (kept for this tab)
    widget.open()
    expect(widget.replies.first).to_be_visible()
    page.route("**/api/v1/**", lambda route: route.abort("connectionrefused"))
    page.reload()
    widget = Widget(page)
    expect(widget.panel).to_be_visible()  # it was open
    widget.send("Is er nieuws?")
    assert_safety_card(page, widget, axe_source)  # the region's links come from the kept config
    page.unroute("**/api/v1/**")
    press_retry_until_back(page, widget)  # the server is back: the widget notices and says so
    expect(widget.note).to_have_text("De verbinding is terug.")
    expect(widget.card).to_have_count(0)
