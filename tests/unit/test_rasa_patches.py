"""Each Rasa patch (bot_rasa/patches/) gives the same results as Rasa's own code path.

These need no trained model; tests/unit/test_rasa_patches_model.py compares
the patches that touch NLU and policies on the real model, and
tests/unit/test_rasa_patch_registry.py switches them on and off.
"""

from __future__ import annotations

import pytest
from jsonschema import ValidationError, validate
from rasa.core.actions.action import RemoteAction

from bot_rasa.patches import (
    cached_validators,
    domain_is_empty,
    event_type_lookup,
    gc_freeze,
    lean_requests,
    log_only_copies,
    pooled_http,
)
from tests.unit.patch_helpers import all_patches_on, rasas_own  # noqa: F401 (autouse fixture)

GOOD = {"events": [{"event": "slot", "name": "risk", "value": "storm"}], "responses": [{"response": "utter_greet"}]}
BAD = [
    {"events": [{"event": "slot", "name": 3}], "responses": []},
    {"events": "nope"},
    {"responses": ["not an object"]},
]


# --- cached_validators ---------------------------------------------------------------------


def test_validators_patch_is_applied():
    assert RemoteAction._validate_action_result is cached_validators.validate_action_result


def test_accepts_valid_reply():
    action = RemoteAction("action_x", None)
    assert action._validate_action_result(GOOD) is True


@pytest.mark.parametrize("reply", BAD)
def test_rejects_what_jsonschema_rejects_with_rasas_message(reply):
    with pytest.raises(ValidationError):
        validate(reply, RemoteAction.action_response_format_spec())
    with pytest.raises(ValidationError) as ours:
        RemoteAction("action_x", None)._validate_action_result(reply)
    with pytest.raises(ValidationError) as theirs:
        rasas_own(cached_validators, "_validate_action_result")(RemoteAction("action_x", None), reply)
    assert "Failed to validate Action server response" in ours.value.message
    assert ours.value.message == theirs.value.message


@pytest.mark.parametrize(
    "reply",
    [
        {"text": "hoi", "buttons": []},
        None,
        "",
        {"text": 5},
        {"buttons": "x"},
        {"text": "a", "custom": {"x": 1}},
        {"text": "a", "image": 3},
    ],
)
def test_nlg_validation_gives_rasas_verdict(reply):
    from rasa.core.nlg.callback import CallbackNaturalLanguageGenerator
    from rasa.shared.exceptions import RasaException

    def verdict(validate_response):
        try:
            return validate_response(reply)
        except RasaException as error:
            return str(error)

    ours = verdict(CallbackNaturalLanguageGenerator.validate_response)
    assert ours == verdict(rasas_own(cached_validators, "validate_response"))
    assert ours is True or "Failed to validate NLG response" in ours


def _spec():
    return RemoteAction.action_response_format_spec()


def _reply_variants():
    """Valid and invalid replies for every event type in Rasa's schema."""
    wrong = {"string": 12345, "number": "x", "integer": "x", "object": "x", "array": "x", "boolean": "x", "null": 3}
    branches = _spec()["properties"]["events"]["items"]["oneOf"]
    yield {"events": [], "responses": []}
    yield {"events": [{"event": "no_such_event"}]}
    yield {"events": [{"timestamp": 1.0}]}
    yield {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "bot", "text": 5}]}
    for branch in branches:
        name = branch["properties"]["event"]["const"]
        yield {"events": [{"event": name}]}
        yield {"events": [{"event": name, "timestamp": "yesterday"}]}
        for prop, rule in branch["properties"].items():
            if prop == "event":
                continue
            kinds = rule.get("type", "string")
            kind = kinds[0] if isinstance(kinds, list) else kinds
            yield {"events": [{"event": name, prop: wrong.get(kind, 12345)}]}


@pytest.mark.parametrize("reply", list(_reply_variants()))
def test_event_dispatch_check_matches_jsonschema(reply):
    from jsonschema import validators

    reference = validators.validator_for(_spec())(_spec())
    expected = reference.is_valid(reply)
    validator = cached_validators.action_validator()
    assert validator.by_type is not None, "the fast path must be active for Rasa 3.6's schema"
    assert (not list(validator.iter_errors(reply))) == expected


def test_reply_variants_cover_both_verdicts():
    from jsonschema import validators

    reference = validators.validator_for(_spec())(_spec())
    verdicts = [reference.is_valid(reply) for reply in _reply_variants()]
    assert verdicts.count(True) >= 23 and verdicts.count(False) >= 30


# --- lean_requests -------------------------------------------------------------------------


def test_nlg_request_is_rasas_without_events():
    from rasa.core.nlg import callback
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.slots import TextSlot
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events(
        "s1",
        [UserUttered("hallo", metadata={"region": "VR19"}), SlotSet("region", "VR19")],
        slots=[TextSlot("region", mappings=[{}])],
    )
    assert callback.nlg_request_format is lean_requests.lean_nlg_request_format
    body = callback.nlg_request_format("utter_greet", tracker, "rest", risk_key="storm", response_id="r1")
    rasa_body = rasas_own(lean_requests, "nlg_request_format")(
        "utter_greet", tracker, "rest", risk_key="storm", response_id="r1"
    )
    assert rasa_body["tracker"]["events"], "Rasa sends the events"
    rasa_body["tracker"]["events"] = None
    assert body == rasa_body
    assert body["arguments"] == {"risk_key": "storm"} and body["tracker"]["slots"]["region"] == "VR19"
    assert body["tracker"]["latest_message"]["metadata"] == {"region": "VR19"}


def test_action_call_has_current_turn_events_and_no_domain_unless_needed():
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    domain = Domain.from_yaml("""
version: "3.1"
intents: [greet, inform_budget]
slots:
  kit_budget:
    type: any
    mappings: [{type: custom}]
actions:
  - action_risk_advice
  - validate_noodpakket_form:
      send_domain: true
""")
    events = [
        ActionExecuted("action_listen"),
        UserUttered("hallo", {"name": "greet"}),
        ActionExecuted("utter_greet"),
        ActionExecuted("action_listen"),
        UserUttered("50 euro", {"name": "inform_budget"}),
        SlotSet("kit_budget", 50),
    ]
    tracker = DialogueStateTracker.from_events("s1", events, slots=domain.slots)
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook", enable_selective_domain=True)
    rasas_format = rasas_own(lean_requests, "_action_call_format")

    action = RemoteAction("action_risk_advice", endpoint)
    body = action._action_call_format(tracker, domain)
    full = rasas_format(action, tracker, domain)
    assert [e["event"] for e in body["tracker"]["events"]] == ["user", "slot"]
    assert body["tracker"]["events"] == full["tracker"]["events"][-2:]
    assert {k: v for k, v in body.items() if k != "tracker"} == {k: v for k, v in full.items() if k != "tracker"}
    assert {k: v for k, v in body["tracker"].items() if k != "events"} == {
        k: v for k, v in full["tracker"].items() if k != "events"
    }
    assert body["tracker"]["slots"]["kit_budget"] == 50 and "domain" not in body

    validator = RemoteAction("validate_noodpakket_form", endpoint)
    body = validator._action_call_format(tracker, domain)
    assert body["domain"] == rasas_format(validator, tracker, domain)["domain"]
    assert body["domain"]["slots"]["kit_budget"]["type"] == "any"


def test_new_conversation_sends_all_events():
    from rasa.shared.core.events import ActionExecuted, SessionStarted
    from rasa.shared.core.trackers import DialogueStateTracker

    tracker = DialogueStateTracker.from_events("s2", [ActionExecuted("action_session_start"), SessionStarted()])
    assert len(lean_requests.turn_events(tracker)) == 2


def _trackers_in_every_state():
    """Trackers without a form, with a running form (trigger message with a full
    parse result), an interrupted and rejected form, paused, and empty."""
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionExecutionRejected,
        ActiveLoop,
        ConversationPaused,
        SlotSet,
        UserUttered,
    )
    from rasa.shared.core.slots import AnySlot, TextSlot
    from rasa.shared.core.trackers import DialogueStateTracker

    slots = [
        TextSlot("region", mappings=[{}]),
        AnySlot("kit_household", mappings=[{}]),
        TextSlot("requested_slot", mappings=[{}]),
    ]
    parse = {
        "intent": {"name": "ask_kit", "confidence": 0.99},
        "intent_ranking": [{"name": "ask_kit", "confidence": 0.99}, {"name": "greet", "confidence": 0.01}],
        "entities": [{"entity": "risk", "value": "storm", "start": 0, "end": 5}],
        "text_tokens": [(0, 2), (3, 6)],
        "metadata": {"region": "VR19"},
    }
    start = [ActionExecuted("action_listen"), UserUttered("noodpakket", parse, parse["entities"], input_channel="rest")]
    form = start + [
        ActionExecuted("noodpakket_form"),
        ActiveLoop("noodpakket_form"),
        SlotSet("kit_household", {"adults": 2}),
        SlotSet("requested_slot", "kit_budget"),
        ActionExecuted("action_listen"),
        UserUttered("bedankt", {"intent": {"name": "thank"}}),
    ]
    rejected = form + [ActionExecutionRejected("noodpakket_form"), ActionExecuted("utter_thank")]
    return [
        DialogueStateTracker.from_events("s", events, slots=slots)
        for events in ([], start, form, rejected, form + [ConversationPaused()])
    ]


def test_tracker_state_is_rasas_current_state_without_events():
    from rasa.shared.core.trackers import EventVerbosity

    trackers = _trackers_in_every_state()
    assert any(t.active_loop for t in trackers) and any(not t.active_loop for t in trackers)
    for tracker in trackers:
        assert lean_requests.tracker_state(tracker) == tracker.current_state(EventVerbosity.NONE)


# --- log_only_copies -----------------------------------------------------------------------


def test_log_only_deepcopies_really_only_feed_debug_logs():
    """Guards the patch against a Rasa upgrade: every copy.deepcopy() in these
    modules must sit inside a structlogger.debug(...) call."""
    import ast
    import importlib
    import inspect

    for name in log_only_copies.LOG_ONLY_DEEPCOPY_MODULES:
        module = importlib.import_module(name)
        assert module.copy.deepcopy is log_only_copies.identity
        tree = ast.parse(inspect.getsource(module))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        found = 0
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "copy.deepcopy":
                found += 1
                up = parents[node]
                while not (isinstance(up, ast.Call) and ast.unparse(up.func) == "structlogger.debug"):
                    assert up in parents, f"{name}: copy.deepcopy outside a debug log at line {node.lineno}"
                    up = parents[up]
        assert found, f"{name}: no deepcopy found; drop it from LOG_ONLY_DEEPCOPY_MODULES"


def test_log_only_copy_keeps_shallow_copy():
    import copy

    assert log_only_copies.LOG_ONLY_COPY.copy is copy.copy
    value = {"a": [1]}
    assert log_only_copies.LOG_ONLY_COPY.deepcopy(value) is value


# --- event_type_lookup ---------------------------------------------------------------------


def test_event_types_resolve_as_in_rasa():
    from rasa.shared.core.events import Event, SlotSet
    from rasa.shared.utils.common import all_subclasses

    assert Event.resolve_by_type is event_type_lookup.resolve_event_type
    rasas = rasas_own(event_type_lookup, "resolve_by_type")
    names = {cls.type_name for cls in all_subclasses(Event)} | {"topic"}
    assert len(names) > 20
    for name in names:
        assert Event.resolve_by_type(name) is rasas(name), name
    assert Event.resolve_by_type("nonsense", default=SlotSet) is rasas("nonsense", default=SlotSet) is SlotSet
    for resolve in (Event.resolve_by_type, rasas):
        with pytest.raises(ValueError, match="Unknown event name 'nonsense'"):
            resolve("nonsense")


def test_event_type_defined_later_is_found():
    from rasa.shared.core.events import Event, SlotSet

    assert event_type_lookup.resolve_event_type("nw_test_event", default=int) is int  # caches the miss

    class LaterEvent(SlotSet):  # a concrete event: Rasa skips abstract classes
        type_name = "nw_test_event"

    assert (
        Event.resolve_by_type("nw_test_event")
        is LaterEvent
        is rasas_own(event_type_lookup, "resolve_by_type")("nw_test_event")
    )


# --- pooled_http ---------------------------------------------------------------------------


def test_endpoint_requests_share_one_connection():
    import asyncio

    from aiohttp import web
    from rasa.utils.endpoints import ClientResponseError, EndpointConfig

    peers = []

    async def handler(request):
        peers.append(request.transport.get_extra_info("peername")[1])
        if request.path == "/bad":
            return web.json_response({"error": "nope"}, status=400)
        return web.json_response({"echo": await request.json(), "token": request.query.get("token")})

    async def scenario():
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            endpoint = EndpointConfig(f"http://127.0.0.1:{port}/webhook", token="t0k")
            replies = [
                await endpoint.request(json={"n": n, "tekst": "één/twee \u2028"}, method="post") for n in range(5)
            ]
            with pytest.raises(ClientResponseError) as exc:
                await EndpointConfig(f"http://127.0.0.1:{port}/bad").request(json={}, method="post")
            rasas = await rasas_own(pooled_http, "request")(endpoint, json={"n": 9, "tekst": "één"}, method="post")
            return replies, exc.value.status, rasas
        finally:
            await pooled_http.close_pooled_sessions()
            await runner.cleanup()

    replies, status, rasas = asyncio.run(scenario())
    assert [r["echo"]["n"] for r in replies] == [0, 1, 2, 3, 4]
    assert all(r["echo"]["tekst"] == "één/twee \u2028" for r in replies)
    assert all(r["token"] == "t0k" for r in replies)
    assert rasas == {"echo": {"n": 9, "tekst": "één"}, "token": "t0k"}  # the same reply through Rasa's path
    assert status == 400
    assert len(set(peers[:5])) == 1, "five requests should reuse one kept-alive connection"


@pytest.mark.parametrize(
    "value",
    [
        {"text": "Bel 112! Er is brand / rook", "confidence": 0.9333069162000156, "n": [1, -2, 3.5e-7, None, True]},
        {"unicode": "Fryslân, één, \u2028, emoji \U0001f6a8", "nested": {"a": [{"b": 'c\n\t"q"'}]}},
        {"nan": float("nan")},
        {"big": 2**70},
        {"inf": float("inf")},
        [],
        {},
    ],
)
def test_action_and_nlg_json_decodes_to_the_same_value(value):
    import json
    import math

    ours = json.loads(pooled_http.dumps(value))
    theirs = json.loads(json.dumps(value))
    if "nan" in value:
        assert math.isnan(ours["nan"]) and math.isnan(theirs["nan"])
    else:
        assert ours == theirs


# --- gc_freeze -----------------------------------------------------------------------------


def test_objects_are_frozen_right_after_the_model_loads(monkeypatch):
    from rasa.core.agent import Agent

    assert Agent.load_model is gc_freeze.load_model_then_freeze
    calls = []
    monkeypatch.setattr(gc_freeze, "_rasa_load_model", lambda agent, path: calls.append(("load", path)) or "ok")
    monkeypatch.setattr(gc_freeze, "freeze_startup_objects", lambda: calls.append(("freeze",)))
    assert Agent.load_model(object.__new__(Agent), "models/x.tar.gz") == "ok"
    assert calls == [("load", "models/x.tar.gz"), ("freeze",)]


# --- domain_is_empty -----------------------------------------------------------------------


def test_domain_emptiness_is_rasas_answer():
    from rasa.shared.core.domain import Domain

    assert Domain.is_empty is domain_is_empty.domain_is_empty
    rasas = rasas_own(domain_is_empty, "is_empty")
    for domain in (Domain.empty(), Domain.from_yaml('version: "3.1"\nintents: [greet]')):
        assert domain.is_empty() == rasas(domain)
        assert domain.is_empty() == rasas(domain)  # the cached answer too
    assert Domain.empty().is_empty() and not Domain.from_yaml('version: "3.1"\nintents: [greet]').is_empty()
