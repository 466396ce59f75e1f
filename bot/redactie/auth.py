"""Server-side sessions, CSRF tokens and the failed-login limits.

Failed logins are limited per (account, address) pair with an exponential
delay, and per address with a cap; never per account alone, so a stranger
cannot keep an editor out by guessing from elsewhere (begin_attempt).

The cookie holds a random token; the database keeps only its SHA-256, so a
copy of the database does not hand out live sessions.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.redactie import accounts
from bot.redactie.accounts import User
from bot.redactie.db import Database

SESSION_TTL = 8 * 3600  # one working day
FAILURE_WINDOW = 15 * 60  # failed logins are remembered this long
FREE_TRIES = 3  # wrong passwords per (account, address) pair before the first wait
BASE_DELAY = 30.0  # seconds; doubles with every further wrong password of the pair
MAX_DELAY = 15 * 60
MAX_PER_ADDRESS = 20  # wrong passwords from one address, over all accounts, per window
MAX_FAILURE_ROWS = 10_000  # the table's cap: a flood from many addresses cannot grow it
AUDIT_PER_ACCOUNT = 50  # failed-login entries per account per window in the audit log


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


@dataclass(frozen=True)
class Attempt:
    """The decision on one login attempt, taken before the password is checked."""

    allowed: bool
    retry_after: int = 0  # seconds, when not allowed
    audit_failure: bool = False  # write a login_failed entry if the password is wrong
    audit_block: bool = False  # a wrong password now blocks this account from this address


def pair_delay(failures: int) -> float:
    """Seconds an (account, address) pair waits after `failures` wrong passwords in the window:
    FREE_TRIES without waiting, then 30 s, 1, 2, 4, 8 minutes, at most MAX_DELAY."""
    if failures < FREE_TRIES:
        return 0.0
    return float(min(BASE_DELAY * 2 ** (failures - FREE_TRIES), MAX_DELAY))


_attempt_lock = threading.Lock()  # one decision at a time in this process (SQLite also serialises writers)


def begin_attempt(db: Database, username: str, ip: str, known: bool, now: float | None = None) -> Attempt:
    """Decide on a login attempt and, when allowed, count it as a failure already.

    Counting before the password is checked is what makes the limit hold under
    many requests at once: the 50th of 50 simultaneous guesses sees the 49
    before it. A right password then clears the pair (finish_attempt).
    The limits are per account AND address pair (exponential delay) plus a cap per
    address, never per account alone: a stranger elsewhere cannot lock an editor out.
    """
    now = time.time() if now is None else now
    username = username.strip().lower()[:80]
    since = now - FAILURE_WINDOW
    with _attempt_lock, db.write() as conn:
        if conn.dialect.name == "postgresql":
            # Several gateways: the same decision, one at a time per address.
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": "login:" + ip})
        purge_expired(conn, now)
        pair = conn.execute(
            text(
                "SELECT COUNT(*), MAX(at) FROM login_failures WHERE username = :username AND ip = :ip AND at > :since"
            ),
            {"username": username, "ip": ip, "since": since},
        ).one()
        pair_count, last = int(pair[0] or 0), float(pair[1] or 0.0)
        by_ip = int(
            conn.execute(
                text("SELECT COUNT(*) FROM login_failures WHERE ip = :ip AND at > :since"), {"ip": ip, "since": since}
            ).scalar()
            or 0
        )
        wait = max(0.0, last + pair_delay(pair_count) - now)
        if by_ip >= MAX_PER_ADDRESS:
            oldest = conn.execute(
                text("SELECT MIN(at) FROM login_failures WHERE ip = :ip AND at > :since"), {"ip": ip, "since": since}
            ).scalar()
            wait = max(wait, float(oldest or now) + FAILURE_WINDOW - now)
        if wait > 0:
            return Attempt(False, retry_after=max(1, int(wait + 0.999)))
        conn.execute(
            text("INSERT INTO login_failures (username, ip, at) VALUES (:username, :ip, :at)"),
            {"username": username, "ip": ip, "at": now},
        )
        _cap_failures(conn)
        by_account = 0
        if known:
            by_account = int(
                conn.execute(
                    text("SELECT COUNT(*) FROM login_failures WHERE username = :username AND at > :since"),
                    {"username": username, "since": since},
                ).scalar()
                or 0
            )
    # The audit log gets the first wrong password per pair and the moment a pair gets a
    # wait, for real accounts only, at most AUDIT_PER_ACCOUNT per window: guessing does
    # not grow it without bound, and unknown names are only counted (capped) above.
    audited = known and by_account <= AUDIT_PER_ACCOUNT
    return Attempt(
        True,
        audit_failure=audited and pair_count == 0,
        audit_block=audited and pair_delay(pair_count + 1) > 0 and pair_delay(pair_count) == 0,
    )


def finish_attempt(db: Database, username: str, ip: str, success: bool) -> None:
    """A right password clears this pair's count (the editor's own address), nothing else."""
    if not success:
        return
    with db.write() as conn:
        conn.execute(
            text("DELETE FROM login_failures WHERE username = :username AND ip = :ip"),
            {"username": username.strip().lower()[:80], "ip": ip},
        )


def _cap_failures(conn: Connection) -> None:
    """Keep at most MAX_FAILURE_ROWS rows: under a flood from many addresses the oldest go first."""
    count = int(conn.execute(text("SELECT COUNT(*) FROM login_failures")).scalar() or 0)
    if count > MAX_FAILURE_ROWS:
        conn.execute(
            text(
                "DELETE FROM login_failures WHERE id IN "
                "(SELECT id FROM (SELECT id FROM login_failures ORDER BY id LIMIT :excess) AS oldest)"
            ),
            {"excess": count - MAX_FAILURE_ROWS},
        )


def failure_count(db: Database) -> int:
    return int(db.scalar("SELECT COUNT(*) FROM login_failures") or 0)


def purge_expired(conn: Connection, now: float) -> None:
    """Forget ended sessions and old failed logins (store nothing longer than needed).
    Runs inside every login's and failed login's write transaction, on both engines."""
    conn.execute(text("DELETE FROM sessions WHERE expires_at <= :now"), {"now": now})
    conn.execute(text("DELETE FROM login_failures WHERE at <= :since"), {"since": now - FAILURE_WINDOW})
