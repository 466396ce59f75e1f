"""Issue 16, "no text can harm the service": the bounded text sandbox and the render pool.

The sandbox refuses what turns a short text into a huge one (widths, repetition);
the pool stops what only time or memory can show (loops, doubling strings), and
the renderer falls back to the last good version or the layer below, logging
the text's name and region but nothing from the context.
"""

from __future__ import annotations

import logging
import time

import pytest
from jinja2.exceptions import SecurityError

from bot.texts.jinja import MAX_WIDTH, text_environment
from bot.texts.render import Renderer
from bot.texts.safe_render import RenderLimits, RenderPool, memory_limit_task

HUGE = 999_999_999
TRAP = (
    "{% if plan.budget == 37 %}"
    "{% for a in range(999) %}{% for b in range(999) %}{% for c in range(999) %}{% endfor %}{% endfor %}{% endfor %}"
    "{% endif %}Live Zeeland {{ plan.budget }}."
)

# Each asks for about a gigabyte; each must be refused by the sandbox itself, at once.
UNBOUNDED_SOURCES = {
    "ljust": "{{ 'a'.ljust(HUGE) }}",
    "rjust (keyword)": "{{ 'a'.rjust(width=HUGE) }}",
    "str.center": "{{ 'a'.center(HUGE) }}",
    "zfill": "{{ '1'.zfill(HUGE) }}",
    "center filter": "{{ 'a'|center(HUGE) }}",
    "percent width": "{{ '%HUGEs' % 'a' }}",
    "percent precision": "{{ '%.HUGEf' % 1.5 }}",
    "percent width from argument": "{{ '%*s' % (HUGE, 'a') }}",
    "format filter": "{{ '%HUGEs'|format('a') }}",
    "str.format width": "{{ '{:>HUGE}'.format('a') }}",
    "str.format nested width": "{{ '{:>{w}}'.format('a', w=HUGE) }}",
    "str.format_map width": "{{ '{x:>HUGE}'.format_map({'x': 1}) }}",
    "string repetition": "{{ 'ab' * HUGE }}",
    "repetition, count first": "{{ HUGE * 'ab' }}",
    "list repetition": "{{ [1] * HUGE }}",
    "wordwrap width": "{{ 'a b'|wordwrap(HUGE) }}",
    "wordwrap wrapstring": "{{ 'a b c d'|wordwrap(1, true, 'x' * 500) }}",
    "indent width": "{{ 'a\nb'|indent(HUGE) }}",
    "indent string": "{{ 'a\nb'|indent('x' * 1000 ~ 'y') }}",
    "replace growth": "{{ ('a' * 1000)|replace('a', 'b' * 1000) }}",
    "str.replace growth": "{{ ('a' * 1000).replace('', 'b' * 200) }}",
    "slice count": "{{ [1]|slice(HUGE)|list }}",
    "power": "{{ 10 ** 999999 }}",
    "range": "{% for i in range(100000) %}{% endfor %}",
}
UNBOUNDED = {name: source.replace("HUGE", str(HUGE)) for name, source in UNBOUNDED_SOURCES.items()}


@pytest.mark.parametrize("source", list(UNBOUNDED.values()), ids=list(UNBOUNDED))
def test_the_sandbox_refuses_huge_widths_and_repetition(source: str) -> None:
    started = time.monotonic()
    with pytest.raises(SecurityError):
        text_environment().from_string(source).render()
    assert time.monotonic() - started < 1.0  # refused before anything big was built


def test_lipsum_is_not_available() -> None:
    with pytest.raises(Exception, match="lipsum"):
        text_environment().from_string("{{ lipsum(999999999) }}").render()


def test_normal_widths_and_repetition_still_work() -> None:
    source = (
        "{{ 'a'.ljust(3) }}|{{ '%3s' % 'b' }}|{{ '{:>3}'.format('c') }}|{{ 'd'|center(3) }}|"
        "{{ 'ab' * 2 }}|{{ '%s en %s'|format('x', 'y') }}|{{ 'e f'|wordwrap(1) }}|{{ 'g\nh'|indent(2) }}|"
        "{{ 'ii'|replace('i', 'j') }}|{{ 2 ** 10 }}|{{ 7 % 3 }}|{{ 'w'.ljust(" + str(MAX_WIDTH) + ")|length }}"
    )
    out = text_environment().from_string(source).render()
    assert out == "a  |  b|  c| d |abab|x en y|e\nf|g\n  h|jj|1024|1|1000"


# --- the pool --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool():
    pool = RenderPool(RenderLimits(time_budget=0.5, max_output=2000, memory_mb=128, workers=2))
    assert pool.render_text("warm", {}, budget=30).raw == "warm"  # start-up is not part of any budget
    yield pool
    pool.close()


def test_a_loop_is_stopped_at_the_budget_and_the_worker_replaced(pool: RenderPool) -> None:
    started = time.monotonic()
    outcome = pool.render_text(TRAP, {"plan": {"budget": 37}})
    assert outcome.error == "too_slow"
    assert time.monotonic() - started < 2.0  # budget 0.5 s, plus Pebble's 0.1 s tick
    # The killed worker is replaced: the next renders work at once.
    assert pool.render_text(TRAP, {"plan": {"budget": 50}}).raw == "Live Zeeland 50."


def test_output_over_the_limit_is_stopped(pool: RenderPool) -> None:
    outcome = pool.render_text("{% for i in range(1000) %}{{ 'x' * 10 }}{% endfor %}", {})
    assert outcome.error == "too_large"
    assert pool.render_text("{% for i in range(10) %}x{% endfor %}", {}).raw == "x" * 10


def test_a_worker_has_a_memory_limit_and_doubling_a_string_hits_it(pool: RenderPool) -> None:
    limit = int(pool._run(5, memory_limit_task).raw or 0)
    assert 0 < limit < 2 * 1024**3
    doubling = "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
    outcome = pool.render_text(doubling + "{{ ns.s|length }}", {}, budget=10)
    assert outcome.error in ("memory", "crashed")
    assert pool.render_text("ok", {}).raw == "ok"


def test_mistakes_come_back_as_codes(pool: RenderPool) -> None:
    assert pool.render_text("{{ missing.x }}", {}).error == "undefined"
    assert pool.render_text("{{ ''.__class__ }}", {}).error in ("security", "undefined")
    assert pool.render_text(UNBOUNDED["ljust"], {}).error == "security"
    assert pool.render_text("{{ 1 // 0 }}", {}).error == "render_error"


def test_a_closed_pool_answers_unavailable() -> None:
    closed = RenderPool(RenderLimits(workers=1))
    closed.close()
    assert closed.render_text("x", {}).error == "unavailable"


# --- the renderer's fallbacks -------------------------------------------------------------


class FakeStore:
    def __init__(self, sources: dict[tuple[str, str | None], str]) -> None:
        self.sources = sources

    def get_source(self, name: str, region: str | None) -> str | None:
        return self.sources.get((name, region))


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "_safe_default.txt").write_text("Veilige standaardtekst.", encoding="utf-8")
    (tmp_path / "utter_kit_plan.j2").write_text("Landelijk plan {{ plan.budget }}.", encoding="utf-8")
    return tmp_path


def test_a_text_over_the_limit_falls_back_to_its_last_good_version(tree, pool, caplog) -> None:
    store = FakeStore({("utter_kit_plan", "VR19"): "Oude Zeeland {{ plan.budget }}."})
    renderer = Renderer(tree, store=store, pool=pool)
    assert renderer.render("utter_kit_plan", {"plan": {"budget": 20}}, "VR19").text == "Oude Zeeland 20."
    store.sources[("utter_kit_plan", "VR19")] = TRAP  # the editor saves the trap

    caplog.set_level(logging.INFO, logger="bot.texts.render")
    started = time.monotonic()
    rendered = renderer.render("utter_kit_plan", {"plan": {"budget": 37}, "secret": "Jansen"}, "VR19")
    assert time.monotonic() - started < 2.0
    assert rendered.text == "Oude Zeeland 37."
    log = "\n".join(r.getMessage() for r in caplog.records if r.name == "bot.texts.render")
    assert "utter_kit_plan" in log and "VR19" in log and "too_slow" in log
    assert "Jansen" not in log and "37" not in log  # names the text, never the resident's data

    # Set aside: the next request does not spend the budget again.
    started = time.monotonic()
    assert renderer.render("utter_kit_plan", {"plan": {"budget": 37}}, "VR19").text == "Oude Zeeland 37."
    assert time.monotonic() - started < 0.4


def test_without_a_last_good_version_the_repository_text_answers(tree, pool) -> None:
    renderer = Renderer(tree, store=FakeStore({("utter_kit_plan", "VR19"): TRAP}), pool=pool)
    assert renderer.render("utter_kit_plan", {"plan": {"budget": 37}}, "VR19").text == "Landelijk plan 37."
    # For other budgets the edited text is live.
    assert renderer.render("utter_kit_plan", {"plan": {"budget": 36}}, "VR19").text == "Landelijk plan 36."


def test_a_fixed_text_is_used_again(tree, pool) -> None:
    store = FakeStore({("utter_kit_plan", "VR19"): TRAP})
    renderer = Renderer(tree, store=store, pool=pool)
    assert renderer.render("utter_kit_plan", {"plan": {"budget": 37}}, "VR19").text == "Landelijk plan 37."
    store.sources[("utter_kit_plan", "VR19")] = "Verbeterd {{ plan.budget }}."  # a new version is a new source
    assert renderer.render("utter_kit_plan", {"plan": {"budget": 37}}, "VR19").text == "Verbeterd 37."


def test_a_slow_repository_text_is_not_set_aside(tree, pool) -> None:
    (tree / "utter_slow.j2").write_text(TRAP.replace("Live Zeeland", "Repo"), encoding="utf-8")
    renderer = Renderer(tree, pool=pool)
    assert renderer.render("utter_slow", {"plan": {"budget": 37}}).text == "Veilige standaardtekst."
    assert renderer.render("utter_slow", {"plan": {"budget": 5}}).text == "Repo 5."


def test_a_stopped_pool_is_replaced_once_not_left_refusing_every_render() -> None:
    # Pebble refuses work once its pool has stopped; before, every render then came back
    # "unavailable" until the process restarted (seen once in a full CI run).
    pool = RenderPool(RenderLimits(time_budget=2.0, max_output=2000, memory_mb=128, workers=1))
    try:
        pool._pool.stop()
        pool._pool.join(timeout=5)
        outcome = pool.render_text("Hallo {{ naam }}.", {"naam": "Zeeland"})
        assert outcome.error is None and outcome.raw == "Hallo Zeeland.", outcome
    finally:
        pool.close()
    assert pool.render_text("Hallo.", {}).error == "unavailable"  # closed on purpose: no new pool
