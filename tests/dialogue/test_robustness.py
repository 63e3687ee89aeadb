"""Bad input gets a clear, polite, non-empty answer; nothing crashes and script is never echoed."""
from __future__ import annotations

import pytest

SAMPLES = {
    "empty": "",
    "whitespace": "   \n\t ",
    "emoji": "😀😀🙏🙏",
    "huge": "我想问一下手续费" * 700,
    "html": "<b>你好</b><img src=x onerror=alert(1)>",
    "script": "<script>alert('x')</script>印花税多少",
    "sql": "'; DROP TABLE tickets; --",
    "punctuation": "？？？！！！",
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_bad_input_gets_a_polite_reply(conversation, name):
    reply = conversation().say(SAMPLES[name], fallback=True)
    assert reply.strip(), f"empty reply to {name}"
    assert "<script" not in reply and "onerror" not in reply and "<img" not in reply
    assert "Traceback" not in reply and "Exception" not in reply


def test_conversation_goes_on_after_bad_input(conversation):
    talk = conversation()
    talk.say("😀😀")
    talk.say("")
    assert "身份证" in talk.say("开户需要带什么证件")


def test_script_around_a_real_question_still_gets_it_answered(conversation):
    reply = conversation().say("<script>alert(1)</script>印花税是多少")
    assert "0.05%" in reply.replace(" ", "") or "万分之五" in reply
