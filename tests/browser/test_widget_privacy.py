"""Widget privacy in Chromium (issue 18): data-persist="none" and "Nieuw gesprek"."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_widget import HOST, Widget, goto_demo

pytestmark = [pytest.mark.stack, pytest.mark.browser]

HOST_PAGE = (
    '<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Gemeente</title></head>'
    "<body><main><h1>Gemeentesite</h1></main>"
    '<script src="/widget.js" data-region="VR19" data-persist="none" async></script></body></html>'
)
SECRET = "mijn zoon gebruikt insuline, wat moet ik doen bij een stroomstoring"


def storage(page) -> str:
    return page.evaluate(
        "JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage), document.cookie])"
    )


def test_persist_none_keeps_the_conversation_in_memory_only(stack, page):
    # A host page on the gateway's own origin, so no CORS set-up is needed.
    page.route(
        f"{stack.gateway}/gemeente.html",
        lambda route: route.fulfill(status=200, content_type="text/html", body=HOST_PAGE),
    )
    page.goto(f"{stack.gateway}/gemeente.html")
    widget = Widget(page)
    widget.open()
    widget.wait_reply(widget.send(SECRET))
    assert any("insuline" in t for t in widget.texts())
    assert storage(page) == '[[],[],""]'
    # A new page load: the conversation was in memory only, so it is gone.
    page.reload()
    widget = Widget(page)
    widget.open()
    expect(widget.bot.first).to_be_visible()
    assert not any("insuline" in t for t in widget.texts())


def test_new_conversation_clears_everything(stack, page):
    widget = goto_demo(page, stack.gateway)
    widget.open()
    widget.wait_reply(widget.send(SECRET))
    old_sid = page.evaluate("JSON.parse(sessionStorage.getItem('noodwijzer:v1')).sid")
    assert "insuline" in storage(page)

    page.locator(f"{HOST} .reset").click()
    assert "insuline" not in storage(page)
    assert not any("insuline" in t for t in widget.texts())
    assert page.evaluate("sessionStorage.getItem('noodwijzer:v1:cfg:VR19')") is None
    new_sid = page.evaluate("JSON.parse(sessionStorage.getItem('noodwijzer:v1')).sid")
    assert new_sid != old_sid
    # Only the greeting is left, and the chat goes on in the new conversation.
    assert widget.user.count() == 0 and widget.bot.count() == 1
    widget.wait_reply(widget.send("hallo"))
    assert page.evaluate("JSON.parse(sessionStorage.getItem('noodwijzer:v1')).sid") == new_sid
    assert "insuline" not in storage(page)
