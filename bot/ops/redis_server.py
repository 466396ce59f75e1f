"""A real redis-server (Debian's package) on a chosen port, data under a given folder.

`make cluster` runs it as one of the supervised parts (bot/ops/stack.py); the
tests start their own on a free port with `RedisServer`. Installed by
scripts/setup_services.sh.

Persistence: an append-only file with fsync every second, no snapshots. A
restarted Redis (crash, `kill -9`) so comes back with the conversations of
all but the last second; the keys keep their expiry, so nothing is kept on
disk longer than in memory (the file is rewritten as it grows).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis

SETUP_HINT = "Redis ontbreekt: draai `bash scripts/setup_services.sh` (installeert Debian's redis-server)."


def redis_binary() -> str:
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if not found:
        raise SystemExit(SETUP_HINT)
    return found


def redis_command(port: int, data_dir: Path) -> list[str]:
    return [
        redis_binary(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data_dir),
        "--daemonize",
        "no",
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "everysec",
        "--loglevel",
        "warning",
    ]


def redis_url(port: int, db: int = 0) -> str:
    return f"redis://127.0.0.1:{port}/{db}"


def ping(url: str, timeout: float = 1.0) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def wait_ready(url: str, timeout: float = 20.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ping(url):
            return
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"redis-server stopped during start-up (exit {proc.returncode})")
        time.sleep(0.05)
    raise RuntimeError(f"redis-server not ready after {timeout:.0f} s ({url})")


class RedisServer:
    """A redis-server for a test or a script: start(), kill(), start() again, stop()."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return redis_url(self.port)

    def start(self, timeout: float = 20.0) -> RedisServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "redis.log", "ab")
        self.proc = subprocess.Popen(
            redis_command(self.port, self.data_dir), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        wait_ready(self.url, timeout, self.proc)
        return self

    def kill(self) -> None:
        """Stop it at once, as a crash would (SIGKILL)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
