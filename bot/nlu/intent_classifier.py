"""Rasa's class-balanced logistic regression, trained per FAQ article and safe on featureless messages.

Retrieval intents are trained at the level of their article (`faq/stamp_duty`, `faq/t_plus_one`, …)
and reported as the intent (`faq`): "faq" spans 40-odd unrelated topics, and one linear boundary
around all of them is a poor fit, while one per article is a good one (cross-validated weighted F1
0.932 → 0.946 with the sentence embeddings, docs/nlu.md). An intent's confidence is that of its most
likely article, so the ranking keeps the order the classifier decided on; the ResponseSelector still
picks the article to answer with.

Beside the regression, a small neural network (one hidden layer, `mlp_hidden_units`) on the same
features can share the vote: the intent's probability is `mlp_weight` of the network's plus the rest
of the regression's. The regression draws one linear boundary per label; the network also sees
combinations (a fee term *and* a grievance is a complaint, not a fee question). `mlp_weight: 0`
(the default) leaves the regression alone.

A third voice, a regression on the sentence encoders' vectors alone (`embedding_featurizers`), has
`embedding_weight` of the vote; the rest is shared as above. Each encoder, on its own, already tells
most intents apart (weighted F1 0.91–0.93) and its errors are not those of the count features, which
dominate the main regression: the vote corrects some of them (replica, docs/nlu.md). Its
`embedding_C` is its own, as its features are a few hundred dense dimensions, not thousands of counts.

An empty or whitespace-only message has no tokens, so the featurizers give it no features; Rasa's
`LogisticRegressionClassifier` then builds a zero-width row and scikit-learn raises, which takes the
whole message down. Here such a message gets no intent (confidence 0), and the `FallbackClassifier` /
`EmptyInputFallback` further down the pipeline turn it into `nlu_fallback` like any unclear input.
"""
from __future__ import annotations

import warnings
from typing import Any, Dict, List, Optional, Text

import numpy as np

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.features import Features
from rasa.utils.tensorflow.constants import FEATURIZERS, RANKING_LENGTH
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.utils.class_weight import compute_sample_weight

NO_INTENT = {"name": None, "confidence": 0.0}
_NETWORK_FILE = "network.skops"
_EMBEDDING_REGRESSION_FILE = "embedding_regression.skops"


def sentence_features(message: Message, featurizers: Optional[List[Text]] = None) -> List[Features]:
    """The message's sparse and dense sentence features from `featurizers` (all when empty)."""
    sparse = message.get_sparse_features(attribute=TEXT, featurizers=featurizers)[1]
    dense = message.get_dense_features(attribute=TEXT, featurizers=featurizers)[1]
    return [f for f in (sparse, dense) if f is not None and f.features.shape[-1] > 0]


def has_features(message: Message, featurizers: Optional[List[Text]] = None) -> bool:
    return bool(sentence_features(message, featurizers))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentClassifier(LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` over article-level labels; featureless messages get no intent."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Rasa's parent fixes scikit-learn's C=1; with the dense embedding and entity features, weaker
        # regularisation fits better (cross-validated weighted F1 0.946 at C=1, 0.948 at 3, 0.949 at 10).
        # `featurizers` (names or aliases, empty for all) picks the features read, as for DIET.
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 10.0,
            FEATURIZERS: [],
            "mlp_weight": 0.0,
            "mlp_hidden_units": 256,
            "mlp_epochs": 30,
            "embedding_featurizers": [],
            "embedding_weight": 0.0,
            "embedding_C": 1.0,
        }

    def __init__(self, config: Dict[Text, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.clf.set_params(C=float(self.config["C"]))
        self.network: Optional[MLPClassifier] = None
        self.embedding_regression: Optional[LogisticRegression] = None

    @property
    def _network_weight(self) -> float:
        return float(self.config["mlp_weight"])

    @property
    def _embedding_weight(self) -> float:
        return float(self.config["embedding_weight"]) if self.config["embedding_featurizers"] else 0.0

    def train(self, training_data: TrainingData) -> Resource:
        # The parent's steps, with the training matrix built once for the regression and the network.
        examples = self._training_examples(training_data)
        if not examples:
            return self._resource
        x, labels = self._create_X(examples), self._labels(examples)
        self.clf.fit(x, labels)
        self.persist()
        if self._network_weight > 0:
            self.network = fit_network(x, labels, self.config)
            self._persist_extra(_NETWORK_FILE, self.network)
        if self._embedding_weight > 0:
            self.embedding_regression = LogisticRegression(
                C=float(self.config["embedding_C"]), class_weight="balanced", max_iter=2000, random_state=42
            )
            self.embedding_regression.fit(self._embedding_X(examples), labels)
            self._persist_extra(_EMBEDDING_REGRESSION_FILE, self.embedding_regression)
        return self._resource

    def _persist_extra(self, file_name: str, model: Any) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as directory:
            sio.dump(model, directory / file_name)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "IntentClassifier":
        import skops.io as sio

        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        try:
            with model_storage.read_from(resource) as directory:
                for attribute, file_name in (("network", _NETWORK_FILE),
                                             ("embedding_regression", _EMBEDDING_REGRESSION_FILE)):
                    path = directory / file_name
                    # Only scikit-learn's and numpy's own types, as the parent loads the regression.
                    if path.exists() and not sio.get_untrusted_types(file=path):
                        setattr(component, attribute, sio.load(path, trusted=[]))
        except ValueError:  # the resource does not exist: an untrained component, as the parent's
            pass
        return component

    def _probabilities(self, x: csr_matrix, embeddings: Optional[csr_matrix] = None) -> np.ndarray:
        """The regression's label probabilities, blended with those of the models that have a vote.

        All three models are trained on the same labels, so their columns (`classes_`) line up.
        """
        probabilities = self.clf.predict_proba(x)
        voters = ((self.network, x, self._network_weight),
                  (self.embedding_regression, embeddings, self._embedding_weight))
        for model, features, weight in voters:
            if model is not None and features is not None and weight > 0:
                probabilities = (1 - weight) * probabilities + weight * model.predict_proba(features)
        return probabilities

    @property
    def _featurizers(self) -> Optional[List[Text]]:
        """The configured featurizers, or None (Rasa's "all of them") when the list is empty."""
        return self.config[FEATURIZERS] or None

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        return self._stack([sentence_features(m, self._featurizers) for m in messages])

    @staticmethod
    def _stack(rows: List[List[Features]]) -> csr_matrix:
        return vstack([hstack([csr_matrix(f.features) for f in row]) for row in rows]).tocsr()

    def _embedding_X(self, messages: List[Message]) -> Optional[csr_matrix]:
        """The encoders' vectors of the messages; None when one of them has none."""
        rows = [sentence_features(m, self.config["embedding_featurizers"]) for m in messages]
        return self._stack(rows) if rows and all(rows) else None

    def _training_examples(self, training_data: TrainingData) -> List[Message]:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and has_features(e, self._featurizers)]
        if self._embedding_weight > 0:
            examples = [e for e in examples if has_features(e, self.config["embedding_featurizers"])]
        return examples

    @staticmethod
    def _labels(examples: List[Message]) -> List[str]:
        return [e.get(INTENT_RESPONSE_KEY) or e.get(INTENT) for e in examples]

    def process(self, messages: List[Message]) -> List[Message]:
        featured: List[Message] = []
        rows: List[List[Features]] = []
        for message in messages:
            features = sentence_features(message, self._featurizers)
            if features:
                featured.append(message)
                rows.append(features)
            else:
                message.set(INTENT, dict(NO_INTENT), add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if not featured:
            return messages
        embeddings = self._embedding_X(featured) if self._embedding_weight > 0 else None
        probabilities = self._probabilities(self._stack(rows), embeddings)
        for message, row in zip(featured, probabilities):
            ranking = intent_ranking(self.clf.classes_, row)
            message.set(INTENT, ranking[0], add_to_output=True)
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages


def intent_ranking(labels: List[str], probabilities: List[float]) -> List[Dict[str, object]]:
    """Intents best first, each as confident as its most likely label (`faq/x` counts for `faq`)."""
    best: Dict[str, float] = {}
    for label, probability in zip(labels, probabilities):
        intent = str(label).split("/", 1)[0]
        best[intent] = max(best.get(intent, 0.0), float(probability))
    return [{"name": name, "confidence": confidence}
            for name, confidence in sorted(best.items(), key=lambda item: -item[1])]


def fit_network(x: csr_matrix, labels: List[str], config: Dict[Text, Any]) -> MLPClassifier:
    """One hidden layer, class-balanced by repeating the examples of small labels.

    `MLPClassifier` takes no sample weights, so an example is repeated as often as its balanced
    class weight says (rounded, at least once): roughly the balance the regression gets from
    `class_weight="balanced"`. Seeded, so the same data trains the same network.
    """
    weights = compute_sample_weight("balanced", labels)
    repeated = np.repeat(np.arange(len(labels)), np.maximum(1, np.round(weights)).astype(int))
    network = MLPClassifier(
        hidden_layer_sizes=(int(config["mlp_hidden_units"]),),
        max_iter=int(config["mlp_epochs"]),
        random_state=0,
    )
    with warnings.catch_warnings():
        # A fixed number of epochs, chosen by cross-validation, not a convergence criterion.
        warnings.simplefilter("ignore", ConvergenceWarning)
        network.fit(x[repeated], [labels[i] for i in repeated])
    # The optimiser's state is for further training only, and skops does not trust its type.
    network._optimizer = None
    return network
