"""ChineseTokenizer on the mixed, traditional and odd input customers actually send."""
from pathlib import Path
from typing import List

import jieba
import pytest
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.common.text import normalise, to_simplified
from bot.nlu.tokenizer import ChineseTokenizer, load_user_dictionaries
from bot.common.settings import PROJECT_ROOT

JIEBA_DIR = PROJECT_ROOT / "data" / "jieba"


def make_tokenizer(model_storage, resource, execution_context, **config) -> ChineseTokenizer:
    config = {**ChineseTokenizer.get_default_config(), "dictionary_path": str(JIEBA_DIR), **config}
    return ChineseTokenizer.create(config, model_storage, resource, execution_context)


@pytest.fixture
def tokenizer(model_storage, resource, execution_context) -> ChineseTokenizer:
    return make_tokenizer(model_storage, resource, execution_context)


def tokens_of(tokenizer: ChineseTokenizer, text: str) -> List[Token]:
    message = Message({TEXT: text})
    tokenizer.process([message])
    return message.get(TOKENS_NAMES[TEXT])


def words(tokenizer: ChineseTokenizer, text: str) -> List[str]:
    return [token.text for token in tokens_of(tokenizer, text)]


def assert_aligned(text: str, tokens: List[Token]) -> None:
    """No blank tokens; each token is the (normalised) text at its offsets; tokens do not overlap."""
    normal = normalise(text)
    previous_end = 0
    for token in tokens:
        assert token.text and token.text == token.text.strip(), token
        assert token.end == token.start + len(token.text)
        assert normal[token.start : token.end] == token.text
        original = text[token.start : token.end]
        assert token.text in (original, to_simplified(original), normalise(original))
        assert token.start >= previous_end
        previous_end = token.end


@pytest.mark.parametrize(
    "text, expected",
    [
        ("T+1是什么意思", ["T+1", "是", "什么", "意思"]),
        ("ETF要交印花税吗", ["ETF", "要交", "印花税", "吗"]),
        ("A股开户", ["A股", "开户"]),
        ("600519能买吗", ["600519", "能", "买", "吗"]),
        ("买入 600519\n\t好", ["买入", "600519", "好"]),
    ],
)
def test_mixed_chinese_and_ascii_is_segmented_without_blank_tokens(tokenizer, text, expected):
    tokens = tokens_of(tokenizer, text)
    assert [t.text for t in tokens] == expected
    assert_aligned(text, tokens)


def test_traditional_input_is_segmented_as_simplified_with_original_offsets(tokenizer):
    text = "買1000股 ETF手續費"
    tokens = tokens_of(tokenizer, text)
    assert [t.text for t in tokens] == ["买", "1000", "股", "ETF", "手续费"]
    assert text[tokens[-1].start : tokens[-1].end] == "手續費"
    assert_aligned(text, tokens)


def test_traditional_and_simplified_wordings_give_the_same_tokens(tokenizer):
    assert words(tokenizer, "撤銷指定交易要多久") == words(tokenizer, "撤销指定交易要多久")
    assert words(tokenizer, "轉託管怎麼辦理") == words(tokenizer, "转托管怎么办理")


def test_full_width_digits_and_letters_are_read_as_ascii(tokenizer):
    text = "买入２０００股ＥＴＦ"
    tokens = tokens_of(tokenizer, text)
    assert [t.text for t in tokens] == ["买入", "2000", "股", "ETF"]
    assert_aligned(text, tokens)


@pytest.mark.parametrize("word", ["撤销指定交易", "价格笼子", "三方存管", "非交易过户", "人工客服", "风险测评", "转托管"])
def test_domain_words_from_the_user_dictionary_stay_whole(tokenizer, word):
    assert word in words(tokenizer, f"我想问一下{word}怎么办")


@pytest.mark.parametrize("text", ["", " ", "   \n\t ", "\u3000\u3000"])
def test_blank_text_gives_no_tokens(tokenizer, text):
    assert tokens_of(tokenizer, text) in (None, [])


def test_emoji_only_text_gives_aligned_non_blank_tokens(tokenizer):
    text = "😀👍🏻 🙏"
    tokens = tokens_of(tokenizer, text)
    assert tokens
    assert_aligned(text, tokens)


def test_a_very_long_message_is_tokenised_consistently(tokenizer):
    text = ("買1000股 ETF手續費是多少？T+1 😀 " * 200)[:5000]
    tokens = tokens_of(tokenizer, text)
    assert len(tokens) > 1000
    assert_aligned(text, tokens)


def test_training_data_is_tokenised_too(tokenizer):
    data = TrainingData([Message({TEXT: "ETF 要交印花稅嗎", "intent": "faq"})])
    tokenizer.process_training_data(data)
    tokens = data.training_examples[0].get(TOKENS_NAMES[TEXT])
    assert [t.text for t in tokens] == ["ETF", "要交", "印花税", "吗"]


def test_dictionary_path_must_be_a_directory(model_storage, resource, execution_context):
    with pytest.raises(InvalidConfigException, match="directory"):
        make_tokenizer(model_storage, resource, execution_context, dictionary_path=str(JIEBA_DIR / "userdict.txt"))
    with pytest.raises(InvalidConfigException, match="does not exist"):
        make_tokenizer(model_storage, resource, execution_context, dictionary_path="no/such/dir")


def test_relative_dictionary_path_is_found_from_the_project_root(model_storage, resource, execution_context, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    tokenizer = make_tokenizer(model_storage, resource, execution_context, dictionary_path="data/jieba")
    assert "价格笼子" in words(tokenizer, "价格笼子是什么")


def test_loading_a_dictionary_twice_does_not_change_jieba(tmp_path: Path):
    folder = tmp_path / "dict"
    folder.mkdir()
    (folder / "userdict.txt").write_text("测试专用词甲乙 3000 n\n", encoding="utf-8")
    (folder / "README.md").write_text("not a dictionary", encoding="utf-8")
    assert load_user_dictionaries(folder) == 1
    total = jieba.dt.total
    assert load_user_dictionaries(folder) == 0
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "userdict.txt").write_bytes((folder / "userdict.txt").read_bytes())
    assert load_user_dictionaries(copy) == 0  # same content from another place (a model archive)
    assert jieba.dt.total == total
    assert "测试专用词甲乙" in jieba.lcut("这是测试专用词甲乙吗")


def test_dictionaries_are_packed_into_the_model_and_loaded_back(model_storage, execution_context):
    resource = Resource("train_tokenizer")
    trained = make_tokenizer(model_storage, resource, execution_context)
    assert trained.train(TrainingData()) == resource
    with model_storage.read_from(resource) as directory:
        assert sorted(p.name for p in Path(directory).iterdir()) == ["userdict.txt"]

    config = {**ChineseTokenizer.get_default_config(), "dictionary_path": "data/jieba"}
    loaded = ChineseTokenizer.load(config, model_storage, resource, execution_context)
    assert isinstance(loaded, ChineseTokenizer)
    assert "撤销指定交易" in words(loaded, "我要撤销指定交易")
