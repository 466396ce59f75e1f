"""GET /api/v1/risico: offline against the route module, and through the real gateway."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core import risks
from bot.core.knowledge import load_yaml
from bot.gateway import risico_api
from bot.gateway.errors import error_middleware
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
    assert set(body) >= REQUIRED
    assert body["key"] == key
    for phase in ("voor", "tijdens", "na"):
        assert body[phase] and all(isinstance(s, str) and s for s in body[phase])
        assert body[phase] == risks.get_risk(key)[phase]
    # https, except the few addresses shared/facts gives only as http (marked http_only in risks.yml).
    http_only = {s["url"] for s in load_yaml("risks.yml")["risks"][key]["sources"] if s.get("http_only")}
    assert body["sources"] and all(u.startswith("https://") or u in http_only for u in body["sources"])
    assert "region" not in body


async def test_region_adds_pointers_and_keeps_fields(client):
    resp = await client.get("/api/v1/risico/storm?region=VR04")
    assert resp.status == 200
    body = await resp.json()
    assert set(body) >= REQUIRED
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


@pytest.mark.parametrize(
    "query",
    ["region=VR26", "region=VR00", "region=XX01", "region=", "region=VR4", "region=VR04&region=VR05", "region=VR04%00"],
)
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
    assert set(body) >= REQUIRED
    assert body["voor"] and body["tijdens"] and body["na"]
    assert body["region"]["code"] == "VR19"


@pytest.mark.stack
def test_stack_errors(stack):
    status, body = get_json(f"{stack.gateway}/api/v1/risico/bestaatniet")
    assert status == 404 and body["error"]
    status, body = get_json(f"{stack.gateway}/api/v1/risico/storm?region=VR99")
    assert status == 400 and body["error"]


# --- conversations through /api/v1/chat (real stack) ----------------------------------


def _joined(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def _payloads(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


@pytest.mark.stack
@pytest.mark.parametrize(
    "first,key,phase,follow_up,next_phase",
    [
        ("de stroom is uitgevallen, wat moet ik doen?", "stroomstoring", "tijdens", "en daarna?", "na"),
        ("hoe bereid ik me voor op een overstroming", "overstroming", "voor", "en als het gebeurt?", "tijdens"),
        ("wat moet ik doen nu de storm voorbij is", "storm", "na", "hoe bereid ik me voor?", "voor"),
        ("wat moet ik doen als ik de sirene hoor", "gevaarlijke_stoffen", "tijdens", "en daarna?", "na"),
    ],
)
def test_chat_phase_switch_without_naming_the_risk(stack, first, key, phase, follow_up, next_phase):
    from tests.conftest import Chat

    chat = Chat(stack.gateway)
    risk = risks.get_risk(key)
    answer = chat.say(first)
    assert risk[phase][0] in _joined(answer)
    assert any(p.startswith("/ask_phase") and f'"risk":"{key}"' in p for p in _payloads(answer))
    follow = chat.say(follow_up)
    text = _joined(follow)
    assert risk[next_phase][0] in text, text
    assert "crisis.nl" in text


@pytest.mark.stack
def test_chat_region_points_to_the_regional_broadcaster(stack):
    from bot.core.regions import get_region
    from tests.conftest import Chat

    region = get_region("VR19")
    answer = Chat(stack.gateway, region="VR19").say("wat moet ik doen bij een stroomstoring")
    assert region["radio"]["name"] in _joined(answer)


@pytest.mark.stack
def test_chat_unknown_risk_gets_risk_buttons(stack):
    from tests.conftest import Chat

    answer = Chat(stack.gateway).say("wat moet ik doen bij een ramp")
    payloads = _payloads(answer)
    assert any(p.startswith("/ask_risk") for p in payloads), answer
