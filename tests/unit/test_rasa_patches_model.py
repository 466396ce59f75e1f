"""The patches that touch NLU and policies give Rasa's answers on the real model.

diet_predict, graph_in_order, sparse_join and rule_index, each compared with
Rasa's own code path (the patch switched off, or Rasa's function called).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml

from bot.ops.stack import latest_model
from bot_rasa.patches import diet_predict, graph_in_order, rule_index, sparse_join
from tests.unit.patch_helpers import all_patches_on, rasas_own  # noqa: F401 (autouse fixture)

ROOT = Path(__file__).resolve().parents[2]
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")


def heldout_texts(limit: int = 40) -> list[str]:
    texts = [
        "hallo",
        "50 euro",
        "en daarna?",
        "wat moet ik doen als de stroom uitvalt",
        "we zijn met 2 volwassenen en 2 kinderen en een hond",
        "ik woon in 's-Hertogenbosch",
    ]
    data = yaml.safe_load((ROOT / "tests" / "nlu" / "risks_heldout.yml").read_text(encoding="utf-8"))
    for item in data.get("nlu", data) if isinstance(data, dict) else data:
        examples = item.get("examples", "") if isinstance(item, dict) else ""
        texts += [
            ANNOTATION.sub(r"\1", line.strip()[2:]) for line in examples.splitlines() if line.strip().startswith("- ")
        ]
    return texts[:limit]


@pytest.fixture(scope="module")
def agent(all_patches_on):  # noqa: F811 (the shared fixture, imported above)
    from rasa.core.agent import Agent

    return Agent.load(str(latest_model()))


def parse_all(agent, texts):
    async def go():
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(go())


def test_diet_patch_is_active():
    from rasa.utils.tensorflow.models import RasaModel

    assert RasaModel._rasa_predict is diet_predict.flat_rasa_predict


def test_same_intents_confidences_and_entities(agent):
    from rasa.utils.tensorflow.models import RasaModel

    texts = heldout_texts()
    assert len(texts) >= 30 and not any("[" in text for text in texts)
    parse_all(agent, texts[:2])  # first call traces the function through the original path
    fast = parse_all(agent, texts)
    diet_predict.revert()
    try:
        assert RasaModel._rasa_predict.__module__ == "rasa.utils.tensorflow.models"
        slow = parse_all(agent, texts)
    finally:
        diet_predict.apply()
    for a, b in zip(fast, slow):
        assert a["intent"]["name"] == b["intent"]["name"], a["text"]
        assert a["intent"]["confidence"] == pytest.approx(b["intent"]["confidence"], abs=1e-5)
        assert [(r["name"], round(r["confidence"], 5)) for r in a["intent_ranking"]] == [
            (r["name"], round(r["confidence"], 5)) for r in b["intent_ranking"]
        ]
        assert a["entities"] == b["entities"]


def test_graph_runner_reuses_its_graph_and_answers_the_same(agent, monkeypatch):
    from rasa.engine.runner.dask import DaskGraphRunner

    runner = agent.processor.graph_runner
    assert DaskGraphRunner.run is graph_in_order.graph_run
    fast = parse_all(agent, ["hallo", "wat doe ik bij hitte", "ik woon in Zwolle"])
    assert runner._nw_graphs, "the built graph is kept"
    graphs = dict(runner._nw_graphs)
    parse_all(agent, ["nog een vraag"])
    assert all(runner._nw_graphs[key] is graph for key, graph in graphs.items()), "not rebuilt per message"
    monkeypatch.setattr(DaskGraphRunner, "run", rasas_own(graph_in_order, "run"))
    slow = parse_all(agent, ["hallo", "wat doe ik bij hitte", "ik woon in Zwolle"])
    assert [(p["intent"]["name"], p["entities"]) for p in fast] == [(p["intent"]["name"], p["entities"]) for p in slow]


# --- graph runner without dask's scheduler ------------------------------------


def test_run_in_order_answers_like_dask_get():
    import dask

    calls = []

    def node(name):
        def run(*inputs):
            calls.append(name)
            return (name, [value for value in inputs])

        return run

    graph = {
        "__message__": ("__message__", ["een", "bericht"]),  # an input: a literal pair
        "tokens": (node("tokens"), "__message__"),
        "features": (node("features"), "tokens", "not_a_node"),
        "intent": (node("intent"), "features", "tokens"),
        "unused": (node("unused"), "tokens"),
    }
    expected = dask.get(graph, ["intent", "tokens"])
    calls.clear()
    assert graph_in_order.run_in_order(graph, ["intent", "tokens"]) == list(expected)
    assert sorted(calls) == ["features", "intent", "tokens"], "each needed node once, unused nodes never"


def test_run_in_order_passes_node_errors_on():
    def broken(*_):
        raise RuntimeError("kapot")

    with pytest.raises(RuntimeError, match="kapot"):
        graph_in_order.run_in_order({"a": (broken,)}, ["a"])


def test_graph_runner_predicts_the_same_actions(agent, monkeypatch):
    """The dialogue graph (policies) through both runners, on real trackers."""
    from rasa.engine.runner.dask import DaskGraphRunner
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = agent.processor.domain
    tracker = DialogueStateTracker("graph-test", domain.slots)
    predictions = []
    for text, intent in [
        ("hallo", "greet"),
        ("wat doe ik bij hitte", "ask_risk"),
        ("ik wil een noodpakket", "ask_kit"),
    ]:
        tracker.update(UserUttered(text, {"name": intent, "confidence": 1.0}))
        fast = agent.processor._predict_next_with_tracker(tracker)
        monkeypatch.setattr(DaskGraphRunner, "run", rasas_own(graph_in_order, "run"))
        slow = agent.processor._predict_next_with_tracker(tracker)
        monkeypatch.setattr(DaskGraphRunner, "run", graph_in_order.graph_run)
        assert (fast.max_confidence_index, fast.policy_name, fast.probabilities) == (
            slow.max_confidence_index,
            slow.policy_name,
            slow.probabilities,
        )
        predictions.append(domain.action_names_or_texts[fast.max_confidence_index])
        tracker.update(ActionExecuted(predictions[-1]))
        tracker.update(ActionExecuted("action_listen"))
    assert predictions[1] == "action_risk_advice"


# --- sparse features joined in one step -----------------------------------------


def _sparse_features(rows, widths, seed, origin_prefix="f"):
    import numpy as np
    import scipy.sparse
    from rasa.shared.nlu.training_data.features import Features

    rng = np.random.default_rng(seed)
    result = []
    for i, width in enumerate(widths):
        dense = rng.integers(0, 3, size=(rows, width)) * (rng.random((rows, width)) < 0.3)
        matrix = scipy.sparse.coo_matrix(dense.astype(np.float32 if i % 2 else np.float64))
        result.append(Features(matrix, "sequence", "text", f"{origin_prefix}{i}"))
    return result


@pytest.mark.parametrize(
    "rows,widths,seed", [(1, [5, 3], 1), (7, [40, 1, 12, 9], 2), (3, [2, 2, 2], 3), (12, [300, 50], 4)]
)
def test_combined_sparse_features_equal_rasas(rows, widths, seed):
    import copy

    features = _sparse_features(rows, widths, seed)
    ours = sparse_join.combine_features(features, ["a", "b"])
    theirs = rasas_own(sparse_join, "_combine_features")(copy.deepcopy(features), ["a", "b"])
    assert (ours.type, ours.attribute, ours.origin) == (theirs.type, theirs.attribute, theirs.origin)
    assert ours.features.shape == theirs.features.shape
    assert ours.features.dtype == theirs.features.dtype
    for part in ("row", "col", "data"):
        assert getattr(ours.features, part).tolist() == getattr(theirs.features, part).tolist(), part
    assert ours.features.row.dtype == theirs.features.row.dtype


def test_combining_leaves_the_inputs_alone_and_keeps_rasas_errors():
    features = _sparse_features(4, [6, 5], 7)
    before = [f.features.toarray().tolist() for f in features]
    sparse_join.combine_features(features, [])
    assert [f.features.toarray().tolist() for f in features] == before
    single = sparse_join.combine_features(features[:1], ["x"])
    assert single.origin == ["x"] and single.features is not features[0].features  # Rasa's copy
    mismatched = features[:1] + _sparse_features(2, [3], 8)
    with pytest.raises(ValueError):
        sparse_join.combine_features(mismatched, [])
    assert sparse_join.combine_features([], []) is None


def test_message_features_use_the_one_step_join():
    from rasa.shared.nlu.training_data.message import Message

    assert Message._combine_features is sparse_join.combine_features


# --- rule lookup with decoded rules ----------------------------------------------


def _rule_policy(agent):
    from rasa.core.policies.rule_policy import RulePolicy

    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    return next(node._component for node in nodes if isinstance(node._component, RulePolicy))


def _state_variants(policy):
    """Conversation state lists made from the learned rules: the rules themselves,
    shortened, with a changed intent or action, and with extra history in front."""
    import json

    from rasa.shared.core.constants import PREVIOUS_ACTION, USER

    variants = []
    rules = [json.loads(key) for key in policy.lookup["rules"]]
    for i, states in enumerate(rules):
        states = [
            {kind: {k: tuple(v) if isinstance(v, list) else v for k, v in sub.items()} for kind, sub in state.items()}
            for state in states
        ]
        variants += [states, states[1:], states[-1:], rules[(i + 1) % len(rules)][:1] + states]
        changed = [dict(state) for state in states]
        if USER in changed[-1]:
            changed[-1] = {**changed[-1], USER: {**changed[-1][USER], "intent": "thank"}}
        if PREVIOUS_ACTION in changed[0]:
            changed[0] = {**changed[0], PREVIOUS_ACTION: {"action_name": "action_listen"}}
        variants.append(changed)
        # conversation start on one side only
        started = [{**state, PREVIOUS_ACTION: {"action_name": "action_listen"}} for state in states]
        not_started = [{k: v for k, v in state.items() if k != PREVIOUS_ACTION} for state in states]
        variants += [started, not_started]
    return variants


def test_rule_lookup_finds_the_same_rules_in_the_same_order(agent):
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH

    policy = _rule_policy(agent)
    variants = _state_variants(policy)
    assert len(variants) > 100
    found_any = 0
    for table in (RULES, RULES_FOR_LOOP_UNHAPPY_PATH):
        lookup = policy.lookup[table]
        for states in variants:
            ours = rule_index.possible_rule_keys(policy, lookup, states)
            theirs = rasas_own(rule_index, "_get_possible_keys")(policy, lookup, states)
            assert list(ours) == list(theirs)  # same set, same iteration order (ties)
            found_any += bool(ours)
    assert found_any > 50, "the variants must also hit rules, not only miss"


def test_rule_lookup_notices_a_changed_table(agent):
    policy = _rule_policy(agent)
    lookup = dict(policy.lookup["rules"])
    states = [{"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}]
    before = rule_index.possible_rule_keys(policy, lookup, states)
    lookup.clear()
    assert rule_index.possible_rule_keys(policy, lookup, states) == set() != before


def test_rule_lookup_handles_conversation_start_rules_like_rasa(agent):
    """Rules with `conversation_start: true` have a first state without a previous action."""
    import json

    policy = _rule_policy(agent)
    greet = {"user": {"intent": "greet"}}
    listen = {"prev_action": {"action_name": "action_listen"}}
    lookup = {
        json.dumps([greet]): "utter_greet",  # only at the very start
        json.dumps([{**listen, **greet}]): "utter_greet",
        json.dumps([{**listen, "user": {"intent": "greet", "entities": ["risk"]}}]): "utter_risk_menu",
    }
    cases = [
        [greet],
        [{**listen, **greet}],
        [greet, {**listen, **greet}],
        [{**listen, "user": {"intent": "greet", "entities": ("risk",)}}],
    ]
    for states in cases:
        ours = rule_index.possible_rule_keys(policy, lookup, states)
        assert list(ours) == list(rasas_own(rule_index, "_get_possible_keys")(policy, lookup, states))
    assert rule_index.possible_rule_keys(policy, lookup, [{**listen, **greet}]) == {json.dumps([{**listen, **greet}])}


def test_rule_lookup_tries_unusual_previous_actions_like_rasa(agent):
    """Rules whose current turn names the previous action by text, as "should not
    be set", by name and text, or not at all are never skipped by the index."""
    import json

    from rasa.shared.core.constants import SHOULD_NOT_BE_SET

    policy = _rule_policy(agent)
    greet = {"user": {"intent": "greet"}}
    prev = {
        "name": {"prev_action": {"action_name": "action_listen"}},
        "other": {"prev_action": {"action_name": "utter_greet"}},
        "text": {"prev_action": {"action_text": "hallo"}},
        "both": {"prev_action": {"action_name": "action_listen", "action_text": "hallo"}},
        "unset": {"prev_action": {"action_name": SHOULD_NOT_BE_SET}},
        "empty": {"prev_action": {"action_name": ""}},
        "none": {},
    }
    lookup = {json.dumps([{**p, **greet}]): f"utter_{name}" for name, p in prev.items()}
    lookup.update({json.dumps([prev["name"], {**p, **greet}]): f"utter_long_{name}" for name, p in prev.items()})
    found = set()
    for current in prev.values():
        for history in ([], [prev["name"]], [prev["other"]], [{}]):
            states = history + [{**current, **greet}]
            ours = rule_index.possible_rule_keys(policy, lookup, states)
            assert list(ours) == list(rasas_own(rule_index, "_get_possible_keys")(policy, lookup, states)), states
            found |= {lookup[key] for key in ours}
    assert {"utter_text", "utter_unset", "utter_empty", "utter_none", "utter_long_both"} <= found
