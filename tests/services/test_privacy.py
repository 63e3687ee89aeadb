"""Personal data is masked in free text; ticket ids, stock codes, prices, quantities and dates are not."""
from __future__ import annotations

import logging

import pytest

from bot.common.privacy import MaskingFilter, install_log_masking, mask_phone, mask_text


@pytest.mark.parametrize(
    "text, expected",
    [
        # mobile numbers
        ("13912345678", "139****5678"),
        ("我的手机号是13912345678，请回电", "我的手机号是139****5678，请回电"),
        ("电话：139-1234-5678。", "电话：139****5678。"),
        ("电话 139 1234 5678", "电话 139****5678"),
        ("+8613912345678", "+86139****5678"),
        ("+86 139 1234 5678", "+86 139****5678"),
        ("call me on 18612345678.", "call me on 186****5678."),
        ("１３９１２３４５６７８", "139****5678"),  # full-width digits from a Chinese IME
        ("两个号码13912345678和15800001111", "两个号码139****5678和158****1111"),
        # resident ID numbers
        ("身份证110101199003071234", "身份证110***********1234"),
        ("身份证号：11010119900307123X，谢谢", "身份证号：110***********123X，谢谢"),
        ("证件 11010119900307123x", "证件 110***********123x"),
        ("老身份证110101900307123", "老身份证110********7123"),
        # bank cards
        ("卡号6222020200001234567", "卡号6222 **** **** 4567"),
        ("银行卡 6222 0202 0000 1234 到账了吗", "银行卡 6222 **** **** 1234 到账了吗"),
        ("卡号6222-0202-0000-1234-567", "卡号6222 **** **** 4567"),
        ("6217000010001234", "6217 **** **** 1234"),
        # everything at once, in Chinese
        (
            "我叫张三，身份证110101199003071234，手机13912345678，工行卡6222020200001234567，买入600519 100股",
            "我叫张三，身份证110***********1234，手机139****5678，工行卡6222 **** **** 4567，买入600519 100股",
        ),
    ],
)
def test_personal_data_is_masked(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我的工单CP-20261125-0001处理得怎么样了",
        "RT-20261125-0012",
        "CP-20261125-10000",
        "贵州茅台600519，平安银行000001，宁德时代300750，中芯国际688981，北交所830799",
        "600519 600036 000001 601318",
        "买入2000股，价格25.00元",
        "以10.00元买入1000股，佣金5.00元，过户费0.10元",
        "卖出20手 价格 1688.88",
        "成交金额1,234,567.89元",
        "成交额13800000000元",
        "2026-11-25 09:30:00 集合竞价",
        "2026年11月25日起施行",
        "20261125",
        "印花税万分之五，0.0005",
        "置信度 0.91234567890123456",
        "score=0.13912345678",
        "客服热线95555，监管热线12386",
        "已masked的139****5678和110***********1234不再变化",
        "6222 **** **** 1234",
        "",
    ],
)
def test_non_personal_numbers_are_left_alone(text: str) -> None:
    assert mask_text(text) == text


def test_masking_is_idempotent() -> None:
    text = "手机13912345678 身份证110101199003071234 卡6222020200001234567"
    assert mask_text(mask_text(text)) == mask_text(text)


def test_none_becomes_empty_text() -> None:
    assert mask_text(None) == ""


@pytest.mark.parametrize(
    "phone, expected",
    [
        ("13912345678", "139****5678"),
        ("+86 139-1234-5678", "139****5678"),
        ("8613912345678", "139****5678"),
        ("021-12345678", "021****5678"),
        ("0755-12345678", "075*****5678"),
        ("12345", "*****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(phone: str, expected: str) -> None:
    assert mask_phone(phone) == expected


def test_log_filter_masks_message_arguments_and_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.privacy")
    caplog.handler.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="test.privacy"):
        logger.info("user %s said %r", "13912345678", "身份证110101199003071234")
        try:
            raise ValueError("bad card 6222020200001234567")
        except ValueError:
            logger.exception("failed for %s", "13912345678")
    assert caplog.records[0].getMessage() == "user 139****5678 said '身份证110***********1234'"
    assert "13912345678" not in caplog.text
    assert "6222020200001234567" not in caplog.text
    assert "6222 **** **** 4567" in caplog.text


def test_install_log_masking_attaches_one_filter_to_every_handler() -> None:
    logger = logging.getLogger("test.privacy.install")
    handlers = [logging.StreamHandler(), logging.StreamHandler()]
    for handler in handlers:
        logger.addHandler(handler)
    try:
        first = install_log_masking(logger)
        second = install_log_masking(logger)
        assert first is second
        assert all(h.filters.count(first) == 1 for h in handlers)
    finally:
        for handler in handlers:
            logger.removeHandler(handler)
