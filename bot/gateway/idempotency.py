"""Idempotency keys for POST /api/v1/chat: a message that is sent twice is answered once.

The widget gives every message its own key (`message_id` in the body) and sends
the same key again when it retries after a timeout or a lost connection. The
gateway remembers, per session, key -> answer for a short time:

- a repeated key gets the same answer, and Rasa is not asked again;
- a repeat that arrives while the first request is still being answered waits
  for that answer (the first request's work goes on even if its client left);
- the same key with another message is a client error (`KeyConflict`);
- work that failed is forgotten, so a retry runs it again.

Only a hash of the message is kept, never its text. Everything is in memory, per
gateway process, and bounded: at most `max_entries` keys in all, `per_session`
keys per session, each for `ttl_s` seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class KeyConflict(Exception):
    """The key was already used in this session for another message."""


def valid_key(value: object) -> bool:
    return isinstance(value, str) and KEY_RE.match(value) is not None


def _digest(message: str) -> bytes:
    return hashlib.blake2b(message.encode("utf-8", "surrogatepass"), digest_size=16).digest()


@dataclass
class _Entry:
    digest: bytes
    created: float
    task: asyncio.Future[Any]


class IdempotencyCache:
    def __init__(
        self,
        ttl_s: float = 600.0,
        max_entries: int = 5000,
        per_session: int = 8,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.per_session = per_session
        self.clock = clock
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._sessions: dict[str, deque[str]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    async def run(
        self, session_id: str, key: str, message: str, produce: Callable[[], Awaitable[Any]]
    ) -> tuple[Any, bool]:
        """(answer, replayed): the answer for this key, produced at most once while it is remembered."""
        digest = _digest(message)
        while True:
            self._expire(self.clock())
            entry = self._entries.get((session_id, key))
            if entry is not None and entry.task.done() and (entry.task.cancelled() or entry.task.exception()):
                self._forget(session_id, key, entry)
                entry = None
            if entry is None:
                entry = self._start(session_id, key, digest, produce)
                replayed = False
            elif entry.digest != digest:
                raise KeyConflict("message_id was already used for another message")
            else:
                replayed = True
            try:
                # shield: a client that goes away does not stop the work others wait for.
                return await asyncio.shield(entry.task), replayed
            except asyncio.CancelledError:
                if entry.task.cancelled() and replayed:
                    continue  # the first request's work was cancelled: do it ourselves
                raise
            except Exception:
                if replayed:
                    continue  # the first attempt failed and was forgotten: try again
                raise

    def _start(self, session_id: str, key: str, digest: bytes, produce: Callable[[], Awaitable[Any]]) -> _Entry:
        task = asyncio.ensure_future(produce())
        entry = _Entry(digest, self.clock(), task)
        self._entries[(session_id, key)] = entry
        keys = self._sessions.setdefault(session_id, deque())
        keys.append(key)
        while len(keys) > self.per_session:
            self._entries.pop((session_id, keys.popleft()), None)
        while len(self._entries) > self.max_entries:
            self._drop(*self._entries.popitem(last=False)[0])

        def forget_failure(done: asyncio.Future[Any]) -> None:
            if done.cancelled() or done.exception() is not None:
                self._forget(session_id, key, entry)

        task.add_done_callback(forget_failure)
        return entry

    def _forget(self, session_id: str, key: str, entry: _Entry) -> None:
        if self._entries.get((session_id, key)) is entry:
            del self._entries[(session_id, key)]
            self._drop(session_id, key)

    def _drop(self, session_id: str, key: str) -> None:
        keys = self._sessions.get(session_id)
        if keys is None:
            return
        try:
            keys.remove(key)
        except ValueError:
            pass
        if not keys:
            del self._sessions[session_id]

    def _expire(self, now: float) -> None:
        while self._entries:
            (session_id, key), entry = next(iter(self._entries.items()))
            if now - entry.created < self.ttl_s:
                break
            del self._entries[(session_id, key)]
            self._drop(session_id, key)
