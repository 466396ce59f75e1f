"""Readability functions, and the B1 gate on every rendered risk text."""

from __future__ import annotations

import pytest

from bot.core import risks
from bot.texts import readability as rb
from bot.texts.render import Renderer

# --- the functions themselves ----------------------------------------------------


def test_words_per_sentence_counts_sentences_and_lines():
    assert rb.words_per_sentence("Ga naar binnen. Sluit de ramen!") == pytest.approx(3.0)
    assert rb.words_per_sentence("- Ga naar binnen\n- Sluit de ramen en deuren") == pytest.approx(4.0)


def test_domains_and_times_do_not_split_sentences():
    assert rb.sentences("Kijk op crisis.nl om 12.00 uur. Bel 0800-9009.") == [
        "Kijk op crisis.nl om 12.00 uur.",
        "Bel 0800-9009.",
    ]


def test_button_lines_are_not_text():
    text = 'Ga naar binnen.\nknop: Wat doe ik daarna? | /ask_phase{"phase":"na"}'
    assert rb.sentences(text) == ["Ga naar binnen."]


def test_syllables_use_dutch_hyphenation():
    assert rb.syllables("water") == 2
    assert rb.syllables("stroomstoring") == 3
    assert rb.syllables("ventilatie") >= 4
    assert rb.syllables("0800-9009") == 1


def test_flesch_douma_formula():
    text = "Ga naar binnen. Sluit ramen en deuren."
    s = rb.stats(text)
    expected = 206.84 - 0.77 * (100 * s.syllables / s.words) - 0.93 * (s.words / s.sentences)
    assert rb.flesch_douma(text) == pytest.approx(expected, abs=0.05)


def test_flesch_douma_ranks_hard_text_lower():
    easy = "Ga naar binnen. Doe de deur dicht. Zet de radio aan."
    hard = (
        "Ingevolge de geldende veiligheidsvoorschriften dient de bewoner onverwijld "
        "alle ventilatievoorzieningen buiten werking te stellen teneinde blootstelling "
        "aan verontreinigende luchtverplaatsingen te minimaliseren."
    )
    assert rb.flesch_douma(easy) > 80
    assert rb.flesch_douma(hard) < 30
    assert rb.flesch_douma(easy) > rb.flesch_douma(hard)


def test_hard_sentences():
    long = " ".join(["woord"] * 21) + "."
    text = f"Ga naar binnen. {long} Sluit de ramen."
    assert rb.hard_sentences(text) == [long]
    assert rb.hard_sentences("Bel de veiligheidsregio.") == []


def test_empty_text():
    assert rb.words_per_sentence("") == 0.0
    assert rb.flesch_douma("") == 100.0
    assert rb.hard_sentences("") == []


# --- the B1 gate on the risk texts ------------------------------------------------------

RENDERER = Renderer(strict=True)
REGIONS = [
    None,
    {
        "code": "VR04",
        "name": "IJsselland",
        "website": "https://www.vrijsselland.nl",
        "alert_site": None,
        "radio": {"name": "RTV Oost", "fm": "99.4"},
    },
]


def rendered(key: str, phase: str, region) -> str:
    return RENDERER.render("utter_risk_advice", {"risk": risks.get_risk(key), "phase": phase, "region": region}).text


@pytest.mark.parametrize("key", risks.RISK_KEYS)
@pytest.mark.parametrize("region", REGIONS, ids=["national", "region"])
def test_rendered_risk_text_is_b1(key, region):
    for phase in risks.PHASES:
        text = rendered(key, phase, region)
        assert text.strip()
        wps = rb.words_per_sentence(text)
        score = rb.flesch_douma(text)
        assert wps <= rb.MAX_WORDS_PER_SENTENCE, f"{key}/{phase}: {wps:.1f} words per sentence"
        assert score >= rb.MIN_FLESCH_DOUMA, f"{key}/{phase}: Flesch-Douma {score}"


@pytest.mark.parametrize("key", risks.RISK_KEYS)
def test_whole_risk_text_is_b1(key):
    risk = risks.get_risk(key)
    text = "\n".join(risk["voor"] + risk["tijdens"] + risk["na"])
    assert rb.words_per_sentence(text) <= rb.MAX_WORDS_PER_SENTENCE
    assert rb.flesch_douma(text) >= rb.MIN_FLESCH_DOUMA


@pytest.mark.parametrize("key", risks.RISK_KEYS)
@pytest.mark.parametrize("region", REGIONS, ids=["national", "region"])
def test_answer_ends_with_where_to_find_more_and_offers_other_phases(key, region):
    from bot.texts.render import split_bubbles

    for phase in risks.PHASES:
        out = RENDERER.render("utter_risk_advice", {"risk": risks.get_risk(key), "phase": phase, "region": region})
        bubbles = split_bubbles(out.text)
        assert len(bubbles) >= 2
        assert "crisis.nl" in bubbles[-1]
        assert ("vrijsselland.nl" if region else "denkvooruit.nl") in bubbles[-1]
        assert all(len(b.splitlines()) <= 5 for b in bubbles), "one bubble = short"
        offered = {b["payload"] for b in out.buttons if b["payload"].startswith("/ask_phase")}
        assert offered == {f'/ask_phase{{"phase":"{p}","risk":"{key}"}}' for p in risks.PHASES if p != phase}
        for item in risks.get_risk(key)[phase]:
            assert item in out.text


def test_risk_text_outside_the_templates_is_b1_too():
    menu = RENDERER.render("utter_risk_menu", {"risks": risks.list_risks(), "region": None})
    assert menu.buttons and all(b["payload"].startswith("/ask_risk") for b in menu.buttons)
    assert rb.words_per_sentence(menu.text) <= rb.MAX_WORDS_PER_SENTENCE
    assert rb.flesch_douma(menu.text) >= rb.MIN_FLESCH_DOUMA
