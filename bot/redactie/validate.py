"""Check a staff-edited template before it is saved, and render its preview.

Errors block saving: syntax, file access tags, undefined variables or a
sandbox refusal in any sample situation, links other than https:// or a
relative /path, an over-long chat bubble, an empty answer, an unknown button
intent, a required first line (e.g. "Bel 112"). Readability (B1) only warns.
Issues carry codes; the editor's pages word them in Dutch.
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass, field
from types import ModuleType

import yaml
from jinja2 import TemplateSyntaxError

from bot.core.knowledge import ROOT
from bot.redactie import samples as samples_mod
from bot.redactie.links import bad_links
from bot.redactie.sandbox import TIME_BUDGET, forbidden_nodes, make_validation_environment
from bot.texts.render import Rendered, parse_output, split_bubbles
from bot.texts.safe_render import shared_pool

MAX_SOURCE = 20_000
MAX_BUBBLE = 600
MAX_WORDS_PER_SENTENCE = 15.0
MIN_FLESCH_DOUMA = 60.0
INTENT_RE = re.compile(r"^/([A-Za-z0-9_]+)")
# Render problems (bot.texts.safe_render) -> the codes the editor's pages word.
PREVIEW_CODES = {
    "undefined": "undefined",
    "security": "security",
    "syntax": "syntax",
    "too_slow": "too_slow",
    "too_large": "too_big",
    "memory": "too_big",
    "crashed": "too_big",
}


@dataclass(frozen=True)
class Issue:
    level: str  # "error" | "warning"
    code: str
    sample: str | None = None  # label of the sample situation
    line: int | None = None
    detail: str = ""  # technical detail (variable, link, message); shown as code


@dataclass
class Preview:
    sample_id: str
    label: str
    bubbles: list[list[tuple[str, bool]]] = field(default_factory=list)  # segments (text, is_hard)
    buttons: list[dict[str, str]] = field(default_factory=list)
    failed: bool = False
    without_optional: bool = False  # rendered without the variables an action may leave out


@dataclass
class Readability:
    words_per_sentence: float | None = None
    flesch_douma: float | None = None
    hard_sentences: list[str] = field(default_factory=list)
    available: bool = True


@dataclass
class Result:
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    previews: list[Preview] = field(default_factory=list)
    readability: Readability = field(default_factory=Readability)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, issue: Issue) -> None:
        (self.errors if issue.level == "error" else self.warnings).append(issue)


@functools.lru_cache(maxsize=1)
def domain_intents() -> frozenset[str]:
    with open(ROOT / "domain.yml", encoding="utf-8") as fh:
        domain = yaml.safe_load(fh) or {}
    return frozenset(i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or [])


def _readability_module() -> ModuleType | None:
    try:
        return importlib.import_module("bot.texts.readability")
    except ImportError:
        return None


def validate(name: str, source: str) -> Result:
    """Validate and preview `source` as the text of response `name`."""
    result = Result()
    if not isinstance(source, str) or not source.strip():
        result.add(Issue("error", "empty_source"))
        return result
    if len(source) > MAX_SOURCE:
        result.add(Issue("error", "source_too_large", detail=str(MAX_SOURCE)))
        return result

    env = make_validation_environment()
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        result.add(Issue("error", "syntax", line=exc.lineno, detail=exc.message or ""))
        return result
    for kind, line in forbidden_nodes(ast):
        result.add(Issue("error", f"forbidden_{kind}", line=line))
    if result.errors:
        return result

    info = samples_mod.template_info(name)
    situations = samples_mod.situations(info)
    if not situations:
        result.add(Issue("error", "no_samples"))
        return result

    texts: list[str] = []
    for sample, include_optional in situations:
        preview = Preview(sample.id, sample.label, without_optional=not include_optional)
        result.previews.append(preview)
        context = samples_mod.context_for(info, sample, include_optional)
        # The preview renders like live chat: in a worker process, with a time,
        # output and memory limit (bot/texts/safe_render.py).
        outcome = shared_pool().render_text(source, context, budget=TIME_BUDGET)
        if outcome.error is not None or outcome.raw is None:
            preview.failed = True
            code = PREVIEW_CODES.get(outcome.error or "", "render_error")
            result.add(Issue("error", code, sample.label, detail=outcome.detail))
            if code in ("too_slow", "too_big"):
                break  # one costly situation is enough; do not spend the budget again
            continue
        rendered = parse_output(outcome.raw)
        _check_output(name, info, sample.label, rendered, result)
        preview.buttons = rendered.buttons
        preview.bubbles = [[(b, False)] for b in split_bubbles(rendered.text)]
        texts.extend(split_bubbles(rendered.text))

    _readability(texts, result)
    return result


def _check_output(name: str, info: samples_mod.TemplateInfo, label: str, rendered: Rendered, result: Result) -> None:
    if not rendered.text and not rendered.buttons:
        result.add(Issue("error", "empty_output", label))
        return
    for link in bad_links(rendered.text):
        result.add(Issue("error", "bad_link", label, detail=link))
    for bubble in split_bubbles(rendered.text):
        if len(bubble) > MAX_BUBBLE:
            result.add(Issue("error", "bubble_too_long", label, detail=f"{len(bubble)}/{MAX_BUBBLE}"))
    intents = domain_intents()
    for button in rendered.buttons:
        match = INTENT_RE.match(button["payload"])
        if not match or match.group(1) not in intents:
            result.add(Issue("error", "bad_button", label, detail=button["payload"][:100]))
        for link in bad_links(button["title"]):
            result.add(Issue("error", "bad_link", label, detail=link))
    if info.must_start_with and not rendered.text.startswith(info.must_start_with):
        result.add(Issue("error", "must_start_with", label, detail=info.must_start_with))


def _readability(texts: list[str], result: Result) -> None:
    module = _readability_module()
    unique = list(dict.fromkeys(texts))
    if module is None or not unique:
        result.readability.available = module is not None
        return
    # Sentences do not cross bubbles, so join with a blank line.
    combined = "\n\n".join(unique)
    score = result.readability
    score.words_per_sentence = round(float(module.words_per_sentence(combined)), 1)
    score.flesch_douma = round(float(module.flesch_douma(combined)), 1)
    hard = [str(s).strip() for s in module.hard_sentences(combined) if str(s).strip()]
    score.hard_sentences = list(dict.fromkeys(hard))
    if score.words_per_sentence > MAX_WORDS_PER_SENTENCE:
        result.add(Issue("warning", "long_sentences", detail=str(score.words_per_sentence)))
    if score.flesch_douma < MIN_FLESCH_DOUMA:
        result.add(Issue("warning", "hard_text", detail=str(score.flesch_douma)))
    if score.hard_sentences:
        result.add(Issue("warning", "hard_sentences", detail=str(len(score.hard_sentences))))
        for preview in result.previews:
            preview.bubbles = [
                highlight("".join(s for s, _ in bubble), score.hard_sentences) for bubble in preview.bubbles
            ]


def highlight(text: str, hard: list[str]) -> list[tuple[str, bool]]:
    """Split text into (segment, is_hard) so the page can mark hard sentences."""
    spans: list[tuple[int, int]] = []
    for sentence in hard:
        start = text.find(sentence)
        while start != -1:
            spans.append((start, start + len(sentence)))
            start = text.find(sentence, start + len(sentence))
    spans.sort()
    segments: list[tuple[str, bool]] = []
    pos = 0
    for start, end in spans:
        if start < pos:
            continue  # overlapping match: already marked
        if start > pos:
            segments.append((text[pos:start], False))
        segments.append((text[start:end], True))
        pos = end
    if pos < len(text):
        segments.append((text[pos:], False))
    return segments or [(text, False)]
