"""No household or health data in any URL that reaches a server (issue 18).

A resident gets a plan in the chat and opens the printable checklist in Chromium.
The gateway in front runs with its access log on (NW_ACCESS_LOG=1), standing in for
a region's reverse proxy: afterwards that log holds the checklist's requests but
nothing about the household.
"""

from __future__ import annotations

import re
import time
import urllib.request

import pytest

from bot.ops.stack import Stack, free_port
from tests.conftest import Chat

pytestmark = [pytest.mark.stack, pytest.mark.browser]

# Every word here is what a resident told the bot; none may reach a log.
PERSONAL = ("medicijnen", "insuline", "adults", "children", "babies", "budget_eur", "needs", "#")


@pytest.fixture(scope="module")
def logging_gateway(stack, tmp_path_factory):
    ports = dict(stack.ports)
    ports["gateway"] = free_port()
    env = {**stack.extra_env, "NW_ACCESS_LOG": "1", "NW_LOG_LEVEL": "INFO"}
    gateway = Stack(
        ports=ports,
        model=stack.model,
        log_dir=tmp_path_factory.mktemp("access-log"),
        extra_env=env,
        gateway_host="127.0.0.1",
        rasa_token=stack.rasa_token,
    )
    gateway.start_process("gateway")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{gateway.gateway}/widget.js", timeout=2).read()
            break
        except OSError:
            time.sleep(0.2)
    yield gateway
    gateway.stop_process("gateway")


def access_log(gateway: Stack) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in gateway.log_dir.glob("gateway-*.log"))


def test_checklist_from_the_chat_leaves_nothing_personal_in_the_access_log(logging_gateway, browser):
    chat = Chat(logging_gateway.gateway)
    for message in ["help me met een noodpakket", "2 volwassenen en 1 baby", "40 euro"]:
        chat.say(message)
    text = chat.say_text("medicijnen")
    match = re.search(r"/noodpakket/checklist\S*", text)
    assert match, text
    url = match.group(0).rstrip(".,)")
    assert "#" in url and "?" not in url and "medicijnen" in url

    # A fresh browser with nothing stored opens the link from the chat.
    context = browser.new_context(locale="nl-NL")
    try:
        page = context.new_page()
        sent = []
        page.on("request", lambda r: sent.append((r.url, r.post_data or "")))
        page.goto(logging_gateway.gateway + url)
        page.wait_for_selector("html[data-loaded=true]", timeout=20_000)
        body = page.inner_text("main")
        assert "Mijn noodpakket" in body and "medicijnen" in body.lower()
        assert page.locator("input[type=checkbox]").count() > 5
        # Nothing is stored in the browser either.
        assert page.evaluate("localStorage.length + sessionStorage.length") == 0
        assert context.cookies() == []
    finally:
        context.close()

    # No request URL carried the household; only the POST body did.
    assert all("medicijnen" not in u and "adults" not in u for u, _ in sent), sent
    assert any("medicijnen" in body for _, body in sent)

    time.sleep(0.5)  # the access log is written after each response
    log = access_log(logging_gateway)
    assert "GET /noodpakket/checklist " in log and "POST /noodpakket/checklist " in log, log[-2000:]
    lines = [line for line in log.splitlines() if "/noodpakket/checklist" in line]
    leaked = [line for line in lines if any(word in line for word in PERSONAL)]
    assert leaked == [], leaked
