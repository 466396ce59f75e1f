"""The one place that makes Jinja2 environments, with the same Dutch filters.

Two kinds:
- `text_environment()`: bot answers. Sandboxed, immutable and without a
  loader, because texts can be edited live: they can use variables and
  filters, but not include files, reach Python internals or change the context.
- `html_environment(directory)`: pages that developers own (checklist, embed
  page, Redactie screens). Autoescaped, loaded from one directory.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any, Callable, Iterable

from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal
from jinja2 import FileSystemLoader, StrictUndefined, select_autoescape
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


def text_environment() -> ImmutableSandboxedEnvironment:
    """For all bot texts, also used by the Redactie validator and preview."""
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        loader=None,
    )
    _install(env, None)
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
