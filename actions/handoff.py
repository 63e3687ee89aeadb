"""Handoff to a human agent: queued by tier, the customer told their place or the hotline."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from actions import context
from bot.services import handoff, inbox
from bot import runtime

log = logging.getLogger(__name__)

WEB_CHAT = "socketio"


def queue_for_human(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> None:
    """Queues the conversation for an agent and tells the customer their place (or the hotline)."""
    kb = runtime.kb()
    hours, hotline = kb.service.hotline_hours, kb.service.hotline
    try:
        queued = handoff.request_human(runtime.store(), kb, tracker.sender_id, datetime.now(timezone.utc),
                                       customer_id=context.customer_id(tracker), reason=reason)
    except SQLAlchemyError:
        log.exception("handoff could not be queued")
        context.say(dispatcher, "handoff_unavailable", hotline=hotline, hours=hours)
        return
    if queued.in_hours:
        context.say(dispatcher, "handoff_queued", position=queued.position or 1, minutes=queued.wait_minutes)
    else:
        context.say(dispatcher, "handoff_out_of_hours", hours=hours, hotline=hotline, position=queued.position or 1)
    if queued.account_manager:
        context.say(dispatcher, "handoff_manager", manager=queued.account_manager)


class ActionRequestHandoff(Action):
    def name(self) -> Text:
        return "action_request_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        queue_for_human(dispatcher, tracker, reason="request_human")
        return [SlotSet("fallback_count", 0)]


class ActionWithdrawHandoff(Action):
    """"算了不用了" with nothing else going on: a customer waiting for an agent leaves the queue and is
    told so; anyone else hears the usual "anything else?"."""

    def name(self) -> Text:
        return "action_withdraw_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        try:
            withdrawn = handoff.withdraw(runtime.store(), tracker.sender_id, datetime.now(timezone.utc))
        except SQLAlchemyError:
            log.exception("handoff could not be withdrawn")
            withdrawn = False
        if withdrawn:
            context.say(dispatcher, "handoff_withdrawn")
        else:
            dispatcher.utter_message(response="utter_anything_else")
        return []


class ActionGoodbye(Action):
    """Goodbye; a customer still waiting for an agent leaves the queue (nobody is there to answer).
    On the web chat the goodbye also asks for a 1–5 rating (the chat draws it; SMS and REST are not
    asked: a bare digit there would be read as the next message)."""

    def name(self) -> Text:
        return "action_goodbye"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[Dict]:
        try:
            handoff.withdraw(runtime.store(), tracker.sender_id, datetime.now(timezone.utc))
        except SQLAlchemyError:
            log.exception("handoff could not be withdrawn at goodbye")
        dispatcher.utter_message(response="utter_goodbye")
        if context.channel(tracker) == WEB_CHAT:
            # Rasa's socket.io output emits the custom payload's keys as emit() arguments: the
            # browser receives what is under "data".
            dispatcher.utter_message(json_message={"data": {inbox.CSAT_PAYLOAD_KEY: {"scale": 5}}})
        return []
