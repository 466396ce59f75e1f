"""Performance fix for Rasa 3.6, applied when Rasa imports bot_rasa.

RemoteAction._validate_action_result and the NLG callback's
validate_response call jsonschema.validate(), which re-checks Rasa's
constant schemas against the JSON-Schema metaschema on every reply.
Profiling the full stack under load (20 residents) showed this at ~64% and
then ~14% of Rasa's CPU time. We check each schema once and reuse its
validator, so behaviour (which replies are rejected, and the error
message) is unchanged.

The NLG request also carried every event of the conversation, which grows
each turn; bot/nlg/server.py reads only slots and the latest message, so we
send the tracker state without the event list.

A second profile (20 residents, docs/performance.md) showed more wasted
work, each removed here without changing what Rasa decides:
- every call to the action server and the NLG endpoint opened and closed its
  own HTTP connection (~12 % of CPU); we keep one pooled session per endpoint;
- debug-log calls deep-copied states and events even with debug logging off
  (~8 %); the copies only fed those log calls, so they now pass the object;
- every deserialised event searched all Event subclasses for its type name;
  we look the name up in a table built once;
- every action call serialised the whole conversation (and the domain); our
  actions and rasa_sdk's form validation only read the current turn's events
  (from the latest user message on), so only those are sent; the domain goes
  only to the form validators (selective domain, see domain.yml);
- every NLU parse and every policy prediction rebuilt the same sub-graph of
  the model (quadratic dependency search); it depends only on the targets,
  so we build it once per target list;
- DIET's prediction went through tf.function's argument binding on every
  message (~1.5 ms of ~5 ms); its input signature is fixed, so we call the one
  concrete function directly with the same tensors (same outputs; tested).

A third round (cProfile of Rasa handling whole conversations in-process):
- dask's local scheduler cost ~1.5 ms per graph run for a dozen nodes that
  run one after the other anyway; run_in_order runs them directly;
- the featurizers' sparse matrices were joined pairwise with scipy's hstack
  (a checked intermediate matrix per step); _combine_features joins once;
- RulePolicy decoded and reversed every rule (JSON) at every turn of every
  prediction; _possible_rule_keys decodes each rule once and keeps Rasa's
  own matching and set order;
- action/NLG bodies are encoded with ujson (json for what it refuses).

A fourth round:
- a full garbage collection walked the whole loaded model (~0.6 s, all
  residents on the replica waiting); objects alive after the model has loaded
  are frozen (bot/ops/memory.py), see _load_model_then_freeze;
- RulePolicy tries only the rules that can match the current previous action
  (_RuleIndex);
- the tracker state for action/NLG calls no longer deep-copies the active
  loop (tracker_state), and Domain.is_empty is answered once per domain;
- a form coming back after a digression ("bedankt" while it asks something)
  is not validated a second time with the same inputs after the first
  validation of that message said nothing (_validate_if_required).
"""
from __future__ import annotations

import asyncio
import dataclasses
import functools
import json
import types
from typing import Any, Dict, Optional, Text

import aiohttp
import ujson
from aiohttp import ContentTypeError

from jsonschema import ValidationError, exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg import callback
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, ClientResponseError, EndpointConfig, concat_url

from bot.ops.memory import freeze_startup_objects


def _checked_validator(schema: Dict[Text, Any]) -> Any:
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


class _EventDispatchValidator:
    """Rasa's action-reply check, with the same verdict in less time.

    The schema checks each event against a `oneOf` of 23 event types, so every
    event was tried against every type. Each type pins a different `event`
    name, so an event can only ever match the type with its own name: we check
    the reply without the `oneOf`, then each event against that one type.
    Anything that fails goes through the full validator, so rejected replies
    get exactly Rasa's error.
    """

    def __init__(self, schema: Dict[Text, Any]) -> None:
        import copy

        self._full = _checked_validator(schema)
        self._by_type: Optional[Dict[Text, Any]] = None
        branches = schema["properties"]["events"]["items"].get("oneOf", [])
        names = [branch.get("properties", {}).get("event", {}).get("const") for branch in branches]
        if not names or None in names or len(set(names)) != len(names) or "$ref" in str(schema):
            return  # not the shape we know: always use the full check
        outer = copy.deepcopy(schema)
        del outer["properties"]["events"]["items"]["oneOf"]
        self._outer = _checked_validator(outer)
        self._by_type = {name: _checked_validator(branch) for name, branch in zip(names, branches)}

    def _fast_valid(self, document: Any) -> bool:
        if not self._outer.is_valid(document):
            return False
        for event in document.get("events", ()):
            branch = self._by_type.get(event["event"])
            if branch is None or not branch.is_valid(event):
                return False
        return True

    def iter_errors(self, document: Any) -> Any:
        if self._by_type is not None and self._fast_valid(document):
            return iter(())
        return self._full.iter_errors(document)


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    return _EventDispatchValidator(RemoteAction.action_response_format_spec())


@functools.lru_cache(maxsize=1)
def _nlg_validator() -> Any:
    return _checked_validator(callback.nlg_response_format_spec())


def _validate_nlg_response(content: Any) -> bool:
    if content is None or content == "":
        return True  # the endpoint did not want to respond with anything
    error = exceptions.best_match(_nlg_validator().iter_errors(content))
    if error is not None:
        raise RasaException(f"{error.message}. Failed to validate NLG response from API.")
    return True


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    error = exceptions.best_match(_validator().iter_errors(result))
    if error is not None:
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def _lean_nlg_request_format(utter_action: Text, tracker: Any, output_channel: Text, **kwargs: Any) -> Dict[Text, Any]:
    """Same body as rasa.core.nlg.callback.nlg_request_format, minus the events."""
    response_id = kwargs.pop("response_id", None)
    return {
        "response": utter_action,
        "id": response_id,
        "arguments": kwargs,
        "tracker": tracker_state(tracker),
        "channel": {"name": output_channel},
    }


def tracker_state(tracker: Any) -> Dict[Text, Any]:
    """tracker.current_state(EventVerbosity.NONE), without copying the active loop.

    Rasa copies the loop with dataclasses.asdict, field by field down to every
    value of the message that started the form (~0.5 ms per call). The state
    is only encoded as JSON for the action server or the NLG endpoint, so the
    same values without a copy give the same body.
    """
    loop = tracker.active_loop
    events = tracker.events
    return {
        "sender_id": tracker.sender_id,
        "slots": tracker.current_slot_values(),
        "latest_message": tracker._latest_message_data(),
        "latest_event_time": events[-1].timestamp if len(events) > 0 else None,
        "followup_action": tracker.followup_action,
        "paused": tracker.is_paused(),
        "events": None,
        "latest_input_channel": tracker.get_latest_input_channel(),
        "active_loop": {field.name: getattr(loop, field.name) for field in dataclasses.fields(loop)} if loop else {},
        "latest_action": tracker.latest_action,
        "latest_action_name": tracker.latest_action_name,
    }


def _domain_is_empty(self: Any) -> bool:
    """Domain.is_empty, answered once per domain.

    Rasa asks it for every parsed message and answers by building an empty
    Domain and comparing both as dicts. A loaded domain does not change.
    """
    cached = self.__dict__.get("_nw_is_empty")
    if cached is None:
        cached = self.__dict__["_nw_is_empty"] = _original_is_empty(self)
    return cached


# Shorter than the servers' idle timeout (Sanic: 5 s), so a pooled connection is
# never reused at the moment the server closes it.
KEEPALIVE_SECONDS = 2.0
_sessions: Dict[Any, aiohttp.ClientSession] = {}


def _pooled_session(endpoint: Any) -> aiohttp.ClientSession:
    """One keep-alive session per endpoint configuration and event loop."""
    loop = asyncio.get_running_loop()
    key = (id(loop), endpoint.url, tuple(sorted(endpoint.headers.items())),
           tuple(sorted(endpoint.basic_auth.items())))
    session = _sessions.get(key)
    if session is None or session.closed:
        auth = None
        if endpoint.basic_auth:  # same headers, auth and timeout as EndpointConfig.session()
            auth = aiohttp.BasicAuth(endpoint.basic_auth["username"], endpoint.basic_auth["password"])
        session = aiohttp.ClientSession(
            headers=endpoint.headers, auth=auth, json_serialize=_dumps,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS),
        )
        _sessions[key] = session
    return session


def _dumps(value: Any) -> str:
    """JSON for action and NLG calls: ujson (Sanic's own encoder, ~3x faster than
    the json module); whatever it refuses (NaN, huge ints) goes through json."""
    try:
        return ujson.dumps(value, ensure_ascii=False, escape_forward_slashes=False)
    except (OverflowError, TypeError, ValueError):
        return json.dumps(value)


async def close_pooled_sessions() -> None:
    """Close the sessions of the running event loop (tests; Rasa keeps them for its lifetime)."""
    loop_id = id(asyncio.get_running_loop())
    for key in [key for key in _sessions if key[0] == loop_id]:
        await _sessions.pop(key).close()


async def _pooled_request(self: Any, method: Text = "post", subpath: Optional[Text] = None,
                          content_type: Optional[Text] = "application/json", compress: bool = False,
                          **kwargs: Any) -> Optional[Any]:
    """EndpointConfig.request on a pooled session; plain-http endpoints only."""
    if self.cafile:  # custom TLS setup: keep Rasa's own code path
        return await _original_request(self, method, subpath, content_type, compress, **kwargs)
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs.pop("headers"))
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    session = _pooled_session(self)
    async with session.request(method, url, headers=headers, params=self.combine_parameters(kwargs),
                               compress=compress, **kwargs) as response:
        if response.status >= 400:
            raise ClientResponseError(response.status, response.reason, await response.content.read())
        try:
            return await response.json()
        except ContentTypeError:
            return None


_original_request = None


def _identity(value: Any, memo: Any = None) -> Any:
    return value


# Stands in for the `copy` module in Rasa modules whose only deepcopy calls
# feed debug-log statements (checked for rasa 3.6.21; see tests).
_LOG_ONLY_COPY = types.SimpleNamespace(deepcopy=_identity, copy=__import__("copy").copy)
LOG_ONLY_DEEPCOPY_MODULES = (
    "rasa.core.processor",
    "rasa.core.policies.memoization",
    "rasa.core.policies.rule_policy",
)


@functools.lru_cache(maxsize=None)
def _event_class(type_name: Text) -> Optional[type]:
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.events import Event
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.utils.common import all_subclasses

    for cls in all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    return None


def _resolve_event_type(type_name: Text, default: Optional[type] = None) -> Optional[type]:
    """Event.resolve_by_type with the subclass search cached (same results)."""
    cls = _event_class(type_name)
    if cls is not None:
        return cls
    _event_class.cache_clear()  # a subclass may have been defined since
    cls = _event_class(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def turn_events(tracker: Any) -> list:
    """The current turn: events from the latest user message on (all when none)."""
    from rasa.shared.core.events import UserUttered

    events = list(tracker.events)
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            return events[index:]
    return events


def _lean_action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> Dict[Text, Any]:
    """RemoteAction._action_call_format with only the current turn's events."""
    import rasa

    state = tracker_state(tracker)
    state["events"] = [event.as_dict() for event in turn_events(tracker)]
    result = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state,
              "version": rasa.__version__}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


def _graph_run_with_cached_schema(self: Any, inputs: Optional[Dict[Text, Any]] = None,
                                  targets: Optional[list] = None) -> Dict[Text, Any]:
    """DaskGraphRunner.run, reusing the graph built for these targets.

    The graph is a dozen nodes run one after the other in one thread; dask's
    local scheduler (task ordering, queues, callbacks) cost more than the
    nodes' own bookkeeping, so they are run directly, each node once, every
    node after the nodes it needs.
    """
    from rasa.engine.exceptions import GraphRunError

    run_targets = targets if targets else self._graph_schema.target_names
    built = self.__dict__.setdefault("_nw_graphs", {})
    key = tuple(run_targets)
    if key not in built:
        built[key] = self._build_dask_graph(self._graph_schema.minimal_graph_schema(run_targets))
    run_graph = dict(built[key])  # inputs are added per run
    if inputs:
        self._add_inputs_to_graph(inputs, run_graph)
    try:
        return dict(run_in_order(run_graph, run_targets))
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


def run_in_order(graph: Dict[Text, Any], targets: list) -> list:
    """dask.get for Rasa's graphs, in one thread.

    A node is (callable, *names of the nodes it needs); an input is a literal
    (name, value) pair, passed on as it is.
    """
    done: Dict[Text, Any] = {}

    def value(name: Text) -> Any:
        if name in done:
            return done[name]
        task = graph[name]
        if isinstance(task, tuple) and task and callable(task[0]):
            # Like dask, a name that is not in the graph is passed on literally.
            result = task[0](*(value(need) if need in graph else need for need in task[1:]))
        else:
            result = task
        done[name] = result
        return result

    return [value(target) for target in targets]


def _combine_features(features: list, featurizers: list) -> Any:
    """Message._combine_features for sparse features in one step.

    Rasa joins the featurizers' matrices pairwise with scipy's hstack, which
    builds and checks an intermediate COO matrix at every step. Gluing the
    COO arrays once gives the same matrix (same entries, order and dtype).
    """
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features

    if len(features) < 2 or not all(f.is_sparse() for f in features) \
            or len({f.features.shape[0] for f in features}) != 1:
        return _original_combine_features(features, featurizers)  # Rasa's own path and errors
    blocks = [f.features.tocoo() for f in features]
    offsets = np.cumsum([0] + [block.shape[1] for block in blocks])
    matrix = scipy.sparse.coo_matrix(
        (np.concatenate([block.data for block in blocks]),
         (np.concatenate([block.row for block in blocks]),
          np.concatenate([block.col + offset for block, offset in zip(blocks, offsets)]))),
        shape=(blocks[0].shape[0], int(offsets[-1])),
    )
    first = features[0]
    return Features(matrix, first.type, first.attribute, featurizers)


def _possible_rule_keys(self: Any, lookup: Dict[Text, Text], states: list) -> set:
    """RulePolicy._get_possible_keys with each rule's states decoded once.

    Rasa decodes the rule (JSON), reverses it and turns lists into tuples for
    every rule at every turn of every prediction. Here that is done once per
    rule; the matching itself is Rasa's own (_does_rule_match_state), and the
    sets are built in the same order, so ties between rules break the same way.
    At the current turn only rules that can match its previous action are
    tried (see _RuleIndex).
    """
    from rasa.shared.core.constants import PREVIOUS_ACTION

    cache = self.__dict__.setdefault("_nw_rule_states", {})
    prepared = cache.get(id(lookup))
    if prepared is None or prepared.keys != lookup.keys():
        prepared = cache[id(lookup)] = _RuleIndex(self, lookup)
    rules = prepared.rules
    match = self._does_rule_match_state

    def applicable(key: Text, turn: int, state: Dict[Text, Any]) -> bool:
        # Same steps as RulePolicy._is_rule_applicable.
        rule_states = rules[key]
        if turn >= len(rule_states):
            return True
        current_previous = state.get(PREVIOUS_ACTION)
        rule_previous = rule_states[turn].get(PREVIOUS_ACTION)
        if not rule_previous and not current_previous:
            return True
        if not rule_previous or not current_previous:
            return False
        return match(rule_states[turn], state)

    if not states:
        return set(lookup.keys())  # as Rasa builds it (a set's order depends on how it was filled)
    reversed_states = list(reversed(states))
    current = reversed_states[0]
    # Rasa filters set(lookup) with each turn; the same keys inserted in the same
    # order give the same set, iteration order included.
    possible = set(sorted((key for key in prepared.candidates(current.get(PREVIOUS_ACTION))
                           if applicable(key, 0, current)), key=prepared.position.__getitem__))
    for turn, state in enumerate(reversed_states[1:], start=1):
        if not possible:
            break
        possible = set(filter(lambda key: applicable(key, turn, state), possible))
    return possible


class _RuleIndex:
    """A rule table decoded once, with its rules grouped by the previous action
    their current turn needs.

    _does_rule_match_state only accepts a rule whose current state names a
    previous action (action_name) when the conversation has that same previous
    action; a rule without a previous action only when the conversation has
    none either. Every other rule (no states, action_text, SHOULD_NOT_BE_SET,
    ...) is always tried.
    """

    def __init__(self, policy: Any, lookup: Dict[Text, Text]) -> None:
        from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET

        self.keys = frozenset(lookup)
        self.order = list(set(lookup.keys()))  # the order of Rasa's set(lookup.keys())
        self.position = {key: index for index, key in enumerate(self.order)}
        self.rules = {key: [_tuples_for_lists(state) for state in reversed(policy._rule_key_to_state(key))]
                      for key in lookup}
        self._always: list = []
        self._without_previous: list = []
        self._by_action: Dict[Text, list] = {}
        for key in self.order:
            states = self.rules[key]
            previous = states[0].get(PREVIOUS_ACTION) if states else None
            name = previous.get("action_name") if previous else None
            if not states:
                self._always.append(key)
            elif not previous:
                self._without_previous.append(key)
            elif set(previous) == {"action_name"} and name and name != SHOULD_NOT_BE_SET:
                self._by_action.setdefault(name, []).append(key)
            else:
                self._always.append(key)

    def candidates(self, previous: Optional[Dict[Text, Any]]) -> list:
        if not previous:
            return self._always + self._without_previous
        return self._always + self._by_action.get(previous.get("action_name"), [])


def _tuples_for_lists(state: Dict[Text, Any]) -> Dict[Text, Any]:
    """A rule state with list values as tuples, as _does_rule_match_state compares them."""
    return {kind: {k: tuple(v) if isinstance(v, list) else v for k, v in sub_state.items()}
            for kind, sub_state in state.items()}


_original_possible_keys = None
_original_combine_features = None
_original_rasa_predict = None
_original_graph_run = None
_original_load_model = None
_original_is_empty = None
_original_validate_slots = None
_original_validate_if_required = None


def _as_tensor(value: Any, dtype: Any) -> Any:
    import numpy as np
    import tensorflow as tf

    if isinstance(value, np.ndarray) and value.dtype == dtype.as_numpy_dtype:
        return tf.constant(value)  # the common case, without convert_to_tensor's dispatch
    tensor = tf.convert_to_tensor(value, dtype_hint=dtype)
    return tensor if tensor.dtype == dtype else tf.cast(tensor, dtype)


def _flat_rasa_predict(self: Any, batch_in: Any) -> Dict[Text, Any]:
    """RasaModel._rasa_predict without tf.function's per-call dispatch."""
    import tensorflow as tf
    from keras.utils import tf_utils
    from rasa.shared.constants import DIAGNOSTIC_DATA

    if self._run_eagerly or self._tf_predict_step is None:
        return _original_rasa_predict(self, batch_in)  # first call traces the function
    concrete = self.__dict__.get("_nw_concrete")
    if concrete is None:
        concrete = self._tf_predict_step.get_concrete_function()
        specs = tf.nest.flatten(concrete.structured_input_signature, expand_composites=True)
        self._nw_concrete = concrete
        self._nw_dtypes = [spec.dtype for spec in specs]
    flat = tf.nest.flatten(batch_in, expand_composites=True)
    if len(flat) != len(self._nw_dtypes):
        return _original_rasa_predict(self, batch_in)
    tensors = [_as_tensor(value, dtype) for value, dtype in zip(flat, self._nw_dtypes)]
    outputs = tf_utils.sync_to_numpy_or_python_type(concrete._call_flat(tensors, concrete.captured_inputs))
    if DIAGNOSTIC_DATA in outputs:
        outputs[DIAGNOSTIC_DATA] = self._empty_lists_to_none_in_dict(outputs[DIAGNOSTIC_DATA])
    return outputs


def _load_model_then_freeze(self: Any, *args: Any, **kwargs: Any) -> Any:
    result = _original_load_model(self, *args, **kwargs)
    freeze_startup_objects()
    return result


async def _validate_slots_remembering(self: Any, slot_candidates: Dict[Text, Any], tracker: Any, domain: Any,
                                      output_channel: Any, nlg: Any) -> list:
    events = await _original_validate_slots(self, slot_candidates, tracker, domain, output_channel, nlg)
    # What the validation said for this message (see _validate_if_required). Kept on
    # the message event: Rasa gives every action run its own copy of the tracker,
    # and the copies share the event objects.
    message = tracker.latest_message
    if message is not None:
        message.__dict__["_nw_validated"] = (self.name(), bool(slot_candidates), bool(events))
    return events


async def _validate_if_required(self: Any, tracker: Any, domain: Any, output_channel: Any, nlg: Any) -> list:
    """FormAction._validate_if_required, without asking the validator the same question twice.

    When a form comes back after a digression ("bedankt" while the form asks
    something), Rasa calls its validation action again with no new values.
    If, earlier in this turn, the validation of this same message got no
    values, answered nothing at all, and so the form was rejected, and no slot
    has been set since, the question is the same and so is the answer:
    nothing. Any other case goes to Rasa's own method.
    """
    from rasa.shared.core.constants import ACTION_LISTEN_NAME
    from rasa.shared.core.events import ActionExecutionRejected, SlotSet, UserUttered

    returning = tracker.active_loop and not (
        tracker.latest_action_name == ACTION_LISTEN_NAME and not tracker.is_active_loop_interrupted)
    message = tracker.latest_message
    said = message.__dict__.get("_nw_validated") if message is not None else None
    if returning and said == (self.name(), False, False):
        for event in reversed(tracker.events):
            if isinstance(event, ActionExecutionRejected) and event.action_name == self.name():
                return []  # rejected this turn, nothing set since
            if isinstance(event, (SlotSet, UserUttered)):
                break
    return await _original_validate_if_required(self, tracker, domain, output_channel, nlg)


def apply() -> None:
    """Install every fix above; safe to call more than once."""
    import importlib

    from rasa.core.actions.forms import FormAction
    from rasa.core.agent import Agent
    from rasa.shared.core.domain import Domain
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.events import Event
    from rasa.shared.nlu.training_data.message import Message
    from rasa.utils.tensorflow.models import RasaModel

    replacements = (  # (owner, attribute, ours, module global that keeps Rasa's own)
        (EndpointConfig, "request", _pooled_request, "_original_request"),
        (RasaModel, "_rasa_predict", _flat_rasa_predict, "_original_rasa_predict"),
        (DaskGraphRunner, "run", _graph_run_with_cached_schema, "_original_graph_run"),
        (Message, "_combine_features", staticmethod(_combine_features), "_original_combine_features"),
        (RulePolicy, "_get_possible_keys", _possible_rule_keys, "_original_possible_keys"),
        (Agent, "load_model", _load_model_then_freeze, "_original_load_model"),
        (Domain, "is_empty", _domain_is_empty, "_original_is_empty"),
        (FormAction, "validate_slots", _validate_slots_remembering, "_original_validate_slots"),
        (FormAction, "_validate_if_required", _validate_if_required, "_original_validate_if_required"),
    )
    for owner, attribute, ours, original in replacements:
        if globals()[original] is None:  # only once, so a second apply() keeps Rasa's version
            globals()[original] = getattr(owner, attribute)
            setattr(owner, attribute, ours)
    for name in LOG_ONLY_DEEPCOPY_MODULES:
        importlib.import_module(name).copy = _LOG_ONLY_COPY
    Event.resolve_by_type = staticmethod(_resolve_event_type)  # type: ignore[assignment]
    callback.nlg_request_format = _lean_nlg_request_format
    RemoteAction._action_call_format = _lean_action_call_format  # type: ignore[assignment]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[assignment]
    callback.CallbackNaturalLanguageGenerator.validate_response = staticmethod(_validate_nlg_response)  # type: ignore[assignment]


__all__ = ["apply", "ValidationError"]
