"""What the simulated customers say: whole conversations, each a list of turns.

A turn is a message and a pattern its reply should match. A reply that does not match is counted
as `unexpected` (the conversation went another way than scripted), not as an error: the benchmark
measures the bot under load, the dialogue tests judge its answers.

Placeholders make most messages new to the server, as real customers' are (the NLU caches the
sentences it has encoded): `{lead}` a greeting or nothing, `{qty}`/`{qty2}` share counts, `{price}`/
`{price2}` prices, `{phone}` a mobile number; `{ticket}` is the complaint id an earlier reply of the
same conversation gave.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

TICKET = re.compile(r"CP-\d{8}-\d{4}")
LEADS = ("", "", "您好，", "你好，", "请问", "麻烦问下，", "打扰一下，")


@dataclass(frozen=True)
class Turn:
    say: str
    expect: str  # a regular expression the joined reply texts should match

    def text(self, captured: Dict[str, str], rng: random.Random) -> str:
        if "{" not in self.say:
            return self.say
        values = {
            "lead": rng.choice(LEADS),
            "qty": rng.randrange(1, 100) * 100, "qty2": rng.randrange(1, 100) * 100,
            "price": f"{rng.randrange(200, 8000) / 100:g}", "price2": f"{rng.randrange(200, 8000) / 100:g}",
            "phone": f"13{rng.randrange(5, 10)}{rng.randrange(10**8):08d}",
            "ticket": "CP-20260101-0001",  # never used unless a reply gave none (counted as unexpected)
            **captured,
        }
        return self.say.format(**values)


@dataclass(frozen=True)
class Script:
    name: str
    turns: Tuple[Turn, ...]


SCRIPTS: Tuple[Script, ...] = (
    Script("questions", (
        Turn("{lead}现在A股几点开盘", r"9:30|9点30|交易时间"),
        Turn("{lead}开户的时候需要准备哪些材料", r"身份证"),
        Turn("那创业板权限要怎么开", r"创业板"),
        Turn("{lead}股票卖出要交印花税吗", r"印花税"),
        Turn("好的谢谢", r"."),
    )),
    Script("fee-calculator", (
        Turn("帮我估算一下这笔交易的费用", r"买入还是卖出|买入|卖出"),
        Turn("买入，{qty}股，每股{price}元", r"元"),
        Turn("如果是卖出{qty2}股，每股{price2}元呢，手续费多少", r"元"),
    )),
    Script("retention", (
        Turn("我打算把账户转到其他券商", r"原因|为什么|了解"),
        Turn("主要是你们的佣金比别家高不少", r"费率|佣金"),
        Turn("不用了，我已经决定转走，请告诉我流程", r"流程|身份证"),
    )),
    Script("complaint", (
        Turn("我要投诉，今天早上你们的交易软件一直闪退下不了单", r"抱歉|对不起|不好意思"),
        Turn("我的联系电话是{phone}", r"确认|核对|提交"),
        Turn("没问题，确认提交", r"CP-\d{8}-\d{4}"),
        Turn("{ticket}现在处理到哪一步了", r"待处理|处理中|已受理|受理"),
    )),
)


def capture(reply: str, captured: Dict[str, str]) -> None:
    """Remembers the first complaint id a reply tells the customer."""
    if "ticket" not in captured:
        found: Optional[re.Match] = TICKET.search(reply)
        if found:
            captured["ticket"] = found.group(0)
