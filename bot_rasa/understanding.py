"""NLU: the sentence-level decision on top of DIET (issue 14).

Placed after DIET, the entity extractors and RiskEntityNormalizer, before
FallbackClassifier. It asks bot.core.understanding.decide (plain Python, data in
data/knowledge/situations.yml and danger_phrases.yml) for the final intent and
risk: English -> `english`; acute danger -> `emergency`; a risk situation
described without the risk's name -> `ask_risk` with the risk entity; two or
three likely risks -> `ask_risk` with each as a candidate `risk` entity. When
it changes the intent it puts that intent first in the ranking with
confidence 1.0, so FallbackClassifier keeps it. Not trainable.

config.yml:
    - name: bot_rasa.risk_entities.RiskEntityNormalizer
    - name: bot_rasa.understanding.SituationUnderstanding
    - name: FallbackClassifier
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.core import language, understanding

PROCESSOR = "SituationUnderstanding"
logger = logging.getLogger(__name__)
RANKING_DAMPING = 0.5


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SituationUnderstanding(GraphComponent):  # type: ignore[misc]  # rasa has no py.typed
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SituationUnderstanding:
        return cls()

    def __init__(self) -> None:
        # Load lemmas, cues and the language models at start-up, not on the first message.
        language.warm_up()
        understanding.decide("warm up", "ask_risk")

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            try:
                apply_decision(message)
            except Exception:  # never lose a message over this step: DIET's reading stands
                logger.exception("SituationUnderstanding failed; keeping DIET's intent")
        return messages


def apply_decision(message: Message) -> None:
    text = message.get(TEXT) or ""
    if not text or text.startswith("/"):
        return  # buttons send intents directly
    intent = message.get(INTENT) or {}
    entities = list(message.get(ENTITIES) or [])
    entity_risks = [str(e.get("value")) for e in entities if e.get("entity") == "risk"]
    decision = understanding.decide(text, intent.get("name"), entity_risks, float(intent.get("confidence") or 0.0))
    if decision.risk_keys:
        candidate = len(decision.risk_keys) > 1
        entities = [e for e in entities if e.get("entity") != "risk"] + [
            understanding.entity_for(key, candidate, PROCESSOR) for key in decision.risk_keys
        ]
        message.set(ENTITIES, entities, add_to_output=True)
    if decision.changed:
        new_intent = {"name": decision.intent, "confidence": 1.0}
        # DIET's other intents stay in the ranking at half their confidence, so that
        # FallbackClassifier's ambiguity check (top two within 0.05) keeps the decision.
        ranking = [
            {**r, "confidence": float(r.get("confidence") or 0.0) * RANKING_DAMPING}
            for r in message.get(INTENT_RANKING_KEY) or []
            if r.get("name") != decision.intent
        ]
        message.set(INTENT, new_intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [new_intent, *ranking], add_to_output=True)
