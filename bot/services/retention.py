"""The retention dialogue's decisions and records, shared by the action server and the web app.

Compliance (DESIGN.md): at most one offer; the moment the customer insists, the full procedure; every
conversation is logged as a retention case; nothing here may delay or condition a transfer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from bot.kb.playbooks import OTHER, Reason, RequestType, RequestTypeId, RetentionPlaybook
from bot.common.short_answers import is_conditional
from bot.common.text import normalise
from bot.services.retention_reasons import classify_reason, match_request_type
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


# Below this the classifier's "leave" is a guess unless the message names the request itself.
CONFIDENT_REQUEST = 0.9


def is_specific_request(text: str, intent_confidence: float, playbook: RetentionPlaybook) -> bool:
    """A request to leave made now: named ("转户", "销户") or confidently heard, and not conditional."""
    if text.strip().startswith("/"):
        return True  # a button the customer pressed
    if is_conditional(text):
        return False
    return bool(match_request_type(text, playbook)) or intent_confidence >= CONFIDENT_REQUEST


def goes_ahead(text: str, playbook: RetentionPlaybook) -> bool:
    """After the offer: "算了，我还是要办", "还是转吧" — the customer continues with the request."""
    folded = normalise(text)
    return any(normalise(cue) in folded for cue in playbook.continue_cues)


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


def format_report(report: retention_cases.RetentionReport) -> str:
    """The retention report as a plain table (by reason class, then by request type)."""

    def rate(counts: retention_cases.OutcomeCounts) -> str:
        return "-" if counts.retention_rate is None else f"{counts.retention_rate:.0%}"

    lines = [f"{'':<22}{'cases':>6}{'retained':>9}{'left':>6}{'undecided':>10}{'rate':>7}"]
    for title, groups in (("by reason", report.by_reason_class), ("by request type", report.by_request_type)):
        lines.append(title)
        for key, counts in sorted(groups.items()):
            lines.append(f"  {key:<20}{counts.total:>6}{counts.retained:>9}{counts.left:>6}{counts.undecided:>10}"
                         f"{rate(counts):>7}")
    o = report.overall
    lines.append(f"{'overall':<22}{o.total:>6}{o.retained:>9}{o.left:>6}{o.undecided:>10}{rate(o):>7}")
    return "\n".join(lines)


def report(store: Store) -> retention_cases.RetentionReport:
    """Retention rate by reason class and by request type, over every case."""
    with store.session() as session:
        return retention_cases.report(session)
