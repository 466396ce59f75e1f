"""Which Rasa replica answers which conversation.

Each Rasa replica keeps its conversations in its own memory (nothing is
written to disk or to a shared store), so a conversation must stay on the
replica where it started. New conversations go to the replica with the fewest
conversations, which keeps a burst of new residents evenly spread.
"""
from __future__ import annotations

import os
import time
import zlib
from typing import Callable

PURGE_EVERY_SECONDS = 60.0


class ReplicaRouter:
    def __init__(self, urls: tuple[str, ...], ttl_seconds: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not urls:
            raise ValueError("at least one Rasa replica is needed")
        self.urls = tuple(urls)
        # Same idle time after which Rasa forgets a conversation (bot_rasa/tracker_store.py).
        self.ttl_seconds = float(ttl_seconds or os.environ.get("NW_TRACKER_TTL", 3600))
        self._clock = clock
        self._pinned: dict[str, tuple[int, float]] = {}  # session id -> (replica, last seen)
        self._counts = [0] * len(self.urls)
        self._last_purge = clock()

    def replicas_for(self, session_id: str) -> list[str]:
        """Replica URLs to try, in order: the pinned one first, the rest as fallback."""
        now = self._clock()
        self._purge(now)
        pinned = self._pinned.get(session_id)
        index = pinned[0] if pinned else self._least_loaded(session_id)
        self._pin(session_id, index, now)
        return list(self.urls[index:] + self.urls[:index])

    def answered_by(self, session_id: str, url: str) -> None:
        """After a fallback, the conversation now lives on the replica that answered."""
        self._pin(session_id, self.urls.index(url), self._clock())

    def load(self) -> list[int]:
        return list(self._counts)

    def _least_loaded(self, session_id: str) -> int:
        start = zlib.crc32(session_id.encode("utf-8")) % len(self.urls)  # stable tie-break
        order = [(start + step) % len(self.urls) for step in range(len(self.urls))]
        return min(order, key=lambda i: self._counts[i])

    def _pin(self, session_id: str, index: int, now: float) -> None:
        old = self._pinned.get(session_id)
        if old is not None:
            self._counts[old[0]] -= 1
        self._pinned[session_id] = (index, now)
        self._counts[index] += 1

    def _purge(self, now: float) -> None:
        if now - self._last_purge < PURGE_EVERY_SECONDS:
            return
        self._last_purge = now
        for session_id, (index, seen) in list(self._pinned.items()):
            if now - seen > self.ttl_seconds:
                del self._pinned[session_id]
                self._counts[index] -= 1
