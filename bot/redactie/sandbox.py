"""Checks for staff-edited texts before they are saved, on top of the text sandbox.

The limits that keep a text cheap while it renders (range, widths, repetition)
live in the one text environment (bot/texts/jinja.py), so preview and live chat
refuse the same things; time, output and memory are bounded by the worker
process every render runs in (bot/texts/safe_render.py). What is left here is
what can be seen without rendering: tags that reach other files and
over-large numbers.
"""

from __future__ import annotations

from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.texts.jinja import MAX_RANGE, MAX_REPEAT, text_environment

__all__ = [
    "MAX_INT_LITERAL",
    "MAX_RANGE",
    "MAX_REPEAT",
    "TIME_BUDGET",
    "forbidden_nodes",
    "make_validation_environment",
]

MAX_INT_LITERAL = 100_000
TIME_BUDGET = 1.0  # seconds per sample situation in the preview
FORBIDDEN_TAGS = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


def make_validation_environment() -> ImmutableSandboxedEnvironment:
    """The same environment live chat uses; validation parses with it."""
    return text_environment()


def forbidden_nodes(ast: nodes.Template) -> list[tuple[str, int]]:
    """(kind, line) for tags that would reach other files, and over-large numbers."""
    found = []
    for node in ast.find_all(FORBIDDEN_TAGS):
        found.append((type(node).__name__.lower(), node.lineno))
    for const in ast.find_all(nodes.Const):
        if isinstance(const.value, int) and not isinstance(const.value, bool) and abs(const.value) > MAX_INT_LITERAL:
            found.append(("number", const.lineno))
    return found
