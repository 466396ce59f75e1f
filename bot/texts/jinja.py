"""The one place that makes Jinja2 environments, with the same Dutch filters.

Two kinds:
- `text_environment()`: bot answers. Sandboxed, immutable and without a
  loader, because texts can be edited live: they can use variables and
  filters, but not include files, reach Python internals or change the context.
  It is also bounded (`BoundedSandbox`): no range over MAX_RANGE, no padding
  or format width over MAX_WIDTH, no repeated string or list over MAX_REPEAT
  items or MAX_STRING characters, so one short text cannot ask for gigabytes.
  Time and memory are bounded by the worker process it runs in
  (bot/texts/safe_render.py).
- `html_environment(directory)`: pages that developers own (checklist, embed
  page, Redactie screens). Autoescaped, loaded from one directory.
"""

from __future__ import annotations

import datetime as _dt
import re
import string
import types
from pathlib import Path
from typing import Any, Callable, Iterable

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal
from jinja2 import FileSystemLoader, StrictUndefined, pass_environment, pass_eval_context, select_autoescape
from jinja2.exceptions import SecurityError
from jinja2.filters import do_center, do_format, do_indent, do_replace, do_slice, do_wordwrap
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

LOCALE = "nl_NL"


def money(value: Any) -> str:
    """12.5 -> '€ 12,50'; whole euros -> '€ 70'. Plain space so text stays searchable."""
    amount = float(value)
    if amount == int(amount):
        text = format_currency(amount, "EUR", format="¤ #,##0", locale=LOCALE, currency_digits=False)
    else:
        text = format_currency(amount, "EUR", locale=LOCALE)
    return text.replace("\xa0", " ")


def number(value: Any, digits: int | None = None) -> str:
    if digits is not None:
        value = round(float(value), digits)
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return format_decimal(value, locale=LOCALE)


def join_nl(items: Iterable[Any]) -> str:
    """['water', 'eten', 'een radio'] -> 'water, eten en een radio'."""
    items = [str(i) for i in items]
    return format_list(items, locale="nl") if items else ""


def join_or(items: Iterable[Any]) -> str:
    items = [str(i) for i in items]
    return format_list(items, style="or", locale="nl") if items else ""


def date_nl(value: Any, fmt: str = "long") -> str:
    if isinstance(value, str):
        value = _dt.date.fromisoformat(value[:10])
    return format_date(value, format=fmt, locale="nl")


def plural(n: Any, singular: str, plural_form: str) -> str:
    """Dutch has one plural form: plural(1,'fles','flessen') -> 'fles'."""
    return singular if float(n) == 1 else plural_form


FILTERS = {
    "money": money,
    "number": number,
    "join_nl": join_nl,
    "join_or": join_or,
    "date_nl": date_nl,
    "plural": plural,
}


def _install(env: SandboxedEnvironment, extra_filters: dict[str, Callable[..., Any]] | None) -> None:
    env.filters.update(FILTERS)
    env.filters.update(extra_filters or {})
    env.globals["plural"] = plural


# --- bounds for texts (live and in the Redactie's preview alike) ---------------

MAX_RANGE = 1000  # items in one range(); nested loops are stopped by the time budget
MAX_WIDTH = 1000  # padding, format width and precision, indent, wordwrap width
MAX_REPEAT = 1000  # "ab" * n, [x] * n
MAX_STRING = 100_000  # characters one repeat or replace may produce
MAX_INT = 10**12
MAX_WRAPSTRING = 10
# %-style: %(key)-999.5s ; the * forms take the width from the arguments.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})


def _too_big(value: Any, limit: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) > limit


def check_percent_format(fmt: str) -> None:
    """'%999999999s' asks for a gigabyte of spaces: refuse widths over MAX_WIDTH."""
    for match in _PERCENT_SPEC.finditer(fmt):
        for part in match.groups():
            if part == "*" or (part and int(part) > MAX_WIDTH):
                raise SecurityError("format width too big")


def check_brace_format(fmt: str) -> None:
    """'{:>999999999}'.format(x): refuse widths over MAX_WIDTH and widths taken from arguments."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises its own error for a malformed string
    for _literal, _name, spec, _conversion in fields:
        if not spec:
            continue
        if "{" in spec:
            raise SecurityError("format width from a variable is not allowed")
        if any(int(digits) > MAX_WIDTH for digits in re.findall(r"\d+", spec)):
            raise SecurityError("format width too big")


def _check_repeat(left: Any, right: Any) -> None:
    for seq, count in ((left, right), (right, left)):
        counted = isinstance(seq, (str, list, tuple)) and isinstance(count, int)
        if counted and (count > MAX_REPEAT or len(seq) * max(count, 0) > MAX_STRING):
            raise SecurityError("repetition too big")


def _check_replace(text: Any, old: Any, new: Any, count: Any = None) -> None:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return
    hits = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new) - len(old)) > MAX_STRING:
        raise SecurityError("replace result too big")


def _safe_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_RANGE:
        raise SecurityError(f"range bigger than {MAX_RANGE}")
    return rng


def _center(value: str, width: int = 80) -> str:
    if _too_big(width, MAX_WIDTH):
        raise SecurityError("width too big")
    return do_center(value, width)


def _indent(s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    if _too_big(width, MAX_WIDTH) or (isinstance(width, str) and len(width) > MAX_WIDTH):
        raise SecurityError("indent too big")
    return do_indent(s, width, first, blank)


@pass_environment
def _wordwrap(environment: Any, s: str, width: int = 79, *args: Any, **kwargs: Any) -> str:
    wrapstring = kwargs.get("wrapstring", args[1] if len(args) > 1 else None)
    if _too_big(width, MAX_WIDTH) or (isinstance(wrapstring, str) and len(wrapstring) > MAX_WRAPSTRING):
        raise SecurityError("wordwrap width too big")
    return do_wordwrap(environment, s, width, *args, **kwargs)


def _format(value: str, *args: Any, **kwargs: Any) -> str:
    check_percent_format(str(value))
    return do_format(value, *args, **kwargs)


def _slice(value: Any, slices: int, fill_with: Any = None) -> Any:
    if _too_big(slices, MAX_RANGE):
        raise SecurityError("too many slices")
    return do_slice(value, slices, fill_with)


@pass_eval_context
def _replace_filter(eval_ctx: Any, s: str, old: str, new: str, count: int | None = None) -> str:
    _check_replace(str(s), old, new, count)
    return do_replace(eval_ctx, s, old, new, count)


BOUNDED_FILTERS: dict[str, Callable[..., Any]] = {
    "center": _center,
    "indent": _indent,
    "wordwrap": _wordwrap,
    "format": _format,
    "slice": _slice,
    "replace": _replace_filter,
}


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, plus limits on everything that turns a short text into a huge one."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            _check_repeat(left, right)
            result = left * right
            if _too_big(result, MAX_INT):
                raise SecurityError("number too big")
            return result
        if operator == "**":
            if isinstance(right, (int, float)) and (
                right > 64 or (isinstance(left, (int, float)) and abs(left) > 10**6)
            ):
                raise SecurityError("power too big")
            return left**right
        if operator == "%":
            if isinstance(left, str):
                check_percent_format(left)
            return left % right
        return super().call_binop(context, operator, left, right)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            check_brace_format(value.__self__)
        return wrapped

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(__obj, types.BuiltinMethodType) and isinstance(__obj.__self__, str):
            method = __obj.__name__
            if method in _WIDTH_METHODS and any(_too_big(a, MAX_WIDTH) for a in (*args, *kwargs.values())):
                raise SecurityError(f"{method} width too big")
            if method == "replace":
                _check_replace(__obj.__self__, *args[:3])
        return super().call(__context, __obj, *args, **kwargs)


def text_environment() -> ImmutableSandboxedEnvironment:
    """For all bot texts, also used by the Redactie validator and preview."""
    env = BoundedSandbox(
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        loader=None,
    )
    _install(env, BOUNDED_FILTERS)
    env.globals["range"] = _safe_range
    env.globals.pop("lipsum", None)  # lipsum(n=10**9): nothing a bot answer needs
    return env


def html_environment(
    directory: Path,
    extra_filters: dict[str, Callable[..., Any]] | None = None,
    strict: bool = True,
) -> SandboxedEnvironment:
    """For HTML pages from `directory`; every value is escaped unless marked safe."""
    env = SandboxedEnvironment(
        loader=FileSystemLoader(directory),
        autoescape=select_autoescape(["html", "html.j2", "j2"], default=True),
        undefined=StrictUndefined if strict else SandboxedEnvironment().undefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    _install(env, extra_filters)
    return env
