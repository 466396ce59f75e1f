"""What an editor can do with a text: save, restore an old version, go back to the repository text.

Every path checks permission, validates, stores and writes the audit log in one
transaction. A text that fails validation is never stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.redactie import audit, catalog
from bot.redactie.accounts import User
from bot.redactie.db import Database
from bot.redactie.store import SqliteTemplateStore, Version
from bot.redactie.validate import Result, validate


class EditorError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def target(name: str, region: str | None) -> str:
    return f"template:{region or 'NL'}:{name}"


def check_access(user: User, name: str, region: str | None) -> None:
    if name not in catalog.template_names():
        raise EditorError("unknown_template")
    if not user.can_edit_templates(region):
        raise PermissionError(f"{user.username} may not edit {target(name, region)}")
    if catalog.text_kind(name) != catalog.WORDS and not user.can_edit_logic:
        # Templates with logic: developers and national "geavanceerd" accounts only (issue 16).
        raise PermissionError(f"{user.username} may not edit the logic of {target(name, region)}")


def normalise(source: str) -> str:
    return source.replace("\r\n", "\n").replace("\r", "\n")


def save(
    db: Database, store: SqliteTemplateStore, user: User, name: str, region: str | None, source: str, note: str = ""
) -> tuple[Result, Version | None]:
    check_access(user, name, region)
    source = normalise(source)
    result = validate(name, source)
    if not result.ok:
        return result, None
    with db.write() as conn:
        version = store.save(name, region, source, user.username, note.strip(), conn=conn)
        audit.record(conn, user.username, "template_save", target(name, region), f"v{version.id} {note.strip()}")
    return result, version


def restore(
    db: Database, store: SqliteTemplateStore, user: User, version_id: int
) -> tuple[Result | None, Version | None]:
    """A new version equal to an old one. The old text is validated again: samples may have changed."""
    old = store.get_version(version_id)
    if old is None:
        raise EditorError("no_such_version")
    check_access(user, old.name, old.region)
    result = None
    if old.source is not None:
        result = validate(old.name, old.source)
        if not result.ok:
            return result, None
    with db.write() as conn:
        version = store.save(
            old.name, old.region, old.source, user.username, f"v{old.id}", restored_from=old.id, conn=conn
        )
        audit.record(
            conn, user.username, "template_restore", target(old.name, old.region), f"v{version.id} = v{old.id}"
        )
    return result, version


def reset(db: Database, store: SqliteTemplateStore, user: User, name: str, region: str | None) -> Version:
    """Stop the live edit on this layer: the repository text (or the national text) shows again."""
    check_access(user, name, region)
    with db.write() as conn:
        version = store.save(name, region, None, user.username, "", conn=conn)
        audit.record(conn, user.username, "template_reset", target(name, region), f"v{version.id}")
    return version


# --- vier ogen for national texts: a draft that a second national editor publishes ----------

DRAFT_PREFIX = "concept:"


@dataclass(frozen=True)
class WordsDraft:
    words: str
    author: str
    created_at: float


def words_draft(store: SqliteTemplateStore, name: str) -> WordsDraft | None:
    """The national draft of a text that waits for a second person, or None."""
    latest = store.latest(DRAFT_PREFIX + name, None)
    if latest is None or latest.source is None:
        return None
    try:
        words = json.loads(latest.source).get("words")
    except ValueError:
        return None
    return WordsDraft(str(words), latest.author, latest.created_at) if isinstance(words, str) else None


def save_words_draft(db: Database, store: SqliteTemplateStore, user: User, name: str, words: str) -> Version:
    check_access(user, name, None)
    with db.write() as conn:
        version = store.save(DRAFT_PREFIX + name, None, json.dumps({"words": words}), user.username, conn=conn)
        audit.record(conn, user.username, "template_draft", target(name, None), f"v{version.id} vier ogen")
    return version


def check_four_eyes(store: SqliteTemplateStore, user: User, name: str, region: str | None) -> None:
    """A national text that waits for vier ogen cannot be published by its own author."""
    if region is not None:
        return
    pending = words_draft(store, name)
    if pending is not None and pending.author == user.username:
        raise EditorError("four_eyes")


def clear_words_draft(db: Database, store: SqliteTemplateStore, user: User, name: str) -> None:
    if words_draft(store, name) is not None:
        store.save(DRAFT_PREFIX + name, None, None, user.username)
