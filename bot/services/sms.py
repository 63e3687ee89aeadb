"""The SMS conversation's decisions and records, apart from HTTP and Rasa (bot/channels/sms.py).

Admission (one transaction per inbound message): a redelivered `msg_id` is dropped unless its turn
never finished (see below); "TD"/"退订" puts
the number on the opt-out list and, the first time, queues one confirmation; a number over the rate
limit is recorded but not answered (an auto-responder would otherwise loop with us); an empty text is
ignored. The conversation is `sms:<pseudonym>`, a keyed hash of the number, so Rasa's tracker store,
logs and API never hold the number; `sms_senders` maps it back for messages Rasa sends on its own.
A turn: the sender's customer (if the number is on file) and the text, a bare "1"/"2"
replaced by that option of the last menu sent. The reply: all of a turn's bot messages as one SMS,
rendered and committed to the outbox with the options it offers.

Durable turns: the webhook acknowledges a message before its turn runs, so an accepted message
stays `pending` in `sms_inbound` until its reply is committed to the outbox in the same transaction
that marks it done. The server running a turn holds a lease on it and renews it while it runs; when
a server dies mid-turn, the lease runs out and the message is run again by whichever server sweeps
first (`reclaim_stale`, at start and periodically) or receives the gateway's redelivery. A message
started `MAX_TURN_ATTEMPTS` times without finishing (perhaps the message itself kills the server)
gets the "busy" reply instead of another start. Marking done is conditional, so the reply is queued exactly once.
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

from sqlalchemy.orm import Session

from bot.common.settings import Settings
from bot.kb.sms import SmsTexts
from bot.services.sms_outbox import REF_MAX_LENGTH, REPLY_REF_PREFIX
from bot.services.sms_proactive import send_proactive
from bot.services.sms_render import join_replies, options_from_buttons, parse_choice, render_sms
from bot.store import sms as outbox
from bot.store import sms_menus
from bot.store.customers import find_by_phone
from bot.store.db import Store
from bot.store.models import SmsInbound
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
    RESUMED = "resumed"  # a redelivery of a message whose turn never finished: run it now
    GIVEN_UP = "given_up"  # … that had been started too often: the "busy" reply instead


class Reply(str, Enum):
    ANSWERED = "answered"
    BUSY = "busy"  # the bot said nothing: the "busy" text went instead
    QUIET = "quiet"  # an agent holds the conversation: the bot's silence is meant, nothing is sent
    ALREADY_ANSWERED = "already_answered"  # another run of this turn queued the reply first


# Turns started for one message before it gets the "busy" reply instead of another start.
MAX_TURN_ATTEMPTS = 3


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

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.settings.sms_turn_lease_seconds)

    def admit(self, inbound: Inbound, now: datetime) -> Admission:
        with self.store.session() as session, session.begin():
            if not outbox.record_inbound(session, inbound.msg_id, inbound.phone, now, text=inbound.text,
                                         lease=self.lease):
                row = outbox.claim_redelivered(session, inbound.msg_id, now, self.lease)
                if row is None:
                    return Admission.DUPLICATE
                return Admission.GIVEN_UP if self._give_up(session, row, now) else Admission.RESUMED
            admission = self._admission(session, inbound, now)
            if admission is not Admission.ACCEPTED:
                outbox.finish_inbound(session, inbound.msg_id)  # no turn to run
            return admission

    def _admission(self, session: Session, inbound: Inbound, now: datetime) -> Admission:
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

    def _give_up(self, session: Session, row: SmsInbound, now: datetime) -> bool:
        """A message started too often without finishing gets the "busy" reply; True if it did."""
        if row.attempts <= MAX_TURN_ATTEMPTS or not outbox.finish_inbound(session, row.msg_id):
            return False
        busy = self._render(self.texts.unavailable)
        outbox.enqueue(session, row.phone, busy.text, now, ref=reply_ref(_inbound(row)))
        sms_menus.save_menu(session, row.phone, (), now)
        return True

    def reclaim_stale(self, now: datetime, limit: int = 20) -> Tuple[List[Inbound], int]:
        """Messages whose server died mid-turn, now this caller's to run; and how many of them got
        the "busy" reply instead (started too often)."""
        with self.store.session() as session, session.begin():
            rows = outbox.claim_stale_inbound(session, now, limit=limit, lease=self.lease)
            to_run = [_inbound(row) for row in rows if not self._give_up(session, row, now)]
        return to_run, len(rows) - len(to_run)

    def renew(self, msg_ids: Sequence[str], now: datetime) -> None:
        """This server is still running these turns: nobody else takes them over for another lease."""
        with self.store.session() as session, session.begin():
            outbox.renew_inbound_leases(session, list(msg_ids), now + self.lease)

    def release(self, msg_ids: Sequence[str], now: datetime) -> None:
        """This server stops without finishing these turns: any server may run them now."""
        with self.store.session() as session, session.begin():
            outbox.renew_inbound_leases(session, list(msg_ids), now)

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

    def queue_reply(self, inbound: Inbound, messages: Sequence[Dict[str, Any]], now: datetime, *,
                    quiet: bool = False) -> Reply:
        """Commits the turn's reply and marks the message done, together; the "busy" text if the bot
        sent nothing (nothing at all when `quiet`: an agent holds the conversation); nothing if another
        run of the same turn got there first."""
        texts, options = reply_parts(messages)
        body = join_replies(texts)
        answered = bool(body or options)
        rendered = self._render(body if answered else self.texts.unavailable, options)
        with self.store.session() as session, session.begin():
            if not outbox.finish_inbound(session, inbound.msg_id):
                return Reply.ALREADY_ANSWERED
            if quiet and not answered:
                return Reply.QUIET
            outbox.enqueue(session, inbound.phone, rendered.text, now, ref=reply_ref(inbound))
            sms_menus.save_menu(session, inbound.phone, rendered.options, now)
        return Reply.ANSWERED if answered else Reply.BUSY

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


def _inbound(row: SmsInbound) -> Inbound:
    return Inbound(msg_id=row.msg_id, phone=row.phone, text=row.text or "")
