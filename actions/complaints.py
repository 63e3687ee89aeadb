"""Complaints: apologise, collect only what is missing, confirm, then commit a ticket; status by owner."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import context
from bot.services.dialogue import interrupts_free_text
from actions.handoff import queue_for_human
from bot.services import complaints
from bot import runtime
from bot.kb.playbooks import ComplaintCatalogue
from bot.common.phones import normalize_phone
from bot.common.sealing import seal, unseal
from bot.common.settings import get_settings
from bot.common.short_answers import is_hesitation, yes_or_no

log = logging.getLogger(__name__)

ON_FILE = "on_file"  # the identified customer's phone on file is used for the call-back
NO_PHONE = "declined"  # the customer gave no call-back number; the ticket is filed without one
COMPLAINT_SLOTS = ("complaint_description", "complaint_category", "complaint_time", "complaint_contact",
                   "complaint_confirmed")


def _catalogue() -> ComplaintCatalogue:
    return runtime.kb().complaints


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _phone_on_file(tracker: Tracker) -> Optional[str]:
    """The identified customer's number on file; None for a guest, or when the store is down (the
    form then asks for a number instead of failing)."""
    try:
        customer = context.customer(tracker)
    except SQLAlchemyError as exc:
        log.error("customer lookup failed during the complaint form: %s", exc)
        return None
    return customer.phone if customer else None


def _sealed(phone: str) -> str:
    # The tracker store, Rasa's API and the event broker never see the number (bot.common.sealing).
    return seal(phone, get_settings().identity_secret)


def _contact_phone(tracker: Tracker) -> Optional[str]:
    contact = tracker.get_slot("complaint_contact")
    if contact in (None, NO_PHONE):
        return None
    if contact == ON_FILE:
        return _phone_on_file(tracker)
    # A number sealed by this form; a bare one only from a conversation begun before numbers were sealed.
    sealed = unseal(contact, get_settings().identity_secret)
    return sealed or (normalize_phone(str(contact)) if "*" not in str(contact) else None)


class ActionComplaintStart(Action):
    """Files only what was asked: a specific grievance starts the form, anything else is asked first.

    A grievance about the firm apologises and reads whatever the customer already said (what happened,
    when, a phone). A market lament gets empathy and no form; an unclear message one question, whose
    answer ("我要投诉" or "只是咨询") decides.
    """

    def name(self) -> Text:
        return "action_complaint_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        catalogue = _catalogue()
        text = context.text(tracker)
        asked = context.intent(tracker) == "complain"
        route = complaints.route(text, context.intent_confidence(tracker), catalogue) if asked else complaints.FILE
        if route != complaints.FILE and runtime.kb().scope.asks_for_advice(text):
            # "客户经理说这只票要翻倍，我能不能加仓": a request for advice first of all.
            dispatcher.utter_message(response="utter_refuse_advice")
            return [SlotSet("complaint_route", complaints.LAMENT)]
        if route != complaints.FILE:
            message = catalogue.messages.clarify if route == complaints.CLARIFY else catalogue.messages.market_lament
            dispatcher.utter_message(text=message, buttons=[
                {"title": "我要投诉", "payload": "/complain"},
                {"title": "只是咨询" if route == complaints.CLARIFY else "转人工",
                 "payload": "/deny" if route == complaints.CLARIFY else "/request_human"},
            ])
            return [SlotSet("complaint_route", route), SlotSet("complaint_earlier_text", text)]
        dispatcher.utter_message(text=catalogue.messages.apology)
        if complaints.sounds_angry(text, catalogue):
            context.say(dispatcher, "angry_handoff")
            queue_for_human(CollectingDispatcher(), tracker, reason="angry_customer")
        description = complaints.description_from(text) if asked else None
        if asked and description is None and tracker.get_slot("complaint_route") in (complaints.CLARIFY,
                                                                                      complaints.LAMENT):
            # "我要投诉" after the clarifying question: what happened is what they said before it.
            description = complaints.description_from(tracker.get_slot("complaint_earlier_text") or "")
        said = complaints.find_phone(text)
        phone = _sealed(said) if said else (ON_FILE if _phone_on_file(tracker) else None)
        events = [SlotSet(s, None) for s in COMPLAINT_SLOTS] + [
            SlotSet("complaint_route", complaints.FILE),
            SlotSet("complaint_earlier_text", None),
            SlotSet("complaint_draft_id", uuid.uuid4().hex),
            SlotSet("complaint_pending", False),
            SlotSet("handover_to_complaint", False),
            SlotSet("complaint_description", description),
            SlotSet("complaint_time", complaints.find_time(text)),
            SlotSet("complaint_contact", phone),
        ]
        if description:
            events.append(SlotSet("complaint_category", complaints.category_for(description, catalogue).id))
        return events


class ActionAskComplaintDescription(Action):
    def name(self) -> Text:
        return "action_ask_complaint_description"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        dispatcher.utter_message(text=_catalogue().messages.ask_description)
        return []


class ActionAskComplaintContact(Action):
    def name(self) -> Text:
        return "action_ask_complaint_contact"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        messages = _catalogue().messages
        # Once the time is known, the question asks only for what is still missing.
        dispatcher.utter_message(text=messages.ask_phone_only if tracker.get_slot("complaint_time") else
                                 messages.ask_phone)
        return []


class ActionAskComplaintConfirmed(Action):
    """The summary to confirm; every personal number in it is masked."""

    def name(self) -> Text:
        return "action_ask_complaint_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        catalogue = _catalogue()
        description = tracker.get_slot("complaint_description") or ""
        category = catalogue.category(tracker.get_slot("complaint_category") or "other")
        dispatcher.utter_message(
            text=complaints.summary(catalogue, category, description, tracker.get_slot("complaint_time"),
                                    _contact_phone(tracker))
        )
        return []


class ValidateComplaintForm(FormValidationAction):
    """Details volunteered in any turn are kept; a phone or time given later corrects the earlier one."""

    def name(self) -> Text:
        return "validate_complaint_form"

    async def extract_complaint_description(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                            domain: DomainDict) -> Dict[Text, Any]:
        requested, intent, text = tracker.get_slot("requested_slot"), context.intent(tracker), context.text(tracker)
        if interrupts_free_text(intent, context.intent_confidence(tracker)) or intent in (
                "cancel_flow", "request_human", "request_account_transfer", "goodbye"):
            return {}
        if requested == "complaint_description":
            description = complaints.description_from(text) or text.strip()
            return {"complaint_description": description} if description else {}
        if requested == "complaint_confirmed" and not complaints.find_phone(text) and (
            intent == "deny" or yes_or_no(text) is False
        ):
            return {"complaint_description": None, "complaint_confirmed": None}
        if requested == "complaint_confirmed" and self._is_more_detail(tracker):
            earlier = tracker.get_slot("complaint_description") or ""
            return {"complaint_description": f"{earlier}；{text.strip()}"}
        return {}

    @staticmethod
    def _is_more_detail(tracker: Tracker) -> bool:
        text = context.text(tracker)
        if context.intent(tracker) in ("affirm", "deny") or complaints.find_phone(text):
            return False
        # "昨天上午十点左右" answers the summary's missing time; it is not more of the story.
        rest = text.replace(complaints.find_time(text) or "", "")
        return len(rest.strip(" ，,。.！!")) >= 6 and yes_or_no(text) is None

    async def validate_complaint_description(self, value: Any, dispatcher: CollectingDispatcher,
                                             tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        if not value:
            return {"complaint_description": None}
        category = complaints.category_for(value, _catalogue())
        return {"complaint_description": value, "complaint_category": category.id}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        # The time is not a required slot, so rasa_sdk would drop it from the extracted slots: it is
        # added here, whenever the customer says it ("昨天上午" to the phone question or the summary).
        when = complaints.find_time(context.text(tracker))
        events = await super().run(dispatcher, tracker, domain)
        if when:
            events.append(SlotSet("complaint_time", when))
        return events

    async def extract_complaint_contact(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> Dict[Text, Any]:
        """The call-back number, or a refusal to give one, whenever it is said."""
        text = context.text(tracker)
        found: Dict[Text, Any] = {}
        phone = complaints.find_phone(text)
        requested = tracker.get_slot("requested_slot")
        if phone:
            found.update(complaint_contact=_sealed(phone), complaint_confirmed=None)
        elif requested == "complaint_contact" and complaints.declines_phone(text, _catalogue()):
            dispatcher.utter_message(text=_catalogue().messages.no_phone)
            found["complaint_contact"] = NO_PHONE
        elif requested == "complaint_contact" and _phone_on_file(tracker) and any(
            w in text for w in ("预留", "原来的", "账户上的", "就用这个")
        ):
            found["complaint_contact"] = ON_FILE
        return found

    async def extract_complaint_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "complaint_confirmed":
            return {}
        text = context.text(tracker)
        if complaints.find_phone(text) or complaints.find_time(text):
            return {}  # a correction: the summary is shown again
        answer = yes_or_no(text)
        if answer or (answer is None and context.intent(tracker) == "affirm" and not is_hesitation(text)):
            return {"complaint_confirmed": "yes"}
        return {}


class ActionSubmitComplaint(Action):
    """Commits the ticket; the id is told only after the commit. Store down → details kept for a retry."""

    def name(self) -> Text:
        return "action_submit_complaint"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        catalogue = _catalogue()
        category = catalogue.category(tracker.get_slot("complaint_category") or "other")
        try:
            customer = context.customer(tracker)
            complaint = complaints.Complaint(
                draft_key=str(tracker.get_slot("complaint_draft_id")),
                conversation_id=tracker.sender_id,
                channel=context.channel(tracker),
                category_id=category.id,
                description=tracker.get_slot("complaint_description") or "",
                occurred_at=tracker.get_slot("complaint_time"),
                transcript=_transcript(tracker),
                customer_id=customer.id if customer else None,
                tier=customer.tier if customer else None,
                contact_phone=_contact_phone(tracker),
            )
            filed = complaints.file_complaint(runtime.store(), runtime.kb(), complaint, _now())
        except (complaints.StoreUnavailable, SQLAlchemyError) as exc:
            log.error("complaint ticket not stored: %s", exc)
            dispatcher.utter_message(text=catalogue.messages.db_down)
            return [SlotSet("complaint_pending", True)]
        dispatcher.utter_message(
            text=catalogue.messages.created.format(ticket_id=filed.ticket_id, hours=filed.hours,
                                                   deadline=filed.deadline)
        )
        return [SlotSet("complaint_pending", False), SlotSet("ticket_id", filed.ticket_id),
                SlotSet("filed_ticket_id", filed.ticket_id)] + [
            SlotSet(s, None) for s in COMPLAINT_SLOTS
        ]


def _transcript(tracker: Tracker, turns: int = 10) -> str:
    """The customer's last messages (the store masks them before saving)."""
    said = [e.get("text") or "" for e in tracker.events if e.get("event") == "user"]
    return "\n".join(t for t in said[-turns:] if t)


class ActionComplaintStatus(Action):
    """Status and last update, only for the ticket's owner; anyone else learns nothing.

    An identified customer is the owner of their tickets. Anyone else proves it with the ticket id
    and the last four digits of the call-back number (asked for when missing): the conversation id
    is chosen by the client and proves nothing.
    """

    def name(self) -> Text:
        return "action_complaint_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        return answer_ticket_status(dispatcher, tracker)


def answer_ticket_status(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict]:
    """The status of the ticket the message names (or the conversation's last), to its owner only."""
    ids = context.entity_values(tracker, "ticket_id")
    ticket_id = (ids[-1] if ids else None) or tracker.get_slot("ticket_id")
    if not ticket_id:
        context.say(dispatcher, "complaint_status_ask_id")
        return []
    customer_id = context.customer_id(tracker)
    # The ticket this very conversation filed (conversation ids are issued by the server or come
    # from a trusted integration; the REST channel refuses the SMS ones).
    filed_here = str(tracker.get_slot("filed_ticket_id") or "").upper() == ticket_id.upper()
    last4 = complaints.phone_last4(context.text(tracker), ticket_id) if customer_id is None else None
    if customer_id is None and last4 is None and not filed_here:
        context.say(dispatcher, "complaint_status_ask_last4", ticket_id=ticket_id.upper())
        return []
    try:
        status = complaints.status_for_owner(runtime.store(), ticket_id, customer_id, last4, _catalogue(),
                                             filed_in=tracker.sender_id if filed_here else None)
    except SQLAlchemyError:
        log.exception("complaint status lookup failed")
        context.say(dispatcher, "store_unavailable")
        return []
    if status is None:
        context.say(dispatcher, "complaint_status_unknown", ticket_id=ticket_id.upper())
        return []
    context.say(dispatcher, "complaint_status", ticket_id=status.ticket_id,
                             category=status.category, status=status.status, updated=status.updated)
    return []
