"""The sentence-embedding featurizer on the real bundled encoder, and the intent ranking it feeds."""
import numpy as np
import pytest
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_classifier import intent_ranking
from bot.nlu.sentence_embeddings import E5Encoder, SentenceEmbeddingFeaturizer


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def tokenised(text: str) -> Message:
    message = Message(data={TEXT: text})
    tokens = [Token(text, 0)] if text.strip() else []
    message.set(TOKENS_NAMES[TEXT], tokens)
    return message


@pytest.fixture
def featurizer(model_storage, resource, execution_context) -> SentenceEmbeddingFeaturizer:
    return SentenceEmbeddingFeaturizer.create({"scale": 10.0}, model_storage, resource, execution_context)


def test_paraphrases_are_closer_than_different_questions():
    stamp_duty, selling_tax, weather, complaint = E5Encoder.shared().encode(
        ["印花税怎么收", "卖股票要交什么税", "明天会下雨吗", "你们乱收费我要投诉"]
    )
    assert cosine(stamp_duty, selling_tax) > cosine(stamp_duty, weather)
    assert cosine(stamp_duty, selling_tax) > cosine(stamp_duty, complaint)


def test_vectors_are_unit_length_and_stable_across_calls():
    encoder = E5Encoder
    first = encoder.shared().encode(["转托管要多久", "佣金是多少"])
    again = encoder.shared().encode(["佣金是多少"])
    assert first.shape == (2, encoder.dim)
    assert np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-3)
    assert np.array_equal(first[1], again[0])
    assert encoder.shared() is encoder.shared()


def test_featurizer_adds_one_scaled_sentence_feature_of_the_simplified_text(featurizer):
    message = tokenised("手續費怎麼收")
    featurizer.process([message])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence is None
    assert sentence.features.shape == (1, E5Encoder.dim)
    assert np.linalg.norm(sentence.features) == pytest.approx(10.0, rel=1e-3)
    expected = E5Encoder.shared().encode(["手续费怎么收"])[0] * 10
    assert np.allclose(sentence.features[0], expected, atol=1e-5)


def test_featureless_messages_stay_featureless(featurizer):
    blank, spaces = tokenised(""), tokenised("   ")
    featurizer.process_training_data(TrainingData([blank, spaces]))
    assert blank.get_dense_features(TEXT) == (None, None)
    assert spaces.get_dense_features(TEXT) == (None, None)


def test_scale_must_be_positive(model_storage, resource, execution_context):
    from rasa.shared.exceptions import InvalidConfigException

    with pytest.raises(InvalidConfigException):
        SentenceEmbeddingFeaturizer.create({"scale": 0}, model_storage, resource, execution_context)


def test_ranking_groups_articles_under_their_intent_by_their_best_article():
    ranking = intent_ranking(
        ["complain", "faq/stamp_duty", "faq/t_plus_one", "greet"], [0.30, 0.35, 0.25, 0.10]
    )
    assert ranking == [
        {"name": "faq", "confidence": 0.35},
        {"name": "complain", "confidence": 0.30},
        {"name": "greet", "confidence": 0.10},
    ]
