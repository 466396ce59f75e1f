"""In-memory tracker store that forgets idle conversations.

Residents may mention health, children or money. Rasa's InMemoryTrackerStore
keeps every conversation until the process stops; this one drops a
conversation once it has been idle longer than the session expiry, so nothing
is stored longer than the conversation needs.

It also keeps each tracker as the live object instead of a JSON string.
Rasa's store serialises the whole conversation after every message and
rebuilds it (event by event) before the next one; under load that was ~5 % of
Rasa's CPU. The store is only ever used by one Rasa process, and Rasa's lock
store already lets one message per conversation in at a time.
Not meant for use with an event broker: the broker diff would compare a
tracker with itself.
"""
from __future__ import annotations

import os
import time
from typing import Any, Dict, Iterable, Optional, Text

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions


class ExpiringInMemoryTrackerStore(InMemoryTrackerStore):
    def __init__(self, domain: Domain, event_broker: Any = None, **kwargs: Dict[Text, Any]) -> None:
        ttl = kwargs.pop("ttl_seconds", None) or os.environ.get("NW_TRACKER_TTL", 3600)
        self.ttl_seconds = float(ttl)
        self._touched: Dict[Text, float] = {}
        self._trackers: Dict[Text, DialogueStateTracker] = {}
        super().__init__(domain, event_broker, **kwargs)

    def _purge(self, now: float) -> None:
        expired = [key for key, seen in self._touched.items() if now - seen > self.ttl_seconds]
        for key in expired:
            self._trackers.pop(key, None)
            self._touched.pop(key, None)

    async def save(self, tracker: DialogueStateTracker) -> None:
        now = time.monotonic()
        self._purge(now)
        await self.stream_events(tracker)
        self._trackers[tracker.sender_id] = tracker
        self._touched[tracker.sender_id] = now

    async def keys(self) -> Iterable[Text]:
        self._purge(time.monotonic())
        return list(self._trackers.keys())

    async def _retrieve(self, sender_id: Text, fetch_all_sessions: bool) -> Optional[DialogueStateTracker]:
        self._purge(time.monotonic())
        tracker = self._trackers.get(sender_id)
        if tracker is None or fetch_all_sessions:
            return tracker
        # Same answer as Rasa's store: only the last conversation session. Most
        # conversations have one session, so skip the rebuild when possible.
        sessions_started = sum(1 for event in tracker.events if isinstance(event, SessionStarted))
        if sessions_started <= 1:
            return tracker
        return get_trackers_for_conversation_sessions(tracker)[-1]
