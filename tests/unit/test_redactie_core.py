"""Redactie building blocks without HTTP: accounts, sessions, store, notices, export, CLI."""

from __future__ import annotations

import datetime
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.core import knowledge
from bot.redactie import accounts, audit, auth, editor, notices
from bot.redactie.db import Database
from bot.redactie.export import export
from bot.redactie.store import SqliteTemplateStore
from bot.texts.render import Renderer

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Own database and own repository texts, independent of other engineers' templates."""
    monkeypatch.setenv("NOODWIJZER_DB", str(tmp_path / "default.sqlite3"))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "utter_greet.j2").write_text("Hallo.\n", encoding="utf-8")
    (templates / "utter_degraded.j2").write_text("Bel 112 als er nu gevaar is.\n", encoding="utf-8")
    monkeypatch.setattr(knowledge, "TEMPLATES_DIR", templates)


@pytest.fixture
def db(tmp_path):
    return Database(tmp_path / "redactie.sqlite3")


@pytest.fixture
def store(db):
    return SqliteTemplateStore(db)


@pytest.fixture
def zeeland(db):
    return accounts.add_user(db, "zeeland", PASSWORD, "regional", "VR19")


@pytest.fixture
def landelijk(db):
    return accounts.add_user(db, "landelijk", PASSWORD, "national")


@pytest.fixture
def geavanceerd(db):
    return accounts.add_user(db, "ontwikkelaar", PASSWORD, "geavanceerd")


# --- accounts and sessions ------------------------------------------------------------


def test_password_is_stored_only_as_argon2_hash(db, zeeland):
    raw = sqlite3.connect(db.path).execute("SELECT password_hash FROM users").fetchone()[0]
    assert PASSWORD not in raw
    assert raw.startswith("$argon2id$")
    assert PASSWORD.encode() not in db.path.read_bytes()


def test_authenticate(db, zeeland):
    assert accounts.authenticate(db, "zeeland", PASSWORD) == zeeland
    assert accounts.authenticate(db, "ZEELAND ", PASSWORD) == zeeland
    assert accounts.authenticate(db, "zeeland", PASSWORD + "x") is None
    assert accounts.authenticate(db, "niemand", PASSWORD) is None
    accounts.set_active(db, "zeeland", False)
    assert accounts.authenticate(db, "zeeland", PASSWORD) is None


@pytest.mark.parametrize(
    "args, code",
    [
        (("a", PASSWORD, "national", None), "bad_username"),
        (("anna", "short", "national", None), "password_too_short"),
        (("anna", PASSWORD, "admin", None), "bad_role"),
        (("anna", PASSWORD, "regional", None), "bad_region"),
        (("anna", PASSWORD, "regional", "VR26"), "bad_region"),
        (("anna", PASSWORD, "national", "VR19"), "national_has_no_region"),
        (("anna", PASSWORD, "geavanceerd", "VR19"), "national_has_no_region"),
    ],
)
def test_bad_accounts_are_refused(db, args, code):
    with pytest.raises(accounts.AccountError) as exc:
        accounts.add_user(db, *args)
    assert exc.value.code == code


def test_duplicate_user_refused(db, zeeland):
    with pytest.raises(accounts.AccountError, match="user_exists"):
        accounts.add_user(db, "zeeland", PASSWORD, "national")


def test_roles(zeeland, landelijk):
    assert zeeland.can_edit_templates("VR19")
    assert not zeeland.can_edit_templates("VR17")
    assert not zeeland.can_edit_templates(None)
    assert landelijk.can_edit_templates(None)
    assert not landelijk.can_edit_templates("VR19")
    assert landelijk.can_publish_notice("VR17") and landelijk.can_publish_notice(None)
    assert zeeland.can_publish_notice("VR19")
    assert not zeeland.can_publish_notice("VR17") and not zeeland.can_publish_notice(None)


def test_only_geavanceerd_edits_templates_with_logic(db, store, zeeland, landelijk, geavanceerd):
    """Issue 16: plain national and regional editors edit words; logic is for 'geavanceerd' only."""
    assert geavanceerd.is_national and geavanceerd.can_edit_logic and geavanceerd.label == "geavanceerd"
    assert not landelijk.can_edit_logic and landelijk.label == "national"
    assert accounts.authenticate(db, "ontwikkelaar", PASSWORD) == geavanceerd
    assert accounts.get_user(db, geavanceerd.id) == geavanceerd
    for user, region in ((landelijk, None), (zeeland, "VR19")):
        with pytest.raises(PermissionError):
            editor.save(db, store, user, "utter_degraded", region, "Bel 112.")
    assert store.latest("utter_degraded", None) is None
    _, version = editor.save(db, store, geavanceerd, "utter_degraded", None, "Bel 112 als er gevaar is.")
    assert version is not None
    # Words stay open to every editor of the layer.
    assert editor.save(db, store, landelijk, "utter_greet", None, "Hallo allemaal.")[1] is not None


def test_session_lifecycle(db, zeeland):
    token, session = auth.create_session(db, zeeland)
    found = auth.get_session(db, token)
    assert found is not None and found.user == zeeland and found.csrf_token == session.csrf_token
    # Only a hash of the token is stored.
    assert token not in [r[0] for r in sqlite3.connect(db.path).execute("SELECT token_hash FROM sessions")]
    assert auth.get_session(db, token, now=time.time() + auth.SESSION_TTL + 1) is None
    assert auth.get_session(db, "x" + token) is None
    auth.end_session(db, token)
    assert auth.get_session(db, token) is None


def test_new_password_ends_sessions(db, zeeland):
    token, _ = auth.create_session(db, zeeland)
    accounts.set_password(db, "zeeland", "another long password")
    assert auth.get_session(db, token) is None
    assert accounts.authenticate(db, "zeeland", "another long password") == zeeland


def test_login_rate_limit_per_account_and_address_pair(db):
    now = time.time()
    for _ in range(auth.FREE_TRIES):
        assert auth.begin_attempt(db, "zeeland", "10.0.0.1", True, now).allowed
    assert not auth.begin_attempt(db, "zeeland", "10.0.0.1", True, now).allowed  # this pair waits
    assert auth.begin_attempt(db, "zeeland", "10.0.0.9", True, now).allowed  # same account, other address
    assert auth.begin_attempt(db, "other", "10.0.0.1", False, now).allowed  # same address, other account
    assert auth.begin_attempt(db, "zeeland", "10.0.0.1", True, now + auth.BASE_DELAY + 0.1).allowed


def test_tokens_match():
    assert auth.tokens_match("abc", "abc")
    assert not auth.tokens_match("abc", "abd")
    assert not auth.tokens_match("abc", None)
    assert not auth.tokens_match(None, None)


# --- store and editor ------------------------------------------------------------------

VALID = "Hallo uit de Redactie.{% if region %} Je regio is {{ region.name }}.{% endif %}"


def test_versions_and_lookup_layers(db, store, zeeland, landelijk):
    assert store.get_source("utter_greet", "VR19") is None
    _, v1 = editor.save(db, store, zeeland, "utter_greet", "VR19", "Regio tekst een.", "eerste")
    _, v2 = editor.save(db, store, zeeland, "utter_greet", "VR19", "Regio tekst twee.")
    _, n1 = editor.save(db, store, landelijk, "utter_greet", None, VALID)
    assert v1 and v2 and n1 and v2.id > v1.id
    assert store.get_source("utter_greet", "VR19") == "Regio tekst twee."
    assert store.get_source("utter_greet", None) == VALID
    assert store.get_source("utter_greet", "VR17") is None
    assert [v.id for v in store.history("utter_greet", "VR19")] == [v2.id, v1.id]
    assert store.history("utter_greet", "VR19")[1].note == "eerste"


def test_restore_makes_a_new_version_with_old_content(db, store, zeeland):
    _, v1 = editor.save(db, store, zeeland, "utter_greet", "VR19", "Oude tekst.")
    editor.save(db, store, zeeland, "utter_greet", "VR19", "Nieuwe tekst.")
    _, v3 = editor.restore(db, store, zeeland, v1.id)
    assert v3.id > v1.id and v3.restored_from == v1.id
    assert store.get_source("utter_greet", "VR19") == "Oude tekst."
    assert len(store.history("utter_greet", "VR19")) == 3


def test_reset_goes_back_to_repository_text(db, store, zeeland):
    editor.save(db, store, zeeland, "utter_greet", "VR19", "Eigen tekst.")
    editor.reset(db, store, zeeland, "utter_greet", "VR19")
    assert store.get_source("utter_greet", "VR19") is None


def test_invalid_template_is_not_saved(db, store, zeeland):
    editor.save(db, store, zeeland, "utter_greet", "VR19", "Goede tekst.")
    result, version = editor.save(db, store, zeeland, "utter_greet", "VR19", "Kapot {{ ")
    assert version is None and not result.ok
    result, version = editor.save(db, store, zeeland, "utter_greet", "VR19", "Zie http://example.com")
    assert version is None and result.errors[0].code == "bad_link"
    assert store.get_source("utter_greet", "VR19") == "Goede tekst."
    assert len(store.history("utter_greet", "VR19")) == 1


def test_permissions_enforced_below_the_web_layer(db, store, zeeland, landelijk):
    with pytest.raises(PermissionError):
        editor.save(db, store, zeeland, "utter_greet", "VR17", "Tekst.")
    with pytest.raises(PermissionError):
        editor.save(db, store, zeeland, "utter_greet", None, "Tekst.")
    with pytest.raises(PermissionError):
        editor.save(db, store, landelijk, "utter_greet", "VR19", "Tekst.")
    with pytest.raises(editor.EditorError):
        editor.save(db, store, landelijk, "../../etc/passwd", None, "Tekst.")
    _, theirs = editor.save(db, store, landelijk, "utter_greet", None, "Landelijk.")
    with pytest.raises(PermissionError):
        editor.restore(db, store, zeeland, theirs.id)
    assert store.get_source("utter_greet", "VR17") is None


def test_change_is_visible_to_another_connection(db, store, zeeland, tmp_path):
    """The NLG server is another process: it must see a save without a restart."""
    other = SqliteTemplateStore(Database(db.path))
    assert other.get_source("utter_greet", "VR19") is None
    editor.save(db, store, zeeland, "utter_greet", "VR19", "Versie een.")
    assert other.get_source("utter_greet", "VR19") == "Versie een."
    editor.save(db, store, zeeland, "utter_greet", "VR19", "Versie twee.")
    assert other.get_source("utter_greet", "VR19") == "Versie twee."


def test_renderer_uses_the_store_in_lookup_order(db, store, zeeland, landelijk, tmp_path):
    templates = tmp_path / "render_templates"
    templates.mkdir()
    (templates / "_safe_default.txt").write_text("Veilig.", encoding="utf-8")
    (templates / "utter_greet.j2").write_text("Uit het bestand.", encoding="utf-8")
    renderer = Renderer(templates_dir=templates, store=store)
    assert renderer.render("utter_greet", {}, "VR19").text == "Uit het bestand."
    editor.save(db, store, landelijk, "utter_greet", None, "Landelijk live.")
    assert renderer.render("utter_greet", {}, "VR19").text == "Landelijk live."
    editor.save(db, store, zeeland, "utter_greet", "VR19", "Zeeland live.")
    assert renderer.render("utter_greet", {}, "VR19").text == "Zeeland live."
    assert renderer.render("utter_greet", {}, "VR17").text == "Landelijk live."


def test_audit_log_records_changes(db, store, zeeland):
    _, v1 = editor.save(db, store, zeeland, "utter_greet", "VR19", "Een.", "notitie")
    editor.restore(db, store, zeeland, v1.id)
    actions = [(e.actor, e.action, e.target) for e in audit.entries(db)]
    assert ("zeeland", "template_restore", "template:VR19:utter_greet") in actions
    assert ("zeeland", "template_save", "template:VR19:utter_greet") in actions
    assert ("cli", "user_add", "zeeland") in actions
    # A regional view shows only that region and the person's own actions.
    assert all("VR19" in e.target or e.actor == "zeeland" for e in audit.entries(db, region="VR19", actor="zeeland"))


# --- notices -------------------------------------------------------------------------------


def _publish(db, user, region="VR19", expires_in=3600.0, **kw):
    fields = {"title": "Storm", "text": "Blijf binnen.", "url": "https://www.example.nl/storm"}
    fields.update(kw)
    return notices.publish(db, user, region, fields["title"], fields["text"], fields["url"], time.time() + expires_in)


def test_notice_only_for_its_region_and_expires(db, zeeland):
    notice = _publish(db, zeeland, expires_in=600)
    assert notices.current(db, "VR19").id == notice.id
    assert notices.current(db, "VR17") is None
    assert notices.current(db, "VR19", now=time.time() + 601) is None
    public = notices.current(db, "VR19").public()
    assert set(public) == {"title", "text", "url", "expires_at"}
    assert public["url"] == "https://www.example.nl/storm"


def test_national_notice_reaches_every_region_but_regional_wins(db, zeeland, landelijk):
    national = _publish(db, landelijk, None, title="Landelijk")
    assert notices.current(db, "VR17").id == national.id
    regional = _publish(db, zeeland, "VR19", title="Zeeland")
    assert notices.current(db, "VR19").id == regional.id


def test_regional_editor_cannot_publish_elsewhere(db, zeeland):
    with pytest.raises(PermissionError):
        _publish(db, zeeland, "VR17")
    with pytest.raises(PermissionError):
        _publish(db, zeeland, None)


@pytest.mark.parametrize(
    "kw, code",
    [
        ({"url": "http://www.example.nl"}, "notice_url"),
        ({"url": "javascript:alert(1)"}, "notice_url"),
        ({"title": ""}, "notice_title"),
        ({"text": "x" * 401}, "notice_text"),
        ({"text": "Kijk op http://example.nl"}, "notice_link_in_text"),
        ({"expires_in": -5}, "notice_expiry_past"),
        ({"expires_in": 30 * 24 * 3600}, "notice_expiry_too_far"),
    ],
)
def test_bad_notices_refused(db, zeeland, kw, code):
    with pytest.raises(notices.NoticeError) as exc:
        _publish(db, zeeland, **kw)
    assert exc.value.code == code
    assert notices.current(db, "VR19") is None


def test_withdraw_and_active_notice_for_templates(db, zeeland, monkeypatch):
    monkeypatch.setenv("NOODWIJZER_DB", str(db.path))
    notice = _publish(db, zeeland)
    assert notices.active_notice("VR19")["title"] == "Storm"
    notices.withdraw(db, zeeland, notice.id)
    assert notices.active_notice("VR19") is None
    assert any(e.action == "notice_withdraw" for e in audit.entries(db))


def test_parse_local_datetime_is_dutch_time():
    utc = datetime.timezone.utc
    assert (
        notices.parse_local_datetime("2026-12-01T12:00")
        == datetime.datetime(2026, 12, 1, 11, 0, tzinfo=utc).timestamp()
    )
    assert (
        notices.parse_local_datetime("2026-07-01T12:00") == datetime.datetime(2026, 7, 1, 10, 0, tzinfo=utc).timestamp()
    )
    assert notices.parse_local_datetime("gisteren") is None


# --- export and CLI -----------------------------------------------------------------------


def test_export_writes_live_versions(db, store, zeeland, landelijk, geavanceerd, tmp_path):
    editor.save(db, store, landelijk, "utter_greet", None, "Landelijk.")
    editor.save(db, store, zeeland, "utter_greet", "VR19", "Zeeland.")
    editor.save(db, store, geavanceerd, "utter_degraded", None, "Bel 112 als er gevaar is.")
    editor.reset(db, store, geavanceerd, "utter_degraded", None)
    written = export(store, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == [
        "regions/VR19/utter_greet.j2",
        "utter_greet.j2",
    ]
    assert (tmp_path / "out" / "regions" / "VR19" / "utter_greet.j2").read_text() == "Zeeland.\n"


def _cli(args, env_db, stdin=""):
    env = dict(os.environ, NOODWIJZER_DB=str(env_db), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


def test_cli_users_add_reads_password_from_stdin(tmp_path):
    path = tmp_path / "cli.sqlite3"
    done = _cli(
        ["users", "add", "--username", "rijnmond", "--role", "regional", "--region", "VR17", "--password-stdin"],
        path,
        PASSWORD + "\n",
    )
    assert done.returncode == 0, done.stderr
    assert accounts.authenticate(Database(path), "rijnmond", PASSWORD).region == "VR17"
    bad = _cli(["users", "add", "--username", "kort", "--role", "national", "--password-stdin"], path, "kort\n")
    assert bad.returncode == 2 and "at least" in bad.stderr
    advanced = _cli(
        ["users", "add", "--username", "dev", "--role", "geavanceerd", "--password-stdin"], path, PASSWORD + "\n"
    )
    assert advanced.returncode == 0 and "added dev (geavanceerd)" in advanced.stdout, advanced.stderr
    assert accounts.authenticate(Database(path), "dev", PASSWORD).can_edit_logic
    assert "dev\tgeavanceerd\t-\tactive" in _cli(["users", "list"], path).stdout
    # There is no way to pass a password as an argument.
    argv = _cli(["users", "add", "--username", "x1", "--role", "national", "--password", PASSWORD], path)
    assert argv.returncode != 0


def test_cli_export(tmp_path, db, store, landelijk):
    editor.save(db, store, landelijk, "utter_greet", None, "Landelijk.")
    done = _cli(["templates", "export", "--out", str(tmp_path / "exp")], db.path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "exp" / "utter_greet.j2").read_text() == "Landelijk.\n"
