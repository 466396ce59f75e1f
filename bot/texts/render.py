"""Render bot answers from templates/ with a sandboxed Jinja2 and Babel (nl_NL).

Lookup order for a response name and region (first hit wins):
  live edit for the region (store) -> templates/regions/VRxx/<name>.j2
  -> live national edit (store) -> templates/<name>.j2

Rendered text uses two conventions that communication staff can write by hand:
a blank line starts a new chat bubble, and a line "knop: Titel | /payload"
becomes a quick-reply button.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.core.knowledge import TEMPLATES_DIR
from bot.core.regions import is_region_code
from bot.texts.jinja import text_environment

logger = logging.getLogger(__name__)

NAME_RE = re.compile(r"^[a-z0-9_]+(?:/[a-z0-9_]+)*$")
BUTTON_RE = re.compile(r"^\s*knop:\s*(?P<title>[^|]+?)\s*\|\s*(?P<payload>/\S.*?)\s*$")
SAFE_DEFAULT_FILE = "_safe_default.txt"


class TemplateStore(Protocol):
    """Live edits made in the Redactie (bot/redactie/store.py implements this)."""

    def get_source(self, name: str, region: str | None) -> str | None: ...


# --- output parsing ---------------------------------------------------------


@dataclass
class Rendered:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)

    def as_nlg(self) -> dict[str, Any]:
        reply: dict[str, Any] = {"text": self.text}
        if self.buttons:
            reply["buttons"] = self.buttons
        return reply


def parse_output(raw: str) -> Rendered:
    """Split rendered template output into text and quick-reply buttons."""
    lines: list[str] = []
    buttons: list[dict[str, str]] = []
    for line in raw.splitlines():
        match = BUTTON_RE.match(line)
        if match:
            buttons.append({"title": match["title"], "payload": match["payload"]})
        else:
            lines.append(line.rstrip())
    text = "\n".join(lines)
    text = re.sub(r"\n[ \t]*\n(?:[ \t]*\n)+", "\n\n", text).strip()
    return Rendered(text=text, buttons=buttons)


def split_bubbles(text: str) -> list[str]:
    """One chat bubble per blank-line separated block."""
    return [part.strip() for part in re.split(r"\n\s*\n", text or "") if part.strip()]


# --- the renderer -------------------------------------------------------------


class TemplateNotFound(LookupError):
    pass


class Renderer:
    def __init__(
        self,
        templates_dir: Path = TEMPLATES_DIR,
        store: TemplateStore | None = None,
        strict: bool = False,
    ) -> None:
        self.templates_dir = Path(templates_dir)
        self.store = store
        self.strict = strict
        self.env = text_environment()
        self._compiled: dict[str, Any] = {}
        self.safe_default = (self.templates_dir / SAFE_DEFAULT_FILE).read_text(encoding="utf-8").strip()

    def _file_source(self, name: str, region: str | None) -> str | None:
        base = self.templates_dir / "regions" / region if region else self.templates_dir
        path = base / f"{name}.j2"
        return path.read_text(encoding="utf-8") if path.is_file() else None

    def _store_source(self, name: str, region: str | None) -> str | None:
        if self.store is None:
            return None
        try:
            return self.store.get_source(name, region)
        except Exception:  # a broken store must not silence the bot
            logger.exception("template store failed for %s", name)
            return None

    def sources(self, name: str, region: str | None = None) -> list[tuple[str, str]]:
        """All candidate sources for name, best first, as (origin, source)."""
        if not NAME_RE.match(name or ""):
            raise TemplateNotFound(name)
        if region is not None and not is_region_code(region):
            region = None
        layers: list[tuple[str, str | None]] = []
        if region:
            layers.append((f"store:{region}", self._store_source(name, region)))
            layers.append((f"file:regions/{region}", self._file_source(name, region)))
        layers.append(("store:national", self._store_source(name, None)))
        layers.append(("file:national", self._file_source(name, None)))
        return [(origin, src) for origin, src in layers if src is not None]

    def compile(self, source: str) -> Any:
        key = hashlib.sha256(source.encode("utf-8")).hexdigest()
        template = self._compiled.get(key)
        if template is None:
            template = self.env.from_string(source)
            if len(self._compiled) > 2000:  # edits create new sources; keep memory bounded
                self._compiled.clear()
            self._compiled[key] = template
        return template

    def render_source(self, source: str, context: dict[str, Any]) -> Rendered:
        return parse_output(self.compile(source).render(**context))

    def render(self, name: str, context: dict[str, Any] | None = None, region: str | None = None) -> Rendered:
        """Render a response. Falls back layer by layer, then to the safe default.

        In strict mode (tests) the first error is raised instead.
        """
        context = dict(context or {})
        candidates = self.sources(name, region) if NAME_RE.match(name or "") else []
        if not candidates and self.strict:
            raise TemplateNotFound(name)
        for origin, source in candidates:
            try:
                rendered = self.render_source(source, context)
            except Exception as exc:
                if self.strict:
                    raise
                # Log the template and error type only: the context may hold personal details.
                logger.error("template %s (%s) failed: %s", name, origin, type(exc).__name__)
                continue
            if rendered.text or rendered.buttons:
                return rendered
        if candidates or name:
            logger.warning("no usable template for %s, using safe default", name)
        return Rendered(text=self.safe_default)
