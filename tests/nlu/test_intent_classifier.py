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


def test_network_shares_the_vote_and_survives_persistence(model_storage, resource, execution_context):
    config = {**IntentClassifier.get_default_config(), "featurizers": ["words"],
              "mlp_weight": 0.25, "mlp_hidden_units": 8, "mlp_epochs": 200}
    trained = IntentClassifier.create(config, model_storage, resource, execution_context)
    trained.train(training_data_with_features())
    loaded = IntentClassifier.load(config, model_storage, resource, execution_context)
    assert loaded.network is not None and list(loaded.network.classes_) == list(loaded.clf.classes_)

    x = csr_matrix(np.array([[0.0, 0.0, 1.05, 0.0]]))
    expected = 0.75 * loaded.clf.predict_proba(x) + 0.25 * loaded.network.predict_proba(x)
    assert np.allclose(loaded._probabilities(x), expected)
    assert not np.allclose(expected, loaded.clf.predict_proba(x))  # the network really votes

    message = Message({TEXT: "faq"})
    message.add_features(Features(x, FEATURE_TYPE_SENTENCE, TEXT, "words"))
    loaded.process([message])
    assert message.get(INTENT)["name"] == "faq"


def test_without_a_network_weight_only_the_regression_is_trained(model_storage, resource, execution_context):
    config = {**IntentClassifier.get_default_config(), "featurizers": ["words"]}
    trained = IntentClassifier.create(config, model_storage, resource, execution_context)
    trained.train(training_data_with_features())
    loaded = IntentClassifier.load(config, model_storage, resource, execution_context)
    x = csr_matrix(np.array([[1.0, 0.0, 0.0, 0.0]]))
    assert loaded.network is None and loaded.embedding_regression is None
    assert np.allclose(loaded._probabilities(x), loaded.clf.predict_proba(x))


def test_embedding_regression_votes_on_its_own_features_and_survives_persistence(
    model_storage, resource, execution_context
):
    config = {**IntentClassifier.get_default_config(), "featurizers": ["words"],
              "embedding_featurizers": ["embedding"], "embedding_weight": 0.2, "embedding_C": 0.5}
    trained = IntentClassifier.create(config, model_storage, resource, execution_context)
    trained.train(training_data_with_features())
    loaded = IntentClassifier.load(config, model_storage, resource, execution_context)
    regression = loaded.embedding_regression
    assert regression is not None and regression.C == 0.5
    assert list(regression.classes_) == list(loaded.clf.classes_)
    assert regression.n_features_in_ == 4  # the embedding's columns only, not the words'

    # The words say greet, the embedding says article 3: the blend is 80% / 20% of the two.
    words = csr_matrix(np.array([[1.0, 0.0, 0.0, 0.0]]))
    embedding = csr_matrix(np.array([[0.0, 0.0, 0.0, 2.0]]))
    expected = 0.8 * loaded.clf.predict_proba(words) + 0.2 * regression.predict_proba(embedding)
    assert np.allclose(loaded._probabilities(words, embedding), expected)
    assert not np.allclose(expected, loaded.clf.predict_proba(words))

    message = Message({TEXT: "greet"})
    message.add_features(Features(words, FEATURE_TYPE_SENTENCE, TEXT, "words"))
    message.add_features(Features(embedding.toarray(), FEATURE_TYPE_SENTENCE, TEXT, "embedding"))
    loaded.process([message])
    ranking = {r["name"]: r["confidence"] for r in message.get("intent_ranking")}
    assert ranking["faq"] == pytest.approx(expected[0, list(loaded.clf.classes_).index("faq/article3")])


def test_a_message_without_embedding_features_keeps_the_other_models_vote(
    model_storage, resource, execution_context
):
    config = {**IntentClassifier.get_default_config(), "featurizers": ["words"],
              "embedding_featurizers": ["embedding"], "embedding_weight": 0.2}
    trained = IntentClassifier.create(config, model_storage, resource, execution_context)
    trained.train(training_data_with_features())
    message = Message({TEXT: "greet"})
    words = csr_matrix(np.array([[1.0, 0.0, 0.0, 0.0]]))
    message.add_features(Features(words, FEATURE_TYPE_SENTENCE, TEXT, "words"))
    trained.process([message])
    assert message.get(INTENT)["confidence"] == pytest.approx(trained.clf.predict_proba(words).max())
