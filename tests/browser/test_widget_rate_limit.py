"""Issue 18: over the limit, a resident gets a friendly message that still points to 112.

Real Chromium, real widget, a real gateway (in front of the session's Rasa) that
allows one message a minute per conversation. The gateway's 429 carries bot
messages ("Bel 112 ..." and the wait); the widget shows them as bot bubbles, the
first one in the 112 style. A 429 without messages (the per-address limiter, or
an older gateway) still gets the busy card: tests/browser/test_widget_offline.py
(test_429_shows_the_wait_and_retries_after_it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from bot.ops.stack import Stack, free_port
from tests.browser.conftest import ExtraGateway, run_axe
from tests.browser.test_widget import HOST, goto_demo

pytestmark = [pytest.mark.stack, pytest.mark.browser]


@pytest.fixture(scope="module")
def limited_gateway(stack, tmp_path_factory) -> Iterator[ExtraGateway]:
    ports = dict(stack.ports)
    ports["gateway"] = free_port()
    extra_env = {**stack.extra_env, "NW_SESSION_RATE": "1"}  # one message a minute per conversation
    gateway = ExtraGateway(
        Stack(
            ports=ports,
            model=stack.model,
            log_dir=tmp_path_factory.mktemp("limited_gateway"),
            extra_env=extra_env,
            gateway_host="127.0.0.1",
            rasa_token=stack.rasa_token,
        )
    )
    gateway.start()
    yield gateway
    gateway.stop()


def test_429_shows_the_gateways_words_as_bot_bubbles_with_112_first(limited_gateway, axe_page, axe_source):
    page = axe_page
    chat_calls: list[int] = []
    page.on("response", lambda r: chat_calls.append(r.status) if "/api/v1/chat" in r.url else None)
    widget = goto_demo(page, limited_gateway.url)
    widget.open()
    before = widget.send("Wat doe ik bij hitte?")
    widget.wait_reply(before)
    assert chat_calls == [200]

    before = widget.send("En bij storm?")
    widget.wait_reply(before)
    danger = page.locator(f"{HOST} .msg.bot.danger")
    expect(danger).to_have_count(1)
    expect(danger).to_have_attribute("role", "alert")
    expect(danger.locator("a[href='tel:112']")).to_have_text(re.compile("^Bel 112$", re.I))
    expect(danger).to_contain_text("als er nu direct gevaar is")
    assert chat_calls == [200, 429]

    # Right after the resident's message: first the 112 line, then the wait in words.
    texts = widget.texts()
    asked = max(i for i, t in enumerate(texts) if "En bij storm?" in t)
    after = texts[asked + 1 :]
    assert "Bel 112" in after[0], after
    wait = next((t for t in after if "Wacht" in t), "")
    seconds = re.search(r"Wacht (\d+) seconden?", wait)
    assert seconds and 1 <= int(seconds.group(1)) <= 60, after

    # No busy card: the words say it all; the typed question is back, ready to send again.
    expect(widget.card).to_have_count(0)
    expect(widget.input).to_have_value("En bij storm?")
    page.wait_for_timeout(2_000)
    assert chat_calls == [200, 429]  # nothing sent again behind the resident's back
    violations = run_axe(page, axe_source)
    assert violations == [], violations
