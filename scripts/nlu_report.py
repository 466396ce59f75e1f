"""`make nlu-report`: end-to-end first-reply scores on the blind held-out sets,
written to docs/nlu.md (issue 14); with --cv also the cross-validated intent F1
(rasa test nlu --cross-validation) in docs/nlu-crossvalidation.md.

    python scripts/nlu_report.py              # starts the real stack on free ports (~40 s), scores, writes docs/nlu.md
    python scripts/nlu_report.py --gateway http://127.0.0.1:8080   # a running stack
    python scripts/nlu_report.py --cv 3       # also the cross-validation (slow)
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Development sets: each written blind and scored once blind (docs/nlu.md keeps those first
# scores), then their misses were used for tuning. Sets 6 and 7 (420 messages) scored 0.833
# blind on 2026-11-30 before they became development sets.
HELDOUT_SETS = [
    ROOT / "tests" / "nlu" / f"blind_heldout{suffix}.yml" for suffix in ("", "_2", "_3", "_4", "_5", "_6", "_7")
]
# Test sets (420 messages, written blind 2026-11-30 by a session that read nothing of the
# project): never tuned on, and the report hides their misses.
TEST_SETS = [ROOT / "tests" / "nlu" / f"blind_heldout{suffix}.yml" for suffix in ("_8", "_9")]
RELABEL = ROOT / "tests" / "nlu" / "relabel.yml"


def _eval_nlu() -> Any:
    spec = importlib.util.spec_from_file_location("scripts_eval_nlu", ROOT / "scripts" / "eval_nlu.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules["scripts_eval_nlu"] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def relabels() -> dict[str, str]:
    import yaml

    if not RELABEL.exists():
        return {}
    data = yaml.safe_load(RELABEL.read_text(encoding="utf-8")) or {}
    return {str(item["text"]): str(item["intent"]) for item in data.get("relabel") or []}


def sayer(gateway: str) -> Callable[[str], list[dict[str, Any]]]:
    def say(text: str) -> list[dict[str, Any]]:
        payload = {"session_id": "eval-" + uuid.uuid4().hex, "message": text}
        req = urllib.request.Request(
            f"{gateway}/api/v1/chat", data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            messages: list[dict[str, Any]] = json.loads(resp.read())["messages"]
            return messages

    return say


def run_e2e(gateway: str, source: str, sets: str = "all") -> dict[str, Any]:
    ev = _eval_nlu()
    results = {}
    chosen = {"all": HELDOUT_SETS + TEST_SETS, "dev": HELDOUT_SETS, "test": TEST_SETS}[sets]
    for path in chosen:
        if not path.exists():
            continue
        examples = ev.load_blind(path, relabels())
        results[str(path.relative_to(ROOT))] = ev.score_e2e(examples, sayer(gateway))
    test_names = tuple(str(p.relative_to(ROOT)) for p in TEST_SETS)
    section = ev.e2e_section(results, source, test_sets=test_names)
    ev.write_report(ROOT / "docs" / "nlu.md", section, ev.E2E_SECTION_START, ev.E2E_SECTION_END)
    print(section)
    return results


def cross_validation(folds: int) -> None:
    out = ROOT / "results" / "nlu-cv"
    started = time.monotonic()
    subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "test",
            "nlu",
            "--nlu",
            "data/nlu",
            "--config",
            "config.yml",
            "--cross-validation",
            "--folds",
            str(folds),
            "--out",
            str(out),
            "--quiet",
        ],
        cwd=ROOT,
        check=True,
    )
    elapsed = time.monotonic() - started
    report = json.loads((out / "intent_report.json").read_text())
    lines = [
        "# NLU cross-validation",
        "",
        f"`rasa test nlu --cross-validation --folds {folds}` on `data/nlu/` ({dt.date.today().isoformat()}, "
        f"{elapsed / 60:.1f} min). Scores are on the held-out fold of each split, averaged by Rasa. DIET's intent only:"
        " the sentence-level decision (bot_rasa/understanding.py) runs after it; end-to-end scores are in docs/nlu.md.",
        "",
        f"- intent **weighted F1 {report['weighted avg']['f1-score']:.3f}**, macro F1 {report['macro avg']['f1-score']:.3f}",
        "",
        "| intent | precision | recall | F1 | examples |",
        "|---|---|---|---|---|",
    ]
    for intent, row in sorted(report.items()):
        if isinstance(row, dict) and "support" in row and intent not in ("weighted avg", "macro avg", "micro avg"):
            lines.append(
                f"| {intent} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1-score']:.3f} | {row['support']} |"
            )
    (ROOT / "docs" / "nlu-crossvalidation.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gateway", help="base URL of a running gateway; default: start the stack")
    parser.add_argument("--cv", type=int, default=0, metavar="FOLDS", help="also run cross-validation")
    parser.add_argument("--sets", choices=("all", "dev", "test"), default="all", help="which blind sets to score")
    args = parser.parse_args(argv)
    if args.gateway:
        run_e2e(args.gateway.rstrip("/"), f"the gateway at {args.gateway}", args.sets)
    else:
        from bot.ops.stack import Stack, latest_model

        model = latest_model()
        with tempfile.TemporaryDirectory() as tmp:
            stack = Stack.on_free_ports(
                model=model,
                log_dir=Path(tmp) / "log",
                extra_env={
                    "NW_IP_RATE": "0",
                    "NW_SESSION_RATE": "0",
                    "NOODWIJZER_DB": str(Path(tmp) / "db.sqlite3"),
                    # accuracy, not speed (make bench): a busy machine must not turn
                    # an answer into the degraded one
                    "NW_RASA_TIMEOUT": "60",
                },
                gateway_host="127.0.0.1",
            )
            stack.start(timeout=240)
            try:
                run_e2e(stack.gateway, f"the real stack (model `{model.name}`)", args.sets)
            finally:
                stack.stop()
    if args.cv:
        cross_validation(args.cv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
