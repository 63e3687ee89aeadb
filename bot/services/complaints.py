"""Complaint handling shared by the action server and the web app: drafts, tickets, status.

A ticket id is given to the customer only after the ticket is committed; a store that is down is
reported honestly (`StoreUnavailable`) so the conversation keeps the details for a retry.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy.exc import SQLAlchemyError

from bot.services.complaint_categories import classify_complaint
from bot.kb import KnowledgeBase
from bot.kb.playbooks import OTHER as OTHER_CATEGORY, ComplaintCatalogue, ComplaintCategory
from bot.common.short_answers import is_conditional
from bot.common.phones import find_mobile
from bot.common.text import normalise
from bot.common.privacy import mask_phone, mask_text
from bot.common.sanitize import clean_text, has_meaning
from bot.store import tickets
from bot.common.clock import BEIJING, as_utc
from bot.store.db import Store
from bot.store.models import Ticket

STATUS_NAMES = {
    "open": "待处理（已受理）",
    "in_progress": "处理中",
    "resolved": "已处理完毕",
    "closed": "已关闭",
    "reopened": "重新处理中",
}
_TIME = re.compile(
    r"((今天|昨天|前天|刚才|刚刚|上周[一二三四五六日天]?|本周[一二三四五六日天]?|周[一二三四五六日天]|星期[一二三四五六日天]"
    r"|\d{1,2}月\d{1,2}[日号]|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})"
    r"(早上|上午|中午|下午|晚上|傍晚|凌晨)?(\d{1,2}[点:：]\d{0,2}(分|左右)?)?"
    r"|(早上|上午|中午|下午|晚上)\d{1,2}[点:：]\d{0,2}(左右)?)"
)
# "我要投诉" and its friends carry no description of what happened.
_LEAD_IN = re.compile(r"^(你好|您好|喂)?[，,。\s]*(我)?(要|想|想要)?(投诉|举报|反映|反馈)(一下|下)?(你们)?[，,：:。\s]*")


class StoreUnavailable(RuntimeError):
    """The ticket store cannot be reached; nothing was created."""


def find_phone(text: str) -> Optional[str]:
    return find_mobile(normalise(text or ""))


def find_time(text: str) -> Optional[str]:
    match = _TIME.search(normalise(text or ""))
    return match.group(0) if match else None


def description_from(text: str) -> Optional[str]:
    """What happened, from a message that may start with "我要投诉"; None when nothing is left."""
    cleaned = clean_text(text, limit=1000)
    rest = _LEAD_IN.sub("", cleaned, count=1).strip()
    return rest if len(re.sub(r"\W", "", rest)) >= 4 and has_meaning(rest) else None


# What a message that the NLU heard as a complaint should start (DESIGN.md: a record-writing flow
# only on a specific request).
FILE, CLARIFY, LAMENT = "file", "clarify", "lament"
# Below this the classifier's "complain" is a guess: a grievance about the firm is asked about first.
CONFIDENT_COMPLAINT = 0.45
# At or above this the classifier alone is specific enough, unless the message is about the market.
SURE_COMPLAINT = 0.85


def route(text: str, intent_confidence: float, catalogue: ComplaintCatalogue) -> str:
    """FILE a complaint, CLARIFY first, or answer a market LAMENT, from the words themselves.

    Explicit words ("投诉", "12386") file at once. A grievance about the firm — a category keyword
    ("闪退", "多扣"), or the firm, its staff or systems named together with a fault ("你们…一直没到账")
    — files when the classifier is fairly sure, and is asked about when not. Losses and market
    worries with no grievance about the firm are laments: nobody asked for a ticket.
    """
    folded = normalise(text or "").lower()
    if text.strip().startswith("/") or any(cue in folded for cue in catalogue.explicit_cues):
        return FILE
    names_firm = any(cue in folded for cue in catalogue.firm_cues)
    found = classify_complaint(text, catalogue)
    grievance = (found.label != OTHER_CATEGORY and bool(found.matched)) or any(
        cue in folded for cue in catalogue.fault_cues)
    if any(cue in folded for cue in catalogue.market_cues):
        # "心态崩了，连着亏" finds fault but names nobody at the firm.
        if not names_firm:
            return LAMENT
        if not grievance:
            return CLARIFY
    if is_conditional(text):
        return CLARIFY  # "你们要是给不了万一，我就转户": a condition, not a grievance filed now
    if grievance and intent_confidence >= CONFIDENT_COMPLAINT and (names_firm or intent_confidence >= 0.6):
        return FILE
    if intent_confidence >= SURE_COMPLAINT:
        return FILE
    return CLARIFY


def declines_phone(text: str, catalogue: ComplaintCatalogue) -> bool:
    folded = normalise(text or "")
    return any(cue in folded for cue in catalogue.no_phone_cues) and not find_phone(text)


def sounds_angry(text: str, catalogue: ComplaintCatalogue) -> bool:
    folded = normalise(text or "")
    return any(cue in folded for cue in catalogue.anger_cues) or folded.count("!") + folded.count("！") >= 3


def category_for(description: str, catalogue: ComplaintCatalogue) -> ComplaintCategory:
    return catalogue.category(classify_complaint(description, catalogue).label)


def priority_for(category: ComplaintCategory, boosted: bool) -> str:
    """P1 is the most urgent; tiers with `complaint_priority_boost` (kb/tiers.yml) are one step up."""
    level = category.priority - (1 if boosted else 0)
    return f"P{max(1, level)}"


def sla_due(category: ComplaintCategory, tier: Optional[str], now: datetime) -> datetime:
    return as_utc(now) + timedelta(hours=category.sla_hours.for_tier(tier or "normal"))


def beijing_time(moment: datetime) -> str:
    local = as_utc(moment).astimezone(BEIJING)
    return f"{local.month}月{local.day}日{local.hour:02d}:{local.minute:02d}"


def summary(catalogue: ComplaintCatalogue, category: ComplaintCategory, description: str,
            occurred_at: Optional[str], phone: Optional[str]) -> str:
    return catalogue.messages.confirm_summary.format(
        category_name=category.name,
        description=mask_text(clean_text(description, limit=300)),
        occurred_at=occurred_at or "未提供",
        phone_masked=mask_phone(phone) if phone else "未提供",
    )


@dataclass(frozen=True)
class Filed:
    ticket_id: str
    hours: int
    deadline: str


@dataclass(frozen=True)
class Complaint:
    """What the customer told the complaint form, and who they are."""

    draft_key: str  # the same for every submission of one confirmed complaint: filing is idempotent
    conversation_id: str
    channel: str
    category_id: str
    description: str
    occurred_at: Optional[str]
    transcript: str
    customer_id: Optional[str]
    tier: Optional[str]
    contact_phone: Optional[str]


def file_complaint(store: Store, kb: KnowledgeBase, complaint: Complaint, now: datetime) -> Filed:
    """Classifies priority and deadline, commits the ticket, and returns what the customer is told.

    Raises `StoreUnavailable` when the store cannot be reached (nothing was created).
    """
    catalogue = kb.complaints
    category = catalogue.category(complaint.category_id)
    boosted = kb.tier(complaint.tier).complaint_priority_boost if complaint.tier else False
    description = complaint.description
    if complaint.occurred_at:
        description = f"{description}（发生时间：{complaint.occurred_at}）"
    draft = tickets.TicketDraft(
        idempotency_key=f"{complaint.conversation_id}:{complaint.draft_key}",
        conversation_id=complaint.conversation_id,
        category=category.id,
        severity=category.severity.value,
        priority=priority_for(category, boosted),
        sla_due_at=sla_due(category, complaint.tier, now),
        channel=complaint.channel,
        description=description,
        transcript=complaint.transcript,
        customer_id=complaint.customer_id,
        contact_phone=complaint.contact_phone,
    )
    try:
        with store.session() as session, session.begin():
            ticket = tickets.create_ticket(session, draft, now)
            ticket_id, due = ticket.id, ticket.sla_due_at
    except SQLAlchemyError as exc:
        raise StoreUnavailable(str(exc)) from exc
    return Filed(ticket_id, category.sla_hours.for_tier(complaint.tier or "normal"), beijing_time(due))


@dataclass(frozen=True)
class Status:
    ticket_id: str
    status: str
    updated: str
    category: str


_LAST4 = re.compile(r"(?<![0-9])[0-9]{4}(?![0-9])")


def phone_last4(text: str, ticket_id: Optional[str]) -> Optional[str]:
    """Four digits on their own in the message, not part of the ticket id ("CP-…-0001 尾号5678")."""
    rest = normalise(text or "")
    if ticket_id:
        rest = re.sub(re.escape(ticket_id), " ", rest, flags=re.IGNORECASE)
    found = _LAST4.findall(rest)
    return found[-1] if found else None


def status_for_owner(store: Store, ticket_id: str, customer_id: Optional[str], last4: Optional[str],
                     catalogue: ComplaintCatalogue, filed_in: Optional[str] = None) -> Optional[Status]:
    """The status of a ticket the asker owns; None for anyone else (and for unknown ids)."""
    with store.session() as session:
        ticket: Optional[Ticket] = tickets.get_ticket_for_owner(session, ticket_id, customer_id, last4, filed_in)
        if ticket is None:
            return None
        try:
            category_name = catalogue.category(ticket.category).name
        except (ValueError, StopIteration, KeyError):
            category_name = ticket.category
        return Status(ticket.id, STATUS_NAMES.get(ticket.status, ticket.status),
                      beijing_time(ticket.updated_at), category_name)
