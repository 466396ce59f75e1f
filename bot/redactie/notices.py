"""Actuele meldingen: short incident notices per region that start and expire by themselves.

Start and expiry are part of every query and of the chat's cached check
(starts_at <= now < expires_at), so a scheduled notice appears and an expired
one disappears without a restart, a database change or a clean-up job.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.core.regions import is_region_code
from bot.redactie import audit
from bot.redactie.accounts import User
from bot.redactie.db import Database, default_db
from bot.redactie.links import bad_links
from bot.redactie.store import LiveCache
from bot.texts.render import BUTTON_RE

TZ = ZoneInfo("Europe/Amsterdam")
MAX_TITLE = 80
MAX_TEXT = 400
MAX_URL = 500
MAX_DURATION = 14 * 24 * 3600  # a notice is about now; longer-lived text belongs in a template


@dataclass(frozen=True)
class Notice:
    id: int
    region: str | None
    title: str
    text: str
    url: str
    expires_at: float
    author: str
    created_at: float
    starts_at: float | None = None  # None: from publication on

    def shows_at(self, now: float) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and now < self.expires_at

    def public(self) -> dict[str, str]:
        """The shape the widget and the templates see. A notice cannot add buttons to
        the bot's answer: lines in the button syntax are dropped here too, also from
        notices saved before publish() refused them."""
        return {
            "title": without_buttons(self.title),
            "text": without_buttons(self.text),
            "url": self.url,
            "expires_at": dt.datetime.fromtimestamp(self.expires_at, TZ).isoformat(timespec="minutes"),
        }


def has_button(value: str) -> bool:
    """A line "knop: Titel | /payload" would become a button once the notice is in an answer.
    splitlines() as in bot.texts.render.parse_output, so no other line break slips through."""
    return any(BUTTON_RE.match(line) for line in value.splitlines())


def without_buttons(value: str) -> str:
    if not has_button(value):
        return value
    return "\n".join(line for line in value.splitlines() if not BUTTON_RE.match(line))


class NoticeError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


_COLUMNS = "id, region, title, text, url, expires_at, author, created_at, starts_at"


def check_notice(
    title: str, text: str, url: str, expires_at: float, now: float, starts_at: float | None = None
) -> list[str]:
    """Problem codes (empty when the notice may be published)."""
    problems = []
    if starts_at is not None and starts_at >= expires_at:
        problems.append("notice_start_after_end")
    elif starts_at is not None and starts_at > now + MAX_DURATION:
        problems.append("notice_start_too_far")
    if not title.strip() or len(title) > MAX_TITLE:
        problems.append("notice_title")
    if not text.strip() or len(text) > MAX_TEXT:
        problems.append("notice_text")
    if not url.startswith("https://") or len(url) > MAX_URL or any(c.isspace() for c in url) or bad_links(url):
        problems.append("notice_url")
    if bad_links(f"{title}\n{text}"):
        problems.append("notice_link_in_text")
    if has_button(title) or has_button(text):
        problems.append("notice_button")
    if expires_at <= now:
        problems.append("notice_expiry_past")
    elif expires_at > max(now, starts_at or now) + MAX_DURATION:
        problems.append("notice_expiry_too_far")
    return problems


def publish(
    db: Database,
    user: User,
    region: str | None,
    title: str,
    text: str,
    url: str,
    expires_at: float,
    now: float | None = None,
    starts_at: float | None = None,
) -> Notice:
    """Publish now, or at starts_at (a schedule); it ends at expires_at."""
    now = time.time() if now is None else now
    starts_at = starts_at if starts_at is not None and starts_at > now else None
    region = region or None
    if region is not None and not is_region_code(region):
        raise NoticeError("bad_region")
    if not user.can_publish_notice(region):
        raise PermissionError(region)
    title, text, url = title.strip(), text.strip(), url.strip()
    problems = check_notice(title, text, url, expires_at, now, starts_at)
    if problems:
        raise NoticeError(problems[0])
    with db.write() as conn:
        notice_id: int = conn.execute(
            sa.text(
                "INSERT INTO notices (region, title, text, url, expires_at, author, created_at, starts_at) "
                "VALUES (:region, :title, :text, :url, :expires_at, :author, :created_at, :starts_at) RETURNING id"
            ),
            {
                "region": region,
                "title": title,
                "text": text,
                "url": url,
                "expires_at": expires_at,
                "author": user.username,
                "created_at": now,
                "starts_at": starts_at,
            },
        ).scalar_one()
        audit.record(conn, user.username, "notice_publish", f"notice:{region or 'NL'}:{notice_id}", title)
        db.notify_change(conn)
    return Notice(notice_id, region, title, text, url, expires_at, user.username, now, starts_at)


def withdraw(db: Database, user: User, notice_id: int, now: float | None = None) -> None:
    now = time.time() if now is None else now
    notice = get(db, notice_id)
    if notice is None:
        raise NoticeError("no_such_notice")
    if not user.can_publish_notice(notice.region):
        raise PermissionError(notice.region)
    with db.write() as conn:
        conn.execute(
            sa.text("UPDATE notices SET expires_at = :now WHERE id = :id AND expires_at > :now"),
            {"now": now, "id": notice_id},
        )
        db.notify_change(conn)
        audit.record(
            conn, user.username, "notice_withdraw", f"notice:{notice.region or 'NL'}:{notice_id}", notice.title
        )


def get(db: Database, notice_id: int) -> Notice | None:
    row = db.row(f"SELECT {_COLUMNS} FROM notices WHERE id = :id", id=notice_id)
    return Notice(**dict(row)) if row else None


def current(db: Database, region: str | None, now: float | None = None) -> Notice | None:
    """The newest unexpired notice for the region; a national one (region NULL) counts for every region."""
    now = time.time() if now is None else now
    if region is not None and not is_region_code(region):
        return None
    row = db.row(
        f"SELECT {_COLUMNS} FROM notices WHERE (region = :region OR region IS NULL) AND expires_at > :now "
        "AND (starts_at IS NULL OR starts_at <= :now) "
        # a regional notice wins over a national one
        "ORDER BY CASE WHEN region IS NULL THEN 1 ELSE 0 END, id DESC LIMIT 1",
        region=region,
        now=now,
    )
    return Notice(**dict(row)) if row else None


def listing(db: Database, user: User, limit: int = 50) -> list[Notice]:
    """Notices this user may see in the editor: all for national, own region for regional."""
    if user.is_national:
        rows = db.rows(f"SELECT {_COLUMNS} FROM notices ORDER BY id DESC LIMIT :limit", limit=limit)
    else:
        rows = db.rows(
            f"SELECT {_COLUMNS} FROM notices WHERE region = :region OR region IS NULL ORDER BY id DESC LIMIT :limit",
            region=user.region,
            limit=limit,
        )
    return [Notice(**dict(r)) for r in rows]


_caches: dict[int, LiveCache] = {}


def _unexpired(db: Database) -> list[Notice]:
    rows = db.rows(f"SELECT {_COLUMNS} FROM notices WHERE expires_at > :now ORDER BY id DESC", now=time.time())
    return [Notice(**dict(r)) for r in rows]


def cached_current(db: Database, region: str | None, now: float | None = None) -> Notice | None:
    """current() for the chat and the widget: from a cache reloaded when a notice changes,
    so the chat asks the database only after a change, and keeps the last notices while it is down."""
    now = time.time() if now is None else now
    if region is not None and not is_region_code(region):
        return None
    cache = _caches.get(id(db))
    if cache is None or cache.db is not db:
        cache = _caches[id(db)] = LiveCache(db, lambda: _unexpired(db), "notices", empty=[])
    loaded: list[Notice] = cache.get()
    live = [n for n in loaded if n.shows_at(now) and (n.region is None or n.region == region)]
    # newest first; a regional notice wins over a national one
    live.sort(key=lambda n: (n.region is None, -n.id))
    return live[0] if live else None


def active_notice(region: str | None) -> dict[str, str] | None:
    """For bot.texts.context: the notice every template sees as `notice`, or None."""
    notice = cached_current(default_db(), region)
    return notice.public() if notice else None


def parse_local_datetime(value: str) -> float | None:
    """'2026-11-28T18:00' from <input type=datetime-local>, meant as Dutch local time."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=TZ)
    return parsed.timestamp()
