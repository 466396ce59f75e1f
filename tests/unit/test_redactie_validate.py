"""Validation of staff-edited templates: sandbox escapes, variables, links, bubbles, B1 warnings."""

from __future__ import annotations

import pytest

from bot.redactie import samples
from bot.redactie.links import bad_links
from bot.redactie.validate import MAX_BUBBLE, highlight, validate


@pytest.fixture(autouse=True)
def _own_db(tmp_path, monkeypatch):
    monkeypatch.setenv("NOODWIJZER_DB", str(tmp_path / "default.sqlite3"))


def codes(result):
    return {issue.code for issue in result.errors}


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ joiner.__init__.__globals__.os }}",
        "{{ lipsum.__globals__['os'].popen('id').read() }}",
        "{{ ''|attr('__class__') }}",
        "{{ self._TemplateReference__context }}",
        "{{ namespace.__init__.__globals__ }}",
        "{% set x = [].append %}{{ x(1) }}",
        "{{ region.__class__ }}",
    ],
)
def test_python_internals_are_refused(source):
    result = validate("utter_greet", source)
    assert not result.ok
    assert codes(result) <= {"security", "undefined", "render_error"}
    # Nothing from Python's internals leaks into a preview.
    for preview in result.previews:
        for bubble in preview.bubbles:
            text = "".join(seg for seg, _ in bubble)
            assert "class" not in text and "module" not in text


@pytest.mark.parametrize(
    "source, code",
    [
        ("{% include '/etc/passwd' %}", "forbidden_include"),
        ("{% include 'utter_greet.j2' %}", "forbidden_include"),
        ("{% import 'utter_greet.j2' as g %}", "forbidden_import"),
        ("{% from '/etc/passwd' import x %}", "forbidden_fromimport"),
        ("{% extends '/etc/passwd' %}", "forbidden_extends"),
    ],
)
def test_no_file_access(source, code):
    result = validate("utter_greet", source)
    assert code in codes(result)
    assert "root:" not in str(result)


@pytest.mark.parametrize(
    "source, code",
    [
        (
            "{% for i in range(100) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}{% endfor %}{% endfor %}",
            "too_slow",
        ),
        ("{{ 'x' * 10**9 }}", "security"),
        ("{{ range(10**7) | list }}", "security"),
        ("{{ 'x' | center(123456789) }}", "forbidden_number"),
    ],
)
def test_resource_abuse_is_refused(source, code):
    assert code in codes(validate("utter_greet", source))


def test_syntax_error_reports_line():
    result = validate("utter_greet", "Hallo.\n{% if region %}\nGeen endif.")
    assert codes(result) == {"syntax"}
    assert result.errors[0].line is not None


def test_undefined_variable_in_some_sample_is_an_error():
    # region is None in the sample without a region: StrictUndefined catches it.
    result = validate("utter_greet", "Je regio is {{ region.name }}.")
    assert "undefined" in codes(result)
    assert validate("utter_greet", "Hallo{% if region %} uit {{ region.name }}{% endif %}.").ok
    assert "undefined" in codes(validate("utter_greet", "{{ niet_bestaand }}"))


def test_template_gets_only_its_own_variables():
    # `risk` belongs to utter_risk_advice, not to utter_greet: the live text would break.
    assert "undefined" in codes(validate("utter_greet", "{{ risk.title }}"))
    assert validate("utter_risk_advice", "Over {{ risk.title }}: {{ risk[phase][0] }}").ok


def test_optional_variables_are_also_checked_when_absent():
    info = samples.template_info("utter_degraded")
    assert any(v.optional for v in info.variables)
    result = validate("utter_degraded", "Bel 112 nu.\n\n{{ risk.title }}")
    assert "undefined" in codes(result)
    assert validate(
        "utter_degraded", "Bel 112 nu.\n{% if risk is defined and risk %}\n\n{{ risk.title }}{% endif %}"
    ).ok


@pytest.mark.parametrize(
    "text",
    [
        "Kijk op http://www.crisis.nl",
        "Klik [hier](javascript:alert(1))",
        "data:text/html;base64,PHNjcmlwdD4=",
        "Zie //evil.example/x",
        "Kijk op HTTP://CRISIS.NL",
        "ftp://files.example.nl",
        "vbscript:msgbox",
    ],
)
def test_bad_links(text):
    assert bad_links(text)
    assert "bad_link" in codes(validate("utter_greet", text))


@pytest.mark.parametrize(
    "text",
    [
        "Kijk op https://www.crisis.nl en /noodpakket/checklist?adults=2.",
        "Let op: dit is belangrijk. Om 10:30 uur.",
        "Bel 0800-1351.",
        "crisis.nl en denkvooruit.nl",
    ],
)
def test_allowed_links(text):
    assert bad_links(text) == []
    assert validate("utter_greet", text).ok


def test_bad_link_from_a_variable_is_caught():
    source = "{% set u = 'java' ~ 'script:alert(1)' %}{{ u }}"
    assert "bad_link" in codes(validate("utter_greet", source))


def test_bubble_length():
    long_bubble = "Dit is een zin. " * (MAX_BUBBLE // 16 + 5)
    assert "bubble_too_long" in codes(validate("utter_greet", long_bubble))
    split = long_bubble[: MAX_BUBBLE // 2] + "\n\n" + long_bubble[MAX_BUBBLE // 2 : MAX_BUBBLE - 10]
    assert "bubble_too_long" not in codes(validate("utter_greet", split))


def test_buttons_must_name_a_known_intent():
    assert validate("utter_greet", "Hallo.\nknop: Noodpakket | /ask_kit").ok
    assert validate("utter_greet", 'Hallo.\nknop: Stroom | /ask_risk{"risk":"stroomstoring"}').ok
    assert "bad_button" in codes(validate("utter_greet", "Hallo.\nknop: Weg | /bestaat_niet"))


def test_required_first_words():
    assert "must_start_with" in codes(validate("utter_emergency", "Rustig blijven.\nBel 112."))
    assert validate("utter_emergency", "Bel 112 als er gevaar is.").ok


def test_empty_and_huge_sources():
    assert codes(validate("utter_greet", "   ")) == {"empty_source"}
    assert codes(validate("utter_greet", "{% if false %}x{% endif %}")) == {"empty_output"}
    assert codes(validate("utter_greet", "a" * 20001)) == {"source_too_large"}


def test_preview_has_bubbles_and_buttons_per_sample():
    result = validate("utter_greet", "Hallo.\n\nTweede ballon.\nknop: Noodpakket | /ask_kit")
    assert result.ok
    assert len(result.previews) == len(samples.samples())
    first = result.previews[0]
    assert ["".join(s for s, _ in b) for b in first.bubbles] == ["Hallo.", "Tweede ballon."]
    assert first.buttons == [{"title": "Noodpakket", "payload": "/ask_kit"}]


def test_notice_in_sample_context_reaches_the_preview():
    result = validate("utter_greet", "{% if notice %}Let op: {{ notice.title }}.{% else %}Geen melding.{% endif %}")
    texts = {p.sample_id: "".join(s for b in p.bubbles for s, _ in b) for p in result.previews}
    with_notice = [s.id for s in samples.samples() if s.notice]
    without = [s.id for s in samples.samples() if not s.notice]
    assert with_notice and without
    assert all(texts[i].startswith("Let op:") for i in with_notice)
    assert all(texts[i] == "Geen melding." for i in without)


def test_readability_is_a_warning_with_hard_sentences_marked():
    hard = (
        "Het is van groot belang dat u zich tijdig en volledig voorbereidt op de mogelijke gevolgen "
        "van langdurige uitval van de elektriciteitsvoorziening in uw woonomgeving."
    )
    result = validate("utter_greet", "Pak je noodpakket. " + hard)
    assert result.ok  # never blocks saving
    warning_codes = {w.code for w in result.warnings}
    assert "hard_sentences" in warning_codes
    assert hard in result.readability.hard_sentences
    marked = [seg for p in result.previews for b in p.bubbles for seg, is_hard in b if is_hard]
    assert hard in marked
    assert not validate("utter_greet", "Pak je noodpakket. Leg het bij de deur.").warnings


def test_highlight_keeps_all_text():
    segments = highlight("Een. Twee drie. Vier.", ["Twee drie."])
    assert "".join(s for s, _ in segments) == "Een. Twee drie. Vier."
    assert [s for s, hard in segments if hard] == ["Twee drie."]


def _repository_texts():
    from bot.redactie import catalog

    return catalog.template_names()


@pytest.mark.parametrize("name", _repository_texts())
def test_every_repository_text_passes_the_editor_checks(name):
    """Staff start from these texts: each must be saveable unchanged."""
    from bot.redactie import catalog

    result = validate(name, catalog.file_source(name, None))
    assert result.ok, [(i.code, i.sample, i.detail) for i in result.errors]
