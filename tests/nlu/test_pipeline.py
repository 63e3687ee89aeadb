"""A Rasa pipeline referencing our components by module path trains, packs and parses end to end."""
import textwrap
from pathlib import Path

import pytest

from bot.common.settings import PROJECT_ROOT

CONFIG = """
recipe: default.v1
assistant_id: nlu-components-test
language: zh
pipeline:
  - name: bot.nlu.tokenizer.ChineseTokenizer
    dictionary_path: {jieba_dir}
  - name: CountVectorsFeaturizer
    alias: words
  - name: bot.nlu.char_ngrams.SentenceCharNgramFeaturizer
    alias: chars
    min_df: 1
  - name: bot.nlu.sentence_embeddings.SentenceEmbeddingFeaturizer
    alias: embedding
  - name: bot.nlu.intent_classifier.IntentClassifier
    C: 3
    featurizers: [words, chars, embedding]
  - name: bot.nlu.entities.SecuritiesEntityExtractor
    kb_dir: {kb_dir}
policies: []
"""

NLU = """
version: "3.1"
nlu:
- intent: calc_fee
  examples: |
    - 卖出2000股，股价25元，手续费是多少
    - 买1000股10块钱的股票要多少费用
    - 两千股二十五块卖出去要多少费用
    - 买入5万元的股票手续费多少
- intent: request_account_transfer
  examples: |
    - 我要撤销指定交易
    - 我想转托管到别的券商
    - 我要销户
    - 怎么转户
- intent: faq/stamp_duty
  examples: |
    - 印花税收多少
    - 卖股票要交印花税吗
    - 印花税是单边收吗
- intent: faq/t_plus_one
  examples: |
    - 今天买的股票今天能卖吗
    - a股是t+1吗
    - 买入后什么时候可以卖出
"""


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    from rasa.model_training import train_nlu

    folder: Path = tmp_path_factory.mktemp("pipeline")
    config = folder / "config.yml"
    config.write_text(
        textwrap.dedent(CONFIG).format(jieba_dir=PROJECT_ROOT / "data" / "jieba", kb_dir=PROJECT_ROOT / "kb"),
        encoding="utf-8",
    )
    nlu = folder / "nlu.yml"
    nlu.write_text(textwrap.dedent(NLU), encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        # A private training cache: always really train (the cache does not see our source code
        # change) and leave nothing in the project's .rasa/.
        patch.setenv("RASA_CACHE_DIRECTORY", str(folder / "cache"))
        path = train_nlu(str(config), str(nlu), str(folder / "models"), fixed_model_name="nlu")
    assert path and Path(path).is_file()
    return path


@pytest.fixture(scope="module")
def agent(model_path):
    from rasa.core.agent import Agent

    return Agent.load(model_path)


def entities_of(result):
    return [(e["entity"], e["value"], e["extractor"]) for e in result["entities"]]


@pytest.mark.model
async def test_trained_pipeline_parses_an_order(agent):
    result = await agent.parse_message("卖出2000股，股价25元，手续费是多少")
    assert result["intent"]["name"] in {"calc_fee", "request_account_transfer"}
    assert entities_of(result) == [
        ("side", "sell", "SecuritiesEntityExtractor"),
        ("quantity", "2000", "SecuritiesEntityExtractor"),
        ("price", "25", "SecuritiesEntityExtractor"),
    ]


@pytest.mark.model
async def test_trained_pipeline_parses_traditional_chinese(agent):
    text = "我要撤銷指定交易，招商銀行的三方存管怎麼辦"
    result = await agent.parse_message(text)
    found = [(e["entity"], text[e["start"] : e["end"]], e["value"]) for e in result["entities"]]
    assert ("transfer_type", "撤銷指定交易", "cancel_designation") in found
    assert ("bank", "招商銀行", "cmb") in found


@pytest.mark.model
@pytest.mark.parametrize("text", ["   ", "😀😀", "买 ETF T+1 A股 600519"])
async def test_trained_pipeline_survives_odd_input(agent, text):
    result = await agent.parse_message(text)
    assert "intent" in result and isinstance(result["entities"], list)


@pytest.mark.model
async def test_featureless_message_gets_no_intent_instead_of_an_error(agent):
    # Whitespace has no tokens, so no features: Rasa's own logistic regression raises on it.
    result = await agent.parse_message("   ")
    assert result["intent"] == {"name": None, "confidence": 0.0}
    assert result["intent_ranking"] == []


@pytest.mark.model
async def test_articles_are_learned_separately_but_reported_as_their_intent(agent):
    result = await agent.parse_message("印花税是买卖都收吗")
    assert result["intent"]["name"] == "faq"
    names = [entry["name"] for entry in result["intent_ranking"]]
    assert names[0] == "faq" and len(names) == len(set(names)) == 3
    assert all("/" not in name for name in names)


@pytest.mark.model
async def test_the_trained_model_chooses_the_article_without_a_response_selector(agent):
    result = await agent.parse_message("卖股票收多少印花税")
    assert result["intent"]["name"] == "faq"
    selected = result["response_selector"]["faq"]["response"]
    assert selected["intent_response_key"] == "faq/stamp_duty"
    assert selected["confidence"] == pytest.approx(result["intent"]["confidence"])
