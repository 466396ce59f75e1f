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
    for index, item in enumerate(items):
        assert isinstance(item, str) and item.strip(), f"{key}/{phase} has an empty line"
        if item.strip().endswith(":"):
            # A heading inside a phase ("Bij een dijkdoorbraak:") needs advice after it.
            assert index + 1 < len(items) and not items[index + 1].endswith(":"), f"{key}/{phase}: empty heading"
            continue
        assert item.strip()[-1] in ".?!", f"{key}/{phase}: end each line as a sentence: {item!r}"


@pytest.mark.parametrize("key", CONTRACT_KEYS)
def test_every_risk_has_dated_https_sources(key):
    sources = RAW[key].get("sources") or []
    assert sources, f"{key} has no sources"
    for source in sources:
        url = str(source.get("url", ""))
        # http only where shared/facts gives no https address, and then marked so.
        assert url.startswith("https://") or (source.get("http_only") and url.startswith("http://")), (
            f"{key}: source must be https: {source}"
        )
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
    # Issue 17: not the stale "would disappear at the end of 2025" alone, but the vote to keep
    # them, that the 2026 status is not certain, and what to do when you hear one.
    assert "sirene" in text and "2025" in text and "niet zeker" in text and "houden" in text
    assert "hoor je de sirene? ga naar binnen, sluit ramen en deuren en zet de regionale omroep aan." in text
    assert "nl-alert" in text
    notes = " ".join(RAW["gevaarlijke_stoffen"].get("status_notes") or [])
    assert "2026" in notes and "NOT verified" in notes, "siren status must be noted in the data"


# --- issue 17: corrections and the missing situations -----------------------------


def _sources(key: str) -> set[str]:
    return {s["url"] for s in RAW[key]["sources"]}


def _phase(key: str, phase: str) -> list[str]:
    return risks.get_risk(key)[phase]


def test_attack_teaches_leave_hide_alarm():
    tijdens = " ".join(_phase("terrorisme", "tijdens")).lower()
    assert "vluchten, verbergen, alarmeren" in tijdens
    assert "vlucht als dat kan" in tijdens and "waarschuw" in tijdens
    assert "verberg je achter iets stevigs" in tijdens
    assert "sluit je op" in tijdens and "telefoon op stil" in tijdens
    assert "bel 112 zodra dat veilig kan" in tijdens
    assert "gewond" not in tijdens  # the old, narrower "112 only when injured"
    assert "https://english.denkvooruit.nl/risks-in-the-netherlands/overview/an-attack" in _sources("terrorisme")


def test_no_112_falls_back_to_staffed_posts():
    tijdens = " ".join(_phase("telecomstoring", "tijdens")).lower()
    assert "brandweerkazerne waar mensen aan het werk zijn" in tijdens
    assert "niet elke kazerne is altijd bezet" in tijdens
    assert "politiebureau" in tijdens and "spoedeisende hulp van een ziekenhuis" in tijdens


def test_no_tap_water_steps_and_bottle_feeding_under_kookadvies():
    tijdens = _phase("drinkwater", "tijdens")
    text = " ".join(tijdens).lower()
    for step in ("hoofdkraan", "buren", "storingspagina van je waterbedrijf", "langer dan 24 uur", "noodwater"):
        assert step in text, step
    assert "schone flessen" in text
    # Bottle feeding comes under the kookadvies heading.
    heading = tijdens.index("Bij een kookadvies:")
    assert any("flesvoeding" in line for line in tijdens[heading:])
    assert "https://english.denkvooruit.nl/risks-in-the-netherlands/overview/drinking-water" in _sources("drinkwater")
    assert "https://www.dnwg.nl/water/kookadvies.htm" in _sources("drinkwater")


def test_flood_separates_rain_from_dike_breach():
    tijdens = _phase("overstroming", "tijdens")
    rain = next(i for i, line in enumerate(tijdens) if line.startswith("Water op straat"))
    dike = next(i for i, line in enumerate(tijdens) if "dijkdoorbraak" in line and line.endswith(":"))
    assert rain < dike
    rain_part = " ".join(tijdens[rain:dike]).lower()
    dike_part = " ".join(tijdens[dike:]).lower()
    # The white sheet and leaving belong to the dike breach only.
    assert "laken" not in rain_part and "weggaan" not in rain_part
    assert "wit laken" in dike_part and "blijven of weggaan" in dike_part
    assert "loop en rijd nooit door het water" in rain_part and "loop en rijd nooit door het water" in dike_part
    assert "ga dan op tijd" in dike_part
    for thing in ("id", "medicijnen", "contant geld", "huisdieren", "op slot", "buren"):
        assert thing in dike_part, thing
    assert "https://www.vrk.nl/nl-NL/Wat-te-doen-bij/Wat-te-doen-bij-een-overstroming" in _sources("overstroming")


def test_iodine_who_when_where_and_date():
    voor = " ".join(_phase("kernongeval", "voor")).lower()
    assert "40 jaar" in voor and "20 km" in voor
    assert "onder de 18" in voor and "zwangere" in voor and "100 km" in voor
    assert "apotheek" in voor and "datum op het doosje" in voor
    assert "alleen jodiumtabletten als de overheid dat zegt" in _all_text("kernongeval")
    assert RAW["kernongeval"].get("status_notes"), "the 2017 news source must be flagged for re-checking"


def test_power_cut_warns_for_carbon_monoxide_indoors():
    tijdens = " ".join(_phase("stroomstoring", "tijdens")).lower()
    assert "barbecue" in tijdens and "aggregaat" in tijdens and "koolmonoxide" in tijdens
    assert "https://www.omroepgelderland.nl/nieuws/2424326" in _sources("stroomstoring")


def test_earthquake_has_the_dutch_source_first():
    first = RAW["aardbeving"]["sources"][0]["url"]
    assert "namplatform.nl" in first
    assert RAW["aardbeving"].get("unverified"), "say that the lines were not compared with the Dutch page"


def test_vulnerable_people_in_a_power_cut():
    voor = " ".join(_phase("stroomstoring", "voor")).lower()
    for word in ("zuurstof", "beademing", "dialyse", "traplift", "insuline", "leverancier"):
        assert word in voor, word
    # What shared/facts cannot support is recorded, not shown.
    unverified = " ".join(RAW["stroomstoring"]["unverified"])
    assert "reservebatterij" in unverified and "reservebatterij" not in voor


def test_nl_alert_explained():
    voor = " ".join(_phase("gevaarlijke_stoffen", "voor")).lower()
    assert "eerste maandag van juni en december om 12.00 uur" in voor
    assert "voorlezen" in voor and "engels" in voor and "gratis" in voor


def test_evacuation_what_to_take_and_without_a_car():
    text = _all_text("overstroming")
    assert "geen auto" in text and "familie" in text
    assert "neem je id, medicijnen, contant geld en je huisdieren mee" in _all_text("kernongeval")


def test_missing_advice_without_a_source_is_recorded_not_shown():
    # Heat in cars and heat-stroke signs, psychosocial help and insurance: no source in
    # shared/facts yet, so they are drafts under `unverified` and not in the phases.
    assert "auto" in " ".join(RAW["hitte"]["unverified"]).lower()
    assert "auto" not in _all_text("hitte")
    flood_unverified = " ".join(RAW["overstroming"]["unverified"]).lower()
    assert "verzekeraar" in flood_unverified and "huisarts" in flood_unverified


def test_headings_start_a_new_bubble():
    from bot.texts.render import Renderer, split_bubbles

    out = Renderer(strict=True).render(
        "utter_risk_advice", {"risk": risks.get_risk("overstroming"), "phase": "tijdens", "region": None}
    )
    bubbles = split_bubbles(out.text)
    for heading in [line for line in _phase("overstroming", "tijdens") if line.endswith(":")]:
        assert any(b.startswith(heading) for b in bubbles), heading


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
