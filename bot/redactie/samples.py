"""Sample situations for preview and validation, and the per-template variables.

Both are data (data/redactie/samples.yml and variables.yml). A template is
rendered against every sample that provides the variables it receives, with
exactly those variables, so a text that works in the preview also works live.
"""
from __future__ import annotations

import copy
import functools
import importlib
import logging
from dataclasses import dataclass, field
from typing import Any

import yaml

from bot import context as ctx
from bot.knowledge import ROOT

logger = logging.getLogger(__name__)
DATA_DIR = ROOT / "data" / "redactie"


@dataclass(frozen=True)
class Variable:
    name: str
    explanation: str
    example: str = ""
    optional: bool = False


@dataclass(frozen=True)
class Sample:
    id: str
    label: str
    region: str | None
    slots: dict[str, Any]
    notice: dict[str, Any] | None
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    purpose: str
    variables: tuple[Variable, ...]      # template-specific (keyword arguments from the action)
    must_start_with: str | None = None


@functools.lru_cache(maxsize=None)
def _load(name: str) -> Any:
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _variables(items: list[dict] | None) -> tuple[Variable, ...]:
    return tuple(
        Variable(name=v["name"], explanation=v.get("uitleg", ""), example=v.get("voorbeeld", ""),
                 optional=bool(v.get("optioneel", False)))
        for v in items or []
    )


def common_variables() -> tuple[Variable, ...]:
    return _variables(_load("variables.yml").get("algemeen"))


def filters_help() -> list[dict[str, str]]:
    return list(_load("variables.yml").get("filters") or [])


def template_info(name: str) -> TemplateInfo:
    entry = (_load("variables.yml").get("teksten") or {}).get(name) or {}
    return TemplateInfo(
        name=name,
        purpose=entry.get("doel", ""),
        variables=_variables(entry.get("variabelen")),
        must_start_with=entry.get("begint_met"),
    )


def samples() -> list[Sample]:
    result = []
    for raw in _load("samples.yml").get("samples") or []:
        arguments = dict(raw.get("arguments") or {})
        arguments.update(_computed_arguments(raw))
        result.append(Sample(
            id=raw["id"], label=raw["label"], region=raw.get("region"),
            slots=dict(raw.get("slots") or {}), notice=raw.get("notice"), arguments=arguments,
        ))
    return result


def _computed_arguments(raw: dict) -> dict[str, Any]:
    """Arguments the actions compute from real data (risk texts, noodpakket plan).

    Computed with the same modules the actions use, so the preview sees the
    real shape. A module that is not installed yet just leaves the argument out.
    """
    out: dict[str, Any] = {}
    for argument, spec in (raw.get("computed") or {}).items():
        module_name, _, func_name = spec["call"].rpartition(".")
        if not module_name.startswith("bot."):  # only our own plain-Python modules
            continue
        try:
            func = getattr(importlib.import_module(module_name), func_name)
            value = func(*spec.get("args", []), **spec.get("kwargs", {}))
        except Exception as exc:  # data shapes of other modules may still change
            logger.warning("sample %s: cannot compute %s (%s)", raw.get("id"), argument, type(exc).__name__)
            continue
        if hasattr(value, "to_dict"):
            value = value.to_dict()
        out[argument] = value
    return out


def applicable(info: TemplateInfo, all_samples: list[Sample] | None = None) -> list[Sample]:
    """Samples that provide every non-optional variable of the template."""
    required = {v.name for v in info.variables if not v.optional}
    return [s for s in (all_samples if all_samples is not None else samples()) if required <= s.arguments.keys()]


def situations(info: TemplateInfo) -> list[tuple[Sample, bool]]:
    """(sample, include_optional) pairs to render: every applicable sample, plus the
    first one without the optional variables, because the action may leave them out."""
    chosen = [(s, True) for s in applicable(info)]
    if chosen and any(v.optional for v in info.variables):
        chosen.append((chosen[0][0], False))
    return chosen


def context_for(info: TemplateInfo, sample: Sample, include_optional: bool = True) -> dict[str, Any]:
    """The context the NLG server would build, limited to what this template receives."""
    allowed = {v.name for v in info.variables if include_optional or not v.optional}
    arguments = {k: copy.deepcopy(v) for k, v in sample.arguments.items() if k in allowed}
    context = ctx.template_context(sample.slots, sample.region, arguments)
    context["notice"] = copy.deepcopy(sample.notice)  # the sample's notice, not whatever is live now
    return context
