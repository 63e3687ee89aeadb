"""The knowledge base: typed, dated facts from `kb/*.yml` (see docs/architecture.md)."""
from bot.kb.loader import KbError, KnowledgeBase, clear_cache, load_kb, read_kb
from bot.kb.models import (
    Article,
    Customer,
    FeeItem,
    FeeItemName,
    FeeSchedule,
    FeeSide,
    InfoProduct,
    Service,
    Tier,
    TierId,
    Topic,
)
from bot.kb.render import format_date_cn, render_article

__all__ = [
    "Article",
    "Customer",
    "FeeItem",
    "FeeItemName",
    "FeeSchedule",
    "FeeSide",
    "InfoProduct",
    "KbError",
    "KnowledgeBase",
    "Service",
    "Tier",
    "TierId",
    "Topic",
    "clear_cache",
    "format_date_cn",
    "load_kb",
    "read_kb",
    "render_article",
]
