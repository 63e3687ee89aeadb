"""SecuritiesEntityExtractor on real Rasa messages, created the way the Rasa graph creates it."""
import time
from pathlib import Path
from typing import List, Tuple

import pytest
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.entities import SecuritiesEntityExtractor

EXTRACTOR = "SecuritiesEntityExtractor"


def make_extractor(model_storage, resource, execution_context, **config) -> SecuritiesEntityExtractor:
    config = {**SecuritiesEntityExtractor.get_default_config(), **config}
    return SecuritiesEntityExtractor.create(config, model_storage, resource, execution_context)


@pytest.fixture
def extractor(model_storage, resource, execution_context) -> SecuritiesEntityExtractor:
    return make_extractor(model_storage, resource, execution_context)


def parse(extractor: SecuritiesEntityExtractor, text: str, entities=None) -> Message:
    message = Message({TEXT: text, **({ENTITIES: entities} if entities is not None else {})})
    extractor.process([message])
    return message


def found(extractor, text: str) -> List[Tuple[str, str, str]]:
    """(type, text at the offsets, value) for each entity, checking offsets and extractor name."""
    entities = parse(extractor, text).get(ENTITIES) or []
    for entity in entities:
        assert entity["extractor"] == EXTRACTOR
        assert 0 <= entity["start"] < entity["end"] <= len(text)
        assert isinstance(entity["value"], str)
    return [(e["entity"], text[e["start"] : e["end"]], e["value"]) for e in entities]


def test_order_details_become_entities_with_normalised_values(extractor):
    message = parse(extractor, "卖出2000股，股价25元，手续费是多少")
    assert message.get(ENTITIES) == [
        {"entity": "side", "start": 0, "end": 2, "value": "sell", "extractor": EXTRACTOR},
        {"entity": "quantity", "start": 2, "end": 7, "value": "2000", "extractor": EXTRACTOR},
        {"entity": "price", "start": 10, "end": 13, "value": "25", "extractor": EXTRACTOR},
    ]
    assert ENTITIES in message.output_properties


@pytest.mark.parametrize(
    "text, expected",
    [
        ("买1000股10块钱的股票", [("side", "买", "buy"), ("quantity", "1000股", "1000"), ("price", "10块钱", "10"), ("product", "股票", "stock")]),
        ("两千股二十五块卖出去要多少费用", [("quantity", "两千股", "2000"), ("price", "二十五块", "25"), ("side", "卖出", "sell")]),
        ("买入5万元的股票", [("side", "买入", "buy"), ("amount", "5万元", "50000"), ("product", "股票", "stock")]),
        ("佣金万分之二点五", [("fee_item", "佣金", "commission"), ("rate", "万分之二点五", "0.00025")]),
        ("卖20手，十块五", [("side", "卖", "sell"), ("quantity", "20手", "2000"), ("price", "十块五", "10.5")]),
        ("十二块五一股买一千股", [("price", "十二块五一股", "12.5"), ("side", "买", "buy"), ("quantity", "一千股", "1000")]),
    ],
)
def test_order_wordings(extractor, text, expected):
    assert found(extractor, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("创业板和科创板怎么开通", [("board", "创业板", "chinext"), ("board", "科创板", "star")]),
        ("创业版要什么条件", [("board", "创业版", "chinext")]),
        ("北京证券交易所的股票", [("board", "北京证券交易所", "bse"), ("product", "股票", "stock")]),
        ("*ST能买吗", [("board", "*ST", "st"), ("side", "买", "buy")]),
        ("etf和LOF有什么区别", [("product", "etf", "etf"), ("product", "LOF", "lof")]),
        ("国债逆回购要手续费吗", [("product", "国债逆回购", "reverse_repo")]),
        ("可转债交印花税吗", [("product", "可转债", "convertible_bond"), ("fee_item", "印花税", "stamp_duty")]),
        ("过户费和经手费", [("fee_item", "过户费", "transfer_fee"), ("fee_item", "经手费", "handling_fee")]),
        ("我在工行开的户", [("bank", "工行", "icbc")]),
        ("三方存管能换成建设银行吗", [("bank", "建设银行", "ccb"), ("stock", "建设银行", "601939")]),
        ("贵州茅台现在多少钱", [("stock", "贵州茅台", "600519")]),
        ("茅台能买吗", [("stock", "茅台", "600519"), ("side", "买", "buy")]),
        ("600519是什么股票", [("stock", "600519", "600519"), ("product", "股票", "stock")]),
        ("sh600519和300750.SZ", [("stock", "sh600519", "600519"), ("stock", "300750.SZ", "300750")]),
        ("宁德时代是创业板的吗", [("stock", "宁德时代", "300750"), ("board", "创业板", "chinext")]),
        ("我要撤销指定交易", [("transfer_type", "撤销指定交易", "cancel_designation")]),
        ("转托管和撤指定", [("transfer_type", "转托管", "transfer_custody"), ("transfer_type", "撤指定", "cancel_designation")]),
        ("我想销户", [("transfer_type", "销户", "close_account")]),
        ("我要转到别的券商", [("transfer_type", "转到别的券商", "change_broker")]),
        ("我要转户", [("transfer_type", "转户", "change_broker")]),
    ],
)
def test_kb_names_become_canonical_values(extractor, text, expected):
    assert found(extractor, text) == expected


def test_a_name_with_two_meanings_gives_both_entities(extractor):
    assert found(extractor, "招商银行") == [("bank", "招商银行", "cmb"), ("stock", "招商银行", "600036")]


def test_unknown_six_digit_numbers_are_not_stocks(extractor):
    assert found(extractor, "123456是什么") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我的手机是13812345678", [("phone", "13812345678", "13812345678")]),
        ("电话139 1234 5678", [("phone", "139 1234 5678", "13912345678")]),
        ("手机号：１３８１２３４５６７８", [("phone", "１３８１２３４５６７８", "13812345678")]),
        ("我的工单CP-20261123-0001怎么样了", [("ticket_id", "CP-20261123-0001", "CP-20261123-0001")]),
        ("rt-20261120-0003", [("ticket_id", "rt-20261120-0003", "RT-20261120-0003")]),
        ("12812345678 和 138123456789", []),  # not a mobile number, one digit too many
    ],
)
def test_phone_numbers_and_ticket_ids(extractor, text, expected):
    assert found(extractor, text) == expected


def test_traditional_message_keeps_the_original_offsets(extractor):
    text = "我在招商銀行開戶，想轉託管，賣出兩千股每股二十五塊"
    assert found(extractor, text) == [
        ("bank", "招商銀行", "cmb"),
        ("stock", "招商銀行", "600036"),
        ("transfer_type", "轉託管", "transfer_custody"),
        ("side", "賣出", "sell"),
        ("quantity", "兩千股", "2000"),
        ("price", "二十五塊", "25"),
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n", "😀😀😀", "？？？", "你好"])
def test_messages_without_entities(extractor, text):
    assert found(extractor, text) == []


def test_entities_of_other_extractors_are_kept_and_not_duplicated(extractor):
    diet = {"entity": "quantity", "start": 2, "end": 7, "value": "2000股", "extractor": "DIETClassifier"}
    other_type = {"entity": "number", "start": 10, "end": 13, "value": "25", "extractor": "DucklingEntityExtractor"}
    message = parse(extractor, "卖出2000股，股价25元", entities=[diet, other_type])
    entities = message.get(ENTITIES)
    assert entities[:2] == [diet, other_type]
    assert [(e["entity"], e["start"], e["end"]) for e in entities[2:]] == [("side", 0, 2), ("price", 10, 13)]


def test_processing_twice_adds_nothing_new(extractor):
    message = Message({TEXT: "卖出2000股，股价25元"})
    extractor.process([message])
    first = list(message.get(ENTITIES))
    extractor.process([message])
    assert message.get(ENTITIES) == first


def test_kb_dir_can_point_to_another_catalogue(model_storage, resource, execution_context, tmp_path: Path):
    (tmp_path / "entities.yml").write_text(
        "source: 测试\nreviewed: 2026-01-01\nreview_by: 2027-01-01\n"
        "boards:\n  - {value: test_board, names: [测试板]}\n",
        encoding="utf-8",
    )
    extractor = make_extractor(model_storage, resource, execution_context, kb_dir=str(tmp_path))
    assert found(extractor, "测试板和创业板") == [("board", "测试板", "test_board")]


def test_a_missing_kb_dir_is_a_config_error(model_storage, resource, execution_context):
    with pytest.raises(InvalidConfigException, match="entities.yml"):
        make_extractor(model_storage, resource, execution_context, kb_dir="no/such/kb")


def test_the_pipeline_is_built_once_and_extraction_is_fast(model_storage, resource, execution_context, extractor):
    started = time.perf_counter()
    again = make_extractor(model_storage, resource, execution_context)
    assert time.perf_counter() - started < 0.5  # cached per kb file version, not rebuilt

    text = ("我在工行开户，卖出2000股贵州茅台，股价25元，手续费多少？" * 200)[:5000]
    started = time.perf_counter()
    entities = found(again, text)
    assert time.perf_counter() - started < 3
    assert {e[0] for e in entities} == {"bank", "side", "quantity", "stock", "price"}
