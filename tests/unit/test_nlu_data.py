"""The NLU training data in data/nlu/ is clean: every line of an examples block is an
example, and no example is taught under two intents (DIET would learn both labels)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

NLU = Path(__file__).resolve().parents[2] / "data" / "nlu"
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]+\)|\{[^}]*\})")


def _examples() -> list[tuple[str, str, str, str]]:
    """(file, intent, raw line, plain text) for every line of every examples block."""
    found = []
    for path in sorted(NLU.glob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if "intent" not in block:
                continue
            for line in str(block.get("examples") or "").splitlines():
                if line.strip():
                    text = " ".join(ANNOTATION.sub(r"\1", line.strip().removeprefix("- ")).lower().split())
                    found.append((path.name, str(block["intent"]), line.strip(), text))
    return found


def test_every_line_of_an_examples_block_is_an_example() -> None:
    # A "# comment" inside `examples: |` is not a YAML comment: Rasa skips it with a warning.
    examples = _examples()
    assert len(examples) > 1000
    bad = [(name, line) for name, _intent, line, _text in examples if not line.startswith("- ")]
    assert not bad, bad


def test_no_example_is_taught_under_two_intents() -> None:
    intents: dict[str, set[str]] = {}
    for _name, intent, _line, text in _examples():
        intents.setdefault(text, set()).add(intent.split("/")[0])
    conflicts = {text: sorted(names) for text, names in intents.items() if len(names) > 1}
    assert not conflicts, conflicts
