"""What the assistant does not answer (kb/scope.yml): terms whose question no article covers.

A message naming such a term is answered by an article only if that article itself mentions the
term; otherwise the answering action abstains. This is the "key terms disagree" half of abstaining
(the other half is the classifier's own low confidence).
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import yaml
from pydantic import Field

from bot.kb.models import Record
from bot.common.text import normalise

SCOPE_FILE = "scope.yml"


class NotCovered(Record):
    name: str
    terms: List[str] = Field(..., min_items=1)


class AdviceGiven(Record):
    reason: str
    cues: List[str] = Field(..., min_items=1)


class Scope(Record):
    not_covered: List[NotCovered]
    # Wordings that ask for a buy/sell view: answered with the no-advice line, whatever the intent.
    advice_cues: List[str] = Field(..., min_items=3)
    # Wordings that give one (a recommendation, a price call, a promised return): never in a reply
    # of the bot (kb check) or of an agent without an override (the agent desk).
    advice_given: List[AdviceGiven] = Field(..., min_items=1)

    def gives_advice(self, text: str) -> List[str]:
        """The reasons `text` crosses the line (empty when it does not), each with the words found."""
        folded = normalise(text).lower()
        found = []
        for group in self.advice_given:
            hits = [cue for cue in group.cues if _said_without_negation(normalise(cue).lower(), folded)]
            if hits:
                found.append(f"{group.reason}（{'、'.join(hits)}）")
        return found

    def asks_for_advice(self, text: str) -> bool:
        folded = normalise(text).lower()
        return any(normalise(cue).lower() in folded for cue in self.advice_cues)

    def uncovered_term(self, text: str, article_text: str) -> Optional[str]:
        """A not-covered term the message names and the article does not, or None."""
        folded = normalise(text).lower()
        covered = normalise(article_text).lower()
        for group in self.not_covered:
            for term in group.terms:
                term = normalise(term).lower()
                if term in folded and term not in covered:
                    return group.name
        return None


# "不保证收益", "并不会涨" deny what the cue would claim.
_NEGATIONS = ("不", "没", "无", "非", "别", "勿")


def _said_without_negation(cue: str, text: str) -> bool:
    start = text.find(cue)
    while start >= 0:
        if not any(n in text[max(0, start - 2):start] for n in _NEGATIONS):
            return True
        start = text.find(cue, start + 1)
    return False


def load_scope(kb_dir: Path) -> Scope:
    with open(Path(kb_dir) / SCOPE_FILE, encoding="utf-8") as fh:
        return Scope(**yaml.safe_load(fh))
