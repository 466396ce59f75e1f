"""The public chat API through the real stack: greeting, redirect, 112 first, bad input."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from bot.ops.stack import Stack
from tests.conftest import get_json, post_json

pytestmark = pytest.mark.stack

ROOT = Path(__file__).resolve().parents[2]

# Acute danger, phrased as residents would type it at night. Not in the training
# data (checked below); several are misspelled on purpose.
ACUTE_DANGER = [
    "onze woonkamer brandt helemaal help",
    "er kruipt dikke zwarte rook door de brievenbus",
    "mijn vader ademt niet meer",
    "mn moeder is flauwgevallen en reageert niet",
    "het rivierwater loopt onze benedenverdieping in en stijgt snel",
    "ik ruik een sterke gaslucht in de hal",
    "ik ruik heel sterk gaas in huis",
    "er staat iemand met een mes voor mijn deur",
    "mijn buurman slaat zijn vrouw ik hoor geschreeuw",
    "brannd in de schuur naast ons huis",
    "de auto is te water geraakt met iemand erin",
    "iemand is in elkaar gezakt op straat en ademt raar",
    "het hele portiek zit vol rook we kunnen er niet door",
    "er wordt ingebroken bij mij ik ben thuis",
]


def _plain(example: str) -> str:
    """Training example without Rasa entity markup: '[fik]{...}' -> 'fik'."""
    return re.sub(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})", r"\1", example).strip().lower()


def training_texts() -> set[str]:
    texts = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                texts.add(_plain(line.strip().removeprefix("- ")))
    return texts


def test_healthz_ok(stack):
    status, body = get_json(f"{stack.gateway}/healthz")
    assert status == 200
    assert body["status"] == "ok"
    assert body["components"] == {"gateway": "ok", "rasa": "ok", "actions": "ok", "nlg": "ok"}


def test_rasa_api_only_on_loopback(stack):
    # Rasa's own API must not be reachable from outside the machine.
    out = Path("/proc/net/tcp").read_text()
    port_hex = f"{stack.ports['rasa']:04X}"
    listening = [line.split()[1] for line in out.splitlines()[1:] if line.split()[3] == "0A"]
    assert f"0100007F:{port_hex}" in listening
    assert f"00000000:{port_hex}" not in listening


def test_greeting(chat):
    messages = chat().say("hallo")
    assert messages, "no reply"
    assert any(word in messages[0]["text"].lower() for word in ("hallo", "hoi", "welkom"))


def test_out_of_scope_gets_helpful_redirect(chat):
    messages = chat().say("wie wint de champions league dit jaar")
    text = " ".join(m["text"] for m in messages)
    buttons = [b for m in messages for b in m.get("buttons", [])]
    assert text.strip()
    assert buttons, "an out-of-scope question should get choices, not silence"
    assert "bel 112" not in messages[0]["text"].lower()


def test_acute_danger_messages_are_not_in_training_data():
    seen = training_texts()
    assert "mijn keuken staat in de fik" in seen  # the markup is stripped before comparing
    copies = [m for m in ACUTE_DANGER if m in seen]
    near = [m for m in ACUTE_DANGER for t in seen if m != t and (m in t or t in m) and len(t) > 15]
    assert not copies and not near, (copies, near)


@pytest.mark.parametrize("message", ACUTE_DANGER)
def test_acute_danger_gets_112_first(chat, message):
    messages = chat().say(message)
    assert messages[0]["text"].splitlines()[0].lower().startswith("bel 112"), messages[0]


@pytest.mark.parametrize(
    "message",
    [
        "wanneer moet ik 112 bellen",
        "wat moet ik doen bij brand",
        "hoe voorkom ik brand in huis",
    ],
)
def test_questions_about_danger_are_not_emergencies(chat, message):
    messages = chat().say(message)
    assert not messages[0]["text"].lower().startswith("bel 112"), messages[0]


def test_user_text_is_not_evaluated_as_template(chat):
    text = chat().say_text("{{ 7*7 }} {% for x in range(3) %}x{% endfor %}")
    assert "49" not in text
    assert "xxx" not in text


BAD_REQUESTS = [
    ("not json", b"dit is geen json", 400),
    ("json array", [1, 2, 3], 400),
    ("json string", '"hallo"', 400),
    ("missing message", {"session_id": "abcdefgh12"}, 400),
    ("missing session", {"message": "hallo"}, 400),
    ("empty message", {"session_id": "abcdefgh12", "message": "   "}, 400),
    ("message too long", {"session_id": "abcdefgh12", "message": "a" * 1001}, 413),
    ("message not a string", {"session_id": "abcdefgh12", "message": {"$ne": 1}}, 400),
    ("session too short", {"session_id": "abc", "message": "hallo"}, 400),
    ("session with path", {"session_id": "../../etc/passwd", "message": "hallo"}, 400),
    ("session with shell", {"session_id": "abcdefgh; rm -rf /", "message": "hallo"}, 400),
    ("session not a string", {"session_id": 12345678, "message": "hallo"}, 400),
    ("bad region", {"session_id": "abcdefgh12", "message": "hallo", "region": "VR99"}, 400),
    ("region injection", {"session_id": "abcdefgh12", "message": "hallo", "region": "VR19<script>"}, 400),
    ("NaN constant", b'{"session_id": "abcdefgh12", "message": NaN}', 400),
    ("huge body", {"session_id": "abcdefgh12", "message": "x", "pad": "y" * 200_000}, 413),
]


@pytest.mark.parametrize("name,payload,status", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_input_gets_4xx_json(stack, name, payload, status):
    got, body = post_json(f"{stack.gateway}/api/v1/chat", payload)
    assert got == status, (got, body)
    assert isinstance(body, dict) and body.get("error")


def test_wrong_method_and_path_are_4xx(stack):
    status, body = get_json(f"{stack.gateway}/api/v1/chat")
    assert status == 405
    status, body = get_json(f"{stack.gateway}/api/v1/bestaat-niet")
    assert status == 404 and body["error"]


def test_gateway_stays_healthy_after_bad_input(stack):
    for _, payload, _ in BAD_REQUESTS:
        post_json(f"{stack.gateway}/api/v1/chat", payload)
    status, body = get_json(f"{stack.gateway}/healthz")
    assert status == 200, body


def test_sessions_are_isolated(chat):
    first, second = chat(), chat()
    first.say("ik wil een noodpakket maken")
    reply = second.say("hallo")
    # the second resident starts fresh: a greeting, not the first resident's form question
    assert any(word in reply[0]["text"].lower() for word in ("hallo", "hoi", "welkom"))


def test_degraded_mode_when_rasa_is_down(tmp_path):
    """Only the gateway runs: Rasa is really unreachable."""
    lonely = Stack.on_free_ports(log_dir=tmp_path, gateway_host="127.0.0.1")
    lonely.start_process("gateway")
    try:
        deadline = time.monotonic() + 30
        while lonely.health() == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        status, body = get_json(f"{lonely.gateway}/healthz")
        assert status == 503 and body["components"]["rasa"] != "ok"
        status, body = post_json(
            f"{lonely.gateway}/api/v1/chat", {"session_id": "degraded-1", "message": "de stroom is uitgevallen"}
        )
        assert status == 200
        texts = [m["text"] for m in body["messages"]]
        assert texts[0].lower().startswith("bel 112")
        joined = " ".join(texts)
        assert "0800-9009" in joined, "the matching risk advice (power cut) should follow"
    finally:
        lonely.stop()


def _has_user_messages(rasa_port: int, session_id: str, token: str) -> bool:
    # Rasa's conversation API needs the stack's token (bot_rasa/api_guard.py).
    request = urllib.request.Request(
        f"http://127.0.0.1:{rasa_port}/conversations/{session_id}/tracker", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        body = json.loads(resp.read())
    return any(event.get("event") == "user" for event in body.get("events") or [])


def test_conversations_are_spread_over_the_rasa_replicas_and_stay_there(stack, chat):
    replicas = stack.rasa_replicas
    assert len(replicas) == 2, "make run and the tests start two Rasa replicas"
    residents = [chat() for _ in range(6)]
    for resident in residents:
        resident.say("ik wil een noodpakket maken")
    homes = []
    for resident in residents:
        holders = [
            name for name in replicas if _has_user_messages(stack.ports[name], resident.session_id, stack.rasa_token)
        ]
        assert len(holders) == 1, f"a conversation lives on exactly one replica, got {holders}"
        homes.append(holders[0])
    assert set(homes) == set(replicas), "new conversations are spread over both replicas"
    # the form continues on the same replica: the next answer is understood in context
    for resident in residents:
        reply = resident.say_text("we zijn met z'n tweeën")
        assert "geld" in reply.lower() or "bedrag" in reply.lower(), reply


def test_a_burst_of_residents_waits_in_line_and_everyone_is_answered(stack, chat):
    """More residents at once than the gateway lets through per replica
    (NW_RASA_CONCURRENCY, 3): each gets their own, complete answer."""
    from concurrent.futures import ThreadPoolExecutor

    residents = [chat() for _ in range(12)]
    questions = ["wat moet ik doen als de stroom uitvalt", "wat doe ik bij hitte", "hallo"]

    def ask(pair):
        n, resident = pair
        return resident.say_text(questions[n % 3])

    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(ask, enumerate(residents)))
    for n, reply in enumerate(replies):
        expected = ["stroom", "hitte", "noodwijzer"][n % 3]
        assert expected in reply.lower(), (n, reply)
    status, body = get_json(f"{stack.gateway}/healthz")
    assert status == 200 and body["status"] == "ok"
