"""Issue 18 through the real stack: inner services closed, limits behind a proxy, clean 4xx.

`stack` is the session's real stack (limits off). `limited` is a second gateway
process in front of the same Rasa, with low limits and 127.0.0.1 as a trusted
reverse proxy, so the test itself plays the proxy and sets X-Forwarded-For.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from bot.ops.stack import Stack, free_port
from tests.conftest import get_json, post_json

pytestmark = pytest.mark.stack


def request(url: str, data: bytes | None = None, headers: dict | None = None, method: str | None = None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def listening(port: int) -> set[str]:
    """Local addresses (hex, /proc/net/tcp form) listening on `port`."""
    out = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return {
        line.split()[1].split(":")[0]
        for line in out
        if line.split()[3] == "0A" and line.split()[1].endswith(f":{port:04X}")
    }


# --- inner services ---------------------------------------------------------------------


def test_action_server_listens_on_loopback_only(stack):
    assert listening(stack.ports["actions"]) == {"0100007F"}


def test_rasa_api_needs_the_token_except_parse(stack):
    rasa, token = stack.rasa, stack.rasa_token
    sender = "test-" + uuid.uuid4().hex
    post_json(f"{stack.gateway}/api/v1/chat", {"session_id": sender, "message": "ik heb 3 kinderen"})
    tracker = f"{rasa}/conversations/{sender}/tracker"
    assert request(tracker)[0] == 401
    assert request(tracker, headers={"Authorization": "Bearer wrong"})[0] == 403
    status, _, body = request(tracker, headers={"Authorization": f"Bearer {token}"})
    assert status == 200 and json.loads(body)["sender_id"] == sender
    # Reading or changing the model or the conversations: never without the token.
    for method, path in [
        ("GET", "/status"),
        ("GET", "/domain"),
        ("PUT", "/model"),
        ("DELETE", "/model"),
        ("POST", "/model/train"),
        ("POST", f"/conversations/{sender}/tracker/events"),
        ("POST", "/model/predict"),
    ]:
        data = b"{}" if method in ("PUT", "POST") else None
        assert request(rasa + path, data=data, method=method)[0] == 401, (method, path)
    # The contract's open parts (shared/DESIGN.md): parse, version, the REST channel.
    status, _, body = request(
        f"{rasa}/model/parse", data=json.dumps({"text": "de stroom is uitgevallen"}).encode(), method="POST"
    )
    assert status == 200 and json.loads(body)["intent"]["name"]
    assert request(f"{rasa}/version")[0] == 200
    assert request(f"{rasa}/")[0] == 200
    # The gateway's health check uses the token.
    assert get_json(f"{stack.gateway}/healthz")[0] == 200


# --- limits behind a reverse proxy -----------------------------------------------------------


@pytest.fixture(scope="module")
def limited(stack, tmp_path_factory):
    ports = dict(stack.ports)
    ports["gateway"] = free_port()
    env = {
        **stack.extra_env,
        "NW_IP_RATE": "5",
        "NW_SESSION_RATE": "0",
        "NW_API_RATE": "4",
        "NW_TRUSTED_PROXIES": "127.0.0.1/32, ::1",
    }
    gateway = Stack(
        ports=ports,
        model=stack.model,
        log_dir=tmp_path_factory.mktemp("limited-log"),
        extra_env=env,
        gateway_host="127.0.0.1",
        rasa_token=stack.rasa_token,
    )
    gateway.start_process("gateway")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if request(f"{gateway.gateway}/widget.js")[0] == 200:
                break
        except OSError:  # not listening yet
            time.sleep(0.2)
    yield gateway
    gateway.stop_process("gateway")


def chat_from(gateway: Stack, forwarded_for: str, message: str = "hallo"):
    body = json.dumps({"session_id": "test-" + uuid.uuid4().hex, "message": message}).encode()
    headers = {"Content-Type": "application/json", "X-Forwarded-For": forwarded_for}
    status, head, raw = request(f"{gateway.gateway}/api/v1/chat", data=body, headers=headers)
    return status, head, json.loads(raw)


def test_chat_limit_per_client_behind_the_proxy(limited):
    for _ in range(5):
        assert chat_from(limited, "198.51.100.1")[0] == 200
    status, headers, body = chat_from(limited, "198.51.100.1", "help er is brand")
    assert status == 429
    assert int(headers["Retry-After"]) == body["retry_after"] >= 1
    # A friendly Dutch message that still points to 112.
    assert body["messages"][0]["text"].startswith("Bel 112")
    assert "Wacht" in body["error"] and "112" in body["error"]
    # Another resident behind the same proxy still gets answers: no shared bucket.
    assert chat_from(limited, "198.51.100.2")[0] == 200
    # A client that writes its own X-Forwarded-For is still counted by the address
    # the proxy appended (read right to left).
    assert chat_from(limited, "203.0.113.77, 198.51.100.1")[0] == 429


def test_ipv6_counts_per_64(limited):
    results = [chat_from(limited, f"2001:db8:0:7::{n:x}")[0] for n in range(1, 8)]
    assert results[:5] == [200] * 5 and results[5:] == [429, 429]
    assert chat_from(limited, "2001:db8:0:8::1")[0] == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/regio?gemeente=Utrecht", None),
        ("GET", "/api/v1/risico", None),
        ("GET", "/api/v1/risico/storm", None),
        ("POST", "/api/v1/noodpakket", b'{"adults": 1, "budget_eur": 20}'),
        ("GET", "/noodpakket/checklist", None),
        ("POST", "/noodpakket/checklist", b"adults=1&budget_eur=20"),
    ],
)
def test_api_limits(limited, method, path, body):
    client = f"198.51.100.{100 + len(path) + (body is not None) * 50}"
    headers = {"X-Forwarded-For": client, "Content-Type": "application/json"}
    statuses = [request(limited.gateway + path, data=body, headers=headers, method=method)[0] for _ in range(4)]
    assert all(s in (200, 304) for s in statuses), statuses
    status, head, raw = request(limited.gateway + path, data=body, headers=headers, method=method)
    assert status == 429
    error = json.loads(raw)
    assert int(head["Retry-After"]) == error["retry_after"] >= 1
    assert "Wacht" in error["error"]


# --- malformed bodies: a clean 4xx on every endpoint ------------------------------------------------

DEEP = b"[" * 30000
MALFORMED = {
    "deep array": DEEP,
    "deep object": b'{"a":' * 20000,
    "deep inside a field": b'{"session_id": "abcdefgh", "message": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "too large": b'{"message": "' + b"a" * 70_000 + b'"}',
    "not UTF-8": b'{"session_id": "abcdefgh", "message": "\xff\xfe hallo"}',
    "lone surrogate": b'{"session_id": "abcdefgh", "message": "\\ud800"}',
    "NaN": b'{"adults": NaN, "budget_eur": 1}',
    "duplicate keys": b'{"session_id": "abcdefgh", "session_id": "ijklmnop", "message": "hoi"}',
    "array": b"[]",
    "string": b'"hallo"',
    "null": b"null",
    "number": b"1e999999",
    "huge integer": b'{"adults": ' + b"9" * 5000 + b', "budget_eur": 1}',
    "wrong types": b'{"session_id": 12345678, "message": ["hoi"], "adults": "2", "budget_eur": true}',
    "nested wrong types": b'{"session_id": {"a": 1}, "message": {"b": 2}, "adults": [1], "needs": [[1]]}',
    "empty": b"",
    "truncated": b'{"session_id": "abcdefgh", "mess',
}


@pytest.mark.parametrize("path", ["/api/v1/chat", "/api/v1/noodpakket", "/noodpakket/checklist"])
@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_body_gets_clean_4xx(stack, path, kind):
    headers = {"Content-Type": "application/json"}
    status, head, raw = request(stack.gateway + path, data=MALFORMED[kind], headers=headers, method="POST")
    assert 400 <= status < 500, (kind, status, raw[:200])
    assert head["Content-Type"].startswith("application/json")
    assert isinstance(json.loads(raw)["error"], str)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/regio?gemeente=%ff%fe",
        "/api/v1/regio?gemeente=" + "a" * 5000,
        "/api/v1/regio?gemeente=%00",
        "/api/v1/regio?gemeente=a&gemeente=b",
        "/api/v1/risico/%ff",
        "/api/v1/risico/storm?region=%ff",
        "/api/v1/risico/storm?region=VR01&region=VR02",
        "/api/v1/widget-config?region=%ff",
        "/api/v1/notice?region=%00",
    ],
)
def test_malformed_query_gets_clean_4xx(stack, path):
    status, head, raw = request(stack.gateway + path)
    assert 400 <= status < 500, (path, status, raw[:200])
    assert isinstance(json.loads(raw)["error"], str)


def test_wrong_method_and_unknown_path_are_json(stack):
    assert request(stack.gateway + "/api/v1/chat")[0] == 405
    status, _, raw = request(stack.gateway + "/api/v1/nothing")
    assert status == 404 and json.loads(raw)["error"]
