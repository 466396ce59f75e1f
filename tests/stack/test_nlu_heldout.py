"""Risk NLU: training data hygiene (offline) and held-out targets (real Rasa)."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from bot.core import risks

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "tests" / "nlu" / "risks_heldout.yml"
TRAINING = ROOT / "data" / "nlu" / "risks.yml"


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"scripts_{name}"] = module  # dataclasses look the module up while it loads
    spec.loader.exec_module(module)
    return module


eval_nlu = _load_script("eval_nlu")
gen_risk_nlu = _load_script("gen_risk_nlu")


def _plain(examples):
    return [re.sub(r"\s+", " ", ex.text.lower()).strip() for ex in examples]


# --- offline: the data itself ------------------------------------------------------


def test_heldout_has_enough_risk_questions_for_every_risk():
    examples = eval_nlu.load_examples(HELDOUT)
    asked = [ex for ex in examples if ex.intent == "ask_risk"]
    assert len(asked) >= 80
    covered = {ex.entities.get("risk") for ex in asked}
    assert covered >= set(risks.RISK_KEYS)


def test_heldout_is_not_in_training_nor_a_near_copy():
    train = _plain(ex for p in (ROOT / "data" / "nlu").glob("*.yml") for ex in eval_nlu.load_examples(p))
    for text in _plain(eval_nlu.load_examples(HELDOUT)):
        assert text not in train, f"held-out sentence in training data: {text!r}"
        closest = max(train, key=lambda t: fuzz.ratio(text, t))
        assert fuzz.ratio(text, closest) < 90, f"near-copy: {text!r} ~ {closest!r}"


@pytest.mark.parametrize("path", [TRAINING, HELDOUT], ids=["training", "heldout"])
def test_entity_values_are_contract_keys(path):
    for ex in eval_nlu.load_examples(path):
        if "risk" in ex.entities:
            assert ex.entities["risk"] in risks.RISK_KEYS, ex.text
        if "phase" in ex.entities:
            assert ex.entities["phase"] in risks.PHASES, ex.text


def test_every_risk_has_enough_training_questions():
    counts: dict[str, int] = {}
    for ex in eval_nlu.load_examples(TRAINING):
        if ex.intent == "ask_risk" and "risk" in ex.entities:
            counts[ex.entities["risk"]] = counts.get(ex.entities["risk"], 0) + 1
    for key in risks.RISK_KEYS:
        assert counts.get(key, 0) >= 25, f"{key}: only {counts.get(key, 0)} training questions"


def test_synonym_block_is_in_sync_with_knowledge():
    assert gen_risk_nlu.main(["--check"]) == 0, "run scripts/gen_risk_nlu.py"
    head, block = gen_risk_nlu.split_file(TRAINING.read_text(encoding="utf-8"))
    for key in risks.RISK_KEYS:
        for word in risks.get_risk(key)["synonyms"]:
            norm = risks.normalize(word)
            if norm != key:
                assert f"    - {norm}\n" in block, f"{word} missing from the synonyms block"


def test_phase_and_risk_synonyms_do_not_overlap():
    assert not set(risks.phase_synonyms()) & set(risks.synonyms())


def test_scoring_counts_misses():
    examples = [
        eval_nlu.Example("a", "ask_risk", {"risk": "storm"}),
        eval_nlu.Example("b", "ask_risk", {"risk": "hitte"}),
        eval_nlu.Example("c", "ask_phase", {"phase": "na"}),
    ]
    answers = {
        "a": {"intent": {"name": "ask_risk"}, "entities": [{"entity": "risk", "value": "storm"}]},
        "b": {"intent": {"name": "emergency"}, "entities": [{"entity": "risk", "value": "hitegolf"}]},
        "c": {"intent": {"name": "ask_phase"}, "entities": [{"entity": "phase", "value": "daarna"}]},
    }
    result = eval_nlu.score(examples, answers.__getitem__)
    assert result.total == 3 and result.intent_correct == 2
    assert result.entity_total == 2 and result.entity_correct == 1
    assert result.entity_correct_normalised == 2  # "hitegolf" -> hitte after normalisation
    assert result.emergency == 1 and result.phase_correct == 1
    assert not result.passed()


def test_report_section_replaces_only_its_own_part(tmp_path):
    report = tmp_path / "nlu.md"
    report.write_text("# NLU\n\n## Other section\nkeep me\n", encoding="utf-8")
    result = eval_nlu.Result(total=1, intent_correct=1, entity_total=1, entity_correct=1)
    eval_nlu.write_report(report, eval_nlu.report_section(result, HELDOUT, "test"))
    eval_nlu.write_report(report, eval_nlu.report_section(result, HELDOUT, "test again"))
    text = report.read_text(encoding="utf-8")
    assert "keep me" in text
    assert text.count(eval_nlu.SECTION_START) == 1 and "test again" in text


# --- through the running Rasa -----------------------------------------------------------


@pytest.mark.stack
def test_heldout_targets_on_running_rasa(stack):
    result = eval_nlu.score(eval_nlu.load_examples(HELDOUT), eval_nlu.http_parser(stack.rasa))
    misses = "\n".join(result.failures)
    assert result.total >= 80
    assert result.emergency == 0, misses
    assert result.intent_accuracy >= eval_nlu.TARGET_INTENT, misses
    assert result.entity_accuracy >= eval_nlu.TARGET_ENTITY, misses


# --- the NLU post-processor that keeps `risk` inside the contract ---------------------------


def _normalise(text, intent, entities):
    from bot_rasa.risk_entities import normalise_entities

    return normalise_entities(text, intent, entities, {"ask_risk", "emergency"})


def test_normaliser_maps_typos_and_drops_unknown_values():
    out = _normalise(
        "wat doe ik bij een stroomstorng en zombies",
        "ask_risk",
        [
            {"entity": "risk", "value": "stroomstorng", "start": 19, "end": 31},
            {"entity": "risk", "value": "zombies", "start": 35, "end": 42},
        ],
    )
    assert [e["value"] for e in out] == ["stroomstoring"]
    assert "RiskEntityNormalizer" in out[0]["processors"]


def test_normaliser_keeps_keys_and_normalises_phase():
    out = _normalise(
        "en daarna",
        "ask_phase",
        [
            {"entity": "risk", "value": "storm", "start": 0, "end": 0},
            {"entity": "phase", "value": "daarna", "start": 3, "end": 9},
            {"entity": "phase", "value": "blabla", "start": 0, "end": 0},
        ],
    )
    assert [(e["entity"], e["value"]) for e in out] == [("risk", "storm"), ("phase", "na")]


def test_normaliser_adds_a_missed_risk_only_for_risk_intents():
    text = "wat moet ik doen als de sirene loeit"
    added = _normalise(text, "ask_risk", [])
    assert [e["value"] for e in added] == ["gevaarlijke_stoffen"]
    assert text[added[0]["start"] : added[0]["end"]] in ("sirene", "de sirene")
    assert _normalise(text, "ask_kit", []) == []


@pytest.mark.parametrize("text", ["hallo", "wat kost een noodpakket", ""])
def test_normaliser_adds_nothing_without_a_risk(text):
    assert _normalise(text, "ask_risk", []) == []


def test_normaliser_process_sets_output_entities():
    from rasa.shared.nlu.training_data.message import Message

    from bot_rasa.risk_entities import RiskEntityNormalizer

    component = RiskEntityNormalizer(RiskEntityNormalizer.get_default_config())
    message = Message(
        data={
            "text": "hoe bereid ik me voor op een overstromig",
            "intent": {"name": "ask_risk"},
            "entities": [{"entity": "risk", "value": "overstromig", "start": 29, "end": 40}],
        }
    )
    component.process([message])
    assert [e["value"] for e in message.get("entities")] == ["overstroming"]
    assert "entities" in message.output_properties


def test_normaliser_prefers_a_literal_phrase_over_a_partial_span():
    text = "welk nummer bel ik als de stroom valt uit"
    out = _normalise(
        text,
        "ask_risk",
        [
            {"entity": "risk", "value": "stroom", "start": 26, "end": 32},
            {"entity": "risk", "value": "het", "start": 0, "end": 3},
        ],
    )
    assert [e["value"] for e in out] == ["stroomstoring"]
    assert text[out[0]["start"] : out[0]["end"]] == "stroom valt uit"


def test_normaliser_longest_phrase_wins_over_diet():
    out = _normalise(
        "wat als er brand op de heide is", "ask_risk", [{"entity": "risk", "value": "brand", "start": 11, "end": 16}]
    )
    assert [e["value"] for e in out] == ["natuurbrand"]


def test_normaliser_keeps_a_matching_diet_span_and_dedupes():
    out = _normalise(
        "storm storm",
        "ask_risk",
        [
            {"entity": "risk", "value": "storm", "start": 0, "end": 5},
            {"entity": "risk", "value": "storm", "start": 6, "end": 11},
        ],
    )
    assert out == [{"entity": "risk", "value": "storm", "start": 0, "end": 5}]
