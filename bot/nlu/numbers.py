"""Chinese and Arabic numbers in order wordings: 两千股, 二十五块, 1.5万元, 十块五, 万分之二点五.

`parse_*` read one span (an entity value such as "两千股" or "2000"); `find_order_mentions` scans a
whole sentence for side, quantity, price, amount and rate spans. Everything is `Decimal`/`int`:
fees are money and are never computed on floats.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import List, Literal, Optional, Tuple, Union

from bot.common.text import normalise

DIGITS = {
    "零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "俩": 2, "三": 3, "叁": 3,
    "仨": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8,
    "捌": 8, "九": 9, "玖": 9,
}  # fmt: skip
SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
BIG_UNITS = {"万": 10**4, "亿": 10**8}
POINTS = "点."
SHARES_PER_LOT = 100  # 1手 = 100股 for A-share stocks and funds

_ARABIC = re.compile(r"\d+(?:\.\d+)?")
_THOUSANDS_SEP = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_CN_DIGIT = "".join(DIGITS)
_ONE_DIGIT = f"[0-9{_CN_DIGIT}]"


def _clean(value: Decimal) -> Decimal:
    """Drops float-like noise: 1.5 × 10000 → 15000, not 15000.0 or 1.5E+4."""
    value = value.normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def _prepare(text: str) -> str:
    return _THOUSANDS_SEP.sub("", normalise(text).strip())


def _digit(char: str) -> Optional[int]:
    if "0" <= char <= "9":
        return int(char)
    return DIGITS.get(char)


# Longer digit strings are account numbers, phone numbers or noise, not order figures; the limit also
# keeps every value inside Decimal's default 28-digit precision.
MAX_NUMBER_CHARS = 20


def _parse_number(s: str) -> Optional[Decimal]:
    """Parses a prepared number string; None unless the whole string is one number."""
    if not s or len(s) > MAX_NUMBER_CHARS:
        return None
    try:
        return _parse_number_unchecked(s)
    except InvalidOperation:  # beyond Decimal's precision: 九千九百万亿亿…
        return None


def _parse_number_unchecked(s: str) -> Optional[Decimal]:
    if _ARABIC.fullmatch(s):
        return _clean(Decimal(s))
    if all(c in DIGITS for c in s):  # digit by digit, as codes are read: 六零零五一九
        return _clean(Decimal("".join(str(DIGITS[c]) for c in s)))

    total = Decimal(0)  # everything already closed by 万/亿
    section = Decimal(0)  # the part below 万 being built: 三千五百
    number: Optional[Decimal] = None  # the digit waiting for its unit
    last_unit: Optional[int] = None
    last_small: Optional[int] = None
    bare_digit = False  # a single digit right after a unit: 一万二 = 12000, 三千五 = 3500
    zero_gap = False  # 零 marks a skipped place: 一万零二 = 10002
    big_seen: set = set()
    i, n = 0, len(s)
    while i < n:
        char = s[i]
        arabic = _ARABIC.match(s, i)
        if arabic:
            if number is not None:
                return None
            number = Decimal(arabic.group())
            bare_digit = len(arabic.group()) == 1 and last_unit is not None and not zero_gap
            i = arabic.end()
        elif char in DIGITS:
            if DIGITS[char] == 0:
                zero_gap = True
                if i + 1 < n and s[i + 1] in POINTS and number is None:
                    number = Decimal(0)  # 零点五
            elif number is not None and number != 0:
                return None  # 三五千 is an estimate, not a number
            else:
                number = Decimal(DIGITS[char])
                bare_digit = last_unit is not None and not zero_gap
            i += 1
        elif char in POINTS:
            j, fraction = i + 1, ""
            while j < n and _digit(s[j]) is not None:
                fraction += str(_digit(s[j]))
                j += 1
            if number is None or not fraction:
                return None
            number += Decimal("0." + fraction)
            bare_digit = False
            i = j
        elif char in SMALL_UNITS:
            unit = SMALL_UNITS[char]
            if number is None:
                if unit != 10:  # only 十 stands alone for 一十; "千" or "百" alone is not a number
                    return None
                number = Decimal(1)
            if last_small is not None and unit >= last_small:
                return None
            section += number * unit
            number, last_unit, last_small = None, unit, unit
            bare_digit = zero_gap = False
            i += 1
        elif char in BIG_UNITS:
            unit = BIG_UNITS[char]
            nothing_to_scale = number is None and section == 0 and (char == "万" or total == 0)
            if nothing_to_scale or char in big_seen:
                return None
            big_seen.add(char)
            if char == "亿":  # 亿 scales everything before it: 两万亿
                total = (total + section + (number or 0)) * unit
                big_seen.discard("万")
            else:
                total += (section + (number or 0)) * unit
            section, number, last_unit, last_small = Decimal(0), None, unit, None
            bare_digit = zero_gap = False
            i += 1
        else:
            return None
    if number is not None and bare_digit and last_unit is not None:
        number *= Decimal(last_unit) / 10
    if number is None and section == 0 and total == 0 and last_unit is None:
        return None
    return _clean(total + section + (number or 0))


def parse_number(text: str) -> Optional[Decimal]:
    """"两千"→2000, "一万二"→12000, "1.5万"→15000, "零点五"→0.5, "2,000"→2000, "２０００"→2000."""
    return _parse_number(_prepare(text))


_QUANTITY = re.compile(r"(?P<num>.+?)\s*(?P<unit>股|手|份|张)?")


def parse_quantity(text: str) -> Optional[int]:
    """Shares: "两千股"→2000, "20手"→2000, "1000股"→1000, "2000"→2000; None if not whole shares."""
    match = _QUANTITY.fullmatch(_prepare(text))
    if not match:
        return None
    value = _parse_number(match.group("num"))
    if value is None:
        return None
    if match.group("unit") == "手":
        value *= SHARES_PER_LOT
    if value <= 0 or value != value.to_integral_value():
        return None
    return int(value)


_PRICE_PREFIX = re.compile(r"^(?:每股|股价|价格|单价|成交价|价位|@|以)\s*")
_PRICE_SUFFIX = re.compile(r"\s*(?:/股|每股|一股)$")
_PRICE_CURRENCY = re.compile(r"\s*(?:元|块|圆)钱?")


_JIAO = re.compile(rf"(?P<jiao>{_ONE_DIGIT})(?:[毛角](?:(?P<fen>{_ONE_DIGIT})分?)?)?")  # 五, 5毛, 五毛二
_FEN = re.compile(rf"零?(?P<fen>{_ONE_DIGIT})分")  # 零五分


def _jiao_fen(tail: str) -> Optional[Decimal]:
    """The part after 元/块 as a fraction of a yuan: 十块五 = 10.5, 10块5毛2 = 10.52, 十块零五分 = 10.05."""
    if not tail:
        return Decimal(0)
    match = _JIAO.fullmatch(tail) or _FEN.fullmatch(tail)
    if not match:
        return None
    jiao = _digit(match.groupdict().get("jiao") or "0") or 0
    fen = _digit(match.groupdict().get("fen") or "0") or 0
    return Decimal(jiao) / 10 + Decimal(fen) / 100


def parse_price(text: str) -> Optional[Decimal]:
    """Per-share price: "二十五块"→25, "25元"→25, "十块五"→10.5, "25.3元/股"→25.3."""
    prepared = _PRICE_SUFFIX.sub("", _PRICE_PREFIX.sub("", _prepare(text)))
    currency = _PRICE_CURRENCY.search(prepared)
    number, tail = (prepared[: currency.start()], prepared[currency.end() :]) if currency else (prepared, "")
    value, fraction = _parse_number(number), _jiao_fen(tail)
    if value is None or fraction is None or value + fraction <= 0:
        return None
    return _clean(value + fraction)


_AMOUNT = re.compile(
    r"(?:成交金额|成交额|总金额|金额|总额|本金)?\s*(?P<num>.+?)\s*(?:(?:元|块|圆)钱?|人民币)?"
)


def parse_amount(text: str) -> Optional[Decimal]:
    """Turnover: "5万"→50000, "1.5万元"→15000, "十万块"→100000, "10000元"→10000."""
    match = _AMOUNT.fullmatch(_prepare(text))
    if not match:
        return None
    value = _parse_number(match.group("num"))
    return value if value is not None and value > 0 else None


_RATE_NUM = rf"[0-9{_CN_DIGIT}十点.]+"
_RATE_BASES = {"百万": 10**6, "十万": 10**5, "万": 10**4, "千": 10**3, "百": 10**2}
_RATE_SIGNS = {"%": 100, "‰": 1000, "‱": 10000}
_RATE_FRACTION = re.compile(rf"(?P<base>百万|十万|万|千|百)分之\s*(?P<num>{_RATE_NUM})")
_RATE_SIGN = re.compile(r"(?<![\d.])(?P<num>\d+(?:\.\d+)?)\s*(?P<sign>[%‰‱])")  # starts a number: linear
_RATE_SHORTHAND = re.compile(rf"(?P<base>万)(?P<num>{_RATE_NUM})")  # brokers' 万2.5 / 万三 / 万一
_RATE_FORMS = (_RATE_FRACTION, _RATE_SIGN, _RATE_SHORTHAND)


def _rate_of(match: "re.Match[str]") -> Optional[Decimal]:
    value = _parse_number(match.group("num"))
    if value is None or value <= 0:
        return None
    groups = match.groupdict()
    divisor = _RATE_BASES[groups["base"]] if groups.get("base") else _RATE_SIGNS[groups["sign"]]
    return _clean(value / divisor)


def parse_rate(text: str) -> Optional[Decimal]:
    """Fee rate as a fraction: "万分之二点五"/"万2.5"/"0.025%"→0.00025, "千分之一"→0.001."""
    prepared = _prepare(text)
    for form in _RATE_FORMS:
        match = form.fullmatch(prepared)
        if match:
            return _rate_of(match)
    return None


# ---------------------------------------------------------------- scanning a sentence

Kind = Literal["side", "quantity", "price", "amount", "rate"]
Value = Union[str, int, Decimal]


@dataclass(frozen=True)
class Mention:
    """One order detail found in a sentence: `text[start:end]` normalises to `value`."""

    kind: Kind
    start: int
    end: int
    text: str
    value: Value

    @property
    def value_text(self) -> str:
        """The value as an entity value string: "sell", "2000", "10.5", "0.00025"."""
        return format(self.value, "f") if isinstance(self.value, Decimal) else str(self.value)


_NUM_START = f"0-9{_CN_DIGIT}十拾"
_NUM_BODY = f"0-9{_CN_DIGIT}十拾百佰千仟万亿点."
_NUMERAL_CHARS = set("0123456789" + _CN_DIGIT + "十拾百佰千仟万亿点.")
_NUMBER_RUN = re.compile(rf"\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?!\d)|[{_NUM_START}][{_NUM_BODY}]*")

# 买卖 is trading in general ("能买卖吗"), so neither half of it is a side.
_SIDES = re.compile(r"买入|买进|购买|购入|建仓|买(?!卖)|卖出|卖掉|清仓|(?<!买)卖|抛出|抛售|抛")
_SIDE_VALUES = {"买": "buy", "购": "buy", "建": "buy", "卖": "sell", "清": "sell", "抛": "sell"}

# 股东/手续费/手机 start with a unit character but are words, not units.
_QUANTITY_UNIT = re.compile(r"\s?(?:股(?!东)|手(?![续机])|份(?!额)|张)")
# "一份协议", "换一张卡": below ten, 份 and 张 are ordinary measure words, not fund shares or bonds.
_MIN_COUNT_OF = {"份": 10, "张": 10}
_CURRENCY = re.compile(r"\s?(?:元|块|圆)钱?")
_PER_SHARE = re.compile(r"/股|每股|一股")
# A figure after 元/块 is 角 (十块五 = 10.5) unless it starts a word of its own (25块一共, 一股, 一下).
_NOT_JIAO_AFTER = _NUMERAL_CHARS | set("股手份张元块共下次笔起般点些个天只")
_GAP = r"(?:是|为|在|约|大约|大概|:|：|\s)*"
_AMOUNT_WORDS = re.compile(rf"(?:成交金额|成交额|总金额|金额|总额|总价|一共|总共|合计|本金|资金|投入|市值){_GAP}$")
_PRICE_WORDS = re.compile(rf"(?:股价|价格|单价|成交价|价位|每股|价钱|现价|买价|卖价|委托价|挂单价|@|以){_GAP}$")
# "最低5元", "收5块", "印花税25元", "按5元收": a fee, which is neither a price nor a turnover.
_FEE_BEFORE = re.compile(rf"(?:最低|最少|不足|不满|不到|低于|收|费|佣金|税){_GAP}$")
_FEE_AFTER = re.compile(r"起收|起|最低|保底|收(?:吗|么|嘛|呢|吧|？|\?|，|,|。|$)")  # but "3.2元收多少" is a price
# 万一 alone means "in case": in words, the 万N shorthand needs a fee nearby.
_FEE_NEAR_BEFORE = re.compile(r"佣金|费率|手续费|费用|收费|收|按")
_FEE_NEAR_AFTER = re.compile(r"免|的?佣金|的?费率|的?手续费")
# Commission is capped at 0.3% and taxes are below it: 2%, 10%, 百分之五 are price limits and cages.
_MAX_PERCENT_RATE = Decimal("0.01")
# Above this no A-share trades per share, so "…元" is a turnover, not a price.
_MAX_PRICE = Decimal(10000)
# Without a share count, "5000元的股票" is how much to invest rather than a price.
_AMOUNT_WITHOUT_QUANTITY = Decimal(1000)


def _preceded_by(pattern: "re.Pattern[str]", text: str, start: int) -> bool:
    return bool(pattern.search(text[max(0, start - 12) : start]))


def _overlaps(start: int, end: int, mentions: List[Mention]) -> bool:
    return any(m.start < end and start < m.end for m in mentions)


def _joins_next_figure(text: str, end: int) -> bool:
    """Whether the 角/分 tail ending at `end` runs into the figure after it as one number: 十块五十手
    is 五十手 (50 lots), but in 十二块五一千股 五一千 is no number, so 五 is 角 and 一千股 the quantity."""
    if _digit(text[end - 1]) is None:
        return False  # closed by its own 毛/角/分: 十二元五角一千股
    run = _NUMBER_RUN.match(text, end - 1)
    figure = run.group().rstrip(POINTS) if run else ""
    counted = _QUANTITY_UNIT.match(text, end - 1 + len(figure))
    if counted and all(c in DIGITS for c in figure):
        return False  # 五一 read digit by digit is a code, never a count: 十二块五一手 = 12.5 and one lot
    return parse_number(figure) is not None


def _ends_money_tail(text: str, end: int) -> bool:
    if _PER_SHARE.match(text, end):
        return True  # 十二块五一股: "12.5 per share", not 十二块 and 五一股 (51 shares)
    if _digit(text[end : end + 1]) is not None:
        return not _joins_next_figure(text, end)
    return text[end : end + 1] not in _NOT_JIAO_AFTER


def _money_tail(text: str, i: int) -> Tuple[int, Decimal]:
    """After 元/块: a lone 角/分 figure (十块五, 10块5毛, 十块零五分) → (end, fraction of a yuan)."""
    for length in (4, 3, 2, 1):
        tail = text[i : i + length]
        if len(tail) < length or _digit(tail[0]) is None:
            continue
        fraction = _jiao_fen(tail)
        if fraction is not None and _ends_money_tail(text, i + length):
            return i + length, fraction
    return i, Decimal(0)


def _is_fee_rate(form: "re.Pattern[str]", match: "re.Match[str]", text: str, start: int, end: int) -> bool:
    if form is _RATE_SHORTHAND:
        if start > 0 and text[start - 1] in _NUMERAL_CHARS:
            return False  # 5万2 is an amount
        written_in_words = not match.group("num")[0].isdigit()
        if written_in_words and not (_preceded_by(_FEE_NEAR_BEFORE, text, start) or _FEE_NEAR_AFTER.match(text, end)):
            return False
    return True


def _rate_mentions(text: str) -> List[Mention]:
    found: List[Mention] = []
    for form in _RATE_FORMS:
        for match in form.finditer(text):
            start, end = match.span()
            num = match.group("num").rstrip(POINTS)
            if not num:
                continue
            if form is not _RATE_SIGN:  # the number ends these forms: drop a sentence-final 点/.
                end = match.start("num") + len(num)
            value = parse_rate(text[start:end])
            if value is None or _overlaps(start, end, found) or not _is_fee_rate(form, match, text, start, end):
                continue
            percent_form = form is _RATE_SIGN and match.group("sign") == "%" or match.groupdict().get("base") == "百"
            if percent_form and value >= _MAX_PERCENT_RATE:
                continue
            found.append(Mention("rate", start, end, text[start:end], value))
    return found


def _number_mentions(text: str, taken: List[Mention]) -> List[Mention]:
    quantities: List[Mention] = []
    money: List[Tuple[int, int, Decimal, bool, bool]] = []  # start, end, value, per_share, has_big
    bare: List[Mention] = []
    pos = 0
    while True:
        match = _NUMBER_RUN.search(text, pos)
        if not match:
            break
        # A mention moves `pos` to its end, which may lie inside the next run: in 十二块五一千股 the price
        # takes the 五 of 五一千, and 一千股 is read afresh as the quantity.
        pos = match.end()
        start, run = match.start(), match.group().rstrip(POINTS)
        end = start + len(run)
        if _overlaps(start, end, taken):
            continue
        if start > 0 and text[start - 1] == "第":  # ordinals: 第一手资料
            continue
        value = parse_number(run)
        if value is None or value <= 0:
            continue
        has_big = "万" in run or "亿" in run
        # A bare 一 or 十 next to 价格 is a word (价格一直), not a price.
        clear_figure = any(c.isdigit() for c in run) or len(run) > 1
        unit = _QUANTITY_UNIT.match(text, end)
        currency = _CURRENCY.match(text, end)
        if unit:
            unit_char = unit.group().strip()
            shares = value * (SHARES_PER_LOT if unit_char == "手" else 1)
            if shares == shares.to_integral_value() and value >= _MIN_COUNT_OF.get(unit_char, 1):
                quantities.append(Mention("quantity", start, unit.end(), text[start : unit.end()], int(shares)))
                pos = unit.end()
        elif currency:
            tail_end, fraction = _money_tail(text, currency.end())
            per_share = _PER_SHARE.match(text, tail_end)
            money_end = per_share.end() if per_share else tail_end
            pos = money_end
            if not per_share and (_preceded_by(_FEE_BEFORE, text, start) or _FEE_AFTER.match(text, money_end)):
                continue
            money.append((start, money_end, _clean(value + fraction), bool(per_share), has_big))
        elif has_big or (clear_figure and _preceded_by(_AMOUNT_WORDS, text, start)):
            bare.append(Mention("amount", start, end, text[start:end], value))
        elif clear_figure and _preceded_by(_PRICE_WORDS, text, start) and value < _MAX_PRICE:
            bare.append(Mention("price", start, end, text[start:end], value))

    found = quantities + bare
    for start, end, value, per_share, has_big in money:
        if per_share:
            kind: Kind = "price"
        elif has_big or _preceded_by(_AMOUNT_WORDS, text, start):
            kind = "amount"
        elif _preceded_by(_PRICE_WORDS, text, start):
            kind = "price"
        elif value >= _MAX_PRICE or (not quantities and value >= _AMOUNT_WITHOUT_QUANTITY):
            kind = "amount"
        else:
            kind = "price"
        found.append(Mention(kind, start, end, text[start:end], value))
    return found


def find_order_mentions(text: str) -> List[Mention]:
    """Side, quantity, price, amount and rate spans in a sentence, in order of position.

    "卖出2000股，股价25元" → sell, 2000, 25; "买入5万元的股票" → buy, amount 50000.
    Offsets refer to `text` itself (normalisation keeps every character in place).
    """
    normal = normalise(text)
    mentions = _rate_mentions(normal)
    mentions += _number_mentions(normal, mentions)
    for match in _SIDES.finditer(normal):
        start, end = match.span()
        if not _overlaps(start, end, mentions):
            mentions.append(Mention("side", start, end, normal[start:end], _SIDE_VALUES[match.group()[0]]))
    mentions.sort(key=lambda m: (m.start, m.end))
    return [Mention(m.kind, m.start, m.end, text[m.start : m.end], m.value) for m in mentions]
