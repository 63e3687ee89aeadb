"""IntentClassifier's own configuration: regularisation and feature choice, which Rasa's parent lacks."""
import numpy as np
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix

from bot.nlu.intent_classifier import IntentClassifier


def test_regularisation_is_configurable_and_defaults_to_the_cross_validated_value(
    model_storage, resource, execution_context
):
    default = IntentClassifier.create(IntentClassifier.get_default_config(), model_storage, resource, execution_context)
    assert default.clf.C == 10.0
    config = {**IntentClassifier.get_default_config(), "C": 3}
    assert IntentClassifier.create(config, model_storage, resource, execution_context).clf.C == 3.0


def message_with_features(origins_and_widths) -> Message:
    message = Message({TEXT: "印花税怎么收"})
    for origin, width in origins_and_widths:
        message.add_features(Features(csr_matrix(np.ones((1, width))), FEATURE_TYPE_SENTENCE, TEXT, origin))
    return message


def test_reads_only_the_featurizers_it_is_configured_with(model_storage, resource, execution_context):
    message = message_with_features([("words", 3), ("chars", 5), ("token_chars", 7)])
    config = {**IntentClassifier.get_default_config(), "featurizers": ["words", "chars"]}
    chosen = IntentClassifier.create(config, model_storage, resource, execution_context)
    every = IntentClassifier.create(IntentClassifier.get_default_config(), model_storage, resource, execution_context)
    assert chosen._create_X([message]).shape == (1, 8)
    assert every._create_X([message]).shape == (1, 15)


def test_message_without_the_chosen_features_counts_as_featureless(model_storage, resource, execution_context):
    config = {**IntentClassifier.get_default_config(), "featurizers": ["chars"]}
    classifier = IntentClassifier.create(config, model_storage, resource, execution_context)
    message = message_with_features([("words", 3)])
    classifier.process([message])
    assert message.get(INTENT) == {"name": None, "confidence": 0.0}
