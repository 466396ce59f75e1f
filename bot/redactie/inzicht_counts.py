"""Inzicht (issue 19): counted, never recorded.

The NLG server sees every bot answer by name with its arguments, and the gateway
sees what the chat never does (its own 112 safety net, the printable checklist).
Both turn an answer into counts here: (metric, key) pairs such as
("vraag", "overstroming|tijdens") or ("plan_budget", "25-50"). Nothing else is
kept: no message text, no session id, no address, no exact household or budget.

Counting must not slow the chat: `Tally.add` only bumps a number in memory; a
daemon thread writes the sums every few seconds as one upsert per cell
(`count = count + n`) and deletes days older than two years once a day.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy

from bot.core.kit import known_needs
from bot.core.regions import is_region_code
from bot.core.risks import PHASES, is_risk_key
from bot.redactie.db import Database, DatabaseUnavailable

logger = logging.getLogger(__name__)

TZ = ZoneInfo("Europe/Amsterdam")
RETENTION_DAYS = 2 * 365 + 1  # two years, a leap day included
NO_REGION = ""

# metric -> what it counts (the page's words live in the templates)
METRICS = (
    "vraag",  # a risk question answered, key "risk|phase"
    "noodgeval",  # a 112 answer (the emergency action, the English one, or the gateway's safety net)
    "niet_begrepen",  # the bot's fallback answer
    "plan_huishouden",  # a noodpakket plan made, key: household-size band
    "plan_budget",  # the same plan, key: budget band
    "behoefte",  # a need named for a plan, key: the need's category (baby, huisdier, ...)
    "checklist",  # the printable checklist made for a household
    "widget",  # the widget opened
)
HOUSEHOLD_BANDS = ("1", "2", "3-4", "5+")
BUDGET_BANDS = ("0", "<25", "25-50", "50-100", ">100")
EMERGENCY_RESPONSES = frozenset({"utter_emergency", "utter_english_emergency"})
FALLBACK_RESPONSES = frozenset({"utter_fallback"})

Cell = tuple[str, str]  # (metric, key)


def household_band(persons: int) -> str:
    if persons <= 1:
        return "1"
    if persons == 2:
        return "2"
    return "3-4" if persons <= 4 else "5+"


def budget_band(euros: float) -> str:
    """€0, under €25, €25–50, €50–100, more (a boundary belongs to the lower band)."""
    if euros <= 0:
        return "0"
    if euros < 25:
        return "<25"
    if euros <= 50:
        return "25-50"
    return "50-100" if euros <= 100 else ">100"


def cells_for_reply(name: str, arguments: Mapping[str, Any]) -> list[Cell]:
    """The counts one rendered answer adds; unknown values are dropped, never stored raw."""
    if name == "utter_risk_advice":
        key, phase = arguments.get("risk_key"), arguments.get("phase")
        if is_risk_key(key) and phase in PHASES:
            return [("vraag", f"{key}|{phase}")]
        return []
    if name in EMERGENCY_RESPONSES:
        return [("noodgeval", "")]
    if name in FALLBACK_RESPONSES:
        return [("niet_begrepen", "")]
    if name == "utter_kit_plan":
        return plan_cells(arguments.get("plan"))
    return []


def plan_cells(plan: Any) -> list[Cell]:
    if not isinstance(plan, Mapping):
        return []
    persons, budget = plan.get("persons"), plan.get("budget_eur")
    if not isinstance(persons, int) or not isinstance(budget, (int, float)):
        return []
    cells = [("plan_huishouden", household_band(persons)), ("plan_budget", budget_band(float(budget)))]
    needs = plan.get("needs")
    known = set(known_needs())
    if isinstance(needs, list):
        cells += [("behoefte", need) for need in dict.fromkeys(needs) if isinstance(need, str) and need in known]
    return cells


def day_of(moment: float | None = None) -> str:
    return dt.datetime.fromtimestamp(time.time() if moment is None else moment, TZ).date().isoformat()


def region_key(region: str | None) -> str:
    return region if region and is_region_code(region) else NO_REGION


# --- the store -------------------------------------------------------------------------

UPSERT = (
    "INSERT INTO inzicht_counts (day, region, metric, key, count) VALUES (:day, :region, :metric, :key, :n) "
    "ON CONFLICT (day, region, metric, key) DO UPDATE SET count = inzicht_counts.count + excluded.count"
)


def write_counts(db: Database, counts: Mapping[tuple[str, str, str, str], int]) -> None:
    if not counts:
        return
    params = [{"day": d, "region": r, "metric": m, "key": k, "n": n} for (d, r, m, k), n in counts.items()]
    with db.write() as conn:
        conn.execute(sqlalchemy.text(UPSERT), params)


def purge_old(db: Database, today: str | None = None) -> int:
    """Delete the days older than two years; returns how many rows went."""
    first = dt.date.fromisoformat(today or day_of()) - dt.timedelta(days=RETENTION_DAYS)
    with db.write() as conn:
        result = conn.execute(
            sqlalchemy.text("DELETE FROM inzicht_counts WHERE day < :first"), {"first": first.isoformat()}
        )
        return int(result.rowcount or 0)


def read_counts(db: Database, first_day: str, regions: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Raw rows since first_day; only for the suppression in bot/redactie/inzicht_view.py."""
    select = "SELECT day, region, metric, key, count FROM inzicht_counts WHERE day >= :first"
    if regions is None:
        rows = db.rows(select + " ORDER BY day", first=first_day)
    else:
        rows = [
            r for region in regions for r in db.rows(select + " AND region = :region", first=first_day, region=region)
        ]
    return sorted((dict(r) for r in rows), key=lambda r: str(r["day"]))


class Tally:
    """Counts in memory, written by a daemon thread every `interval` seconds.

    A failed write keeps the sums for the next round (the database may be down
    for a while); the buffer is capped so a long outage cannot eat memory."""

    MAX_CELLS = 50_000

    def __init__(self, db: Database, interval: float = 5.0) -> None:
        self.db = db
        self.interval = interval
        self._counts: Counter[tuple[str, str, str, str]] = Counter()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._purged_on = ""

    def add(self, region: str | None, cells: Iterable[Cell], moment: float | None = None) -> None:
        day, where = day_of(moment), region_key(region)
        with self._lock:
            for metric, key in cells:
                if len(self._counts) < self.MAX_CELLS or (day, where, metric, key) in self._counts:
                    self._counts[(day, where, metric, key)] += 1

    def count_reply(self, region: str | None, name: str, arguments: Mapping[str, Any]) -> None:
        cells = cells_for_reply(name, arguments)
        if cells:
            self.add(region, cells)

    def flush(self) -> None:
        with self._lock:
            pending, self._counts = self._counts, Counter()
        if not pending:
            return  # nothing counted: leave the database alone (the purge waits for a count)
        try:
            write_counts(self.db, pending)
            today = day_of()
            if self._purged_on != today:
                purge_old(self.db, today)
                self._purged_on = today
        except (DatabaseUnavailable, sqlalchemy.exc.SQLAlchemyError) as exc:
            logger.warning("inzicht counts not written yet (%s); kept for the next try", type(exc).__name__)
            with self._lock:
                pending.update(self._counts)
                self._counts = pending

    def start(self) -> Tally:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="inzicht-tally", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()
