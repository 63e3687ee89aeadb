"""Reads a short yes/no answer from its words, for the turns where a form has just asked one.

The intent classifier is the first judge of "好的，那帮我提交吧"; this is the second, for replies it
was unsure about (nlu_fallback) or filed under a neighbouring intent. It answers only short replies
that are not questions: "可以网上办吗" contains 可以 but asks something, and a long message is a
new topic, not an answer.
"""
from __future__ import annotations

import re
from typing import Optional

from bot.common.text import normalise

MAX_ANSWER_CHARS = 20

# Checked first: most refusals contain an agreeing word ("不可以", "不用了好吧", "不需要，谢谢").
_NO = ("不用", "不要", "不需要", "不必", "算了", "不了", "没必要", "没兴趣", "不感兴趣", "不考虑", "不行",
       "不可以", "不好", "不是", "不对", "错了", "不同意", "拒绝", "免了")
# Hesitation is neither: "嗯……我再想想" is not a yes.
_UNSURE = ("想想", "考虑一下", "考虑考虑", "再说", "不确定", "犹豫", "看看再")
# No "帮我"/"那就": "那就帮我办转户" is not a yes to the offer.
_YES = ("好的", "好啊", "好吧", "好呀", "可以", "行啊", "行吧", "没问题", "要的", "需要", "提交", "试试", "同意",
        "愿意", "是的", "对的", "嗯", "确认", "无误")
# "嗯……那个就是说": a customer gathering their thoughts, not agreeing (the classifier hears 嗯 as yes).
_HESITATION = ("那个", "就是说", "这个嘛", "呃", "额", "……", "...", "我想想", "让我想")
_ASCII = re.compile(r"\b(ok|okay|yes|no|nope)\b")
_QUESTION = re.compile(r"[?？吗呢]$|怎么|如何|什么|多少|哪|几")


def yes_or_no(text: str) -> Optional[bool]:
    """True for agreement, False for refusal, None when the reply is not a short yes/no answer."""
    folded = normalise(text).strip().lower()
    bare = folded.rstrip("。！!～~ ")  # trailing punctuation: "好。" is "好", "可以吗？" still a question
    if not folded or len(folded) > MAX_ANSWER_CHARS or _QUESTION.search(bare):
        return None
    word = _ASCII.search(folded)
    if is_hesitation(text):
        return None
    if any(cue in folded for cue in _NO) or (word and word.group(1) in ("no", "nope")):
        return False
    if any(cue in folded for cue in _UNSURE):
        return None
    if any(cue in folded for cue in _YES) or word or bare in ("好", "行", "嗯", "对", "是"):
        return True
    return None


def is_hesitation(text: str) -> bool:
    """Filler words with no yes or no of their own ("嗯……那个就是说")."""
    folded = normalise(text).strip().lower()
    if not any(cue in folded for cue in _HESITATION):
        return False
    return not any(cue in folded for cue in _NO + tuple(c for c in _YES if c != "嗯"))


# "半年后行情不好我就赎回", "要是再不降佣金我就转户": a plan or a condition, not a request made now.
_CONDITIONAL = re.compile(r"(如果|要是|假如|万一|到时候|等到|以后|半年后|明年|过段时间|再不|还不|不然).{0,24}(就|再|的话)")


def is_conditional(text: str) -> bool:
    return _CONDITIONAL.search(normalise(text)) is not None
