"""Client for the de-identification worker (bot/ops/deidentify_worker.py).

A long-lived child process in .venv-deidentify, started at the first call and started
again when it died or hung. Fail closed: when the worker is missing, slow or broken,
`deidentify` answers None and the caller keeps nothing.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PYTHON = ROOT / ".venv-deidentify" / "bin" / "python"
WORKER = Path(__file__).with_name("deidentify_worker.py")
START_TIMEOUT = 120.0  # loading deduce's lookup tables: ~20 s on a busy machine
ANSWER_TIMEOUT = 10.0
RETRY_AFTER = 30.0  # after a failed start, wait before the next try


class Deidentifier:
    """Thread-safe; every call blocks, so call it off the event loop."""

    def __init__(
        self,
        python: Path = DEFAULT_PYTHON,
        worker: Path = WORKER,
        start_timeout: float = START_TIMEOUT,
        answer_timeout: float = ANSWER_TIMEOUT,
    ) -> None:
        self.python = python
        self.worker = worker
        self.start_timeout = start_timeout
        self.answer_timeout = answer_timeout
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._failed_at = 0.0

    def available(self) -> bool:
        return self.python.exists()

    def deidentify(self, text: str) -> str | None:
        """The de-identified text, or None when the worker cannot answer (keep nothing then)."""
        with self._lock:
            try:
                proc = self._running()
                if proc is None:
                    return None
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(json.dumps({"text": text}) + "\n")
                proc.stdin.flush()
                line = self._read_line(proc.stdout, self.answer_timeout)
                answer = json.loads(line) if line else None
                if isinstance(answer, dict) and isinstance(answer.get("text"), str):
                    return str(answer["text"])
                if not isinstance(answer, dict) or "error" not in answer:
                    self._stop()  # silent or garbled: start afresh next time
                return None
            except (OSError, ValueError) as exc:
                logger.warning("de-identification worker failed (%s)", type(exc).__name__)
                self._stop()
                return None

    def close(self) -> None:
        with self._lock:
            self._stop()

    def _running(self) -> subprocess.Popen[str] | None:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._proc = None
        if not self.available() or time.monotonic() - self._failed_at < RETRY_AFTER and self._failed_at:
            return None
        proc = subprocess.Popen(
            [str(self.python), str(self.worker)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # deduce logs its loading; never message text
            text=True,
            encoding="utf-8",
            env={"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8"},
            cwd=ROOT,
        )
        assert proc.stdout is not None
        if not self._is_ready(self._read_line(proc.stdout, self.start_timeout)):
            logger.warning("de-identification worker did not start")
            proc.kill()
            proc.wait()
            self._failed_at = time.monotonic()
            return None
        self._failed_at = 0.0
        self._proc = proc
        return proc

    @staticmethod
    def _is_ready(line: str) -> bool:
        try:
            first = json.loads(line) if line else None
        except ValueError:
            return False
        return isinstance(first, dict) and first.get("ready") is True

    def _read_line(self, stream: IO[str], timeout: float) -> str:
        """One line, or "" after the timeout (the worker is then stopped)."""
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if reader.is_alive():
            logger.warning("de-identification worker gave no answer within %.0f s", timeout)
            self._stop()
            return ""
        return result[0] if result else ""

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
