"""The retention dialogue's decisions and records, shared by the action server and the web app.

Compliance (DESIGN.md): at most one offer; the moment the customer insists, the full procedure; every
conversation is logged as a retention case; nothing here may delay or condition a transfer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from bot.kb.playbooks import OTHER, Reason, RequestType, RequestTypeId, RetentionPlaybook
from bot.nlu.text import normalise
from bot.retention_reasons import classify_reason, match_request_type
from bot.store.db import Store
from bot.store import retention_cases

DEFAULT_REQUEST_TYPE = RequestTypeId.CHANGE_BROKER  # "转走" without a market: both procedures

# What the customer answered to the offer (slot `retention_decision`).
ACCEPTED, DECLINED, INSIST, STAY, UNDECIDED, NO_OFFER = "accepted", "declined", "insist", "stay", "undecided", "none"
# Outcome recorded for each decision.
OUTCOME_OF = {
    ACCEPTED: "retained",
    STAY: "retained",
    DECLINED: "left",
    INSIST: "left",
    NO_OFFER: "left",
    UNDECIDED: "undecided",
}
_STAYING_CUES = ("不转了", "不走了", "不销了", "不销户了", "不办了", "先不转", "留下", "不换了", "再用用", "继续用")


def request_type_for(entity_value: Optional[str], text: str, playbook: RetentionPlaybook) -> RequestType:
    """The request named by NLU, else by trigger words in the text, else a general change of broker."""
    for candidate in (entity_value, match_request_type(text, playbook)):
        if candidate:
            try:
                return playbook.request_type(candidate)
            except (ValueError, StopIteration):
                continue
    return playbook.request_type(DEFAULT_REQUEST_TYPE)


def refuses_persuasion(text: str, playbook: RetentionPlaybook) -> bool:
    folded = normalise(text)
    return any(normalise(cue) in folded for cue in playbook.insist_cues)


def says_staying(text: str) -> bool:
    folded = normalise(text)
    return any(cue in folded for cue in _STAYING_CUES)


def reason_of(text: str, playbook: RetentionPlaybook) -> Reason:
    """The playbook reason for a free-text answer to "why"; `other` when unclear."""
    return playbook.reason(classify_reason(text, playbook).label)


def stated_reason(text: str, playbook: RetentionPlaybook) -> Optional[Reason]:
    """A reason only when the text names one by its cue words ("佣金太高", "表哥在别的券商").

    Used where the text might be something else — the leaving request itself, a question in the
    middle, an ambiguous NLU intent — so a weak guess from the wording alone is not enough.
    """
    found = classify_reason(text, playbook)
    return playbook.reason(found.label) if found.label != OTHER and found.matched else None


def procedure_text(request_type: RequestType, lead: str, playbook: RetentionPlaybook) -> str:
    return f"{lead}\n{request_type.procedure}\n{playbook.customer_right.text}"


@dataclass(frozen=True)
class CaseRef:
    id: str


def open_case(
    store: Store,
    conversation_id: str,
    now: datetime,
    *,
    request_type: str,
    channel: str,
    customer_id: Optional[str],
) -> CaseRef:
    with store.session() as session, session.begin():
        case = retention_cases.open_case(
            session, conversation_id, now, request_type=request_type, channel=channel, customer_id=customer_id
        )
        if case.request_type != request_type:
            retention_cases.update_case(session, case.id, now, request_type=request_type)
        return CaseRef(case.id)


def record_reason(store: Store, case_id: str, now: datetime, reason: Reason, text: str) -> None:
    with store.session() as session, session.begin():
        retention_cases.update_case(
            session, case_id, now, reason_class=reason.id, reason_text=text, offer=reason.offer.kind.value
        )


def close_case(store: Store, case_id: str, decision: str, now: datetime, *, rate_review: bool = False) -> None:
    with store.session() as session, session.begin():
        if rate_review:
            retention_cases.update_case(session, case_id, now, rate_review_requested=True)
        retention_cases.close_case(session, case_id, OUTCOME_OF[decision], now)
