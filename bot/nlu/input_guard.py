"""Guards at both ends of the NLU pipeline for input that is not a real question.

`InputGuard` runs first: it removes markup (a web-chat customer may paste HTML, and script must never
reach a reply), and bounds very long messages so one paste cannot stall the classifiers.
`EmptyInputFallback` runs last: a message with nothing to understand (empty, whitespace, emoji or
punctuation only) is marked `nlu_fallback`, whatever the intent classifier guessed from nothing.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.common.sanitize import clean_text, has_meaning


class _Stateless(GraphComponent):
    """A component with no configuration and nothing to train or persist."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls()


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class InputGuard(_Stateless):
    """Cleans the message text in place before tokenisation."""

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for example in training_data.training_examples:
            if example.get(TEXT):
                example.set(TEXT, clean_text(example.get(TEXT)))
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            message.set(TEXT, clean_text(message.get(TEXT)))
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class EmptyInputFallback(_Stateless):
    """Marks messages with nothing to understand as `nlu_fallback`."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            if not has_meaning(message.get(TEXT)):
                fallback = {"name": "nlu_fallback", "confidence": 1.0}
                message.set(INTENT, fallback, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [fallback], add_to_output=True)
        return messages
