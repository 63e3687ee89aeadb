"""The retention dialogue: learn the reason, make one fitting offer, give the procedure on insistence."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import context
from bot.services import retention
from bot import runtime
from bot.services.dialogue import interrupts_free_text
from bot.kb.playbooks import OTHER, OfferKind, RetentionPlaybook
from bot.common.short_answers import is_hesitation, yes_or_no
from bot.services.retention_reasons import match_request_type
from bot.common.sanitize import has_meaning

log = logging.getLogger(__name__)

# Questions that interrupt the dialogue: answered by their own rule, then the form resumes.
DIALOGUE_SLOTS = ("retention_reason", "retention_decision", "retention_request_type")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _playbook() -> RetentionPlaybook:
    return runtime.kb().retention


def _request_type(tracker: Tracker):
    return retention.request_type_for(tracker.get_slot("retention_request_type"), context.text(tracker), _playbook())


def _safely(what: str, fn, *args, **kwargs) -> Any:
    """Records must never block a transfer: a store failure is logged and the dialogue goes on."""
    try:
        return fn(*args, **kwargs)
    except SQLAlchemyError:
        log.exception("retention case could not be %s", what)
        return None


def _give_procedure(dispatcher: CollectingDispatcher, request_type, case_id: Optional[str], lead_key: str,
                   decision: str) -> List[Dict]:
    """The complete procedure, at once; the case is closed as the customer leaving."""
    playbook = _playbook()
    lead = getattr(playbook.messages, lead_key).format(request_label=request_type.label)
    dispatcher.utter_message(text=retention.procedure_text(request_type, lead, playbook))
    if case_id:
        _safely("closed", retention.close_case, runtime.store(), case_id, decision, _now())
    return [SlotSet("retention_stage", "done")] + [SlotSet(s, None) for s in DIALOGUE_SLOTS]


class ActionRetentionStart(Action):
    """Opens the case; a customer who declines persuasion up front gets the procedure at once."""

    def name(self) -> Text:
        return "action_retention_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        playbook = _playbook()
        text = context.text(tracker)
        if not retention.is_specific_request(text, context.intent_confidence(tracker), playbook):
            # Nothing is recorded for a message that may not be a request to leave: ask first.
            dispatcher.utter_message(text=playbook.messages.clarify_request, buttons=[
                {"title": "是的，我要办理", "payload": "/request_account_transfer"},
                {"title": "不是", "payload": "/deny"},
            ])
            return [SlotSet("retention_stage", "clarify")]
        request_type = _request_type(tracker)
        case = _safely(
            "opened", retention.open_case, runtime.store(), tracker.sender_id, _now(),
            request_type=request_type.id.value, channel=context.channel(tracker),
            customer_id=context.customer_id(tracker),
        )
        events: List[Dict] = [
            SlotSet("retention_case_id", case.id if case else None),
            SlotSet("retention_request_type", request_type.id.value),
            SlotSet("handover_to_complaint", False),
        ]
        if context.intent(tracker) == "insist_on_leaving" or retention.refuses_persuasion(text, playbook):
            return events + _give_procedure(dispatcher, request_type, case.id if case else None, "insist_ack",
                                            retention.INSIST)
        events.append(SlotSet("retention_stage", "asking"))
        # "佣金太高，我要转户": the reason is already given, so the form goes straight to the offer.
        reason = retention.stated_reason(text, playbook)
        if reason is not None:
            events += _reason_events(tracker, reason, text)
        return events


def _reason_events(tracker: Tracker, reason, text: str) -> List[Dict]:
    case_id = tracker.get_slot("retention_case_id")
    if case_id:
        _safely("updated", retention.record_reason, runtime.store(), case_id, _now(), reason, text)
    events = [SlotSet("retention_reason", reason.id)]
    if reason.offer.kind is OfferKind.NONE:
        events.append(SlotSet("retention_decision", retention.NO_OFFER))
    return events


class ActionAskRetentionReason(Action):
    def name(self) -> Text:
        return "action_ask_retention_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        label = _request_type(tracker).label
        dispatcher.utter_message(text=_playbook().messages.ack_and_ask_reason.format(request_label=label))
        return []


class ActionAskRetentionDecision(Action):
    """The one offer that fits the reason."""

    def name(self) -> Text:
        return "action_ask_retention_decision"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        playbook = _playbook()
        reason = playbook.reason(tracker.get_slot("retention_reason") or OTHER)
        dispatcher.utter_message(text=f"{reason.offer.text}\n{playbook.messages.offer_followup}")
        return []


class ValidateRetentionForm(FormValidationAction):
    """Reads the reason and the answer to the offer from free text; questions are left to digress."""

    def name(self) -> Text:
        return "validate_retention_form"

    async def extract_retention_reason(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                       domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "retention_reason":
            return {}
        playbook, text, intent = _playbook(), context.text(tracker), context.intent(tracker)
        if not has_meaning(text):
            return {}  # empty or emoji-only: "please say that again", and the question is asked again
        if retention.refuses_persuasion(text, playbook):
            return {"retention_reason": OTHER, "retention_decision": retention.INSIST}
        # Cue words outrank the intent: "想去大户室听消息" is a reason even if NLU hears insistence.
        stated = retention.stated_reason(text, playbook)
        if stated is not None:
            return {"retention_reason": stated.id}
        if intent == "insist_on_leaving":
            return {"retention_reason": OTHER, "retention_decision": retention.INSIST}
        if intent in ("cancel_flow", "request_human", "goodbye") or interrupts_free_text(intent, context.intent_confidence(tracker)):
            return {}
        return {"retention_reason": retention.reason_of(text, playbook).id}

    async def validate_retention_reason(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("retention_decision") == retention.INSIST:
            return {"retention_reason": value}
        reason = _playbook().reason(value or OTHER)
        return {e["name"]: e["value"] for e in _reason_events(tracker, reason, context.text(tracker))}

    async def extract_retention_decision(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "retention_decision":
            return {}
        text, intent, playbook = context.text(tracker), context.intent(tracker), _playbook()
        # Going ahead is read first: "算了，我还是要办" holds 算了, and "还是转吧" is no yes to the offer.
        if (intent == "insist_on_leaving" or retention.refuses_persuasion(text, playbook)
                or retention.goes_ahead(text, playbook)):
            return {"retention_decision": retention.INSIST}
        # Naming the request again ("好吧，我还是要转托管") declines the offer: the procedure, at once.
        if intent == "request_account_transfer" or match_request_type(text, playbook):
            return {"retention_decision": retention.INSIST}
        if retention.says_staying(text):
            return {"retention_decision": retention.STAY}
        answer = yes_or_no(text)
        if answer is None and not is_hesitation(text):
            answer = True if intent == "affirm" else False if intent == "deny" else None
        if answer is not None:
            return {"retention_decision": retention.ACCEPTED if answer else retention.DECLINED}
        if interrupts_free_text(intent, context.intent_confidence(tracker)) or intent == "request_human":
            return {}
        # "算了", a shrug, anything unclear: never a stay the customer did not say — ask.
        return {"retention_decision": retention.UNDECIDED}


class ActionRetentionSubmit(Action):
    """Acts on the customer's answer: confirms an accepted offer, or gives the procedure."""

    def name(self) -> Text:
        return "action_retention_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        playbook = _playbook()
        decision = tracker.get_slot("retention_decision") or retention.NO_OFFER
        reason = playbook.reason(tracker.get_slot("retention_reason") or OTHER)
        case_id = tracker.get_slot("retention_case_id")
        if decision in (retention.INSIST, retention.DECLINED, retention.NO_OFFER):
            if decision == retention.NO_OFFER:
                dispatcher.utter_message(text=reason.offer.text)  # a thank-you, no offer
            lead = "insist_ack" if decision == retention.INSIST else "declined"
            events = _give_procedure(dispatcher, _request_type(tracker), case_id, lead, decision)
            return events + [SlotSet("handover_to_complaint", False)]
        kind = reason.offer.kind if decision == retention.ACCEPTED else OfferKind.NONE
        if decision == retention.UNDECIDED:
            label = _request_type(tracker).label
            dispatcher.utter_message(
                text=playbook.messages.confirm_leaving.format(request_label=label, case_id=case_id or ""),
                buttons=[{"title": "继续办理", "payload": "/insist_on_leaving"},
                         {"title": "先不办了", "payload": "先不办了"}],
            )
        else:
            dispatcher.utter_message(
                text=playbook.messages.accepted_confirmation[kind].format(
                    case_id=case_id or "", request_label=_request_type(tracker).label
                )
            )
        if case_id:
            _safely("closed", retention.close_case, runtime.store(), case_id, decision, _now(),
                    rate_review=kind is OfferKind.FEE_REVIEW)
        handover = kind is OfferKind.COMPLAINT_HANDOVER
        return [SlotSet("retention_stage", "done"), SlotSet("handover_to_complaint", handover)] + [
            SlotSet(s, None) for s in DIALOGUE_SLOTS
        ]


class ActionRetentionCancel(Action):
    def name(self) -> Text:
        return "action_retention_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        playbook = _playbook()
        label = _request_type(tracker).label
        dispatcher.utter_message(text=playbook.messages.cancelled.format(request_label=label))
        case_id = tracker.get_slot("retention_case_id")
        if case_id:
            decision = retention.STAY if retention.says_staying(context.text(tracker)) else retention.UNDECIDED
            _safely("closed", retention.close_case, runtime.store(), case_id, decision, _now())
        return [SlotSet("retention_stage", "done"), SlotSet("requested_slot", None)] + [
            SlotSet(s, None) for s in DIALOGUE_SLOTS
        ]
