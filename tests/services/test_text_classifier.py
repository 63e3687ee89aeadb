"""The phrase classifier on its own: toy labels, no kb, so each behaviour is visible in isolation."""
import pytest

from bot.common.text import comparable
from bot.services.text_classifier import Classification, PhraseClassifier, cached_classifier

EXAMPLES = {
    "price": ["太贵了", "价格太高", "收费太贵了受不了", "比别家贵多了", "费用太高"],
    "distance": ["离家太远", "路太远了不方便", "搬家了太远", "过去要一个小时", "地方太偏了"],
    "other": ["没什么原因", "不想说", "个人原因", "就是想换换", "你别问了"],
}
KEYWORDS = {"price": ["贵", "费用"], "distance": ["远", "搬家"], "other": ["个人原因"]}


@pytest.fixture(scope="module")
def classifier() -> PhraseClassifier:
    return PhraseClassifier.from_examples(EXAMPLES, KEYWORDS)


def test_normalise_folds_traditional_full_width_and_case():
    assert comparable("手續費太貴，ＡＰＰ  又崩了") == "手续费太贵,app 又崩了"


def test_a_new_wording_lands_on_the_closest_label(classifier):
    assert classifier.classify("你们收的钱比人家多太多了").label == "price"
    assert classifier.classify("住得太远，过去很不方便").label == "distance"


def test_traditional_characters_classify_like_simplified(classifier):
    assert classifier.classify("離家太遠了").label == classifier.classify("离家太远了").label == "distance"


def test_matched_keywords_explain_the_decision(classifier):
    result = classifier.classify("搬家以后太远了")
    assert result == Classification("distance", result.confidence, ("远", "搬家"))
    assert 0 < result.confidence <= 1


def test_unrelated_text_falls_back_to_other_with_zero_confidence(classifier):
    result = classifier.classify("明天几点开盘")
    assert (result.label, result.confidence, result.is_fallback) == ("other", 0.0, True)
    assert set(result.scores) == set(EXAMPLES)  # the scores are still there for the agent panel


@pytest.mark.parametrize("text", ["", "   ", "？！", "..."])
def test_empty_or_punctuation_only_text_is_other(classifier, text):
    assert classifier.classify(text).label == "other"


def test_threshold_is_configurable():
    strict = PhraseClassifier.from_examples(EXAMPLES, KEYWORDS, threshold=0.99)
    assert strict.classify("价格有点高").label == "other"
    lenient = PhraseClassifier.from_examples(EXAMPLES, KEYWORDS, threshold=0.0)
    assert lenient.classify("价格有点高").label == "price"


def test_fallback_label_is_configurable():
    classifier = PhraseClassifier.from_examples({"a": ["太贵了"], "b": ["太远了"]}, fallback="unknown", threshold=0.9)
    assert classifier.classify("天气不错").label == "unknown"


def test_a_disclaimed_reason_does_not_vote(classifier):
    assert classifier.classify("倒不是因为贵，主要是搬家了太远").label == "distance"
    assert classifier.classify("不是嫌远，就是费用太高").label == "price"


def test_classifiers_are_cached_per_content():
    data = tuple((label, tuple(texts), tuple(KEYWORDS[label])) for label, texts in EXAMPLES.items())
    assert cached_classifier(data, 0.15) is cached_classifier(tuple(data), 0.15)
    assert cached_classifier(data, 0.15) is not cached_classifier(data, 0.2)


def test_no_examples_is_an_error():
    with pytest.raises(ValueError):
        PhraseClassifier.from_examples({"a": []})
