#!/usr/bin/env python
"""Evaluate the NLU on a held-out file and write the result into docs/nlu.md.

Targets (risk questions, issue 2): intent accuracy >= 0.95, risk-entity accuracy
>= 0.95, and no held-out risk question classified as `emergency`.

The entity is scored as the contract defines it: the `risk` value that
/model/parse returns must be one of the 16 keys and the expected one. The
value after bot.core.risks normalisation (what the actions use) is reported too.

    python scripts/eval_nlu.py --url http://127.0.0.1:5005      # a running Rasa (--enable-api)
    python scripts/eval_nlu.py --model models/                   # load the newest model in-process
    python scripts/eval_nlu.py ... --no-write                    # do not touch docs/nlu.md

Exit status: 0 when all targets are met, 1 when one is missed, 2 on a usage error.
Message texts are never logged; only the report lists failed examples.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core import risks  # noqa: E402

DEFAULT_HELDOUT = ROOT / "tests" / "nlu" / "risks_heldout.yml"
DEFAULT_REPORT = ROOT / "docs" / "nlu.md"
SECTION_START = "<!-- risks-eval:start (scripts/eval_nlu.py) -->"
SECTION_END = "<!-- risks-eval:end -->"
RISK_INTENTS = ("ask_risk", "ask_phase")
TARGET_INTENT = 0.95
TARGET_ENTITY = 0.95
TARGET_EMERGENCY = 0

# [text](entity) or [text]{"entity": ..., "value": ...}
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<long>\{[^}]*\}))")


@dataclass
class Example:
    text: str
    intent: str
    entities: dict[str, str] = field(default_factory=dict)  # entity name -> expected value


def parse_annotated(line: str) -> tuple[str, dict[str, str]]:
    """Rasa markdown-style annotations -> plain text and {entity: value}."""
    entities: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        text = match["text"]
        if match["short"]:
            entities[match["short"]] = text
        else:
            spec = json.loads(match["long"])
            entities[spec["entity"]] = str(spec.get("value", text))
        return text

    return ANNOTATION.sub(replace, line).strip(), entities


def load_examples(path: Path) -> list[Example]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples: list[Example] = []
    for block in data.get("nlu") or []:
        if "intent" not in block:
            continue
        for raw in str(block.get("examples") or "").splitlines():
            raw = raw.strip()
            if raw.startswith("- "):
                text, entities = parse_annotated(raw[2:])
                examples.append(Example(text=text, intent=block["intent"], entities=entities))
    return examples


# --- predictions ------------------------------------------------------------------

Parser = Callable[[str], dict[str, Any]]


def http_parser(base_url: str, timeout: float = 30.0) -> Parser:
    url = base_url.rstrip("/") + "/model/parse"

    def parse(text: str) -> dict[str, Any]:
        req = urllib.request.Request(
            url,
            data=json.dumps({"text": text}).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read().decode("utf-8"))

    return parse


def model_parser(model: Path) -> Parser:
    """Load a trained model in-process (slow: ~30 s and ~1 GB)."""
    import logging

    from rasa.core.agent import Agent  # imported late: the HTTP mode must work without loading Rasa
    from rasa.model import get_local_model
    from rasa.utils.log_utils import configure_structlog

    # Rasa's debug log would print every held-out text; keep it to warnings.
    configure_structlog(logging.WARNING)
    logging.getLogger("rasa").setLevel(logging.WARNING)

    agent = Agent.load(get_local_model(str(model)))
    loop = asyncio.new_event_loop()

    def parse(text: str) -> dict[str, Any]:
        return loop.run_until_complete(agent.parse_message(text))

    return parse


# --- scoring --------------------------------------------------------------------


@dataclass
class Result:
    total: int = 0
    intent_correct: int = 0
    entity_total: int = 0
    entity_correct: int = 0
    entity_correct_normalised: int = 0
    phase_total: int = 0
    phase_correct: int = 0
    emergency: int = 0
    failures: list[str] = field(default_factory=list)
    confusion: dict[str, int] = field(default_factory=dict)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_correct / self.total if self.total else 0.0

    @property
    def entity_accuracy(self) -> float:
        return self.entity_correct / self.entity_total if self.entity_total else 0.0

    @property
    def entity_accuracy_normalised(self) -> float:
        return self.entity_correct_normalised / self.entity_total if self.entity_total else 0.0

    @property
    def phase_accuracy(self) -> float:
        return self.phase_correct / self.phase_total if self.phase_total else 0.0

    def passed(self) -> bool:
        return (
            self.total > 0
            and self.intent_accuracy >= TARGET_INTENT
            and self.entity_accuracy >= TARGET_ENTITY
            and self.emergency <= TARGET_EMERGENCY
        )


def _values(parsed: dict[str, Any], entity: str) -> list[str]:
    return [str(e.get("value")) for e in parsed.get("entities") or [] if e.get("entity") == entity]


def score(examples: Iterable[Example], parse: Parser) -> Result:
    result = Result()
    for ex in examples:
        if ex.intent not in RISK_INTENTS:
            continue
        parsed = parse(ex.text)
        predicted = (parsed.get("intent") or {}).get("name")
        result.total += 1
        problems = []
        if predicted == ex.intent:
            result.intent_correct += 1
        else:
            problems.append(f"intent {predicted}")
            pair = f"{ex.intent} -> {predicted}"
            result.confusion[pair] = result.confusion.get(pair, 0) + 1
        if predicted == "emergency":
            result.emergency += 1
        expected_risk = ex.entities.get("risk")
        if expected_risk:
            result.entity_total += 1
            values = set(_values(parsed, "risk"))
            if values == {expected_risk}:
                result.entity_correct += 1
            else:
                problems.append(f"risk {sorted(values) or 'none'}")
            normalised = {risks.match_risk(v) if not risks.is_risk_key(v) else v for v in values}
            if not values:
                normalised = {risks.match_risk(ex.text)}
            if normalised == {expected_risk}:
                result.entity_correct_normalised += 1
        expected_phase = ex.entities.get("phase")
        if expected_phase:
            result.phase_total += 1
            if {risks.normalize_phase(v) for v in _values(parsed, "phase")} == {expected_phase}:
                result.phase_correct += 1
        if problems:
            result.failures.append(f"`{ex.text}` ({ex.intent}, risk={expected_risk or '-'}): " + ", ".join(problems))
    return result


# --- report -----------------------------------------------------------------------


def report_section(result: Result, heldout: Path, source: str) -> str:
    def mark(ok: bool) -> str:
        return "met" if ok else "**MISSED**"

    try:
        heldout_name = heldout.resolve().relative_to(ROOT)
    except ValueError:
        heldout_name = heldout
    lines = [
        SECTION_START,
        "## Risk questions (ask_risk, ask_phase)",
        "",
        f"Held-out set: `{heldout_name}` ({result.total} questions, "
        f"{result.entity_total} with a risk entity). Written separately from the training data "
        "and never copied into `data/nlu/`.",
        f"Evaluated on {dt.date.today().isoformat()} against {source} by `scripts/eval_nlu.py`.",
        "",
        "| measure | result | target | |",
        "|---|---|---|---|",
        f"| intent accuracy | {result.intent_accuracy:.3f} | >= {TARGET_INTENT} | {mark(result.intent_accuracy >= TARGET_INTENT)} |",
        f"| risk-entity accuracy (value from /model/parse) | {result.entity_accuracy:.3f} | >= {TARGET_ENTITY} | "
        f"{mark(result.entity_accuracy >= TARGET_ENTITY)} |",
        f"| risk questions classified as `emergency` | {result.emergency} | {TARGET_EMERGENCY} | "
        f"{mark(result.emergency <= TARGET_EMERGENCY)} |",
        f"| risk after bot.core.risks normalisation (what the actions use) | {result.entity_accuracy_normalised:.3f} | info | |",
        f"| phase-entity accuracy (ask_phase) | {result.phase_accuracy:.3f} | info | |",
        "",
    ]
    if result.confusion:
        lines.append("Intent confusions: " + "; ".join(f"{k} ({v})" for k, v in sorted(result.confusion.items())) + ".")
        lines.append("")
    if result.failures:
        lines.append("Misses:")
        lines.append("")
        lines.extend(f"- {f}" for f in result.failures)
        lines.append("")
    lines.append(SECTION_END)
    return "\n".join(lines) + "\n"


def write_report(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# NLU evaluation\n\n"
    pattern = re.compile(re.escape(SECTION_START) + r".*?" + re.escape(SECTION_END) + r"\n?", re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Evaluate risk NLU on a held-out set.")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="base URL of a running Rasa server with --enable-api")
    where.add_argument("--model", type=Path, help="model file or directory (newest model is used)")
    parser.add_argument("--heldout", type=Path, default=DEFAULT_HELDOUT)
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT)
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    args = parser.parse_args(argv)

    examples = load_examples(args.heldout)
    if not any(ex.intent in RISK_INTENTS for ex in examples):
        print(f"no ask_risk/ask_phase examples in {args.heldout}", file=sys.stderr)
        return 2
    parse = http_parser(args.url) if args.url else model_parser(args.model)
    source = f"Rasa at {args.url}" if args.url else f"model {args.model}"
    result = score(examples, parse)
    section = report_section(result, args.heldout, source)
    if args.no_write:
        print(section)
    else:
        write_report(args.report, section)
        print(f"wrote {args.report}")
    print(
        f"intent {result.intent_accuracy:.3f}  risk {result.entity_accuracy:.3f}  "
        f"emergency {result.emergency}  -> {'PASS' if result.passed() else 'FAIL'}"
    )
    return 0 if result.passed() else 1


if __name__ == "__main__":
    sys.exit(main())
