"""Template rendering: region overrides, Babel formatting, sandbox, fallbacks."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError, UndefinedError

from bot.texts.jinja import join_nl, money
from bot.texts.jinja import text_environment as make_environment
from bot.texts.render import Renderer, parse_output, split_bubbles


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "_safe_default.txt").write_text("Veilige standaardtekst.", encoding="utf-8")
    (tmp_path / "regions" / "VR19").mkdir(parents=True)
    (tmp_path / "utter_hello.j2").write_text("Hallo landelijk.", encoding="utf-8")
    (tmp_path / "regions" / "VR19" / "utter_hello.j2").write_text("Hallo Zeeland.", encoding="utf-8")
    (tmp_path / "utter_broken.j2").write_text("{{ missing.value }}", encoding="utf-8")
    (tmp_path / "utter_echo.j2").write_text("Je zei: {{ said }}", encoding="utf-8")
    return tmp_path


class FakeStore:
    def __init__(self, sources):
        self.sources = sources

    def get_source(self, name, region):
        return self.sources.get((name, region))


def test_region_override_wins_over_national(tree):
    r = Renderer(tree)
    assert r.render("utter_hello", {}, "VR19").text == "Hallo Zeeland."
    assert r.render("utter_hello", {}, "VR17").text == "Hallo landelijk."
    assert r.render("utter_hello", {}, None).text == "Hallo landelijk."


def test_live_store_layers(tree):
    store = FakeStore({("utter_hello", "VR19"): "Live Zeeland.", ("utter_hello", None): "Live landelijk."})
    r = Renderer(tree, store=store)
    assert r.render("utter_hello", {}, "VR19").text == "Live Zeeland."
    # A region without its own edit gets the live national text, not the old file.
    assert r.render("utter_hello", {}, "VR01").text == "Live landelijk."


def test_bad_region_code_is_ignored_not_used_as_path(tree):
    r = Renderer(tree)
    assert r.render("utter_hello", {}, "../../etc").text == "Hallo landelijk."


def test_babel_money_and_lists():
    assert money(12.5) == "€ 12,50"
    assert money(70) == "€ 70"
    assert money(1234.5) == "€ 1.234,50"
    assert join_nl(["water", "eten", "een radio"]) == "water, eten en een radio"
    env = make_environment()
    out = env.from_string(
        "{{ 3|plural('fles','flessen') }} {{ 1|plural('fles','flessen') }} {{ 1234567|number }}"
    ).render()
    assert out == "flessen fles 1.234.567"


def test_user_text_is_never_evaluated(tree):
    r = Renderer(tree)
    out = r.render("utter_echo", {"said": "{{ 7*7 }}"}).text
    assert "49" not in out
    assert "{{ 7*7 }}" in out


def test_sandbox_blocks_internals():
    env = make_environment()
    with pytest.raises(SecurityError):
        env.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()
    with pytest.raises(TypeError, match="no loader"):
        env.from_string("{% include '/etc/passwd' %}").render()


def test_strict_undefined_in_tests_and_fallback_in_production(tree):
    with pytest.raises(UndefinedError):
        Renderer(tree, strict=True).render("utter_broken", {})
    assert Renderer(tree).render("utter_broken", {}).text == "Veilige standaardtekst."


def test_broken_override_falls_back_to_national(tree):
    store = FakeStore({("utter_hello", "VR19"): "{{ nope.x }}"})
    assert Renderer(tree, store=store).render("utter_hello", {}, "VR19").text == "Hallo Zeeland."


def test_unknown_template_gives_safe_default(tree):
    assert Renderer(tree).render("utter_does_not_exist", {}).text == "Veilige standaardtekst."
    assert Renderer(tree).render("../secret", {}).text == "Veilige standaardtekst."


def test_buttons_and_bubbles():
    rendered = parse_output('Eerste ballon.\n\n\n\nTweede ballon.\nknop: Stroom | /ask_risk{"risk":"stroomstoring"}\n')
    assert rendered.buttons == [{"title": "Stroom", "payload": '/ask_risk{"risk":"stroomstoring"}'}]
    assert split_bubbles(rendered.text) == ["Eerste ballon.", "Tweede ballon."]


def test_every_repository_template_compiles():
    from bot.core.knowledge import TEMPLATES_DIR

    env = make_environment()
    files = list(TEMPLATES_DIR.rglob("*.j2"))
    assert files
    for path in files:
        if "web" in path.relative_to(TEMPLATES_DIR).parts:
            continue  # HTML pages use their own autoescaping environment
        env.parse(path.read_text(encoding="utf-8"))
