"""In-memory tracker store that forgets idle conversations.

Residents may mention health, children or money. Rasa's InMemoryTrackerStore
keeps every conversation until the process stops; this one drops a
conversation once it has been idle longer than the session expiry, so nothing
is stored longer than the conversation needs.

Speed and memory: Rasa's store serialises the whole conversation to JSON after
every message and rebuilds it event by event before the next one (~5 ms for
an 8-message conversation, ~5 % of Rasa's CPU under load). Here the most
recently active conversations stay live objects (no conversion at all); when
there are more than `max_live` of them, the least recently active ones are
kept as pickles (an 8-message conversation: ~54 KB live, ~6.5 KB pickled,
~1 ms to convert back). Pickles never leave this process and are only made
from our own objects.

The store is used by one Rasa process only, and Rasa's lock store already
lets one message per conversation in at a time. Not meant for use with an
event broker: the broker diff would compare a tracker with itself.
"""

from __future__ import annotations

import pickle
import time
from collections import OrderedDict
from typing import Any, Dict, Iterable, Optional, Text

from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker, get_trackers_for_conversation_sessions

from bot.settings import Settings


class ExpiringInMemoryTrackerStore(InMemoryTrackerStore):  # type: ignore[misc]  # rasa has no py.typed
    def __init__(self, domain: Domain, event_broker: Any = None, **kwargs: Any) -> None:
        settings = Settings.from_env()  # the same idle time as the gateway's replica pinning
        ttl = kwargs.pop("ttl_seconds", None) or settings.conversation_ttl_s
        max_live = kwargs.pop("max_live", None) or settings.live_trackers
        self.ttl_seconds = float(ttl)
        self.max_live = max(1, int(max_live))
        self._touched: Dict[Text, float] = {}
        self._live: OrderedDict[Text, DialogueStateTracker] = OrderedDict()  # oldest first
        self._pickled: Dict[Text, bytes] = {}
        super().__init__(domain, event_broker, **kwargs)

    def _purge(self, now: float) -> None:
        # _touched is ordered by last save (see save), so only the expired head is visited.
        while self._touched:
            key, seen = next(iter(self._touched.items()))
            if now - seen <= self.ttl_seconds:
                break
            self._live.pop(key, None)
            self._pickled.pop(key, None)
            del self._touched[key]

    def _keep_live(self, sender_id: Text, tracker: DialogueStateTracker) -> None:
        self._pickled.pop(sender_id, None)
        self._live[sender_id] = tracker
        self._live.move_to_end(sender_id)
        while len(self._live) > self.max_live:
            old_id, old = self._live.popitem(last=False)
            self._pickled[old_id] = pickle.dumps(old, protocol=pickle.HIGHEST_PROTOCOL)

    async def save(self, tracker: DialogueStateTracker) -> None:
        now = time.monotonic()
        self._purge(now)
        await self.stream_events(tracker)
        self._keep_live(tracker.sender_id, tracker)
        self._touched.pop(tracker.sender_id, None)  # re-insert: keeps _touched ordered by time
        self._touched[tracker.sender_id] = now

    async def keys(self) -> Iterable[Text]:
        self._purge(time.monotonic())
        return list(self._touched.keys())

    async def _retrieve(self, sender_id: Text, fetch_all_sessions: bool) -> Optional[DialogueStateTracker]:
        self._purge(time.monotonic())
        tracker = self._live.get(sender_id)
        if tracker is None:
            stored = self._pickled.get(sender_id)
            if stored is None:
                return None
            tracker = pickle.loads(stored)
            self._keep_live(sender_id, tracker)
        if fetch_all_sessions:
            return tracker
        # Same answer as Rasa's store: only the last conversation session. Most
        # conversations have one session, so skip the rebuild when possible.
        sessions_started = sum(1 for event in tracker.events if isinstance(event, SessionStarted))
        if sessions_started <= 1:
            return tracker
        return get_trackers_for_conversation_sessions(tracker)[-1]

    def stored_counts(self) -> Dict[Text, int]:
        """How many conversations are kept live and pickled (for tests and benchmarks)."""
        return {"live": len(self._live), "pickled": len(self._pickled)}
