"""message_id (issue 21) through the real stack: a retried message reaches Rasa once."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import post_json, rasa_heard

pytestmark = pytest.mark.stack


def test_a_repeated_message_id_gets_the_same_answer_and_rasa_hears_it_once(stack):
    session_id = "test-" + uuid.uuid4().hex
    body = {"session_id": session_id, "message": "Wat doe ik bij een storm?", "message_id": uuid.uuid4().hex}
    status, first = post_json(f"{stack.gateway}/api/v1/chat", body)
    assert status == 200 and first["messages"]
    status, again = post_json(f"{stack.gateway}/api/v1/chat", body)
    assert status == 200 and again == first
    assert rasa_heard(stack, session_id, body["message"]) == 1

    # A new id is a new message, as is a message without an id.
    status, _ = post_json(f"{stack.gateway}/api/v1/chat", {**body, "message_id": uuid.uuid4().hex})
    assert status == 200
    body.pop("message_id")
    status, _ = post_json(f"{stack.gateway}/api/v1/chat", body)
    assert status == 200
    assert rasa_heard(stack, session_id, body["message"]) == 3


@pytest.mark.parametrize("bad", ["kort", "a" * 65, "geen spaties!", 42, None])
def test_an_invalid_message_id_is_a_400(stack, bad):
    body = {"session_id": "test-" + uuid.uuid4().hex, "message": "hoi", "message_id": bad}
    if bad is None:
        body["message_id"] = ""
    status, answer = post_json(f"{stack.gateway}/api/v1/chat", body)
    assert status == 400 and "message_id" in answer["error"]


def test_the_same_message_id_for_another_message_is_a_409(stack):
    body = {"session_id": "test-" + uuid.uuid4().hex, "message": "hoi", "message_id": uuid.uuid4().hex}
    assert post_json(f"{stack.gateway}/api/v1/chat", body)[0] == 200
    status, answer = post_json(f"{stack.gateway}/api/v1/chat", {**body, "message": "iets anders"})
    assert status == 409 and "error" in answer
