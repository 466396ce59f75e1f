"""Read the sourced knowledge files in data/knowledge (the single source of truth)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
KNOWLEDGE_DIR = ROOT / "data" / "knowledge"
TEMPLATES_DIR = ROOT / "templates"


@functools.cache
def load_yaml(name: str) -> Any:
    """Load data/knowledge/<name>; cached because the files only change on deploy."""
    with open(KNOWLEDGE_DIR / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh)
