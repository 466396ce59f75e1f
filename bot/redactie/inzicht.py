"""Inzicht pages (issue 19): what residents ask and how prepared they are, per region.

GET /redactie/inzicht?regio=VRxx|NL   charts with text summaries, incident view
GET /redactie/inzicht.csv?regio=...   the published cells for the region's analysts

A regional editor sees their own region only (another region: 403); a national
editor sees every region and the national total. Every number follows the one
suppression rule in bot/redactie/inzicht_view.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from bot.core.kit import data as kit_data
from bot.core.regions import REGION_CODES, is_region_code
from bot.core.risks import PHASES, list_risks
from bot.redactie import auth, inzicht_counts, inzicht_svg, inzicht_view
from bot.redactie.db import Database
from bot.redactie.web import NATIONAL, REDACTIE, _in_thread, _redactie, login_required, page

WEEKS = 12
PHASE_LABELS = {"voor": "Voor (voorbereiden)", "tijdens": "Tijdens", "na": "Na (herstel)"}
BUDGET_LABELS = {
    "0": "€ 0",
    "<25": "minder dan € 25",
    "25-50": "€ 25 tot 50",
    "50-100": "€ 50 tot 100",
    ">100": "meer dan € 100",
}
HOUSEHOLD_LABELS = {"1": "1 persoon", "2": "2 personen", "3-4": "3 of 4 personen", "5+": "5 of meer personen"}
SIMPLE_LABELS = {
    "noodgeval": "Noodgevallen beantwoord (112)",
    "niet_begrepen": "Vragen niet begrepen",
    "checklist": "Checklists gemaakt om te printen",
    "widget": "Chat geopend (nieuw gesprek)",
}


def scope(session: auth.Session, wanted: str | None) -> tuple[str, list[str] | None] | None:
    """(label, regions) the user may see for ?regio=; None when not allowed.
    regions None means every region (national view, national total)."""
    user = session.user
    if not user.is_national:
        if wanted not in (None, "", user.region):
            return None
        return str(user.region), [str(user.region)]
    if wanted in (None, "", NATIONAL):
        return NATIONAL, None
    return (wanted, [wanted]) if isinstance(wanted, str) and is_region_code(wanted) else None


def _load(db: Any, regions: list[str] | None, today: str) -> tuple[list[dict[str, Any]], list[str]]:
    weeks = inzicht_view.weeks_back(today, WEEKS)
    first = (dt.date.fromisoformat(today) - dt.timedelta(weeks=WEEKS)).isoformat()
    return inzicht_counts.read_counts(db, first, regions), weeks


def _summary(title: str, totals: dict[str, inzicht_view.Total], labels: dict[str, str]) -> str:
    shown = [f"{labels.get(k, k)}: {t.label}" for k, t in totals.items()]
    return f"{title}. " + "; ".join(shown) + "."


@login_required
async def inzicht_page(request: web.Request, session: auth.Session) -> web.StreamResponse:
    allowed = scope(session, request.query.get("regio"))
    if allowed is None:
        return page("inzicht_denied.html.j2", status=403, session=session)
    label, regions = allowed
    today = inzicht_counts.day_of()
    rows, weeks = await _in_thread(_load, _redactie(request).db, regions, today)
    risk_titles = {r["key"]: r["title"] for r in list_risks()}
    report = inzicht_view.build_report(
        inzicht_view.base_cells(rows),
        weeks,
        risk_titles,
        PHASES,
        inzicht_counts.BUDGET_BANDS,
        inzicht_counts.HOUSEHOLD_BANDS,
    )
    asked = {k: s for k, s in report.risks_by_week.items() if any(t.shown or not t.complete for t in s.values())}
    need_labels = {k: str(v.get("label", k)) for k, v in kit_data()["needs"].items()}
    risk_lines = {k: sum(s.values(), inzicht_view.ZERO) for k, s in asked.items()}
    charts = [
        {
            "id": "risico",
            "title": "Vragen per risico, per week",
            "svg": inzicht_svg.line_chart("Vragen per risico, per week", asked, risk_titles) if asked else "",
            "summary": _summary("Vragen per risico in 12 weken", risk_lines, risk_titles)
            if asked
            else "Nog geen vragen over risico's in deze 12 weken.",
        },
        {
            "id": "fase",
            "title": "Vragen per fase",
            "svg": inzicht_svg.bar_chart("Vragen per fase", report.phases, PHASE_LABELS),
            "summary": _summary("Vragen per fase", report.phases, PHASE_LABELS),
        },
        {
            "id": "budget",
            "title": "Noodpakket-plannen per budget",
            "svg": inzicht_svg.bar_chart("Noodpakket-plannen per budget", report.budget, BUDGET_LABELS),
            "summary": _summary("Plannen per budget", report.budget, BUDGET_LABELS),
        },
        {
            "id": "huishouden",
            "title": "Huishoudens met een plan",
            "svg": inzicht_svg.bar_chart("Huishoudens met een plan", report.households, HOUSEHOLD_LABELS),
            "summary": _summary(
                f"Plannen gemaakt: {report.plans.label}. Per huishouden", report.households, HOUSEHOLD_LABELS
            ),
        },
    ]
    incidents = inzicht_view.incidents(rows, today)
    regions_table: list[dict[str, Any]] = []
    national_total: list[inzicht_view.Total] = []
    if regions is None:
        metrics = ("vraag", "noodgeval", "niet_begrepen", "plan_huishouden")
        for code in ("", *REGION_CODES):
            per = report.by_region.get(code, {})
            regions_table.append({"code": code, "cells": [per.get(m, inzicht_view.ZERO) for m in metrics]})
        # The national total is the sum of the shown region cells (the one rule in inzicht_view).
        national_total = [
            sum((report.by_region.get(c, {}).get(m, inzicht_view.ZERO) for c in ("", *REGION_CODES)), inzicht_view.ZERO)
            for m in metrics
        ]
    return page(
        "inzicht.html.j2",
        session=session,
        scope_label=label,
        scope_value=label,
        regions=[NATIONAL, *REGION_CODES] if session.user.is_national else [],
        weeks=weeks,
        charts=charts,
        simple=[(SIMPLE_LABELS[m], t) for m, t in report.simple.items()],
        needs=[(need_labels.get(k, k), t) for k, t in sorted(report.needs.items())],
        incidents=[risk_titles.get(k, k) for k in incidents],
        regions_table=regions_table,
        national_total=national_total,
        threshold=inzicht_view.THRESHOLD,
    )


@login_required
async def inzicht_csv(request: web.Request, session: auth.Session) -> web.StreamResponse:
    allowed = scope(session, request.query.get("regio"))
    if allowed is None:
        return page("inzicht_denied.html.j2", status=403, session=session)
    label, regions = allowed
    rows, weeks = await _in_thread(_load, _redactie(request).db, regions, inzicht_counts.day_of())
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(inzicht_view.csv_rows(inzicht_view.base_cells(rows), weeks))
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="inzicht-{label}.csv"'},
    )


async def widget_opened(request: web.Request) -> web.Response:
    """The widget's beacon when a new conversation opens: one count for the region, nothing kept."""
    region = request.query.get("region")
    if region is not None and not is_region_code(region):
        return web.json_response({"error": "region must be VR01..VR25"}, status=400)
    count(request.app, region, [("widget", "")])
    return web.Response(status=204)


def setup(app: web.Application) -> None:
    app.router.add_get("/redactie/inzicht", inzicht_page)
    app.router.add_get("/redactie/inzicht.csv", inzicht_csv)
    app.router.add_post("/api/v1/widget-geopend", widget_opened)
    setup_counting(app)


# --- counting in the gateway (its own 112 safety net, the printable checklist) ----------

TALLY = web.AppKey("inzicht_tally", inzicht_counts.Tally)


def count(app: web.Application, region: str | None, cells: list[inzicht_counts.Cell]) -> None:
    """Bump counts in memory; apps built without the Redactie (unit tests) count nothing."""
    tally = app.get(TALLY)
    if tally is not None:
        tally.add(region, cells)


def setup_counting(app: web.Application) -> None:
    app[TALLY] = inzicht_counts.Tally(_redactie_db(app))

    async def run_tally(app: web.Application) -> AsyncIterator[None]:
        app[TALLY].start()
        yield
        app[TALLY].stop()

    app.cleanup_ctx.append(run_tally)


def _redactie_db(app: web.Application) -> Database:
    return app[REDACTIE].db
