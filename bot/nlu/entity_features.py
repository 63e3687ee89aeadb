"""`EntityMentionFeaturizer`: which kinds of securities entity a message mentions, as features.

A named stock is what separates "宁德时代能涨到多少" (advice, which we decline) from a rules
question, a ticket id or a phone number marks a complaint being filed or followed up, and a share
count with a price marks a fee calculation. Words and the sentence embedding see these only as
rare names and digits; the kb knows them. So the intent classifier gets one feature per entity type
(`ENTITY_TYPES`) that `SecuritiesEntityExtractor` finds in the message — the same extraction, so
a stock added to `kb/entities.yml` counts at once (cross-validated weighted F1 +0.2 points,
docs/nlu.md).

Like the other sentence-level featurizers (`bot.nlu.sentence_featurizer`), only messages with
tokens get features.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Text, Type

import numpy as np
from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.nlu.constants import ENTITY_ATTRIBUTE_TYPE, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import coo_matrix

from bot.nlu.entities import ENTITY_TYPES, SecuritiesEntityExtractor
from bot.nlu.sentence_featurizer import StatelessSentenceFeaturizer


def mention_vector(types: Sequence[str]) -> np.ndarray:
    """1.0 for each entity type in `types` (however often it occurs), in `ENTITY_TYPES` order."""
    return np.array([[1.0 if t in types else 0.0 for t in ENTITY_TYPES]], dtype=np.float32)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class EntityMentionFeaturizer(StatelessSentenceFeaturizer, SparseFeaturizer, GraphComponent):
    """Adds a sentence feature: which entity types the kb-driven extractor finds in the text."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return SecuritiesEntityExtractor.required_packages()

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**SparseFeaturizer.get_default_config(), **SecuritiesEntityExtractor.get_default_config()}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to check: the kb directory is resolved (and reported if missing) on creation."""

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._extractor = SecuritiesEntityExtractor.from_kb(config)

    def _featurize(self, messages: List[Message]) -> None:
        for message in messages:
            types = [e[ENTITY_ATTRIBUTE_TYPE] for e in self._extractor.extract(message.get(TEXT))]
            sentence = coo_matrix(mention_vector(types))
            self.add_features_to_message(sequence=None, sentence=sentence, attribute=TEXT, message=message)
