"""The web widget in a real Chromium, through the real stack (gateway, Rasa, actions, NLG)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import run_axe

pytestmark = [pytest.mark.stack, pytest.mark.browser]

HOST = "noodwijzer-widget"


class Widget:
    """The widget on a page; Playwright's CSS locators pierce the open shadow root."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator(f"{HOST} .launcher")
        self.panel = page.get_by_role("dialog")
        self.input = page.get_by_role("textbox")
        self.log = page.get_by_role("log")
        self.bot = page.locator(f"{HOST} .msg.bot")
        self.user = page.locator(f"{HOST} .msg.user")
        self.replies = page.locator(f"{HOST} .replies button")
        # The safety card (issue 21) and its live region.
        self.card = page.locator(f"{HOST} [role=alert] > .card")
        self.retry = page.locator(f"{HOST} .card button")
        self.note = page.locator(f"{HOST} .msg.note")

    def shadow(self, script: str):
        return self.page.evaluate(f"(() => {{ const root = document.querySelector('{HOST}').shadowRoot; {script} }})()")

    def focused(self) -> str:
        """Class of the focused element inside the widget, '' when focus is elsewhere."""
        return self.page.evaluate(
            f"""() => document.activeElement && document.activeElement.tagName === '{HOST.upper()}'
                   ? (document.activeElement.shadowRoot.activeElement || {{}}).className || '' : ''"""
        )

    def open(self) -> None:
        self.launcher.click()
        expect(self.panel).to_be_visible()

    def send(self, text: str) -> int:
        before = self.bot.count()
        self.input.fill(text)
        self.input.press("Enter")
        return before

    def wait_reply(self, before: int) -> None:
        """Until the bot added messages after `before` and stopped typing."""
        self.page.wait_for_function(
            """([host, before]) => {
                const root = document.querySelector(host).shadowRoot;
                return root.querySelectorAll('.msg.bot').length > before && root.querySelector('.typing').hidden;
            }""",
            arg=[HOST, before],
        )

    def texts(self) -> list[str]:
        return self.shadow("return [...root.querySelectorAll('.msg')].map(m => m.textContent);")


def goto_demo(page: Page, base: str) -> Widget:
    page.goto(f"{base}/")
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()
    return widget


def watch_console(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on("console", lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None)
    return problems


def test_keyboard_only_open_ask_answer_quick_reply_and_close(stack, page):
    problems = watch_console(page)
    widget = goto_demo(page, stack.gateway)
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    for _ in range(20):
        page.keyboard.press("Tab")
        if widget.focused().startswith("launcher"):
            break
    assert widget.focused().startswith("launcher"), "the launcher cannot be reached with Tab"

    page.keyboard.press("Enter")
    expect(widget.panel).to_be_visible()
    expect(widget.launcher).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("heading", name=re.compile("Noodwijzer"))).to_be_visible()
    assert widget.shadow("return root.activeElement && root.activeElement.id;") == "nw-input"

    # A quick reply by keyboard: Shift+Tab from the input lands on the last one.
    expect(widget.replies.last).to_be_visible()
    title = widget.replies.last.text_content()
    page.keyboard.press("Shift+Tab")
    assert widget.shadow("return root.activeElement.textContent;") == title
    before = widget.bot.count()
    page.keyboard.press("Enter")
    expect(widget.user.last).to_have_text(re.compile(re.escape(title)))
    widget.wait_reply(before)
    assert widget.shadow("return root.activeElement && root.activeElement.id;") == "nw-input"

    before = widget.bot.count()
    page.keyboard.type("Wat moet ik doen bij een stroomstoring?")
    page.keyboard.press("Enter")
    widget.wait_reply(before)
    answer = " ".join(widget.bot.all_text_contents()[before:]).lower()
    assert "stroom" in answer
    expect(widget.user.last).to_have_text(re.compile("Wat moet ik doen bij een stroomstoring"))

    page.keyboard.press("Escape")
    expect(widget.panel).to_be_hidden()
    assert widget.focused().startswith("launcher"), "focus must return to the launcher"
    expect(widget.launcher).to_have_attribute("aria-expanded", "false")
    assert problems == []


def test_click_quick_reply_sends_payload_and_shows_title(stack, page):
    widget = goto_demo(page, stack.gateway)
    widget.open()
    expect(widget.replies.first).to_be_visible()
    title = widget.replies.first.text_content()
    assert title and not title.startswith("/")
    before = widget.bot.count()
    widget.replies.first.click()
    expect(widget.user.last).to_have_text(re.compile(re.escape(title)))
    widget.wait_reply(before)
    assert widget.bot.count() > before
    assert not any(t.strip().startswith(("/", "Jij: /")) for t in widget.user.all_text_contents())


def test_reload_and_next_page_keep_the_conversation(stack, page):
    widget = goto_demo(page, stack.gateway)
    widget.open()
    before = widget.send("Hoeveel water heb ik nodig in mijn noodpakket?")
    widget.wait_reply(before)
    transcript = widget.texts()
    session_id = page.evaluate("JSON.parse(sessionStorage.getItem('noodwijzer:v1')).sid")
    assert len(transcript) >= 3

    page.reload()
    widget = Widget(page)
    expect(widget.panel).to_be_visible()  # it was open, so it stays open
    assert widget.texts() == transcript

    page.goto(f"{stack.gateway}/?pagina=2")  # another page of the same site
    widget = Widget(page)
    expect(widget.panel).to_be_visible()
    assert widget.texts() == transcript
    assert page.evaluate("JSON.parse(sessionStorage.getItem('noodwijzer:v1')).sid") == session_id
    before = widget.send("Dank je")
    widget.wait_reply(before)
    assert page.evaluate("JSON.parse(sessionStorage.getItem('noodwijzer:v1')).sid") == session_id


def test_user_html_is_shown_as_text_and_never_runs(stack, axe_page):
    # Without CSP, so only the widget's own text handling stands between the input and the page.
    page = axe_page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    widget = goto_demo(page, stack.gateway)
    widget.open()
    attacks = [
        '<img src=x onerror="window.__pwned=1;alert(1)">',
        "<script>window.__pwned=2</script>",
        '<a href="javascript:window.__pwned=3">klik</a> <svg onload="window.__pwned=4">',
    ]
    for attack in attacks:
        before = widget.send(attack)
        widget.wait_reply(before)
        expect(widget.user.last).to_have_text(re.compile(re.escape(attack)))
    page.wait_for_timeout(300)  # give a broken image's onerror its chance
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    counts = widget.shadow(
        "return ['img', 'script', 'svg', 'a'].map(t => root.querySelector('.log').querySelectorAll(t).length);"
    )
    assert counts[0] == 0 and counts[1] == 0 and counts[2] == 0
    assert widget.shadow("return [...root.querySelectorAll('.msg.user a')].length;") == 0


def test_bot_links_are_safe_and_danger_reply_stands_out(stack, page):
    # The bot's words come from templates; here the answer is fixed to cover every kind of link.
    reply = {
        "session_id": "x",
        "messages": [
            {"text": "Bel 112. Er is direct gevaar."},
            {
                "text": "Kijk op https://www.crisis.nl/actueel. Je lijst: /noodpakket/checklist?personen=2 "
                "niet: javascript:alert(1) http://onveilig.example //evil.example/x data:text/html,x"
            },
            {"text": "<b>vet</b>", "buttons": [{"title": "<i>Kies</i>", "payload": "/ask_kit"}]},
        ],
    }
    page.route(
        "**/api/v1/chat**",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(reply)),
    )
    widget = goto_demo(page, stack.gateway)
    widget.open()
    before = widget.send("test")
    widget.wait_reply(before)

    danger = page.locator(f"{HOST} .msg.danger")
    expect(danger).to_have_count(1)
    expect(danger).to_have_attribute("role", "alert")
    call = danger.locator("a[href='tel:112']")
    expect(call).to_have_text("Bel 112")
    colors = danger.evaluate("el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).fontWeight]")
    assert colors[0] != widget.bot.nth(0).evaluate("el => getComputedStyle(el).backgroundColor")
    assert int(colors[1]) >= 700

    links = widget.shadow("return [...root.querySelectorAll('.log a:not(.call)')].map(a => [a.href, a.rel, a.target]);")
    assert [link[0] for link in links] == [
        "https://www.crisis.nl/actueel",
        f"{stack.gateway}/noodpakket/checklist?personen=2",
    ]
    assert all(link[1] == "noopener noreferrer" for link in links)
    assert widget.shadow("return root.querySelectorAll('.log b, .log i').length;") == 0
    expect(widget.replies.first).to_have_text("<i>Kies</i>")


def test_no_horizontal_scrolling_on_a_phone(stack, browser):
    ctx = browser.new_context(
        viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True, device_scale_factor=2, locale="nl-NL"
    )
    try:
        page = ctx.new_page()
        widget = goto_demo(page, stack.gateway)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        widget.open()
        before = widget.send(
            "Wat doe ik bij een overstroming? " + "x" * 200 + " https://www.overstroomik.nl/" + "a" * 120
        )
        widget.wait_reply(before)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        box = widget.panel.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
        assert widget.shadow("const l = root.querySelector('.log'); return l.scrollWidth <= l.clientWidth;")
        expect(widget.input).to_be_in_viewport()
        send = page.get_by_role("button", name=re.compile("Verstuur"))
        expect(send).to_be_in_viewport()
        assert send.bounding_box()["x"] + send.bounding_box()["width"] <= 375
    finally:
        ctx.close()


def test_works_at_200_percent_zoom(stack, browser):
    # 200% zoom on a 1280x800 screen gives a 640x400 CSS-pixel viewport.
    ctx = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2, locale="nl-NL")
    try:
        page = ctx.new_page()
        widget = goto_demo(page, stack.gateway)
        expect(widget.launcher).to_be_in_viewport()
        widget.open()
        expect(widget.input).to_be_in_viewport()
        expect(page.get_by_role("button", name="Sluiten")).to_be_in_viewport()
        before = widget.send("Wat doe ik bij hitte?")
        widget.wait_reply(before)
        assert page.evaluate("document.documentElement.scrollWidth") <= 640
        assert widget.shadow("const l = root.querySelector('.log'); return l.scrollWidth <= l.clientWidth;")
    finally:
        ctx.close()


def test_notice_is_shown_and_a_missing_service_is_silent(stack, page):
    notice = {
        "notice": {
            "title": "Grote brand in Middelburg",
            "text": "Houd ramen en deuren dicht.",
            "url": "https://www.crisis.nl/",
            "expires_at": "2099-01-01T12:00+01:00",
        }
    }
    page.route(
        "**/api/v1/notice**",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(notice)),
    )
    widget = goto_demo(page, stack.gateway)
    widget.open()
    banner = page.locator(f"{HOST} .notice")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Grote brand in Middelburg")
    expect(banner.locator("a")).to_have_attribute("href", "https://www.crisis.nl/")

    other = page.context.new_page()
    other.route(
        "**/api/v1/notice**",
        lambda route: route.fulfill(status=404, content_type="application/json", body='{"error": "not found"}'),
    )
    other_widget = goto_demo(other, stack.gateway)
    other_widget.open()
    other.wait_for_timeout(300)  # the notice request has been answered
    expect(other.locator(f"{HOST} .notice")).to_be_hidden()
    expect(other_widget.card).to_have_count(0)


def test_axe_finds_no_serious_wcag_violations(stack, axe_page, axe_source):
    page = axe_page
    widget = goto_demo(page, stack.gateway)
    page.wait_for_timeout(200)  # config fetched and applied
    closed = run_axe(page, axe_source)
    assert closed == [], closed

    widget.open()
    before = widget.send("Help, er is brand in mijn huis!")
    widget.wait_reply(before)
    expect(page.locator(f"{HOST} .msg.danger")).to_have_count(1)
    opened = run_axe(page, axe_source)
    assert opened == [], opened


def test_axe_on_embed_instructions(stack, axe_page, axe_source):
    page = axe_page
    page.goto(f"{stack.gateway}/embed")
    violations = run_axe(page, axe_source)
    assert violations == [], violations


def test_other_site_allowed_by_config_can_chat(extra_gateway, third_party_sites, page):
    allowed, _refused, _ = third_party_sites
    problems = watch_console(page)
    page.goto(f"{allowed.origin}/")
    widget = Widget(page)
    expect(widget.launcher).to_be_visible()
    # Styled under the site's strict CSP (constructable stylesheet, no inline style).
    assert widget.launcher.evaluate("el => getComputedStyle(el).position") == "fixed"
    widget.open()
    expect(page.get_by_role("heading", name="Noodwijzer Zeeland")).to_be_visible()  # region config arrived
    before = widget.send("Wat doe ik bij een overstroming?")
    widget.wait_reply(before)
    expect(widget.card).to_have_count(0)
    assert problems == []
