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
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
            UserUttered(text, {"name": "greet"})]


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
