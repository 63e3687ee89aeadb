"""Chinese/Arabic number wordings customers use for orders, fees and rates."""
from decimal import Decimal

import pytest

from bot.nlu.numbers import (
    Mention,
    find_order_mentions,
    parse_amount,
    parse_number,
    parse_price,
    parse_quantity,
    parse_rate,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("两千", "2000"),
        ("二十五", "25"),
        ("十", "10"),
        ("十五", "15"),
        ("一百零五", "105"),
        ("一千零五十", "1050"),
        ("三千五百", "3500"),
        ("三千五", "3500"),
        ("两百五", "250"),
        ("一万二", "12000"),
        ("一万零二", "10002"),
        ("一万二千五百", "12500"),
        ("两万亿", "2000000000000"),
        ("一亿二千万", "120000000"),
        ("零点五", "0.5"),
        ("二点五", "2.5"),
        ("十二点五", "12.5"),
        ("零点零二五", "0.025"),
        ("一点五万", "15000"),
        ("1.5万", "15000"),
        ("2.5千", "2500"),
        ("3千5", "3500"),
        ("2万5", "25000"),
        ("1万2500", "12500"),
        ("2000万", "20000000"),
        ("2000", "2000"),
        ("25.30", "25.3"),
        ("2,000", "2000"),
        ("1,500,000", "1500000"),
        ("２０００", "2000"),
        ("１．５万", "15000"),
        ("兩千", "2000"),  # traditional
        ("貳仟", "2000"),  # financial numerals
        ("壹万贰仟", "12000"),
        (" 25 ", "25"),
        ("六零零五一九", "600519"),  # codes read digit by digit
        ("零", "0"),
    ],
)
def test_parse_number_reads_chinese_and_arabic_forms(text, expected):
    assert parse_number(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text", ["", "   ", "万", "千", "百万", "三五千", "五百三千", "点五", "2,00", "二五六七万八", "abc", "两千多", "一万万", "一亿亿"]
)
def test_parse_number_rejects_what_is_not_one_number(text):
    assert parse_number(text) is None


def test_parse_number_has_no_float_noise():
    assert str(parse_number("1.5万")) == "15000"
    assert str(parse_number("零点五")) == "0.5"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("两千股", 2000),
        ("2000股", 2000),
        ("1000股", 1000),
        ("2000 股", 2000),
        ("20手", 2000),
        ("一手", 100),
        ("两手", 200),
        ("十手", 1000),
        ("1万股", 10000),
        ("一万二千股", 12000),
        ("两千五百股", 2500),
        ("三百股", 300),
        ("2,000股", 2000),
        ("２０００股", 2000),
        ("兩千股", 2000),
        ("2000", 2000),  # an entity value already normalised
        ("500份", 500),
        ("10张", 10),
    ],
)
def test_parse_quantity_in_shares(text, expected):
    assert parse_quantity(text) == expected
    assert isinstance(parse_quantity(text), int)


@pytest.mark.parametrize("text", ["股", "0股", "1.5股", "两千多股", "很多股", "25元"])
def test_parse_quantity_rejects_non_share_counts(text):
    assert parse_quantity(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("二十五块", "25"),
        ("25元", "25"),
        ("25块钱", "25"),
        ("25", "25"),
        ("十块五", "10.5"),
        ("十块一", "10.1"),
        ("9块8", "9.8"),
        ("十二块五", "12.5"),
        ("10块5毛", "10.5"),
        ("10块5毛2", "10.52"),
        ("十块零五分", "10.05"),
        ("25.3元/股", "25.3"),
        ("25元一股", "25"),
        ("十二块五一股", "12.5"),
        ("8块3一股", "8.3"),
        ("十块零五分一股", "10.05"),
        ("十二元五角", "12.5"),
        ("每股十二块五", "12.5"),
        ("25元每股", "25"),
        ("每股25元", "25"),
        ("股价25元", "25"),
        ("一百二十块", "120"),
        ("12.50元", "12.5"),
        ("二十五塊", "25"),  # traditional
        ("２５元", "25"),
    ],
)
def test_parse_price_per_share(text, expected):
    assert parse_price(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "元", "0元", "块五", "二十五块多", "十块五六"])
def test_parse_price_rejects_non_prices(text):
    assert parse_price(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5万", "50000"),
        ("1.5万元", "15000"),
        ("十万块", "100000"),
        ("十万元", "100000"),
        ("5万块钱", "50000"),
        ("3万5", "35000"),
        ("10000元", "10000"),
        ("20000", "20000"),
        ("成交金额10000元", "10000"),
        ("50万人民币", "500000"),
        ("五萬元", "50000"),
    ],
)
def test_parse_amount_of_turnover(text, expected):
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "万元", "0元", "很多钱"])
def test_parse_amount_rejects_non_amounts(text):
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("万分之二点五", "0.00025"),
        ("万分之2.5", "0.00025"),
        ("万分之一点五", "0.00015"),
        ("万2.5", "0.00025"),
        ("万1.5", "0.00015"),
        ("万2", "0.0002"),
        ("万三", "0.0003"),
        ("万一", "0.0001"),
        ("0.025%", "0.00025"),
        ("0.025 %", "0.00025"),
        ("０．０２５％", "0.00025"),
        ("千分之一", "0.001"),
        ("十万分之二", "0.00002"),
        ("百分之零点零二五", "0.00025"),
        ("0.25‰", "0.00025"),
        ("2.5‱", "0.00025"),
        ("萬分之二點五", "0.00025"),
    ],
)
def test_parse_rate_as_a_fraction(text, expected):
    assert parse_rate(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "2.5", "万分之", "万分之零", "百分之", "25元"])
def test_parse_rate_rejects_non_rates(text):
    assert parse_rate(text) is None


def mentions(text):
    return [(m.kind, m.text, m.value_text) for m in find_order_mentions(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "卖出2000股，股价25元，手续费是多少",
            [("side", "卖出", "sell"), ("quantity", "2000股", "2000"), ("price", "25元", "25")],
        ),
        (
            "买1000股10块钱的股票",
            [("side", "买", "buy"), ("quantity", "1000股", "1000"), ("price", "10块钱", "10")],
        ),
        (
            "两千股二十五块卖出去要多少费用",
            [("quantity", "两千股", "2000"), ("price", "二十五块", "25"), ("side", "卖出", "sell")],
        ),
        (
            "卖出，2000股，25元",
            [("side", "卖出", "sell"), ("quantity", "2000股", "2000"), ("price", "25元", "25")],
        ),
        ("买入5万元的股票", [("side", "买入", "buy"), ("amount", "5万元", "50000")]),
        ("成交金额10000元", [("amount", "10000元", "10000")]),
        ("佣金万分之二点五", [("rate", "万分之二点五", "0.00025")]),
        ("万分之二点五", [("rate", "万分之二点五", "0.00025")]),
    ],
)
def test_find_order_mentions_in_the_briefs_examples(text, expected):
    assert mentions(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # wordings from data/nlu/fees_calc.yml
        ("卖20手，12.5元，扣多少钱", [("side", "卖", "sell"), ("quantity", "20手", "2000"), ("price", "12.5元", "12.5")]),
        ("抛三百股，9块8，费用多少", [("side", "抛", "sell"), ("quantity", "三百股", "300"), ("price", "9块8", "9.8")]),
        ("我想买1.5万的，交易费用怎么算", [("side", "买", "buy"), ("amount", "1.5万", "15000")]),
        (
            "按万1.5算，卖出3000股18元多少钱手续费",
            [("rate", "万1.5", "0.00015"), ("side", "卖出", "sell"), ("quantity", "3000股", "3000"), ("price", "18元", "18")],
        ),
        ("一笔十万块的买入，佣金多少钱", [("amount", "十万块", "100000"), ("side", "买入", "buy")]),
        ("卖出20000元要交多少印花税", [("side", "卖出", "sell"), ("amount", "20000元", "20000")]),
        (
            "买一手1500元的股票，手续费多少",
            [("side", "买", "buy"), ("quantity", "一手", "100"), ("price", "1500元", "1500")],
        ),
        ("卖出5000元的股票手续费多少", [("side", "卖出", "sell"), ("amount", "5000元", "5000")]),
        (
            "买进两手，一百二十块一股，手续费是5块吗",
            [("side", "买进", "buy"), ("quantity", "两手", "200"), ("price", "一百二十块一股", "120")],
        ),
        (
            "如果卖5000股4块2，扣完费用到手多少",
            [("side", "卖", "sell"), ("quantity", "5000股", "5000"), ("price", "4块2", "4.2")],
        ),
        ("买3万5的股票要交多少费", [("side", "买", "buy"), ("amount", "3万5", "35000")]),
        (
            "算一下卖出一万股十二块五的税费",
            [("side", "卖出", "sell"), ("quantity", "一万股", "10000"), ("price", "十二块五", "12.5")],
        ),
        (
            "费率万2的话，卖1万股3.2元收多少",
            [("rate", "万2", "0.0002"), ("side", "卖", "sell"), ("quantity", "1万股", "10000"), ("price", "3.2元", "3.2")],
        ),
        ("成交8万元，卖出，佣金万1", [("amount", "8万元", "80000"), ("side", "卖出", "sell"), ("rate", "万1", "0.0001")]),
        ("成交额12000元，卖出", [("amount", "12000元", "12000"), ("side", "卖出", "sell")]),
        (
            "我买入500股，每股30元，手續費多少",
            [("side", "买入", "buy"), ("quantity", "500股", "500"), ("price", "30元", "30")],
        ),
        (
            "賣出1000股8.5元要收多少錢",
            [("side", "賣出", "sell"), ("quantity", "1000股", "1000"), ("price", "8.5元", "8.5")],
        ),
        ("卖出2000股价格25元", [("side", "卖出", "sell"), ("quantity", "2000股", "2000"), ("price", "25元", "25")]),
        ("十块五买一手", [("price", "十块五", "10.5"), ("side", "买", "buy"), ("quantity", "一手", "100")]),
        ("卖出２０００股，２５元", [("side", "卖出", "sell"), ("quantity", "２０００股", "2000"), ("price", "２５元", "25")]),
        ("卖出2,000股，25元", [("side", "卖出", "sell"), ("quantity", "2,000股", "2000"), ("price", "25元", "25")]),
        ("股价25的话卖2000股", [("price", "25", "25"), ("side", "卖", "sell"), ("quantity", "2000股", "2000")]),
        ("买5万", [("side", "买", "buy"), ("amount", "5万", "50000")]),
        ("佣金是0.025%吗", [("rate", "0.025%", "0.00025")]),
        ("我现在佣金万三，能降到万一免五吗", [("rate", "万三", "0.0003"), ("rate", "万一", "0.0001")]),
        ("清仓4000股", [("side", "清仓", "sell"), ("quantity", "4000股", "4000")]),
        ("购入2500股单价7块", [("side", "购入", "buy"), ("quantity", "2500股", "2500"), ("price", "7块", "7")]),
        # 25块 followed by 一共 ("in total"): 一 is not 一角
        ("卖出2000股25块一共扣多少钱", [("side", "卖出", "sell"), ("quantity", "2000股", "2000"), ("price", "25块", "25")]),
        (
            "卖出9000股，2.35元，按万一算手续费",
            [("side", "卖出", "sell"), ("quantity", "9000股", "9000"), ("price", "2.35元", "2.35"), ("rate", "万一", "0.0001")],
        ),
        ("万三的佣金贵吗", [("rate", "万三", "0.0003")]),
        ("过户费是十万分之一吗", [("rate", "十万分之一", "0.00001")]),
        ("印花税是0.05%吗", [("rate", "0.05%", "0.0005")]),
        ("买10张可转债", [("side", "买", "buy"), ("quantity", "10张", "10")]),
        ("申购1000份ETF", [("quantity", "1000份", "1000")]),
    ],
)
def test_find_order_mentions_in_customer_wordings(text, expected):
    assert mentions(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # 一股 after a price means "per share", so the figure before it is 角: 十二块五 = 12.5, not 十二块 + 五一股
        ("十二块五一股", [("price", "十二块五一股", "12.5")]),
        ("九块五一股", [("price", "九块五一股", "9.5")]),
        ("8块3一股", [("price", "8块3一股", "8.3")]),
        ("4块2一股", [("price", "4块2一股", "4.2")]),
        ("十块零五分一股", [("price", "十块零五分一股", "10.05")]),
        ("十二元五角一股", [("price", "十二元五角一股", "12.5")]),
        ("10块5毛2一股", [("price", "10块5毛2一股", "10.52")]),
        ("二十五块一股", [("price", "二十五块一股", "25")]),
        ("每股十二块五", [("price", "十二块五", "12.5")]),
        ("四块2", [("price", "四块2", "4.2")]),
        ("十二元五角", [("price", "十二元五角", "12.5")]),
        (
            "九块五一股买两千股",
            [("price", "九块五一股", "9.5"), ("side", "买", "buy"), ("quantity", "两千股", "2000")],
        ),
        ("十二块五，一千股", [("price", "十二块五", "12.5"), ("quantity", "一千股", "1000")]),
        # 五一千 is no number, so 五 is 角 and 一千股 a quantity of its own
        ("十二块五一千股", [("price", "十二块五", "12.5"), ("quantity", "一千股", "1000")]),
        ("十块五两千股", [("price", "十块五", "10.5"), ("quantity", "两千股", "2000")]),
        ("十二元五角一千股", [("price", "十二元五角", "12.5"), ("quantity", "一千股", "1000")]),
        ("十二块五一手", [("price", "十二块五", "12.5"), ("quantity", "一手", "100")]),
        ("十二块五两手", [("price", "十二块五", "12.5"), ("quantity", "两手", "200")]),
        # but 五十 and 31000 are numbers: the figure after 块 starts the quantity, as before
        ("十块五十手", [("price", "十块", "10"), ("quantity", "五十手", "5000")]),
        ("25块1000股", [("price", "25块", "25"), ("quantity", "1000股", "1000")]),
    ],
)
def test_find_order_mentions_reads_jiao_before_the_next_figure(text, expected):
    assert mentions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "万一亏了怎么办",  # 万一 = "in case", not a rate
        "第一手资料",
        "三方存管怎么办",
        "五粮液能买卖吗",  # 买卖 is trading in general, not a side
        "一码通是什么",
        "手续费多少",
        "600519",
        "我的手机13812345678",
        "工单CP-20261123-0001",
        "涨跌幅限制10%",
        "ST股票现在是5%还是10%",  # price limits: fee rates are far below 1%
        "漲停板是百分之十嗎",
        "价格笼子是2%吗",
        "最低5块是什么意思",  # the minimum commission, not a price
        "不足5元按5元收吗",
        "每笔都收我5块最低佣金",
        "手续费是5块吗",
        "印花税25元对吗",
        "价格一直在跳",
        "签的协议能不能给我一份",
        "我想换一张别的银行卡",
        "一两千块钱",
        "便宜一点",
        "十一点开盘吗",
        "",
        "   ",
        "😀😀",
    ],
)
def test_find_order_mentions_ignores_numbers_that_are_not_order_details(text):
    assert [m for m in find_order_mentions(text) if m.kind != "side"] == []


def test_mention_offsets_point_into_the_original_text():
    text = "我想賣出兩千股，每股二十五塊"
    for mention in find_order_mentions(text):
        assert text[mention.start : mention.end] == mention.text
    assert [m.value for m in find_order_mentions(text)] == ["sell", 2000, Decimal("25")]


def test_mention_values_are_typed():
    by_kind = {m.kind: m for m in find_order_mentions("卖出2000股，25元，佣金万2.5")}
    assert by_kind["quantity"].value == 2000 and isinstance(by_kind["quantity"].value, int)
    assert by_kind["price"].value == Decimal("25")
    assert by_kind["rate"].value == Decimal("0.00025")
    assert by_kind["rate"].value_text == "0.00025"
    assert Mention("rate", 0, 1, "x", Decimal("1E-7")).value_text == "0.0000001"


def test_long_text_is_scanned_quickly():
    import time

    text = "卖出2000股，股价25元，手续费是多少？" * 250
    started = time.perf_counter()
    found = find_order_mentions(text)
    assert len(found) == 750
    assert time.perf_counter() - started < 2
