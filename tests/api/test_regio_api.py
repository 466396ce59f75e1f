"""GET /api/v1/regio: offline against the route module, and through the real stack."""

from __future__ import annotations

import urllib.parse

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.core import regions
from bot.gateway import regio_api
from bot.gateway.errors import error_middleware
from tests.conftest import get_json

REQUIRED = {"code", "name", "gemeente", "website", "alert_site", "radio"}


@pytest.fixture
async def client():
    app = web.Application(middlewares=[error_middleware])
    regio_api.setup(app)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def get(client, **params):
    resp = await client.get("/api/v1/regio", params=params)
    return resp.status, await resp.json()


async def test_found_has_the_contract_fields(client):
    status, body = await get(client, gemeente="Middelburg")
    assert status == 200
    assert set(body) >= REQUIRED
    assert body["code"] == "VR19"
    assert body["name"] == "Zeeland"
    assert body["gemeente"] == "Middelburg (Z.)"
    assert body["website"].startswith("https://")
    assert body["alert_site"] is None or body["alert_site"].startswith("https://")
    assert body["radio"]["name"] == "Omroep Zeeland"
    assert body["radio"]["fm"] == "87.9"


async def test_all_342_gemeenten(client):
    # One client for all names keeps this fast; the assertion names the failing one.
    for gemeente in regions.all_gemeenten():
        status, body = await get(client, gemeente=gemeente.name)
        assert (status, body.get("code"), body.get("gemeente")) == (200, gemeente.region, gemeente.name), gemeente


@pytest.mark.parametrize(
    "name,code",
    [
        ("den haag", "VR15"),
        ("DEN BOSCH", "VR21"),
        ("Sudwest-Fryslan", "VR02"),
        ("súdwest-fryslân", "VR02"),
        ("Bergen (NH.)", "VR10"),
        ("Bergen (L.)", "VR23"),
        ("Scheveningen", "VR15"),
    ],
)
async def test_aliases_case_and_diacritics(client, name, code):
    status, body = await get(client, gemeente=name)
    assert status == 200
    assert body["code"] == code


async def test_unknown_gets_404_with_suggestions(client):
    status, body = await get(client, gemeente="Amsterdma")
    assert status == 404
    assert body["error"]
    assert body["suggestions"][0] == "Amsterdam"


async def test_unknown_without_anything_close_has_empty_suggestions(client):
    status, body = await get(client, gemeente="Qqqqqq")
    assert status == 404
    assert body["suggestions"] == []


async def test_ambiguous_gets_409_with_both_options(client):
    status, body = await get(client, gemeente="Bergen")
    assert status == 409
    assert body["error"]
    assert sorted(body["suggestions"]) == ["Bergen (Limburg)", "Bergen (Noord-Holland)"]


async def test_unverified_values_are_not_presented_as_fact(client):
    status, body = await get(client, gemeente="Oss")  # Brabant-Noord
    assert status == 200
    assert body["code"] == "VR21"
    assert body["alert_site"] is None
    assert "brabantalert" in body["unverified"]["alert_site"]


@pytest.mark.parametrize(
    "query",
    ["", "?gemeente=", "?gemeente=%20%20", "?other=x", "?gemeente=" + "a" * 101, "?gemeente=Zwolle&gemeente=Ede"],
)
async def test_bad_parameters_get_400(client, query):
    resp = await client.get("/api/v1/regio" + query)
    assert resp.status == 400
    assert (await resp.json())["error"]


async def test_post_is_not_allowed_as_json(client):
    resp = await client.post("/api/v1/regio", json={"gemeente": "Zwolle"})
    assert resp.status == 405
    assert (await resp.json())["error"]


# --- through the real gateway ---------------------------------------------------


@pytest.mark.stack
def test_regio_through_gateway(stack):
    status, body = get_json(f"{stack.gateway}/api/v1/regio?gemeente=" + urllib.parse.quote("Súdwest-Fryslân"))
    assert status == 200
    assert body["code"] == "VR02"
    status, body = get_json(f"{stack.gateway}/api/v1/regio?gemeente=Amsterdma")
    assert status == 404 and "Amsterdam" in body["suggestions"]
    status, body = get_json(f"{stack.gateway}/api/v1/regio")
    assert status == 400 and body["error"]


@pytest.mark.stack
def test_region_asked_once_remembered_and_used_later(chat):
    resident = chat()
    first = resident.say_text("waar vind ik informatie in mijn regio?")
    assert "gemeente" in first.lower()  # the bot asks where the resident lives
    info = resident.say_text("ik woon in Middelburg")
    assert "Zeeland" in info
    assert "87,9" in info  # Omroep Zeeland, the calamiteitenzender
    # Later in the same conversation: no second question, same region.
    again = resident.say_text("wat is de rampenzender?")
    assert "Zeeland" in again
    assert "In welke gemeente woon je" not in again


@pytest.mark.stack
def test_widget_region_never_asks(chat):
    resident = chat(region="VR17")
    text = resident.say_text("waar vind ik informatie in mijn regio?")
    assert "Rotterdam-Rijnmond" in text
    assert "In welke gemeente woon je" not in text


@pytest.mark.stack
def test_typo_gets_a_suggestion_button_that_works(chat):
    resident = chat()
    resident.say("waar vind ik informatie in mijn regio?")
    messages = resident.say("Amsterdma")
    buttons = [b for m in messages for b in m.get("buttons", [])]
    assert any(b["title"] == "Amsterdam" for b in buttons), messages
    payload = next(b["payload"] for b in buttons if b["title"] == "Amsterdam")
    text = resident.say_text(payload)
    assert "Amsterdam-Amstelland" in text


@pytest.mark.stack
def test_bergen_is_asked_back(chat):
    resident = chat()
    resident.say("welke veiligheidsregio hoort bij mij")
    messages = resident.say("Bergen")
    titles = [b["title"] for m in messages for b in m.get("buttons", [])]
    assert "Bergen (Limburg)" in titles and "Bergen (Noord-Holland)" in titles
    text = resident.say_text(
        next(b["payload"] for m in messages for b in m.get("buttons", []) if b["title"] == "Bergen (Limburg)")
    )
    assert "Limburg-Noord" in text


@pytest.mark.stack
def test_question_inside_the_form_is_answered_then_the_form_continues(chat):
    resident = chat()
    resident.say("wat is mijn veiligheidsregio")
    text = resident.say_text("ben jij een robot?")
    assert "Die gemeente vind ik niet" not in text
    assert "In welke gemeente woon je" in text  # back to the question
    assert "Fryslân" in resident.say_text("Súdwest-Fryslân")
