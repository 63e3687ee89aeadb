"""Rasa's class-balanced logistic regression, trained per FAQ article, which also picks the article.

Retrieval intents are trained at the level of their article (`faq/stamp_duty`, `faq/t_plus_one`, …)
and reported as the intent (`faq`): "faq" spans a hundred unrelated topics, and one linear boundary
around all of them is a poor fit, while one per article is a good one. An intent's confidence is that
of its most likely article, so the ranking keeps the order the classifier decided on.

The same probabilities choose the article: the component writes Rasa's `response_selector` output
(the best article, its confidence and a ranking), so no separate ResponseSelector is trained — one
model, one decision, and the answering action can abstain when the article's own probability is low.

An empty or whitespace-only message has no tokens, so the featurizers give it no features; Rasa's
`LogisticRegressionClassifier` then builds a zero-width row and scikit-learn raises, which takes the
whole message down. Here such a message gets no intent (confidence 0), and the `FallbackClassifier` /
`EmptyInputFallback` further down the pipeline turn it into `nlu_fallback` like any unclear input.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

import numpy as np

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.features import Features
from rasa.utils.tensorflow.constants import FEATURIZERS, RANKING_LENGTH
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack

NO_INTENT = {"name": None, "confidence": 0.0}
RETRIEVAL_INTENT = "faq"
ARTICLE_RANKING_LENGTH = 5


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
        # regularisation fits better. `featurizers` (names or aliases, empty for all) picks the
        # features read, as for DIET.
        return {**LogisticRegressionClassifier.get_default_config(), "C": 10.0, FEATURIZERS: []}

    def __init__(self, config: Dict[Text, Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.clf.set_params(C=float(self.config["C"]))

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and has_features(e, self._featurizers)]
        if not examples:
            return self._resource
        self.clf.fit(self._create_X(examples), [e.get(INTENT_RESPONSE_KEY) or e.get(INTENT) for e in examples])
        self.persist()
        return self._resource

    @property
    def _featurizers(self) -> Optional[List[Text]]:
        """The configured featurizers, or None (Rasa's "all of them") when the list is empty."""
        return self.config[FEATURIZERS] or None

    def _create_X(self, messages: List[Message]) -> csr_matrix:
        return self._stack([sentence_features(m, self._featurizers) for m in messages])

    @staticmethod
    def _stack(rows: List[List[Features]]) -> csr_matrix:
        return vstack([hstack([csr_matrix(f.features) for f in row]) for row in rows]).tocsr()

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
        probabilities = self.clf.predict_proba(self._stack(rows))
        labels = [str(label) for label in self.clf.classes_]
        for message, row in zip(featured, probabilities):
            ranking = intent_ranking(labels, row)
            message.set(INTENT, ranking[0], add_to_output=True)
            if self.config[RANKING_LENGTH] > 0:
                ranking = ranking[: self.config[RANKING_LENGTH]]
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            selection = article_selection(labels, row)
            if selection:
                message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selection, add_to_output=True)
        return messages


def intent_ranking(labels: List[str], probabilities: List[float]) -> List[Dict[str, object]]:
    """Intents best first, each as confident as its most likely label (`faq/x` counts for `faq`)."""
    best: Dict[str, float] = {}
    for label, probability in zip(labels, probabilities):
        intent = str(label).split("/", 1)[0]
        best[intent] = max(best.get(intent, 0.0), float(probability))
    return [{"name": name, "confidence": confidence}
            for name, confidence in sorted(best.items(), key=lambda item: -item[1])]


def article_selection(labels: List[str], probabilities: np.ndarray) -> Optional[Dict[str, Any]]:
    """Rasa's `response_selector` output for the FAQ articles, from the classifier's own probabilities.

    Each article's confidence is its probability among all labels (not renormalised within FAQ):
    a question the classifier hardly connects with any article keeps a low confidence, which is what
    the answering action needs to decide between answering and abstaining.
    """
    articles = [(label, float(p)) for label, p in zip(labels, probabilities)
                if label.startswith(RETRIEVAL_INTENT + "/")]
    if not articles:
        return None
    articles.sort(key=lambda item: -item[1])
    best, confidence = articles[0]
    return {
        RESPONSE_SELECTOR_RETRIEVAL_INTENTS: [RETRIEVAL_INTENT],
        RETRIEVAL_INTENT: {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                RESPONSE_SELECTOR_RESPONSES_KEY: [],
                PREDICTED_CONFIDENCE_KEY: confidence,
                INTENT_RESPONSE_KEY: best,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{best}",
            },
            RESPONSE_SELECTOR_RANKING_KEY: [
                {INTENT_RESPONSE_KEY: label, PREDICTED_CONFIDENCE_KEY: p}
                for label, p in articles[:ARTICLE_RANKING_LENGTH]
            ],
        },
    }
