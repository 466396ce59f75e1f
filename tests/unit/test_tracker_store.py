"""The tracker store keeps conversations in memory only, and not for long."""

from __future__ import annotations

import asyncio

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import bot_rasa  # noqa: F401
from bot_rasa.tracker_store import ExpiringInMemoryTrackerStore


def run(coro):
    return asyncio.run(coro)


def store(ttl: float = 3600) -> ExpiringInMemoryTrackerStore:
    return ExpiringInMemoryTrackerStore(Domain.empty(), ttl_seconds=ttl)


def session(sender: str, text: str) -> list:
    return [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
        UserUttered(text, {"name": "greet"}),
    ]


def test_saved_conversation_comes_back_with_its_events():
    s = store()
    tracker = DialogueStateTracker.from_events("a", session("a", "hallo"))
    run(s.save(tracker))
    again = run(s.retrieve("a"))
    assert [e.as_dict()["event"] for e in again.events] == ["action", "session_started", "action", "user"]
    assert again.latest_message.text == "hallo"
    assert run(s.retrieve("b")) is None
    assert list(run(s.keys())) == ["a"]


def test_idle_conversations_are_forgotten(monkeypatch):
    import bot_rasa.tracker_store as module

    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    s = store(ttl=60)
    run(s.save(DialogueStateTracker.from_events("old", session("old", "ik heb een baby"))))
    now[0] += 30
    run(s.save(DialogueStateTracker.from_events("new", session("new", "hoi"))))
    now[0] += 45  # "old" idle 75 s, "new" 45 s
    assert run(s.retrieve("old")) is None
    assert run(s.retrieve("new")) is not None
    assert list(run(s.keys())) == ["new"]


def test_only_the_last_session_is_returned_like_rasa_does():
    s = store()
    events = session("a", "eerste") + [SlotSet("kit_budget", 50)] + session("a", "tweede")
    run(s.save(DialogueStateTracker.from_events("a", events)))
    last = run(s.retrieve("a"))
    assert [e.text for e in last.events if isinstance(e, UserUttered)] == ["tweede"]
    full = run(s.retrieve_full_tracker("a"))
    assert [e.text for e in full.events if isinstance(e, UserUttered)] == ["eerste", "tweede"]


def test_conversations_do_not_leak_into_each_other():
    s = store()
    run(s.save(DialogueStateTracker.from_events("a", session("a", "geheim van a"))))
    run(s.save(DialogueStateTracker.from_events("b", session("b", "van b"))))
    assert run(s.retrieve("b")).latest_message.text == "van b"
    assert run(s.retrieve("a")).latest_message.text == "geheim van a"


def test_least_recently_active_conversations_are_pickled_and_come_back():
    s = ExpiringInMemoryTrackerStore(Domain.empty(), max_live=2)
    for sender in ("a", "b", "c"):
        run(s.save(DialogueStateTracker.from_events(sender, session(sender, f"bericht van {sender}"))))
    assert s.stored_counts() == {"live": 2, "pickled": 1}
    back = run(s.retrieve("a"))  # the oldest: was pickled
    assert back.latest_message.text == "bericht van a"
    assert back.sender_id == "a" and len(back.events) == 4
    assert s.stored_counts() == {"live": 2, "pickled": 1}, "a is live again, another one is pickled"
    assert sorted(run(s.keys())) == ["a", "b", "c"]
    for sender in ("b", "c"):
        assert run(s.retrieve(sender)).latest_message.text == f"bericht van {sender}"


def test_pickled_conversations_expire_too(monkeypatch):
    import bot_rasa.tracker_store as module

    now = [0.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    s = ExpiringInMemoryTrackerStore(Domain.empty(), ttl_seconds=60, max_live=1)
    run(s.save(DialogueStateTracker.from_events("a", session("a", "mijn medicijnen"))))
    run(s.save(DialogueStateTracker.from_events("b", session("b", "hoi"))))
    assert s.stored_counts() == {"live": 1, "pickled": 1}
    now[0] += 61
    assert run(s.retrieve("a")) is None
    assert s.stored_counts() == {"live": 0, "pickled": 0}


def test_freed_memory_is_given_back_at_most_once_per_interval(monkeypatch):
    # glibc keeps freed pages dirty (RSS grows under a steady load, make soak);
    # malloc_trim(0) gives them back, but not on every message.
    from bot_rasa import tracker_store

    calls: list[int] = []
    monkeypatch.setattr(tracker_store, "_malloc_trim", lambda pad: calls.append(pad) or 1)
    returner = tracker_store.FreedMemoryReturner(interval_s=30.0)
    start = returner._last
    assert not returner.maybe_trim(start + 10)
    assert returner.maybe_trim(start + 31)
    assert not returner.maybe_trim(start + 40)
    assert returner.maybe_trim(start + 62)
    assert calls == [0, 0] and returner.trims == 2


def test_the_store_gives_freed_memory_back_while_saving(monkeypatch):
    from bot_rasa import tracker_store

    calls: list[int] = []
    monkeypatch.setattr(tracker_store, "_malloc_trim", lambda pad: calls.append(pad) or 1)
    s = store()
    s.memory.interval_s = 0.0
    run(s.save(DialogueStateTracker.from_events("a", session("a", "hallo"))))
    assert calls == [0]


def test_malloc_trim_is_found_on_glibc():
    from bot_rasa import tracker_store

    assert tracker_store._malloc_trim is not None  # Debian and the container images use glibc
    assert tracker_store._malloc_trim(0) in (0, 1)


def test_cyclic_garbage_is_collected_when_start_up_objects_are_frozen(monkeypatch):
    from bot_rasa import tracker_store

    collected: list[int] = []
    monkeypatch.setattr(tracker_store, "_malloc_trim", lambda pad: 1)
    monkeypatch.setattr(tracker_store.gc, "get_freeze_count", lambda: 1000)
    monkeypatch.setattr(tracker_store.gc, "collect", lambda: collected.append(1) or 0)
    returner = tracker_store.FreedMemoryReturner(interval_s=30.0)
    assert returner.maybe_trim(returner._last + 31)
    assert collected == [1]
    monkeypatch.setattr(tracker_store.gc, "get_freeze_count", lambda: 0)  # not frozen: a full pass would be slow
    assert returner.maybe_trim(returner._last + 31)
    assert collected == [1]
