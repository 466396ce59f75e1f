"""bot.core.regions: the gemeente table, region facts and the forgiving lookup."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import unicodedata

import pytest

from bot.core import regions
from bot.core.knowledge import KNOWLEDGE_DIR, ROOT, load_yaml
from bot.core.regions import extract_gemeente, get_region, lookup_gemeente, normalize

GEMEENTEN = regions.all_gemeenten()
# Names that deliberately belong to more than one gemeente: the bot asks back.
INTENDED_AMBIGUOUS = {"bergen", "hengelo", "valkenburg"}


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


# --- the data -------------------------------------------------------------------


def test_342_gemeenten_with_unique_codes_and_names():
    assert len(GEMEENTEN) == 342
    assert len({g.code for g in GEMEENTEN}) == 342
    assert len({g.name for g in GEMEENTEN}) == 342
    assert all(g.code.startswith("GM") and len(g.code) == 6 and g.code[2:].isdigit() for g in GEMEENTEN)


def test_2023_mergers_present_and_merged_gemeenten_gone():
    by_code = {g.code: g.name for g in GEMEENTEN}
    assert by_code["GM1992"] == "Voorne aan Zee"
    assert by_code["GM1980"] == "Dijk en Waard"
    assert by_code["GM1982"] == "Land van Cuijk"
    assert by_code["GM1991"] == "Maashorst"
    names = {g.name for g in GEMEENTEN}
    for gone in ("Brielle", "Hellevoetsluis", "Westvoorne", "Heerhugowaard", "Langedijk", "Uden", "Weesp"):
        assert gone not in names


def test_every_region_has_gemeenten_and_every_gemeente_a_valid_region():
    used = {g.region for g in GEMEENTEN}
    assert used == set(regions.REGION_CODES)


def test_known_region_sizes():
    # Counts stated by the regions themselves (see search notes in regions.yml sources).
    def count(code):
        return sum(1 for g in GEMEENTEN if g.region == code)

    assert count("VR13") == 6  # Amsterdam-Amstelland: six gemeenten
    assert count("VR22") == 21  # Brabant-Zuidoost: 21 gemeenten
    assert count("VR20") == 24  # Midden- en West-Brabant: 24 gemeenten
    assert count("VR02") == 18  # Fryslân: 18 gemeenten


def test_regions_file_has_25_regions_each_with_website_radio_and_dated_sources():
    data = load_yaml("regions.yml")["regions"]
    assert sorted(data) == list(regions.REGION_CODES)
    for code, region in data.items():
        assert region["name"], code
        assert region["website"]["url"].startswith("https://"), code
        assert isinstance(region["website"]["verified"], bool), code
        assert region["radio"]["name"], code
        assert isinstance(region["radio"]["verified"], bool), code
        for freq in region["radio"]["frequencies"]:
            mhz = float(freq["mhz"])
            assert 87.5 <= mhz <= 108.0, (code, freq)
        alert = region["alert_site"]
        assert alert is None or (alert["url"].startswith("https://") and isinstance(alert["verified"], bool))
        for source in region["sources"]:
            assert source["url"].startswith("http"), code
            assert source["checked"], code


def test_known_unverified_sites_are_marked_unverified():
    data = load_yaml("regions.yml")["regions"]
    # eerstehulpbenjij.nl is unverified: it is not mentioned anywhere residents could see it.
    for path in (KNOWLEDGE_DIR / "regions.yml", KNOWLEDGE_DIR / "channels.yml", *(ROOT / "templates").glob("*.j2")):
        assert "eerstehulpbenjij" not in path.read_text(encoding="utf-8"), path
    for region in data.values():
        alert = region.get("alert_site") or {}
        if "brabantalert" in (alert.get("url") or ""):
            assert alert["verified"] is False


def test_channels_have_sources_and_sirens_are_not_claimed_to_work():
    channels = load_yaml("channels.yml")["channels"]
    assert channels["alarmnummer"]["number"] == "112"
    assert channels["politie"]["number"] == "0900-8844"
    assert channels["publieksinformatienummer"]["number"] == "0800-1351"
    assert channels["storingsnummer"]["number"] == "0800-9009"
    assert channels["crisis_nl"]["url"] == "https://crisis.nl"
    assert channels["radio_list"]["url"].endswith("denkvooruit.nl/radio")
    assert (
        channels["sirens"]["status"] == "parliament_voted_to_keep" and channels["sirens"]["status_2026"] == "unverified"
    )
    for key, channel in channels.items():
        if channel.get("verified") is False:
            continue
        assert channel["sources"], key
        assert all(s["url"].startswith("http") and s["checked"] for s in channel["sources"]), key


# --- get_region -----------------------------------------------------------------


@pytest.mark.parametrize("code", regions.REGION_CODES)
def test_get_region_shape(code):
    region = get_region(code)
    assert region["code"] == code
    assert region["name"]
    assert set(region["radio"]) >= {"name", "fm", "frequencies"}
    assert region["website"] is None or region["website"].startswith("https://")
    assert region["alert_site"] is None or region["alert_site"].startswith("https://")
    assert "alarmnummer" in region["channels"]
    json.dumps(region)  # safe for the API and for Rasa slots/kwargs


def test_get_region_only_exposes_verified_values():
    noord = get_region("VR21")
    assert noord["alert_site"] is None
    assert "brabantalert" in noord["unverified"]["alert_site"]
    midden = get_region("VR16")
    assert midden["radio"]["fm"] is None and midden["unverified"]["radio_fm"] == "89.3"


@pytest.fixture
def fake_regions_file(monkeypatch):
    """Serve a made-up regions.yml, so hiding unverified values stays tested even
    when every real website and radio is verified."""
    real_load = regions.load_yaml
    fake = {
        "regions": {
            "VR03": {
                "name": "Testregio",
                "website": {"url": "https://www.example.org", "verified": False},
                "alert_site": {"url": "https://alert.example.org", "verified": False, "app": "TestApp"},
                "radio": {"name": "Testradio", "verified": False, "frequencies": [{"mhz": "99.9", "area": None}]},
                "sources": [],
            }
        }
    }
    monkeypatch.setattr(regions, "load_yaml", lambda name: fake if name == "regions.yml" else real_load(name))
    regions._region_cache.cache_clear()
    yield
    regions._region_cache.cache_clear()


def test_unverified_website_radio_and_alert_site_are_hidden(fake_regions_file):
    region = get_region("VR03")
    assert region["name"] == "Testregio"
    assert region["website"] is None and region["alert_site"] is None and region["alert_app"] is None
    # An unverified radio also hides its frequencies: a wrong FM number is worse than none.
    assert region["radio"] == {"name": None, "fm": None, "frequencies": []}
    assert region["unverified"] == {
        "website": "https://www.example.org",
        "alert_site": "https://alert.example.org",
        "radio": "Testradio",
    }


def test_every_region_has_a_verified_website_and_radio_with_sources():
    # Issue acceptance: no resident is left without a regional website or calamiteitenzender.
    data = load_yaml("regions.yml")["regions"]
    for code in regions.REGION_CODES:
        region = get_region(code)
        assert region["website"] and region["website"].startswith("https://"), code
        assert region["radio"]["name"], code
        assert data[code]["sources"], code  # a verified value always has a dated source


def test_get_region_values():
    zeeland = get_region("VR19")
    assert zeeland["name"] == "Zeeland"
    assert zeeland["radio"] == {"name": "Omroep Zeeland", "fm": "87.9", "frequencies": [{"mhz": "87.9", "area": None}]}
    assert get_region("vr19")["code"] == "VR19"
    assert get_region("VR08")["radio"]["fm"] == "89.1 / 99.6"


@pytest.mark.parametrize("bad", [None, "", "VR00", "VR26", "VR1", "XX19", 19, "../VR19"])
def test_get_region_rejects_bad_codes(bad):
    assert get_region(bad) is None


def test_get_region_returns_a_copy():
    first = get_region("VR09")
    first["radio"]["name"] = "changed"
    first["channels"]["alarmnummer"]["number"] = "000"
    second = get_region("VR09")
    assert second["radio"]["name"] != "changed"
    assert second["channels"]["alarmnummer"]["number"] == "112"


# --- lookup ---------------------------------------------------------------------


@pytest.mark.parametrize("gemeente", GEMEENTEN, ids=lambda g: g.code)
def test_every_gemeente_resolves_by_official_name(gemeente):
    result = lookup_gemeente(gemeente.name)
    assert result.status == "found", gemeente.name
    assert result.gemeente == gemeente.name
    assert result.region_code == gemeente.region
    assert result.gemeente_code == gemeente.code


@pytest.mark.parametrize("gemeente", GEMEENTEN, ids=lambda g: g.code)
def test_every_gemeente_resolves_in_lower_upper_and_without_accents(gemeente):
    for variant in (gemeente.name.lower(), gemeente.name.upper(), strip_accents(gemeente.name)):
        result = lookup_gemeente(variant)
        assert result.status == "found" and result.gemeente_code == gemeente.code, variant


def _all_aliases():
    for g in GEMEENTEN:
        for alias in (g.display, *g.aliases, *g.places):
            yield g, alias


@pytest.mark.parametrize("gemeente,alias", list(_all_aliases()), ids=lambda x: getattr(x, "code", x))
def test_every_alias_and_place_resolves_or_is_an_intended_question(gemeente, alias):
    result = lookup_gemeente(alias)
    if normalize(alias) in INTENDED_AMBIGUOUS:
        assert result.status == "ambiguous"
        assert len(result.candidates) >= 2
        # Every candidate is itself unambiguous, so a button always resolves.
        resolved = {lookup_gemeente(c).gemeente_code for c in result.candidates}
        assert gemeente.code in resolved and None not in resolved
    else:
        assert result.status == "found", alias
        assert result.gemeente_code == gemeente.code, alias


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Den Haag", "'s-Gravenhage"),
        ("den haag", "'s-Gravenhage"),
        ("DenHaag", "'s-Gravenhage"),
        ("'s-Gravenhage", "'s-Gravenhage"),
        ("s-gravenhage", "'s-Gravenhage"),
        ("Den Bosch", "'s-Hertogenbosch"),
        ("'s-Hertogenbosch", "'s-Hertogenbosch"),
        ("Súdwest-Fryslân", "Súdwest-Fryslân"),
        ("Sudwest-Fryslan", "Súdwest-Fryslân"),
        ("sudwest fryslan", "Súdwest-Fryslân"),
        ("Zuidwest-Friesland", "Súdwest-Fryslân"),
        ("Noardeast-Fryslân", "Noardeast-Fryslân"),
        ("Noordoost-Friesland", "Noardeast-Fryslân"),
        ("Dantumadeel", "Dantumadiel"),
        ("Tietjerksteradeel", "Tytsjerksteradiel"),
        ("De Friese Meren", "De Fryske Marren"),
        ("Achtkarspelen", "Achtkarspelen"),
        ("Waadhoeke", "Waadhoeke"),
        ("Ljouwert", "Leeuwarden"),
        ("Bergen (NH.)", "Bergen (NH.)"),
        ("Bergen (L.)", "Bergen (L.)"),
        ("Bergen NH", "Bergen (NH.)"),
        ("bergen limburg", "Bergen (L.)"),
        ("Bergen op Zoom", "Bergen op Zoom"),
        ("Middelburg", "Middelburg (Z.)"),
        ("gemeente Utrecht", "Utrecht"),
        ("St. Michielsgestel", "Sint-Michielsgestel"),
        ("Scheveningen", "'s-Gravenhage"),
        ("Hoek van Holland", "Rotterdam"),
        ("Zierikzee", "Schouwen-Duiveland"),
        ("Heerhugowaard", "Dijk en Waard"),
        ("Weesp", "Amsterdam"),
        ("  Zwolle  ", "Zwolle"),
    ],
)
def test_aliases_case_diacritics_and_places(text, expected):
    result = lookup_gemeente(text)
    assert result.status == "found", text
    assert result.gemeente == expected


def test_place_results_say_they_came_from_a_place():
    result = lookup_gemeente("Scheveningen")
    assert result.via_place and result.matched == "Scheveningen" and result.display == "Den Haag"
    assert not lookup_gemeente("Den Haag").via_place


def test_bergen_alone_is_ambiguous_with_both_bergens():
    result = lookup_gemeente("Bergen")
    assert result.status == "ambiguous"
    assert result.gemeente is None and result.region_code is None
    codes = sorted(lookup_gemeente(c).gemeente_code for c in result.candidates)
    assert codes == ["GM0373", "GM0893"]
    assert {lookup_gemeente(c).region_code for c in result.candidates} == {"VR10", "VR23"}


@pytest.mark.parametrize(
    "typo,meant",
    [
        ("Amsterdma", "Amsterdam"),
        ("Amstedam", "Amsterdam"),
        ("Rotterdm", "Rotterdam"),
        ("Groningn", "Groningen"),
        ("Eindhovn", "Eindhoven"),
        ("Apeldorn", "Apeldoorn"),
        ("Maastrict", "Maastricht"),
        ("Leewarden", "Leeuwarden"),
        ("Utreg", "Utrecht"),
        ("Den Haaf", "Den Haag"),
    ],
)
def test_typos_are_suggested_never_silently_resolved(typo, meant):
    result = lookup_gemeente(typo)
    assert result.status == "unknown"
    assert result.region_code is None
    assert result.candidates[0] == meant
    assert lookup_gemeente(result.candidates[0]).status == "found"


@pytest.mark.parametrize("village", ["Dieren", "Heerle"])
def test_villages_one_letter_from_another_gemeente_get_no_region(village):
    # Dieren (Rheden) looks like Diemen, Heerle (Roosendaal) like Heerde.
    result = lookup_gemeente(village)
    assert result.status == "unknown" and result.region_code is None


@pytest.mark.parametrize("text", ["", "   ", None, "xyzzy qwv", "!!!", "a" * 101, 42])
def test_unknown_input_is_unknown_without_crashing(text):
    result = lookup_gemeente(text)
    assert result.status == "unknown"
    assert result.region_code is None and result.gemeente is None
    assert all(lookup_gemeente(c).status != "unknown" for c in result.candidates)


def test_suggestions_are_limited_and_resolvable():
    suggestions = regions.suggest("Valkenbrg")
    assert 1 <= len(suggestions) <= regions.MAX_SUGGESTIONS
    assert all(lookup_gemeente(s).status == "found" for s in suggestions)


def test_normalize():
    assert normalize("Súdwest-Fryslân") == "sudwest fryslan"
    assert normalize("  'S-Hertogenbosch ") == "s hertogenbosch"
    assert normalize("Bergen (NH.)") == "bergen nh"
    assert normalize("St. Oedenrode") == "sint oedenrode"


# --- extract_gemeente -------------------------------------------------------------


@pytest.mark.parametrize(
    "sentence,expected",
    [
        ("ik woon in Middelburg", "Middelburg (Z.)"),
        ("Ik woon in middelburg.", "Middelburg (Z.)"),
        ("wij wonen in Bergen op Zoom", "Bergen op Zoom"),
        ("ik kom uit Den Haag, wat moet ik doen?", "'s-Gravenhage"),
        ("ik woon in Scheveningen en heb een vraag", "'s-Gravenhage"),
        ("ik woon echt in Utrecht", "Utrecht"),
        ("mijn buren wonen ook in Best", "Best"),
        ("Ik woon in de gemeente Súdwest-Fryslân", "Súdwest-Fryslân"),
        ("Zwolle", "Zwolle"),
    ],
)
def test_extract_finds_gemeente_in_sentence(sentence, expected):
    result = extract_gemeente(sentence)
    assert result is not None and result.status == "found", sentence
    assert result.gemeente == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "waar vind ik informatie in mijn regio?",
        "ik vind het best",
        "mijn buren helpen mij",
        "ik weet het echt niet",
        "",
        None,
    ],
)
def test_extract_ignores_sentences_without_a_gemeente(sentence):
    assert extract_gemeente(sentence) is None


def test_extract_ambiguous_and_typo():
    assert extract_gemeente("ik woon in Bergen").status == "ambiguous"
    typo = extract_gemeente("ik woon in Amsterdma")
    assert typo.status == "unknown" and typo.candidates[0] == "Amsterdam"


def test_extract_only_reads_the_start_of_very_long_text():
    # Bounded work per message: a name after the first 500 characters is not searched.
    assert extract_gemeente("bla " * 5000 + "ik woon in Zwolle") is None
    assert extract_gemeente("ik woon in Zwolle " + "bla " * 5000).gemeente == "Zwolle"


# --- generated files stay in sync -------------------------------------------------


def test_nlu_lookup_table_is_generated_from_the_csv():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_gemeente_lookup.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_csv_has_the_documented_columns():
    with open(KNOWLEDGE_DIR / "gemeenten.csv", encoding="utf-8") as fh:
        header = next(line for line in fh if not line.startswith("#"))
    assert next(csv.reader([header])) == ["code", "name", "region", "display", "aliases", "places"]
