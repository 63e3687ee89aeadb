"""SentenceCharNgramFeaturizer trained, persisted and reloaded through Rasa's real model storage."""
import pytest
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.char_ngrams import SentenceCharNgramFeaturizer, sentence_form
from bot.nlu.tokenizer import ChineseTokenizer

TRAINING = ["开户要带什么证件", "开户要带身份证吗", "印花税怎么收", "印花税是单边收吗", "ETF是T+0吗"]


@pytest.fixture
def tokenizer(model_storage, resource, execution_context) -> ChineseTokenizer:
    config = {**ChineseTokenizer.get_default_config(), "dictionary_path": "data/jieba"}
    return ChineseTokenizer.create(config, model_storage, resource, execution_context)


@pytest.fixture
def trained(tokenizer, model_storage, resource, execution_context) -> SentenceCharNgramFeaturizer:
    """Trained, then loaded back from storage the way a packed model is."""
    data = TrainingData([Message({TEXT: text}) for text in TRAINING])
    tokenizer.process_training_data(data)
    SentenceCharNgramFeaturizer.create({}, model_storage, resource, execution_context).train(data)
    return SentenceCharNgramFeaturizer.load({}, model_storage, resource, execution_context)


def features(tokenizer, featurizer, text: str):
    message = Message({TEXT: text})
    tokenizer.process([message])
    featurizer.process([message])
    return message.get_sparse_features(TEXT)


def ngrams(tokenizer, featurizer, text: str) -> set:
    sequence, sentence = features(tokenizer, featurizer, text)
    assert sequence is None  # n-grams do not line up with tokens
    vocabulary = featurizer._vectorizer.get_feature_names_out()
    return {vocabulary[i] for i in sentence.features.tocsr().indices}


def test_ngrams_cross_word_boundaries(tokenizer, trained):
    # jieba splits 开户|要|带: token-bounded n-grams would never contain "户要".
    assert {"户要", "户要带", "要带"} <= ngrams(tokenizer, trained, "开户要带啥")


def test_only_ngrams_seen_twice_in_training_are_kept(tokenizer, trained):
    found = ngrams(tokenizer, trained, "印花税怎么收")
    assert "印花税" in found and "怎么收" not in found  # 怎么收 occurs in one training sentence


def test_traditional_full_width_and_upper_case_count_as_their_normal_form(tokenizer, trained):
    assert ngrams(tokenizer, trained, "開戶要帶身份證嗎") == ngrams(tokenizer, trained, "开户要带身份证吗")
    assert ngrams(tokenizer, trained, "ＥＴＦ是Ｔ＋０嗎") == ngrams(tokenizer, trained, "etf是t+0吗")
    assert sentence_form("ＥＴＦ") == "etf"


def test_counts_repeated_ngrams(tokenizer, trained):
    _, sentence = features(tokenizer, trained, "印花税印花税")
    vocabulary = list(trained._vectorizer.get_feature_names_out())
    assert sentence.features.toarray()[0][vocabulary.index("印花税")] == 2


def test_featureless_messages_stay_featureless(tokenizer, trained):
    assert features(tokenizer, trained, "   ") == (None, None)
    assert features(tokenizer, trained, "") == (None, None)


def test_untrained_featurizer_adds_nothing(tokenizer, model_storage, resource, execution_context):
    untrained = SentenceCharNgramFeaturizer.load({}, model_storage, resource, execution_context)
    assert features(tokenizer, untrained, "开户要带什么") == (None, None)


@pytest.mark.parametrize("config", [{"min_ngram": 3, "max_ngram": 2}, {"min_ngram": 0}, {"min_df": 0}])
def test_inconsistent_configuration_is_rejected(config, model_storage, resource, execution_context):
    with pytest.raises(InvalidConfigException):
        SentenceCharNgramFeaturizer.create(config, model_storage, resource, execution_context)
