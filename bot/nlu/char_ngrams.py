"""`SentenceCharNgramFeaturizer`: character n-grams of the whole sentence, as one sparse sentence feature.

Rasa's `CountVectorsFeaturizer` with `analyzer: char_wb` counts n-grams of the message's *tokens*,
joined by spaces, so for Chinese every n-gram stops at a jieba word boundary: "开户" and "户要" are
counted, "户要带" never is. Those cross-boundary n-grams are what keeps a wrong segmentation or a
typo ("开护要带什么") close to the sentences it belongs with. This featurizer counts the n-grams of
the normalised sentence itself (traditional → simplified, full-width → ASCII, lower case); without
them the out-of-distribution set showed more false complaint starts and wrong articles
(docs/measurements.md).

It gives a sentence feature only: its n-grams do not line up with tokens. Like the other sentence
featurizers (`bot.nlu.sentence_featurizer`), only messages with tokens get features.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer

from bot.nlu.sentence_featurizer import SentenceFeaturizerSteps, tokenised
from bot.common.text import normalise

_VOCABULARY_FILE = "vocabulary.json"


def sentence_form(text: str) -> str:
    """What the n-grams are counted over: the normalised sentence, in lower case."""
    return normalise(text).lower()


def char_vectorizer(config: Dict[Text, Any], vocabulary: Optional[Sequence[str]] = None) -> CountVectorizer:
    """A scikit-learn counter of the sentence's `min_ngram`–`max_ngram` character n-grams."""
    return CountVectorizer(
        analyzer="char_wb",
        ngram_range=(int(config["min_ngram"]), int(config["max_ngram"])),
        min_df=int(config["min_df"]),
        lowercase=False,  # `sentence_form` has done it, together with the other normalisation
        vocabulary=list(vocabulary) if vocabulary is not None else None,
    )


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SentenceCharNgramFeaturizer(SentenceFeaturizerSteps, SparseFeaturizer, GraphComponent):
    """Counts the character n-grams of the whole normalised sentence (vocabulary learnt in training)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sklearn", "opencc"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**SparseFeaturizer.get_default_config(), "min_ngram": 1, "max_ngram": 3, "min_df": 2}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if not 1 <= int(config["min_ngram"]) <= int(config["max_ngram"]):
            raise InvalidConfigException(
                f"{cls.__name__}: need 1 <= min_ngram <= max_ngram, got "
                f"{config['min_ngram']} and {config['max_ngram']}."
            )
        if int(config["min_df"]) < 1:
            raise InvalidConfigException(f"{cls.__name__}: min_df must be at least 1.")

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        vocabulary: Optional[Sequence[str]] = None,
    ) -> None:
        super().__init__(execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._vectorizer = char_vectorizer(config, vocabulary) if vocabulary else None

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "SentenceCharNgramFeaturizer":
        config = {**cls.get_default_config(), **config}
        cls.validate_config(config)
        return cls(config, model_storage, resource, execution_context)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "SentenceCharNgramFeaturizer":
        config = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = json.loads((directory / _VOCABULARY_FILE).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            vocabulary = None  # trained on data without text: featurizes nothing, like Rasa's own
        return cls(config, model_storage, resource, execution_context, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        texts = [sentence_form(m.get(TEXT)) for m in tokenised(training_data.training_examples)]
        vocabulary: List[str] = []
        if texts:
            vectorizer = char_vectorizer(self._config)
            try:
                vectorizer.fit(texts)
                vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
            except ValueError:  # no n-gram reaches min_df (tiny data sets)
                vocabulary = []
        self._vectorizer = char_vectorizer(self._config, vocabulary) if vocabulary else None
        with self._model_storage.write_to(self._resource) as directory:
            (directory / _VOCABULARY_FILE).write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")
        return self._resource

    def _featurize(self, messages: List[Message]) -> None:
        if self._vectorizer is None or not messages:
            return
        rows = self._vectorizer.transform([sentence_form(m.get(TEXT)) for m in messages])
        for index, message in enumerate(messages):
            self.add_features_to_message(sequence=None, sentence=rows[index].tocoo(), attribute=TEXT, message=message)

