"""NLU post-processing: the `risk` entity is always one of the 16 contract keys.

DIET extracts the words residents use, typos included ("stroomstorng");
EntitySynonymMapper only knows exact synonyms. This component, placed after
EntitySynonymMapper, maps what is left with bot.core.risks (the same rules the
actions use), drops risk values that match no key, and normalises `phase`
to voor/tijdens/na. When DIET found no risk in a risk question or an
emergency, the text itself is searched, so "de sirene gaat" still carries
gevaarlijke_stoffen. Not trainable: all knowledge is in data/knowledge/risks.yml.

config.yml:
    - name: EntitySynonymMapper
    - name: bot_rasa.risk_entities.RiskEntityNormalizer
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.core import risks

PROCESSOR = "RiskEntityNormalizer"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class RiskEntityNormalizer(GraphComponent):  # type: ignore[misc]  # rasa has no py.typed
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Intents where a risk named in the text is added when DIET missed it.
        return {"search_text_for_intents": ["ask_risk", "ask_phase", "emergency"]}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> RiskEntityNormalizer:
        return cls(config)

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.search_intents = set(config.get("search_text_for_intents") or [])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            entities = normalise_entities(
                message.get(TEXT) or "",
                (message.get(INTENT) or {}).get("name"),
                list(message.get(ENTITIES) or []),
                self.search_intents,
            )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages


def _mark(entity: Dict[Text, Any]) -> Dict[Text, Any]:
    entity = dict(entity)
    entity["processors"] = [*entity.get("processors", []), PROCESSOR]
    return entity


def normalise_entities(
    text: str, intent: Optional[str], entities: List[Dict[Text, Any]], search_intents: set[str]
) -> List[Dict[Text, Any]]:
    """Pure function behind process(), so it can be tested without a model.

    In risk questions and emergencies a risk phrase from the knowledge file
    that literally occurs in the text wins over DIET's span: DIET sometimes
    tags part of a phrase ("stroom" of "stroom valt uit") or a stray word.
    """
    result: List[Dict[Text, Any]] = []
    for entity in entities:
        name, value = entity.get("entity"), entity.get("value")
        if name == "risk" and not risks.is_risk_key(value):
            key = risks.match_risk(str(value)) if value is not None else None
            if key is None:
                continue  # never hand out a value outside the contract
            entity = _mark({**entity, "value": key})
        elif name == "phase" and value not in risks.PHASES:
            phase = risks.normalize_phase(value)
            if phase is None:
                continue
            entity = _mark({**entity, "value": phase})
        result.append(entity)

    if intent in search_intents:
        literal = risks.find_risk(text, fuzzy=False)
        found_keys = {e["value"] for e in result if e.get("entity") == "risk"}
        if literal and found_keys != {literal[0]}:
            result = [e for e in result if e.get("entity") != "risk"] + [_text_entity(literal)]
        elif not found_keys:
            typo = risks.find_risk(text)
            if typo:
                result.append(_text_entity(typo))
    return _dedupe(result)


def _text_entity(found: tuple[str, int, int]) -> Dict[Text, Any]:
    key, start, end = found
    return {
        "entity": "risk",
        "start": start,
        "end": end,
        "value": key,
        "confidence_entity": 1.0,
        "extractor": PROCESSOR,
    }


def _dedupe(entities: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """One entity per (name, value): the slot needs it once, and so does the contract."""
    seen = set()
    result = []
    for entity in entities:
        marker = (entity.get("entity"), entity.get("value"))
        if marker not in seen:
            seen.add(marker)
            result.append(entity)
    return result
