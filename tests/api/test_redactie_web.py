"""The Redactie over HTTP (aiohttp test server, own database): login, CSRF, roles, save, restore, notices."""

from __future__ import annotations

import time

import pytest

from bot.core import knowledge
from bot.redactie import audit, auth, markup
from bot.redactie import web as redactie_web
from bot.redactie.store import SqliteTemplateStore
from tests.api.conftest import PASSWORD, logged_in, login

ORIGINAL = "Hallo van het bestand.\n"
LOGIC = "Bel 112 als er nu gevaar is.{% if region %} Of kijk op {{ region.website }}.{% endif %}\n"


@pytest.fixture
def db(db, tmp_path, monkeypatch):
    """The shared database, with the repository templates replaced by two of this file's own."""
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "utter_greet.j2").write_text(ORIGINAL, encoding="utf-8")
    (templates / "utter_degraded.j2").write_text(LOGIC, encoding="utf-8")  # a template with logic
    monkeypatch.setattr(knowledge, "TEMPLATES_DIR", templates)
    return db


def live(db, region="VR19"):
    source = SqliteTemplateStore(db).get_source("utter_greet", region)
    # Staff's words are stored as a template (bot/redactie/markup.py); compare the words.
    return (markup.from_template(source) or source) if source else source


# --- authentication ------------------------------------------------------------------


async def test_no_login_redirects_or_401(make_client):
    client = await make_client()
    for path in ("/redactie", "/redactie/tekst/utter_greet", "/redactie/meldingen", "/redactie/logboek"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303 and response.headers["Location"] == "/redactie/login", path
    response = await client.post("/redactie/tekst/utter_greet/opslaan", data={"regio": "VR19", "source": "x"})
    assert response.status == 401


async def test_login_sets_a_strict_session_cookie(make_client):
    client = await make_client()
    response = await login(client, "zeeland")
    assert response.status == 303
    cookie = next(c for c in response.headers.getall("Set-Cookie") if c.startswith(redactie_web.SESSION_COOKIE + "="))
    for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/redactie"):
        assert flag in cookie
    home = await client.get("/redactie")
    assert home.status == 200 and "zeeland" in await home.text()
    assert "default-src 'none'" in home.headers["Content-Security-Policy"]


async def test_login_form_needs_csrf(make_client):
    client = await make_client()
    await client.get("/redactie/login")
    missing = await client.post("/redactie/login", data={"username": "zeeland", "password": PASSWORD})
    wrong = await client.post("/redactie/login", data={"username": "zeeland", "password": PASSWORD, "csrf_token": "x"})
    assert missing.status == 403 and wrong.status == 403


async def test_wrong_password_and_rate_limit(make_client, db):
    client = await make_client()
    for _ in range(auth.FREE_TRIES):
        response = await login(client, "zeeland", "wrong password!")
        assert response.status == 401
    blocked = await login(client, "zeeland")  # right password, but this pair must wait now
    assert blocked.status == 429 and int(blocked.headers["Retry-After"]) >= 1
    other_user = await login(client, "landelijk")  # same address, another account: its own pair
    assert other_user.status == 303
    actions = [e.action for e in audit.entries(db)]
    # First wrong password of the pair and the moment it had to wait; not every guess.
    assert actions.count("login_failed") == 1 and actions.count("login_blocked") == 1


async def test_logout_ends_the_session(make_client):
    client, token = await logged_in(make_client, "zeeland")
    response = await client.post("/redactie/logout", data={"csrf_token": token}, allow_redirects=False)
    assert response.status == 303
    again = await client.get("/redactie", allow_redirects=False)
    assert again.status == 303


# --- CSRF and roles -------------------------------------------------------------------


async def test_post_without_or_with_wrong_csrf_is_403(make_client, db):
    client, token = await logged_in(make_client, "zeeland")
    data = {"regio": "VR19", "source": "Nieuwe tekst."}
    assert (await client.post("/redactie/tekst/utter_greet/opslaan", data=data)).status == 403
    assert (
        await client.post("/redactie/tekst/utter_greet/opslaan", data={**data, "csrf_token": token + "x"})
    ).status == 403
    assert (await client.post("/redactie/logout", data={})).status == 403
    assert live(db) is None


@pytest.mark.parametrize("user, layer", [("zeeland", "VR17"), ("zeeland", "NL"), ("landelijk", "VR19")])
async def test_editors_only_edit_their_own_layer(make_client, db, user, layer):
    client, token = await logged_in(make_client, user)
    save = await client.post(
        "/redactie/tekst/utter_greet/opslaan", data={"csrf_token": token, "regio": layer, "source": "Gekaapt."}
    )
    assert save.status == 403
    view = await client.get(f"/redactie/tekst/utter_greet?regio={layer}")
    assert view.status == 403
    history = await client.get(f"/redactie/tekst/utter_greet/geschiedenis?regio={layer}")
    assert history.status == 403
    region = None if layer == "NL" else layer
    assert live(db, region) is None


async def test_regional_editor_cannot_restore_a_national_version(make_client, db):
    national, ntoken = await logged_in(make_client, "landelijk")
    await national.post(
        "/redactie/tekst/utter_greet/opslaan",
        data={"csrf_token": ntoken, "regio": "NL", "source": "Landelijk."},
        allow_redirects=False,
    )
    version = SqliteTemplateStore(db).latest("utter_greet", None)
    client, token = await logged_in(make_client, "zeeland")
    response = await client.post(
        "/redactie/tekst/utter_greet/herstel", data={"csrf_token": token, "version": version.id}
    )
    assert response.status == 403


async def test_templates_with_logic_are_for_geavanceerd_accounts_only(make_client, db):
    """Issue 16: regional and plain national editors see and edit words only; a template with
    logic (Jinja2) is listed, shown and saved only for a national 'geavanceerd' account."""
    changed = "Bel 112 als er gevaar is.{% if region %} Kijk ook op {{ region.website }}.{% endif %}"
    for user, layer in (("landelijk", "NL"), ("zeeland", "VR19")):
        client, token = await logged_in(make_client, user)
        assert "Chatbot werkt even niet goed" not in await (await client.get("/redactie")).text()
        assert (await client.get(f"/redactie/tekst/utter_degraded?regio={layer}")).status == 403
        assert (await client.get(f"/redactie/tekst/utter_degraded/geschiedenis?regio={layer}")).status == 403
        save = await client.post(
            "/redactie/tekst/utter_degraded/opslaan", data={"csrf_token": token, "regio": layer, "source": changed}
        )
        assert save.status == 403, user
        # Asking for the template of a words text still shows words.
        words = await (await client.get(f"/redactie/tekst/utter_greet?regio={layer}&geavanceerd=1")).text()
        assert "Hallo van het bestand." in words and "Geavanceerd: het sjabloon bewerken" not in words
    assert SqliteTemplateStore(db).get_source("utter_degraded", None) is None

    developer, token = await logged_in(make_client, "ontwikkelaar")
    assert "Chatbot werkt even niet goed" in await (await developer.get("/redactie")).text()
    page = await developer.get("/redactie/tekst/utter_degraded")
    assert page.status == 200 and "{% if region %}" in await page.text()  # the template editor
    saved = await developer.post(
        "/redactie/tekst/utter_degraded/opslaan",
        data={"csrf_token": token, "regio": "NL", "source": changed},
        allow_redirects=False,
    )
    assert saved.status == 303
    assert SqliteTemplateStore(db).get_source("utter_degraded", None) == changed
    words = await (await developer.get("/redactie/tekst/utter_greet?geavanceerd=1")).text()
    assert "Hallo van het bestand." in words and 'name="source"' in words


async def test_unknown_template_and_bad_region(make_client):
    client, token = await logged_in(make_client, "zeeland")
    assert (await client.get("/redactie/tekst/utter_bestaat_niet")).status == 404
    assert (await client.get("/redactie/tekst/utter_greet?regio=VR99")).status == 400


# --- editing ---------------------------------------------------------------------------


async def test_save_history_restore(make_client, db):
    client, token = await logged_in(make_client, "zeeland")
    edit = await client.get("/redactie/tekst/utter_greet")
    html = await edit.text()
    assert "Hallo van het bestand." in html  # starts from the national text
    first = await client.post(
        "/redactie/tekst/utter_greet/opslaan",
        allow_redirects=False,
        data={"csrf_token": token, "regio": "VR19", "source": "Welkom in Zeeland.", "note": "eerste"},
    )
    assert first.status == 303
    assert live(db) == "Welkom in Zeeland."
    await client.post(
        "/redactie/tekst/utter_greet/opslaan",
        data={"csrf_token": token, "regio": "VR19", "source": "Welkom in mooi Zeeland."},
    )
    assert live(db) == "Welkom in mooi Zeeland."

    history = await (await client.get("/redactie/tekst/utter_greet/geschiedenis?regio=VR19")).text()
    assert '<span class="del">-Welkom in Zeeland.</span>' in history
    assert '<span class="add">+Welkom in mooi Zeeland.</span>' in history
    first_version = SqliteTemplateStore(db).history("utter_greet", "VR19")[-1]
    restored = await client.post(
        "/redactie/tekst/utter_greet/herstel",
        allow_redirects=False,
        data={"csrf_token": token, "version": first_version.id},
    )
    assert restored.status == 303
    assert live(db) == "Welkom in Zeeland."
    assert len(SqliteTemplateStore(db).history("utter_greet", "VR19")) == 3

    reset = await client.post(
        "/redactie/tekst/utter_greet/standaard", allow_redirects=False, data={"csrf_token": token, "regio": "VR19"}
    )
    assert reset.status == 303 and live(db) is None


@pytest.mark.parametrize(
    "source",
    [
        "Kapotte {{ opmaak",
        "{{ ''.__class__.__mro__ }}",
        "{% include '/etc/passwd' %}",
        "Kijk op http://onveilig.example",
        "{{ onbekend }}",
    ],
)
async def test_invalid_template_is_not_saved(make_client, db, source):
    client, token = await logged_in(make_client, "zeeland")
    await client.post(
        "/redactie/tekst/utter_greet/opslaan", data={"csrf_token": token, "regio": "VR19", "source": "Goede tekst."}
    )
    response = await client.post(
        "/redactie/tekst/utter_greet/opslaan", data={"csrf_token": token, "regio": "VR19", "source": source}
    )
    assert response.status == 422
    assert "Niet opgeslagen" in await response.text()
    assert live(db) == "Goede tekst."
    assert len(SqliteTemplateStore(db).history("utter_greet", "VR19")) == 1


async def test_live_preview_fragment_is_escaped(make_client, db):
    client, token = await logged_in(make_client, "zeeland")
    response = await client.post(
        "/redactie/tekst/utter_greet/voorbeeld",
        headers={"X-CSRF-Token": token, "X-Requested-With": "fetch"},
        data={"regio": "VR19", "source": "Hoi <script>alert(1)</script>.\n\nTweede."},
    )
    html = await response.text()
    assert response.status == 200
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('class="bubble msg bot"') >= 2
    assert "<html" not in html  # a fragment, not a page
    assert live(db) is None  # preview never saves
    no_csrf = await client.post(
        "/redactie/tekst/utter_greet/voorbeeld",
        headers={"X-Requested-With": "fetch"},
        data={"regio": "VR19", "source": "x"},
    )
    assert no_csrf.status == 403


# --- notices ---------------------------------------------------------------------------


async def test_notice_publish_and_public_api(make_client, db):
    client, token = await logged_in(make_client, "zeeland")
    expires = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 7200))
    form = {
        "csrf_token": token,
        "regio": "VR19",
        "title": "Storm",
        "text": "Blijf binnen.",
        "url": "https://www.veiligheidsregiozeeland.nl",
        "expires": expires,
    }
    published = await client.post("/redactie/meldingen", data=form, allow_redirects=False)
    assert published.status == 303
    public = await client.get("/api/v1/notice?region=VR19")
    body = await public.json()
    assert body["notice"]["title"] == "Storm" and body["notice"]["url"].startswith("https://")
    assert (await (await client.get("/api/v1/notice?region=VR17")).json()) == {"notice": None}
    bad = await client.get("/api/v1/notice?region=VR99")
    assert bad.status == 400 and "error" in await bad.json()
    elsewhere = await client.post("/redactie/meldingen", data={**form, "regio": "VR17"})
    assert elsewhere.status == 403
    http_link = await client.post("/redactie/meldingen", data={**form, "url": "http://example.nl"})
    assert http_link.status == 422
    assert "notice_publish" in [e.action for e in audit.entries(db)]


async def test_every_page_renders_for_both_roles(make_client, db):
    for user in ("landelijk", "zeeland"):
        client, token = await logged_in(make_client, user)
        for path in (
            "/redactie",
            "/redactie/tekst/utter_greet",
            "/redactie/tekst/utter_greet/geschiedenis",
            "/redactie/meldingen",
            "/redactie/logboek",
        ):
            response = await client.get(path)
            html = await response.text()
            assert response.status == 200, (user, path)
            assert '<html lang="nl">' in html and user in html
        assert (await client.get("/redactie/static/redactie.js")).status == 200
        assert (await client.get("/redactie/static/../web.py")).status == 404


async def test_audit_log_page_shows_logins_only_to_the_right_people(make_client, db):
    national, _ = await logged_in(make_client, "landelijk")
    regional, _ = await logged_in(make_client, "zeeland")
    national_log = await (await national.get("/redactie/logboek")).text()
    regional_log = await (await regional.get("/redactie/logboek")).text()
    assert "landelijk" in national_log and "zeeland" in national_log
    assert "<td>landelijk</td>" not in regional_log  # a region does not see the national editor's logins
