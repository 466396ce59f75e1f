"""Issue 20: the "default language" embed setting. A region (or gemeente) on English
gets the widget's own words, the greeting and the starters in English from
data/embed/regions.yml; a region on Dutch gets exactly what it got before."""

from __future__ import annotations

import copy
import html
import re

import pytest
import yaml
from aiohttp.test_utils import TestClient, TestServer

from actions.english import ActionEnglish
from bot.core import english
from bot.core.regions import REGION_CODES
from bot.core.understanding import ENGLISH_INTENT, decide
from bot.gateway import widget
from bot.gateway.widget import EmbedConfig, EmbedConfigError, load_embed_config
from bot.redactie import accounts, learn
from bot.redactie.db import Database
from bot.settings import Settings
from bot.texts import readability as rb
from tests.actions.helpers import entity, make_tracker, run
from tests.unit import test_instellingen as settings_tests

RAW = yaml.safe_load(widget.EMBED_FILE.read_text(encoding="utf-8"))
WIDGET_JS = (widget.STATIC_DIR / "widget.js").read_text(encoding="utf-8")
DUTCH_GREETING = "Hoi! Ik ben de Noodwijzer van Zeeland. Is er nu gevaar? Bel dan meteen 112."
ENGLISH_GREETING = "Welcome to the emergency chat of Zeeland. Are you in danger right now? Call 112."


def file_config() -> EmbedConfig:
    return load_embed_config(extra_origins="")


def stored(**parties: dict) -> EmbedConfig:
    """The file's settings with the Redactie's stored settings over them (as the gateway merges them)."""
    return file_config().with_overrides(parties)


# --- Dutch stays the default ------------------------------------------------------------------


@pytest.mark.parametrize("code", [None, "VR19", "VR17", "VR05"])
def test_dutch_regions_get_the_dutch_words_as_before(code):
    cfg = file_config()
    public = cfg.public(code)
    entry = cfg.for_region(code)
    assert public["language"] == "nl"
    assert public["ui"] == RAW["defaults"]["ui"]
    assert public["greeting"] == entry["greeting"]
    assert public["starters"] == entry["starters"]
    assert all(s["payload"].startswith("/") for s in public["starters"])


def test_the_served_widget_starts_in_dutch():
    body = widget.build_widget_asset(file_config()).body.decode("utf-8")
    assert '"language":"nl"' in body and '"launcher":"Vraag het de Noodwijzer"' in body
    assert "Ask the Noodwijzer" not in body  # the English words are not in every phone's download


# --- English ---------------------------------------------------------------------------------


def test_a_region_on_english_gets_every_word_in_english():
    public = stored(VR19={"language": "en", "greeting": DUTCH_GREETING}).public("VR19")
    assert public["language"] == "en"
    assert public["ui"] == RAW["defaults"]["ui_en"]
    assert public["ui"]["launcher"] == "Ask the Noodwijzer" and public["ui"]["new_chat"] == "New conversation"
    assert public["ui"]["send"] == "Send" and public["ui"]["call_112"].startswith("Call 112")
    # No word stays Dutch (only the name of the assistant is the same in both).
    dutch = RAW["defaults"]["ui"]
    same = {key for key, value in public["ui"].items() if value == dutch[key]}
    assert same == {"bot"}, same
    # The region's Dutch greeting gives way to the English one, which names 112 and the language.
    assert public["greeting"] == RAW["defaults"]["greeting_en"]
    assert "112" in public["greeting"] and "Dutch" in public["greeting"] and "English" in public["greeting"]
    assert public["starters"] == RAW["defaults"]["starters_en"]
    # Name, colours and logo are the region's, whatever the language.
    assert public["name"] == "Noodwijzer Zeeland" and public["colors"]["primary"] == "#00507d"


def test_an_own_english_greeting_is_used_in_english():
    public = stored(VR19={"language": "en", "greeting": ENGLISH_GREETING}).public("VR19")
    assert public["greeting"] == ENGLISH_GREETING
    # Back on Dutch: the region's own greeting, whatever its language (its choice).
    assert stored(VR19={"language": "nl", "greeting": DUTCH_GREETING}).public("VR19")["greeting"] == DUTCH_GREETING


def test_a_region_may_have_its_own_english_starters_and_words():
    public = stored(VR17={"language": "en"}).public("VR17")
    assert public["starters"] == RAW["regions"]["VR17"]["starters_en"] != RAW["defaults"]["starters_en"]
    raw = copy.deepcopy(RAW)
    raw["regions"]["VR19"]["ui_en"] = {"launcher": "Ask Zeeland"}
    raw["regions"]["VR19"]["language"] = "en"
    ui = EmbedConfig(raw).public("VR19")["ui"]
    assert ui["launcher"] == "Ask Zeeland" and ui["send"] == "Send"


def test_a_gemeente_follows_its_region_or_its_own_language():
    cfg = stored(
        VR19={"language": "en", "greeting": DUTCH_GREETING},
        **{"VR19/goes": {"name": "Goes", "origins": ["https://www.goes.nl"], "greeting": "Welkom in Goes. Bel 112."}},
    )
    goes = cfg.public("VR19", "goes")
    assert goes["language"] == "en" and goes["ui"]["launcher"] == "Ask the Noodwijzer"
    assert goes["greeting"] == RAW["defaults"]["greeting_en"]  # its greeting is Dutch
    # An international-school town in a Dutch region chooses English for itself.
    cfg = stored(**{"VR19/wassenaar": {"name": "Wassenaar", "origins": ["https://www.w.nl"], "language": "en"}})
    assert cfg.public("VR19", "wassenaar")["language"] == "en"
    assert cfg.public("VR19")["language"] == "nl"
    # A gemeente on Dutch under an English region.
    cfg = stored(VR19={"language": "en"}, **{"VR19/goes": {"name": "G", "origins": ["https://g.nl"], "language": "nl"}})
    assert cfg.public("VR19", "goes")["ui"] == RAW["defaults"]["ui"]


def every_english_starter() -> list[str]:
    starters = [s["payload"] for s in RAW["defaults"]["starters_en"]]
    for entry in RAW["regions"].values():
        starters += [s["payload"] for s in entry.get("starters_en", [])]
    return sorted(set(starters))


@pytest.mark.parametrize("payload", every_english_starter())
async def test_every_english_starter_gets_an_english_answer(payload):
    """The starter's sentence is English to lingua, and the English action answers it
    with advice (a risk, or the emergency kit), not with the general "I speak Dutch" note."""
    decision = decide(payload, "ask_risk")
    assert decision.intent == ENGLISH_INTENT and decision.danger is None
    entities = [entity("risk", key) for key in decision.risk_keys]
    messages, _ = await run(ActionEnglish(), make_tracker(payload, ENGLISH_INTENT, entities))
    assert len(messages) == 1
    answer = messages[0]
    if answer["response"] == "utter_english_general":
        assert answer["about_kit"] is True and english.is_kit_question(payload)
    else:
        assert answer["response"] == "utter_english_risk" and answer["risk"]["tips"]


# --- the file's rules ------------------------------------------------------------------------


def changed(**changes) -> EmbedConfig:
    raw = copy.deepcopy(RAW)
    for dotted, value in changes.items():
        target = raw
        *path, last = dotted.split("__")
        for key in path:
            target = target[key]
        target[last] = value
    return EmbedConfig(raw)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"defaults__starters_en": [{"title": "Kit", "payload": "/ask_kit"}]}, "English sentence"),
        ({"regions__VR17__starters_en": [{"title": "Kit", "payload": ""}]}, "English sentence"),
        ({"defaults__greeting_en": "Hello! How can I help?"}, "112"),
        ({"regions__VR19__greeting_en": "Hello from Zeeland!"}, "112"),
        ({"defaults__ui_en": {k: v for k, v in RAW["defaults"]["ui_en"].items() if k != "send"}}, "same words"),
        ({"regions__VR19__ui_en": {"not_a_key": "x"}}, "ui_en keys"),
        ({"regions__VR19__language": "fr"}, "language"),
    ],
)
def test_bad_english_settings_are_refused(change, message):
    with pytest.raises(EmbedConfigError, match=message):
        changed(**change)


def test_a_region_in_the_file_may_start_in_english():
    public = changed(regions__VR19__language="en").public("VR19")
    assert public["language"] == "en" and public["ui"]["launcher"] == "Ask the Noodwijzer"


def test_widget_js_has_no_words_of_its_own():
    """The words come from the config; widget.js only keeps its 112 line for when nothing loaded."""
    # Comments, and the console lines for the embedding site's developers (refuse(why) -> console.warn).
    code = "\n".join(
        line
        for line in WIDGET_JS.splitlines()
        if not line.strip().startswith(("//", "*", "/*")) and "refuse('" not in line and "console." not in line
    )
    # String literals, except class names and rel values.
    literals = re.findall(r"(?<!class: )(?<!rel: )'([^'\\]*(?:\\.[^'\\]*)*)'", code)
    # A user-facing text: two or more words with letters, not CSS, a selector or a regex.
    words = [s for s in literals if re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", s) and not re.search(r"[{}:;=]", s)]
    words.remove("use strict")
    assert words == ["Bel 112 bij direct gevaar"], words
    used = set(re.findall(r"\bui\.([a-z_0-9]+)", WIDGET_JS))
    assert used == set(RAW["defaults"]["ui_en"])
    assert "r.wrap.setAttribute('lang'" in WIDGET_JS  # the launcher is spoken in the widget's language too


# --- HTTP ------------------------------------------------------------------------------------


@pytest.fixture
async def english_client(monkeypatch, tmp_path):
    monkeypatch.setenv("NOODWIJZER_DB", str(tmp_path / "db.sqlite3"))
    from bot.gateway.app import create_app

    app = create_app()
    app[widget.EMBED_CONFIG_KEY] = changed(regions__VR19__language="en")
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_widget_config_endpoint_in_both_languages(english_client, monkeypatch):
    zeeland = await (await english_client.get("/api/v1/widget-config?region=VR19")).json()
    assert zeeland["language"] == "en" and zeeland["ui"]["launcher"] == "Ask the Noodwijzer"
    assert zeeland["greeting"] == RAW["defaults"]["greeting_en"] and zeeland["starters"][0]["title"] == "Emergency kit"
    rijnmond = await (await english_client.get("/api/v1/widget-config?region=VR17")).json()
    assert rijnmond["language"] == "nl" and rijnmond["ui"]["launcher"] == "Vraag het de Noodwijzer"
    # The privacy sentence about learning (issue 19) is in the widget's language too.
    monkeypatch.setattr(widget.learn, "privacy_with_learning", lambda app, region, privacy: learn.PRIVACY_LINE)
    zeeland = await (await english_client.get("/api/v1/widget-config?region=VR19")).json()
    assert zeeland["privacy"] == RAW["defaults"]["privacy_learning_en"]
    rijnmond = await (await english_client.get("/api/v1/widget-config?region=VR17")).json()
    assert rijnmond["privacy"] == learn.PRIVACY_LINE


# --- the Redactie's settings page ------------------------------------------------------------


@pytest.fixture
def beheerders(tmp_path, monkeypatch):
    monkeypatch.setenv("NOODWIJZER_DB", str(tmp_path / "instellingen.sqlite3"))
    db = Database(tmp_path / "instellingen.sqlite3")
    accounts.add_user(db, "beheer-zeeland", settings_tests.PASSWORD, "beheerder", "VR19")
    accounts.add_user(db, "beheer-nl", settings_tests.PASSWORD, "beheerder")
    return db


async def test_settings_page_explains_the_language_and_previews_english(beheerders):
    client = await settings_tests.gateway(Settings.from_env())
    try:
        token = await settings_tests.log_in(client, "beheer-zeeland")
        page = html.unescape(await (await client.get("/redactie/instellingen/VR19")).text())
        hint = re.search(r'<p class="hint" id="language-hint">([^<]+)</p>', page).group(1)
        assert hint == "Kies je Engels, dan praat de chat Engels en zegt hij dat hij Nederlands het best begrijpt."
        assert rb.hard_sentences(hint) == [] and rb.flesch_douma(hint) >= rb.MIN_FLESCH_DOUMA  # B1
        assert 'id="preview" lang="nl"' in page and 'data-en="Help in an emergency"' in page
        data = settings_tests.form(csrf_token=token, language="en")
        saved = await client.post("/redactie/instellingen/VR19", data=data, allow_redirects=False)
        assert saved.status == 303, await saved.text()
        page = html.unescape(await (await client.get("/redactie/instellingen/VR19")).text())
        # Saved on English: the preview starts in English, with the English greeting (the form's is Dutch).
        assert 'id="preview" lang="en"' in page
        preview = page[page.index('id="preview"') :]
        assert ">Help in an emergency</p>" in preview and ">Emergency kit</span>" in preview
        assert f">{RAW['defaults']['greeting_en']}</p>" in preview
        assert '<option value="en" selected>Engels</option>' in page
        config = await (await client.get("/api/v1/widget-config?region=VR19")).json()
        assert config["language"] == "en" and config["ui"]["send"] == "Send"
        assert config["greeting"] == RAW["defaults"]["greeting_en"]
        bad = await client.post(
            "/redactie/instellingen/VR19", data=settings_tests.form(csrf_token=token, language="fr")
        )
        assert bad.status == 422 and "Kies Nederlands of Engels" in await bad.text()
    finally:
        await client.close()


async def test_a_gemeente_chooses_english_or_keeps_its_regions_language(beheerders):
    client = await settings_tests.gateway(Settings.from_env())
    try:
        token = await settings_tests.log_in(client, "beheer-nl")
        page = html.unescape(await (await client.get("/redactie/instellingen/VR15/wassenaar")).text())
        assert '<option value="" selected>Zoals de regio (Nederlands)</option>' in page
        data = {"csrf_token": token, "name": "Wassenaar", "origins": "https://www.wassenaar.nl", "language": "en"}
        saved = await client.post("/redactie/instellingen/VR15/wassenaar", data=data, allow_redirects=False)
        assert saved.status == 303, await saved.text()
        gemeente = await (await client.get("/api/v1/widget-config?region=VR15&gemeente=wassenaar")).json()
        region = await (await client.get("/api/v1/widget-config?region=VR15")).json()
        assert gemeente["language"] == "en" and gemeente["ui"]["launcher"] == "Ask the Noodwijzer"
        assert region["language"] == "nl" and region["ui"]["launcher"] == "Vraag het de Noodwijzer"
        data["language"] = ""
        saved = await client.post("/redactie/instellingen/VR15/wassenaar", data=data, allow_redirects=False)
        gemeente = await (await client.get("/api/v1/widget-config?region=VR15&gemeente=wassenaar")).json()
        assert gemeente["language"] == "nl"
    finally:
        await client.close()


# --- the OpenAPI document --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_widget_config_matches_its_openapi_schema_in_both_languages(language):
    from jsonschema import Draft202012Validator

    from bot.gateway.openapi import spec

    document = spec()
    schema = {**document["components"]["schemas"]["WidgetConfig"], "components": document["components"]}
    validator = Draft202012Validator(schema)
    cfg = stored(**{code: {"language": language} for code in REGION_CODES})
    for code in (None, *REGION_CODES):
        public = cfg.public(code)
        assert public["language"] == (language if code else "nl")  # the national defaults stay Dutch
        errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(public)]
        assert errors == [], (code, errors)
    # The schema can fail: a third language or a missing word is not what it describes.
    assert list(validator.iter_errors({**cfg.public("VR19"), "language": "fr"}))
    assert list(validator.iter_errors({**cfg.public("VR19"), "ui": {"send": "Send"}}))
