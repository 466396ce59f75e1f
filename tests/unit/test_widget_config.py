"""Embed configuration, CORS and widget assets, without Rasa (aiohttp test client)."""

from __future__ import annotations

import copy
import gzip
import json
import re
from pathlib import Path

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from bot.core.embed_rules import CONTRAST_PAIRS, contrast_problems, contrast_ratio  # the rules the Redactie uses too
from bot.gateway import widget
from bot.gateway.widget import (
    EXTRA_ORIGINS_ENV,
    EmbedConfig,
    EmbedConfigError,
    load_embed_config,
    parse_extra_origins,
    parse_origin_pattern,
)

RAW = yaml.safe_load(widget.EMBED_FILE.read_text(encoding="utf-8"))
WIDGET_JS = (widget.STATIC_DIR / "widget.js").read_text(encoding="utf-8")
ZEELAND = "https://www.zeelandveilig.nl"


def config(extra: str = "", **changes) -> EmbedConfig:
    raw = copy.deepcopy(RAW)
    for dotted, value in changes.items():
        target = raw
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        target[last] = value
    return EmbedConfig(raw, extra)


# --- contrast -------------------------------------------------------------------


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#154273", "#154273") == pytest.approx(1.0)
    # #777777 on white is the classic "just fails AA" grey (4.48:1).
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_every_configured_palette_has_enough_contrast():
    cfg = load_embed_config(extra_origins="")
    palettes = {"defaults": cfg.defaults["colors"], **{code: r["colors"] for code, r in cfg.regions.items()}}
    assert len(palettes) >= 3  # defaults + the example regions
    for name, colors in palettes.items():
        assert contrast_problems(colors) == [], name
        for fg, bg, minimum in CONTRAST_PAIRS:
            assert contrast_ratio(colors[fg], colors[bg]) >= minimum, (name, fg, bg)


def test_text_pairs_demand_aa_and_cover_every_text_colour():
    text_pairs = [(fg, bg) for fg, bg, minimum in CONTRAST_PAIRS if minimum >= 4.5]
    assert {fg for fg, _ in text_pairs} >= {"on_primary", "on_surface", "link", "on_danger", "primary"}


def test_a_low_contrast_palette_is_reported_and_not_served():
    cfg = config(
        regions__VR17__colors={**RAW["regions"]["VR17"]["colors"], "on_primary": "#777777", "primary": "#888888"}
    )
    assert contrast_problems(cfg.regions["VR17"]["colors"])
    assert cfg.public("VR17")["colors"] == cfg.defaults["colors"]


# --- loading and merging -------------------------------------------------------------


def test_region_without_config_gets_national_defaults():
    cfg = load_embed_config(extra_origins="")
    public = cfg.public("VR05")
    assert public["region"] == "VR05"
    assert public["name"] == cfg.defaults["name"]
    assert public["colors"] == cfg.defaults["colors"]
    assert public["greeting"] == cfg.defaults["greeting"]


def test_configured_region_overrides_and_keeps_default_ui():
    cfg = load_embed_config(extra_origins="")
    public = cfg.public("VR19")
    assert public["name"] != cfg.defaults["name"]
    assert public["ui"] == cfg.defaults["ui"]
    assert public["logo_url"] and (widget.LOGO_DIR / Path(public["logo_url"]).name).is_file()


def test_public_config_has_no_origin_list():
    cfg = load_embed_config(extra_origins="")
    for code in (None, "VR17", "VR19", "VR01"):
        public = cfg.public(code)
        public.pop("safety")  # the region's alert site may share its host name with an allowed origin
        text = json.dumps(public)
        assert "allowed_origins" not in text
        assert "zeelandveilig" not in text


def test_public_config_has_the_safety_links_from_the_knowledge_data():
    cfg = load_embed_config(extra_origins="")
    assert cfg.public(None)["safety"] == {"crisis_url": "https://crisis.nl"}
    zeeland = cfg.public("VR19")["safety"]
    assert zeeland == {
        "crisis_url": "https://crisis.nl",
        "region_name": "Zeeland",
        "alert_site": "https://www.zeelandveilig.nl",
        "radio": "Omroep Zeeland",
        "fm": "87.9",
    }
    # Only verified facts: a region without a verified alert site gets none.
    assert cfg.public("VR01")["safety"]["alert_site"] is None


CARD_WORDS = (
    "network_error",
    "busy",
    "refused",
    "not_sent",
    "call_112",
    "crisis",
    "alert_site",
    "radio",
    "back_online",
)


def test_safety_card_words_are_short_b1_dutch():
    from bot.texts import readability as rb

    ui = RAW["defaults"]["ui"]
    text = "\n".join(ui[key].replace("{n}", "30").replace("{regio}", "Zeeland") for key in CARD_WORDS)
    assert rb.hard_sentences(text) == []
    assert rb.words_per_sentence(text) <= 8  # a card, not a text: every line short
    assert rb.flesch_douma(text) >= rb.MIN_FLESCH_DOUMA
    assert "geen verbinding" not in text.lower()


def test_widget_has_its_own_112_and_crisis_nl_for_when_nothing_loaded():
    assert "'Bel 112 bij direct gevaar'" in WIDGET_JS
    assert "'https://crisis.nl'" in WIDGET_JS
    assert RAW["defaults"]["ui"]["call_112"] == "Bel 112 bij direct gevaar"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"defaults__colors__primary": "blue"}, "#rrggbb"),
        ({"defaults__logo": "../../etc/passwd"}, "logo"),
        ({"regions__VR19__logo": "missing.svg"}, "logo"),
        ({"regions__VR19__colour": "#000000"}, "unknown keys"),
        ({"regions__VR19__allowed_origins": ["*"]}, "wildcard"),
        ({"regions__VR19__starters": [{"title": "x", "payload": "no slash"}]}, "payload"),
        ({"regions__VR19__ui": {"not_a_key": "x"}}, "ui keys"),
    ],
)
def test_invalid_config_is_refused(change, message):
    with pytest.raises(EmbedConfigError, match=message):
        config(**change)


def test_unknown_region_code_is_refused():
    raw = copy.deepcopy(RAW)
    raw["regions"]["VR26"] = raw["regions"]["VR19"]
    with pytest.raises(EmbedConfigError, match="VR01..VR25"):
        EmbedConfig(raw)


def test_regions_file_has_no_wildcards_or_test_origins():
    entries = [*RAW["defaults"]["allowed_origins"]]
    for region in RAW["regions"].values():
        entries += region.get("allowed_origins", [])
    assert entries
    for entry in entries:
        pattern = parse_origin_pattern(entry)
        assert pattern.port is not None, entry  # port wildcards only via the environment
    for region in RAW["regions"].values():
        for entry in region.get("allowed_origins", []):
            assert entry.startswith("https://"), entry


# --- origins -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        "*",
        "https://*",
        "https://*.zeelandveilig.nl",
        "https://zeelandveilig.nl/pad",
        "ftp://zeelandveilig.nl",
        "null",
        "zeelandveilig.nl",
        "https://user@zeelandveilig.nl",
        "http://localhost:*:*",
        "https://bad_host.nl",
    ],
)
def test_bad_origin_entries_are_refused(entry):
    with pytest.raises(EmbedConfigError):
        parse_origin_pattern(entry)


def test_origin_matching_is_exact_per_region():
    cfg = load_embed_config(extra_origins="")
    assert cfg.origin_allowed(ZEELAND, "VR19")
    assert cfg.origin_allowed(ZEELAND + ":443", "VR19")
    assert not cfg.origin_allowed(ZEELAND, "VR17")
    assert not cfg.origin_allowed(ZEELAND, None)
    assert not cfg.origin_allowed(ZEELAND, "VR05")  # no own config: the defaults' list
    assert not cfg.origin_allowed("http://www.zeelandveilig.nl", "VR19")  # http is another origin
    assert not cfg.origin_allowed("https://www.zeelandveilig.nl.evil.example", "VR19")
    assert not cfg.origin_allowed("null", "VR19")
    assert not cfg.origin_allowed("*", "VR19")


def test_extra_origins_from_environment():
    extra = parse_extra_origins("http://localhost:*, VR17=http://127.0.0.1:9999")
    assert set(extra) == {None, "VR17"}
    cfg = config("http://localhost:* VR17=http://127.0.0.1:9999 VR04=http://127.0.0.1:7777")
    assert cfg.origin_allowed("http://localhost:1234", None)
    assert cfg.origin_allowed("http://localhost:1234", "VR19")
    assert not cfg.origin_allowed("http://127.0.0.1:1234", "VR17")
    assert cfg.origin_allowed("http://127.0.0.1:9999", "VR17")
    assert not cfg.origin_allowed("http://127.0.0.1:9999", "VR19")
    assert cfg.origin_allowed("http://127.0.0.1:7777", "VR04")
    assert not cfg.origin_allowed("http://127.0.0.1:7777", "VR05")
    with pytest.raises(EmbedConfigError):
        parse_extra_origins("VR99=http://localhost:1")
    with pytest.raises(EmbedConfigError):
        parse_extra_origins("*")


# --- widget.js source ----------------------------------------------------------------


def test_widget_uses_only_configured_ui_words():
    used = set(re.findall(r"\bui\.([a-z_0-9]+)", WIDGET_JS))
    defined = set(RAW["defaults"]["ui"])
    assert used, "widget.js reads no ui words"
    assert used <= defined, used - defined
    assert defined <= used, f"unused ui words in regions.yml: {defined - used}"


# docs/widget.md, "Size and speed": what a resident's phone downloads, defaults filled in.
SIZE_BUDGET_BYTES = 32_768
SIZE_BUDGET_GZIP_BYTES = 10_240


def test_served_widget_leaves_out_only_whole_line_comments():
    """The size budget counts what is served; only lines that are a comment are left out."""
    served = widget.build_widget_asset(load_embed_config(extra_origins="")).body.decode("utf-8").splitlines()
    code = [line for line in WIDGET_JS.splitlines() if not line.strip().startswith("//")]
    assert len(served) == len(code) < len(WIDGET_JS.splitlines())
    assert [a for a, b in zip(served, code, strict=True) if a != b and "/* @defaults */" not in b] == []
    assert widget.strip_line_comments("var a = `\n// kept\n`;\n") == "var a = `\n// kept\n`;\n"


def test_widget_stays_within_its_size_budget():
    asset = widget.build_widget_asset(load_embed_config(extra_origins=""))
    assert len(asset.body) <= SIZE_BUDGET_BYTES, len(asset.body)
    assert len(asset.gzipped) <= SIZE_BUDGET_GZIP_BYTES, len(asset.gzipped)


def test_widget_never_parses_data_as_html():
    code = re.sub(r"/\*.*?\*/", "", WIDGET_JS, flags=re.S)
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert forbidden not in code, forbidden
    assert "document.cookie" not in code and "localStorage" not in code


# --- HTTP ------------------------------------------------------------------------


@pytest.fixture
async def client(monkeypatch):
    monkeypatch.setenv(EXTRA_ORIGINS_ENV, "VR17=http://localhost:*")
    from bot.gateway.app import create_app

    async with TestClient(TestServer(create_app())) as test_client:
        yield test_client


async def test_widget_config_endpoint(client):
    resp = await client.get("/api/v1/widget-config?region=VR19")
    assert resp.status == 200
    data = await resp.json()
    assert data["region"] == "VR19" and data["name"] and data["greeting"] and data["ui"]["launcher"]
    resp = await client.get("/api/v1/widget-config")
    assert (await resp.json())["region"] is None
    for bad in ("VR26", "vr19", "VR1", "<script>"):
        resp = await client.get("/api/v1/widget-config", params={"region": bad})
        assert resp.status == 400
        assert "error" in await resp.json()


async def test_preflight_for_allowed_origin(client):
    resp = await client.options(
        "/api/v1/chat?region=VR19",
        headers={
            "Origin": ZEELAND,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert resp.status == 204
    assert resp.headers["Access-Control-Allow-Origin"] == ZEELAND
    assert "POST" in resp.headers["Access-Control-Allow-Methods"]
    assert "content-type" in resp.headers["Access-Control-Allow-Headers"].lower()
    assert "Origin" in resp.headers["Vary"]
    assert "Access-Control-Allow-Credentials" not in resp.headers


@pytest.mark.parametrize(
    "path, origin",
    [
        ("/api/v1/chat?region=VR17", ZEELAND),  # allowed for another region only
        ("/api/v1/chat", ZEELAND),  # no region: defaults' list
        ("/api/v1/chat?region=VR19", "https://evil.example"),
        ("/api/v1/chat?region=VR19", "null"),
    ],
)
async def test_preflight_for_other_origins_is_refused(client, path, origin):
    resp = await client.options(path, headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert resp.status == 403
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert "error" in await resp.json()


async def test_allowed_origin_can_read_errors_and_answers(client):
    resp = await client.post(
        "/api/v1/chat?region=VR19", data="{not json", headers={"Origin": ZEELAND, "Content-Type": "application/json"}
    )
    assert resp.status == 400
    assert resp.headers["Access-Control-Allow-Origin"] == ZEELAND
    assert "error" in await resp.json()
    resp = await client.get("/api/v1/widget-config?region=VR19", headers={"Origin": ZEELAND})
    assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == ZEELAND
    resp = await client.get("/api/v1/chat?region=VR19", headers={"Origin": ZEELAND})  # wrong method, raised by router
    assert resp.status == 405 and resp.headers["Access-Control-Allow-Origin"] == ZEELAND


async def test_refused_get_is_readable_so_the_widget_can_tell_it_from_no_connection(client):
    resp = await client.get("/api/v1/widget-config?region=VR19", headers={"Origin": "https://evil.example"})
    assert resp.status == 403
    assert resp.headers["Access-Control-Allow-Origin"] == "https://evil.example"
    body = await resp.json()
    assert body["code"] == "origin_not_allowed" and "/embed" in body["error"]
    assert "greeting" not in body and "ui" not in body  # the refusal, nothing of the config


async def test_retry_after_is_readable_from_another_site(client):
    resp = await client.post(
        "/api/v1/chat?region=VR19", data="{not json", headers={"Origin": ZEELAND, "Content-Type": "application/json"}
    )
    assert "Retry-After" in resp.headers["Access-Control-Expose-Headers"]


async def test_foreign_origin_is_refused_before_the_bot_runs(client):
    resp = await client.post(
        "/api/v1/chat?region=VR19",
        json={"session_id": "abcdefgh", "message": "hoi"},
        headers={"Origin": "https://evil.example"},
    )
    assert resp.status == 403
    assert "Access-Control-Allow-Origin" not in resp.headers
    assert "Origin" in resp.headers["Vary"]


async def test_env_port_wildcard_applies_only_to_its_region(client):
    headers = {"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"}
    assert (await client.options("/api/v1/chat?region=VR17", headers=headers)).status == 204
    assert (await client.options("/api/v1/chat?region=VR19", headers=headers)).status == 403


async def test_same_origin_needs_no_entry(client):
    origin = f"http://{client.host}:{client.port}"
    resp = await client.post(
        "/api/v1/chat", data="{not json", headers={"Origin": origin, "Content-Type": "application/json"}
    )
    assert resp.status == 400  # reached the chat handler, not refused
    resp = await client.get("/api/v1/widget-config", headers={"Origin": origin})
    assert resp.status == 200


async def test_non_api_routes_get_no_cors(client):
    resp = await client.get("/embed", headers={"Origin": ZEELAND})
    assert resp.status == 200
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_widget_js_is_served_with_defaults_filled_in(client):
    resp = await client.get("/widget.js", headers={"Accept-Encoding": "identity"})
    assert resp.status == 200
    assert resp.headers["Content-Type"].startswith("application/javascript")
    assert resp.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    body = await resp.text()
    assert "/* @defaults */" not in body
    assert json.dumps(RAW["defaults"]["ui"]["launcher"]) in body
    etag = resp.headers["ETag"]
    again = await client.get("/widget.js", headers={"If-None-Match": etag})
    assert again.status == 304


async def test_widget_js_gzip_is_the_same_script(client):
    plain = await (await client.get("/widget.js", headers={"Accept-Encoding": "identity"})).read()
    resp = await client.get("/widget.js", headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
    assert resp.headers.get("Content-Encoding") == "gzip"
    packed = await resp.read()
    assert len(packed) < len(plain)
    assert gzip.decompress(packed) == plain


async def test_pages_have_strict_csp_and_no_inline_code(client):
    for path in ("/", "/embed"):
        resp = await client.get(path)
        assert resp.status == 200
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "*" not in csp
        html = await resp.text()
        assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))
        assert " style=" not in html and "<style" not in html
        assert re.search(r'<html lang="nl">', html)


async def test_demo_page_embeds_widget_like_a_region(client):
    html = await (await client.get("/")).text()
    tags = re.findall(r"<script[^>]*>", html)
    assert len(tags) == 1
    assert 'src="/widget.js"' in tags[0] and 'data-region="VR19"' in tags[0] and "async" in tags[0]


async def test_embed_page_shows_snippet_and_csp_for_this_host(client):
    html = await (await client.get("/embed")).text()
    base = f"http://{client.host}:{client.port}"
    assert (
        f"&lt;script src=&#34;{base}/widget.js&#34; data-region=&#34;VR19&#34; async&gt;" in html
        or f'&lt;script src="{base}/widget.js" data-region="VR19" async&gt;' in html
    )
    assert f"script-src {base}" in html and f"connect-src {base}" in html


async def test_embed_page_escapes_the_host_header(client):
    resp = await client.get("/embed", headers={"Host": 'evil"><script>x</script>'})
    html = await resp.text()
    assert "<script>x</script>" not in html


async def test_logo_route_serves_only_logo_files(client):
    ok = await client.get("/widget/logos/vr19-voorbeeld.svg")
    assert ok.status == 200 and ok.headers["Content-Type"].startswith("image/svg+xml")
    assert "default-src 'none'" in ok.headers["Content-Security-Policy"]
    for bad in ("..%2Fwidget.js", "widget.js", "missing.svg"):
        assert (await client.get(f"/widget/logos/{bad}")).status == 404
