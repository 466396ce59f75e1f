"""Fault tests for the cluster profile (issue 15, point 5): real Redis and
PostgreSQL started on free ports, Rasa replicas sharing conversations through
Rasa's Redis tracker and lock stores, everything supervised.

One cluster stack for the whole module, with 2 Rasa replicas instead of
`make cluster`'s 3 (a third replica adds ~0.8 GB and start-up time on a
2-core CI machine and shows nothing two do not). Test order matters only for
speed: each test first waits until the whole cluster is healthy.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
import uuid

import pytest

from bot.ops.stack import Stack, latest_model
from tests.conftest import Chat, get_json, post_json
from tests.stack.test_conversation_kit import BUDGET_QUESTION, HOUSEHOLD_QUESTION, NEEDS_QUESTION, PLAN_BUTTON, asks

pytestmark = pytest.mark.stack

RESTART_TIMEOUT = 600  # a Rasa replica loads its model again: ~40 s alone, minutes on a busy machine


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cluster")  # data for Redis and PostgreSQL: a fresh folder under /tmp
    stack = Stack.on_free_ports(
        profile="cluster",
        rasa_replicas=2,
        model=latest_model(),
        log_dir=tmp / "log",
        gateway_host="127.0.0.1",
        extra_env={
            "NOODWIJZER_DB": str(tmp / "noodwijzer.sqlite3"),
            # High enough never to refuse a test, but on: the limits go through Redis.
            "NW_IP_RATE": "100000",
            "NW_SESSION_RATE": "100000",
            "NW_RASA_TIMEOUT": "30",
        },
    )
    stack.start(timeout=600)
    yield stack
    stack.stop()


def healthy(stack: Stack, timeout: float = RESTART_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = get_json(f"{stack.gateway}/healthz")
        if status == 200:
            # /healthz caches for 2 s: a 200 right after a kill can be the old answer.
            time.sleep(2.1)
            status, body = get_json(f"{stack.gateway}/healthz")
            if status == 200:
                return
        time.sleep(1)
    raise AssertionError(f"cluster not healthy again: {body}")


def tell_replica(stack: Stack, name: str, sender: str, message: str) -> str:
    """Talk to one Rasa replica directly (its REST channel, as the gateway does)."""
    status, body = post_json(
        f"http://127.0.0.1:{stack.ports[name]}/webhooks/rest/webhook", {"sender": sender, "message": message}
    )
    assert status == 200, body
    return "\n".join(m.get("text", "") for m in body)


def tracker_events(stack: Stack, name: str, sender: str) -> list[dict]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{stack.ports[name]}/conversations/{sender}/tracker",
        headers={"Authorization": f"Bearer {stack.rasa_token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        events: list[dict] = json.loads(resp.read())["events"]
        return events


def is_degraded(messages: list[dict]) -> bool:
    return messages[0]["text"].lower().startswith("bel 112")


def test_the_cluster_runs_its_parts_and_shares_conversations(cluster):
    assert cluster.endpoints == "endpoints.redis.yml"
    status, health = get_json(f"{cluster.gateway}/healthz")
    assert status == 200 and health["components"]["redis"] == "ok", health
    # Each replica uses one action and one NLG server in turn.
    actions = {cluster.env_for(name)["NW_ACTIONS_PORT"] for name in cluster.rasa_replicas}
    nlg = {cluster.env_for(name)["NW_NLG_PORT"] for name in cluster.rasa_replicas}
    assert len(actions) == 2 and len(nlg) == 2
    # The editor's store is PostgreSQL here; the pages and APIs answer as under make run.
    assert cluster.env()["NW_DATABASE_URL"].startswith("postgresql://")
    for path in ("/widget.js", "/redactie/login", "/api/v1/risico", "/api/v1/regio?gemeente=Utrecht"):
        status, _ = get_json(cluster.gateway + path)
        assert status == 200, path


def test_two_messages_of_one_conversation_at_once_on_two_replicas_are_handled_in_order(cluster):
    healthy(cluster)
    first, second = cluster.rasa_replicas[:2]
    for _ in range(3):
        sender = "order-" + uuid.uuid4().hex
        assert asks(tell_replica(cluster, first, sender, PLAN_BUTTON), HOUSEHOLD_QUESTION)
        replies: dict[str, str] = {}
        start = threading.Barrier(2)

        def send(name: str, message: str, start=start, replies=replies, sender=sender) -> None:
            start.wait()
            replies[name] = tell_replica(cluster, name, sender, message)

        threads = [
            threading.Thread(target=send, args=(first, "we zijn met 2 volwassenen")),
            threading.Thread(target=send, args=(second, "hallo")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(replies.values()), replies
        events = tracker_events(cluster, second, sender)
        turns = [i for i, event in enumerate(events) if event["event"] == "user"]
        assert len(turns) == 3, "every message is in the conversation once"
        for start_at, next_at in zip(turns, turns[1:] + [len(events)]):
            # A turn ends with action_listen before the next message starts: never interleaved.
            turn = events[start_at + 1 : next_at]
            names = [e.get("name") for e in turn if e["event"] == "action"]
            assert names and names[-1] == "action_listen", names


def test_killing_the_replica_that_serves_a_conversation_mid_form_loses_nothing(cluster):
    healthy(cluster)
    sender = "kill-one-" + uuid.uuid4().hex
    serving = cluster.rasa_replicas[0]
    assert asks(tell_replica(cluster, serving, sender, PLAN_BUTTON), HOUSEHOLD_QUESTION)
    assert asks(tell_replica(cluster, serving, sender, "2 volwassenen en 1 kind"), BUDGET_QUESTION)
    assert asks(tell_replica(cluster, serving, sender, "0 euro"), NEEDS_QUESTION)
    cluster.kill(serving)  # as the out-of-memory killer would
    # The resident carries on through the gateway; another replica continues.
    resident = Chat(cluster.gateway)
    resident.session_id = sender
    started = time.monotonic()
    plan = resident.say_text("nee")
    assert time.monotonic() - started < 25, "no waiting for the 30 s timeout"
    assert "plan voor 3 personen" in plan, "household kept: " + plan
    assert "geen geld voor je noodpakket" in plan, "budget kept (0 euro): " + plan


def test_after_every_replica_was_killed_the_conversation_continues(cluster):
    healthy(cluster)
    resident = Chat(cluster.gateway)
    assert asks(resident.say_text(PLAN_BUTTON), HOUSEHOLD_QUESTION)
    assert asks(resident.say_text("ik woon alleen met mijn hond"), BUDGET_QUESTION)
    for name in cluster.rasa_replicas:
        cluster.kill(name)
    # While no replica runs: the degraded answer, never a 5xx.
    status, body = post_json(
        f"{cluster.gateway}/api/v1/chat", {"session_id": resident.session_id, "message": "de stroom is uitgevallen"}
    )
    assert status == 200 and is_degraded(body["messages"]), body
    time.sleep(2.1)  # past the health cache
    status, health = get_json(f"{cluster.gateway}/healthz")
    assert status == 503 and set(cluster.rasa_replicas) <= set(health["down"]), health
    healthy(cluster)
    assert asks(resident.say_text("20 euro"), NEEDS_QUESTION)
    plan = resident.say_text("nee")
    assert "plan voor 1 persoon en 1 huisdier" in plan, plan


def test_redis_down_gives_the_degraded_answer_and_everything_recovers(cluster):
    healthy(cluster)
    resident = Chat(cluster.gateway)
    assert asks(resident.say_text(PLAN_BUTTON), HOUSEHOLD_QUESTION)
    assert asks(resident.say_text("3 volwassenen"), BUDGET_QUESTION)
    cluster.stop_process("redis")  # down on purpose: the supervisor leaves it down
    try:
        for n, message in enumerate(["50 euro", "er is brand in de keuken", "hallo"]):
            payload = {"session_id": resident.session_id, "message": message, "message_id": f"redis-down-{n}"}
            status, body = post_json(f"{cluster.gateway}/api/v1/chat", payload)
            assert status == 200, body
            assert is_degraded(body["messages"]), body
        time.sleep(2.1)  # past the health cache
        status, health = get_json(f"{cluster.gateway}/healthz")
        assert status == 503 and "redis" in health["down"], health
        status, _ = get_json(f"{cluster.gateway}/api/v1/risico")
        assert status == 200, "the APIs that need no conversation keep working"
    finally:
        cluster.start_process("redis")
    healthy(cluster, 60)
    # Redis kept the conversation (append-only file): the form goes on where it was.
    assert asks(resident.say_text("50 euro"), NEEDS_QUESTION)
