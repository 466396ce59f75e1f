"""Editor accounts and roles. Passwords are stored only as argon2 hashes.

national: edits the national templates and may publish a notice for any region.
beheerder: manages the embed settings ("Instellingen") of its region, or of every region without one.
regional: edits only the overrides and notices of its own region.
geavanceerd: a national editor who may also edit the Jinja2 templates with logic
  (stored as role national with the advanced flag; plain editors edit words only).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import exc, text

from bot.core.regions import is_region_code
from bot.redactie import audit
from bot.redactie.db import Database

ROLES = ("national", "regional", "geavanceerd", "beheerder")
BEHEERDER = "beheerder"  # embed settings (issue 20): stored as regional/national with the beheerder flag
ADVANCED_ROLE = "geavanceerd"  # a national account with the advanced flag, not a role value in the table
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 copes, but there is no reason to hash megabytes

_hasher = PasswordHasher()
_END_SESSIONS = text("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = :username)")
# Verified when the username does not exist, so timing does not reveal which names exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-timing")


class AccountError(ValueError):
    """A bad account request; .code is a stable key the CLI and pages translate."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    region: str | None
    advanced: bool = False
    beheerder: bool = False

    @property
    def is_national(self) -> bool:
        return self.role == "national"

    @property
    def can_edit_logic(self) -> bool:
        """Templates with logic (Jinja2) are for national "geavanceerd" accounts only (issue 16)."""
        return self.is_national and self.advanced

    @property
    def label(self) -> str:
        role = ADVANCED_ROLE if self.can_edit_logic else self.role
        return f"{role}+{BEHEERDER}" if self.beheerder else role

    @property
    def is_beheerder(self) -> bool:
        return self.beheerder

    def can_manage_embed(self, region: str) -> bool:
        """A beheerder manages the embed settings of its own region; one without a region, all."""
        return self.is_beheerder and (self.region is None or self.region == region)

    def can_edit_templates(self, region: str | None) -> bool:
        """National editors own the national layer; regional editors their own region only."""
        if self.is_national:
            return region is None
        return region is not None and region == self.region

    def can_publish_notice(self, region: str | None) -> bool:
        if self.is_national:
            return region is None or is_region_code(region)
        return region is not None and region == self.region


def _check(username: str, password: str | None, role: str, region: str | None) -> None:
    if not USERNAME_RE.match(username or ""):
        raise AccountError("bad_username")
    if role not in ROLES:
        raise AccountError("bad_role")
    if role == "regional" and not is_region_code(region or ""):
        raise AccountError("bad_region")
    if role == BEHEERDER and region and not is_region_code(region):
        raise AccountError("bad_region")
    if role in ("national", ADVANCED_ROLE) and region:
        raise AccountError("national_has_no_region")
    if password is not None:
        check_password(password)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError("password_too_short")
    if len(password) > MAX_PASSWORD:
        raise AccountError("password_too_long")


def _user(row: Any) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        role=row["role"],
        region=row["region"],
        advanced=bool(row["advanced"]),
        beheerder=bool(row["beheerder"]),
    )


def add_user(
    db: Database, username: str, password: str, role: str, region: str | None = None, actor: str = "cli"
) -> User:
    username = (username or "").strip().lower()
    region = region or None
    _check(username, password, role, region)
    advanced = role == ADVANCED_ROLE
    role = "national" if advanced else role
    beheerder = role == BEHEERDER
    if beheerder:  # with a region a regional account, without one a national account
        role = "regional" if region else "national"
    password_hash = _hasher.hash(password)
    try:
        with db.write() as conn:
            if conn.execute(text("SELECT 1 FROM users WHERE username = :username"), {"username": username}).first():
                raise AccountError("user_exists")
            user_id: int = conn.execute(
                text(
                    "INSERT INTO users (username, password_hash, role, region, advanced, beheerder, created_at) "
                    "VALUES (:username, :password_hash, :role, :region, :advanced, :beheerder, :created_at) "
                    "RETURNING id"
                ),
                {
                    "username": username,
                    "password_hash": password_hash,
                    "role": role,
                    "region": region,
                    "advanced": int(advanced),
                    "beheerder": int(beheerder),
                    "created_at": time.time(),
                },
            ).scalar_one()
            audit.record(
                conn,
                actor,
                "user_add",
                username,
                f"{ADVANCED_ROLE if advanced else BEHEERDER if beheerder else role} {region or ''}".strip(),
            )
    except exc.IntegrityError as error:  # the same name added at the same moment elsewhere
        raise AccountError("user_exists") from error
    return User(id=user_id, username=username, role=role, region=region, advanced=advanced, beheerder=beheerder)


def set_password(db: Database, username: str, password: str, actor: str = "cli") -> None:
    check_password(password)
    name = username.strip().lower()
    password_hash = _hasher.hash(password)
    with db.write() as conn:
        cur = conn.execute(
            text("UPDATE users SET password_hash = :password_hash WHERE username = :username"),
            {"password_hash": password_hash, "username": name},
        )
        if cur.rowcount == 0:
            raise AccountError("no_such_user")
        # A new password ends every open session of that account.
        conn.execute(_END_SESSIONS, {"username": name})
        audit.record(conn, actor, "user_password", username)


def set_active(db: Database, username: str, active: bool, actor: str = "cli") -> None:
    name = username.strip().lower()
    with db.write() as conn:
        cur = conn.execute(
            text("UPDATE users SET active = :active WHERE username = :username"),
            {"active": int(active), "username": name},
        )
        if cur.rowcount == 0:
            raise AccountError("no_such_user")
        if not active:
            conn.execute(_END_SESSIONS, {"username": name})
        audit.record(conn, actor, "user_enable" if active else "user_disable", username)


def authenticate(db: Database, username: str, password: str) -> User | None:
    """The user if the password is right and the account active, else None."""
    username = (username or "").strip().lower()
    row = db.row(
        "SELECT id, username, role, region, advanced, beheerder, password_hash, active FROM users WHERE username = :username",
        username=username,
    )
    stored = row["password_hash"] if row else _DUMMY_HASH
    try:
        _hasher.verify(stored, (password or "")[:MAX_PASSWORD])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or not row["active"]:
        return None
    if _hasher.check_needs_rehash(stored):
        new_hash = _hasher.hash(password)
        with db.write() as conn:
            conn.execute(
                text("UPDATE users SET password_hash = :password_hash WHERE id = :id"),
                {"password_hash": new_hash, "id": row["id"]},
            )
    return _user(row)


def user_exists(db: Database, username: str) -> bool:
    return (
        db.row("SELECT 1 AS found FROM users WHERE username = :username", username=(username or "").strip().lower())
        is not None
    )


def get_user(db: Database, user_id: int) -> User | None:
    row = db.row(
        "SELECT id, username, role, region, advanced, beheerder FROM users WHERE id = :id AND active = 1", id=user_id
    )
    return _user(row) if row else None


def list_users(db: Database) -> list[tuple[User, bool]]:
    rows = db.rows("SELECT id, username, role, region, advanced, beheerder, active FROM users ORDER BY username")
    return [(_user(row), bool(row["active"])) for row in rows]
