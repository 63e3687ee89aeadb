"""The NLU training data is our own and large enough: checks on data/nlu as Rasa reads it."""
from __future__ import annotations

import collections
import json
import re
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.common.text import normalise

ROOT = Path(__file__).resolve().parents[2]
SHARED_EVAL = ROOT.parent / "shared" / "eval"
MIN_EXAMPLES_PER_INTENT = 25
_PUNCTUATION_AND_SPACE = re.compile(r"[\s\W_]+")


def comparable(text: str) -> str:
    """A sentence as a reader compares them: simplified, lower case, no spaces or punctuation."""
    return _PUNCTUATION_AND_SPACE.sub("", normalise(text).lower())


@pytest.fixture(scope="module")
def training_texts() -> list:
    data = load_data(str(ROOT / "data" / "nlu"))
    return [(m.get("text"), m.get("intent")) for m in data.intent_examples]


def eval_sentences() -> set:
    """Every customer turn of the shared conversation checks, comparable."""
    sentences = set()
    for path in sorted(SHARED_EVAL.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            sentences.update(comparable(turn["say"]) for turn in case.get("turns", []))
    sentences.discard("")
    return sentences


def test_comparable_ignores_punctuation_width_and_script():
    assert comparable("印花稅是多少？") == comparable("印花税 是多少") == "印花税是多少"
    assert comparable("ＥＴＦ， T+1") == "etft1"
    assert comparable("🙂！！") == ""


def test_every_intent_has_enough_varied_examples(training_texts):
    counts = collections.Counter(intent for _, intent in training_texts)
    assert counts, "no training examples found"
    too_few = {intent: n for intent, n in counts.items() if n < MIN_EXAMPLES_PER_INTENT}
    assert not too_few


def test_training_data_repeats_no_sentence_of_the_conversation_checks(training_texts):
    """The checks in ../shared/eval measure what customers say; copying them would only measure recall."""
    if not SHARED_EVAL.is_dir():
        pytest.skip(f"{SHARED_EVAL} is not beside the project")
    checks = eval_sentences()
    copied = sorted({text for text, _ in training_texts if comparable(text) in checks})
    assert not copied
