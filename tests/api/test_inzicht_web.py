"""Inzicht pages in the Redactie (issue 19): scope per role, "minder dan 10", CSV, totals."""

from __future__ import annotations

import functools
import re

import pytest

from bot.redactie import inzicht, inzicht_counts
from tests.api.conftest import logged_in


@pytest.fixture
def make_client(make_client):
    return functools.partial(make_client, inzicht.setup)


def seed(db, region: str, metric: str, key: str, n: int) -> None:
    inzicht_counts.write_counts(db, {(inzicht_counts.day_of(), region, metric, key): n})


async def test_regional_editor_sees_own_region_with_small_cells_hidden(make_client, db):
    seed(db, "VR19", "vraag", "overstroming|tijdens", 12)
    seed(db, "VR19", "noodgeval", "", 3)
    seed(db, "VR01", "vraag", "overstroming|tijdens", 77)
    client, _ = await logged_in(make_client, "zeeland")
    html = await (await client.get("/redactie/inzicht")).text()
    assert "regio" in html and "Overstroming: 12" in html
    assert "Noodgevallen beantwoord (112): minstens 0" in html  # 3 is hidden
    assert not re.search(r"\b(77|89)\b", re.sub(r"<[^>]+>", " ", html))  # nothing of VR01 (no sum with it either)
    for other in ("VR01", "NL"):
        response = await client.get(f"/redactie/inzicht?regio={other}")
        assert response.status == 403
        assert (await client.get(f"/redactie/inzicht.csv?regio={other}")).status == 403
    csv = await (await client.get("/redactie/inzicht.csv")).text()
    assert "VR19" in csv and "VR01" not in csv
    assert "noodgeval,,minder dan 10" in csv and ",3\n" not in csv
    assert "overstroming|tijdens,12" in csv


async def test_national_editor_sees_every_region_and_a_total_of_shown_cells(make_client, db):
    seed(db, "VR19", "vraag", "overstroming|tijdens", 12)
    seed(db, "VR01", "vraag", "storm|voor", 20)
    seed(db, "VR02", "vraag", "storm|voor", 4)
    client, _ = await logged_in(make_client, "landelijk")
    response = await client.get("/redactie/inzicht")
    html = await response.text()
    assert response.status == 200
    assert "Heel Nederland" in html and "minstens 32" in html  # 12 + 20 shown, 4 hidden
    assert "minder dan 10" in html or "minstens 0" in html
    words = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"\b(36|24)\b", words)  # a true total would reveal VR02's hidden 4
    assert re.search(r"VR02 [^<]*</th><td>minstens 0</td>", html)
    one = await (await client.get("/redactie/inzicht?regio=VR19")).text()
    assert "Overstroming: 12" in one and "Storm" not in one.split("Vragen per risico")[1].split("</section>")[0]
    assert (await client.get("/redactie/inzicht?regio=XX99")).status == 403


async def test_charts_are_svg_with_a_text_summary(make_client, db):
    seed(db, "VR19", "plan_budget", "25-50", 15)
    seed(db, "VR19", "plan_huishouden", "2", 15)
    client, _ = await logged_in(make_client, "zeeland")
    html = await (await client.get("/redactie/inzicht")).text()
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') >= 3
    assert "Plannen per budget" in html and "€ 25 tot 50: 15" in html
    assert "Plannen gemaakt: 15" in html and "2 personen: 15" in html
    assert "<script" not in html.split("<main")[1]


async def test_without_login_no_numbers(make_client):
    client = await make_client()
    response = await client.get("/redactie/inzicht", allow_redirects=False)
    assert response.status == 303
    assert (await client.get("/redactie/inzicht.csv", allow_redirects=False)).status == 303


async def test_widget_beacon_counts_for_a_valid_region_only(make_client, db):
    client = await make_client()
    assert (await client.post("/api/v1/widget-geopend?region=VR99")).status == 400
    assert (await client.post("/api/v1/widget-geopend?region=VR19")).status == 204
    tally = client.server.app[inzicht.TALLY]
    tally.flush()
    rows = inzicht_counts.read_counts(db, "2000-01-01")
    assert [(r["region"], r["metric"], r["count"]) for r in rows] == [("VR19", "widget", 1)]
