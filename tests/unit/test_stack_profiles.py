"""The two profiles of bot/ops/stack.py, without starting anything."""

from __future__ import annotations

from bot.ops.stack import Stack, default_ports


def test_make_cluster_runs_three_replicas_two_action_and_two_nlg_servers_redis_and_postgres():
    ports = default_ports("cluster")
    assert [ports[name] for name in ("rasa", "rasa-2", "rasa-3")] == [5005, 5006, 5007]
    assert ports["gateway"] == 8080
    stack = Stack(ports=ports)
    assert stack.action_servers == ["actions", "actions-2"] and stack.nlg_servers == ["nlg", "nlg-2"]
    assert stack.services == ["redis", "postgres"]
    assert stack.endpoints == "endpoints.redis.yml"
    env = stack.env()
    assert env["NW_REDIS_URL"] == f"redis://127.0.0.1:{ports['redis']}/0"
    assert env["NW_DATABASE_URL"].startswith("postgresql://") and f":{ports['postgres']}/" in env["NW_DATABASE_URL"]
    assert env["NW_ACTIONS_PORTS"] == "5055,5057" and env["NW_NLG_PORTS"] == "5056,5058"


def test_each_replica_uses_one_action_and_one_nlg_server_in_turn():
    stack = Stack(ports=default_ports("cluster"))
    pairs = [
        (stack.env_for(name)["NW_ACTIONS_PORT"], stack.env_for(name)["NW_NLG_PORT"]) for name in stack.rasa_replicas
    ]
    assert pairs == [("5055", "5056"), ("5057", "5058"), ("5055", "5056")]


def test_make_run_keeps_conversations_in_memory(monkeypatch, tmp_path):
    monkeypatch.delenv("NW_REDIS_URL", raising=False)
    stack = Stack(ports=default_ports("run", 2), model=tmp_path / "model.tar.gz")
    assert stack.services == []
    assert "NW_REDIS_URL" not in stack.env()
    for name in stack.rasa_replicas:
        command = stack.commands()[name]
        assert command[command.index("--endpoints") + 1] == "endpoints.yml"


def test_an_outside_redis_switches_make_run_to_shared_conversations(monkeypatch):
    monkeypatch.setenv("NW_REDIS_URL", "redis://10.0.0.5:6379/0")
    stack = Stack(ports=default_ports("run", 2))
    assert stack.endpoints == "endpoints.redis.yml"
    assert stack.env()["NW_REDIS_URL"] == "redis://10.0.0.5:6379/0"


def test_a_stack_on_free_ports_never_gives_two_parts_one_port() -> None:
    # Ports asked one at a time could repeat (the gateway and an action server once got
    # the same one, and the gateway could not start); the cluster has 12 parts.
    from bot.ops.stack import Stack, free_ports

    for _ in range(20):
        stack = Stack.on_free_ports(profile="cluster")
        try:
            assert len(set(stack.ports.values())) == len(stack.ports)
        finally:
            stack.stop()
    assert len(set(free_ports(50))) == 50


def test_pss_splits_the_pages_that_processes_share() -> None:
    # Two children of one Python share its libraries: their summed RSS counts those pages
    # twice, PSS once (make bench's memory target, docs/performance.md).
    import subprocess
    import sys
    import time

    stack = Stack(ports={})
    for name in ("a", "b"):
        stack.procs[name] = subprocess.Popen([sys.executable, "-c", "import time, json; time.sleep(30)"])
    try:
        time.sleep(1.0)
        rss, pss = stack.rss_bytes(), stack.pss_bytes()
        assert 0 < pss < rss
    finally:
        for proc in stack.procs.values():
            proc.kill()
            proc.wait()
