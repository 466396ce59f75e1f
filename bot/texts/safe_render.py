"""Every text render runs in a worker process, with a time budget, an output limit and a memory limit.

Texts can be edited live (bot/redactie), so one text could loop or ask for
gigabytes. The sandbox (bot/texts/jinja.py) refuses the obvious cases; this
module bounds the rest:
- time: each render is a task in a Pebble process pool with a timeout; a task
  that runs over is stopped by killing its worker, and Pebble starts a new one;
- memory: each worker has an address-space limit (RLIMIT_AS), so a runaway
  allocation fails with MemoryError in the worker, not in the server;
- output: a render that writes more than `max_output` characters is stopped.

Workers are forked from a forkserver that has already imported Jinja2 and Babel,
so a replaced worker is ready in milliseconds. Each worker keeps its compiled
templates, keyed by the source's hash. The server's event loop never waits:
`off_loop` runs the (blocking) render call in a small thread pool.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import hashlib
import logging
import multiprocessing
import resource
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

from jinja2 import Environment, Template, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from pebble import ProcessExpired, ProcessFuture, ProcessPool

from bot.core.knowledge import TEMPLATES_DIR
from bot.texts.jinja import html_environment, text_environment

logger = logging.getLogger(__name__)

_T = TypeVar("_T")
MB = 1024 * 1024

# Problems that come from the limits (the text is too costly), as opposed to
# mistakes in a text (undefined variable, refused by the sandbox).
LIMIT_ERRORS = frozenset({"too_slow", "too_large", "memory", "crashed"})


@dataclass(frozen=True)
class RenderLimits:
    # Seconds per render. A normal answer takes 1-5 ms (20 ms on a machine under full
    # load); the trap test needs the fallback answer within 1 s (docs/performance.md).
    time_budget: float = 0.3
    max_output: int = 20_000  # characters of one chat text (every bubble together)
    max_page: int = 500_000  # characters of one HTML page (the checklist)
    memory_mb: int = 256  # address space a worker may add to what it has after start-up
    workers: int = 2


@dataclass(frozen=True)
class Outcome:
    """What one render gave: the raw text, or an error code (see LIMIT_ERRORS and worker codes)."""

    raw: str | None = None
    error: str | None = None
    detail: str = ""  # for the editor (variable name, sandbox message); never logged with resident data

    @property
    def ok(self) -> bool:
        return self.error is None


# --- in the worker ----------------------------------------------------------------

_compiled: dict[str, Template] = {}
_page_envs: dict[str, Environment] = {}
_text_env: Environment | None = None


def _init_worker(memory_bytes: int, templates_dir: str | None = None) -> None:
    # Pebble installs a Python-level SIGTERM handler, which cannot run while the
    # worker is inside one long C call; the default action ends it at once.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if memory_bytes > 0:
        current = _address_space()
        if current is not None:
            _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = current + memory_bytes
            if hard != resource.RLIM_INFINITY:
                limit = min(limit, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    if templates_dir:
        _precompile(Path(templates_dir))


def _precompile(templates_dir: Path) -> None:
    """Compile the repository's texts now: a fallback after a stopped render is then fast."""
    for path in sorted(templates_dir.rglob("*.j2")):
        if path.parent.name == "web":
            continue  # pages, not chat texts
        try:
            _template(path.read_text(encoding="utf-8"))
        except Exception:  # a broken file is reported when it is rendered
            continue


def _address_space() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _template(source: str) -> Template:
    global _text_env
    key = hashlib.sha256(source.encode("utf-8")).hexdigest()
    template = _compiled.get(key)
    if template is None:
        if _text_env is None:
            _text_env = text_environment()
        template = _text_env.from_string(source)
        if len(_compiled) > 1000:  # edits create new sources; keep memory bounded
            _compiled.clear()
        _compiled[key] = template
    return template


def _collect(chunks: Any, max_output: int) -> Outcome:
    pieces: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > max_output:
            return Outcome(error="too_large", detail=str(max_output))
        pieces.append(chunk)
    return Outcome(raw="".join(pieces))


def _guarded(produce: Callable[[], Outcome]) -> Outcome:
    """Turn every failure into an error code: exceptions do not cross the process boundary."""
    try:
        return produce()
    except MemoryError:
        return Outcome(error="memory")
    except TemplateSyntaxError as exc:
        return Outcome(error="syntax", detail=f"{exc.lineno}: {exc.message or ''}"[:300])
    except UndefinedError as exc:
        return Outcome(error="undefined", detail=str(exc.message or exc)[:300])
    except SecurityError as exc:
        return Outcome(error="security", detail=str(exc)[:300])
    except RecursionError:
        return Outcome(error="too_slow")
    except Exception as exc:  # any other runtime error in a text: report it, never crash
        return Outcome(error="render_error", detail=f"{type(exc).__name__}: {exc}"[:300])


def render_text_task(source: str, context: dict[str, Any], max_output: int) -> Outcome:
    """Worker side: one chat text, compiled once per worker."""
    return _guarded(lambda: _collect(_template(source).generate(**context), max_output))


def render_page_task(directory: str, name: str, context: dict[str, Any], max_output: int) -> Outcome:
    """Worker side: one developer-owned HTML page (escaped) from `directory`."""

    def produce() -> Outcome:
        env = _page_envs.get(directory)
        if env is None:
            env = _page_envs[directory] = html_environment(Path(directory))
        return _collect(env.get_template(name).generate(**context), max_output)

    return _guarded(produce)


def memory_limit_task() -> Outcome:
    """The worker's address-space limit in bytes (for tests and the benchmark)."""
    return Outcome(raw=str(resource.getrlimit(resource.RLIMIT_AS)[0]))


def _ready() -> bool:
    return True


# --- in the server ------------------------------------------------------------------


class RenderPool:
    """A process pool for renders. Thread-safe; `render_text` blocks its caller (see off_loop)."""

    def __init__(self, limits: RenderLimits | None = None) -> None:
        self.limits = limits or RenderLimits()
        self._lock = threading.Lock()
        self._pool = self._new_pool()
        self._closed = False

    def _new_pool(self) -> ProcessPool:
        context = multiprocessing.get_context("forkserver")
        # The forkserver imports this module (Jinja2, Babel, the Dutch filters) once;
        # every worker, also one that replaces a killed worker, is a fork of it.
        context.set_forkserver_preload([__name__])
        return ProcessPool(
            max_workers=self.limits.workers,
            initializer=_init_worker,
            initargs=(self.limits.memory_mb * MB, str(TEMPLATES_DIR)),
            context=context,
        )

    def _schedule(self, budget: float, task: Callable[..., Outcome], args: tuple[Any, ...]) -> ProcessFuture[Outcome]:
        pool = self._pool
        try:
            return pool.schedule(task, args, timeout=budget)
        except RuntimeError:
            # Pebble refuses work once its pool has stopped (seen once in a full test run):
            # every render would then fail until the process restarts. Start a new pool once.
            with self._lock:
                if self._closed:
                    raise
                if self._pool is pool:
                    logger.error("render pool stopped; starting a new one")
                    self._pool = self._new_pool()
            return self._pool.schedule(task, args, timeout=budget)

    def _run(self, budget: float, task: Callable[..., Outcome], *args: Any) -> Outcome:
        if self._closed:
            return Outcome(error="unavailable")
        try:
            future = self._schedule(budget, task, args)
        except Exception as exc:  # a stopped or broken pool must not silence the bot
            logger.error("render pool unavailable: %s", type(exc).__name__)
            return Outcome(error="unavailable")
        try:
            # The budget counts from when a worker starts the task; this wait also
            # covers the line in front of it, with room for a busy machine.
            return future.result(timeout=budget * 4 + 5)
        except FutureTimeout:
            if future.done():  # Pebble stopped the task: it ran over its budget
                return Outcome(error="too_slow")
            future.cancel()  # type: ignore[no-untyped-call]
            return Outcome(error="busy")
        except ProcessExpired:
            # The worker died (killed for memory, or crashed); Pebble starts a new one.
            return Outcome(error="crashed")
        except Exception as exc:
            logger.error("render task failed: %s", type(exc).__name__)
            return Outcome(error="unavailable")

    def render_text(self, source: str, context: dict[str, Any], budget: float | None = None) -> Outcome:
        return self._run(budget or self.limits.time_budget, render_text_task, source, context, self.limits.max_output)

    def render_page(self, directory: Path, name: str, context: dict[str, Any], budget: float | None = None) -> Outcome:
        return self._run(
            budget or self.limits.time_budget, render_page_task, str(directory), name, context, self.limits.max_page
        )

    def warm_up(self) -> None:
        """Start the workers now, not on the first resident's message."""
        if not self._closed:
            self._pool.schedule(_ready)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._pool.stop()  # type: ignore[no-untyped-call]
            self._pool.join(timeout=5)


_shared: RenderPool | None = None
_shared_limits = RenderLimits()
_shared_lock = threading.Lock()


def configure(time_budget: float, workers: int, memory_mb: int) -> None:
    """Set the limits of the process-wide pool (servers call this at start-up, before any render)."""
    limits = RenderLimits(time_budget=time_budget, workers=max(1, workers), memory_mb=memory_mb)
    global _shared_limits
    with _shared_lock:
        _shared_limits = limits


def shared_pool() -> RenderPool:
    """The process-wide render pool, started on first use and stopped at exit."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = RenderPool(_shared_limits)
            _shared.warm_up()
            atexit.register(_shared.close)
        return _shared


# --- off the event loop ---------------------------------------------------------------

_threads = ThreadPoolExecutor(max_workers=16, thread_name_prefix="render")


async def off_loop(func: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    """Run a blocking render call (Replies.render, Renderer.render) without holding the event loop.

    The thread only waits for a worker process, so the budget, not the thread,
    bounds how long it takes.
    """
    return await asyncio.get_running_loop().run_in_executor(_threads, functools.partial(func, *args, **kwargs))
