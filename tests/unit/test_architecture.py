"""The layout's rules, checked on the source: dependencies point one way.

core -> texts -> (actions, nlg, gateway, redactie); ops and settings are
leaves that anything may use. Nothing in bot/ imports Rasa: Rasa code lives in
bot_rasa/ (extension points) and actions/ (rasa_sdk adapters).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# room -> rooms (inside bot/) it may import from
ALLOWED = {
    "core": {"core"},
    "texts": {"core", "texts"},
    "nlg": {"core", "texts", "nlg", "ops", "settings", "redactie"},
    "gateway": {"core", "texts", "gateway", "ops", "settings", "redactie"},
    "redactie": {"core", "texts", "redactie", "settings"},
    "ops": {"ops", "settings"},
    "settings": set(),
}


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names if node.module == "bot")
    return names


def room_of(path: Path) -> str:
    parts = path.relative_to(ROOT / "bot").parts
    return parts[0].removesuffix(".py") if len(parts) > 1 or parts[0] == "settings.py" else "cli"


BOT_FILES = sorted(p for p in (ROOT / "bot").rglob("*.py") if room_of(p) != "cli")


@pytest.mark.parametrize("path", BOT_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dependencies_point_one_way(path):
    room = room_of(path)
    for name in imports_of(path):
        if name.split(".")[0] in ("rasa", "rasa_sdk", "bot_rasa", "actions"):
            pytest.fail(f"{path.relative_to(ROOT)} imports {name}: bot/ stays free of Rasa")
        if name.startswith("bot."):
            target = name.split(".")[1]
            assert target in ALLOWED[room], f"{path.relative_to(ROOT)} ({room}) imports {name}"


def test_every_room_is_known():
    rooms = {room_of(p) for p in BOT_FILES}
    assert rooms == set(ALLOWED), rooms


def test_actions_use_only_core_and_texts():
    for path in sorted((ROOT / "actions").glob("*.py")):
        for name in imports_of(path):
            if name.startswith("bot."):
                assert name.split(".")[1] in {"core", "texts", "settings"}, f"{path.name} imports {name}"


def test_the_rule_catches_a_wrong_import(tmp_path, monkeypatch):
    # The check itself can fail: a core module that imports the gateway is caught.
    fake = ROOT / "bot" / "core" / "_architecture_probe.py"
    fake.write_text("from bot.gateway import chat\n", encoding="utf-8")
    try:
        with pytest.raises(AssertionError, match="imports bot.gateway"):
            test_dependencies_point_one_way(fake)
    finally:
        fake.unlink()


def test_the_widget_knows_the_same_region_codes():
    # widget.js cannot import Python, so its pattern is checked against the one definition.
    import re

    from bot.core.regions import REGION_CODES

    source = (ROOT / "bot" / "gateway" / "static" / "widget.js").read_text(encoding="utf-8")
    found = re.search(r"var REGION_RE = /(.+?)/;", source)
    assert found, "REGION_RE not found in widget.js"
    pattern = re.compile(found.group(1))
    candidates = [f"VR{n:02d}" for n in range(0, 100)] + ["vr01", "VR1", "VR001", " VR01", "VR01 "]
    assert [c for c in candidates if pattern.fullmatch(c)] == list(REGION_CODES)
