"""Issue 20: embed settings in the Redactie ("Instellingen"): the rules, the SVG
sanitiser, versions and permissions, and two gateway apps on one database (aiohttp)."""

from __future__ import annotations

import asyncio
import html
import re
import time
import xml.etree.ElementTree as ET

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer

from bot.core import embed_rules
from bot.core.embed_rules import SettingError
from bot.gateway.app import create_app
from bot.redactie import accounts, audit, instellingen
from bot.redactie.db import Database
from bot.settings import Settings
from bot.texts.render import Renderer
from bot.texts.replies import Replies

PASSWORD = "beheerder-wachtwoord"
ZEELAND_COLORS = {
    "primary": "#00507d",
    "on_primary": "#ffffff",
    "surface": "#ffffff",
    "on_surface": "#1b1b1b",
    "bot_bubble": "#e8f1f6",
    "link": "#00507d",
    "focus": "#b35c00",
    "danger": "#a4000f",
    "on_danger": "#ffffff",
}
GREETING = "Hoi! Ik ben de Noodwijzer van Zeeland. Is er nu gevaar? Bel dan meteen 112."
SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10">{}</svg>'


def form(**changes: str) -> dict[str, str]:
    base = {"name": "Noodwijzer Zeeland", "greeting": GREETING, "origins": "https://www.zeeland.nl", "language": "nl"}
    return {**base, **ZEELAND_COLORS, **changes}


# --- rules ------------------------------------------------------------------------------


def test_low_contrast_is_refused_with_the_reason_in_dutch():
    with pytest.raises(SettingError, match=r"Tekst op de hoofdkleur op hoofdkleur .* 4\.5 op 1"):
        embed_rules.check_colors({**ZEELAND_COLORS, "primary": "#888888", "on_primary": "#777777"})
    with pytest.raises(SettingError, match="Focusrand .* 3 op 1"):
        embed_rules.check_colors({**ZEELAND_COLORS, "focus": "#f0f0f0"})
    with pytest.raises(SettingError, match="#rrggbb"):
        embed_rules.check_colors({**ZEELAND_COLORS, "link": "blue"})
    assert embed_rules.check_colors(ZEELAND_COLORS) == ZEELAND_COLORS


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("*", "sterretje"),
        ("https://*.zeeland.nl", "sterretje"),
        ("http://www.zeeland.nl", "https://"),
        ("https://www.zeeland.nl/crisis", "zonder pagina"),
        ("www.zeeland.nl", "https://"),
        ("https://user@zeeland.nl", "zonder pagina"),
        ("https://intranet", "internet"),
        ("http://127.0.0.1:8123", "https://"),  # loopback only in tests, with the flag
    ],
)
def test_bad_origins_are_refused_in_dutch(value, reason):
    with pytest.raises(SettingError, match=re.escape(reason)):
        embed_rules.check_site_origin(value)


def test_origins_are_exact_and_www_is_a_second_address():
    assert embed_rules.check_origins(["https://WWW.Zeeland.nl/", "", "https://zeeland.nl:443"]) == [
        "https://www.zeeland.nl",
        "https://zeeland.nl",
    ]
    assert embed_rules.check_site_origin("http://127.0.0.1:8123", allow_loopback_http=True) == "http://127.0.0.1:8123"
    with pytest.raises(SettingError):
        embed_rules.check_site_origin("http://example.nl:8123", allow_loopback_http=True)


def test_greeting_must_mention_112():
    with pytest.raises(SettingError, match="Noem 112"):
        embed_rules.check_greeting("Hoi! Ik help je graag.")
    assert embed_rules.check_greeting(GREETING) == GREETING


# --- the logo --------------------------------------------------------------------------


def clean_svg(inner: str, outer: str = SVG) -> str:
    kind, data = embed_rules.clean_logo(outer.format(inner).encode())
    assert kind == "svg"
    ET.fromstring(data)  # still a well-formed SVG
    return data.decode()


@pytest.mark.parametrize(
    ("inner", "forbidden"),
    [
        ("<script>alert(1)</script><rect width='5' height='5'/>", "alert"),
        ("<rect width='5' height='5' onclick='alert(1)'/>", "onclick"),
        ("<foreignObject><div xmlns='http://www.w3.org/1999/xhtml'>x</div></foreignObject>", "foreignObject"),
        ("<image href='https://evil.example/track.png' width='5' height='5'/>", "evil.example"),
        ("<image xlink:href='https://evil.example/track.png' width='5' height='5'/>", "track.png"),
        ("<use href='https://evil.example/sprite.svg#a'/>", "sprite.svg"),
        ("<a href='javascript:alert(1)'><text>x</text></a>", "javascript"),
        ("<rect width='5' height='5' style='fill:url(https://evil.example/x)'/>", "evil.example"),
        ("<style>@import url(https://evil.example/x.css); rect{fill:red}</style>", "evil.example"),
        ("<set attributeName='onmouseover' to='alert(1)'/>", "alert"),
    ],
)
def test_malicious_svg_is_cleaned(inner, forbidden):
    out = clean_svg(inner)
    assert forbidden not in out
    assert "<script" not in out


def test_svg_keeps_its_drawing_and_internal_references():
    out = clean_svg("<defs><linearGradient id='g'/></defs><rect width='5' height='5' fill='url(#g)'/>")
    assert "<rect" in out and "url(#g)" in out


def test_external_entities_are_not_expanded():
    doc = (
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>'
    )
    _kind, data = embed_rules.clean_logo(doc.encode())
    assert b"root:" not in data


def test_logo_type_and_size():
    png = embed_rules.PNG_MAGIC + b"\x00" * 100
    assert embed_rules.clean_logo(png) == ("png", png)
    with pytest.raises(SettingError, match="PNG- of SVG"):
        embed_rules.clean_logo(b"GIF89a....")
    with pytest.raises(SettingError, match="te groot"):
        embed_rules.clean_logo(embed_rules.PNG_MAGIC + b"\x00" * embed_rules.MAX_LOGO_BYTES)
    with pytest.raises(SettingError, match="niet lezen"):
        embed_rules.clean_logo(b"<svg xmlns='http://www.w3.org/2000/svg'><rect")


# --- store and permissions ----------------------------------------------------------------


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "instellingen.sqlite3"
    monkeypatch.setenv("NOODWIJZER_DB", str(path))
    return Database(path)


@pytest.fixture
def zeeland(db):
    return accounts.add_user(db, "beheer-zeeland", PASSWORD, "beheerder", "VR19")


@pytest.fixture
def landelijk(db):
    return accounts.add_user(db, "beheer-nl", PASSWORD, "beheerder")


def test_beheerder_role_and_its_limits(db, zeeland, landelijk):
    assert zeeland.can_manage_embed("VR19") and not zeeland.can_manage_embed("VR17")
    assert landelijk.can_manage_embed("VR17") and landelijk.can_manage_embed("VR19")
    # A beheerder is an editor of its region (or national) who also sets the widget.
    assert zeeland.role == "regional" and zeeland.can_edit_templates("VR19") and not zeeland.can_edit_templates(None)
    assert landelijk.role == "national" and landelijk.is_beheerder
    assert (zeeland.label, landelijk.label) == ("regional+beheerder", "national+beheerder")  # as the CLI shows them
    assert accounts.get_user(db, zeeland.id) == zeeland
    plain = accounts.add_user(db, "redacteur", PASSWORD, "regional", "VR19")
    assert not plain.is_beheerder and not plain.can_manage_embed("VR19")
    assert not instellingen.may_manage(zeeland, "VR19/goes")  # a gemeente is added nationally
    assert instellingen.may_manage(landelijk, "VR19/goes")
    with pytest.raises(accounts.AccountError, match="bad_region"):
        accounts.add_user(db, "beheer-x", PASSWORD, "beheerder", "VR99")


def test_regional_beheerder_cannot_change_another_region(db, zeeland):
    data = instellingen.validate("VR17", form(), None, None)
    with pytest.raises(instellingen.ForbiddenError):
        instellingen.save(db, zeeland, "VR17", data)
    assert instellingen.current(db, "VR17") is None


def test_versions_audit_and_restore(db, zeeland):
    first = instellingen.save(db, zeeland, "VR19", instellingen.validate("VR19", form(), None, None))
    changed = instellingen.validate("VR19", form(primary="#003d5e", link="#003d5e"), None, first.data)
    second = instellingen.save(db, zeeland, "VR19", changed, note="donkerder")
    assert instellingen.current(db, "VR19").data["colors"]["primary"] == "#003d5e"
    restored = instellingen.restore(db, zeeland, "VR19", first.id)
    assert restored.id > second.id and restored.data == first.data
    assert [v.id for v in instellingen.history(db, "VR19")] == [restored.id, second.id, first.id]
    actions = [(e.actor, e.action, e.target) for e in audit.entries(db, region="VR19")]
    assert actions.count(("beheer-zeeland", "settings_save", "instellingen:VR19:")) == 3


def test_logo_is_kept_until_replaced_or_removed(db, zeeland):
    logo = SVG.format("<script>x()</script><circle r='4'/>").encode()
    first = instellingen.save(db, zeeland, "VR19", instellingen.validate("VR19", form(), logo, None))
    kind, body = instellingen.logo_of(db, first.id)
    assert kind == "svg" and b"<circle" in body and b"script" not in body
    kept = instellingen.validate("VR19", form(), None, first.data)
    assert kept["logo"] == first.data["logo"]
    removed = instellingen.validate("VR19", form(logo_remove="1"), None, first.data)
    assert removed["logo"] == "none"


def test_gemeente_needs_its_own_origins_and_may_keep_the_regions_greeting():
    with pytest.raises(SettingError, match="minstens één adres"):
        instellingen.validate("VR19/goes", {"name": "Goes", "origins": ""}, None, None)
    data = instellingen.validate("VR19/goes", {"name": "Goes", "origins": "https://www.goes.nl"}, None, None)
    assert data == {"name": "Goes", "origins": ["https://www.goes.nl"]}


# --- two gateways on one database ---------------------------------------------------------


async def gateway(settings: Settings) -> TestClient:
    app = create_app(settings, replies=Replies(Renderer(strict=True)))
    server = TestServer(app)
    await server.start_server()
    jar = CookieJar(unsafe=True, treat_as_secure_origin=[str(server.make_url("/"))])
    return TestClient(server, cookie_jar=jar)


async def log_in(client: TestClient, username: str) -> str:
    html = await (await client.get("/redactie/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    data = {"csrf_token": token, "username": username, "password": PASSWORD}
    response = await client.post("/redactie/login", data=data, allow_redirects=False)
    assert response.status == 303
    html = await (await client.get("/redactie/instellingen", allow_redirects=True)).text()
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def preflight(client: TestClient, origin: str) -> int:
    response = await client.options(
        "/api/v1/chat?region=VR19", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    return response.status


async def test_a_saved_setting_reaches_another_gateway_within_5_s(db, zeeland, tmp_path):
    settings = Settings.from_env()
    editor_side, other = await gateway(settings), await gateway(settings)
    try:
        assert (await (await other.get("/api/v1/widget-config?region=VR19")).json())["name"] == "Noodwijzer Zeeland"
        assert await preflight(other, "https://www.nieuw-zeeland.nl") == 403
        token = await log_in(editor_side, "beheer-zeeland")
        page = html.unescape(await (await editor_side.get("/redactie/instellingen/VR19")).text())
        assert "met en zonder www zijn twee adressen" in page
        base = str(editor_side.make_url("")).rstrip("/")
        assert f'<script src="{base}/widget.js" data-region="VR19" async></script>' in page
        assert f"script-src {base}; connect-src {base}; img-src {base}" in page
        data = form(csrf_token=token, name="Zeeland Veilig", origins="https://www.nieuw-zeeland.nl", primary="#003d5e")
        data["link"] = "#003d5e"
        response = await editor_side.post("/redactie/instellingen/VR19", data=data, allow_redirects=False)
        assert response.status == 303, await response.text()
        start = time.monotonic()
        while time.monotonic() - start < 5:
            config = await (await other.get("/api/v1/widget-config?region=VR19")).json()
            if config["name"] == "Zeeland Veilig":
                break
            await asyncio.sleep(0.1)
        assert config["name"] == "Zeeland Veilig" and config["colors"]["primary"] == "#003d5e"
        assert await preflight(other, "https://www.nieuw-zeeland.nl") == 204
        # The old file's site is no longer in the list, and the other address form is not either.
        assert await preflight(other, "https://www.zeelandveilig.nl") == 403
        assert await preflight(other, "https://nieuw-zeeland.nl") == 403
        # Not saved: the greeting without 112, with the reason on the page.
        bad = await editor_side.post("/redactie/instellingen/VR19", data=form(csrf_token=token, greeting="Hoi!"))
        assert bad.status == 422 and "Noem 112" in await bad.text()
        # Another region: refused, nothing stored.
        other_region = await editor_side.post("/redactie/instellingen/VR17", data=form(csrf_token=token))
        assert other_region.status == 403
        assert (await editor_side.get("/redactie/instellingen/VR17")).status == 403
        assert instellingen.current(db, "VR17") is None
    finally:
        await editor_side.close()
        await other.close()


async def test_national_beheerder_adds_a_gemeente_with_its_own_sites(db, landelijk):
    client = await gateway(Settings.from_env())
    try:
        token = await log_in(client, "beheer-nl")
        added = await client.post(
            "/redactie/instellingen/gemeente",
            data={"csrf_token": token, "region": "VR19", "gemeente": "goes"},
            allow_redirects=False,
        )
        assert added.headers["Location"] == "/redactie/instellingen/VR19/goes"
        greeting = "Welkom bij de chat van Goes. Bel 112 bij gevaar."
        data = {"csrf_token": token, "name": "Goes", "origins": "https://www.goes.nl", "greeting": greeting}
        saved = await client.post("/redactie/instellingen/VR19/goes", data=data, allow_redirects=False)
        assert saved.status == 303, await saved.text()
        config = await (await client.get("/api/v1/widget-config?region=VR19&gemeente=goes")).json()
        assert config["greeting"] == greeting and config["name"] == "Goes"
        region = await (await client.get("/api/v1/widget-config?region=VR19")).json()
        assert region["greeting"] != greeting
        assert await preflight(client, "https://www.goes.nl") == 204
        assert (await client.get("/api/v1/widget-config?region=VR19&gemeente=Goes!")).status == 400
    finally:
        await client.close()


async def test_the_file_is_used_without_database_content(db):
    client = await gateway(Settings.from_env())
    try:
        config = await (await client.get("/api/v1/widget-config?region=VR19")).json()
        assert config["name"] == "Noodwijzer Zeeland" and config["logo_url"] == "/widget/logos/vr19-voorbeeld.svg"
        assert await preflight(client, "https://www.zeelandveilig.nl") == 204
    finally:
        await client.close()


# --- PostgreSQL: the same store, and the change notification between two connections ------------


@pytest.fixture(scope="module")
def postgres():
    from bot.ops.postgres_server import PostgresServer
    from bot.ops.stack import free_port

    server = PostgresServer(free_port(), durable=False).start()
    yield server
    server.cleanup()


def test_on_postgresql_a_save_reaches_another_database_handle_within_5_s(postgres):
    from bot.ops.postgres_server import create_database, database_url

    create_database(postgres.port, "instellingen")
    url = database_url(postgres.port, "instellingen")
    writer, reader = Database(url=url), Database(url=url)  # two pools, as two gateways have
    try:
        beheerder = accounts.add_user(writer, "beheer-zeeland", PASSWORD, "beheerder", "VR19")
        live = instellingen.LiveSettings(reader)
        assert live.get() == {}
        first = instellingen.save(writer, beheerder, "VR19", instellingen.validate("VR19", form(), None, None))
        start = time.monotonic()
        while "VR19" not in live.get() and time.monotonic() - start < 5:
            time.sleep(0.05)
        assert live.get()["VR19"]["origins"] == ["https://www.zeeland.nl"]
        second = instellingen.save(
            writer, beheerder, "VR19", instellingen.validate("VR19", form(name="Zeeland Veilig"), None, first.data)
        )
        start = time.monotonic()
        while live.get()["VR19"]["name"] != "Zeeland Veilig" and time.monotonic() - start < 5:
            time.sleep(0.05)
        assert live.get()["VR19"]["name"] == "Zeeland Veilig"
        restored = instellingen.restore(writer, beheerder, "VR19", first.id)
        assert [v.id for v in instellingen.history(reader, "VR19")] == [restored.id, second.id, first.id]
        start = time.monotonic()
        while live.get()["VR19"]["name"] != "Noodwijzer Zeeland" and time.monotonic() - start < 5:
            time.sleep(0.05)
        assert live.get()["VR19"]["name"] == "Noodwijzer Zeeland"
        with pytest.raises(instellingen.ForbiddenError):
            instellingen.save(writer, beheerder, "VR17", first.data)
    finally:
        writer.close()
        reader.close()
