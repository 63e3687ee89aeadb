"""Normalisation keeps every character in place, so offsets survive it."""
import pytest

from bot.common import text as text_module
from bot.common.text import fold_width, normalise, to_simplified


@pytest.mark.parametrize(
    "original, expected",
    [
        ("手續費", "手续费"),
        ("撤銷指定交易", "撤销指定交易"),
        ("買1000股 ETF", "买1000股 ETF"),
        ("２０００股ＥＴＦ", "2000股ETF"),
        ("０．０２５％", "0.025%"),
        ("Ｔ＋１", "T+1"),
        ("卖出，2000股。", "卖出，2000股。"),  # Chinese punctuation is text, not a number separator
        ("", ""),
        ("😀 ", "😀 "),
    ],
)
def test_normalise(original, expected):
    assert normalise(original) == expected
    assert len(normalise(original)) == len(original)


def test_fold_width_only_touches_digits_letters_and_number_symbols():
    assert fold_width("１２ａＢ％，。？\u3000") == "12aB%，。？ "


def test_a_length_changing_conversion_falls_back_to_character_by_character(monkeypatch):
    class Shrinking:
        """A converter whose phrase rule drops a character, as a t2s phrase rule in principle could."""

        def convert(self, text: str) -> str:
            return text.replace("手續費", "费") if len(text) > 1 else {"續": "续", "費": "费"}.get(text, text)

    monkeypatch.setattr(text_module, "_t2s", lambda: Shrinking())
    assert to_simplified("手續費多少") == "手续费多少"
