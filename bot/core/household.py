"""Read a household, a budget and special needs from free Dutch chat text.

Pure functions, no Rasa. Examples they handle:
  "we zijn met z'n vieren"            -> {"adults": 4, ...}
  "2 volwassenen en een baby"         -> {"adults": 2, "babies": 1, ...}
  "ik woon alleen met mijn hond"      -> {"adults": 1, "pets": 1, ...}
  "vijf tientjes" / "50 euro"         -> 50.0
  "geen geld" / "weet ik niet"        -> 0.0 (the plan then starts with what is free)
  "nee" (asked about needs)           -> []

Choices (documented for the plan text and the tests):
- A total without detail ("met z'n vieren") counts as adults: the cash advice is
  then on the safe side, and the resident can correct it.
- A plural without a number ("met mijn kinderen") counts as two.
- "ik" without others counts as one adult; "wij" without a number as two.
- Several amounts in one budget answer ("20 of 30 euro") give the lowest:
  the plan must never spend more than the resident can.
The word lists below are parser vocabulary (not texts shown to residents); need
keywords live in data/knowledge/noodpakket.yml next to the needs themselves.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from rapidfuzz import fuzz

from bot.core.kit import COUNT_FIELDS, MAX_BUDGET_EUR, MAX_PERSONS, MAX_PETS
from bot.core.knowledge import load_yaml
from bot.core.text import strip_accents

UNITS = {
    "nul": 0,
    "een": 1,
    "eén": 1,
    "één": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
}
TEENS = {
    "tien": 10,
    "elf": 11,
    "twaalf": 12,
    "dertien": 13,
    "veertien": 14,
    "vijftien": 15,
    "zestien": 16,
    "zeventien": 17,
    "achttien": 18,
    "negentien": 19,
}
TENS = {
    "twintig": 20,
    "dertig": 30,
    "veertig": 40,
    "vijftig": 50,
    "zestig": 60,
    "zeventig": 70,
    "tachtig": 80,
    "negentig": 90,
}
# "met z'n vieren", "met ons drieën"
COLLECTIVE = {
    "tweeen": 2,
    "drieen": 3,
    "vieren": 4,
    "vijven": 5,
    "zessen": 6,
    "zevenen": 7,
    "achten": 8,
    "negenen": 9,
    "tienen": 10,
    "elven": 11,
    "twaalven": 12,
}
# Informal money words: "een tientje", "twee briefjes van twintig".
MONEY_WORDS = {
    "tientje": 10,
    "tientjes": 10,
    "tientjs": 10,
    "vijfje": 5,
    "vijfjes": 5,
    "joetje": 10,
    "rooie": 100,
    "rooietje": 100,
    "honderdje": 100,
    "piek": 1,
    "pieken": 1,
    "knaak": 2.5,
    "knaken": 2.5,
}
EURO_WORDS = {"euro", "euros", "eur", "€", "e", "eu", "eurotjes", "euri"}
FEW = {"paar", "paartje"}  # "een paar tientjes" -> 2 tientjes

# Household vocabulary: word -> (field, is_plural). Misspellings are caught by fuzzy matching.
CATEGORY_WORDS: dict[str, tuple[str, bool]] = {}
for _field, _singular, _plural in (
    (
        "adults",
        [
            "volwassene",
            "volwassen",
            "volw",
            "persoon",
            "huisgenoot",
            "huisgenote",
            "ouder",
            "oudere",
            "bejaarde",
            "grote",
        ],
        [
            "volwassenen",
            "volwassene's",
            "personen",
            "mensen",
            "huisgenoten",
            "ouders",
            "ouderen",
            "bejaarden",
            "man",
            "vrouwen",
            "stel",
            "koppel",
            "echtpaar",
        ],
    ),
    (
        "children",
        [
            "kind",
            "kindje",
            "kid",
            "zoon",
            "zoontje",
            "dochter",
            "dochtertje",
            "tiener",
            "peuter",
            "kleuter",
            "puber",
            "jongen",
            "meisje",
            "kleinkind",
            "pleegkind",
            "dreumes",
        ],
        [
            "kinderen",
            "kinders",
            "kindjes",
            "kids",
            "zonen",
            "zoons",
            "dochters",
            "tieners",
            "peuters",
            "kleuters",
            "pubers",
            "jongens",
            "meisjes",
            "kleinkinderen",
            "pleegkinderen",
            "tweeling",
        ],
    ),
    (
        "babies",
        ["baby", "babytje", "zuigeling", "pasgeborene", "baby'tje"],
        ["baby's", "babys", "babies", "babytjes", "zuigelingen", "pasgeborenen"],
    ),
    (
        "pets",
        [
            "huisdier",
            "hond",
            "hondje",
            "kat",
            "katje",
            "poes",
            "poesje",
            "konijn",
            "cavia",
            "hamster",
            "vogel",
            "parkiet",
            "kanarie",
            "papegaai",
            "kip",
            "schildpad",
            "fret",
            "rat",
            "muis",
        ],
        [
            "huisdieren",
            "honden",
            "hondjes",
            "katten",
            "katjes",
            "poezen",
            "poesjes",
            "konijnen",
            "cavia's",
            "cavias",
            "hamsters",
            "vogels",
            "parkieten",
            "kanaries",
            "kippen",
            "schildpadden",
            "fretten",
            "ratten",
            "muizen",
            "dieren",
        ],
    ),
):
    for _w in _singular:
        CATEGORY_WORDS[_w] = (_field, False)
    for _w in _plural:
        CATEGORY_WORDS[_w] = (_field, True)
# "persoon/personen/mensen" is a total, not only adults: handled as TOTAL_WORDS.
TOTAL_WORDS = {"persoon", "personen", "mensen", "man"}
for _w in TOTAL_WORDS:
    CATEGORY_WORDS.pop(_w, None)
# One more adult each: "ik en mijn vrouw", "met mijn moeder".
PARTNER_WORDS = {
    "partner",
    "vrouw",
    "man",
    "vriend",
    "vriendin",
    "echtgenoot",
    "echtgenote",
    "lief",
    "huisgenoot",
    "huisgenote",
    "moeder",
    "vader",
    "mama",
    "papa",
    "ma",
    "pa",
    "opa",
    "oma",
    "schoonmoeder",
    "schoonvader",
    "vrouwtje",
    "mannetje",
    "zus",
    "zuster",
    "broer",
    "vriendje",
    "vriendinnetje",
    "liefje",
    "wederhelft",
    "verloofde",
}
FIRST_PERSON = {"ik", "mij", "me", "mijn", "mn", "m'n", "ikke", "k"}
PLURAL_PERSON = {"we", "wij", "ons", "onze", "wé"}
ALONE_WORDS = {"alleen", "alleenstaand", "alleenstaande", "eentje", "single", "vrijgezel"}
ADJECTIVES = {
    "kleine",
    "klein",
    "jonge",
    "jong",
    "grote",
    "groot",
    "oude",
    "oud",
    "lieve",
    "eigen",
    "thuiswonende",
    "thuiswonend",
    "volwassen",
    "jonger",
    "ouder",
    "nog",
    "ook",
    "al",
    "er",
}
COUPLE_WORDS = {"stel", "koppel", "echtpaar"}
POSSESSIVE = {"mijn", "m'n", "mn", "me"}
INCLUSIVE_MARKERS = {"waarvan", "daarvan", "inclusief", "incl", "waaronder", "namelijk", "dus", "oftewel"}
NEGATIONS = {"geen", "zonder"}
ANSWER_NO = {
    "nee",
    "neen",
    "nop",
    "nope",
    "nah",
    "nee hoor",
    "geen",
    "niks",
    "niets",
    "n",
    "nvt",
    "n.v.t.",
    "geen idee",
    "neej",
    "nee dank je",
    "nee bedankt",
    "niet",
    "geen bijzonderheden",
    "nee, niks",
    "nee niks",
    "nee geen",
    "neee",
    "neeee",
}
UNKNOWN_BUDGET = (
    r"weet\s+(?:ik\s+)?(?:het\s+)?(?:nog\s+)?niet",
    r"geen\s+idee",
    r"\bidk\b",
    r"geen\s+flauw",
    r"weet\s+ik\s+veel",
    r"onbekend",
    r"\bgeen\s+zin\b",
)
NO_MONEY = (
    r"geen\s+(?:geld|budget|cent|euro|rooie\s+cent|poen|centen|\w+\s+geld)",
    r"\bniks\b",
    r"\bniets\b",
    r"\bnul\b",
    r"kan\s+(?:niks|niets|het\s+niet)\s+missen",
    r"\bblut\b",
    r"\bkrap\b",
    r"heb\s+het\s+niet",
    r"kan\s+ik\s+niet\s+betalen",
    r"te\s+duur",
)
DIGIT_RE = re.compile(r"^\d+(?:[.,]\d+)?$")


def _normalise(text: str) -> str:
    """Lower case, straight apostrophes, no accents except what we match on."""
    text = (text or "").lower()
    text = text.replace("’", "'").replace("‘", "'").replace("`", "'").replace("´", "'")
    return strip_accents(text)


def _tokens(text: str) -> list[str]:
    """Words, numbers (with decimal comma) and the euro sign, in order."""
    text = re.sub(r"(\d)\s*-\s*(?=\D|$)", r"\1 ", text)  # "50,-" / "50-" -> "50"
    return re.findall(r"€|\d+(?:[.,]\d+)*|[a-z]+(?:'[a-z]+)?|'[a-z]+", text)


def number_word(word: str) -> int | None:
    """Dutch number word or digits -> int ('vijfentwintig' -> 25, 'tweehonderd' -> 200)."""
    word = _normalise(word).strip()
    if not word:
        return None
    if word.isdigit():
        return int(word)
    if word in UNITS:
        return UNITS[word]
    if word in TEENS:
        return TEENS[word]
    if word in TENS:
        return TENS[word]
    if "duizend" in word:
        left, _, right = word.partition("duizend")
        head = number_word(left) if left else 1
        tail = number_word(right) if right else 0
        if head is None or tail is None or tail >= 1000:
            return None
        return head * 1000 + tail
    if "honderd" in word:
        left, _, right = word.partition("honderd")
        head = number_word(left) if left else 1
        tail = number_word(right.removeprefix("en")) if right else 0
        if head is None or tail is None or head > 9 or tail >= 100:
            return None
        return head * 100 + tail
    for tens_word, tens_value in TENS.items():
        # "vijfentwintig", "tweeentwintig" (the diaeresis is stripped by _normalise)
        prefix = word[: -len(tens_word)] if word.endswith(tens_word) else ""
        if prefix.endswith("en") and UNITS.get(prefix[:-2], 0) > 0:
            return UNITS[prefix[:-2]] + tens_value
    return None


def _digits(token: str) -> float | None:
    """'12,50' -> 12.5, '1.000' -> 1000, '7.5' -> 7.5."""
    if not DIGIT_RE.match(token) and not re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        return None
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", token):
        token = token.replace(".", "")
    return float(token.replace(",", "."))


def _count(token: str) -> int | None:
    if token in FEW:
        return 2
    value = _digits(token)
    if value is not None:
        return int(value) if value == int(value) else None
    return number_word(token)


def _category(token: str) -> tuple[str, bool] | None:
    if token in CATEGORY_WORDS:
        return CATEGORY_WORDS[token]
    if len(token) < 5 or token in PARTNER_WORDS or token in TOTAL_WORDS or number_word(token) is not None:
        return None
    # Tolerate typos ("kinderren", "volwasenen"), but only on longer words.
    best, best_score = None, 0.0
    for word, value in CATEGORY_WORDS.items():
        if len(word) < 5:
            continue
        score = fuzz.ratio(token, word)
        if score > best_score:
            best, best_score = value, score
    return best if best_score >= 86 else None


@dataclass
class HouseholdMentions:
    """What one message says about the household (None = not mentioned)."""

    counts: dict[str, int] = field(default_factory=dict)
    total: int | None = None
    total_end: int = -1  # token index where the total phrase ends
    additive_after_total: bool = False
    inclusive: bool = False
    first_person: bool = False
    plural_person: bool = False
    alone: bool = False
    partners: int = 0
    relatives: int = 0  # adults named as "mijn ouders", "mijn 2 huisgenoten"

    @property
    def anything(self) -> bool:
        return bool(self.counts) or self.total is not None or self.alone or self.partners > 0


def _number_before(tokens: list[str], index: int) -> int | None:
    """A count just before tokens[index], skipping up to two adjectives ("2 kleine kinderen")."""
    j = index - 1
    skipped = 0
    while j >= 0 and skipped <= 2:
        value = _count(tokens[j])
        if value is not None:
            return value
        if tokens[j] not in ADJECTIVES and tokens[j] not in {"mijn", "onze", "m'n", "mn", "de", "het"}:
            return None
        j -= 1
        skipped += 1
    return None


def _negated(tokens: list[str], index: int) -> bool:
    return index > 0 and (
        tokens[index - 1] in NEGATIONS
        or (index > 1 and tokens[index - 2] in NEGATIONS and tokens[index - 1] in ADJECTIVES)
    )


def _collective(tokens: list[str], i: int) -> tuple[int, int] | None:
    """'met z'n vieren' / 'met ons 4en' / 'we zijn met 4' -> (count, end index)."""
    if tokens[i] != "met":
        return None
    j = i + 1
    if j < len(tokens) and tokens[j] in {"z'n", "zn", "zijn", "ons", "zen", "hun", "jullie", "z"}:
        j += 1
        if j < len(tokens) and tokens[j] == "'n":
            j += 1
    if j >= len(tokens):
        return None
    word = tokens[j]
    if word in COLLECTIVE:
        return COLLECTIVE[word], j
    match = re.fullmatch(r"(\d+)(?:en|n)?", word)
    if match:
        digits = int(match.group(1))
        # "met 4" only counts as a total when followed by persons or at the end.
        after = tokens[j + 1] if j + 1 < len(tokens) else None
        if j > i + 1 or after is None or after in TOTAL_WORDS or after in {"en", "in", "thuis", "dus", "waarvan"}:
            return digits, j + (1 if after in TOTAL_WORDS else 0)
        return None
    value = number_word(word)
    if value is not None and j + 1 < len(tokens) and tokens[j + 1] in TOTAL_WORDS:
        return value, j + 1
    if value is not None and j > i + 1:
        return value, j
    if value is not None and (j + 1 >= len(tokens) or tokens[j + 1] in {"en", "thuis", "in"}):
        return value, j
    return None


def mentions(text: str) -> HouseholdMentions:
    """Find counts, totals and hints ("ik", "wij", "alleen") in one message."""
    tokens = _tokens(_normalise(text))
    found = HouseholdMentions()
    consumed: set[int] = set()
    for i, token in enumerate(tokens):
        if token in INCLUSIVE_MARKERS:
            found.inclusive = True
        if token in FIRST_PERSON:
            found.first_person = True
        if token in PLURAL_PERSON:
            found.plural_person = True
        if token in ALONE_WORDS and not (i > 0 and tokens[i - 1] in {"niet", "nooit"}):
            found.alone = True
        collective = _collective(tokens, i)
        if collective and found.total is None:
            found.total, found.total_end = collective
            consumed.update(range(i, collective[1] + 1))
            continue
        if token in TOTAL_WORDS and found.total is None:
            value = _number_before(tokens, i)
            # "een man" is a partner, "4 man" is a total.
            if value is not None and not (token == "man" and value < 2):
                found.total, found.total_end = value, i
                continue
        if token in {"gezin", "huishouden", "familie"} and i + 2 < len(tokens) and tokens[i + 1] == "van":
            value = _count(tokens[i + 2])
            if value is not None:
                found.total, found.total_end = value, i + 2
                consumed.add(i + 2)
                continue
        # "we zijn 4" / "wij zijn met vier"
        if token == "zijn" and i > 0 and tokens[i - 1] in PLURAL_PERSON and i + 1 < len(tokens) and found.total is None:
            value = _count(tokens[i + 1]) if tokens[i + 1] != "een" else None
            if value is not None and not (i + 2 < len(tokens) and _category(tokens[i + 2])):
                found.total, found.total_end = value, i + 1
                consumed.add(i + 1)
                continue
        if (
            token in PARTNER_WORDS
            and i > 0
            and tokens[i - 1] in {"mijn", "m'n", "mn", "me", "de", "onze", "ons", "een"}
        ):
            found.partners += 1
            continue
        category = _category(token)
        if category is None or i in consumed:
            continue
        name, is_plural = category
        if name == "adults" and token == "grote" and not (i + 1 < len(tokens) and tokens[i + 1] == "mensen"):
            continue
        if _negated(tokens, i):
            value = 0
        else:
            value = _number_before(tokens, i)
            if value is None:
                value = 2 if is_plural else 1
            if token == "ouders" and _number_before(tokens, i) is None:
                value = 2
            if token in COUPLE_WORDS:
                value = 2 * (_number_before(tokens, i) or 1)  # "een stel" is two people
            if name == "adults" and (
                i > 0 and tokens[i - 1] in POSSESSIVE or i > 1 and tokens[i - 2] in POSSESSIVE and _count(tokens[i - 1])
            ):
                found.relatives += value  # "mijn ouders": others besides "ik"
        # Mentions add up: "2 zonen en een dochter", "2 katten en een hond".
        found.counts[name] = found.counts.get(name, 0) + value
        if found.total is not None and found.total_end >= 0 and name in ("children", "babies"):
            between = tokens[found.total_end + 1 : i]
            if (
                between
                and between[0] in {"en", "plus", "+"}
                and all(
                    t in {"en", "plus", "+", "nog", "ook", "een"} or t in ADJECTIVES or _count(t) is not None
                    for t in between
                )
            ):
                found.additive_after_total = True
    return found


def _clean(household: Mapping[str, int]) -> dict[str, int] | None:
    result = {name: int(household.get(name, 0) or 0) for name in COUNT_FIELDS}
    persons = result["adults"] + result["children"] + result["babies"]
    if persons == 0 or persons > MAX_PERSONS or result["pets"] > MAX_PETS:
        return None
    return result


def parse_household(text: str, previous: Mapping[str, Any] | None = None, asked: bool = False) -> dict[str, int] | None:
    """A household dict {adults, children, babies, pets}, or None if the text says nothing usable.

    With `previous`, a message that names only some groups corrects just those
    ("nee, drie kinderen" keeps the adults and sets the children to 3).
    `asked` means the bot just asked who lives here, so a bare "4" is four persons.
    """
    found = mentions(text)
    if not found.anything:
        tokens = _tokens(_normalise(text))
        value = _count(tokens[0]) if asked and len(tokens) == 1 else None
        return _clean({"adults": value}) if value else None
    counts = dict(found.counts)
    if found.first_person and found.total is None and 0 < found.relatives == counts.get("adults", 0):
        # "ik woon bij mijn ouders": the parents plus the writer.
        counts["adults"] += 1 + found.partners
    if isinstance(previous, Mapping) and found.total is None and not found.alone and found.partners == 0 and counts:
        merged = {name: int(previous.get(name, 0) or 0) for name in COUNT_FIELDS}
        merged.update(counts)
        return _clean(merged)

    adults = counts.get("adults")
    young = counts.get("children", 0) + counts.get("babies", 0)
    if adults is None and found.total is not None:
        if found.additive_after_total or young == 0:
            adults = found.total
        elif found.inclusive or found.total > young:
            adults = found.total - young
        else:
            adults = found.total
    if adults is None:
        if found.alone or found.first_person:
            adults = 1 + found.partners
        elif found.plural_person:
            adults = max(2, found.partners + 1)
        elif found.partners:
            adults = 1 + found.partners
        elif asked:
            # Only children, babies or pets named in answer to our question:
            # someone looks after them. The plan shows it, so it can be corrected.
            adults = 1
        else:
            return None  # "noodpakket met een baby" says too little about the household
    counts["adults"] = adults
    return _clean(counts)


def _amounts(tokens: list[str], bare_numbers: bool) -> list[float]:
    """Money amounts in token order. Bare numbers count only when we asked for money."""
    amounts: list[float] = []
    used: set[int] = set()
    for i, token in enumerate(tokens):
        if i in used:
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in MONEY_WORDS:
            count = _count(tokens[i - 1]) if i > 0 else None
            amounts.append((count or 1) * MONEY_WORDS[token])
            continue
        if token == "briefje" and nxt == "van" and i + 2 < len(tokens):
            value = _money_value(tokens[i + 2])
            if value is not None:
                count = _count(tokens[i - 1]) if i > 0 else None
                amounts.append((count or 1) * value)
                used.add(i + 2)
            continue
        if token == "briefjes" and nxt == "van" and i + 2 < len(tokens):
            value = _money_value(tokens[i + 2])
            count = _count(tokens[i - 1]) if i > 0 else None
            if value is not None:
                amounts.append((count or 2) * value)
                used.add(i + 2)
            continue
        value = _money_value(token)
        if value is None:
            continue
        if nxt in MONEY_WORDS or nxt in {"briefje", "briefjes"} or nxt in FEW:
            continue  # a count: "vijf tientjes" is handled at the money word
        prev = tokens[i - 1] if i > 0 else ""
        after = tokens[i + 3] if i + 3 < len(tokens) else ""
        if (
            nxt in {"of", "a", "tot", "en"}
            and i + 2 < len(tokens)
            and _money_value(tokens[i + 2]) is not None
            and after in EURO_WORDS
        ):
            amounts.append(value)  # "20 of 30 euro": both are amounts
            continue
        if nxt in EURO_WORDS or prev == "€":
            cents = 0.0
            # "20 euro 50" -> 20.50
            if nxt in EURO_WORDS and i + 2 < len(tokens):
                tail = _money_value(tokens[i + 2])
                if (
                    tail is not None
                    and tail < 100
                    and tail == int(tail)
                    and (i + 3 >= len(tokens) or tokens[i + 3] in {"cent"})
                ):
                    cents = tail / 100
                    used.add(i + 2)
            amounts.append(value + cents)
            continue
        if nxt == "cent":
            amounts.append(value / 100)
            continue
        # "een" alone is mostly the article ("een heleboel"), not one euro.
        if (
            bare_numbers
            and token != "een"
            and _category(nxt) is None
            and nxt not in TOTAL_WORDS
            and nxt not in COLLECTIVE
            and prev != "met"
            and not _category(prev or "x")
        ):
            amounts.append(value)
    return amounts


def _money_value(token: str) -> float | None:
    value = _digits(token)
    if value is not None:
        return value
    number = number_word(token)
    return float(number) if number is not None else None


def parse_budget(text: str, asked: bool = False) -> float | None:
    """An amount in euros, 0.0 for 'geen geld' or 'weet ik niet', or None if unclear.

    `asked` means the bot just asked for the budget, so a bare number ("20",
    "twintig") is an amount. Otherwise a money word is needed ("euro", "€", "tientje").
    """
    norm = _normalise(text)
    tokens = _tokens(norm)
    amounts = _amounts(tokens, bare_numbers=asked)
    if amounts:
        amount = min(amounts)
        return round(float(min(amount, MAX_BUDGET_EUR)), 2)
    if asked or re.search(r"\b(?:geld|budget|euro|uitgeven|besteden|betalen)\b", norm):
        if any(re.search(p, norm) for p in NO_MONEY):
            return 0.0
        if any(re.search(p, norm) for p in UNKNOWN_BUDGET):
            return 0.0
    return None


@functools.lru_cache(maxsize=1)  # knowledge files only change on deploy (bot/core/knowledge.py)
def _need_keywords() -> tuple[tuple[str, str], ...]:
    pairs = []
    for key, spec in load_yaml("noodpakket.yml")["needs"].items():
        for word in spec.get("keywords") or []:
            pairs.append((_normalise(word), key))
    return tuple(pairs)


def parse_needs(text: str, asked: bool = False) -> list[str] | None:
    """Need keys mentioned in the text (YAML order), [] for 'nee'/'geen' when asked, else None."""
    norm = _normalise(text)
    padded = " " + " ".join(_tokens(norm)) + " "
    order = list(load_yaml("noodpakket.yml")["needs"].keys())
    found: set[str] = set()
    for word, key in _need_keywords():
        if f" {word} " in padded or (len(word) >= 6 and f" {word}" in padded):
            # "geen medicijnen" is a no, not a need.
            before = padded.split(f" {word}")[0].split()
            if before and before[-1] in NEGATIONS:
                continue
            found.add(key)
    if found:
        return [key for key in order if key in found]
    if asked:
        stripped = re.sub(r"[^a-z ]", " ", norm)
        stripped = " ".join(stripped.split())
        words = stripped.split()
        if stripped in ANSWER_NO or (words and words[0] in {"nee", "neen", "geen", "niks", "niets", "nope", "nah"}):
            return []
        if re.search(r"\b(?:geen|niks|niets)\s+(?:bijzonder|speciaal|bijzonders|speciaals|extra)", stripped):
            return []
        if re.search(r"\bniet\s+(?:nodig|van\s+toepassing)\b", stripped):
            return []
    return None
