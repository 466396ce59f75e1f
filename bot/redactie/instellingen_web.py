"""The Redactie's "Instellingen" pages (issue 20): a beheerder sets the widget's look,
words and allowed sites for a region, or a national beheerder for a gemeente.

HTTP only; the rules are in bot/core/embed_rules.py, storage in instellingen.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import yaml
from aiohttp import web

from bot.core import embed_rules
from bot.core.embed_rules import SettingError
from bot.core.language import ENGLISH, detect_language
from bot.core.regions import REGION_CODES, is_region_code
from bot.redactie import auth, instellingen
from bot.redactie.db import Database
from bot.redactie.web import EMBED_FILE, REDACTIE, error_page, login_required, page
from bot.settings import Settings

STATIC = {"instellingen.js": "text/javascript", "instellingen.css": "text/css"}
PARTY_ROUTE = "/redactie/instellingen/{region:VR\\d\\d}{gemeente:(/[a-z][a-z0-9-]{1,40})?}"


def _file_entry(region: str) -> dict[str, Any]:
    """What data/embed/regions.yml says for a region (the defaults, with its own block over them)."""
    with open(EMBED_FILE, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    entry = dict(raw["defaults"])
    own = (raw.get("regions") or {}).get(region) or {}
    entry.update(own)
    for words in ("ui", "ui_en"):
        entry[words] = {**raw["defaults"][words], **own.get(words, {})}
    entry["allowed_origins"] = own.get("allowed_origins", [])
    return entry


def preview_words(region: str, greeting: str) -> dict[str, dict[str, str]]:
    """The preview's words per language, from the same file as the widget's (issue 20).
    In English an own greeting counts only when it is English, as in bot/gateway/widget.py."""
    entry = _file_entry(region)
    own_english = bool(greeting) and detect_language(greeting) == ENGLISH
    return {
        "nl": {"sub": entry["ui"]["subtitle"], "starter": entry["starters"][0]["title"]},
        "en": {
            "sub": entry["ui_en"]["subtitle"],
            "starter": entry["starters_en"][0]["title"],
            "greeting": greeting if own_english else entry["greeting_en"],
        },
    }


def _file_defaults(region: str) -> dict[str, Any]:
    """What data/embed/regions.yml says for a region."""
    entry = _file_entry(region)
    return {
        "name": entry["name"],
        "greeting": entry["greeting"],
        "colors": dict(entry["colors"]),
        "language": entry.get("language", "nl"),
        "privacy": "",
        "origins": [o for o in entry["allowed_origins"] if "*" not in o],
        "logo_url": f"/widget/logos/{entry['logo']}" if entry.get("logo") else None,
    }


def _values(db: Database, party: str) -> tuple[dict[str, Any], instellingen.SettingsVersion | None]:
    """The form's values: the live version, else (a region) the file's settings."""
    region, gemeente = instellingen.split_party(party)
    live = instellingen.current(db, party)
    base = _file_defaults(region)
    if gemeente is not None:
        base = {"name": "", "greeting": "", "origins": [], "language": ""}  # "": the region's language
    if live is None:
        return base, None
    values = {**base, **live.data}
    logo = live.data.get("logo")
    if isinstance(logo, dict):
        values["logo_url"] = f"/widget/logo/{live.id}.{logo['kind']}"
    elif logo == "none":
        values["logo_url"] = None
    return values, live


def _party(request: web.Request) -> str:
    gemeente = request.match_info.get("gemeente", "")
    return request.match_info["region"] + gemeente


def _settings(request: web.Request) -> Settings:
    return request.app["settings"] if "settings" in request.app else Settings.from_env()


def _public_base(request: web.Request) -> str:
    return _settings(request).public_url or f"{request.scheme}://{request.host}"


def _loopback_allowed(request: web.Request) -> bool:
    return bool(_settings(request).loopback_origins)


def _form_page(
    request: web.Request,
    session: auth.Session,
    party: str,
    values: dict[str, Any],
    live: instellingen.SettingsVersion | None,
    status: int = 200,
    problem: str | None = None,
    saved: str | None = None,
) -> web.Response:
    region, gemeente = instellingen.split_party(party)
    base = _public_base(request)
    # The language the widget starts in (a gemeente without its own: the region's), for the preview.
    region_language = _values(request.app[REDACTIE].db, region)[0]["language"] if gemeente else None
    language = values.get("language") or region_language or "nl"
    if language not in embed_rules.LANGUAGES:
        language = "nl"  # a refused form's value
    attributes = f' data-region="{region}"' + (f' data-gemeente="{gemeente}"' if gemeente else "")
    return page(
        "instellingen.html.j2",
        status=status,
        session=session,
        party=party,
        region=region,
        gemeente=gemeente,
        values=values,
        live=live,
        problem=problem,
        saved=saved,
        color_keys=embed_rules.COLOR_KEYS,
        color_labels=embed_rules.COLOR_LABELS,
        languages=embed_rules.LANGUAGES,
        language=language,
        region_language=region_language,
        words=preview_words(region, values.get("greeting") or ""),
        max_logo_kb=embed_rules.MAX_LOGO_BYTES // 1024,
        snippet=f'<script src="{base}/widget.js"{attributes} async></script>',
        csp=f"script-src {base}; connect-src {base}; img-src {base}",
        gemeenten=instellingen.gemeenten(request.app[REDACTIE].db, region) if gemeente is None else [],
        may_add_gemeente=session.user.is_beheerder and session.user.region is None,
    )


PartyHandler = Callable[[web.Request, auth.Session, str], Awaitable[web.StreamResponse]]


def party_page(handler: PartyHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A page of one region's or gemeente's settings (the party in the URL): logged in, as for
    every Redactie page, and only for a beheerder who may manage that party; else 403."""

    async def checked(request: web.Request, session: auth.Session) -> web.StreamResponse:
        party = _party(request)
        if not session.user.is_beheerder or not instellingen.may_manage(session.user, party):
            return error_page(403, "forbidden_settings", session)
        return await handler(request, session, party)

    return login_required(checked)


def _overview_page(
    request: web.Request, session: auth.Session, status: int = 200, problem: str | None = None
) -> web.Response:
    db = request.app[REDACTIE].db
    regions = [(code, instellingen.gemeenten(db, code)) for code in REGION_CODES]
    return page("instellingen_overzicht.html.j2", status=status, session=session, regions=regions, problem=problem)


@login_required
async def overview(request: web.Request, session: auth.Session) -> web.StreamResponse:
    if not session.user.is_beheerder:
        return error_page(403, "forbidden_settings", session)
    if session.user.region:
        raise web.HTTPSeeOther(f"/redactie/instellingen/{session.user.region}")
    return _overview_page(request, session)


@login_required
async def add_gemeente(request: web.Request, session: auth.Session) -> web.StreamResponse:
    form = await request.post()
    region = str(form.get("region") or "")
    slug = str(form.get("gemeente") or "").strip().lower()
    if not (session.user.is_beheerder and session.user.region is None):
        return error_page(403, "forbidden_settings", session)
    if not is_region_code(region) or not instellingen.GEMEENTE_RE.match(slug):
        return _overview_page(request, session, status=422, problem="bad_gemeente")
    raise web.HTTPSeeOther(f"/redactie/instellingen/{region}/{slug}")


@party_page
async def edit(request: web.Request, session: auth.Session, party: str) -> web.StreamResponse:
    db = request.app[REDACTIE].db
    values, live = _values(db, party)
    saved = request.query.get("opgeslagen")
    return _form_page(request, session, party, values, live, saved=saved if saved and saved.isdigit() else None)


@party_page
async def save(request: web.Request, session: auth.Session, party: str) -> web.StreamResponse:
    db = request.app[REDACTIE].db
    form = await request.post()
    fields = {key: value for key, value in form.items() if isinstance(value, str)}
    upload = form.get("logo")
    logo_bytes = upload.file.read(embed_rules.MAX_LOGO_BYTES + 1) if isinstance(upload, web.FileField) else None
    previous = instellingen.current(db, party)
    try:
        data = instellingen.validate(
            party, fields, logo_bytes, previous.data if previous else None, _loopback_allowed(request)
        )
    except SettingError as problem:
        values, live = _values(db, party)
        values.update({k: v for k, v in fields.items() if k in ("name", "greeting", "privacy", "language")})
        values["origins"] = fields.get("origins", "").splitlines()
        values["colors"] = {k: fields.get(k, "") for k in embed_rules.COLOR_KEYS}
        return _form_page(request, session, party, values, live, status=422, problem=str(problem))
    version = instellingen.save(db, session.user, party, data, note=fields.get("note", ""))
    raise web.HTTPSeeOther(f"/redactie/instellingen/{party}?opgeslagen={version.id}")


@party_page
async def history(request: web.Request, session: auth.Session, party: str) -> web.StreamResponse:
    versions = instellingen.history(request.app[REDACTIE].db, party)
    return page("instellingen_geschiedenis.html.j2", session=session, party=party, versions=versions)


@party_page
async def restore(request: web.Request, session: auth.Session, party: str) -> web.StreamResponse:
    form = await request.post()
    version = str(form.get("version") or "")
    if not version.isdigit():
        return error_page(400, "bad_version", session)
    try:
        restored = instellingen.restore(request.app[REDACTIE].db, session.user, party, int(version))
    except KeyError:
        return error_page(404, "bad_version", session)
    raise web.HTTPSeeOther(f"/redactie/instellingen/{party}?opgeslagen={restored.id}")


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["file"]
    if name not in STATIC:
        raise web.HTTPNotFound()
    response = web.FileResponse(EMBED_FILE.parents[2] / "bot" / "redactie" / "static" / name)
    response.content_type = STATIC[name]
    return response


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/redactie/instellingen", overview)
    r.add_post("/redactie/instellingen/gemeente", add_gemeente)
    r.add_get("/redactie/instellingen/static/{file}", static)
    # The longer routes first: the gemeente part of PARTY_ROUTE would also match "/geschiedenis".
    r.add_get(PARTY_ROUTE + "/geschiedenis", history)
    r.add_post(PARTY_ROUTE + "/herstel", restore)
    r.add_get(PARTY_ROUTE, edit)
    r.add_post(PARTY_ROUTE, save)
