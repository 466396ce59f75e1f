"""The risk catalogue: completeness, sources, synonyms, matching and phase detection."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.core import risks
from bot.core.knowledge import load_yaml

CONTRACT_KEYS = [
    "stroomstoring",
    "overstroming",
    "storm",
    "hitte",
    "winterweer",
    "natuurbrand",
    "brand",
    "gevaarlijke_stoffen",
    "drinkwater",
    "telecomstoring",
    "cyberaanval",
    "infectieziekte",
    "kernongeval",
    "terrorisme",
    "militaire_dreiging",
    "aardbeving",
]

RAW = load_yaml("risks.yml")["risks"]


def test_yaml_holds_exactly_the_contract_keys():
    assert sorted(RAW) == sorted(CONTRACT_KEYS)
    assert list(risks.RISK_KEYS) == CONTRACT_KEYS


@pytest.mark.parametrize("key", CONTRACT_KEYS)
@pytest.mark.parametrize("phase", ["voor", "tijdens", "na"])
def test_every_phase_has_advice(key, phase):
    items = risks.get_risk(key)[phase]
    assert items, f"{key}/{phase} is empty"
    for item in items:
        assert isinstance(item, str) and item.strip(), f"{key}/{phase} has an empty line"
        assert item.strip()[-1] in ".?!", f"{key}/{phase}: end each line as a sentence: {item!r}"


@pytest.mark.parametrize("key", CONTRACT_KEYS)
def test_every_risk_has_dated_https_sources(key):
    sources = RAW[key].get("sources") or []
    assert sources, f"{key} has no sources"
    for source in sources:
        assert str(source.get("url", "")).startswith("https://"), f"{key}: source must be https: {source}"
        checked = source.get("checked")
        assert checked, f"{key}: source without a checked date: {source['url']}"
        date = checked if isinstance(checked, dt.date) else dt.date.fromisoformat(str(checked))
        assert dt.date(2020, 1, 1) <= date <= dt.date.today(), f"{key}: implausible checked date {date}"
        assert source.get("via") in {"factsheet", "stored_copy"}, f"{key}: say where the fact was checked"


@pytest.mark.parametrize("key", CONTRACT_KEYS)
def test_every_risk_has_a_title_and_synonyms(key):
    risk = risks.get_risk(key)
    assert risk["title"].strip()
    assert len(risk["synonyms"]) >= 5
    assert all(s == s.lower() for s in risk["synonyms"]), "synonyms are lower case"


def test_synonyms_are_unique_across_risks():
    seen: dict[str, str] = {}
    for key in CONTRACT_KEYS:
        for word in RAW[key]["synonyms"]:
            norm = risks.normalize(word)
            assert norm not in seen or seen[norm] == key, f"{word!r} is used by {seen.get(norm)} and {key}"
            seen[norm] = key


@pytest.mark.parametrize("key", CONTRACT_KEYS)
def test_each_synonym_matches_its_own_risk(key):
    for word in RAW[key]["synonyms"]:
        assert risks.match_risk(word) == key, word


def test_get_risk_returns_a_copy():
    first = risks.get_risk("storm")
    first["voor"].append("kapot")
    first["sources"].clear()
    second = risks.get_risk("storm")
    assert "kapot" not in second["voor"]
    assert second["sources"]


@pytest.mark.parametrize("bad", ["", "onbekend", "Storm", None, 3, "storm "])
def test_get_risk_unknown(bad):
    assert risks.get_risk(bad) is None


def test_list_risks_in_contract_order():
    listed = risks.list_risks()
    assert [r["key"] for r in listed] == CONTRACT_KEYS
    assert all(r["title"] for r in listed)


# --- official core advice must be present ----------------------------------


def _all_text(key: str) -> str:
    risk = risks.get_risk(key)
    return " ".join(risk["voor"] + risk["tijdens"] + risk["na"]).lower()


def test_core_advice_siren_and_smoke():
    tijdens = " ".join(risks.get_risk("gevaarlijke_stoffen")["tijdens"]).lower()
    assert "ga naar binnen" in tijdens
    assert re.search(r"sluit ramen en deuren", tijdens)
    assert re.search(r"ventilatie\b.*\buit", tijdens)
    assert "regionale omroep" in tijdens


def test_core_advice_sirens_only_with_status_check():
    text = _all_text("gevaarlijke_stoffen")
    assert "sirene" in text and "2025" in text and "nog werken" in text
    assert "nl-alert" in text
    assert RAW["gevaarlijke_stoffen"].get("status_notes"), "siren status must be noted in the data"


def test_core_advice_boil_water_three_minutes():
    assert "3 minuten koken" in _all_text("drinkwater")


def test_core_advice_iodine_only_when_government_says():
    assert "alleen jodiumtabletten als de overheid dat zegt" in _all_text("kernongeval")


def test_core_advice_flood():
    text = _all_text("overstroming")
    assert "overstroomik.nl" in text
    assert "blijven of weggaan" in text


def test_core_advice_power_cut_number():
    assert "0800-9009" in _all_text("stroomstoring")


def test_core_advice_storm_stay_inside():
    assert "blijf binnen" in " ".join(risks.get_risk("storm")["tijdens"]).lower()


def test_no_copied_brand_sites_that_are_unverified():
    for key in CONTRACT_KEYS:
        text = _all_text(key)
        assert "brabantalert" not in text and "eerstehulpbenjij" not in text


def test_prices_are_not_stated_as_facts():
    # Cash amounts are national advice, not prices; any other euro amount must say "ongeveer".
    for key in CONTRACT_KEYS:
        for line in sum((risks.get_risk(key)[p] for p in risks.PHASES), []):
            if re.search(r"€|\beuro\b", line) and "advies" not in line:
                assert "ongeveer" in line, line


# --- free-text matching -----------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("de stroom is uitgevallen", "stroomstoring"),
        ("wat doe ik bij een black-out", "stroomstoring"),
        ("wat moet ik doen bij een stroomstorng", "stroomstoring"),  # typo
        ("help er is een overstoming", "overstroming"),  # typo
        ("wat als de dijk breekt", "overstroming"),
        ("wat moet ik doen als de sirene gaat", "gevaarlijke_stoffen"),
        ("er hangt een gifwolk boven de stad", "gevaarlijke_stoffen"),
        ("wat moet ik doen bij brand in het bos", "natuurbrand"),  # longest phrase wins over "brand"
        ("hoe hang ik een rookmelder op", "brand"),
        ("mijn computer is gehackt", "cyberaanval"),
        ("computervirus", "cyberaanval"),
        ("er gaat een virus rond", "infectieziekte"),
        ("moet ik jodium slikken", "kernongeval"),
        ("wat als er oorlog komt", "militaire_dreiging"),
        ("is er een kookadvies", "drinkwater"),
        ("het is spekglad buiten", "winterweer"),
        ("hoe bereid ik me voor op een hittegolf", "hitte"),
        ("112 is niet bereikbaar", "telecomstoring"),
        ("gevaarlijke stoffen", "gevaarlijke_stoffen"),
        ("Aardbeving!", "aardbeving"),
        ("AANSLAG", "terrorisme"),
    ],
)
def test_match_risk(text, expected):
    assert risks.match_risk(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hallo", "wat kost een noodpakket", "dank je wel", "ik woon in Zwolle", "storing", "water", "?!"],
)
def test_match_risk_none(text):
    assert risks.match_risk(text) is None


# --- phase detection ----------------------------------------------------------


@pytest.mark.parametrize(
    "text,expected",
    [
        ("de stroom is uitgevallen", "tijdens"),
        ("hoe bereid ik me voor op een overstroming", "voor"),
        ("wat nu de storm voorbij is", "na"),
        ("en daarna?", "na"),
        ("en erna", "na"),
        ("hoe bereid ik me voor?", "voor"),
        ("wat kan ik van tevoren doen", "voor"),
        ("wat doe ik tijdens een hittegolf", "tijdens"),
        ("de sirene gaat af", "tijdens"),
        ("na de overstroming", "na"),
        ("voor", "voor"),
        ("tijdens", "tijdens"),
        ("na", "na"),
    ],
)
def test_detect_phase(text, expected):
    assert risks.detect_phase(text) == expected


@pytest.mark.parametrize("text", ["storm", "wat moet ik doen bij brand", "", "noodpakket"])
def test_detect_phase_none_when_no_hint(text):
    assert risks.detect_phase(text) is None


@pytest.mark.parametrize(
    "value,expected",
    [
        ("na", "na"),
        ("daarna", "na"),
        ("Voor", "voor"),
        ("vooraf", "voor"),
        ("tijdens", "tijdens"),
        ("onzin", None),
        (None, None),
        (3, None),
    ],
)
def test_normalize_phase(value, expected):
    assert risks.normalize_phase(value) == expected


def test_next_phase_cycle():
    assert risks.next_phase("voor") == "tijdens"
    assert risks.next_phase("tijdens") == "na"
    assert risks.next_phase("na") == "voor"
    assert risks.next_phase(None) == risks.DEFAULT_PHASE
