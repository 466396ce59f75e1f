"""Inzicht (issue 19): banding, counting and the suppression rule (pure logic, no database)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.redactie import inzicht_counts as counts
from bot.redactie import inzicht_view as view

WEEKS = ["2026-W47", "2026-W48"]
RISKS = ["overstroming", "stroomstoring"]
KEYS = [
    ("vraag", "overstroming|voor"),
    ("vraag", "overstroming|tijdens"),
    ("vraag", "stroomstoring|na"),
    ("plan_budget", "0"),
    ("plan_budget", "25-50"),
    ("plan_huishouden", "1"),
    ("plan_huishouden", "3-4"),
    ("noodgeval", ""),
    ("behoefte", "medicijnen"),
]


def report(cells):
    return view.build_report(
        cells, WEEKS, RISKS, ("voor", "tijdens", "na"), counts.BUDGET_BANDS, counts.HOUSEHOLD_BANDS
    )


def everything_shown(cells):
    """All a viewer sees: the report, and the CSV export."""
    return report(cells), view.csv_rows(cells, WEEKS)


cell_keys = st.tuples(st.sampled_from(["VR19", "VR01", ""]), st.sampled_from(WEEKS), st.sampled_from(KEYS))
tables = st.dictionaries(cell_keys, st.integers(min_value=0, max_value=60), min_size=1, max_size=30).map(
    lambda d: {(r, w, m, k): v for (r, w, (m, k)), v in d.items()}
)


@settings(max_examples=300, deadline=None)
@given(tables, st.data())
def test_no_hidden_cell_can_be_derived(cells, data):
    """Changing any hidden cell (1-9) to any other value from 1 to 9 changes nothing anyone
    sees: no row, column, region or national total, and no difference of them, reveals it."""
    hidden = [k for k, v in cells.items() if 0 < v < view.THRESHOLD]
    before = everything_shown(cells)
    for key in hidden:
        other = data.draw(st.integers(min_value=1, max_value=9).filter(lambda v, k=key: v != cells[k]))
        assert everything_shown({**cells, key: other}) == before


@settings(max_examples=200, deadline=None)
@given(tables)
def test_every_total_is_exact_or_says_minstens(cells):
    """A total is exact when no hidden cell is in it, and never more than the truth."""
    shown = report(cells)
    true_budget = {b: 0 for b in counts.BUDGET_BANDS}
    hidden_in = {b: False for b in counts.BUDGET_BANDS}
    for (_r, _w, metric, key), value in cells.items():
        if metric == "plan_budget":
            true_budget[key] += value
            hidden_in[key] |= 0 < value < 10
    for band, total in shown.budget.items():
        assert total.complete is not hidden_in[band]
        assert total.shown <= true_budget[band]
        assert total.label == (str(true_budget[band]) if not hidden_in[band] else f"minstens {total.shown}")


def test_cells_under_ten_are_minder_dan_10():
    cells = {("VR19", "2026-W48", "noodgeval", ""): 9, ("VR01", "2026-W48", "noodgeval", ""): 10}
    rows = view.csv_rows(cells, WEEKS)
    assert rows[1][-1] == "10" and rows[2][-1] == "minder dan 10"  # sorted: VR01 first
    assert "9" not in [row[-1] for row in rows]
    assert report(cells).simple["noodgeval"].label == "minstens 10"
    assert view.cell_label(0) == "0"


def test_bands():
    assert [counts.household_band(n) for n in (1, 2, 3, 4, 5, 9)] == ["1", "2", "3-4", "3-4", "5+", "5+"]
    bands = [counts.budget_band(e) for e in (0, 0.01, 24.99, 25, 50, 50.5, 100, 100.01)]
    assert bands == ["0", "<25", "<25", "25-50", "25-50", "50-100", "50-100", ">100"]


def test_answers_become_counts_without_any_text():
    assert counts.cells_for_reply("utter_risk_advice", {"risk_key": "overstroming", "phase": "na"}) == [
        ("vraag", "overstroming|na")
    ]
    # Unknown risks or phases are dropped: the key never holds free text.
    assert counts.cells_for_reply("utter_risk_advice", {"risk_key": "mijn adres", "phase": "na"}) == []
    assert counts.cells_for_reply("utter_emergency", {"danger": "brand"}) == [("noodgeval", "")]
    assert counts.cells_for_reply("utter_fallback", {}) == [("niet_begrepen", "")]
    plan = {"persons": 3, "budget_eur": 40.0, "needs": ["medicijnen", "Jan de Vries", "medicijnen"]}
    assert counts.cells_for_reply("utter_kit_plan", {"plan": plan}) == [
        ("plan_huishouden", "3-4"),
        ("plan_budget", "25-50"),
        ("behoefte", "medicijnen"),
    ]
    assert counts.cells_for_reply("utter_greet", {}) == []


def test_incident_when_today_is_over_three_times_the_baseline():
    def rows(day, risk, n):
        return {"day": day, "region": "VR19", "metric": "vraag", "key": f"{risk}|tijdens", "count": n}

    week = [rows(f"2026-11-{d:02d}", "overstroming", 4) for d in range(23, 30)]  # 4 a day
    assert view.incidents([*week, rows("2026-11-30", "overstroming", 12)], "2026-11-30") == []  # 12 = 3x
    assert view.incidents([*week, rows("2026-11-30", "overstroming", 13)], "2026-11-30") == ["overstroming"]
    # Under 10 today is never an incident, however quiet the week was.
    assert view.incidents([rows("2026-11-30", "storm", 9)], "2026-11-30") == []
    assert view.incidents([rows("2026-11-30", "storm", 10)], "2026-11-30") == ["storm"]
