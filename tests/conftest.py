"""Shared fixtures. The real stack starts once per test session, on free ports,
so `make test` also passes while `make run` is up."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from bot.ops.stack import Stack, latest_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stack")
    extra_env = {
        "NOODWIJZER_DB": str(tmp / "noodwijzer.sqlite3"),
        # The tests send many messages from one address; the limiter has its own test.
        "NW_IP_RATE": "0",
        "NW_SESSION_RATE": "0",
        "NW_API_RATE": "0",
        # Few live conversations per Rasa replica, so the conversation tests also
        # take the path where older conversations are pickled and come back.
        "NW_LIVE_TRACKERS": "4",
    }
    extra_env.update({k: v for k, v in os.environ.items() if k.startswith("NOODWIJZER_TEST_")})
    running = Stack.on_free_ports(
        model=latest_model(), log_dir=tmp / "log", extra_env=extra_env, gateway_host="127.0.0.1"
    )
    running.start(timeout=240)
    yield running
    running.stop()


def post_json(url: str, payload, timeout: float = 30.0):
    """POST JSON (or raw bytes/str) and return (status, parsed body or text)."""
    if isinstance(payload, (bytes, str)):
        data = payload.encode() if isinstance(payload, str) else payload
    else:
        data = json.dumps(payload).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, _decode(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _decode(exc.read())


def get_json(url: str, timeout: float = 30.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, _decode(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, _decode(exc.read())


def _decode(raw: bytes):
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class Chat:
    """One resident's conversation through the public /api/v1/chat."""

    def __init__(self, gateway: str, region: str | None = None) -> None:
        self.gateway = gateway
        self.session_id = "test-" + uuid.uuid4().hex
        self.region = region

    def say(self, message: str) -> list[dict]:
        payload = {"session_id": self.session_id, "message": message}
        if self.region:
            payload["region"] = self.region
        status, body = post_json(f"{self.gateway}/api/v1/chat", payload)
        assert status == 200, (status, body)
        return body["messages"]

    def say_text(self, message: str) -> str:
        return "\n\n".join(m["text"] for m in self.say(message))


@pytest.fixture
def chat(stack):
    return lambda region=None: Chat(stack.gateway, region)


def add_editor(stack, username: str, password: str, role: str, region: str | None = None) -> None:
    """A Redactie account in the stack's database, made with the real CLI, the way an administrator would."""
    env = dict(os.environ, NOODWIJZER_DB=stack.extra_env["NOODWIJZER_DB"], PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "bot", "users", "add", "--username", username, "--role", role]
    if region:
        command += ["--region", region]
    done = subprocess.run(
        [*command, "--password-stdin"],
        input=password + "\n",
        text=True,
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def csrf_from(html: str) -> str:
    """The CSRF token of the Redactie's form in html."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def rasa_heard(stack, session_id: str, text: str) -> int:
    """How often the Rasa replicas got this message in this conversation."""
    count = 0
    for name in stack.rasa_replicas:
        url = f"http://127.0.0.1:{stack.ports[name]}/conversations/{session_id}/tracker"
        # Rasa's conversation API needs the stack's token (bot_rasa/api_guard.py).
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {stack.rasa_token}"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            events = json.load(resp).get("events") or []
        count += sum(1 for e in events if e.get("event") == "user" and e.get("text") == text)
    return count
