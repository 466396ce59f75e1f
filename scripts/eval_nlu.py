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
            parsed: dict[str, Any] = json.loads(resp.read().decode("utf-8"))
            return parsed

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


def write_report(path: Path, section: str, start: str = SECTION_START, end: str = SECTION_END) -> None:
    """Put section (from its start marker to its end marker) in place of the one in path, else at the end."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# NLU evaluation\n\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
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


# --- end to end: the first reply through gateway -> Rasa -> actions -> NLG (issue 14) --------------

E2E_SECTION_START = "<!-- e2e-eval:start (scripts/nlu_report.py) -->"
E2E_SECTION_END = "<!-- e2e-eval:end -->"
E2E_TARGET_OVERALL = 0.97
E2E_TARGET_OUT_OF_SCOPE = 0.95
E2E_TARGET_FALSE_ALARMS = 0.02
EMERGENCY_KINDS = ("emergency", "emergency_en")
_RISK_PAYLOAD = re.compile(r'"risk"\s*:\s*"([a-z_]+)"')


@dataclass
class BlindExample:
    text: str
    intent: str
    risk: str | None
    lang: str = "nl"
    kind: str = ""
    first_112: bool = False
    relabelled_from: str | None = None


def load_blind(path: Path, relabel: dict[str, str] | None = None) -> list[BlindExample]:
    """tests/nlu/blind_heldout*.yml: {messages: [{text, intent, risk, lang, kind, first_112}]}.

    `relabel` maps a message text to a corrected intent (documented in docs/nlu.md).
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples = []
    for item in data.get("messages") or []:
        intent = str(item.get("intent"))
        new = (relabel or {}).get(str(item["text"]))
        examples.append(
            BlindExample(
                text=str(item["text"]),
                intent=new or intent,
                risk=item.get("risk"),
                lang=str(item.get("lang") or "nl"),
                kind=str(item.get("kind") or ""),
                first_112=bool(item.get("first_112")) if not new else new == "emergency",
                relabelled_from=intent if new and new != intent else None,
            )
        )
    return examples


def _english_titles() -> dict[str, str]:
    data = yaml.safe_load((ROOT / "data" / "knowledge" / "english.yml").read_text(encoding="utf-8"))
    return {entry["title"].lower(): key for key, entry in (data.get("risks") or {}).items()}


def classify_reply(messages: list[dict[str, Any]]) -> tuple[str, str | None]:
    """What the first reply is: (kind, risk key or None).

    kinds: emergency (Dutch "Bel 112"), emergency_en ("Call 112"), risk, choice, menu, kit, out_of_scope, numbers, english_risk,
    english_general, english_kit, fallback, other.
    """
    if not messages:
        return "other", None
    first = (messages[0].get("text") or "").strip()
    lowered = first.lower()
    payloads = [b.get("payload", "") for m in messages for b in m.get("buttons") or []]
    if lowered.startswith("bel 112"):
        return "emergency", None
    if lowered.startswith("call 112"):
        return "emergency_en", None
    if lowered.startswith("daar kan ik je helaas niet mee helpen"):
        return "out_of_scope", None
    if lowered.startswith("geen spoed? dan bel je"):
        return "numbers", None
    if "/start_kit_plan" in payloads or lowered.startswith(("dit hoort in elk noodpakket", "ik maak een noodpakket")):
        return "kit", None
    if any(p.startswith("/ask_phase") for p in payloads):
        keys = [m.group(1) for p in payloads if (m := _RISK_PAYLOAD.search(p))]
        return "risk", keys[0] if keys else None
    if lowered.startswith(("bedoel je", "over welk risico gaat het")):
        return "choice", None
    if lowered.startswith("over welk risico") or any("risk_group" in p for p in payloads):
        return "menu", None
    if lowered.startswith("sorry, dat begreep ik niet"):
        return "fallback", None
    if lowered.startswith("an emergency kit"):
        return "english_kit", None
    if lowered.startswith("hello! i am a dutch assistant"):
        return "english_general", None
    head = first.split(":", 1)[0].strip().lower()
    if first.split("\n", 1)[0].endswith(": what to do.") and head in _english_titles():
        return "english_risk", _english_titles()[head]
    if lowered.startswith(("hallo", "hoi")):
        return "greet", None
    return "other", None


def is_right(example: BlindExample, kind: str, risk: str | None) -> bool:
    """The issue's rule for a right first reply."""
    if example.intent == "emergency" or example.first_112:
        return kind in EMERGENCY_KINDS
    if example.lang == "en":
        if example.intent == "ask_risk" and example.risk:
            return kind == "english_risk" and risk == example.risk
        if example.intent == "ask_kit":
            return kind in ("english_kit", "kit")
        return kind in ("english_general", "english_kit", "english_risk")
    if example.intent in ("ask_risk", "ask_phase"):
        if example.risk:
            return kind == "risk" and risk == example.risk
        return kind in ("risk", "menu", "choice")
    if example.intent == "ask_kit":
        return kind == "kit"
    if example.intent == "out_of_scope":
        return kind == "out_of_scope"
    if example.intent == "ask_emergency_numbers":
        return kind == "numbers"
    return kind not in (*EMERGENCY_KINDS, "fallback", "other")


Row = tuple[BlindExample, str, "str | None", bool]  # example, reply kind, reply risk, right


@dataclass
class E2EResult:
    rows: list[Row] = field(default_factory=list)

    def add(self, example: BlindExample, kind: str, risk: str | None) -> None:
        self.rows.append((example, kind, risk, is_right(example, kind, risk)))

    def _rate(self, rows: list[Row]) -> tuple[int, int]:
        return sum(1 for r in rows if r[3]), len(rows)

    @property
    def overall(self) -> float:
        right, total = self._rate(self.rows)
        return right / total if total else 0.0

    def by(self, label: Callable[[BlindExample], str]) -> dict[str, tuple[int, int]]:
        groups: dict[str, list[Row]] = {}
        for row in self.rows:
            groups.setdefault(label(row[0]), []).append(row)
        return {name: self._rate(rows) for name, rows in sorted(groups.items())}

    @property
    def emergencies(self) -> tuple[int, int]:
        rows = [r for r in self.rows if r[0].intent == "emergency" or r[0].first_112]
        return sum(1 for r in rows if r[1] in EMERGENCY_KINDS), len(rows)

    @property
    def false_alarms(self) -> tuple[int, int]:
        rows = [r for r in self.rows if not (r[0].intent == "emergency" or r[0].first_112)]
        return sum(1 for r in rows if r[1] in EMERGENCY_KINDS), len(rows)

    @property
    def out_of_scope(self) -> tuple[int, int]:
        return self._rate([r for r in self.rows if r[0].intent == "out_of_scope"])

    @property
    def english_dutch_112(self) -> int:
        """English messages without danger that got a Dutch "Bel 112" first line."""
        return sum(
            1
            for r in self.rows
            if r[0].lang == "en" and not (r[0].intent == "emergency" or r[0].first_112) and r[1] == "emergency"
        )

    def confusion(self) -> dict[tuple[str, str], int]:
        """Expected risk -> what the first reply gave, for risk questions that were wrong."""
        table: dict[tuple[str, str], int] = {}
        for example, kind, risk, right in self.rows:
            if example.intent in ("ask_risk", "ask_phase") and example.risk and not right:
                got = risk if kind in ("risk", "english_risk") and risk else kind
                table[(example.risk, got)] = table.get((example.risk, got), 0) + 1
        return table


def score_e2e(examples: Iterable[BlindExample], say: Callable[[str], list[dict[str, Any]]]) -> E2EResult:
    """`say(text)` sends one message in a fresh conversation and returns the widget messages."""
    result = E2EResult()
    for example in examples:
        kind, risk = classify_reply(say(example.text))
        result.add(example, kind, risk)
    return result


def _pct(pair: tuple[int, int]) -> str:
    right, total = pair
    return f"{right}/{total} ({right / total:.3f})" if total else "-"


def e2e_section(results: dict[str, E2EResult], source: str, test_sets: tuple[str, ...] = ()) -> str:
    """`test_sets`: the sets nobody tunes on. Their misses stay out of the report, so that
    reading it never turns them into development data; the tables still show where they fail."""
    if len(test_sets) > 1 and all(name in results for name in test_sets):
        combined = E2EResult([row for name in test_sets for row in results[name].rows])
        results = {**results, "test sets together": combined}
        test_sets = (*test_sets, "test sets together")
    lines = [
        E2E_SECTION_START,
        "## End to end on the blind held-out sets (first reply)",
        "",
        f"Measured {dt.date.today().isoformat()} through {source}: every message in a fresh conversation, "
        "`POST /api/v1/chat` (gateway -> Rasa -> actions -> NLG), first reply classified by "
        "`scripts/eval_nlu.py` (`classify_reply`, `is_right`).",
        "",
        "| set | messages | right | emergencies with 112 first | false alarms | out of scope | English with Dutch 112 script |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        right = sum(1 for r in result.rows if r[3])
        lines.append(
            f"| `{name}` | {len(result.rows)} | {right} ({result.overall:.3f}) | {_pct(result.emergencies)} | "
            f"{_pct(result.false_alarms)} | {_pct(result.out_of_scope)} | {result.english_dutch_112} |"
        )
    lines.append("")
    for name, result in results.items():
        lines += [f"### `{name}`", "", "| expected intent | right | | expected risk | right |", "|---|---|---|---|---|"]
        intents = list(result.by(lambda e: e.intent if e.lang == "nl" else f"{e.intent} (en)").items())
        risks_ = list(
            result.by(
                lambda e: (e.risk or "-") if e.intent in ("ask_risk", "ask_phase") else "(no risk question)"
            ).items()
        )
        for i in range(max(len(intents), len(risks_))):
            left = f"| {intents[i][0]} | {_pct(intents[i][1])} |" if i < len(intents) else "| | |"
            right_ = f" | {risks_[i][0]} | {_pct(risks_[i][1])} |" if i < len(risks_) else " | | |"
            lines.append(left + right_)
        lines.append("")
        kinds = result.by(lambda e: e.kind or "-")
        lines.append("By kind of message: " + "; ".join(f"{k} {_pct(v)}" for k, v in kinds.items()) + ".")
        lines.append("")
        confusion = result.confusion()
        if confusion:
            lines.append(
                "Risk confusion (expected -> got, wrong answers only): "
                + "; ".join(f"{a} -> {b} ({n})" for (a, b), n in sorted(confusion.items()))
                + "."
            )
            lines.append("")
        misses = [r for r in result.rows if not r[3]]
        if name in test_sets:
            lines += [f"{len(misses)} misses, not listed: this is a test set (see above).", ""]
        elif misses:
            lines += ["Misses:", ""]
            for example, kind, risk, _ in misses:
                expected = example.intent + (f"/{example.risk}" if example.risk else "")
                lines.append(f"- `{example.text}`: expected {expected}, got {kind}{'/' + risk if risk else ''}")
            lines.append("")
    lines.append(E2E_SECTION_END)
    return "\n".join(lines) + "\n"
