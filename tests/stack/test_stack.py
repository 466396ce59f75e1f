"""`make run` guards: a second run fails with a clear message, not a traceback."""

from __future__ import annotations

import fcntl
import socket
import subprocess
import sys

import pytest

from bot.ops.stack import ROOT, Stack, free_port


def test_second_run_is_refused_by_the_lock():
    with open(ROOT / ".noodwijzer.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # a real `make run` holds it: the situation under test
        result = subprocess.run(
            [sys.executable, "-m", "bot.ops.stack"], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
    assert result.returncode != 0
    assert "draait al" in result.stderr
    assert "Traceback" not in result.stderr


def test_busy_port_gives_clear_message():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        busy = sock.getsockname()[1]
        stack = Stack(ports={"gateway": busy, "rasa": free_port(), "actions": free_port(), "nlg": free_port()})
        with pytest.raises(SystemExit) as exc:
            stack.start()
    assert "poort bezet" in str(exc.value)
    assert not stack.procs, "nothing may be started when a port is taken"
