"""Which texts staff may edit, and what each layer currently says."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.core import knowledge
from bot.redactie.store import SqliteTemplateStore, Version
from bot.texts.render import NAME_RE


def templates_dir() -> Path:
    return Path(knowledge.TEMPLATES_DIR)


def template_names() -> list[str]:
    """Every chat text in templates/ (one file per response; _files are internal)."""
    return sorted(
        p.stem
        for p in templates_dir().glob("*.j2")
        if p.is_file() and NAME_RE.match(p.stem) and not p.stem.startswith("_")
    )


def file_source(name: str, region: str | None) -> str | None:
    base = templates_dir() / "regions" / region if region else templates_dir()
    path = base / f"{name}.j2"
    return path.read_text(encoding="utf-8") if path.is_file() else None


@dataclass(frozen=True)
class Layer:
    """One layer's current text: a live edit, the repository file, or nothing."""

    source: str | None
    live: Version | None  # latest live version (may be a 'back to repository' marker)
    file_source: str | None

    @property
    def origin(self) -> str:
        if self.live is not None and self.live.source is not None:
            return "live"
        return "file" if self.file_source is not None else "none"


def layer(store: SqliteTemplateStore, name: str, region: str | None) -> Layer:
    live = store.latest(name, region)
    from_file = file_source(name, region)
    source = live.source if live is not None and live.source is not None else from_file
    return Layer(source=source, live=live, file_source=from_file)
