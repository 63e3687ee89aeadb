"""The kb loads, every article the NLU can retrieve exists, and the records have the required shape."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import List

import pytest

from bot.kb import KnowledgeBase, TierId, Topic, render_article
from bot.kb.models import SHORT_MAX_CHARS

REVIEWED = date(2026, 11, 25)
LAST_REVIEW = date(2026, 12, 7)
ROOT = Path(__file__).resolve().parents[2]


def sentences(text: str) -> List[str]:
    return [s for s in re.split(r"[。！？]", text) if s.strip()]


def architecture_topics() -> List[str]:
    """The topics docs/architecture.md lists under its FAQ articles."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## FAQ articles", 1)[1].strip().split("\n\n", 1)[0]
    return re.findall(r"^- (\w+):", section.split("\n", 1)[1], flags=re.M)


def test_architecture_lists_every_topic_and_every_topic_has_articles(kb: KnowledgeBase):
    assert sorted(architecture_topics()) == sorted(t.value for t in Topic)
    assert {a.topic for a in kb.articles} == set(Topic)
    assert len(kb.article_ids()) >= 100


def test_article_lookup_accepts_the_retrieval_intent_name(kb: KnowledgeBase):
    assert kb.article("faq/stamp_duty") is kb.article("stamp_duty")
    with pytest.raises(KeyError):
        kb.article("faq/no_such_article")


@pytest.mark.parametrize("field", ["id", "topic", "title", "answer", "short", "source", "effective", "reviewed"])
def test_every_article_has_the_required_fields(kb: KnowledgeBase, field: str):
    for article in kb.articles:
        assert getattr(article, field), f"{article.id} lacks {field}"


def test_articles_were_reviewed_this_season_and_are_due_again_in_2027(kb: KnowledgeBase):
    for article in kb.articles:
        assert REVIEWED <= article.reviewed <= LAST_REVIEW, article.id
        assert article.review_by.year == 2027, article.id
        assert article.effective <= article.reviewed, article.id


def test_answers_are_two_to_five_plain_sentences(kb: KnowledgeBase):
    for article in kb.articles:
        assert 2 <= len(sentences(article.answer)) <= 5, article.id
        assert "\n" not in article.answer and "**" not in article.answer and "#" not in article.answer
        assert not re.search(r"[a-zA-Z]{12,}", article.answer), f"{article.id}: looks untranslated"


def test_short_forms_fit_one_sms(kb: KnowledgeBase):
    for article in kb.articles:
        assert len(article.short) <= SHORT_MAX_CHARS, article.id


def test_render_adds_the_basis_line_with_a_chinese_date(kb: KnowledgeBase):
    text = render_article(kb.article("stamp_duty"))
    lines = text.split("\n")
    assert lines[0] == kb.article("stamp_duty").answer
    assert lines[1] == "依据：《关于减半征收证券交易印花税的公告》（财政部 税务总局公告2023年第39号），自2023年8月28日起施行。"
    assert lines[2].startswith("变化：")


def test_render_without_a_change_has_two_lines(kb: KnowledgeBase):
    article = kb.article("lot_size")
    assert article.changed is None
    assert render_article(article).endswith("自2026年7月6日起施行。")
    assert len(render_article(article).split("\n")) == 2


def test_fee_schedules_newest_first_and_each_item_sourced(kb: KnowledgeBase):
    assert [s.effective for s in kb.schedules] == sorted((s.effective for s in kb.schedules), reverse=True)
    for schedule in kb.schedules:
        for item in schedule.items:
            assert item.source and item.effective <= schedule.effective


def test_tiers_by_id_and_by_chinese_name(kb: KnowledgeBase):
    assert kb.tier("gold") is kb.tier("金卡") is kb.tier(TierId.GOLD) is kb.tier("金卡客户")
    assert [kb.tier(n).id.value for n in ("普通", "银卡", "金卡", "白金卡")] == ["normal", "silver", "gold", "platinum"]
    with pytest.raises(KeyError):
        kb.tier("钻石卡")


def test_tier_policy_is_ordered_from_normal_to_platinum(kb: KnowledgeBase):
    tiers = [kb.tier(t) for t in ("normal", "silver", "gold", "platinum")]
    priorities = [t.handoff_priority for t in tiers]
    assert priorities == sorted(priorities) and priorities[-1] > priorities[-2]
    floors = [t.min_commission_rate_offer for t in tiers]
    assert floors == sorted(floors, reverse=True)
    assert floors[0] < kb.fee_schedule_on(REVIEWED).commission.rate
    assert [t.complaint_sla_factor for t in tiers] == [1.0, 1.0, 0.5, 0.5]


def test_demo_customers(kb: KnowledgeBase):
    assert [c.id for c in kb.customers] == ["C0001", "C0002", "C0003", "C0004"]
    assert [c.tier.value for c in kb.customers] == ["normal", "silver", "gold", "platinum"]
    assert len({c.phone for c in kb.customers}) == 4
    assert kb.customer("C0004").account_manager
    with pytest.raises(KeyError):
        kb.customer("C9999")
