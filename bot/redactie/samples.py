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

from bot.core.knowledge import ROOT
from bot.texts import context as ctx

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
    per_text: dict[str, dict[str, Any]] = field(default_factory=dict)  # overrides for one response

    def arguments_for(self, name: str) -> dict[str, Any]:
        return {**self.arguments, **self.per_text.get(name, {})}


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    purpose: str
    variables: tuple[Variable, ...]  # template-specific (keyword arguments from the action)
    must_start_with: str | None = None


@functools.cache
def _load(name: str) -> Any:
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def _variables(items: list[dict[str, Any]] | None) -> tuple[Variable, ...]:
    return tuple(
        Variable(
            name=v["name"],
            explanation=v.get("uitleg", ""),
            example=v.get("voorbeeld", ""),
            optional=bool(v.get("optioneel", False)),
        )
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
        arguments.update(_computed(raw.get("computed"), raw.get("id")))
        per_text = {}
        for text_name, spec in (raw.get("per_text") or {}).items():
            per_text[text_name] = {**(spec.get("arguments") or {}), **_computed(spec.get("computed"), raw.get("id"))}
        result.append(
            Sample(
                id=raw["id"],
                label=raw["label"],
                region=raw.get("region"),
                slots=dict(raw.get("slots") or {}),
                notice=raw.get("notice"),
                arguments=arguments,
                per_text=per_text,
            )
        )
    return result


def _computed(specs: dict[str, Any] | None, sample_id: Any) -> dict[str, Any]:
    """Arguments the actions compute from real data (risk texts, noodpakket plan).

    Computed with the same modules the actions use, so the preview sees the
    real shape. A module that is missing or fails just leaves the argument out
    (the texts that need it then report "no samples" instead of a wrong preview).
    """
    out: dict[str, Any] = {}
    for argument, spec in (specs or {}).items():
        try:
            out[argument] = _call(spec)
        except Exception as exc:  # data shapes of other modules may still change
            logger.warning("sample %s: cannot compute %s (%s)", sample_id, argument, type(exc).__name__)
    return out


def _call(spec: Any) -> Any:
    """{call: bot.x.f, args: [...], kwargs: {...}, pick: [keys]}; args may be calls too."""
    if not (isinstance(spec, dict) and "call" in spec):
        return spec
    module_name, _, func_name = spec["call"].rpartition(".")
    if not module_name.startswith("bot."):  # only our own plain-Python modules
        raise ValueError(spec["call"])
    func = getattr(importlib.import_module(module_name), func_name)
    value = func(*[_call(a) for a in spec.get("args", [])], **{k: _call(v) for k, v in spec.get("kwargs", {}).items()})
    if "pick" in spec and isinstance(value, dict):
        value = {k: value[k] for k in spec["pick"]}
    return value


def applicable(info: TemplateInfo, all_samples: list[Sample] | None = None) -> list[Sample]:
    """Samples that provide every non-optional variable of the template."""
    required = {v.name for v in info.variables if not v.optional}
    return [
        s
        for s in (all_samples if all_samples is not None else samples())
        if required <= s.arguments_for(info.name).keys()
    ]


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
    arguments = {k: copy.deepcopy(v) for k, v in sample.arguments_for(info.name).items() if k in allowed}
    # The sample's notice, not whatever is live now.
    return ctx.template_context(sample.slots, sample.region, arguments, notice=copy.deepcopy(sample.notice))
