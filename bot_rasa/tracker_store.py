"""In-memory tracker store that forgets idle conversations.

Residents may mention health, children or money. Rasa's InMemoryTrackerStore
keeps every conversation until the process stops; this one drops a
conversation once it has been idle longer than the session expiry, so nothing
is stored longer than the conversation needs.
"""
from __future__ import annotations

import os
import time
from typing import Any, Dict, Optional, Text

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker


class ExpiringInMemoryTrackerStore(InMemoryTrackerStore):
    def __init__(self, domain: Domain, event_broker: Any = None, **kwargs: Dict[Text, Any]) -> None:
        ttl = kwargs.pop("ttl_seconds", None) or os.environ.get("NW_TRACKER_TTL", 3600)
        self.ttl_seconds = float(ttl)
        self._touched: Dict[Text, float] = {}
        super().__init__(domain, event_broker, **kwargs)

    def _purge(self, now: float) -> None:
        expired = [key for key, seen in self._touched.items() if now - seen > self.ttl_seconds]
        for key in expired:
            self.store.pop(key, None)
            self._touched.pop(key, None)

    async def save(self, tracker: DialogueStateTracker) -> None:
        now = time.monotonic()
        self._purge(now)
        await super().save(tracker)
        self._touched[tracker.sender_id] = now

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        self._purge(time.monotonic())
        return await super().retrieve(sender_id)
