"""Every personal identifier, in the spellings customers use, is masked in every sink.

Hypothesis writes identifiers in many spellings (separators, full-width digits, cue words, sentences
around them); none may survive `mask_text`, the log filter, the complaint summary or the events the
tracker store keeps and streams.
"""
from __future__ import annotations

import logging
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.common.privacy import MaskingFilter, mask_text
from bot.common.sealing import seal, unseal
from bot.tracking.stores import scrub_event
from bot.kb import load_kb
from bot.services import complaints

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
digits = st.text("0123456789", min_size=1, max_size=1)


def spelled(groups, separators=("", " ", "-")):
    return st.tuples(st.sampled_from(separators), st.booleans()).map(
        lambda s: (s[0].join(groups)).translate(FULLWIDTH if s[1] else {}))


@st.composite
def id_numbers(draw):
    region = str(draw(st.integers(110000, 659999)))
    birth = f"{draw(st.integers(1930, 2008))}{draw(st.integers(1, 12)):02d}{draw(st.integers(1, 28)):02d}"
    tail = f"{draw(st.integers(0, 999)):03d}{draw(st.sampled_from('0123456789X'))}"
    sep = draw(st.sampled_from(["", " ", "-"]))
    number = sep.join([region, birth[:4], birth[4:], tail]) if sep else region + birth + tail
    return number, (region + birth + tail)


@st.composite
def mobiles(draw):
    body = f"1{draw(st.sampled_from('3456789'))}{draw(st.integers(0, 9))}"
    rest = f"{draw(st.integers(0, 99999999)):08d}"
    prefix = draw(st.sampled_from(["", "+86 ", "86", "0086 "]))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return prefix + sep.join([body, rest[:4], rest[4:]]), body + rest


@st.composite
def bank_cards(draw):
    number = "62" + "".join(str(draw(st.integers(0, 9))) for _ in range(draw(st.integers(14, 17))))
    sep = draw(st.sampled_from(["", " ", "-"]))
    return (sep.join(number[i:i + 4] for i in range(0, len(number), 4)) if sep else number), number


@st.composite
def accounts(draw):
    cue = draw(st.sampled_from(["资金账号", "资金账户", "股东账户", "股东代码", "客户号", "证券账户"]))
    number = draw(st.sampled_from(["", "A", "B"])) + f"{draw(st.integers(10 ** 7, 10 ** 11)):d}"
    return cue + draw(st.sampled_from(["", "：", "是", " "])) + number, number


@st.composite
def others(draw):
    kind = draw(st.sampled_from(["email", "passport", "landline", "sh"]))
    if kind == "email":
        user = draw(st.from_regex(r"[a-z][a-z0-9._]{2,10}", fullmatch=True))
        value = f"{user}@{draw(st.sampled_from(['qq.com', 'example.cn', '163.com']))}"
        return value, user
    if kind == "passport":
        value = draw(st.sampled_from(["E", "G", "EA"])) + f"{draw(st.integers(10 ** 6, 10 ** 7 - 1))}{draw(digits)}"
        return value, value
    if kind == "landline":
        value = f"0{draw(st.integers(10, 999))}-{draw(st.integers(2000000, 99999999))}"
        return value, value.replace("-", "")
    value = f"A{draw(st.integers(10 ** 8, 10 ** 9 - 1))}"
    return value, value


identifiers = st.one_of(id_numbers(), mobiles(), bank_cards(), accounts(), others())
sentences = st.sampled_from(["我的是{}，麻烦查一下", "{}", "客户说：{}。", "联系方式{}谢谢", "信息如下 {} 请核对"])


def survives(secret: str, text: str) -> bool:
    """The identifier can still be read: its significant part, ignoring separators and width."""
    folded = re.sub(r"[\s\-]", "", text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
    core = re.sub(r"[\s\-]", "", secret)
    return len(core) >= 6 and core in folded


@settings(max_examples=400, deadline=None)
@given(identifiers, sentences)
def test_no_identifier_survives_masking(identifier, sentence):
    written, secret = identifier
    text = sentence.format(written)
    masked = mask_text(text)
    assert not survives(secret, masked), (text, masked)
    assert mask_text(masked) == masked  # idempotent


@settings(max_examples=100, deadline=None)
@given(identifiers)
def test_no_identifier_survives_in_a_log_line(identifier):
    written, secret = identifier
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "customer wrote %s", (written,), None)
    MaskingFilter().filter(record)
    assert not survives(secret, record.getMessage())


@settings(max_examples=100, deadline=None)
@given(identifiers)
def test_no_identifier_survives_in_the_complaint_summary(identifier):
    written, secret = identifier
    catalogue = load_kb().complaints
    text = complaints.summary(catalogue, catalogue.category("other"), f"他们把我的{written}弄错了", None, None)
    assert not survives(secret, text)


def test_ordinary_numbers_stay_readable():
    for text in ("卖出2000股，价格25.50元", "工单CP-20261125-0001", "股票600519", "2026-12-07 09:30 成交",
                 "费用合计38.00元", "万分之2.5"):
        assert mask_text(text) == text


@settings(max_examples=150, deadline=None)
@given(identifiers, sentences)
def test_no_identifier_survives_in_a_stored_tracker_event(identifier, sentence):
    written, secret = identifier
    text = sentence.format(written)
    user = {"event": "user", "timestamp": 1.0, "text": text, "input_channel": "socketio", "message_id": "m1",
            "metadata": {"customer_token": "eyJ.token.sig", "note": text},
            "parse_data": {"text": text, "intent": {"name": "complain", "confidence": 0.9},
                           "entities": [{"entity": "phone", "value": written, "start": 0, "end": 3}]}}
    slot = {"event": "slot", "timestamp": 1.0, "name": "complaint_description", "value": text}
    bot = {"event": "bot", "timestamp": 1.0, "text": f"您提供的是{written}", "data": {"buttons": [{"title": text}]}}
    for event in (user, slot, bot):
        kept = str(scrub_event(event))
        assert not survives(secret, kept), kept
        assert "eyJ.token.sig" not in kept


def test_a_sealed_value_stays_sealed_and_names_stay_readable():
    sealed = seal("13912345678", "a-secret-of-at-least-thirty-two-bytes!")
    event = {"event": "slot", "name": "complaint_contact", "value": sealed, "timestamp": 2.0}
    assert scrub_event(event) == event
    assert unseal(sealed, "a-secret-of-at-least-thirty-two-bytes!") == "13912345678"
    assert unseal(sealed, "another-secret-of-at-least-32-bytes!!") is None and "13912345678" not in sealed
    started = {"event": "slot", "name": "session_started_metadata", "timestamp": 0.0,
               "value": {"customer_token": "eyJ.token.sig", "channel": "socketio"}}
    assert scrub_event(started)["value"] == {"channel": "socketio"}
