"""Server-side sessions, CSRF tokens and the failed-login rate limit.

The cookie holds a random token; the database keeps only its SHA-256, so a
copy of the database does not hand out live sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.redactie import accounts
from bot.redactie.accounts import User
from bot.redactie.db import Database

SESSION_TTL = 8 * 3600  # one working day
FAILURE_WINDOW = 15 * 60
MAX_FAILURES = 5  # per username and per IP within the window


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    expires_at: float


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def create_session(db: Database, user: User, now: float | None = None) -> tuple[str, Session]:
    now = time.time() if now is None else now
    token, csrf = new_token(), new_token()
    with db.write() as conn:
        purge_expired(conn, now)
        conn.execute(
            text(
                "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) "
                "VALUES (:token_hash, :user_id, :csrf_token, :created_at, :expires_at)"
            ),
            {
                "token_hash": _hash(token),
                "user_id": user.id,
                "csrf_token": csrf,
                "created_at": now,
                "expires_at": now + SESSION_TTL,
            },
        )
    return token, Session(user=user, csrf_token=csrf, expires_at=now + SESSION_TTL)


def get_session(db: Database, token: str | None, now: float | None = None) -> Session | None:
    if not token or len(token) > 200:
        return None
    now = time.time() if now is None else now
    row = db.row(
        "SELECT user_id, csrf_token, expires_at FROM sessions WHERE token_hash = :token_hash AND expires_at > :now",
        token_hash=_hash(token),
        now=now,
    )
    if row is None:
        return None
    user = accounts.get_user(db, row["user_id"])
    if user is None:
        return None
    return Session(user=user, csrf_token=row["csrf_token"], expires_at=row["expires_at"])


def end_session(db: Database, token: str | None) -> None:
    if token:
        with db.write() as conn:
            conn.execute(text("DELETE FROM sessions WHERE token_hash = :token_hash"), {"token_hash": _hash(token)})


def tokens_match(expected: str | None, given: str | None) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


# --- failed logins --------------------------------------------------------------


def login_blocked(db: Database, username: str, ip: str, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    since = now - FAILURE_WINDOW
    by_user: int = db.scalar(
        "SELECT COUNT(*) FROM login_failures WHERE username = :username AND at > :since",
        username=username.strip().lower(),
        since=since,
    )
    by_ip: int = db.scalar("SELECT COUNT(*) FROM login_failures WHERE ip = :ip AND at > :since", ip=ip, since=since)
    return by_user >= MAX_FAILURES or by_ip >= MAX_FAILURES


def record_failure(db: Database, username: str, ip: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    with db.write() as conn:
        purge_expired(conn, now)
        conn.execute(
            text("INSERT INTO login_failures (username, ip, at) VALUES (:username, :ip, :at)"),
            {"username": username.strip().lower()[:80], "ip": ip, "at": now},
        )


def clear_failures(db: Database, username: str) -> None:
    with db.write() as conn:
        conn.execute(
            text("DELETE FROM login_failures WHERE username = :username"), {"username": username.strip().lower()}
        )


def purge_expired(conn: Connection, now: float) -> None:
    """Forget ended sessions and old failed logins (store nothing longer than needed).
    Runs inside every login's and failed login's write transaction, on both engines."""
    conn.execute(text("DELETE FROM sessions WHERE expires_at <= :now"), {"now": now})
    conn.execute(text("DELETE FROM login_failures WHERE at <= :since"), {"since": now - FAILURE_WINDOW})
