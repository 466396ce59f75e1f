"""The Redactie in the gateway: /redactie (editor pages) and GET /api/v1/notice (public).

HTTP only: every decision (who may do what, validation, storage) lives in the
other bot.redactie modules. Pages are server-rendered from pages/*.html.j2
with autoescape on; all Dutch words live in those pages.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import difflib
import functools
import re
import secrets
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Awaitable, Callable, Literal, TypeVar

import yaml
from aiohttp import web
from babel.dates import format_datetime

from bot.core import risks
from bot.core.advice import FALLBACKS, PLACEHOLDERS, fill_risk, placeholder_values
from bot.core.regions import REGION_CODES, is_region_code
from bot.core.regions import get_region as region_info
from bot.redactie import accounts, advice, audit, auth, catalog, editor, markup, notices, samples
from bot.redactie.accounts import User
from bot.redactie.db import Database, DatabaseUnavailable, default_db
from bot.redactie.store import SqliteTemplateStore, Version
from bot.redactie.validate import validate
from bot.texts.context import template_context
from bot.texts.jinja import html_environment
from bot.texts.render import Renderer, split_bubbles

_T = TypeVar("_T")

HERE = Path(__file__).resolve().parent
STATIC_FILES = {"redactie.css": "text/css", "redactie.js": "text/javascript", "chat.css": "text/css"}
SESSION_COOKIE = "nw_redactie"
LOGIN_COOKIE = "nw_redactie_login"  # double-submit CSRF token for the login form (no session yet)
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
NATIONAL = "NL"  # form value for the national layer
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass
class Redactie:
    db: Database
    store: SqliteTemplateStore
    renderer: Renderer | None = None  # for previews when the app has no renderer of its own


REDACTIE = web.AppKey("redactie", Redactie)
ClientAddress = Callable[[web.Request], str]
CLIENT_ADDRESS: web.AppKey[ClientAddress] = web.AppKey("client_address")


def _format_time(epoch: float | None) -> str:
    if epoch is None:
        return ""
    moment = dt.datetime.fromtimestamp(epoch, notices.TZ)
    return format_datetime(moment, "d MMM y 'om' HH:mm", locale="nl")


def _local_input(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, notices.TZ).strftime("%Y-%m-%dT%H:%M")


_pages = html_environment(HERE / "pages", extra_filters={"when": _format_time}, strict=False)


def _region_name(code: str | None) -> str | None:
    info = region_info(code) if code else None
    return info.get("name") if isinstance(info, dict) else None


_pages.globals["region_name"] = _region_name
_pages.globals["part_label"] = catalog.part_label


def page(page_file: str, status: int = 200, **context: Any) -> web.Response:
    html = _pages.get_template(page_file).render(**context)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def error_page(status: int, code: str, session: auth.Session | None = None) -> web.Response:
    return page("error.html.j2", status=status, code=code, session=session)


# --- sessions, CSRF ------------------------------------------------------------


def _redactie(request: web.Request) -> Redactie:
    return request.app[REDACTIE]


def current_session(request: web.Request) -> auth.Session | None:
    return auth.get_session(_redactie(request).db, request.cookies.get(SESSION_COOKIE))


Handler = Callable[[web.Request, auth.Session], Awaitable[web.StreamResponse]]


def login_required(handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """GET without a session redirects to the login page; POST gets 401.
    Every POST must carry the session's CSRF token (form field or header), else 403."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        session = current_session(request)
        if session is None:
            if request.method == "GET":
                raise web.HTTPSeeOther("/redactie/login")
            return error_page(401, "login_required")
        if request.method == "POST":
            form = await request.post()
            given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
            if not auth.tokens_match(session.csrf_token, given if isinstance(given, str) else None):
                return error_page(403, "csrf", session)
        return await handler(request, session)

    return wrapper


def _set_cookie(response: web.StreamResponse, name: str, value: str, max_age: int) -> None:
    # Secure + HttpOnly + SameSite=Strict; browsers accept Secure cookies on http://localhost.
    response.set_cookie(name, value, path="/redactie", max_age=max_age, secure=True, httponly=True, samesite="Strict")


def _client_ip(request: web.Request) -> str:
    """The client's address as the gateway sees it behind its trusted proxies (the gateway
    hands its rule in as CLIENT_ADDRESS); a proxy's own address would put every editor
    behind it under one failed-login cap."""
    find = request.app.get(CLIENT_ADDRESS)
    return find(request) if find is not None else request.remote or "unknown"


async def _in_thread(func: Callable[..., _T], *args: Any) -> _T:
    """argon2 and template validation take CPU time; keep the event loop free."""
    return await asyncio.get_running_loop().run_in_executor(None, partial(func, *args))


# --- login / logout --------------------------------------------------------------


async def login_form(request: web.Request) -> web.StreamResponse:
    if current_session(request) is not None:
        raise web.HTTPSeeOther("/redactie")
    return _login_page()


def _login_page(status: int = 200, problem: str | None = None, username: str = "") -> web.Response:
    token = secrets.token_urlsafe(32)
    response = page("login.html.j2", status=status, csrf_token=token, problem=problem, username=username)
    _set_cookie(response, LOGIN_COOKIE, token, max_age=3600)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    state = _redactie(request)
    form = await request.post()
    token = form.get(CSRF_FIELD)
    if not auth.tokens_match(request.cookies.get(LOGIN_COOKIE), token if isinstance(token, str) else None):
        return error_page(403, "csrf")
    username = str(form.get("username") or "").strip().lower()[:80]
    password = str(form.get("password") or "")
    ip = _client_ip(request)
    known = accounts.user_exists(state.db, username)
    # Decided and counted before the password is checked (bot/redactie/auth.py), so the
    # limit holds for many attempts at once; blocked attempts write no audit entry.
    attempt = await _in_thread(auth.begin_attempt, state.db, username, ip, known)
    if not attempt.allowed:
        response = _login_page(429, "rate_limited", username)
        response.headers["Retry-After"] = str(attempt.retry_after)
        return response
    user = await _in_thread(accounts.authenticate, state.db, username, password)
    if user is None:
        if attempt.audit_failure:
            audit.log(state.db, username, "login_failed", f"ip:{ip}")
        if attempt.audit_block:
            audit.log(state.db, username, "login_blocked", f"ip:{ip}")
        return _login_page(401, "bad_credentials", username)
    auth.finish_attempt(state.db, username, ip, success=True)
    token, _session = auth.create_session(state.db, user)
    audit.log(state.db, user.username, "login", f"ip:{ip}")
    response = web.HTTPSeeOther("/redactie")
    _set_cookie(response, SESSION_COOKIE, token, max_age=auth.SESSION_TTL)
    response.del_cookie(LOGIN_COOKIE, path="/redactie")
    raise response


@login_required
async def logout(request: web.Request, session: auth.Session) -> web.StreamResponse:
    state = _redactie(request)
    auth.end_session(state.db, request.cookies.get(SESSION_COOKIE))
    audit.log(state.db, session.user.username, "logout")
    response = web.HTTPSeeOther("/redactie/login")
    response.del_cookie(SESSION_COOKIE, path="/redactie")
    raise response


# --- template list and editor ------------------------------------------------------


def _layer_param(value: Any, user: User) -> str | None | Literal[False]:
    """Form/query value -> None (national), 'VRxx', or False when invalid."""
    if value is None or value == "":
        return None if user.is_national else user.region
    if value == NATIONAL:
        return None
    return value if isinstance(value, str) and is_region_code(value) else False


def _region_overrides(state: Redactie, name: str, live: dict[tuple[str, str | None], Version]) -> list[str]:
    """Regions with their own text for name (live edit or a file in templates/regions)."""
    codes = {region for (n, region), v in live.items() if n == name and region and v.source is not None}
    base = catalog.templates_dir() / "regions"
    if base.is_dir():
        codes |= {p.parent.name for p in base.glob(f"VR*/{name}.j2")}
    # A live 'back to repository' marker only hides a live edit, never the file.
    return sorted(codes)


@login_required
async def index(request: web.Request, session: auth.Session) -> web.StreamResponse:
    user = session.user
    query = request.query.get("zoek", "").strip()[:80]
    found = catalog.entries(advanced=user.can_edit_logic)
    shown = [e for e in found if e.matches(query)] if query else found
    groups = catalog.rows(shown)
    count = sum(len(lines) for _topic, lines in groups)
    total = sum(len(lines) for _topic, lines in catalog.rows(found))
    return page("index.html.j2", session=session, groups=groups, query=query, total=total, count=count)


def _edit_context(
    state: Redactie, session: auth.Session, name: str, region: str | None, **extra: Any
) -> dict[str, Any]:
    national = catalog.layer(state.store, name, None)
    own = catalog.layer(state.store, name, region) if region else national
    info = samples.template_info(name)
    context = {
        "session": session,
        "name": name,
        "region": region,
        "layer_value": region or NATIONAL,
        "info": info,
        "common_variables": samples.common_variables(),
        "filters": samples.filters_help(),
        "national": national,
        "own": own,
        # A regional editor starts from the national text when the region has none yet.
        "source": own.source if own.source is not None else national.source or "",
        "overrides": _region_overrides(state, name, state.store.live_versions()) if region is None else [],
        "result": None,
        "saved": None,
        "note": "",
    }
    context.update(extra)
    return context


def _check_template_access(session: auth.Session, name: str, region: str | None) -> web.Response | None:
    try:
        editor.check_access(session.user, name, region)
    except editor.EditorError:
        return error_page(404, "unknown_template", session)
    except PermissionError:
        # Their own layer, but a template with logic: say why (issue 16).
        code = "advanced_only" if session.user.can_edit_templates(region) else "forbidden"
        return error_page(403, code, session)
    return None


def _target(request: web.Request, session: auth.Session, value: Any) -> tuple[str, str | None, web.Response | None]:
    name = request.match_info["name"]
    region = _layer_param(value, session.user)
    if region is False:
        return name, None, error_page(400, "bad_region", session)
    problem = _check_template_access(session, name, region)
    if problem is None and not session.user.can_edit_logic and catalog.text_kind(name) != catalog.WORDS:
        # Templates with logic are for developers and the national "geavanceerd" work only.
        problem = error_page(403, "advanced_only", session)
    return name, region, problem


def _words_mode(session: auth.Session, name: str, advanced: Any) -> bool:
    """Staff always edit words; a geavanceerd account too, unless it asks for the template."""
    if not session.user.can_edit_logic:
        return True
    return catalog.text_kind(name) == catalog.WORDS and advanced != "1"


def _words_of(renderer: Renderer, source: str | None, region: str | None) -> str:
    """What staff see of a text: their own words, or a developer's template rendered to words."""
    if not source:
        return ""
    words = markup.from_template(source)
    if words is not None:
        return words
    # Rendered for a real region, then the region's facts become placeholders again,
    # so the words fit every region ("Ik help je in regio [regio].").
    shown = region or REGION_CODES[0]
    try:
        rendered = renderer.render_source(source, template_context({}, shown))
    except Exception:
        return ""
    buttons = [f"knop: {b['title']} | {b['payload']}" for b in rendered.buttons]
    words = "\n".join([rendered.text, *buttons]).strip()
    values = placeholder_values(region_info(shown), {})
    for name in ("frequentie", "waarschuwingssite", "website", "omroep", "regio"):
        if values[name] != FALLBACKS[name]:
            words = words.replace(values[name], f"[{name}]")
    return words


async def _words_page(
    request: web.Request,
    session: auth.Session,
    name: str,
    region: str | None,
    status: int = 200,
    text: str | None = None,
    **extra: Any,
) -> web.Response:
    state = _redactie(request)
    renderer = _renderer(request)
    national = catalog.layer(state.store, name, None)
    own = catalog.layer(state.store, name, region) if region else national
    national_words = await _in_thread(_words_of, renderer, national.source, region)
    pending = editor.words_draft(state.store, name) if region is None else None
    if text is None and pending is not None:
        text = pending.words
    if text is None:
        text = await _in_thread(_words_of, renderer, own.source, region) if own.source else national_words
    problems = markup.check_words(text)
    result = (
        None if problems else await _in_thread(validate, name, markup.to_template(text, catalog.notice_first(name)))
    )
    context = {
        "session": session,
        "name": name,
        "title": catalog.text_name(name),
        "region": region,
        "layer_value": region or NATIONAL,
        "text": text,
        "national_words": national_words,
        "own": own,
        "result": result,
        "problems": problems,
        "placeholders": PLACEHOLDERS,
        "note": "",
        "saved": None,
        "pending": pending,
        "concept": request.query.get("concept"),
    }
    context.update(extra)
    return page("words.html.j2", status=status, **context)


@login_required
async def edit(request: web.Request, session: auth.Session) -> web.StreamResponse:
    name, region, problem = _target(request, session, request.query.get("regio"))
    if problem is not None:
        return problem
    state = _redactie(request)
    saved = request.query.get("opgeslagen")
    if _words_mode(session, name, request.query.get("geavanceerd")):
        return await _words_page(request, session, name, region, saved=saved if saved and saved.isdigit() else None)
    context = _edit_context(state, session, name, region, saved=saved if saved and saved.isdigit() else None)
    context["result"] = await _in_thread(validate, name, context["source"]) if context["source"] else None
    return page("edit.html.j2", **context)


async def _posted_source(request: web.Request) -> tuple[Any, str, str]:
    form = await request.post()
    source = form.get("source")
    note = form.get("note")
    return form.get("regio"), source if isinstance(source, str) else "", note if isinstance(note, str) else ""


async def _posted_words(request: web.Request, session: auth.Session) -> str | None:
    """The words when the form is the words editor, else None (same field as the template editor)."""
    form = await request.post()
    text = form.get("source")
    name = request.match_info["name"]
    if not isinstance(text, str) or not _words_mode(session, name, form.get("geavanceerd")):
        return None
    return editor.normalise(text)


@login_required
async def preview(request: web.Request, session: auth.Session) -> web.StreamResponse:
    layer, source, note = await _posted_source(request)
    name, region, problem = _target(request, session, layer)
    if problem is not None:
        return problem
    words = await _posted_words(request, session)
    if words is not None:
        if request.headers.get("X-Requested-With") == "fetch":
            problems = markup.check_words(words)
            result = (
                None
                if problems
                else await _in_thread(validate, name, markup.to_template(words, catalog.notice_first(name)))
            )
            return page("_words_preview.html.j2", result=result, problems=problems, region=region)
        return await _words_page(request, session, name, region, text=words, note=note)
    result = await _in_thread(validate, name, editor.normalise(source))
    if request.headers.get("X-Requested-With") == "fetch":
        return page("_preview.html.j2", result=result)
    state = _redactie(request)
    return page("edit.html.j2", **_edit_context(state, session, name, region, source=source, note=note, result=result))


@login_required
async def save(request: web.Request, session: auth.Session) -> web.StreamResponse:
    layer, source, note = await _posted_source(request)
    name, region, problem = _target(request, session, layer)
    if problem is not None:
        return problem
    state = _redactie(request)
    words = await _posted_words(request, session)
    if words is not None:
        if markup.check_words(words):
            return await _words_page(request, session, name, region, status=422, text=words, note=note, not_saved=True)
        form = await request.post()
        if region is None and form.get("vier_ogen") == "ja":
            editor.save_words_draft(state.db, state.store, session.user, name, words)
            raise web.HTTPSeeOther(_edit_url(name, region) + "&concept=1")
        try:
            editor.check_four_eyes(state.store, session.user, name, region)
        except editor.EditorError:
            return await _words_page(request, session, name, region, status=409, text=words, refused="four_eyes")
        template = markup.to_template(words, catalog.notice_first(name))
        result, version = await _in_thread(
            editor.save, state.db, state.store, session.user, name, region, template, note
        )
        if version is None:
            return await _words_page(
                request, session, name, region, status=422, text=words, note=note, not_saved=True, result=result
            )
        if region is None:
            editor.clear_words_draft(state.db, state.store, session.user, name)
        raise web.HTTPSeeOther(_edit_url(name, region, saved=version.id))
    if not session.user.can_edit_logic:
        return error_page(403, "advanced_only", session)
    result, version = await _in_thread(editor.save, state.db, state.store, session.user, name, region, source, note)
    if version is None:
        context = _edit_context(state, session, name, region, source=source, note=note, result=result, not_saved=True)
        return page("edit.html.j2", status=422, **context)
    raise web.HTTPSeeOther(_edit_url(name, region, saved=version.id))


def _edit_url(name: str, region: str | None, saved: int | None = None) -> str:
    url = f"/redactie/tekst/{name}?regio={region or NATIONAL}"
    return url + (f"&opgeslagen={saved}" if saved else "")


@login_required
async def history(request: web.Request, session: auth.Session) -> web.StreamResponse:
    name, region, problem = _target(request, session, request.query.get("regio"))
    if problem is not None:
        return problem
    state = _redactie(request)
    versions = state.store.history(name, region)
    layer = catalog.layer(state.store, name, region)
    # The text a layer falls back to without live edits: its file, or the national text.
    base = layer.file_source
    if base is None and region is not None:
        base = catalog.layer(state.store, name, None).source
    words = _words_mode(session, name, request.query.get("geavanceerd"))
    if words:
        # Staff compare words, never template code.
        renderer = _renderer(request)
        texts = {v.id: _words_of(renderer, v.source, region) if v.source is not None else None for v in versions}
        versions = [dataclasses.replace(v, source=texts[v.id]) for v in versions]
        base = _words_of(renderer, base, region) if base is not None else None
    entries = []
    for i, version in enumerate(versions):
        before = versions[i + 1].source if i + 1 < len(versions) else None
        entries.append(
            {
                "version": version,
                "diff": _diff(
                    before if before is not None else base or "",
                    version.source if version.source is not None else base or "",
                ),
            }
        )
    return page(
        "history.html.j2",
        session=session,
        name=name,
        region=region,
        layer_value=region or NATIONAL,
        entries=entries,
        base=base,
        layer=layer,
        title=catalog.text_name(name),
        words=words,
    )


def _diff(before: str, after: str) -> list[tuple[str, str]]:
    """(kind, line) pairs; kind is add, del, hunk or same."""
    lines = []
    for line in list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2))[2:]:
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        lines.append((kind, line))
    return lines


async def _posted_version(request: web.Request, session: auth.Session, name: str) -> Version | web.Response:
    """The version a restore form names, if it is a version of name; else the error page."""
    form = await request.post()
    version_id = str(form.get("version") or "")
    if not version_id.isdigit():
        return error_page(400, "bad_version", session)
    old = _redactie(request).store.get_version(int(version_id))
    if old is None or old.name != name:
        return error_page(404, "bad_version", session)
    return old


@login_required
async def restore(request: web.Request, session: auth.Session) -> web.StreamResponse:
    state = _redactie(request)
    old = await _posted_version(request, session, request.match_info["name"])
    if isinstance(old, web.Response):
        return old
    problem = _check_template_access(session, old.name, old.region)
    if problem is not None:
        return problem
    if not session.user.can_edit_logic and catalog.text_kind(old.name) != catalog.WORDS:
        return error_page(403, "advanced_only", session)
    result, version = await _in_thread(editor.restore, state.db, state.store, session.user, old.id)
    if version is None and _words_mode(session, old.name, None):
        words = _words_of(_renderer(request), old.source, old.region)
        return await _words_page(request, session, old.name, old.region, 422, words, not_saved=True, result=result)
    if version is None:
        context = _edit_context(
            state, session, old.name, old.region, source=old.source or "", result=result, not_saved=True
        )
        return page("edit.html.j2", status=422, **context)
    raise web.HTTPSeeOther(_edit_url(old.name, old.region, saved=version.id))


@login_required
async def reset(request: web.Request, session: auth.Session) -> web.StreamResponse:
    form = await request.post()
    name, region, problem = _target(request, session, form.get("regio"))
    if problem is not None:
        return problem
    state = _redactie(request)
    version = editor.reset(state.db, state.store, session.user, name, region)
    raise web.HTTPSeeOther(_edit_url(name, region, saved=version.id))


# --- advice per risk and phase (data, edited as words) ------------------------------------


class _PreviewAdvice:
    """The edits a preview shows: the layer being edited replaced by the form's draft."""

    def __init__(self, national: dict[str, Any] | None, regional: dict[str, Any] | None) -> None:
        self.national, self.regional = national, regional

    def risk_edits(self, key: str, region: str | None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        return self.national, self.regional

    def channel_edits(self, region: str) -> dict[str, Any] | None:
        return None


def _renderer(request: web.Request) -> Renderer:
    """The gateway's own renderer (with its limits) when there is one."""
    replies = request.app.get("replies")
    renderer = getattr(replies, "renderer", None)
    if isinstance(renderer, Renderer):
        return renderer
    state = _redactie(request)
    if state.renderer is None:
        state.renderer = Renderer(store=state.store)
    return state.renderer


def _advice_preview(
    renderer: Renderer, store: advice.VersionStore, key: str, region: str | None, phase: str, doc: dict[str, Any]
) -> dict[str, Any]:
    """Chat bubbles for one phase, with doc as the edited layer (runs in a thread)."""
    risk = advice.effective(key, region, store, doc)
    channels = advice.channels(store, region) if region else None
    context = template_context({}, region, {"phase": phase}, channels=channels)
    context["risk"] = fill_risk(risk, placeholder_values(context["region"], {}))
    rendered = renderer.render("utter_risk_advice", context, region)
    return {"bubbles": split_bubbles(rendered.text), "buttons": rendered.buttons, "phase": phase}


def _advice_applied(
    store: advice.VersionStore, key: str, part: str, region: str | None, fields: dict[str, str]
) -> tuple[dict[str, Any], list[markup.Problem]]:
    """The posted form applied to the layer's document in edit: its draft if there is one, else what is live."""
    pending = advice.draft(store, key, region)
    start = pending.doc if pending is not None else advice.published(store, key, region)
    return advice.apply_form(start, part, fields, advice.below(key, region, store))


async def _advice_bubbles(
    request: web.Request, key: str, part: str, region: str | None, doc: dict[str, Any]
) -> dict[str, Any]:
    """The preview of the part's phase (the general part shows the default phase)."""
    phase = part if part in risks.PHASES else risks.DEFAULT_PHASE
    store = _redactie(request).store
    return await _in_thread(_advice_preview, _renderer(request), store, key, region, phase, doc)


def _advice_target(
    request: web.Request, session: auth.Session, value: Any
) -> tuple[str, str, str | None, web.Response | None]:
    key, part = request.match_info["key"], request.match_info.get("part", "tijdens")
    region = _layer_param(value, session.user)
    if region is False:
        return key, part, None, error_page(400, "bad_region", session)
    if part not in advice.PARTS:
        return key, part, region, error_page(404, "unknown_template", session)
    try:
        advice.check_access(session.user, key, region)
    except advice.AdviceError:
        return key, part, region, error_page(404, "unknown_template", session)
    except PermissionError:
        return key, part, region, error_page(403, "forbidden", session)
    return key, part, region, None


def _advice_url(key: str, part: str, region: str | None, **query: Any) -> str:
    extra = "".join(f"&{k}={v}" for k, v in query.items() if v is not None)
    return f"/redactie/advies/{key}/{part}?regio={region or NATIONAL}{extra}"


def _advice_form(doc: dict[str, Any], part: str, under: dict[str, Any]) -> dict[str, str]:
    """What the form fields show for a layer's document."""
    if part == advice.GENERAL:
        return {
            "titel": doc.get("title") or under.get("title", ""),
            "bronnen": markup.sources_text(doc.get("sources") or under.get("sources") or []),
        }
    entry = (doc.get("phases") or {}).get(part) or {}
    return {
        "intro": entry.get("intro") or "",
        "tips": "\n".join(entry["tips"] if "tips" in entry else under.get(part) or []),
        "extra": "\n".join(entry.get("extra") or []),
    }


async def _advice_page(
    request: web.Request,
    session: auth.Session,
    key: str,
    part: str,
    region: str | None,
    status: int = 200,
    form: dict[str, str] | None = None,
    doc: dict[str, Any] | None = None,
    **extra: Any,
) -> web.Response:
    state = _redactie(request)
    under = advice.below(key, region, state.store)
    pending = advice.draft(state.store, key, region)
    current = advice.published(state.store, key, region)
    if doc is None:
        doc = pending.doc if pending is not None else current
    preview = await _advice_bubbles(request, key, part, region, doc)
    context = {
        "session": session,
        "key": key,
        "part": part,
        "parts": advice.PARTS,
        "region": region,
        "layer_value": region or NATIONAL,
        "title": catalog.advice_title(key, part),
        "risk_title": advice.national_default(key)["title"],
        "under": under,
        "form": form if form is not None else _advice_form(doc, part, under),
        "pending": pending,
        "has_edit": bool(current),
        "preview": preview,
        "placeholders": PLACEHOLDERS,
        "problems": [],
        "note": "",
    }
    context.update(extra)
    return page("advice.html.j2", status=status, **context)


@login_required
async def advice_edit(request: web.Request, session: auth.Session) -> web.StreamResponse:
    key, part, region, problem = _advice_target(request, session, request.query.get("regio"))
    if problem is not None:
        return problem
    done = {k: request.query.get(k) for k in ("gepubliceerd", "concept", "hersteld")}
    return await _advice_page(request, session, key, part, region, done=done)


async def _advice_posted(request: web.Request) -> dict[str, str]:
    form = await request.post()
    fields = ("regio", "titel", "bronnen", "intro", "tips", "extra", "note", "actie", "vier_ogen")
    return {k: str(form.get(k) or "") for k in fields}


@login_required
async def advice_preview(request: web.Request, session: auth.Session) -> web.StreamResponse:
    fields = await _advice_posted(request)
    key, part, region, problem = _advice_target(request, session, fields["regio"])
    if problem is not None:
        return problem
    doc, problems = _advice_applied(_redactie(request).store, key, part, region, fields)
    preview = await _advice_bubbles(request, key, part, region, doc)
    if request.headers.get("X-Requested-With") == "fetch":
        return page("_advice_preview.html.j2", preview=preview, problems=problems, region=region)
    return await _advice_page(request, session, key, part, region, form=fields, doc=doc, problems=problems)


@login_required
async def advice_save(request: web.Request, session: auth.Session) -> web.StreamResponse:
    fields = await _advice_posted(request)
    key, part, region, problem = _advice_target(request, session, fields["regio"])
    if problem is not None:
        return problem
    state = _redactie(request)
    user = session.user
    doc, problems = _advice_applied(state.store, key, part, region, fields)
    if problems:
        return await _advice_page(
            request, session, key, part, region, status=422, form=fields, doc=doc, problems=problems, not_saved=True
        )
    review = fields["vier_ogen"] == "ja" and user.is_national
    if fields["actie"] == "concept" or (review and fields["actie"] == "publiceer"):
        version = advice.save_draft(state.db, state.store, user, key, region, doc, review=review)
        raise web.HTTPSeeOther(_advice_url(key, part, region, concept=version.id))
    try:
        version = advice.publish(state.db, state.store, user, key, region, doc, fields["note"])
    except advice.AdviceError as exc:
        return await _advice_page(
            request, session, key, part, region, status=409, form=fields, doc=doc, refused=exc.code
        )
    raise web.HTTPSeeOther(_advice_url(key, part, region, gepubliceerd=version.id))


@login_required
async def advice_history(request: web.Request, session: auth.Session) -> web.StreamResponse:
    key, part, region, problem = _advice_target(request, session, request.query.get("regio"))
    if problem is not None:
        return problem
    state = _redactie(request)
    return page(
        "advice_history.html.j2",
        session=session,
        key=key,
        region=region,
        layer_value=region or NATIONAL,
        title=catalog.advice_title(key, "algemeen").rsplit(":", 1)[0],
        entries=advice.history(state.store, key, region),
    )


@login_required
async def advice_restore(request: web.Request, session: auth.Session) -> web.StreamResponse:
    state = _redactie(request)
    old = await _posted_version(request, session, advice.doc_name(request.match_info["key"]))
    if isinstance(old, web.Response):
        return old
    try:
        version = advice.restore(state.db, state.store, session.user, old.id)
    except advice.AdviceError as exc:
        return error_page(422 if exc.code == "invalid" else 404, "bad_version", session)
    except PermissionError:
        return error_page(403, "forbidden", session)
    key = request.match_info["key"]
    raise web.HTTPSeeOther(_advice_url(key, risks.DEFAULT_PHASE, old.region, hersteld=version.id))


@login_required
async def advice_reset(request: web.Request, session: auth.Session) -> web.StreamResponse:
    form = await request.post()
    key, part, region, problem = _advice_target(request, session, form.get("regio"))
    if problem is not None:
        return problem
    state = _redactie(request)
    version = advice.reset(state.db, state.store, session.user, key, region)
    raise web.HTTPSeeOther(_advice_url(key, part, region, hersteld=version.id))


# --- channels per region (national editors) -------------------------------------------------


def _channel_rows(state: Redactie) -> list[dict[str, Any]]:
    rows = []
    for code in REGION_CODES:
        info = region_info(code) or {}
        radio = info.get("radio") or {}
        edit = advice.channels(state.store, code)
        rows.append(
            {
                "code": code,
                "name": info.get("name", code),
                "default": {
                    "radio_name": radio.get("name") or "",
                    "fm": radio.get("fm") or "",
                    "alert_site": info.get("alert_site") or "",
                },
                "edit": edit,
            }
        )
    return rows


@login_required
async def channels_list(request: web.Request, session: auth.Session) -> web.StreamResponse:
    if not session.user.is_national:
        return error_page(403, "forbidden", session)
    return page(
        "channels.html.j2",
        session=session,
        rows=_channel_rows(_redactie(request)),
        saved=request.query.get("opgeslagen"),
    )


@login_required
async def channels_edit(request: web.Request, session: auth.Session) -> web.StreamResponse:
    code = request.match_info["region"]
    if not session.user.is_national:
        return error_page(403, "forbidden", session)
    if not is_region_code(code):
        return error_page(404, "bad_region", session)
    state = _redactie(request)
    row = next(r for r in _channel_rows(state) if r["code"] == code)
    if request.method == "POST":
        posted = await request.post()
        fields = {k: str(posted.get(k) or "") for k in advice.CHANNEL_FIELDS}
        edit, problems = advice.check_channels(fields)
        # A value equal to the default is not stored, so a corrected default comes through.
        edit = {k: v for k, v in edit.items() if v != row["default"][k]}
        if problems:
            return page("channel_edit.html.j2", status=422, session=session, row=row, form=fields, problems=problems)
        advice.save_channels(state.db, state.store, session.user, code, edit)
        raise web.HTTPSeeOther(f"/redactie/kanalen?opgeslagen={code}")
    shown = {k: row["edit"].get(k) or row["default"][k] for k in advice.CHANNEL_FIELDS}
    return page("channel_edit.html.j2", session=session, row=row, form=shown, problems=[])


# --- notices --------------------------------------------------------------------


def _notice_regions(user: User) -> list[str | None]:
    if user.is_national:
        return [None, *REGION_CODES]
    return [user.region]


def _notices_page(state: Redactie, session: auth.Session, status: int = 200, **extra: Any) -> web.Response:
    now = time.time()
    context = {
        "session": session,
        "items": notices.listing(state.db, session.user),
        "now": now,
        "regions": _notice_regions(session.user),
        "problem": None,
        "form": {"expires": _local_input(now + 6 * 3600)},
        "limits": {"title": notices.MAX_TITLE, "text": notices.MAX_TEXT},
    }
    context.update(extra)
    return page("notices.html.j2", status=status, **context)


@login_required
async def notices_list(request: web.Request, session: auth.Session) -> web.StreamResponse:
    return _notices_page(_redactie(request), session, published=request.query.get("gepubliceerd"))


@login_required
async def notice_publish(request: web.Request, session: auth.Session) -> web.StreamResponse:
    state = _redactie(request)
    form = await request.post()
    fields = {k: str(form.get(k) or "") for k in ("regio", "title", "text", "url", "starts", "expires")}
    region = None if fields["regio"] in ("", NATIONAL) else fields["regio"]
    if region is not None and not is_region_code(region):
        return error_page(400, "bad_region", session)
    if not session.user.can_publish_notice(region):
        return error_page(403, "forbidden", session)
    expires_at = notices.parse_local_datetime(fields["expires"])
    starts_at = notices.parse_local_datetime(fields["starts"]) if fields["starts"] else None
    if fields["starts"] and starts_at is None:
        return _notices_page(state, session, status=422, problem="notice_start_invalid", form=fields)
    try:
        notice = notices.publish(
            state.db,
            session.user,
            region,
            fields["title"],
            fields["text"],
            fields["url"],
            expires_at if expires_at is not None else 0.0,
            starts_at=starts_at,
        )
    except notices.NoticeError as exc:
        return _notices_page(state, session, status=422, problem=exc.code, form=fields)
    raise web.HTTPSeeOther(f"/redactie/meldingen?gepubliceerd={notice.id}")


@login_required
async def notice_withdraw(request: web.Request, session: auth.Session) -> web.StreamResponse:
    state = _redactie(request)
    notice_id = request.match_info["id"]
    try:
        notices.withdraw(state.db, session.user, int(notice_id))
    except notices.NoticeError:
        return error_page(404, "no_such_notice", session)
    except PermissionError:
        return error_page(403, "forbidden", session)
    raise web.HTTPSeeOther("/redactie/meldingen")


async def notice_api(request: web.Request) -> web.Response:
    """Public: the active notice for a region (the widget shows it at the top)."""
    region = request.query.get("region") or None
    if region is not None and not is_region_code(region):
        return web.json_response({"error": "region must be VR01..VR25"}, status=400)
    notice = notices.cached_current(_redactie(request).db, region)  # the last known notice while the database is down
    response = web.json_response({"notice": notice.public() if notice else None})
    response.headers["Cache-Control"] = "public, max-age=10"
    return response


# --- audit log, static --------------------------------------------------------------


@login_required
async def audit_log(request: web.Request, session: auth.Session) -> web.StreamResponse:
    state = _redactie(request)
    user = session.user
    if user.is_national:
        entries = audit.entries(state.db, 300)
    else:
        entries = audit.entries(state.db, 300, region=user.region, actor=user.username)
    return page("audit.html.j2", session=session, entries=entries)


WIDGET_JS = HERE.parent / "gateway" / "static" / "widget.js"
EMBED_FILE = HERE.parents[1] / "data" / "embed" / "regions.yml"
# The widget's rules the preview needs (bubbles, buttons, links), taken from widget.js itself.
_CHAT_SELECTORS = re.compile(r"^(\.log|\.msg|\.bot|\.replies|a\{|\.head|\.titles|h2|\.sub)")
_COLOR_VARS = {
    "primary": "primary",
    "on_primary": "on-primary",
    "surface": "surface",
    "on_surface": "on-surface",
    "bot_bubble": "bubble",
    "link": "link",
    "focus": "focus",
}


@functools.cache
def chat_css() -> str:
    """The widget's own look for the preview, scoped to .phone (the preview frame).

    Read from widget.js (its CSS array) and data/embed/regions.yml (the colours
    per region), so the preview changes when the widget does."""
    source = WIDGET_JS.read_text(encoding="utf-8")
    block = source[source.index("var CSS = [") : source.index("].join(")]
    rules = [bytes(m, "utf-8").decode("unicode_escape") for m in re.findall(r"'((?:[^'\\]|\\.)*)'", block)]
    out = []
    for rule in rules:
        if not _CHAT_SELECTORS.match(rule) or "{" not in rule:
            continue
        selectors, body = rule.split("{", 1)
        out.append(",".join(f".phone {sel.strip()}" for sel in selectors.split(",")) + "{" + body)
    with open(EMBED_FILE, encoding="utf-8") as fh:
        embed = yaml.safe_load(fh)

    def variables(colors: dict[str, str]) -> str:
        return ";".join(f"--nw-{name}:{colors[key]}" for key, name in _COLOR_VARS.items() if key in colors)

    out.append(f".phone{{{variables(embed['defaults']['colors'])}}}")
    for code, entry in (embed.get("regions") or {}).items():
        if isinstance(entry, dict) and isinstance(entry.get("colors"), dict) and is_region_code(code):
            out.append(f".phone.{code}{{{variables(entry['colors'])}}}")
    return "\n".join(out) + "\n"


async def static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["file"]
    if name not in STATIC_FILES:
        raise web.HTTPNotFound()
    if name == "chat.css":
        return web.Response(text=chat_css(), content_type="text/css", headers={"Cache-Control": "max-age=300"})
    response = web.FileResponse(HERE / "static" / name)
    response.content_type = STATIC_FILES[name]
    return response


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path == "/redactie" or request.path.startswith("/redactie/"):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        if not request.path.startswith("/redactie/static/"):
            response.headers["Cache-Control"] = "no-store"


@web.middleware
async def _database_down(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """The database is down or busy: the editor says it cannot save now (503), never a 500."""
    try:
        return await handler(request)
    except DatabaseUnavailable:
        if not request.path.startswith("/redactie"):
            raise
        response = error_page(503, "database_unavailable")
        response.headers["Retry-After"] = "30"
        return response


def setup(app: web.Application, db: Database | None = None) -> None:
    database = db or default_db()
    app[REDACTIE] = Redactie(db=database, store=SqliteTemplateStore(database))
    app.middlewares.append(_database_down)
    # aiohttp 3.9 annotates this Signal for aiosignal < 1.4 (generic over the
    # callback); aiosignal 1.4 is generic over the arguments, so the types disagree.
    app.on_response_prepare.append(_security_headers)  # type: ignore[arg-type]
    r = app.router
    r.add_get("/redactie", index)
    r.add_get("/redactie/", index)
    r.add_get("/redactie/login", login_form)
    r.add_post("/redactie/login", login)
    r.add_post("/redactie/logout", logout)
    r.add_get("/redactie/tekst/{name}", edit)
    r.add_post("/redactie/tekst/{name}/voorbeeld", preview)
    r.add_post("/redactie/tekst/{name}/opslaan", save)
    r.add_get("/redactie/tekst/{name}/geschiedenis", history)
    r.add_post("/redactie/tekst/{name}/herstel", restore)
    r.add_post("/redactie/tekst/{name}/standaard", reset)
    r.add_get("/redactie/advies/{key}/geschiedenis", advice_history)
    r.add_post("/redactie/advies/{key}/herstel", advice_restore)
    r.add_get("/redactie/advies/{key}/{part}", advice_edit)
    r.add_post("/redactie/advies/{key}/{part}", advice_save)
    r.add_post("/redactie/advies/{key}/{part}/voorbeeld", advice_preview)
    r.add_post("/redactie/advies/{key}/{part}/standaard", advice_reset)
    r.add_get("/redactie/kanalen", channels_list)
    r.add_get("/redactie/kanalen/{region}", channels_edit)
    r.add_post("/redactie/kanalen/{region}", channels_edit)
    r.add_get("/redactie/meldingen", notices_list)
    r.add_post("/redactie/meldingen", notice_publish)
    r.add_post("/redactie/meldingen/{id:\\d+}/intrekken", notice_withdraw)
    r.add_get("/redactie/logboek", audit_log)
    r.add_get("/redactie/static/{file}", static)
    r.add_get("/api/v1/notice", notice_api)


__all__ = ["setup", "REDACTIE"]
