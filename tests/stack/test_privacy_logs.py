"""No message text in any log, in normal operation and under faults (issue 18).

A stack of its own (parts are stopped on purpose), with the settings `make run`
uses. Each step sends a sentence with a word that occurs nowhere else, then
every log file of that stack is searched for those words:

- normal operation;
- the action server down;
- the NLG server down;
- the NLG server hanging, so the gateway gives up on Rasa (NW_RASA_TIMEOUT) and
  Rasa's REST channel sees its request cancelled: the path where Rasa 3.6 logs
  the whole message at ERROR level (bot_rasa/log_privacy.py removes it);
- Rasa down (the gateway answers in degraded mode).
"""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest

from bot.ops.stack import Stack, free_port, latest_model
from tests.conftest import post_json

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("privacy-stack")
    ports = {name: free_port() for name in ("gateway", "rasa", "actions", "nlg")}
    extra_env = {
        "NOODWIJZER_DB": str(tmp / "noodwijzer.sqlite3"),
        "NW_IP_RATE": "0",
        "NW_SESSION_RATE": "0",
        "NW_API_RATE": "0",
        # The gateway gives up on Rasa after 4 s (the default is 15 s) so the
        # hanging-NLG step stays short.
        "NW_RASA_TIMEOUT": "4",
    }
    running = Stack(
        ports=ports, model=latest_model(), log_dir=tmp / "log", extra_env=extra_env, gateway_host="127.0.0.1"
    )
    running.start(timeout=240)
    yield running
    running.stop()


class HangingServer:
    """Accepts connections on a port and never answers (a hung NLG server)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def wait_listening(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise RuntimeError(f"nothing listens on {port}")


def say(stack: Stack, text: str) -> list[dict]:
    status, body = post_json(
        f"{stack.gateway}/api/v1/chat", {"session_id": "test-" + uuid.uuid4().hex, "message": text}
    )
    assert status == 200, (status, body)
    return body["messages"]


def all_logs(stack: Stack) -> str:
    return "\n".join(
        p.read_text(encoding="utf-8", errors="replace") for p in sorted(stack.log_dir.rglob("*")) if p.is_file()
    )


def test_no_message_text_in_any_log(own_stack):
    words = {}

    def marked(step: str, sentence: str) -> str:
        word = "zonnebloem" + uuid.uuid4().hex[:10]
        words[step] = word
        return sentence.format(word)

    # Normal operation: a question, a household with a health need, an emergency.
    say(own_stack, marked("normal", "wat moet ik doen bij een stroomstoring in {}"))
    say(own_stack, marked("normal-kit", "ik wil een noodpakket, we zijn met 2 volwassenen en oma {} gebruikt insuline"))
    say(own_stack, marked("normal-danger", "help er is brand bij {} in de keuken"))

    own_stack.stop_process("actions")
    say(own_stack, marked("actions-down", "ik wil een noodpakket voor mijn gezin in {}"))
    own_stack.start_process("actions")  # the next steps need the actions again
    wait_listening(own_stack.ports["actions"])

    own_stack.stop_process("nlg")
    say(own_stack, marked("nlg-down", "wat moet ik doen bij hitte in {}"))

    hanging = HangingServer(own_stack.ports["nlg"])
    try:
        started = time.monotonic()
        reply = say(own_stack, marked("nlg-hangs", "wat moet ik doen bij een storm in {}"))
        assert time.monotonic() - started < 15  # the gateway gave up and answered in degraded mode
        assert reply and "112" in reply[0]["text"]
        # Rasa notices the cancelled request; give it a moment to write its log line.
        deadline = time.monotonic() + 20
        while "rest.message.received.timeout" not in all_logs(own_stack) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        hanging.close()

    own_stack.stop_process("rasa")
    say(own_stack, marked("rasa-down", "er is overstroming in {} wat nu"))
    time.sleep(1)

    logs = all_logs(own_stack)
    # The faults did reach the logs (so the search below looks at the right files) ...
    assert "rest.message.received.timeout" in logs, "Rasa's REST channel did not log the cancelled request"
    assert "rasa unavailable" in logs
    # ... and no word a resident typed is in any of them.
    leaked = {step: word for step, word in words.items() if word.lower() in logs.lower()}
    assert leaked == {}, f"message text in the logs: {leaked}"
    for sensitive in ("insuline", "2 volwassenen"):
        assert sensitive not in logs
