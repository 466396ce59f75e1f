"""Start, supervise and stop the processes: actions, NLG, Rasa and the gateway.

Used by `make run` and `make cluster` (fixed ports) and by the tests and
benchmarks (free ports), so all run the same real stack. Once every part is
healthy, bot/ops/supervisor.py starts a part again when it stops.

Two profiles:
- "run": two Rasa replicas, one action and one NLG server, conversations in
  each replica's memory (no Redis, SQLite for the editor);
- "cluster": Redis (conversations, locks, shared gateway limits), PostgreSQL
  (the editor's store, bot/ops/postgres_server.py), three Rasa replicas, two
  action and two NLG servers. Rasa's endpoints take one action
  URL and one NLG URL, so each replica is pointed at one of them in turn
  (rasa -> actions/nlg, rasa-2 -> actions-2/nlg-2, rasa-3 -> actions/nlg).
Plain subprocess handling, no Rasa imports.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from bot.ops import redis_server
from bot.ops.supervisor import Supervisor
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
DEFAULT_PORTS = {"gateway": 8080, "rasa": 5005, "actions": 5055, "nlg": 5056}
# make cluster: the second action and NLG server, and Redis off its usual 6379
# so a Redis the machine already runs is left alone.
CLUSTER_PORTS = {"actions-2": 5057, "nlg-2": 5058, "redis": 6380, "postgres": 5433}
CLUSTER_REPLICAS = 3
PROFILES = ("run", "cluster")
# Endpoints per kind of conversation store: each replica's memory, or Redis.
ENDPOINTS = {False: "endpoints.yml", True: "endpoints.redis.yml"}
SERVICES = ("redis", "postgres")  # started first, before the parts that use them


def default_ports(profile: str = "run", rasa_replicas: int | None = None) -> dict[str, int]:
    """Two Rasa replicas by default: one Rasa process uses one core, and the
    gateway spreads conversations over both (docs/performance.md). Small
    machines can set NW_RASA_REPLICAS=1 to save ~0.8 GB. The cluster profile
    runs three replicas (127.0.0.1:5005-5007), two action and two NLG servers
    and Redis."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {PROFILES}")
    if rasa_replicas is None:
        rasa_replicas = CLUSTER_REPLICAS if profile == "cluster" else Settings.from_env().rasa_replicas
    ports = dict(DEFAULT_PORTS)
    for n in range(2, rasa_replicas + 1):  # rasa-2 on 5006, ...
        ports[f"rasa-{n}"] = DEFAULT_PORTS["rasa"] + n - 1
    if profile == "cluster":
        ports.update(CLUSTER_PORTS)
    return ports


def _numbered(ports: dict[str, int], kind: str) -> list[str]:
    """ "rasa", "rasa-2", ... in order (the unnumbered one first)."""
    names = [name for name in ports if name == kind or name.startswith(kind + "-")]
    return sorted(names, key=lambda n: 1 if n == kind else int(n.rsplit("-", 1)[1]))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports(count: int) -> list[int]:
    """`count` different free ports. Asked one at a time, the kernel may hand out a
    port it just handed out (nothing is bound to it yet): seen once as two parts of
    one stack on the same port. All sockets stay open until every port is chosen."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


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
    # Where the services keep their data (redis/, postgres/): var/ for make cluster, a
    # temp dir in tests (under /tmp: PostgreSQL runs as its own user and must reach it).
    data_dir: Path = ROOT / "var"
    supervisor: Supervisor | None = None
    # The supervisor thread and the caller both start and stop parts.
    lock: threading.RLock = field(default_factory=threading.RLock)

    # A data folder made for this stack (on_free_ports), removed again by stop().
    own_data_dir: bool = False

    @classmethod
    def on_free_ports(cls, profile: str = "run", rasa_replicas: int | None = None, **kwargs: Any) -> Stack:
        """A stack of the given profile on free ports (tests, benchmarks). Unless data_dir
        is given, its services keep their data in a fresh folder under /tmp, never in the
        var/ of a `make cluster` that may be running."""
        names = list(default_ports(profile, rasa_replicas))
        ports = dict(zip(names, free_ports(len(names))))
        if "data_dir" not in kwargs and any(name in ports for name in SERVICES):
            data_dir = Path(tempfile.mkdtemp(prefix="nw-stack-"))
            data_dir.chmod(0o755)  # PostgreSQL runs as its own user when we are root
            kwargs.update(data_dir=data_dir, own_data_dir=True)
        return cls(ports=ports, **kwargs)

    @property
    def rasa_replicas(self) -> list[str]:
        """Process names of the Rasa replicas; "rasa" (port 5005) comes first."""
        return _numbered(self.ports, "rasa")

    @property
    def action_servers(self) -> list[str]:
        return _numbered(self.ports, "actions")

    @property
    def nlg_servers(self) -> list[str]:
        return _numbered(self.ports, "nlg")

    @property
    def services(self) -> list[str]:
        return [name for name in SERVICES if name in self.ports]

    @property
    def redis_url(self) -> str:
        """The Redis this stack runs, or one given from outside (NW_REDIS_URL), or ""."""
        if "redis" in self.ports:
            return redis_server.redis_url(self.ports["redis"])
        return self.extra_env.get("NW_REDIS_URL", os.environ.get("NW_REDIS_URL", ""))

    @property
    def endpoints(self) -> str:
        return ENDPOINTS[bool(self.redis_url)]

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}-{self.ports[name]}.log"

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
                "NW_ACTIONS_PORTS": ",".join(str(self.ports[name]) for name in self.action_servers),
                "NW_NLG_PORTS": ",".join(str(self.ports[name]) for name in self.nlg_servers),
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "LOG_LEVEL_LIBRARIES": "ERROR",
                "RASA_TELEMETRY_ENABLED": "false",
                "SANIC_REGISTER": "false",
            }
        )
        if "redis" in self.ports:
            env["NW_REDIS_URL"] = self.redis_url
        if self.redis_url:
            # Rasa's conversation lock: a replica killed mid-message leaves its ticket
            # behind until it expires; 20 s (Rasa's default is 60) is still longer than
            # the gateway waits for an answer (NW_RASA_TIMEOUT, 15 s).
            env.setdefault("TICKET_LOCK_LIFETIME", "20")
        if "postgres" in self.ports:
            from bot.ops import postgres_server

            env["NW_DATABASE_URL"] = postgres_server.database_url(self.ports["postgres"])
        env.update(self.extra_env)
        return env

    def env_for(self, name: str) -> dict[str, str]:
        """The environment of one part: each Rasa replica uses one action and one
        NLG server, taken in turn, so every server gets its share of replicas."""
        env = self.env()
        if name in self.rasa_replicas:
            n = self.rasa_replicas.index(name)
            actions, nlg = self.action_servers, self.nlg_servers
            env["NW_ACTIONS_PORT"] = str(self.ports[actions[n % len(actions)]])
            env["NW_NLG_PORT"] = str(self.ports[nlg[n % len(nlg)]])
        elif name in self.nlg_servers:
            env["NW_NLG_PORT"] = str(self.ports[name])
        return env

    def commands(self) -> dict[str, list[str]]:
        python = str(VENV_BIN / "python")
        model = str(self.model or latest_model())
        commands = {"gateway": [python, "-m", "bot.gateway"]}
        for name in self.action_servers:
            commands[name] = [python, "-m", "rasa_sdk", "--actions", "actions", "-p", str(self.ports[name]), "--quiet"]
        for name in self.nlg_servers:
            commands[name] = [python, "-m", "bot.nlg.server"]
        if "redis" in self.ports:
            commands["redis"] = redis_server.redis_command(self.ports["redis"], self.data_dir / "redis")
        if "postgres" in self.ports:
            from bot.ops import postgres_server

            commands["postgres"] = postgres_server.postgres_command(self.data_dir / "postgres", self.ports["postgres"])
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
                self.endpoints,
                "--credentials",
                "credentials.yml",
                "--quiet",
            ]
        return commands

    def start_process(self, name: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        extra: dict[str, Any] = {}
        if name == "redis":
            (self.data_dir / "redis").mkdir(parents=True, exist_ok=True)
        if name == "postgres":
            from bot.ops import postgres_server

            postgres_server.init_data_dir(self.data_dir / "postgres")
            extra = postgres_server._user_kwargs(postgres_server.run_as())  # not as root
        with self.lock, open(self.log_path(name), "ab") as log:  # appended: a restart keeps the crash's log
            self.procs[name] = subprocess.Popen(
                self.commands()[name],
                cwd=ROOT,
                env=self.env_for(name),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **extra,
            )

    def start(self, timeout: float = 180.0, supervise: bool = True) -> Stack:
        busy = [f"{name} ({port})" for name, port in self.ports.items() if port_in_use(port)]
        if busy:
            raise SystemExit(
                "Noodwijzer lijkt al te draaien: poort bezet voor "
                + ", ".join(busy)
                + ". Stop de andere `make run` eerst (Ctrl-C)."
            )
        try:
            for name in self.services:
                self.start_process(name)
            self.wait_services(60)
            for name in (*self.action_servers, *self.nlg_servers, *self.rasa_replicas, "gateway"):
                self.start_process(name)
        except BaseException:
            self.stop()  # nothing half-started is left behind
            raise
        self.healthy_after = self.wait_healthy(timeout)
        self.warm_up()
        if supervise:
            self.supervisor = Supervisor(self).start()
        return self

    def wait_services(self, timeout: float) -> None:
        """Redis answers PING and the editor's database exists."""
        if "redis" in self.ports:
            try:
                redis_server.wait_ready(self.redis_url, timeout, self.procs["redis"])
            except RuntimeError as exc:
                raise RuntimeError(f"{exc}; see {self.log_path('redis')}") from None
        if "postgres" in self.ports:
            from bot.ops import postgres_server

            port = self.ports["postgres"]
            deadline = time.monotonic() + timeout
            while not postgres_server.ready(port):
                if self.procs["postgres"].poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"postgres did not start; see {self.log_path('postgres')}")
                time.sleep(0.1)
            postgres_server.create_database(port)

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
        """Stop one part for good: it leaves `procs` first, so the supervisor lets it be."""
        with self.lock:
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

    def kill(self, name: str) -> int:
        """SIGKILL one part, as the out-of-memory killer would; the supervisor
        restarts it. Returns the killed process id."""
        with self.lock:
            proc = self.procs[name]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it had just died by itself and was reaped: the state a kill leaves
        proc.wait(timeout=10)
        return proc.pid

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
            self.supervisor = None
        for name in ("gateway", *self.rasa_replicas, *self.nlg_servers, *self.action_servers, *self.services):
            self.stop_process(name)
        if self.own_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def rss_bytes(self) -> int:
        """Resident memory of all processes and their children (Linux /proc). Pages that
        several processes share (TensorFlow's libraries in every Rasa replica) count once
        per process: see pss_bytes for what they hold together."""
        return self._memory("/proc/{pid}/status", "VmRSS:")

    def pss_bytes(self) -> int:
        """Proportional memory of all processes and their children: a page shared by n
        processes counts 1/n in each, so the sum is what the stack really holds."""
        return self._memory("/proc/{pid}/smaps_rollup", "Pss:")

    def _memory(self, source: str, field_name: str) -> int:
        total = 0
        pids = [p.pid for p in self.procs.values()]
        seen: set[int] = set()
        while pids:
            pid = pids.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                with open(source.format(pid=pid)) as fh:
                    for line in fh:
                        if line.startswith(field_name):
                            total += int(line.split()[1]) * 1024
                            break
                with open(f"/proc/{pid}/task/{pid}/children") as fh:
                    pids.extend(int(c) for c in fh.read().split())
            except OSError:
                continue
        return total


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Start Noodwijzer (make run, make cluster).")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--profile", choices=PROFILES, default="run", help="cluster: Redis, 3 Rasa, 2 actions, 2 NLG")
    parser.add_argument("--rasa-replicas", type=int, default=None)
    parser.add_argument(
        "--free-ports", action="store_true", help="every part on a free port (tests); prints the ports as JSON"
    )
    parser.add_argument("--var", type=Path, default=ROOT / "var", help="logs and service data (default var/)")
    args = parser.parse_args(argv)
    if args.free_ports:
        ports = {name: free_port() for name in default_ports(args.profile, args.rasa_replicas)}
    else:
        # Fixed ports: one such stack per machine, and a clear message for a second one.
        import fcntl

        lock = open(ROOT / ".noodwijzer.lock", "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit("Noodwijzer draait al (vanuit deze map). Stop die eerst met Ctrl-C.") from None
        ports = default_ports(args.profile, args.rasa_replicas)
    stack = Stack(ports=ports, model=args.model, log_dir=args.var / "log", data_dir=args.var)
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
    if args.free_ports:
        print("Poorten: " + json.dumps(stack.ports), flush=True)
    try:
        stack.start(timeout=300 if args.profile == "cluster" else 180)
    except RuntimeError as exc:
        raise SystemExit(f"Noodwijzer kon niet starten: {exc}") from None
    print(
        f"Klaar in {time.monotonic() - t0:.0f} s. Open de chat op http://localhost:{stack.ports['gateway']}/",
        flush=True,
    )
    print(f"Een onderdeel dat stopt, start vanzelf opnieuw (meldingen: {stack.log_dir}/supervisor.log).", flush=True)
    print("Stoppen: Ctrl-C", flush=True)
    while True:  # the supervisor thread does the work; this thread waits for Ctrl-C
        time.sleep(1)


if __name__ == "__main__":
    main()
