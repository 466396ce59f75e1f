"""The embeddable widget's server side: per-region embed config, widget.js, demo and /embed pages.

The configuration is data (data/embed/regions.yml); this module validates it,
merges a region over the national defaults and serves the public part.
bot/gateway/cors.py asks `EmbedConfig.origin_allowed` which sites may call the API.
"""

from __future__ import annotations

import copy
import functools
import gzip
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from aiohttp import web
from jinja2.sandbox import SandboxedEnvironment

from bot.core.embed_rules import (  # the contrast rules live in bot/core (also used by the Redactie)
    COLOR_KEYS,
    HEX_COLOR_RE,
    LANGUAGES,
    contrast_problems,
)
from bot.core.embed_rules import CONTRAST_PAIRS as CONTRAST_PAIRS
from bot.core.embed_rules import contrast_ratio as contrast_ratio
from bot.core.embed_rules import relative_luminance as relative_luminance
from bot.core.knowledge import ROOT
from bot.core.language import ENGLISH, detect_language
from bot.core.regions import get_region, is_region_code, national_channels
from bot.gateway.errors import json_error
from bot.redactie import learn
from bot.redactie.instellingen import LiveSettings, logo_of
from bot.redactie.web import REDACTIE
from bot.settings import Settings
from bot.texts.jinja import html_environment

logger = logging.getLogger(__name__)

EMBED_FILE = ROOT / "data" / "embed" / "regions.yml"
WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
LOGO_DIR = STATIC_DIR / "logos"
PAGES_DIR = WEB_DIR / "pages"
EXTRA_ORIGINS_ENV = "NOODWIJZER_EXTRA_ORIGINS"
PUBLIC_URL_ENV = "NOODWIJZER_PUBLIC_URL"

LOGO_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}\.(svg|png)$")
HOST_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")

# Our own pages load nothing from elsewhere; the widget styles itself through
# constructable stylesheets, so no inline style or script is allowed either.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'; style-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class EmbedConfigError(ValueError):
    """regions.yml (or the extra-origins variable) is not valid."""


# --- origins -------------------------------------------------------------------


@dataclass(frozen=True)
class OriginPattern:
    scheme: str
    host: str
    port: int | None  # None = any port (test-only wildcard)

    def matches(self, scheme: str, host: str, port: int) -> bool:
        return self.scheme == scheme and self.host == host and (self.port is None or self.port == port)


DEFAULT_PORTS = {"http": 80, "https": 443}


def split_origin(origin: str) -> tuple[str, str, int] | None:
    """A browser's Origin header -> (scheme, host, port), or None if it is not a plain origin."""
    if not isinstance(origin, str) or len(origin) > 300:
        return None
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme not in DEFAULT_PORTS or not host or parts.path not in ("", "/") or parts.query or parts.fragment:
        return None
    if parts.username or parts.password:
        return None
    return scheme, host, port or DEFAULT_PORTS[scheme]


def parse_origin_pattern(entry: str) -> OriginPattern:
    """'https://www.example.nl', 'http://localhost:8080' or 'http://localhost:*'; never '*'."""
    if not isinstance(entry, str):
        raise EmbedConfigError(f"origin must be a string: {entry!r}")
    text = entry.strip().rstrip("/")
    wildcard_port = text.endswith(":*")
    if wildcard_port:
        text = text[:-2]
    if "*" in text:
        raise EmbedConfigError(f"wildcards are only allowed for the port: {entry!r}")
    parsed = split_origin(text)
    if parsed is None or not HOST_RE.match(parsed[1]):
        raise EmbedConfigError(f"not an origin (scheme://host[:port]): {entry!r}")
    scheme, host, port = parsed
    if wildcard_port and ":" in text.split("//", 1)[1]:
        raise EmbedConfigError(f"two ports in origin: {entry!r}")
    return OriginPattern(scheme, host, None if wildcard_port else port)


def parse_extra_origins(value: str) -> dict[str | None, list[OriginPattern]]:
    """NOODWIJZER_EXTRA_ORIGINS: entries split by spaces or commas, each 'ORIGIN' or 'VRxx=ORIGIN'.

    Meant for tests and local development; an entry without a region applies
    to the national defaults and to every configured region.
    """
    extra: dict[str | None, list[OriginPattern]] = {}
    for entry in re.split(r"[\s,]+", value.strip()) if value.strip() else []:
        region: str | None = None
        if "=" in entry:
            region, entry = entry.split("=", 1)
            if not is_region_code(region):
                raise EmbedConfigError(f"{EXTRA_ORIGINS_ENV}: bad region {region!r}")
        extra.setdefault(region, []).append(parse_origin_pattern(entry))
    return extra


# --- the configuration ----------------------------------------------------------


def _check_colors(colors: Any, where: str) -> dict[str, str]:
    if not isinstance(colors, dict) or set(colors) != set(COLOR_KEYS):
        raise EmbedConfigError(f"{where}: colors needs exactly {', '.join(COLOR_KEYS)}")
    for key, value in colors.items():
        if not isinstance(value, str) or not HEX_COLOR_RE.match(value):
            raise EmbedConfigError(f"{where}: colour {key} must be #rrggbb, not {value!r}")
    return {k: v.lower() for k, v in colors.items()}


def _check_starters(starters: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(starters, list):
        raise EmbedConfigError(f"{where}: starters must be a list")
    checked = []
    for item in starters:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("title"), str)
            and isinstance(item.get("payload"), str)
            and item["title"].strip()
            and item["payload"].startswith("/")
            and len(item["payload"]) <= 200
        ):
            raise EmbedConfigError(f"{where}: each starter needs a title and a /payload")
        checked.append({"title": item["title"], "payload": item["payload"]})
    return checked


def _check_english_starters(starters: Any, where: str) -> list[dict[str, str]]:
    """English starters send an English sentence: a /command would skip the English path."""
    if not isinstance(starters, list):
        raise EmbedConfigError(f"{where}: starters_en must be a list")
    checked = []
    for item in starters:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("title"), str)
            and isinstance(item.get("payload"), str)
            and item["title"].strip()
            and item["payload"].strip()
            and not item["payload"].lstrip().startswith("/")
            and "\n" not in item["payload"]
            and len(item["payload"]) <= 200
        ):
            raise EmbedConfigError(f"{where}: each English starter needs a title and an English sentence as payload")
        checked.append({"title": item["title"], "payload": item["payload"].strip()})
    return checked


def _check_ui(ui: Any, where: str, name: str, base_ui: dict[str, str] | None) -> dict[str, str]:
    if not isinstance(ui, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in ui.items()):
        raise EmbedConfigError(f"{where}: {name} must map names to text")
    if base_ui is not None and set(ui) - set(base_ui):
        raise EmbedConfigError(f"{where}: {name} keys not in the defaults: {sorted(set(ui) - set(base_ui))}")
    return {**(base_ui or {}), **ui}


ENTRY_KEYS = {
    "name",
    "colors",
    "logo",
    "language",
    "greeting",
    "starters",
    "allowed_origins",
    "ui",
    # The English words (issue 20: a region that starts in English).
    "greeting_en",
    "starters_en",
    "ui_en",
    "privacy_learning_en",
}


def _check_entry(entry: Any, where: str, base: dict[str, Any] | None) -> dict[str, Any]:
    """Validate one block and merge it over `base` (the defaults) when given."""
    if not isinstance(entry, dict):
        raise EmbedConfigError(f"{where}: must be a mapping")
    unknown = set(entry) - ENTRY_KEYS
    if unknown:
        raise EmbedConfigError(f"{where}: unknown keys {sorted(unknown)}")
    merged = dict(base or {})
    for key in ("name", "greeting", "greeting_en", "privacy_learning_en"):
        if key in entry:
            if not isinstance(entry[key], str) or not entry[key].strip():
                raise EmbedConfigError(f"{where}: {key} must be text")
            merged[key] = entry[key].strip()
    if "112" not in merged.get("greeting_en", "112"):
        raise EmbedConfigError(f"{where}: greeting_en must mention 112")
    if "language" in entry:
        if entry["language"] not in LANGUAGES:
            raise EmbedConfigError(f"{where}: language must be one of {sorted(LANGUAGES)}")
        merged["language"] = entry["language"]
    if "colors" in entry:
        merged["colors"] = _check_colors(entry["colors"], where)
    if "logo" in entry:
        logo = entry["logo"]
        if logo is not None and (
            not isinstance(logo, str) or not LOGO_NAME_RE.match(logo) or not (LOGO_DIR / logo).is_file()
        ):
            raise EmbedConfigError(f"{where}: logo must be null or a file in {LOGO_DIR}: {logo!r}")
        merged["logo"] = logo
    if "starters" in entry:
        merged["starters"] = _check_starters(entry["starters"], where)
    if "starters_en" in entry:
        merged["starters_en"] = _check_english_starters(entry["starters_en"], where)
    if "allowed_origins" in entry:
        if not isinstance(entry["allowed_origins"], list):
            raise EmbedConfigError(f"{where}: allowed_origins must be a list")
        merged["allowed_origins"] = [parse_origin_pattern(o) for o in entry["allowed_origins"]]
    if "ui" in entry:
        merged["ui"] = _check_ui(entry["ui"], where, "ui", base["ui"] if base else None)
    if "ui_en" in entry:
        # Every English word exists in Dutch and the other way round: no word is missing in either.
        merged["ui_en"] = _check_ui(entry["ui_en"], where, "ui_en", base["ui_en"] if base else None)
    missing = ENTRY_KEYS - {"language"} - set(merged)
    if missing:
        raise EmbedConfigError(f"{where}: missing {sorted(missing)}")
    if base is None and set(merged["ui_en"]) != set(merged["ui"]):
        raise EmbedConfigError(
            f"{where}: ui_en needs the same words as ui: {sorted(set(merged['ui']) ^ set(merged['ui_en']))}"
        )
    merged.setdefault("language", "nl")
    return merged


@functools.lru_cache(maxsize=256)
def _is_english(text: str) -> bool:
    return detect_language(text) == ENGLISH


def words_for(entry: dict[str, Any]) -> dict[str, Any]:
    """The widget's words in the entry's language: Dutch, or English (issue 20).

    An own greeting (the Redactie's, or a gemeente's) is used in English only when it
    is English; a Dutch one gives way to the English default, which mentions 112."""
    if entry.get("language") != "en":
        return {"language": "nl", "greeting": entry["greeting"], "starters": entry["starters"], "ui": entry["ui"]}
    own = entry.get("own_greeting")
    greeting = own if own and _is_english(own) else entry["greeting_en"]
    return {"language": "en", "greeting": greeting, "starters": entry["starters_en"], "ui": entry["ui_en"]}


class EmbedConfig:
    def __init__(self, raw: Any, extra_origins: str = "") -> None:
        if not isinstance(raw, dict) or not isinstance(raw.get("defaults"), dict):
            raise EmbedConfigError("regions.yml needs a 'defaults' block")
        self.defaults = _check_entry(raw["defaults"], "defaults", None)
        self.regions: dict[str, dict[str, Any]] = {}
        for code, entry in (raw.get("regions") or {}).items():
            if not isinstance(code, str) or not is_region_code(code):
                raise EmbedConfigError(f"region code must be VR01..VR25: {code!r}")
            region = _check_entry(entry, code, self.defaults)
            if "allowed_origins" not in entry:
                region["allowed_origins"] = []  # a region's sites are its own; never inherit
            self.regions[code] = region
        self.extra = parse_extra_origins(extra_origins)
        # A gemeente that embeds as its own party (issue 20): (region, slug) -> its settings.
        self.gemeenten: dict[tuple[str, str], dict[str, Any]] = {}
        for code, patterns in self.extra.items():
            targets = [self.defaults, *self.regions.values()] if code is None else [self.for_region(code, create=True)]
            for target in targets:
                target["allowed_origins"] = [*target["allowed_origins"], *patterns]

    def with_overrides(self, stored: dict[str, dict[str, Any]]) -> EmbedConfig:
        """A copy with the Redactie's settings (bot/redactie/instellingen.py) over this file's.

        Stored values were validated when they were saved; a value that no longer
        parses is skipped (and logged), so one bad row never stops the widget."""
        merged = copy.copy(self)
        merged.regions = {code: dict(entry) for code, entry in self.regions.items()}
        merged.gemeenten = {}
        extra_all = self.extra.get(None, [])
        for party, data in sorted(stored.items()):
            region, _, gemeente = party.partition("/")
            if not is_region_code(region):
                continue
            try:
                origins = [parse_origin_pattern(o) for o in data.get("origins", [])]
            except EmbedConfigError:
                logger.warning("stored settings of %s have a bad origin; skipped", party)
                continue
            target = merged.for_region(region, create=True)
            if gemeente:
                entry = {**target, "gemeente": gemeente, "allowed_origins": origins}
                for key in ("name", "greeting", "language"):  # no language: the region's
                    if data.get(key):
                        entry[key] = data[key]
                if data.get("greeting"):
                    entry["own_greeting"] = data["greeting"]
                merged.gemeenten[(region, gemeente)] = entry
                continue
            for key in ("name", "greeting", "colors", "language", "privacy"):
                if key in data:
                    target[key] = data[key]
            if data.get("greeting"):
                target["own_greeting"] = data["greeting"]
            if "logo_url" in data:
                target["logo_url"] = data["logo_url"]
            target["allowed_origins"] = [*origins, *self.extra.get(region, []), *extra_all]
        for (region, _slug), entry in merged.gemeenten.items():
            # The region's CORS list also lets its gemeenten's sites in: the widget names only the region.
            owner = merged.for_region(region, create=True)
            owner["allowed_origins"] = [*owner["allowed_origins"], *entry["allowed_origins"]]
        return merged

    def for_region(self, code: str | None, create: bool = False) -> dict[str, Any]:
        """The merged settings for a region; a region without its own block gets the defaults."""
        if code in self.regions:
            return self.regions[code]
        if create and code:
            self.regions[code] = {**self.defaults, "allowed_origins": list(self.defaults["allowed_origins"])}
            return self.regions[code]
        return self.defaults

    def origin_allowed(self, origin: str, region: str | None) -> bool:
        parts = split_origin(origin)
        if parts is None:
            return False
        return any(p.matches(*parts) for p in self.for_region(region)["allowed_origins"])

    def public(self, code: str | None, gemeente: str | None = None) -> dict[str, Any]:
        """What GET /api/v1/widget-config shows: everything except the origin list."""
        entry = self.for_region(code)
        if code and gemeente and (code, gemeente) in self.gemeenten:
            entry = self.gemeenten[(code, gemeente)]
        colors = entry["colors"]
        if contrast_problems(colors):
            # A bad palette must not make the widget unreadable: fall back, and say so in the log.
            logger.warning("region %s colours fail contrast; using the national colours", code)
            colors = self.defaults["colors"]
        return {
            "region": code,
            "name": entry["name"],
            "colors": colors,
            "logo_url": entry["logo_url"]
            if "logo_url" in entry
            else (f"/widget/logos/{entry['logo']}" if entry["logo"] else None),
            "privacy": entry.get("privacy") or None,
            **words_for(entry),
            "safety": safety_links(code),
        }

    def learning_line(self, code: str | None, language: str) -> str | None:
        """The privacy sentence about learning (issue 19) in English; None: learn.py's Dutch one."""
        if language != "en":
            return None
        text: str = self.for_region(code).get("privacy_learning_en") or self.defaults["privacy_learning_en"]
        return text


def safety_links(code: str | None) -> dict[str, Any]:
    """Where to look when the chat cannot be reached (issue 21): crisis.nl and the
    region's verified alert site and broadcaster, from data/knowledge. The widget
    keeps the last copy it got, so its failure card can show them with no server."""
    links: dict[str, Any] = {"crisis_url": national_channels()["crisis_nl"]["url"]}
    region = get_region(code) if code else None
    if region:
        links.update(
            region_name=region["name"],
            alert_site=region["alert_site"],
            radio=region["radio"]["name"],
            fm=region["radio"]["fm"],
        )
    return links


def load_embed_config(path: Path = EMBED_FILE, extra_origins: str | None = None) -> EmbedConfig:
    with open(path, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    if extra_origins is None:
        extra_origins = Settings.from_env().extra_origins
    return EmbedConfig(raw, extra_origins)


@functools.lru_cache(maxsize=4)
def _cached_config(extra_origins: str) -> EmbedConfig:
    return load_embed_config(EMBED_FILE, extra_origins)


EMBED_CONFIG_KEY = web.AppKey("embed_config", EmbedConfig)


# Filled lazily (the Redactie's database is set up after this module): "live" -> LiveSettings,
# "merged" -> (the stored settings it was built from, the merged EmbedConfig).
LIVE_KEY: web.AppKey[dict[str, Any]] = web.AppKey("embed_live")


def get_embed_config(app: web.Application | None = None) -> EmbedConfig:
    if app is not None and EMBED_CONFIG_KEY in app:
        base = app[EMBED_CONFIG_KEY]
        holder = app.get(LIVE_KEY)
        if REDACTIE not in app or holder is None:
            return base
        if "live" not in holder:
            holder["live"] = LiveSettings(app[REDACTIE].db)
        # The Redactie's settings (cached until the next change in any process) over the file's.
        stored = holder["live"].get()
        known = holder.get("merged")
        if known is None or known[0] is not stored:
            known = (stored, base.with_overrides(stored))
            holder["merged"] = known
        merged: EmbedConfig = known[1]
        return merged
    settings = app["settings"] if app is not None and "settings" in app else Settings.from_env()
    return _cached_config(settings.extra_origins)


# --- widget.js --------------------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str
    content_type: str


# Whole-line comments are for developers: residents' phones need not download them.
# Safe because widget.js has no template literals, so no line starts inside a string.
_LINE_COMMENT = re.compile(r"^[ \t]*//[^\n]*\n", re.MULTILINE)


def strip_line_comments(source: str) -> str:
    return source if "`" in source else _LINE_COMMENT.sub("", source)


def build_widget_asset(config: EmbedConfig) -> Asset:
    """widget.js with the national defaults filled in, so it can render before any request."""
    source = strip_line_comments((STATIC_DIR / "widget.js").read_text(encoding="utf-8"))
    marker = "{} /* @defaults */"
    if marker not in source:
        raise RuntimeError("widget.js lost its @defaults marker")
    # ensure_ascii keeps U+2028 and friends out of the script text.
    defaults = json.dumps(config.public(None), ensure_ascii=True, separators=(",", ":"))
    body = source.replace(marker, defaults, 1).encode("utf-8")
    return Asset(
        body=body,
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        etag='"' + hashlib.sha256(body).hexdigest()[:20] + '"',
        content_type="application/javascript",
    )


WIDGET_ASSET_KEY = web.AppKey("widget_asset", Asset)


def _asset_response(request: web.Request, asset: Asset, max_age: int) -> web.StreamResponse:
    headers = {
        "Cache-Control": f"public, max-age={max_age}",
        "ETag": asset.etag,
        "X-Content-Type-Options": "nosniff",
        # Other sites load these files; CORP lets sites that use COEP do so too.
        "Cross-Origin-Resource-Policy": "cross-origin",
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("If-None-Match") == asset.etag:
        return web.Response(status=304, headers=headers)
    body = asset.body
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, headers=headers, content_type=asset.content_type, charset="utf-8")


async def widget_js(request: web.Request) -> web.StreamResponse:
    return _asset_response(request, request.app[WIDGET_ASSET_KEY], max_age=300)


async def logo(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    path = LOGO_DIR / name
    if not LOGO_NAME_RE.match(name) or not path.is_file():
        raise web.HTTPNotFound()
    body = path.read_bytes()
    content_type = "image/svg+xml" if name.endswith(".svg") else "image/png"
    asset = Asset(body, gzip.compress(body, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:20] + '"', content_type)
    response = _asset_response(request, asset, max_age=86400)
    # An SVG opened directly must not be able to run script.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# --- JSON API ---------------------------------------------------------------------


GEMEENTE_RE = re.compile(r"^[a-z][a-z0-9-]{1,40}$")


async def widget_config(request: web.Request) -> web.Response:
    region = request.query.get("region")
    if region is not None and not is_region_code(region):
        return json_error(400, "region must be VR01..VR25")
    gemeente = request.query.get("gemeente")
    if gemeente is not None and (region is None or not GEMEENTE_RE.match(gemeente)):
        return json_error(400, "gemeente must be a lower-case name, with region")
    config = get_embed_config(request.app).public(region, gemeente)
    own_privacy = config["privacy"]
    config["privacy"] = learn.privacy_with_learning(request.app, region, own_privacy)  # issue 19
    english_line = get_embed_config(request.app).learning_line(region, config["language"])
    if english_line and config["privacy"] != own_privacy:
        # The region learns from unclear questions: say so in the widget's language.
        config["privacy"] = f"{own_privacy} {english_line}" if own_privacy else english_line
    response = web.json_response(config)
    # Short: a change in the Redactie must reach a new page load within seconds (issue 20).
    response.headers["Cache-Control"] = "public, max-age=5"
    return response


async def stored_logo(request: web.Request) -> web.StreamResponse:
    """A logo uploaded in the Redactie (sanitised when it was saved); a version never changes."""
    if REDACTIE not in request.app:
        raise web.HTTPNotFound()
    found = logo_of(request.app[REDACTIE].db, int(request.match_info["id"]))
    if found is None or found[0] != request.match_info["kind"]:
        raise web.HTTPNotFound()
    kind, body = found
    content_type = "image/svg+xml" if kind == "svg" else "image/png"
    asset = Asset(body, gzip.compress(body, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:20] + '"', content_type)
    response = _asset_response(request, asset, max_age=86400)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


# --- pages ------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _pages() -> SandboxedEnvironment:
    return html_environment(PAGES_DIR, strict=False)


def public_base(request: web.Request) -> str:
    """The gateway's address as other sites must write it in their script tag."""
    settings = request.app["settings"] if "settings" in request.app else Settings.from_env()
    return settings.public_url or f"{request.scheme}://{request.host}"


def page(name: str, **context: Any) -> web.Response:
    html = _pages().get_template(name).render(**context)
    return web.Response(text=html, content_type="text/html", charset="utf-8", headers=PAGE_HEADERS)


async def demo_page(request: web.Request) -> web.Response:
    return page("demo.html", region="VR19")


async def embed_page(request: web.Request) -> web.Response:
    config = get_embed_config(request.app)
    regions = sorted(config.regions)
    return page("embed.html", base=public_base(request), regions=regions, color_keys=COLOR_KEYS)


async def page_css(request: web.Request) -> web.StreamResponse:
    body = (STATIC_DIR / "pages.css").read_bytes()
    asset = Asset(body, gzip.compress(body, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:20] + '"', "text/css")
    return _asset_response(request, asset, max_age=300)


def setup(app: web.Application) -> None:
    config = load_embed_config()
    app[EMBED_CONFIG_KEY] = config
    app[WIDGET_ASSET_KEY] = build_widget_asset(config)
    app[LIVE_KEY] = {}
    app.router.add_get("/widget.js", widget_js)
    app.router.add_get("/widget/logos/{name}", logo)
    app.router.add_get("/widget/logo/{id:\\d{1,12}}.{kind:svg|png}", stored_logo)
    app.router.add_get("/widget/pages.css", page_css)
    app.router.add_get("/api/v1/widget-config", widget_config)
    app.router.add_get("/", demo_page)
    app.router.add_get("/embed", embed_page)
