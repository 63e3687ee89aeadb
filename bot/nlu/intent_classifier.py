"""Rasa's class-balanced logistic regression, safe on messages that have no features.

An empty or whitespace-only message has no tokens, so the featurizers give it no features; Rasa's
`LogisticRegressionClassifier` then builds a zero-width row and scikit-learn raises, which takes the
whole message down. Here such a message gets no intent (confidence 0), and the `FallbackClassifier` /
`EmptyInputFallback` further down the pipeline turn it into `nlu_fallback` like any unclear input.
"""
from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

NO_INTENT = {"name": None, "confidence": 0.0}


def has_features(message: Message) -> bool:
    sequence, sentence = message.get_sparse_features(attribute=TEXT)
    dense_sequence, dense_sentence = message.get_dense_features(attribute=TEXT)
    return any(f is not None and f.features.shape[-1] > 0 for f in (sentence, dense_sentence))


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class IntentClassifier(LogisticRegressionClassifier):
    """`LogisticRegressionClassifier` that leaves featureless messages without an intent."""

    def process(self, messages: List[Message]) -> List[Message]:
        featured = [m for m in messages if has_features(m)]
        for message in messages:
            if message not in featured:
                message.set(INTENT, dict(NO_INTENT), add_to_output=True)
                message.set(INTENT_RANKING_KEY, [], add_to_output=True)
        if featured:
            super().process(featured)
        return messages
