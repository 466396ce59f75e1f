"""GET /api/v1/risico: offline against the route module, and through the real gateway."""
from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import risks
from bot.web import risico_api
from bot.web.errors import error_middleware
from tests.conftest import get_json

REQUIRED = {"key", "title", "voor", "tijdens", "na", "sources"}


@pytest.fixture
async def client():
    app = web.Application(middlewares=[error_middleware])
    risico_api.setup(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_list_has_all_keys(client):
    resp = await client.get("/api/v1/risico")
    assert resp.status == 200
    body = await resp.json()
    assert body["keys"] == list(risks.RISK_KEYS)
    assert [r["key"] for r in body["risks"]] == list(risks.RISK_KEYS)
    assert all(r["title"] and r["href"] == f"/api/v1/risico/{r['key']}" for r in body["risks"])


@pytest.mark.parametrize("key", risks.RISK_KEYS)
async def test_each_risk(client, key):
    resp = await client.get(f"/api/v1/risico/{key}")
    assert resp.status == 200
    body = await resp.json()
    assert REQUIRED <= set(body)
    assert body["key"] == key
    for phase in ("voor", "tijdens", "na"):
        assert body[phase] and all(isinstance(s, str) and s for s in body[phase])
        assert body[phase] == risks.get_risk(key)[phase]
    assert body["sources"] and all(u.startswith("https://") for u in body["sources"])
    assert "region" not in body


async def test_region_adds_pointers_and_keeps_fields(client):
    resp = await client.get("/api/v1/risico/storm?region=VR04")
    assert resp.status == 200
    body = await resp.json()
    assert REQUIRED <= set(body)
    assert body["region"]["code"] == "VR04"
    assert body["region"]["radio"]["name"]
    assert "https://crisis.nl" in body["more_info"]


async def test_key_is_case_insensitive(client):
    resp = await client.get("/api/v1/risico/Storm")
    assert resp.status == 200
    assert (await resp.json())["key"] == "storm"


@pytest.mark.parametrize("key", ["onbekend", "storm2", "gevaarlijke-stoffen", "%20"])
async def test_unknown_key_is_404_json(client, key):
    resp = await client.get(f"/api/v1/risico/{key}")
    assert resp.status == 404
    body = await resp.json()
    assert body["error"]
    assert body["keys"] == list(risks.RISK_KEYS)


@pytest.mark.parametrize("query", ["region=VR26", "region=VR00", "region=XX01", "region=", "region=VR4",
                                   "region=VR04&region=VR05", "region=VR04%00"])
async def test_bad_region_is_400_json(client, query):
    resp = await client.get(f"/api/v1/risico/storm?{query}")
    assert resp.status == 400
    assert (await resp.json())["error"]


async def test_lower_case_region_code_is_accepted(client):
    resp = await client.get("/api/v1/risico/hitte?region=vr09")
    assert resp.status == 200
    assert (await resp.json())["region"]["code"] == "VR09"


# --- through the real stack -------------------------------------------------

@pytest.mark.stack
def test_stack_list(stack):
    status, body = get_json(f"{stack.gateway}/api/v1/risico")
    assert status == 200
    assert body["keys"] == list(risks.RISK_KEYS)


@pytest.mark.stack
@pytest.mark.parametrize("key", ["stroomstoring", "gevaarlijke_stoffen", "kernongeval"])
def test_stack_risk_with_region(stack, key):
    status, body = get_json(f"{stack.gateway}/api/v1/risico/{key}?region=VR19")
    assert status == 200
    assert REQUIRED <= set(body)
    assert body["voor"] and body["tijdens"] and body["na"]
    assert body["region"]["code"] == "VR19"


@pytest.mark.stack
def test_stack_errors(stack):
    status, body = get_json(f"{stack.gateway}/api/v1/risico/bestaatniet")
    assert status == 404 and body["error"]
    status, body = get_json(f"{stack.gateway}/api/v1/risico/storm?region=VR99")
    assert status == 400 and body["error"]
