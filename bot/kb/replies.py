"""Reply templates that actions fill in (kb/replies.yml).

Texts a custom action utters live here rather than in the domain: Rasa's validator requires every
domain response to appear in a story or rule, and these are only ever sent by actions.
"""
from __future__ import annotations

import string
from pathlib import Path
from typing import Dict

import yaml
from pydantic import validator

from bot.kb.models import Record


class Replies(Record):
    templates: Dict[str, str]

    @validator("templates")
    def _well_formed(cls, templates: Dict[str, str]) -> Dict[str, str]:
        for key, text in templates.items():
            if not text.strip():
                raise ValueError(f"reply {key} is empty")
            list(string.Formatter().parse(text))  # raises on a malformed placeholder
        return templates

    def render(self, key: str, **values: object) -> str:
        return self.templates[key].format(**values)


def load_replies(kb_dir: Path) -> Replies:
    with open(Path(kb_dir) / "replies.yml", encoding="utf-8") as fh:
        return Replies(templates=yaml.safe_load(fh))
