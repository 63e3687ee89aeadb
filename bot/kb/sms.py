"""The texts the SMS channel adds around the bot's own replies (kb/sms.yml).

Numbered options ("回复1查询佣金"), the ending of an answer shortened to fit ("…详询热线…"), the
opt-out confirmation and hint, and the fallback when the bot cannot answer. They are the channel's
rather than the dialogue's, so they live here and not in the domain. `{hotline}` is filled in by
the channel from service.yml (`with_hotline`); `{n}` and `{title}` in `option` by the renderer.
"""
from __future__ import annotations

import string
from pathlib import Path
from typing import Set

import yaml
from pydantic import validator
from pydantic.fields import ModelField

from bot.kb.models import Record

SMS_FILE = "sms.yml"
HOTLINE = "{hotline}"
_OPTION_PLACEHOLDERS = {"n", "title", "hotline"}


class SmsTexts(Record):
    option: str  # one numbered choice: {n} is its number, {title} what it says
    option_separator: str  # between two choices
    more: str  # ends a shortened answer (its leading "…" is dropped after a finished sentence)
    opt_out_confirmation: str  # the one answer to TD/退订
    opt_out_hint: str  # how to opt out, at the end of every proactive SMS
    unavailable: str  # sent when the bot fails or says nothing

    @validator("*")
    def _well_formed(cls, text: str, field: ModelField) -> str:
        if not (text if field.name == "option_separator" else text.strip()):
            raise ValueError("is empty")
        if field.name == "option":
            # Filled with str.format: a malformed or unknown placeholder would fail at sending time.
            used: Set[str] = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
            unknown = used - _OPTION_PLACEHOLDERS
            if unknown:
                raise ValueError(f"unknown placeholder(s) {sorted(unknown)}; use {{n}}, {{title}}, {{hotline}}")
            if "n" not in used:
                raise ValueError("must show the option's number as {n}")
        elif "{" in text.replace(HOTLINE, "") or "}" in text.replace(HOTLINE, ""):
            # Only {hotline} is replaced here; any other brace would reach the customer as it is.
            raise ValueError("the only placeholder allowed is {hotline}")
        return text

    def with_hotline(self, hotline: str) -> "SmsTexts":
        """A copy with `{hotline}` replaced by the branch's hotline."""
        return self.copy(update={name: getattr(self, name).replace(HOTLINE, hotline) for name in self.__fields__})


def load_sms(kb_dir: Path) -> SmsTexts:
    with open(Path(kb_dir) / SMS_FILE, encoding="utf-8") as fh:
        return SmsTexts.parse_obj(yaml.safe_load(fh))
