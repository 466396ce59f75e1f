"""The risk from the whole message, and the sentence-level decision (issue 14).

Plain Python, no Rasa: bot_rasa/understanding.py calls `decide` after DIET and
the entity extractors. Residents describe what they see ("de dijk lekt",
"bruin water uit de kraan", "windkracht 10 verwacht"); the cues for that are
data in data/knowledge/situations.yml, matched on simplemma lemmas with typo
tolerance, next to the risk names in risks.yml. The safety net
(bot.core.safety) decides acute danger, bot.core.language the language.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import simplemma
from rapidfuzz.distance import OSA

from bot.core import english, risks
from bot.core.knowledge import load_yaml
from bot.core.language import ENGLISH, detect_language, looks_english
from bot.core.safety import Danger, dialect_alias, find_danger
from bot.core.text import strip_accents

SITUATIONS_FILE = "situations.yml"
NAME_WEIGHT = 3  # a risk named in the message (risks.yml synonyms)
DECISIVE = 2  # score a risk needs on its own
STRONG = 4  # "!cue": a situation that beats a risk name ("rook boven de heide" is natuurbrand, not rook)
MAX_GAP = 4  # other words allowed between the words of one cue
MAX_CANDIDATES = 3
DISTRESS_NEAR = 5  # words between a person and a distress word that belong together
CALLS_FOR_HELP = frozenset({"help", "helpen"})
CLEAR_SITUATION = 6  # a situation score that beats kit cues other than the kit's own names

# Intents the sentence-level decision may turn into ask_risk when the message
# clearly describes a risk situation. Kit, region and the form's answers stay
# as DIET says: "noodpakket voor een stroomstoring" is a kit question.
OVERRIDABLE = frozenset({"ask_risk", "out_of_scope", "ask_capabilities", "greet", "bot_challenge", "nlu_fallback"})
# The kit form's answers: only a clear risk situation (not a hint) overrides them,
# e.g. "geen signaal, geen wifi, niks doet het" is not a budget.
OVERRIDABLE_WHEN_CLEAR = frozenset(
    {
        "inform_household",
        "inform_budget",
        "inform_needs",
        "inform_gemeente",
        "ask_region",
        "ask_phase",
        "affirm",
        "deny",
        "thank",
        "goodbye",
    }
)
ENGLISH_INTENT = "english"
# DIET intents that a message about 112 itself overrides (ask_emergency_numbers).
ABOUT_112_FROM = frozenset(
    {
        "ask_capabilities",
        "out_of_scope",
        "nlu_fallback",
        "greet",
        "bot_challenge",
        "ask_kit",
        "affirm",
        "deny",
        "thank",
        "goodbye",
    }
)
# Below this DIET confidence FallbackClassifier would say "not understood"; a risk cue decides instead.
LOW_CONFIDENCE = 0.5
UNSURE_OUT_OF_SCOPE = 0.3  # an unsure DIET out_of_scope without any situation is still a refusal

_HYPHEN = re.compile(r"(?<=[a-z0-9])-(?=[a-z0-9])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_TEMPERATURE = re.compile(r"(min|-|minus)?\s*(\d{1,2})(?:[.,]\d)?\s*(?:graden|graad|°|degrees|c\b)")
# "min 15 vannacht", "boven de 35": temperatures without the word graden.
_COLD = re.compile(r"(?:\b(?:min|minus)\s*|(?<![\w-])-)(\d{1,2})\b")
_HOT = re.compile(r"\b(?:boven de|rond de|richting de|tegen de|ruim|wordt het weer|wordt het|wordt)\s*(\d{2})\b")


# --- words ------------------------------------------------------------------------


def tokens(text: str) -> list[str]:
    """Lower case, no accents, hyphens inside words dropped ("e-bike" -> "ebike"), words only."""
    text = strip_accents((text or "").lower())
    text = _HYPHEN.sub("", text)
    return _NON_WORD.sub(" ", text).split()


@functools.lru_cache(maxsize=20000)
def lemma(word: str, lang: str = "nl") -> str:
    """simplemma's lemma, in the same form as tokens() ("aangevallen" -> "aanvallen")."""
    return _NON_WORD.sub("", strip_accents(simplemma.lemmatize(word, lang=lang).lower())) or word


@dataclass(frozen=True)
class _Alt:
    kind: str  # "word" | "prefix" | "suffix"
    forms: frozenset[str]


@dataclass(frozen=True)
class _Cue:
    text: str
    elements: tuple[tuple[_Alt, ...], ...]
    weight: int


def _alternative(raw: str, lang: str) -> _Alt:
    if raw.endswith("*"):
        return _Alt("prefix", frozenset(tokens(raw[:-1])[:1]))
    if raw.startswith("*"):
        return _Alt("suffix", frozenset(tokens(raw[1:])[:1]))
    words = tokens(raw)
    word = words[0] if words else raw
    return _Alt("word", frozenset({word, lemma(word, lang)}))


def _compile_cue(raw: str, lang: str) -> _Cue:
    weight = DECISIVE
    text = str(raw).strip()
    if text.startswith("~"):
        weight, text = 1, text[1:].strip()
    elif text.startswith("!"):
        weight, text = STRONG, text[1:].strip()
    elements = []
    for part in text.split():
        alts = tuple(_alternative(a, lang) for a in part.split("|") if a.strip("*"))
        if alts:
            elements.append(alts)
    if not elements:
        raise ValueError(f"situations.yml: empty cue {raw!r}")
    return _Cue(text, tuple(elements), weight)


@dataclass(frozen=True)
class _Tables:
    cues: dict[str, dict[str, tuple[_Cue, ...]]]  # lang -> risk -> cues
    vocabulary: dict[str, frozenset[str]]  # lang -> every cue word (typo targets)
    question_cues: dict[str, tuple[_Cue, ...]]
    people: dict[str, frozenset[str]]
    distress: dict[str, frozenset[str]]
    number_words: frozenset[str]
    number_names: frozenset[str]  # "nummer", "noodnummer": a question about numbers whatever else it names
    number_questions: tuple[_Cue, ...]  # "wie moet ik bellen": the same
    kit_cues: tuple[_Cue, ...]  # "noodpakket", "in huis halen": a question about supplies
    kit_names: tuple[_Cue, ...]  # "noodpakket", "noodtas": the kit itself
    weak_names: frozenset[str]  # risk names that are also everyday words ("rook": smoke, or smelled)
    figurative: re.Pattern[str] | None  # risk words in another sense ("in vuur en vlam")
    hot_from: int
    cold_to: int
    # lang -> word -> the (risk, cue) pairs whose first element has that word: only
    # those cues can match a message (prefix and suffix first elements: `open_cues`).
    first_words: dict[str, dict[str, tuple[tuple[str, _Cue], ...]]] = field(default_factory=dict)
    open_cues: dict[str, tuple[tuple[str, _Cue], ...]] = field(default_factory=dict)


def _figurative_pattern(phrases: Iterable[Any]) -> re.Pattern[str] | None:
    """One regex over " w1 w2 ... " (tokens()) for the `figurative` phrases."""
    bodies = []
    for phrase in phrases:
        body = ""
        for token in str(phrase).split():
            optional = token.endswith("?")
            alts = []
            for alt in token.rstrip("?").split("|"):
                if alt == "_":
                    alts.append(r"\S+")
                elif alt.endswith("*"):
                    alts.append(re.escape(" ".join(tokens(alt[:-1]))) + r"\S*")
                else:
                    alts.append(re.escape(" ".join(tokens(alt))))
            group = "(?:" + "|".join(alts) + ")"
            body += f"(?:{group} )?" if optional else f"{group} "
        if body:
            bodies.append(body)
    return re.compile(" (?:" + "|".join(bodies) + ")") if bodies else None


def literal_text(text: str) -> str | None:
    """The message without risk words used in another sense, or None when it has none."""
    pattern = _tables().figurative
    if pattern is None:
        return None
    padded = " " + " ".join(tokens(text)) + " "
    stripped, count = pattern.subn(" ", padded)
    return " ".join(stripped.split()) if count else None


def _first_word_index(
    cues: dict[str, tuple[_Cue, ...]],
) -> tuple[dict[str, tuple[tuple[str, _Cue], ...]], tuple[tuple[str, _Cue], ...]]:
    index: dict[str, list[tuple[str, _Cue]]] = {}
    open_cues: list[tuple[str, _Cue]] = []
    for key, per_risk in cues.items():
        for cue in per_risk:
            first = cue.elements[0]
            if any(alt.kind != "word" for alt in first):
                open_cues.append((key, cue))
                continue
            for word in {form for alt in first for form in alt.forms}:
                index.setdefault(word, []).append((key, cue))
    return {word: tuple(pairs) for word, pairs in index.items()}, tuple(open_cues)


@functools.lru_cache(maxsize=1)
def _tables() -> _Tables:
    data = load_yaml(SITUATIONS_FILE)
    cues: dict[str, dict[str, tuple[_Cue, ...]]] = {"nl": {}, "en": {}}
    vocabulary: dict[str, set[str]] = {"nl": set(), "en": set()}
    for key, per_lang in (data.get("risks") or {}).items():
        if not risks.is_risk_key(key):
            raise ValueError(f"situations.yml: unknown risk {key!r}")
        for lang in ("nl", "en"):
            compiled = tuple(_compile_cue(c, lang) for c in (per_lang or {}).get(lang) or [])
            cues[lang][key] = compiled
            for cue in compiled:
                for element in cue.elements:
                    for alt in element:
                        if alt.kind == "word":
                            vocabulary[lang].update(alt.forms)
    question = {
        lang: tuple(_compile_cue(c, lang) for c in (data.get("question_cues") or {}).get(lang) or [])
        for lang in ("nl", "en")
    }
    temperature = data.get("temperature") or {}
    people = {lang: frozenset(str(w) for w in (data.get("people") or {}).get(lang) or []) for lang in ("nl", "en")}
    return _Tables(
        people=people,
        distress={
            lang: frozenset(str(w) for w in (data.get("distress") or {}).get(lang) or []) for lang in ("nl", "en")
        },
        number_words=frozenset(str(w) for w in data.get("number_words") or []),
        number_names=frozenset(str(w) for w in data.get("number_names") or []),
        number_questions=tuple(_compile_cue(c, "nl") for c in data.get("number_questions") or []),
        kit_cues=tuple(_compile_cue(c, "nl") for c in data.get("kit_cues") or []),
        kit_names=tuple(_compile_cue(c, "nl") for c in data.get("kit_names") or []),
        weak_names=frozenset(risks.normalize(str(w)) for w in data.get("weak_names") or []),
        figurative=_figurative_pattern(data.get("figurative") or []),
        cues=cues,
        vocabulary={lang: frozenset(words) for lang, words in vocabulary.items()},
        question_cues=question,
        hot_from=int(temperature.get("hot_from", 28)),
        cold_to=int(temperature.get("cold_to", 0)),
        first_words={lang: _first_word_index(cues[lang])[0] for lang in cues},
        open_cues={lang: _first_word_index(cues[lang])[1] for lang in cues},
    )


def _max_typos(word: str) -> int:
    return 2 if len(word) >= 8 else 1 if len(word) >= 5 else 0


@functools.lru_cache(maxsize=20000)
def _correct(word: str, lang: str) -> str:
    """A misspelled word -> the closest cue word (same first letter), else the word itself."""
    vocabulary = _tables().vocabulary[lang]
    allowed = _max_typos(word)
    if not allowed or word in vocabulary or word.isdigit() or simplemma.is_known(word, lang=lang):
        return word
    best, best_distance = word, allowed + 1
    for candidate in vocabulary:
        if candidate[0] != word[0] or abs(len(candidate) - len(word)) > allowed or len(candidate) < 5:
            continue
        distance = OSA.distance(word, candidate, score_cutoff=allowed)
        if distance < best_distance:
            best, best_distance = candidate, distance
    return best


def _forms(text: str, lang: str) -> list[frozenset[str]]:
    result = []
    for word in tokens(text):
        # Regional spellings first ("duuster" -> "donker", "snij" -> "sneeuw"), shared with the safety net.
        word = dialect_alias(word) if lang == "nl" else word
        fixed = _correct(word, lang)
        result.append(frozenset({word, fixed, lemma(word, lang), lemma(fixed, lang)}))
    return result


def _alt_matches(alt: _Alt, forms: Iterable[str]) -> bool:
    if alt.kind == "word":
        return not alt.forms.isdisjoint(forms)
    (part,) = alt.forms or {""}
    if alt.kind == "prefix":
        return any(f.startswith(part) for f in forms)
    return any(f.endswith(part) and len(f) > len(part) for f in forms)


class _Positions:
    """Where each cue word occurs in one message, worked out once per word.

    The tables hold about 900 cues with 1,500 words and a message has a few
    dozen words; testing every cue word at every position again for each cue
    (and again inside the gap search) cost a fifth of Rasa's CPU per message.
    """

    def __init__(self, forms: Sequence[frozenset[str]]) -> None:
        self.forms = forms
        self.every = frozenset().union(*forms) if forms else frozenset()
        self._alts: dict[int, tuple[int, ...]] = {}

    def of_alt(self, alt: _Alt) -> tuple[int, ...]:
        key = id(alt)  # alts live in the cached tables, so their ids are stable
        found = self._alts.get(key)
        if found is None:
            if alt.kind == "word" and alt.forms.isdisjoint(self.every):
                found = ()
            elif alt.kind != "word" and not _alt_matches(alt, self.every):
                found = ()  # most prefix and suffix cues ("*dijk") match no word: one pass, not one per position
            else:
                found = tuple(pos for pos, word_forms in enumerate(self.forms) if _alt_matches(alt, word_forms))
            self._alts[key] = found
        return found

    def of_element(self, element: tuple[_Alt, ...]) -> tuple[int, ...]:
        if len(element) == 1:
            return self.of_alt(element[0])
        return tuple(sorted({pos for alt in element for pos in self.of_alt(alt)}))

    def first(self, element: tuple[_Alt, ...]) -> int | None:
        found = self.of_element(element)
        return found[0] if found else None

    def matches(self, cue: _Cue) -> bool:
        """All elements in order, each within MAX_GAP other words of the one before."""
        places = []
        for element in cue.elements:
            found = self.of_element(element)
            if not found:
                return False
            places.append(found)

        def from_position(index: int, start: int, end: int) -> bool:
            if index == len(places):
                return True
            for pos in places[index]:
                if pos >= end:
                    break
                if pos >= start and from_position(index + 1, pos + 1, pos + 2 + MAX_GAP):
                    return True
            return False

        return from_position(0, 0, len(self.forms))


@functools.lru_cache(maxsize=64)
def _positions(text: str, lang: str) -> _Positions:
    # decide() asks several questions about one message; they share the word forms.
    return _Positions(_forms(text, lang))


# --- the risk -----------------------------------------------------------------------


@dataclass(frozen=True)
class RiskGuess:
    """Scores per risk, the risk when one is clear, or a few candidates to ask about."""

    scores: dict[str, int] = field(default_factory=dict)
    best: str | None = None
    candidates: tuple[str, ...] = ()
    hint: str | None = None  # a single weak hint: good enough when DIET also says ask_risk


@functools.lru_cache(maxsize=1)
def _name_pattern() -> tuple[dict[str, str], re.Pattern[str]]:
    table = risks.synonyms()
    names = sorted(table, key=len, reverse=True)
    return table, re.compile(r"(?<![a-z0-9])(" + "|".join(re.escape(n) for n in names) + r")(?![a-z0-9])")


def named_risks(text: str) -> list[str]:
    """Risk keys whose name (risks.yml synonyms) occurs literally in the text, longest names first."""
    table, pattern = _name_pattern()
    norm = risks.normalize(text)
    found: list[str] = []
    # Longest first and without overlap: "natuurbrand" is not also "brand".
    for match in pattern.finditer(norm):
        key = table[match.group(1)]
        if key not in found:
            found.append(key)
    typo = risks.match_risk(text) if not found else None
    return found or ([typo] if typo else [])


def _named_weights(text: str) -> list[tuple[str, int]]:
    """Risks named in the text with their weight: NAME_WEIGHT, or a hint's 1 for names that
    are also everyday words ("rook" is smoke from any fire, or "smelled": "het rook naar
    plastic"; "virus" is often a computer virus)."""
    table, pattern = _name_pattern()
    weak = _tables().weak_names
    found: dict[str, int] = {}
    for match in pattern.finditer(risks.normalize(text)):
        key = table[match.group(1)]
        weight = 1 if match.group(1) in weak else NAME_WEIGHT
        found[key] = max(found.get(key, 0), weight)
    if not found:
        typo = risks.match_risk(text)  # "stroomstorng", "bosbrant"
        return [(typo, NAME_WEIGHT)] if typo else []
    return list(found.items())


def _temperature_scores(text: str) -> dict[str, int]:
    tables = _tables()
    scores: dict[str, int] = {}
    for match in _TEMPERATURE.finditer(strip_accents((text or "").lower())):
        value = int(match.group(2)) * (-1 if match.group(1) else 1)
        if value >= tables.hot_from:
            scores["hitte"] = DECISIVE
        elif value <= tables.cold_to:
            scores["winterweer"] = DECISIVE
    lowered = strip_accents((text or "").lower())
    if _COLD.search(lowered):
        scores["winterweer"] = DECISIVE
    for match in _HOT.finditer(lowered):
        if tables.hot_from <= int(match.group(1)) <= 50:
            scores["hitte"] = DECISIVE
    return scores


def cue_scores(text: str, lang: str = "nl") -> dict[str, int]:
    """The situation cues' score per risk (situations.yml), before names and temperatures."""
    tables = _tables()
    lang = lang if lang in tables.cues else "nl"
    positions = _positions(text, lang)
    # Only cues whose first word occurs in the message can match.
    possible: dict[str, dict[int, _Cue]] = {}
    index = tables.first_words[lang]
    for word in positions.every:
        for key, cue in index.get(word, ()):
            possible.setdefault(key, {})[id(cue)] = cue
    for key, cue in tables.open_cues[lang]:
        possible.setdefault(key, {})[id(cue)] = cue
    scores: dict[str, int] = {}
    for key in tables.cues[lang]:  # the tables' order, so ties and reports stay stable
        score = _score(tuple(possible[key].values()), positions) if key in possible else 0
        if score:
            scores[key] = score
    return scores


def guess_risk(text: str, lang: str = "nl") -> RiskGuess:
    """Which risk a message is about, from names, situation cues and temperatures."""
    scores = cue_scores(text, lang)
    for key, value in _temperature_scores(text).items():
        scores[key] = scores.get(key, 0) + value
    # A name and cues for the same risk often are the same words ("waterleiding"):
    # the higher of the two counts, not both. English messages use Dutch names too
    # ("a letter saying kookadvies").
    for key, weight in _named_weights(text):
        scores[key] = max(scores.get(key, 0), weight)
    return decide_scores(scores)


def _score(cues: Sequence[_Cue], positions: _Positions) -> int:
    """The weights of the matching cues; one-word cues on the same word count once
    (the highest), so "dijk" and "dijken" do not make one word count twice."""
    total = 0
    single: dict[int, int] = {}
    for cue in cues:
        if len(cue.elements) == 1:
            pos = positions.first(cue.elements[0])
            if pos is not None:
                single[pos] = max(single.get(pos, 0), cue.weight)
        elif positions.matches(cue):
            total += cue.weight
    return total + sum(single.values())


def decide_scores(scores: dict[str, int]) -> RiskGuess:
    ranked = sorted(scores.items(), key=lambda item: (-item[1], risks.RISK_KEYS.index(item[0])))
    if not ranked:
        return RiskGuess(scores)
    top = ranked[0][1]
    tied = tuple(key for key, score in ranked if score == top)
    if top >= DECISIVE and len(tied) == 1:
        return RiskGuess(scores, best=tied[0])
    if top >= DECISIVE:
        return RiskGuess(scores, candidates=tied[:MAX_CANDIDATES] if len(tied) <= MAX_CANDIDATES else ())
    # Only weak hints.
    if len(tied) == 1:
        return RiskGuess(scores, hint=tied[0])
    return RiskGuess(scores, candidates=tied if len(tied) <= MAX_CANDIDATES else ())


def person_in_distress(text: str, lang: str = "nl") -> bool:
    """A person ("mn buurman", "de bestuurder") and a distress word ("vast", "gewond") close together:
    "de bestuurder zit vast", not "de auto zit vast ... boodschappen voor mn moeder"."""
    tables = _tables()
    positions = _positions(text, lang)
    people = tables.people.get(lang, frozenset())
    distress = tables.distress.get(lang, frozenset())
    if positions.every.isdisjoint(people) or positions.every.isdisjoint(distress):
        return False
    forms = positions.forms
    who = [pos for pos, word in enumerate(forms) if not word.isdisjoint(people)]
    hurt = [pos for pos, word in enumerate(forms) if not word.isdisjoint(distress)]
    # A call for help counts anywhere: "opa is in de haven gegleden ... help".
    return not positions.every.isdisjoint(CALLS_FOR_HELP) or any(abs(a - b) <= DISTRESS_NEAR for a in who for b in hurt)


def is_kit_question(text: str) -> bool:
    """A question about supplies ("noodpakket", "wat moet ik in huis halen")."""
    positions = _positions(text, "nl")
    return any(positions.matches(cue) for cue in _tables().kit_cues)


def is_question(text: str, lang: str = "nl") -> bool:
    """A question or a preparation ("hoe lang", "tips", "wat moet ik doen bij")."""
    if "?" in (text or ""):
        return True
    positions = _positions(text, lang)
    return any(positions.matches(cue) for cue in _tables().question_cues.get(lang, ()))


# --- the sentence-level decision ------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    intent: str
    changed: bool  # False: DIET's intent stands
    risk_keys: tuple[str, ...]  # one key, or 2-3 candidates to ask about; () = leave entities alone
    language: str
    danger: Danger | None


def decide(text: str, intent: str | None, entity_risks: Iterable[str] = (), confidence: float = 1.0) -> Decision:
    """The final intent and risk(s) for a message, given DIET's intent and the `risk` entities.

    1. English (lingua) -> intent `english`; the English action answers (112 first for danger).
    2. Acute danger (the safety net) -> `emergency`, whatever DIET said: recall first.
       So does a statement (not a question) about a person in distress in a risk situation.
    3. DIET `emergency` that the safety net does not confirm, in a message about a risk
       situation -> `ask_risk` when it is worded as a question or names no person in
       distress: DIET alone mistakes descriptions ("de dijk lekt") for danger. DIET's
       emergency stands without a risk cue, or for a person in distress (recall first).
    4. A clear risk situation where DIET said ask_risk, out_of_scope, greet... or was
       unsure (confidence below LOW_CONFIDENCE) -> `ask_risk` with that risk; two or three
       equally likely risks -> `ask_risk` with all of them (the action asks "Bedoel je ...?").
    """
    intent = intent or "nlu_fallback"
    unsure = intent != "emergency" and confidence < LOW_CONFIDENCE
    known = [k for k in entity_risks if risks.is_risk_key(k)]
    language = detect_language(text)
    danger = find_danger(text)
    if language == ENGLISH or (intent == ENGLISH_INTENT and confidence >= LOW_CONFIDENCE and looks_english(text)):
        # DIET's `english` stands for mixed messages lingua keeps Dutch ("what do i do with
        # this stroomstoring"). A supplies question gets the kit answer, not a risk's advice.
        guess = guess_risk(text, ENGLISH)
        keys = (danger.risk,) if danger and danger.risk else _keys(guess)
        if danger is None and guess.best is None and english.is_kit_question(text):
            keys = ()
        # Marked as a change also when DIET agrees but is unsure, or FallbackClassifier drops it.
        return Decision(ENGLISH_INTENT, intent != ENGLISH_INTENT or confidence < LOW_CONFIDENCE, keys, ENGLISH, danger)
    if danger is not None:
        keys = (danger.risk,) if danger.risk else tuple(known[:1])
        return Decision("emergency", intent != "emergency", keys, language, danger)

    literal = literal_text(text)
    guess = guess_risk(literal if literal is not None else text)
    keys = _keys(guess)
    kit_reading = intent == "ask_kit" and not is_kit_question(text)
    if (
        literal is not None
        and not guess.scores
        and (intent in OVERRIDABLE or intent == "emergency" or kit_reading or unsure)
    ):
        # "een storm in een glas water", "ik sta in vuur en vlam": the only risk words are in
        # another sense, so not a risk question, whatever DIET or the risk entity says.
        return Decision("out_of_scope", intent != "out_of_scope" or unsure, (), language, None)
    distress = person_in_distress(text)
    question = is_question(text)
    if keys and distress and not question:
        # "de bestuurder zit vast", "oma reageert niet meer ... 34 graden": someone is in
        # trouble in a risk situation, whatever DIET says (recall first).
        return Decision("emergency", intent != "emergency", keys[:1], language, None)
    words = set(tokens(text))
    if question and about_numbers(text, words):
        # "mag ik 112 bellen voor een boom op het fietspad?", "stel dat het netwerk plat ligt
        # en ik moet 112 bellen": no danger (checked above), a question about whom to call.
        return Decision("ask_emergency_numbers", intent != "ask_emergency_numbers" or unsure, (), language, None)
    if intent == "emergency":
        describes_risk = bool(keys or known)
        if describes_risk and (question or not distress):
            return Decision("ask_risk", True, keys or tuple(known[:1]), language, None)
        if question and not distress:
            # DIET alone mistakes many questions for danger ("wat wordt het weer morgen, kan
            # ik de was buiten hangen"); the safety net saw none and nobody is in trouble.
            return Decision("ask_risk", True, (), language, None)
        return Decision(intent, False, (), language, None)
    budget_112 = intent == "inform_budget" and not words & {
        "euro",
        "eur",
        "budget",
    }  # "112 doet t niet", not "112 euro"
    if "112" in words and (unsure or intent in ABOUT_112_FROM or budget_112) and intent != "ask_emergency_numbers":
        # "wat als 112 niet werkt", "hoe werkt 112 eigenlijk": no danger here (checked above),
        # so a message about 112 itself gets the numbers answer (when 112, what else).
        return Decision("ask_emergency_numbers", True, (), language, None)
    if intent in OVERRIDABLE_WHEN_CLEAR and guess.best and not unsure:
        return Decision("ask_risk", True, (guess.best,), language, None)
    if intent == "ask_emergency_numbers" and guess.best and not _tables().number_words & words:
        return Decision("ask_risk", True, (guess.best,), language, None)
    if intent == "ask_kit" and guess.best and (not is_kit_question(text) or _clear_without_kit_name(text, guess)):
        return Decision("ask_risk", True, (guess.best,), language, None)
    if intent == "ask_risk" and not (keys or known) and is_kit_question(text):
        # "wat moet er in mijn tas zitten om snel weg te kunnen": supplies, no risk named.
        return Decision("ask_kit", True, (), language, None)
    if intent == "out_of_scope" and unsure and confidence >= UNSURE_OUT_OF_SCOPE and not guess.scores:
        # DIET leans to out of scope and nothing in the message says otherwise: the polite
        # refusal says more than "not understood" ("wat is 15 procent van 240").
        return Decision("out_of_scope", True, (), language, None)
    if intent in OVERRIDABLE or unsure:
        # Unsure DIET: the decision must be marked as a change, or FallbackClassifier drops it.
        changed = intent != "ask_risk" or unsure
        chosen = guess.best or (guess.hint if intent == "ask_risk" or unsure else None)
        if chosen:
            return Decision("ask_risk", changed, (chosen,), language, None)
        narrow = intent == "ask_risk" or unsure or max(guess.scores.values(), default=0) >= DECISIVE
        if guess.candidates and not known and narrow:
            return Decision("ask_risk", changed, guess.candidates, language, None)
    return Decision(intent, False, (), language, None)


def _clear_without_kit_name(text: str, guess: RiskGuess) -> bool:
    """A very clear situation in a message that does not name the kit itself: "het
    waterbedrijf zegt 3 dagen water koken, mag ik douchen" is kookadvies."""
    if guess.best is None or guess.scores.get(guess.best, 0) < CLEAR_SITUATION:
        return False
    positions = _positions(text, "nl")
    return not any(positions.matches(cue) for cue in _tables().kit_names)


# A risk named in a question about 112 makes it a risk question ("is een overstroming een
# reden om 112 te bellen"); a phone or network outage does not: the numbers answer says
# where to go when 112 cannot be reached.
_NUMBERS_NOT_A_RISK = frozenset({"telecomstoring"})


def about_numbers(text: str, words: set[str] | None = None) -> bool:
    """A question about 112 or another number to call, not about a named risk."""
    words = words if words is not None else set(tokens(text))
    if words & _tables().number_names:
        return True
    positions = _positions(text, "nl")
    if any(positions.matches(cue) for cue in _tables().number_questions):
        return not [key for key in named_risks(text) if key not in _NUMBERS_NOT_A_RISK]
    if "112" not in words:
        return False
    return not [key for key in named_risks(text) if key not in _NUMBERS_NOT_A_RISK]


def _keys(guess: RiskGuess) -> tuple[str, ...]:
    if guess.best:
        return (guess.best,)
    if guess.candidates:
        return guess.candidates
    return (guess.hint,) if guess.hint else ()


def entity_for(key: str, candidate: bool, extractor: str) -> dict[str, Any]:
    """A `risk` entity as Rasa's parse output carries it (no span: it comes from the whole message)."""
    entity: dict[str, Any] = {"entity": "risk", "value": key, "confidence_entity": 1.0, "extractor": extractor}
    if candidate:
        entity["candidate"] = True
    return entity
