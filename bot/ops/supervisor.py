"""Keeps the stack's processes running: a part that stops is started again.

`make run`, `make cluster` and the tests use the same code (bot/ops/stack.py
starts the supervisor once every part is healthy). A crashed part (an
out-of-memory kill, a bug) is started again after a pause that doubles with
every crash in the last two minutes: 1, 2, 4, 8, 16, then 30 s at most, so a
part that cannot start does not eat the CPU the others need. A part that
crashes `flap_crashes` times within `flap_window` seconds is reported loudly
(stderr and var/log/supervisor.log) and still retried every 30 s; the other
parts are never stopped because of it. While a Rasa replica is away the
gateway answers on the others or with the degraded answer (bot/gateway/chat.py).

Only parts that are still wanted are restarted: `Stack.stop_process` removes a
part from `procs` (under the same lock) before stopping it.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

BASE_DELAY_S = 1.0
MAX_DELAY_S = 30.0
FLAP_CRASHES = 5
FLAP_WINDOW_S = 120.0
CHECK_EVERY_S = 0.5


class Supervised(Protocol):
    """What the supervisor needs from bot.ops.stack.Stack."""

    procs: dict[str, Any]  # name -> subprocess.Popen
    lock: threading.RLock
    log_dir: Path

    def start_process(self, name: str) -> None: ...

    def log_path(self, name: str) -> Path: ...


@dataclass
class _Part:
    crashes: deque[float] = field(default_factory=deque)
    restart_at: float | None = None
    flapping: bool = False


def describe_exit(code: int) -> str:
    """'signaal 9 (SIGKILL)' or 'exitcode 1', for the operator."""
    if code < 0:
        try:
            return f"signaal {-code} ({signal.Signals(-code).name})"
        except ValueError:
            return f"signaal {-code}"
    return f"exitcode {code}"


class Supervisor:
    def __init__(
        self,
        stack: Supervised,
        *,
        base_delay: float = BASE_DELAY_S,
        max_delay: float = MAX_DELAY_S,
        flap_crashes: int = FLAP_CRASHES,
        flap_window: float = FLAP_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
        out: IO[str] | None = None,
        err: IO[str] | None = None,
    ) -> None:
        self.stack = stack
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.flap_crashes = flap_crashes
        self.flap_window = flap_window
        self.clock = clock
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.parts: dict[str, _Part] = {}
        self.restarts: dict[str, int] = {}  # name -> restarts so far (for tests and the operator)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- one pass -------------------------------------------------------------------

    def check(self) -> None:
        """Notice stopped parts, and start those whose pause is over."""
        now = self.clock()
        with self.stack.lock:
            for name, proc in list(self.stack.procs.items()):
                part = self.parts.setdefault(name, _Part())
                if part.restart_at is not None:
                    if now >= part.restart_at:
                        self._restart(name, part)
                    continue
                code = proc.poll()
                if code is not None:
                    self._crashed(name, part, code, now)

    def delay_for(self, crashes_in_window: int) -> float:
        return float(min(self.max_delay, self.base_delay * 2 ** max(0, crashes_in_window - 1)))

    def _crashed(self, name: str, part: _Part, code: int, now: float) -> None:
        part.crashes.append(now)
        while part.crashes and now - part.crashes[0] > self.flap_window:
            part.crashes.popleft()
        delay = self.delay_for(len(part.crashes))
        part.restart_at = now + delay
        log = self.stack.log_path(name)
        self._say(f"{name} is gestopt ({describe_exit(code)}); opnieuw starten over {delay:.0f} s. Log: {log}")
        if len(part.crashes) >= self.flap_crashes:
            if not part.flapping:
                part.flapping = True
                self._alarm(
                    f"{name} blijft crashen: {len(part.crashes)} keer in {self.flap_window / 60:.0f} minuten. "
                    f"De rest draait door; nieuwe poging elke {self.max_delay:.0f} s. Kijk in {log}"
                )
        else:
            part.flapping = False

    def _restart(self, name: str, part: _Part) -> None:
        part.restart_at = None
        try:
            self.stack.start_process(name)
        except Exception as exc:  # e.g. the program vanished: try again later, loudly
            self._alarm(f"{name} kon niet starten: {exc}")
            part.restart_at = self.clock() + self.max_delay
            return
        self.restarts[name] = self.restarts.get(name, 0) + 1
        self._say(f"{name} is opnieuw gestart.")

    # --- reporting ------------------------------------------------------------------

    def _write_log(self, line: str) -> None:
        try:
            self.stack.log_dir.mkdir(parents=True, exist_ok=True)
            with open(self.stack.log_dir / "supervisor.log", "a", encoding="utf-8") as fh:
                fh.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {line}\n")
        except OSError:
            pass  # reporting must never stop the supervision

    def _say(self, line: str) -> None:
        self._write_log(line)
        print(line, file=self.out, flush=True)

    def _alarm(self, line: str) -> None:
        self._write_log("ALARM " + line)
        bar = "!" * 72
        print(f"{bar}\nLET OP: {line}\n{bar}", file=self.err, flush=True)

    # --- background thread ------------------------------------------------------------

    def start(self) -> Supervisor:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="noodwijzer-supervisor", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(CHECK_EVERY_S):
            try:
                self.check()
            except Exception as exc:  # the supervisor itself must not die quietly
                self._alarm(f"de supervisor had een fout: {type(exc).__name__}: {exc}")

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)
