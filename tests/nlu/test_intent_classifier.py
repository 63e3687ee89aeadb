"""IntentClassifier's own configuration: regularisation and feature choice, which Rasa's parent lacks."""
import numpy as np
import pytest
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


def training_data_with_features():
    """Two intents and two FAQ articles, each told apart by its own feature column.

    An "embedding" feature tells them apart too, in a column of its own per label (columns 4–7).
    """
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = []
    for column, intent in enumerate(["greet", "thank", "faq", "faq"]):
        for copy in range(6):
            vector = np.zeros((1, 4))
            vector[0, column] = 1.0 + copy / 10
            message = Message({TEXT: f"{intent} {column} {copy}", INTENT: intent})
            if intent == "faq":
                message.set("intent_response_key", f"faq/article{column}")
            message.add_features(Features(csr_matrix(vector), FEATURE_TYPE_SENTENCE, TEXT, "words"))
            message.add_features(Features(vector * 2, FEATURE_TYPE_SENTENCE, TEXT, "embedding"))
            messages.append(message)
    return TrainingData(messages)


def test_the_article_is_chosen_from_the_same_probabilities_and_survives_persistence(
    model_storage, resource, execution_context
):
    config = {**IntentClassifier.get_default_config(), "featurizers": ["words"]}
    trained = IntentClassifier.create(config, model_storage, resource, execution_context)
    trained.train(training_data_with_features())
    loaded = IntentClassifier.load(config, model_storage, resource, execution_context)

    x = csr_matrix(np.array([[0.0, 0.0, 0.0, 1.05]]))  # article 3's column
    message = Message({TEXT: "faq"})
    message.add_features(Features(x, FEATURE_TYPE_SENTENCE, TEXT, "words"))
    loaded.process([message])
    probabilities = dict(zip(loaded.clf.classes_, loaded.clf.predict_proba(x)[0]))
    selected = message.get("response_selector")["faq"]
    assert selected["response"]["intent_response_key"] == "faq/article3"
    assert selected["response"]["utter_action"] == "utter_faq/article3"
    assert selected["response"]["confidence"] == pytest.approx(probabilities["faq/article3"])
    assert [r["intent_response_key"] for r in selected["ranking"]] == ["faq/article3", "faq/article2"]
    assert message.get(INTENT) == {"name": "faq", "confidence": pytest.approx(probabilities["faq/article3"])}


def test_a_message_heard_as_another_intent_still_carries_its_closest_article(
    model_storage, resource, execution_context
):
    config = {**IntentClassifier.get_default_config(), "featurizers": ["words"]}
    trained = IntentClassifier.create(config, model_storage, resource, execution_context)
    trained.train(training_data_with_features())
    message = Message({TEXT: "greet"})
    message.add_features(Features(csr_matrix(np.array([[1.0, 0.0, 0.0, 0.0]])), FEATURE_TYPE_SENTENCE, TEXT,
                                  "words"))
    trained.process([message])
    assert message.get(INTENT)["name"] == "greet"
    # A low article confidence is what lets the answering action abstain.
    assert message.get("response_selector")["faq"]["response"]["confidence"] < 0.5
