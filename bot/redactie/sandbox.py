"""The validation environment: bot.texts.render's sandbox plus limits for untrusted edits.

The live renderer trusts a text once it is saved, so every limit that keeps a
text cheap (no huge loops, no giant strings, no file access) is checked here,
before saving.
"""

from __future__ import annotations

import sys
import time
from types import FrameType
from typing import Any, Callable

from jinja2 import nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.texts.jinja import text_environment

MAX_RANGE = 1000
MAX_INT_LITERAL = 100_000
MAX_REPEAT = 1000
TIME_BUDGET = 1.0  # seconds per render
FORBIDDEN_TAGS = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


class RenderTimeout(Exception):
    pass


def _safe_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise SecurityError("range too big")
    return rng


def _binop(context: Any, operator: str, left: Any, right: Any) -> Any:
    # Only * and ** are intercepted: they are how a short text allocates gigabytes.
    if operator == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(count, int) and count > MAX_REPEAT:
                raise SecurityError("repetition too big")
        result = left * right
        if isinstance(result, int) and abs(result) > 10**12:
            raise SecurityError("number too big")
        return result
    if operator == "**":
        if isinstance(right, (int, float)) and (right > 64 or abs(left) > 10**6):
            raise SecurityError("power too big")
        return left**right
    raise SecurityError("operator not allowed")


def make_validation_environment() -> ImmutableSandboxedEnvironment:
    env = text_environment()
    env.globals["range"] = _safe_range
    env.intercepted_binops = frozenset({"*", "**"})
    # Instance attribute: this environment only (set through vars(), as mypy
    # does not allow assigning to a method; same effect as env.call_binop = ...).
    vars(env)["call_binop"] = _binop
    return env


def forbidden_nodes(ast: nodes.Template) -> list[tuple[str, int]]:
    """(kind, line) for tags that would reach other files, and over-large numbers."""
    found = []
    for node in ast.find_all(FORBIDDEN_TAGS):
        found.append((type(node).__name__.lower(), node.lineno))
    for const in ast.find_all(nodes.Const):
        if isinstance(const.value, int) and not isinstance(const.value, bool) and abs(const.value) > MAX_INT_LITERAL:
            found.append(("number", const.lineno))
    return found


def run_with_budget(func: Callable[[], Any], budget: float = TIME_BUDGET) -> Any:
    """Run func in this thread, aborting with RenderTimeout after `budget` seconds.

    A line tracer checks the clock; compiled templates are Python code, so a
    loop in a template cannot run past the budget.
    """
    deadline = time.monotonic() + budget
    counter = [0]

    def tracer(frame: FrameType, event: str, arg: Any) -> Callable[[FrameType, str, Any], Any]:
        counter[0] += 1
        if counter[0] % 256 == 0 and time.monotonic() > deadline:
            raise RenderTimeout()
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        return func()
    finally:
        sys.settrace(previous)
