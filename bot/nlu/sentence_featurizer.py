"""What our sentence-level featurizers share: the Rasa steps, and which messages they featurize.

Each of them (`SentenceEmbeddingFeaturizer`, `SentenceCharNgramFeaturizer`)
adds one sentence feature to a message's text, and only to messages with tokens: a featureless
message (whitespace) must stay featureless, as the classifiers downstream expect. A subclass writes
`_featurize`, which receives exactly those messages.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Text

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


def tokenised(messages: Iterable[Message]) -> List[Message]:
    """The messages with text and at least one token."""
    return [m for m in messages if m.get(TEXT) and m.get(TOKENS_NAMES[TEXT])]


class SentenceFeaturizerSteps:
    """`process` and `process_training_data` for a featurizer of tokenised messages."""

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(tokenised(messages))
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(tokenised(training_data.training_examples))
        return training_data

    def _featurize(self, messages: List[Message]) -> None:
        raise NotImplementedError


class StatelessSentenceFeaturizer(SentenceFeaturizerSteps):
    """A featurizer that learns nothing: built from its configuration alone, `__init__(config, name)`."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> Any:
        return cls({**cls.get_default_config(), **config}, execution_context.node_name)  # type: ignore[attr-defined, call-arg]
