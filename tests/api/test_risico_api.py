"""GET /api/v1/risico: offline against the route module, and through the real gateway."""

from __future__ import annotations

import time
import uuid

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core import risks
from bot.core.knowledge import load_yaml
from bot.gateway import risico_api
from bot.gateway.errors import error_middleware
from bot.redactie import advice as redactie_advice
from bot.redactie.accounts import User
from bot.redactie.advice import open_advice
from bot.redactie.db import Database
from bot.redactie.store import SqlTemplateStore
from bot.texts.render import Renderer
from bot.texts.replies import Replies
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


# --- staff's published edits (issue 16) ---------------------------------------------

NATIONAL_EDITOR = User(1, "landelijk", "national", None)
ZEELAND_EDITOR = User(2, "zeeland", "regional", "VR19")


def _publish_edits(db, store, key: str, region: str, marker: str) -> None:
    """A national tip change for every region and a regional addition for one region."""
    national_tips = list(risks.get_risk(key)["tijdens"])
    national_tips[0] = f"Landelijk aangepast {marker}."
    national_doc = {"phases": {"tijdens": {"tips": national_tips}}}
    redactie_advice.publish(db, store, NATIONAL_EDITOR, key, None, national_doc)
    regional_doc = {"phases": {"tijdens": {"extra": [f"Alleen in [regio] {marker}."]}}}
    redactie_advice.publish(db, store, User(2, "regio", "regional", region), key, region, regional_doc)


def _assert_shape(body: dict) -> None:
    """The contract's keys and types, unchanged by edits."""
    assert set(body) >= REQUIRED | {"source_details", "more_info"}
    assert isinstance(body["key"], str) and isinstance(body["title"], str) and body["title"]
    for phase in ("voor", "tijdens", "na"):
        assert body[phase] and all(isinstance(line, str) and line.strip() for line in body[phase])
    assert body["sources"] and all(isinstance(url, str) for url in body["sources"])
    assert [d["url"] for d in body["source_details"]] == body["sources"]


@pytest.fixture
async def edited_client(tmp_path):
    db = Database(tmp_path / "redactie.sqlite3")
    store = SqlTemplateStore(db)
    app = web.Application(middlewares=[error_middleware])
    app["replies"] = Replies(Renderer(store=store), advice=open_advice(store))
    risico_api.setup(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client, db, store
    db.close()


async def test_published_edits_show_in_their_region_only(edited_client):
    client, db, store = edited_client
    before = await (await client.get("/api/v1/risico/storm?region=VR19")).json()
    assert before["tijdens"] == risks.get_risk("storm")["tijdens"]  # no edits yet: the defaults
    _publish_edits(db, store, "storm", "VR19", "storm-1")

    zeeland = await client.get("/api/v1/risico/storm?region=VR19")
    assert zeeland.status == 200 and zeeland.headers["Cache-Control"] == "public, max-age=60"
    body = await zeeland.json()
    _assert_shape(body)
    assert body["tijdens"][0] == "Landelijk aangepast storm-1."
    # The regional addition, under its heading, with the placeholder filled in.
    assert body["tijdens"][-2:] == ["In Zeeland:", "Alleen in Zeeland storm-1."]
    assert body["region"]["code"] == "VR19"

    for query in ("?region=VR17", ""):
        other = await (await client.get(f"/api/v1/risico/storm{query}")).json()
        _assert_shape(other)
        assert other["tijdens"][0] == "Landelijk aangepast storm-1."  # the national edit counts everywhere
        assert not any("storm-1" in line and "Alleen" in line for line in other["tijdens"]), query
        assert "In Zeeland:" not in other["tijdens"]
    # Another risk is untouched.
    assert (await (await client.get("/api/v1/risico/hitte?region=VR19")).json())["tijdens"] == risks.get_risk("hitte")[
        "tijdens"
    ]

    # Back to the default: the API follows.
    redactie_advice.reset(db, store, ZEELAND_EDITOR, "storm", "VR19")
    redactie_advice.reset(db, store, NATIONAL_EDITOR, "storm", None)
    after = await (await client.get("/api/v1/risico/storm?region=VR19")).json()
    assert after["tijdens"] == risks.get_risk("storm")["tijdens"]


async def test_channel_edit_shows_in_the_region_payload(edited_client):
    client, db, store = edited_client
    redactie_advice.save_channels(db, store, NATIONAL_EDITOR, "VR19", {"fm": "90.5"})
    body = await (await client.get("/api/v1/risico/storm?region=VR19")).json()
    assert body["region"]["radio"]["fm"] == "90.5"
    assert (await (await client.get("/api/v1/risico/storm?region=VR17")).json())["region"]["radio"]["fm"] != "90.5"


async def test_a_broken_store_serves_the_defaults(edited_client):
    client, db, store = edited_client

    class Broken:
        def risk_edits(self, key, region):
            raise RuntimeError("store down")

        def channel_edits(self, region):
            raise RuntimeError("store down")

    client.server.app["replies"].advice = Broken()
    resp = await client.get("/api/v1/risico/storm?region=VR19")
    assert resp.status == 200
    body = await resp.json()
    _assert_shape(body)
    assert body["tijdens"] == risks.get_risk("storm")["tijdens"]


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
def test_stack_published_regional_edit_reaches_the_api(stack):
    """Issue 16 through the real gateway: an edit published in the store (the file the stack uses)
    shows in that region's API answer within 5 s, and not in another region's."""
    db = Database(stack.extra_env["NOODWIJZER_DB"])
    store = SqlTemplateStore(db)
    marker = uuid.uuid4().hex[:8]
    # hitte and VR03: a risk and a region the other stack tests do not edit.
    doc = {"phases": {"tijdens": {"extra": [f"Koelcel open in [regio] {marker}."]}}}
    redactie_advice.publish(db, store, User(3, "drenthe", "regional", "VR03"), "hitte", "VR03", doc)
    try:
        line = f"Koelcel open in Drenthe {marker}."
        deadline = time.monotonic() + 5
        while True:
            status, body = get_json(f"{stack.gateway}/api/v1/risico/hitte?region=VR03")
            if status == 200 and line in body["tijdens"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert status == 200 and body["tijdens"][-2:] == ["In Drenthe:", line], body["tijdens"]
        assert set(body) >= REQUIRED and body["region"]["code"] == "VR03"
        status, other = get_json(f"{stack.gateway}/api/v1/risico/hitte?region=VR19")
        assert status == 200 and line not in other["tijdens"] and "In Drenthe:" not in other["tijdens"]
    finally:
        redactie_advice.reset(db, store, User(3, "drenthe", "regional", "VR03"), "hitte", "VR03")
        db.close()


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
