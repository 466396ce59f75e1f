"""Start and stop the four processes: actions, NLG, Rasa and the gateway.

Used by `make run` (fixed ports) and by the tests (free ports), so both run
the same real stack. Plain subprocess handling, no Rasa imports.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
DEFAULT_PORTS = {"gateway": 8080, "rasa": 5005, "actions": 5055, "nlg": 5056}


def default_ports() -> dict[str, int]:
    """Two Rasa replicas by default: one Rasa process uses one core, and the
    gateway spreads conversations over both (docs/performance.md). Small
    machines can set NW_RASA_REPLICAS=1 to save ~0.8 GB."""
    replicas = Settings.from_env().rasa_replicas
    ports = dict(DEFAULT_PORTS)
    for n in range(2, replicas + 1):  # rasa-2 on 5006, ...
        ports[f"rasa-{n}"] = DEFAULT_PORTS["rasa"] + n - 1
    return ports


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def latest_model() -> Path:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("Geen getraind model gevonden in models/. Draai eerst `make model`.")
    return models[-1]


@dataclass
class Stack:
    ports: dict[str, int] = field(default_factory=default_ports)
    model: Path | None = None
    log_dir: Path = ROOT / "var" / "log"
    extra_env: dict[str, str] = field(default_factory=dict)
    gateway_host: str = "0.0.0.0"
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    healthy_after: float | None = None  # seconds from start to /healthz 200
    # Rasa's HTTP API token (bot_rasa/api_guard.py): NW_RASA_TOKEN, or a new random one per stack.
    rasa_token: str = field(default_factory=lambda: Settings.from_env().rasa_token or secrets.token_urlsafe(32))

    @classmethod
    def on_free_ports(cls, **kwargs: Any) -> Stack:
        return cls(ports={name: free_port() for name in default_ports()}, **kwargs)

    @property
    def rasa_replicas(self) -> list[str]:
        """Process names of the Rasa replicas; "rasa" (port 5005) comes first."""
        return sorted((name for name in self.ports if name.startswith("rasa")), key=lambda n: (n != "rasa", n))

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def rasa(self) -> str:
        return f"http://127.0.0.1:{self.ports['rasa']}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "PYTHONPATH": str(ROOT),
                "NW_RASA_TOKEN": self.rasa_token,
                # rasa_sdk binds to SANIC_HOST (default 0.0.0.0): loopback unless NW_ACTIONS_HOST
                # names a pod address. Rasa gets its own -i 127.0.0.1.
                "SANIC_HOST": Settings.from_env().actions_host,
                "NW_GATEWAY_PORT": str(self.ports["gateway"]),
                "NW_GATEWAY_HOST": self.gateway_host,
                "NW_RASA_PORT": str(self.ports["rasa"]),
                "NW_RASA_PORTS": ",".join(str(self.ports[name]) for name in self.rasa_replicas),
                # Small matrices: one TensorFlow thread per replica avoids two
                # replicas fighting over the same two cores.
                "TF_INTRA_OP_PARALLELISM_THREADS": "1",
                "TF_INTER_OP_PARALLELISM_THREADS": "1",
                "NW_ACTIONS_PORT": str(self.ports["actions"]),
                "NW_NLG_PORT": str(self.ports["nlg"]),
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "LOG_LEVEL_LIBRARIES": "ERROR",
                "RASA_TELEMETRY_ENABLED": "false",
                "SANIC_REGISTER": "false",
            }
        )
        env.update(self.extra_env)
        return env

    def commands(self) -> dict[str, list[str]]:
        python = str(VENV_BIN / "python")
        model = str(self.model or latest_model())
        commands = {
            "actions": [python, "-m", "rasa_sdk", "--actions", "actions", "-p", str(self.ports["actions"]), "--quiet"],
            "nlg": [python, "-m", "bot.nlg.server"],
            "gateway": [python, "-m", "bot.gateway"],
        }
        for name in self.rasa_replicas:
            commands[name] = [
                python,
                "-m",
                "bot_rasa.launch",
                "run",
                "--enable-api",
                "-i",
                "127.0.0.1",
                "-p",
                str(self.ports[name]),
                "--model",
                model,
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
                "--quiet",
            ]
        return commands

    def start_process(self, name: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}-{self.ports[name]}.log", "wb")
        self.procs[name] = subprocess.Popen(
            self.commands()[name],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start(self, timeout: float = 180.0) -> Stack:
        busy = [f"{name} ({port})" for name, port in self.ports.items() if port_in_use(port)]
        if busy:
            raise SystemExit(
                "Noodwijzer lijkt al te draaien: poort bezet voor "
                + ", ".join(busy)
                + ". Stop de andere `make run` eerst (Ctrl-C)."
            )
        for name in ("actions", "nlg", *self.rasa_replicas, "gateway"):
            self.start_process(name)
        self.healthy_after = self.wait_healthy(timeout)
        self.warm_up()
        return self

    # Text only used to run each code path once (no resident data).
    WARM_UP = ("hallo", "wat moet ik doen als de stroom uitvalt", "ik wil een noodpakket maken")

    def warm_up(self) -> None:
        """One short conversation per replica, so the first resident after a start
        doesn't wait for first-call set-up (connections, TensorFlow, policies)."""
        for name in self.rasa_replicas:
            sender = f"warm-up-{uuid.uuid4().hex}"
            for text in self.WARM_UP:
                body = json.dumps({"sender": sender, "message": text}).encode()
                request = urllib.request.Request(
                    f"http://127.0.0.1:{self.ports[name]}/webhooks/rest/webhook",
                    data=body,
                    headers={"Content-Type": "application/json"},
                )
                try:
                    urllib.request.urlopen(request, timeout=30).read()
                except OSError:
                    return  # health already passed; a failed warm-up only costs speed

    def health(self) -> int:
        try:
            with urllib.request.urlopen(f"{self.gateway}/healthz", timeout=3) as resp:
                status: int = resp.status
                return status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError:
            return 0

    def wait_healthy(self, timeout: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            for name, proc in self.procs.items():
                if proc.poll() is not None:
                    self.stop()
                    raise RuntimeError(
                        f"{name} stopped during start-up; see {self.log_dir}/{name}-{self.ports[name]}.log"
                    )
            if self.health() == 200:
                return time.monotonic() - started
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"stack not healthy after {timeout:.0f}s; logs in {self.log_dir}")

    def stop_process(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stop(self) -> None:
        for name in ("gateway", *self.rasa_replicas, "nlg", "actions"):
            self.stop_process(name)

    def rss_bytes(self) -> int:
        """Resident memory of all processes and their children (Linux /proc)."""
        total = 0
        pids = [p.pid for p in self.procs.values()]
        seen: set[int] = set()
        while pids:
            pid = pids.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                with open(f"/proc/{pid}/status") as fh:
                    for line in fh:
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1]) * 1024
                with open(f"/proc/{pid}/task/{pid}/children") as fh:
                    pids.extend(int(c) for c in fh.read().split())
            except OSError:
                continue
        return total


def main() -> None:
    parser = argparse.ArgumentParser(description="Start Noodwijzer (make run).")
    parser.add_argument("--model", type=Path, default=None)
    args = parser.parse_args()
    lock_path = ROOT / ".noodwijzer.lock"
    import fcntl

    lock = open(lock_path, "a")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit("Noodwijzer draait al (vanuit deze map). Stop die eerst met Ctrl-C.") from None
    stack = Stack(model=args.model)
    stopping = False

    def shutdown(signum: int, frame: FrameType | None) -> None:  # Ctrl-C or SIGTERM: stop every process cleanly
        nonlocal stopping
        if not stopping:
            stopping = True
            print("\nNoodwijzer stopt...", flush=True)
            stack.stop()
            sys.exit(0)

    signal.signal(signal.SIGINT, shutdown)
    signal.signal(signal.SIGTERM, shutdown)
    t0 = time.monotonic()
    print("Noodwijzer start (Rasa laden duurt ongeveer een halve minuut)...", flush=True)
    stack.start()
    print(
        f"Klaar in {time.monotonic() - t0:.0f} s. Open de chat op http://localhost:{stack.ports['gateway']}/",
        flush=True,
    )
    print("Stoppen: Ctrl-C", flush=True)
    while True:
        for name, proc in list(stack.procs.items()):
            if proc.poll() is not None:
                print(f"{name} is gestopt; zie var/log/. Alles stopt.", flush=True)
                stack.stop()
                sys.exit(1)
        time.sleep(1)


if __name__ == "__main__":
    main()
