"""Inzicht (issue 19): what an editor may see of the counts. Pure functions, no database.

The suppression rule, one rule for every page, chart and CSV export:

1. The published cells are the counts per region, ISO week, metric and key
   ("VR19, week 48, vraag, overstroming|tijdens"). A cell of 1 to 9 is shown as
   "minder dan 10"; 0 and 10 or more are shown as they are.
2. Every other number (a risk over all phases, a week over all regions, the
   national total) is the sum of the *shown* cells only. When a hidden cell is
   part of it, the page says "minstens" before it.

So every number anyone sees is a function of shown cells: changing a hidden cell
to any other value from 1 to 9 changes nothing on any page (tests/unit/
test_inzicht_view.py checks this with hypothesis). No total minus shown cells can
reveal a hidden one, because no total ever contains a hidden one. The price: a
total over small cells is a lower bound, and says so.

The incident view is the one exception that looks at hidden days: it names a risk
whose questions today reach 10 or more and exceed three times the daily average
of the 7 days before. It shows no number, only the risk's name.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

THRESHOLD = 10
INCIDENT_FACTOR = 3
BASELINE_DAYS = 7
HIDDEN_TEXT = "minder dan 10"

BaseKey = tuple[str, str, str, str]  # (region, week, metric, key)


@dataclass(frozen=True)
class Total:
    """A sum of shown cells; `complete` is False when a hidden cell belongs to it."""

    shown: int
    complete: bool

    @property
    def label(self) -> str:
        return str(self.shown) if self.complete else f"minstens {self.shown}"

    def __add__(self, other: Total) -> Total:
        return Total(self.shown + other.shown, self.complete and other.complete)


ZERO = Total(0, True)


def week_of(day: str) -> str:
    year, week, _ = dt.date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def weeks_back(today: str, count: int) -> list[str]:
    """The last `count` ISO weeks up to today's, oldest first."""
    end = dt.date.fromisoformat(today)
    return [week_of((end - dt.timedelta(weeks=i)).isoformat()) for i in range(count - 1, -1, -1)]


def base_cells(rows: Iterable[Mapping[str, Any]]) -> dict[BaseKey, int]:
    """Raw day rows -> week cells (not yet published)."""
    cells: dict[BaseKey, int] = defaultdict(int)
    for row in rows:
        cells[(row["region"], week_of(row["day"]), row["metric"], row["key"])] += int(row["count"])
    return dict(cells)


def publish(value: int) -> int | None:
    """A cell as shown: None means "minder dan 10"."""
    return None if 0 < value < THRESHOLD else value


def as_total(value: int) -> Total:
    shown = publish(value)
    return Total(0, False) if shown is None else Total(shown, True)


def cell_label(value: int) -> str:
    shown = publish(value)
    return HIDDEN_TEXT if shown is None else str(shown)


@dataclass(frozen=True)
class Report:
    """Everything one Inzicht page shows, built from published cells only."""

    weeks: list[str]
    risks_by_week: dict[str, dict[str, Total]]  # risk -> week -> total over phases and regions
    phases: dict[str, Total]
    budget: dict[str, Total]
    households: dict[str, Total]
    needs: dict[str, Total]
    simple: dict[str, Total]  # noodgeval, niet_begrepen, checklist, widget
    by_region: dict[str, dict[str, Total]]  # region -> metric -> total (national view)

    @property
    def plans(self) -> Total:
        return sum(self.households.values(), ZERO)


SIMPLE_METRICS = ("noodgeval", "niet_begrepen", "checklist", "widget")
PLAN_METRIC = "plan_huishouden"


def build_report(
    cells: Mapping[BaseKey, int],
    weeks: list[str],
    risks: Iterable[str],
    phases: Iterable[str],
    budget_bands: Iterable[str],
    household_bands: Iterable[str],
) -> Report:
    """Every number is a sum of `as_total(cell)`: hidden cells add nothing but "minstens"."""
    in_period = set(weeks)
    risks_by_week: dict[str, dict[str, Total]] = {r: {w: ZERO for w in weeks} for r in risks}
    phase_totals: dict[str, Total] = {p: ZERO for p in phases}
    budget: dict[str, Total] = {b: ZERO for b in budget_bands}
    households: dict[str, Total] = {b: ZERO for b in household_bands}
    needs: dict[str, Total] = defaultdict(lambda: ZERO)
    simple: dict[str, Total] = {m: ZERO for m in SIMPLE_METRICS}
    by_region: dict[str, dict[str, Total]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for (region, week, metric, key), value in sorted(cells.items()):
        if week not in in_period:
            continue
        total = as_total(value)
        by_region[region][metric] = by_region[region][metric] + total
        if metric == "vraag":
            risk, _, phase = key.partition("|")
            if risk in risks_by_week:
                risks_by_week[risk][week] = risks_by_week[risk][week] + total
            if phase in phase_totals:
                phase_totals[phase] = phase_totals[phase] + total
        elif metric == "plan_budget" and key in budget:
            budget[key] = budget[key] + total
        elif metric == PLAN_METRIC and key in households:
            households[key] = households[key] + total
        elif metric == "behoefte":
            needs[key] = needs[key] + total
        elif metric in simple:
            simple[metric] = simple[metric] + total
    return Report(
        weeks=weeks,
        risks_by_week=risks_by_week,
        phases=phase_totals,
        budget=budget,
        households=households,
        needs=dict(needs),
        simple=simple,
        by_region={r: dict(m) for r, m in by_region.items()},
    )


def csv_rows(cells: Mapping[BaseKey, int], weeks: list[str]) -> list[list[str]]:
    """The published cells, for the region's analysts: the same rule as the pages."""
    in_period = set(weeks)
    rows = [["regio", "week", "telling", "sleutel", "aantal"]]
    for (region, week, metric, key), value in sorted(cells.items()):
        if week in in_period:
            rows.append([region or "onbekend", week, metric, key, cell_label(value)])
    return rows


def incidents(rows: Iterable[Mapping[str, Any]], today: str) -> list[str]:
    """Risks whose questions today reach 10 and exceed 3x the daily average of the 7 days before."""
    first = (dt.date.fromisoformat(today) - dt.timedelta(days=BASELINE_DAYS)).isoformat()
    now: dict[str, int] = defaultdict(int)
    before: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["metric"] != "vraag":
            continue
        risk = str(row["key"]).partition("|")[0]
        if row["day"] == today:
            now[risk] += int(row["count"])
        elif first <= row["day"] < today:
            before[risk] += int(row["count"])
    return sorted(
        risk
        for risk, count in now.items()
        if count >= THRESHOLD and count > INCIDENT_FACTOR * before[risk] / BASELINE_DAYS
    )
