"""bot/ops/memory.py: start-up objects are left out of later garbage collections."""

from __future__ import annotations

import gc

import pytest

from bot.ops.memory import freeze_startup_objects


@pytest.fixture
def unfreeze_after():
    yield
    gc.unfreeze()


def _tracked(obj) -> bool:
    return any(other is obj for other in gc.get_objects())


def test_objects_alive_at_freeze_are_no_longer_walked(unfreeze_after):
    before = {"knowledge": ["lots", "of", "data"]}
    assert _tracked(before)
    frozen = freeze_startup_objects()
    assert frozen == gc.get_freeze_count() > 0
    assert not _tracked(before)
    after = {"conversation": []}
    assert _tracked(after), "objects made later are still collected"


def test_garbage_is_collected_before_freezing(unfreeze_after):
    class Node:
        pass

    cycle = Node()
    cycle.me = cycle  # only the collector can free a cycle
    del cycle
    freeze_startup_objects()
    assert not any(type(o) is Node for o in gc.get_objects())
    gc.unfreeze()
    assert not any(type(o) is Node for o in gc.get_objects()), "the cycle was freed, not frozen"
