"""The digression rules are the ones bot.services.dialogue lists, for every form."""
from __future__ import annotations

from pathlib import Path

import yaml

from bot.services.dialogue import DIGRESSIONS, FORMS, digression_rules, interrupts_free_text

ROOT = Path(__file__).resolve().parents[2]


def test_the_rules_file_is_generated_from_the_one_list():
    committed = yaml.safe_load((ROOT / "data" / "stories" / "rules_digressions.yml").read_text(encoding="utf-8"))
    assert committed == digression_rules(), "run `python -m bot.services.dialogue > data/stories/rules_digressions.yml`"
    assert len(committed["rules"]) == len(FORMS) * len(DIGRESSIONS)


def test_only_a_confident_question_interrupts_a_free_text_answer():
    assert interrupts_free_text("faq", 0.9)
    assert not interrupts_free_text("faq", 0.3)
    assert not interrupts_free_text("nlu_fallback", 1.0)
    assert not interrupts_free_text("affirm", 0.9)
