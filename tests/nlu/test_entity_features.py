"""EntityMentionFeaturizer on real messages, tokenised by our tokenizer and read from the real kb."""
import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.entities import ENTITY_TYPES
from bot.nlu.entity_features import EntityMentionFeaturizer
from bot.nlu.tokenizer import ChineseTokenizer


@pytest.fixture
def tokenizer(model_storage, resource, execution_context) -> ChineseTokenizer:
    config = {**ChineseTokenizer.get_default_config(), "dictionary_path": "data/jieba"}
    return ChineseTokenizer.create(config, model_storage, resource, execution_context)


@pytest.fixture
def featurizer(model_storage, resource, execution_context) -> EntityMentionFeaturizer:
    return EntityMentionFeaturizer.create({}, model_storage, resource, execution_context)


def mentioned(tokenizer, featurizer, text: str) -> set:
    message = Message({TEXT: text})
    tokenizer.process([message])
    featurizer.process([message])
    sequence, sentence = message.get_sparse_features(TEXT)
    assert sequence is None
    row = sentence.features.toarray()[0]
    assert row.shape == (len(ENTITY_TYPES),) and set(np.unique(row)) <= {0.0, 1.0}
    return {t for t, value in zip(ENTITY_TYPES, row) if value}


def test_named_stock_and_code_count_as_a_stock(tokenizer, featurizer):
    assert mentioned(tokenizer, featurizer, "宁德时代能涨到多少") == {"stock"}
    assert "stock" in mentioned(tokenizer, featurizer, "600519的目标价是多少")


def test_order_details_and_identifiers(tokenizer, featurizer):
    assert {"side", "quantity", "price"} <= mentioned(tokenizer, featurizer, "卖出两千股，价格二十五块")
    assert "ticket_id" in mentioned(tokenizer, featurizer, "工单CP-20261101-0019进度怎样")
    assert "phone" in mentioned(tokenizer, featurizer, "回电13600002222")


def test_traditional_board_names_count_as_boards(tokenizer, featurizer):
    assert "board" in mentioned(tokenizer, featurizer, "創業板怎麼開通")


def test_plain_question_has_an_all_zero_feature(tokenizer, featurizer):
    assert mentioned(tokenizer, featurizer, "你们几点下班") == set()


def test_featureless_messages_stay_featureless(tokenizer, featurizer):
    blank, spaces = Message({TEXT: ""}), Message({TEXT: "   "})
    data = TrainingData([blank, spaces])
    tokenizer.process_training_data(data)
    featurizer.process_training_data(data)
    assert blank.get_sparse_features(TEXT) == (None, None)
    assert spaces.get_sparse_features(TEXT) == (None, None)
