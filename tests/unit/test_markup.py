"""Staff's plain-text markup (bot/redactie/markup.py): words in, safe data out."""

from __future__ import annotations

from bot.redactie import markup


def codes(problems):
    return [p.code for p in problems]


def test_one_tip_per_line_and_a_blank_line_is_a_bubble_break():
    text = "- Blijf binnen.\n\n\n• Houd ramen dicht.\r\n  Kijk   op crisis.nl.  \n\n"
    assert markup.parse_tips(text) == ["Blijf binnen.", "", "Houd ramen dicht.", "Kijk op crisis.nl."]
    assert markup.parse_tips(markup.tips_text(["a", "", "b"])) == ["a", "", "b"]


def test_links_must_be_https():
    assert codes(markup.check_text("Kijk op https://www.crisis.nl voor meer.", "tips")) == []
    assert codes(markup.check_text("Kijk op http://crisis.nl.", "tips")) == ["link"]
    assert codes(markup.check_text("Kijk op www.crisis.nl.", "tips")) == ["link"]
    assert codes(markup.check_text("Klik javascript://alert(1)", "tips")) == ["link"]


def test_only_known_placeholders():
    assert codes(markup.check_text("In [regio] en [gemeente].", "intro")) == []
    found = markup.check_text("Hallo [naam] en [Regio].", "intro")
    assert codes(found) == ["placeholder", "placeholder"]
    assert {p.detail for p in found} == {"[naam]", "[Regio]"}


def test_no_template_code_and_no_buttons():
    assert codes(markup.check_text("Hallo {{ region.name }}", "intro")) == ["code"]
    assert codes(markup.check_text("{% for x in y %}x{% endfor %}", "intro")) == ["code"]
    assert codes(markup.check_text("Tekst\nknop: Gevaar | /greet", "intro")) == ["button"]


def test_tip_limits():
    assert codes(markup.check_tips(["x" * (markup.MAX_TIP + 1)], "tips")) == ["tip_too_long"]
    assert codes(markup.check_tips(["tip"] * (markup.MAX_TIPS + 1), "tips")) == ["too_many_tips"]


def test_sources_need_an_https_link_and_a_date():
    sources, problems = markup.parse_sources(
        "https://www.zeelandveilig.nl/storm 29-11-2026 wat te doen bij storm\nhttps://crisis.nl 2026-11-28"
    )
    assert problems == []
    assert sources == [
        {"url": "https://www.zeelandveilig.nl/storm", "checked": "2026-11-29", "about": "wat te doen bij storm"},
        {"url": "https://crisis.nl", "checked": "2026-11-28", "about": ""},
    ]
    assert markup.parse_sources(markup.sources_text(sources))[0] == sources
    _, problems = markup.parse_sources(
        "http://crisis.nl 29-11-2026\nhttps://crisis.nl gisteren\nhttps://a.nl 31-02-2026"
    )
    assert codes(problems) == ["source_link", "source_date", "source_date"]


def test_intro_keeps_one_blank_line_between_bubbles():
    assert markup.clean_intro("  Eerste.\r\n\r\n\r\n  Tweede.  ") == "Eerste.\n\n  Tweede."
