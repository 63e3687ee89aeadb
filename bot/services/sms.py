"""The SMS conversation's decisions and records, apart from HTTP and Rasa (bot/channels/sms.py).

Admission (one transaction per inbound message): a redelivered `msg_id` is dropped; "TD"/"退订" puts
the number on the opt-out list and, the first time, queues one confirmation; a number over the rate
limit is recorded but not answered (an auto-responder would otherwise loop with us); an empty text is
ignored. The conversation is `sms:<pseudonym>`, a keyed hash of the number, so Rasa's tracker store,
logs and API never hold the number; `sms_senders` maps it back for messages Rasa sends on its own.
A turn: the sender's customer (if the number is on file) and the text, a bare "1"/"2"
replaced by that option of the last menu sent. The reply: all of a turn's bot messages as one SMS,
rendered and committed to the outbox with the options it offers.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.common.settings import Settings
from bot.kb.sms import SmsTexts
from bot.services.sms_outbox import REF_MAX_LENGTH, REPLY_REF_PREFIX
from bot.services.sms_proactive import send_proactive
from bot.services.sms_render import join_replies, options_from_buttons, parse_choice, render_sms
from bot.store import sms as outbox
from bot.store import sms_menus
from bot.store.customers import find_by_phone
from bot.store.db import Store
from bot.store.sms_menus import Option

# Carriers' unsubscribe replies ("回复TD退订"); compared after removing blanks and punctuation.
OPT_OUT_WORDS = frozenset({"T", "TD", "退订", "TD退订", "退订TD", "回TD", "回复TD", "取消订阅"})
_FULLWIDTH_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_NOT_WORD = re.compile(r"[\s。，、！？!?,.;；:：\"'“”‘’]+")


def is_opt_out(text: str) -> bool:
    return _NOT_WORD.sub("", text.translate(_FULLWIDTH_ASCII)).upper() in OPT_OUT_WORDS


@dataclass(frozen=True)
class Inbound:
    msg_id: str
    phone: str  # normalised
    text: str


class Admission(str, Enum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    OPTED_OUT = "opted_out"
    RATE_LIMITED = "rate_limited"
    EMPTY = "ignored"


SENDER_PREFIX = "sms:"


def sender_id(phone: str, secret: str) -> str:
    """The conversation id of a number: `sms:` and a keyed hash, the same for every message from it."""
    digest = hmac.new(secret.encode("utf-8"), b"sms-sender\0" + phone.encode("utf-8"), hashlib.sha256).digest()
    return SENDER_PREFIX + base64.b32encode(digest[:15]).decode("ascii").lower()


@dataclass(frozen=True)
class Turn:
    text: str
    customer_id: Optional[str]
    sender_id: str


def reply_ref(inbound: Inbound) -> str:
    """The outbox `ref` of the reply to `inbound`: the same on every retry, so delivery is once."""
    return f"{REPLY_REF_PREFIX}{inbound.msg_id}"[:REF_MAX_LENGTH]


def reply_parts(messages: Sequence[Dict[str, Any]]) -> Tuple[List[str], List[Option]]:
    """The texts of a turn's bot messages and the options of the last question asked."""
    texts: List[str] = []
    options: List[Option] = []
    for message in messages:
        text = message.get("text") or ""
        if text:
            texts.append(text)
        buttons = message.get("buttons") or message.get("quick_replies")
        if buttons:
            options = options_from_buttons(buttons)  # the last question asked is the one answered
    return texts, options


class SmsConversations:
    """What the SMS channel asks of the store, one transaction per call."""

    def __init__(self, store: Store, settings: Settings, texts: SmsTexts) -> None:
        self.store = store
        self.settings = settings
        self.texts = texts

    def _render(self, body: str, options: Sequence[Option] = ()):
        return render_sms(body, options, signature=self.settings.sms_signature,
                          max_parts=self.settings.sms_max_parts, texts=self.texts)

    def admit(self, inbound: Inbound, now: datetime) -> Admission:
        with self.store.session() as session, session.begin():
            if not outbox.record_inbound(session, inbound.msg_id, inbound.phone, now):
                return Admission.DUPLICATE
            if is_opt_out(inbound.text):
                # Honoured before any limit: refusing must never be obstructed.
                if outbox.record_opt_out(session, inbound.phone, now):
                    confirmation = self._render(self.texts.opt_out_confirmation)
                    outbox.enqueue(session, inbound.phone, confirmation.text, now, ref=reply_ref(inbound))
                    sms_menus.save_menu(session, inbound.phone, (), now)
                return Admission.OPTED_OUT
            window_start = now - timedelta(seconds=self.settings.sms_rate_window_seconds)
            if sms_menus.inbound_count_since(session, inbound.phone, window_start) > self.settings.sms_rate_limit:
                return Admission.RATE_LIMITED
            if not inbound.text:
                return Admission.EMPTY
            return Admission.ACCEPTED

    def prepare(self, inbound: Inbound, now: datetime) -> Turn:
        conversation = sender_id(inbound.phone, self.settings.identity_secret)
        with self.store.session() as session, session.begin():
            outbox.remember_sender(session, conversation[len(SENDER_PREFIX):], inbound.phone, now)
            customer = find_by_phone(session, inbound.phone)
            text = inbound.text
            number = parse_choice(text)
            if number is not None:
                ttl = timedelta(seconds=self.settings.sms_menu_ttl_seconds)
                option = sms_menus.chosen_option(session, inbound.phone, number, now, ttl)
                if option is not None:
                    text = option.payload
            return Turn(text=text, customer_id=customer.id if customer is not None else None,
                        sender_id=conversation)

    def queue_reply(self, inbound: Inbound, messages: Sequence[Dict[str, Any]], now: datetime) -> bool:
        """Commits the turn's reply; False when the bot sent nothing (the "busy" text goes instead)."""
        texts, options = reply_parts(messages)
        body = join_replies(texts)
        answered = bool(body or options)
        rendered = self._render(body if answered else self.texts.unavailable, options)
        with self.store.session() as session, session.begin():
            outbox.enqueue(session, inbound.phone, rendered.text, now, ref=reply_ref(inbound))
            sms_menus.save_menu(session, inbound.phone, rendered.options, now)
        return answered

    def queue_proactive(self, conversation_id: str, message: Dict[str, Any], now: datetime) -> bool:
        """A message Rasa sends on its own (a reminder, a triggered intent) to an SMS conversation;
        False if nothing was queued (not an SMS conversation, a number never seen, nothing to say)."""
        texts, options = reply_parts([message])
        body = join_replies(texts)
        if not body or not conversation_id.startswith(SENDER_PREFIX):
            return False
        with self.store.session() as session, session.begin():
            phone = outbox.sender_phone(session, conversation_id[len(SENDER_PREFIX):])
            if phone is None:
                return False
            sent = send_proactive(session, phone, body, now, options=options, settings=self.settings,
                                  texts=self.texts)
        return sent is not None
