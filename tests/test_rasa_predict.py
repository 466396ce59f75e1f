"""DIET's direct concrete-function call gives the same parse as tf.function."""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml

import bot_rasa  # noqa: F401  (applies the patch)
from bot.stack import latest_model
from bot_rasa import speedups

ROOT = Path(__file__).resolve().parent.parent
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")


def heldout_texts(limit: int = 40) -> list[str]:
    texts = ["hallo", "50 euro", "en daarna?", "wat moet ik doen als de stroom uitvalt",
             "we zijn met 2 volwassenen en 2 kinderen en een hond", "ik woon in 's-Hertogenbosch"]
    data = yaml.safe_load((ROOT / "tests" / "nlu" / "risks_heldout.yml").read_text(encoding="utf-8"))
    for item in data.get("nlu", data) if isinstance(data, dict) else data:
        examples = item.get("examples", "") if isinstance(item, dict) else ""
        texts += [ANNOTATION.sub(r"\1", line.strip()[2:]) for line in examples.splitlines()
                  if line.strip().startswith("- ")]
    return texts[:limit]


@pytest.fixture(scope="module")
def agent():
    from rasa.core.agent import Agent

    return Agent.load(str(latest_model()))


def parse_all(agent, texts):
    async def go():
        return [await agent.parse_message(text) for text in texts]
    return asyncio.run(go())


def test_patch_is_active():
    from rasa.utils.tensorflow.models import RasaModel

    assert RasaModel._rasa_predict is speedups._flat_rasa_predict


def test_same_intents_confidences_and_entities(agent, monkeypatch):
    from rasa.utils.tensorflow.models import RasaModel

    texts = heldout_texts()
    assert len(texts) >= 30 and not any("[" in text for text in texts)
    parse_all(agent, texts[:2])  # first call traces the function through the original path
    fast = parse_all(agent, texts)
    monkeypatch.setattr(RasaModel, "_rasa_predict", speedups._original_rasa_predict)
    slow = parse_all(agent, texts)
    for a, b in zip(fast, slow):
        assert a["intent"]["name"] == b["intent"]["name"], a["text"]
        assert a["intent"]["confidence"] == pytest.approx(b["intent"]["confidence"], abs=1e-5)
        assert [(r["name"], round(r["confidence"], 5)) for r in a["intent_ranking"]] == \
               [(r["name"], round(r["confidence"], 5)) for r in b["intent_ranking"]]
        assert a["entities"] == b["entities"]


def test_graph_runner_reuses_its_graph_and_answers_the_same(agent, monkeypatch):
    from rasa.engine.runner.dask import DaskGraphRunner

    runner = agent.processor.graph_runner
    assert DaskGraphRunner.run is speedups._graph_run_with_cached_schema
    fast = parse_all(agent, ["hallo", "wat doe ik bij hitte", "ik woon in Zwolle"])
    assert runner._nw_graphs, "the built graph is kept"
    graphs = dict(runner._nw_graphs)
    parse_all(agent, ["nog een vraag"])
    assert all(runner._nw_graphs[key] is graph for key, graph in graphs.items()), "not rebuilt per message"
    monkeypatch.setattr(DaskGraphRunner, "run", speedups._original_graph_run)
    slow = parse_all(agent, ["hallo", "wat doe ik bij hitte", "ik woon in Zwolle"])
    assert [(p["intent"]["name"], p["entities"]) for p in fast] == [(p["intent"]["name"], p["entities"]) for p in slow]
