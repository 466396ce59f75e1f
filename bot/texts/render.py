"""Render bot answers from templates/ with a sandboxed Jinja2 and Babel (nl_NL).

Lookup order for a response name and region (first hit wins):
  live edit for the region (store) -> templates/regions/VRxx/<name>.j2
  -> live national edit (store) -> templates/<name>.j2

Every render is bounded (bot/texts/safe_render.py): it runs in a worker
process with a time budget, an output limit and a memory limit. A text that
goes over a limit is set aside for QUARANTINE_S seconds, and the answer falls
back to the last version of that text that rendered well in this process, then
to the next layer down, then to the repository text and the safe default. The
log names the text and the region, never the context.
Only strict mode (developers' tests) renders in-process, so errors surface.

Rendered text uses two conventions that communication staff can write by hand:
a blank line starts a new chat bubble, and a line "knop: Titel | /payload"
becomes a quick-reply button.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.core.knowledge import TEMPLATES_DIR
from bot.core.regions import is_region_code
from bot.texts.jinja import text_environment
from bot.texts.safe_render import LIMIT_ERRORS, Outcome, RenderPool, shared_pool

logger = logging.getLogger(__name__)

NAME_RE = re.compile(r"^[a-z0-9_]+(?:/[a-z0-9_]+)*$")
BUTTON_RE = re.compile(r"^\s*knop:\s*(?P<title>[^|]+?)\s*\|\s*(?P<payload>/\S.*?)\s*$")
SAFE_DEFAULT_FILE = "_safe_default.txt"
QUARANTINE_S = 600.0  # a text that went over a limit is not tried again for this long
LAST_GOOD_KEEP = 2000  # (name, region) pairs whose last good source is remembered


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
        pool: RenderPool | None = None,
    ) -> None:
        self.templates_dir = Path(templates_dir)
        self.store = store
        self.strict = strict
        self.env = text_environment()
        self._compiled: dict[str, Any] = {}
        self.safe_default = (self.templates_dir / SAFE_DEFAULT_FILE).read_text(encoding="utf-8").strip()
        # Strict mode is for developers' tests: in-process, so the first error is raised.
        self.pool = None if strict else (pool or shared_pool())
        self._lock = threading.Lock()
        self._last_good: OrderedDict[tuple[str, str | None], str] = OrderedDict()
        self._quarantine: dict[str, float] = {}  # source hash -> until (monotonic)

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
        key = _digest(source)
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

        Blocks the calling thread for at most the time budget per candidate; servers
        call it through bot.texts.safe_render.off_loop. In strict mode (tests) it
        renders in-process and the first error is raised instead.
        """
        context = dict(context or {})
        candidates = self.sources(name, region) if NAME_RE.match(name or "") else []
        if not candidates and self.strict:
            raise TemplateNotFound(name)
        if self.pool is not None:
            return self._render_bounded(self.pool, name, region, candidates, context)
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

    # --- bounded rendering: fallbacks, last good version, quarantine --------------------

    def _render_bounded(
        self,
        pool: RenderPool,
        name: str,
        region: str | None,
        candidates: list[tuple[str, str]],
        context: dict[str, Any],
    ) -> Rendered:
        key = (name, region)
        for i, (origin, source) in enumerate(self._with_last_good(key, candidates)):
            digest = _digest(source)
            if self._quarantined(digest):
                logger.info(
                    "text %s (region %s, %s) is set aside after going over a limit", name, region or "-", origin
                )
                continue
            outcome = pool.render_text(source, context)
            trusted = origin.startswith("file:")
            if outcome.error in ("unavailable", "busy", "crashed") and trusted:
                # No worker to be had (or it died under this render, e.g. stopped with
                # the pool): a repository text is trusted, so render it here
                # rather than answer every resident with the safe default.
                outcome = _in_process(self, source, context)
            if outcome.ok and outcome.raw is not None:
                rendered = parse_output(outcome.raw)
                if rendered.text or rendered.buttons:
                    if i == 0:
                        self._remember(key, source)
                    if origin == "last-good":
                        logger.warning("text %s (region %s): using its last good version", name, region or "-")
                    return rendered
                continue
            # The name, region and layer only: the context may hold personal details.
            logger.error("text %s (region %s, %s) failed: %s", name, region or "-", origin, outcome.error)
            if outcome.error in LIMIT_ERRORS and not trusted:
                # Staff texts only: a repository text that ran late on a busy machine
                # must not be set aside for minutes.
                self._set_aside(digest)
        if candidates or name:
            logger.warning("no usable text for %s (region %s), using safe default", name, region or "-")
        return Rendered(text=self.safe_default)

    def _with_last_good(self, key: tuple[str, str | None], candidates: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The live text first, then the last version of it that rendered well here, then the layers below."""
        with self._lock:
            last = self._last_good.get(key)
        if not candidates or last is None or any(source == last for _, source in candidates):
            return candidates
        return [candidates[0], ("last-good", last), *candidates[1:]]

    def _remember(self, key: tuple[str, str | None], source: str) -> None:
        with self._lock:
            self._last_good[key] = source
            self._last_good.move_to_end(key)
            while len(self._last_good) > LAST_GOOD_KEEP:
                self._last_good.popitem(last=False)

    def _quarantined(self, digest: str) -> bool:
        with self._lock:
            until = self._quarantine.get(digest)
            if until is None:
                return False
            if until <= time.monotonic():
                del self._quarantine[digest]
                return False
            return True

    def _set_aside(self, digest: str) -> None:
        with self._lock:
            if len(self._quarantine) > 1000:
                self._quarantine.clear()
            self._quarantine[digest] = time.monotonic() + QUARANTINE_S


def _in_process(renderer: Renderer, source: str, context: dict[str, Any]) -> Outcome:
    try:
        return Outcome(raw=renderer.compile(source).render(**context))
    except Exception as exc:
        return Outcome(error="render_error", detail=type(exc).__name__)


def _digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()
