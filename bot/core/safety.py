"""Acute-danger safety net: does this message describe danger happening now?

The gateway runs this on every message, before and independent of Rasa, so a
resident in danger always sees "Bel 112" first even if the NLU misses it or
Rasa is down. It is deliberately simple and predictable: phrase patterns from
data/knowledge/danger_phrases.yml (data, editable) plus a little normalisation
and typo tolerance here (logic). See that file for the pattern syntax.

A question *about* danger ("wat moet ik doen als er brand is", "wanneer bel je
112") is not acute: guard words earlier in the sentence switch a match off,
unless the message also contains an urgency word such as "help".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Iterable

import simplemma
from rapidfuzz.distance import OSA

from bot.core.knowledge import load_yaml
from bot.core.risks import get_risk
from bot.core.text import strip_accents

PHRASES_FILE = "danger_phrases.yml"

# Gap "..." = up to 3 words, but never a negation: "er is geen brand" must not match.
_GAP = r"(?:(?!(?:niet|geen) )\S+ ){0,3}"
_SEGMENT_SPLIT = re.compile(r"[.!?;:,\n]+")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LONG_RUNS = re.compile(r"(.)\1{2,}")


@dataclass(frozen=True)
class Danger:
    """The first acute danger found in a message."""

    kind: str  # e.g. "fire", "medical", "gas" (keys of `dangers` in the data file)
    risk: str | None  # one of the 16 risk keys, or None when no risk advice fits


@dataclass(frozen=True)
class _Rule:
    name: str  # the entry's `name` (for `outdoors`/`far`), else its kind
    kind: str
    risk: str | None
    phrases: tuple[re.Pattern[str], ...]
    urgent_phrases: tuple[re.Pattern[str], ...]
    # Each entry: phrases that must all occur somewhere in the message, in any sentence part
    # ("een gele wolk boven de fabriek" ... "mensen staan te hoesten").
    together: tuple[tuple[re.Pattern[str], ...], ...] = ()


@dataclass(frozen=True)
class _Compiled:
    rules: tuple[_Rule, ...]
    guards: tuple[re.Pattern[str], ...]
    urgency: tuple[re.Pattern[str], ...]
    fuzzy_words: tuple[str, ...]
    vocabulary: frozenset[str]
    aliases: dict[str, str]
    # (phrases, kinds): "ver weg", "km" switch off a fire seen from afar; "bos", "wijk" a smell of burning outside.
    quiet: tuple[tuple[tuple[re.Pattern[str], ...], frozenset[str]], ...] = ()
    neutral: tuple[re.Pattern[str], ...] = ()  # "alleen sos" on a phone's screen: not a call for help
    over: tuple[re.Pattern[str], ...] = ()  # "geblust", "onder controle": the fire is over
    over_kinds: frozenset[str] = frozenset()


def _basic_normalise(text: str) -> str:
    """Lowercase, no accents, words separated by single spaces, no typo fixing."""
    text = strip_accents(text.lower())
    text = _NON_WORD.sub(" ", text)
    # "brannnd", "hellllp": squeeze runs so typo matching has less to fix.
    text = _LONG_RUNS.sub(r"\1\1", text)
    return " ".join(text.split())


def _token_regex(token: str, groups: dict[str, list[str]]) -> tuple[str, bool]:
    """Regex for one pattern token (without the trailing space) and whether it is optional."""
    optional = token.endswith("?")
    if optional:
        token = token[:-1]
    alternatives = []
    # "{home}|dak|raam": a group may also be one of the alternatives.
    for alt in token.split("|"):
        if alt.startswith("{") and alt.endswith("}"):
            name = alt[1:-1]
            if name not in groups:
                raise ValueError(f"danger_phrases: unknown group {{{name}}}")
            alternatives += [_basic_normalise(word) for word in groups[name]]
        else:
            alternatives.append(alt)
    parts = []
    for alt in alternatives:
        if alt.endswith("*"):
            parts.append(re.escape(alt[:-1]) + r"\S*")
        else:
            parts.append(re.escape(alt))
    return "(?:" + "|".join(sorted(set(parts), key=len, reverse=True)) + ")", optional


def _compile_phrase(phrase: str, groups: dict[str, list[str]]) -> re.Pattern[str]:
    # Texts are matched as " w1 w2 ... wn " so every word is followed by one space.
    body = ""
    for token in phrase.split():
        if token == "...":
            body += _GAP
            continue
        regex, optional = _token_regex(token, groups)
        body += f"(?:{regex} )?" if optional else f"{regex} "
    if not body:
        raise ValueError("danger_phrases: empty phrase")
    return re.compile(" " + body)


def _literal_words(phrase: str, groups: dict[str, list[str]]) -> Iterable[str]:
    for token in phrase.split():
        token = token.rstrip("?")
        if token == "...":
            continue
        for alt in token.split("|"):
            if not alt.endswith("*") and not alt.startswith("{"):
                yield alt


@functools.lru_cache(maxsize=1)
def _compiled() -> _Compiled:
    data = load_yaml(PHRASES_FILE)
    groups = data.get("groups", {})

    def compile_all(phrases: Iterable[str]) -> tuple[re.Pattern[str], ...]:
        return tuple(_compile_phrase(_basic_normalise_pattern(p), groups) for p in phrases)

    rules = tuple(
        _Rule(
            name=entry.get("name", entry["kind"]),
            kind=entry["kind"],
            risk=entry.get("risk"),
            phrases=compile_all(entry.get("phrases", [])),
            urgent_phrases=compile_all(entry.get("urgent_phrases", [])),
            together=tuple(compile_all(group) for group in entry.get("together", [])),
        )
        for entry in data["dangers"]
    )
    vocabulary: set[str] = set(data.get("known_words", []))
    for words in groups.values():
        vocabulary.update(_basic_normalise(w) for w in words)
    all_phrases = list(data.get("guards", [])) + list(data.get("urgency", []))
    for entry in data["dangers"]:
        all_phrases += entry.get("phrases", []) + entry.get("urgent_phrases", [])
        all_phrases += [phrase for group in entry.get("together", []) for phrase in group]
    for phrase in all_phrases:
        vocabulary.update(_literal_words(phrase, groups))
    fuzzy = tuple(data.get("fuzzy_words", []))
    vocabulary.update(fuzzy)
    return _Compiled(
        rules=rules,
        guards=compile_all(data.get("guards", [])),
        urgency=compile_all(data.get("urgency", [])),
        fuzzy_words=fuzzy,
        vocabulary=frozenset(vocabulary),
        aliases={_basic_normalise(str(k)): _basic_normalise(str(v)) for k, v in (data.get("aliases") or {}).items()},
        quiet=tuple(
            (compile_all(block.get("phrases", [])), frozenset(block.get("kinds", [])))
            for block in (data.get("far"), data.get("outdoors"))
            if block
        ),
        neutral=compile_all(data.get("neutral", [])),
        over=compile_all((data.get("over") or {}).get("phrases", [])),
        over_kinds=frozenset((data.get("over") or {}).get("kinds", [])),
    )


def _basic_normalise_pattern(phrase: str) -> str:
    # Patterns keep their syntax characters; only case and accents are normalised.
    return strip_accents(phrase.lower()).strip()


def _max_typos(word: str) -> int:
    if len(word) >= 7:
        return 2
    if len(word) >= 5:
        return 1
    return 0  # short words ("gas", "mes", "rook") have too many innocent neighbours


@functools.lru_cache(maxsize=4096)
def _correct_word(word: str) -> str:
    compiled = _compiled()
    word = compiled.aliases.get(word, word)
    if word in compiled.vocabulary or word.isdigit():
        return word
    allowed = _max_typos(word)
    # A real Dutch word is not a typo: "stijgen" is not "stikken", "gewond" not "gewoond".
    if not allowed or simplemma.is_known(word, lang="nl"):
        return word
    best, best_distance = word, allowed + 1
    for candidate in compiled.fuzzy_words:
        # Same first letter: typos rarely hit it, and it keeps "grand" away from "brand".
        if candidate[0] != word[0] or abs(len(candidate) - len(word)) > allowed:
            continue
        distance = OSA.distance(word, candidate, score_cutoff=allowed)
        if distance < best_distance:
            best, best_distance = candidate, distance
    return best


def dialect_alias(word: str) -> str:
    """A regional or chat spelling in its standard form ("hoes" -> "huis"), else the word."""
    return _compiled().aliases.get(word, word)


def normalise(text: str) -> str:
    """Lowercase, accent-free, punctuation-free text with common typos in key words fixed."""
    return " ".join(_correct_word(w) for w in _basic_normalise(text).split())


def _segments(text: str) -> list[str]:
    neutral = _compiled().neutral
    padded = (f" {normalise(part)} " for part in _SEGMENT_SPLIT.split(text))
    segments = []
    for part in padded:
        for pattern in neutral:
            part = pattern.sub(" ", part)
        if part.strip():
            segments.append(" " + " ".join(part.split()) + " ")
    return segments


def _first_start(patterns: Iterable[re.Pattern[str]], padded: str) -> int | None:
    starts = [m.start() for p in patterns if (m := p.search(padded))]
    return min(starts) if starts else None


def _guarded(padded: str, match_end: int, guards: tuple[re.Pattern[str], ...]) -> bool:
    """A guard word before the end of the match makes it a question or hypothetical.

    Patterns start with the space before their first word, and a match ends with the space
    after its last word: a guard right after the match ("reageert niet als ik hem roep")
    starts on that shared space, one before `match_end`, and does not count.
    """
    return any(m.start() < match_end - 1 for g in guards for m in g.finditer(padded))


def _is_over(patterns: tuple[re.Pattern[str], ...], whole: str) -> bool:
    """An `over` phrase not negated right before it: "geblust", but not "nog niet geblust"."""
    for pattern in patterns:
        for match in pattern.finditer(whole):
            before = whole[: match.start()].split()[-1:]
            if before not in (["niet"], ["nog"], ["geen"]):
                return True
    return False


def find_danger(text: str) -> Danger | None:
    """The first acute danger in `text`, or None. Never raises on odd input."""
    if not isinstance(text, str) or not text.strip():
        return None
    compiled = _compiled()
    segments = _segments(text[:5000])
    if not segments:
        return None
    whole = " " + " ".join(s.strip() for s in segments) + " "
    urgent = _first_start(compiled.urgency, whole) is not None
    any_guard = _first_start(compiled.guards, whole) is not None
    quiet_kinds: set[str] = set()
    if not urgent and _is_over(compiled.over, whole):
        quiet_kinds |= compiled.over_kinds
    if not urgent:
        for phrases, kinds in compiled.quiet:
            if _first_start(phrases, whole) is not None:
                quiet_kinds |= kinds

    for rule in compiled.rules:
        if rule.kind in quiet_kinds or rule.name in quiet_kinds:
            continue
        for padded in segments:
            for pattern in rule.phrases:
                for match in pattern.finditer(padded):
                    if urgent or not _guarded(padded, match.end(), compiled.guards):
                        return Danger(rule.kind, rule.risk)
        # Words spread over the message count only without any guard ("als", "gisteren").
        if (urgent or not any_guard) and any(all(p.search(whole) for p in group) for group in rule.together):
            return Danger(rule.kind, rule.risk)
        # Loose words ("help, brand!") only count when someone asks for help
        # and nothing suggests a general question.
        if urgent and not any_guard and _first_start(rule.urgent_phrases, whole) is not None:
            return Danger(rule.kind, rule.risk)
    return None


def is_acute_danger(text: str) -> bool:
    """True when the message describes acute danger now (fire, not breathing, gas, water, violence...)."""
    return find_danger(text) is not None


def danger_risk(text: str) -> str | None:
    """The risk key (e.g. "brand", "overstroming", "gevaarlijke_stoffen") for an acute danger, if obvious."""
    danger = find_danger(text)
    return danger.risk if danger else None


def danger_kind(text: str) -> str | None:
    """The kind of acute danger ("fire", "medical", "gas", ...) so templates can give a fitting first tip."""
    danger = find_danger(text)
    return danger.kind if danger else None


# What the 112 answer shows of a risk: only what helps in the first minute.
EMERGENCY_RISK_FIELDS = ("key", "title", "tijdens")


def emergency_arguments(danger: str | None, risk_key: str | None) -> dict[str, Any]:
    """Arguments for utter_emergency, the same for the action and the gateway.

    `danger` is the kind of acute danger (find_danger(...).kind) or None;
    `risk` is the short risk summary or None.
    """
    risk = get_risk(risk_key) if risk_key else None
    summary = {name: risk[name] for name in EMERGENCY_RISK_FIELDS} if risk else None
    return {"danger": danger, "risk": summary}
