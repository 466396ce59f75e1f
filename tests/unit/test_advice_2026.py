"""Issue 17: the corrections in channels.yml and regions.yml, and the texts built on them
(when to call 112, numbers without urgency, sirens, NL-Alert, regional alert sites, the
standard noodpakket list and the small weekly saving steps)."""

from __future__ import annotations

import pytest

from bot.core import kit
from bot.core.knowledge import load_yaml
from bot.core.regions import get_region
from bot.texts import readability as rb
from bot.texts.context import template_context
from bot.texts.render import Renderer, split_bubbles

CHANNELS = load_yaml("channels.yml")["channels"]
REGIONS = load_yaml("regions.yml")["regions"]
RENDERER = Renderer(strict=True)


def render(name: str, region: str | None = None, **arguments) -> str:
    return RENDERER.render(name, template_context({}, region, arguments)).text


def _urls(entry) -> set[str]:
    return {s["url"] for s in entry["sources"]}


def test_112_is_for_when_every_second_counts():
    alarm = CHANNELS["alarmnummer"]
    assert alarm["use"] == "every_second_counts"
    assert alarm["when"] == ["levensgevaar", "brand", "een misdrijf dat nu gebeurt"]
    assert "https://www.meldkamernoordnederland.nl/als-u-belt" in _urls(alarm)
    assert CHANNELS["politie"]["number"] == "0900-8844"
    assert CHANNELS["brandweer"]["number"] == "0900-0904"


@pytest.mark.parametrize("region", [None, "VR19"])
def test_region_info_says_when_112_and_the_numbers_without_urgency(region):
    text = render("utter_region_info", region)
    assert "alleen bij levensgevaar" not in text
    assert "Telt elke seconde? Bel dan 112." in text
    assert "levensgevaar, brand of een misdrijf dat nu gebeurt" in text
    assert "0900-8844" in text and "0900-0904" in text
    assert not text.startswith("Bel 112")  # a question, not the emergency script


def test_region_info_says_where_to_go_when_112_is_down():
    text = render("utter_region_info")
    assert "Werkt 112 niet?" in text
    assert "brandweerkazerne waar mensen zijn" in text and "spoedeisende hulp" in text
    assert any("ad.nl" in url for url in _urls(CHANNELS["alarmnummer"]))


def test_region_info_gives_the_nl_alert_test_moment():
    text = render("utter_region_info")
    assert "eerste maandag van juni en december om 12.00 uur" in text
    assert CHANNELS["nl_alert"]["app"]["reads_aloud"] and CHANNELS["nl_alert"]["app"]["english"]


def test_region_info_is_b1_and_bubbles_stay_short():
    for region in (None, "VR16", "VR19", "VR21"):
        text = render("utter_region_info", region)
        assert rb.words_per_sentence(text) <= rb.MAX_WORDS_PER_SENTENCE
        assert rb.flesch_douma(text) >= rb.MIN_FLESCH_DOUMA
        assert all(len(b.splitlines()) <= 6 for b in split_bubbles(text)), region


def test_sirens_status_2026_is_marked_unverified_with_what_to_do():
    sirens = CHANNELS["sirens"]
    assert sirens["status"] == "parliament_voted_to_keep"
    assert sirens["status_2026"] == "unverified" and sirens["status_checked"] is False
    assert sirens["when_heard"] == ["ga naar binnen", "sluit ramen en deuren", "zet de regionale omroep aan"]
    assert "https://www.security.nl/posting/844916/" in _urls(sirens)


def test_regional_alert_sites_filled_in_only_where_they_hold():
    # Hollands Midden: seen on the region's pages and as a stored copy -> shown.
    assert get_region("VR16")["alert_site"] == "https://www.hollandsmiddenveilig.nl"
    # brabantalert.nl (VR20-22) and limburg-veilig.nl (VR23): not confirmed -> kept, not shown.
    for code, site in (
        ("VR20", "brabantalert"),
        ("VR21", "brabantalert"),
        ("VR22", "brabantalert"),
        ("VR23", "limburg-veilig"),
    ):
        region = get_region(code)
        assert region["alert_site"] is None, code
        assert site in region["unverified"]["alert_site"], code
        assert REGIONS[code]["alert_site"]["verified"] is False
    # Groningen: the site named in the background report was not found -> nothing stored.
    assert REGIONS["VR01"]["alert_site"] is None
    assert "NOT found" in REGIONS["VR01"]["notes"]


def test_standard_list_then_the_offer_with_a_button():
    out = RENDERER.render("utter_kit_standard_list", template_context({}, None))
    text = out.text
    for word in ("Water", "Eten", "radio", "zaklamp", "batterijen", "EHBO", "Contant geld", "ID"):
        assert word in text, word
    assert "72 uur" in text
    # The list first, then the offer of a plan for this household, with a button.
    assert text.index("Water") < text.index("huishouden")
    assert {"title": "Maak een lijst voor mijn huishouden", "payload": "/start_kit_plan"} in out.buttons
    assert rb.words_per_sentence(text) <= rb.MAX_WORDS_PER_SENTENCE
    assert all(len(b.splitlines()) <= 5 for b in split_bubbles(text))
    # The list comes from noodpakket.yml, not from the template.
    assert all(line in text for line in kit.kit_facts().standard_list)


def test_plan_text_offers_small_weekly_steps_and_pet_water():
    plan = kit.plan_for(adults=2, children=2, babies=1, pets=1, budget_eur=50)
    text = render("utter_kit_plan", plan=plan.as_dict())
    assert "€ 50 opzij" not in text
    assert "Zet je elke week € 5 opzij? Dan heb je alles in ongeveer" in text
    assert "Met € 10 per week duurt het ongeveer" in text
    assert "1,5 liter bij" in text  # water for the dog
    assert "statiegeld" in text
    assert "kraanwater" in text  # the free alternative
