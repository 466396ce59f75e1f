"""Train the Rasa model only when training data, domain or config changed.

The model file is named after a hash of its inputs, so an unchanged tree
reuses models/nw-<hash>.tar.gz without even starting Rasa.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Only these folders are training data; data/knowledge etc. are read by bot/.
TRAINING_DATA = ["data/nlu", "data/rules", "data/stories"]
INPUTS = ["config.yml", "domain.yml", *TRAINING_DATA, "bot_rasa/risk_entities.py"]


def inputs_hash() -> str:
    digest = hashlib.sha256()
    for entry in INPUTS:
        path = ROOT / entry
        files = sorted(path.rglob("*.yml")) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def main() -> int:
    name = f"nw-{inputs_hash()}"
    model = ROOT / "models" / f"{name}.tar.gz"
    if model.exists():
        model.touch()  # newest model = the one bot.ops.stack picks
        print(f"Model is up to date: {model.relative_to(ROOT)}")
        return 0
    print("Training data changed: training the model (a few minutes)...", flush=True)
    started = time.monotonic()
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "train",
            "--data",
            *TRAINING_DATA,
            "--fixed-model-name",
            name,
            "--out",
            "models",
            "--quiet",
        ],
        cwd=ROOT,
    )
    if result.returncode != 0:
        return result.returncode
    print(f"Trained {model.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
