"""Parsing household, budget and needs from free Dutch (bot/core/household.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.household import number_word, parse_budget, parse_household, parse_needs


def hh(adults=0, children=0, babies=0, pets=0):
    return {"adults": adults, "children": children, "babies": babies, "pets": pets}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("we zijn met z'n vieren", hh(4)),
        ("We zijn met z’n vieren", hh(4)),
        ("met zn 4en", hh(4)),
        ("we zijn met ons drieën", hh(3)),
        ("we zijn met vier personen", hh(4)),
        ("4 personen", hh(4)),
        ("gezin van 5", hh(5)),
        ("we zijn 3", hh(3)),
        ("2 volwassenen en een baby", hh(2, babies=1)),
        ("ik woon alleen met mijn hond", hh(1, pets=1)),
        ("ik woon alleen", hh(1)),
        ("alleen ik", hh(1)),
        ("mijn man en ik", hh(2)),
        ("ik en mijn vrouw en 3 kinderen", hh(2, 3)),
        ("ik woon met mijn 2 kinderen", hh(1, 2)),
        ("wij hebben twee kids en een kat", hh(2, 2, pets=1)),
        ("we zijn met z'n tweeën en een baby", hh(2, babies=1)),
        ("we zijn met 4, waarvan 2 kinderen", hh(2, 2)),
        ("we zijn met 7: 2 volwassenen en 5 kinderen", hh(2, 5)),
        ("3 volwassenen, 2 kinderen, 1 baby, 2 katten en een hond", hh(3, 2, 1, 3)),
        ("twee grote mensen en 4 kleine kinderen", hh(2, 4)),
        ("2 volwasenen 3 kinderren", hh(2, 3)),  # typos
        ("we zijn met 4 en hebben 30 euro", hh(4)),
        ("drie volwassenen en zes kinderen", hh(3, 6)),  # large household
        ("ik heb een man en 2 kinderen", hh(2, 2)),
        ("wij zijn een gezin met 3 kinderen", hh(2, 3)),
        ("ik woon bij mijn ouders", hh(3)),
        ("ik en mijn 3 huisgenoten", hh(4)),
        ("een stel met een hond", hh(2, pets=1)),
        ("2 ouders en 3 kinderen", hh(2, 3)),
        ("we zijn met 4 man", hh(4)),
    ],
)
def test_household_phrasings(text, expected):
    assert parse_household(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("4", hh(4)),
        ("vier", hh(4)),
        ("nee", None),
        ("een", hh(1)),
        # Only children or pets: one adult is assumed, but only as an answer to our question.
        ("geen kinderen, wel 2 honden", hh(1, pets=2)),
        ("2 kinderen", hh(1, 2)),
        ("met een baby", hh(1, babies=1)),
    ],
)
def test_bare_count_is_the_household_only_when_asked(text, expected):
    assert parse_household(text, asked=True) == expected
    assert parse_household(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "twintig euro",
        "50 euro",
        "hallo",
        "wat moet ik doen bij storm",
        "nee",
        "weet ik niet",
        "",
        "we zijn met 0",
        "we zijn met 500 personen",
    ],
)
def test_no_household_in_text(text):
    assert parse_household(text) is None


def test_correction_changes_only_named_group():
    before = hh(2, 2)
    assert parse_household("nee, drie kinderen", previous=before) == hh(2, 3)
    assert parse_household("oh en ook een baby", previous=before) == hh(2, 2, 1)
    assert parse_household("geen huisdieren", previous=hh(1, pets=2)) == hh(1)


def test_correction_with_a_new_total_replaces_the_household():
    assert parse_household("nee, we zijn met z'n drieën", previous=hh(2, 2)) == hh(3)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("twintig euro", 20.0),
        ("50 euro", 50.0),
        ("€ 12,50", 12.5),
        ("€50", 50.0),
        ("ik kan 15 euro missen", 15.0),
        ("vijf tientjes", 50.0),
        ("een tientje", 10.0),
        ("een paar tientjes", 20.0),
        ("een briefje van 20", 20.0),
        ("honderd euro", 100.0),
        ("tweehonderdvijftig euro", 250.0),
        ("1.000 euro", 1000.0),
        ("20 of 30 euro", 20.0),  # the lowest: never plan above what you can
        ("we zijn met 4 en hebben 30 euro", 30.0),
        ("geen geld", 0.0),
        ("ik heb geen budget", 0.0),
    ],
)
def test_budget_phrasings(text, expected):
    assert parse_budget(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("20", 20.0),
        ("twintig", 20.0),
        ("ongeveer 40", 40.0),
        ("50,-", 50.0),
        ("vijfentwintig", 25.0),
        ("weet ik niet", 0.0),
        ("geen idee", 0.0),
        ("niks", 0.0),
        ("nul", 0.0),
    ],
)
def test_bare_budget_answers_when_asked(text, expected):
    assert parse_budget(text, asked=True) == expected


@pytest.mark.parametrize("text", ["20", "weet ik niet", "we zijn met 4", "nee, drie kinderen", "hallo"])
def test_no_budget_unless_money_is_mentioned(text):
    assert parse_budget(text) is None


@pytest.mark.parametrize("text", ["nee, drie kinderen", "2 kinderen", "we zijn met z'n vieren", "hoe laat is het"])
def test_household_answers_are_not_a_budget_even_when_asked(text):
    assert parse_budget(text, asked=True) is None


@pytest.mark.parametrize(
    "text,asked,expected",
    [
        ("nee", True, []),
        ("geen", True, []),
        ("nee hoor", True, []),
        ("geen bijzondere dingen", True, []),
        ("geen medicijnen", True, []),
        ("medicijnen", False, ["medicijnen"]),
        ("ik gebruik insuline", False, ["medicijnen"]),
        ("mijn zoon zit in een rolstoel", False, ["mobiliteit"]),
        ("ik ben slechthorend en mijn man is blind", False, ["gehoor", "zicht"]),
        ("2 volwassenen en een baby", False, ["babyvoeding", "luiers"]),
        ("glutenvrij dieet", False, ["dieet"]),
        ("nee", False, None),
        ("we zijn met z'n vieren", True, None),
        ("wat is een noodpakket", True, None),
    ],
)
def test_needs(text, asked, expected):
    assert parse_needs(text, asked=asked) == expected


@pytest.mark.parametrize(
    "word,value",
    [
        ("een", 1),
        ("één", 1),
        ("twee", 2),
        ("twaalf", 12),
        ("twintig", 20),
        ("dertig", 30),
        ("veertig", 40),
        ("vijftig", 50),
        ("honderd", 100),
        ("vijfentwintig", 25),
        ("tweeëntwintig", 22),
        ("honderdvijftig", 150),
        ("tweehonderd", 200),
        ("duizend", 1000),
        ("7", 7),
    ],
)
def test_number_words(word, value):
    assert number_word(word) == value


@pytest.mark.parametrize("word", ["kinderen", "enen", "eenhonderdhonderd", "x"])
def test_not_number_words(word):
    assert number_word(word) is None


DUTCH_UNITS = ["een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"]
DUTCH_TENS = ["twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig", "tachtig", "negentig"]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 9), st.integers(2, 9))
def test_compound_number_words(unit, tens):
    joiner = "ën" if DUTCH_UNITS[unit - 1].endswith("e") else "en"
    word = DUTCH_UNITS[unit - 1] + joiner + DUTCH_TENS[tens - 2]
    assert number_word(word) == unit + tens * 10


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 20), st.integers(0, 10), st.integers(0, 3))
def test_generated_household_sentences(adults, children, pets):
    parts = [f"{adults} volwassenen" if adults != 1 else "1 volwassene"]
    if children:
        parts.append(f"{children} kinderen" if children != 1 else "1 kind")
    if pets:
        parts.append(f"{pets} huisdieren" if pets != 1 else "1 huisdier")
    assert parse_household(" en ".join(parts)) == hh(adults, children, pets=pets)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5000), st.sampled_from(["{} euro", "€{}", "€ {}", "ik heb {} euro", "{} eur", "max {} euro"]))
def test_generated_budget_sentences(amount, pattern):
    assert parse_budget(pattern.format(amount)) == float(amount)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parsers_never_crash(text):
    result = parse_household(text)
    assert result is None or sum(result[k] for k in ("adults", "children", "babies")) > 0
    budget = parse_budget(text, asked=True)
    assert budget is None or budget >= 0
    needs = parse_needs(text, asked=True)
    assert needs is None or isinstance(needs, list)
