"""The out-of-distribution set stays apart from the training data and means what it says."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from bot.kb import load_kb
from bot.common.text import normalise

ROOT = Path(__file__).resolve().parents[2]
OOD = ROOT / "tests" / "ood" / "messages.yml"
KINDS = {"article", "advice", "lament", "complaint", "leave", "human", "calculator", "my_account", "cant_help",
         "chitchat"}
# Character 3-gram Jaccard similarity at or above this is a near-duplicate (a light edit of a sentence).
NEAR_DUPLICATE = 0.8
_STRIP = re.compile(r"[\W_]+")


def grams(text: str) -> frozenset:
    folded = _STRIP.sub("", normalise(text).lower())
    return frozenset(folded[i:i + 3] for i in range(max(1, len(folded) - 2)))


def jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@pytest.fixture(scope="module")
def items() -> list:
    return yaml.safe_load(OOD.read_text(encoding="utf-8"))


def test_the_set_is_large_and_well_formed(items):
    assert len(items) >= 400
    kb_ids = set(load_kb().article_ids())
    for item in items:
        assert item["expect"] in KINDS, item
        assert (item["expect"] == "article") == ("article" in item), item
        if item["expect"] == "article":
            assert item["article"] in kb_ids, item


def test_no_message_is_a_near_duplicate_of_a_training_example(items):
    training = [grams(m.get("text")) for m in load_data(str(ROOT / "data" / "nlu")).intent_examples]
    # An inverted index on 3-grams keeps this to the candidates that share any 3-gram at all.
    index: dict = {}
    for position, g in enumerate(training):
        for gram in g:
            index.setdefault(gram, []).append(position)
    close = []
    for item in items:
        mine = grams(item["text"])
        candidates = {p for gram in mine for p in index.get(gram, ())}
        best = max((jaccard(mine, training[p]) for p in candidates), default=0.0)
        if best >= NEAR_DUPLICATE:
            close.append((item["text"], round(best, 2)))
    assert not close


def test_the_detector_finds_a_light_edit():
    assert jaccard(grams("印花税现在是收多少啊"), grams("印花税现在是收多少啊？")) >= NEAR_DUPLICATE
    assert jaccard(grams("印花税现在是收多少啊"), grams("开户要带什么证件")) < NEAR_DUPLICATE
