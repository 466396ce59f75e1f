"""`make nlu-report`: cross-validated intent F1 (rasa test nlu --cross-validation)
written to docs/nlu-crossvalidation.md."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    folds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
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
    entity_path = out / "DIETClassifier_report.json"
    entities = json.loads(entity_path.read_text()) if entity_path.exists() else {}
    lines = [
        "# NLU cross-validation",
        "",
        f"`rasa test nlu --cross-validation --folds {folds}` on `data/nlu/` ({dt.date.today().isoformat()}, "
        f"{elapsed / 60:.1f} min). Scores are on the held-out fold of each split, averaged by Rasa.",
        "",
        f"- intent **weighted F1 {report['weighted avg']['f1-score']:.3f}**, macro F1 {report['macro avg']['f1-score']:.3f}, "
        f"accuracy {report.get('accuracy', float('nan')):.3f}",
    ]
    if entities:
        lines.append(f"- entities (DIET) weighted F1 {entities['weighted avg']['f1-score']:.3f}")
    lines += ["", "| intent | precision | recall | F1 | examples |", "|---|---|---|---|---|"]
    for intent, row in sorted(report.items()):
        if isinstance(row, dict) and "support" in row and intent not in ("weighted avg", "macro avg", "micro avg"):
            lines.append(
                f"| {intent} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1-score']:.3f} | {row['support']} |"
            )
    lines.append("")
    (ROOT / "docs" / "nlu-crossvalidation.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
