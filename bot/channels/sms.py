"""The SMS channel: a Rasa `InputChannel` between the SMS gateway and the bot.

Inbound: `POST /webhooks/sms/webhook` with `{"msg_id", "from", "text", "ts"}`, signed with
HMAC-SHA256 over the raw body (hex in `X-Signature`, secret `SMS_WEBHOOK_SECRET`). The webhook only
checks, records and answers (200 within milliseconds, so the gateway does not time out and
redeliver); the conversation runs in the background, and the message stays pending in the store
until its reply is in the outbox. A server that dies mid-turn loses nothing: its pending messages are
run again by a server's sweep (at start, then every third of `SMS_TURN_LEASE_SECONDS`) or on the
gateway's redelivery, and answered once (bot/services/sms.py):

1. signature (401, nothing recorded) → JSON and fields (400) → `msg_id` seen before? (200, dropped,
   unless its turn never finished: then it runs now);
2. "TD"/"退订": the number is put on the opt-out list and, the first time, gets one confirmation;
3. more than `SMS_RATE_LIMIT` messages from the number within the window: recorded, not answered
   (an auto-responder answering our replies would otherwise loop forever);
4. otherwise the bot gets the message as conversation `sms:<pseudonym>` (a keyed hash of the number,
   see bot/services/sms.py), with a `customer_token` it
   issues itself when the number belongs to a customer (actions treat SMS and web alike), and a
   bare "1"/"2" replaced by the payload of that option in the last menu sent to the number.

Outbound: all of one turn's bot messages become one SMS (`SmsOutput` collects them), rendered by
`sms_render` (signature, numbered options, the kb's short form for FAQ answers, at most
`SMS_MAX_PARTS` carrier segments) and committed to the outbox, which `sms_outbox` sends with retries.
The texts the channel adds itself (options, opt-out confirmation, "系统繁忙…") come from kb/sms.yml.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot import runtime
from bot.channels.silent_turns import SilentTurnGuard
from bot.common.identity import TOKEN_KEY, issue_token
from bot.common.phones import normalize_phone
from bot.common.privacy import install_log_masking, mask_phone
from bot.common.sanitize import storable_text
from bot.common.settings import Settings, get_settings
from bot.kb.sms import SmsTexts
from bot.services.sms import Admission, Inbound, Reply, SmsConversations
from bot.services.sms_outbox import OutboxConfig, OutboxWorker, utcnow
from bot.services.sms_proactive import channel_texts

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Signature"
MAX_BODY_BYTES = 16 * 1024
MAX_MSG_ID_LENGTH = 128
MAX_TEXT_LENGTH = 1000  # a long concatenated SMS is ~10 parts; anything longer is not from a handset
# The token only has to outlive this one turn: actions read it from the latest message's metadata.
TOKEN_TTL = timedelta(minutes=30)
class BadInbound(ValueError):
    """The gateway's request is not a usable message (answered with 400 and this explanation)."""


def parse_inbound(raw: bytes) -> Inbound:
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInbound("the body must be a UTF-8 JSON object") from exc
    if not isinstance(payload, dict):
        raise BadInbound("the body must be a JSON object with msg_id, from, text and ts")
    msg_id = payload.get("msg_id")
    if isinstance(msg_id, bool) or not isinstance(msg_id, (str, int)) or not str(msg_id).strip():
        raise BadInbound("msg_id is required (a non-empty string)")
    msg_id = str(msg_id).strip()
    if len(msg_id) > MAX_MSG_ID_LENGTH:
        raise BadInbound(f"msg_id is longer than {MAX_MSG_ID_LENGTH} characters")
    if not msg_id.isprintable():
        raise BadInbound("msg_id must be printable characters")
    sender = payload.get("from")
    phone = normalize_phone(sender) if isinstance(sender, (str, int)) and not isinstance(sender, bool) else None
    if phone is None or not 5 <= len(phone) <= 20:
        raise BadInbound("from must be the sender's phone number")
    text = payload.get("text")
    if not isinstance(text, str):
        raise BadInbound("text is required (a string)")
    if len(text) > MAX_TEXT_LENGTH:
        raise BadInbound(f"text is longer than {MAX_TEXT_LENGTH} characters")
    # A handset sends no control characters or lone surrogates; the store could not hold them.
    return Inbound(msg_id=msg_id, phone=phone, text=storable_text(text).strip())


class SmsOutput(OutputChannel):
    """Where the bot's messages for one SMS conversation go.

    In a turn started by an inbound SMS it only collects: the channel sends the whole turn as one
    SMS afterwards. Created by `SmsInput.get_output_channel` (Rasa's API with
    `?output_channel=sms`, e.g. a reminder or a triggered intent), each message is proactive:
    sent through `send_proactive`, so opted-out numbers get nothing.
    """

    @classmethod
    def name(cls) -> Text:
        return SmsInput.name()

    def __init__(self, channel: "SmsInput", *, proactive: bool = False) -> None:
        self.channel = channel
        self.proactive = proactive
        self.messages: List[Dict[str, Any]] = []

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        # One bot message may carry text and buttons together; Rasa's default would split them.
        message = {key: value for key, value in message.items() if value is not None}
        if self.proactive:
            await self.channel.send_proactive_message(recipient_id, message)
        else:
            self.messages.append(message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"custom": json_message})

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        return None  # SMS carries no images; the text of the same reply is what the customer gets

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        return None


class SmsInput(InputChannel):
    """Rasa input channel for the SMS gateway (`credentials.yml`: `bot.channels.sms.SmsInput:`)."""

    @classmethod
    def name(cls) -> Text:
        return "sms"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "InputChannel":
        # Everything comes from the environment through bot.common.settings; credentials.yml only enables it.
        if credentials:
            log.warning("SMS channel: ignoring %s in credentials.yml; set SMS_* environment variables", sorted(credentials))
        # The Rasa server loads this channel at start: outside demo mode it refuses to run with a
        # missing or public secret (its HTTP API token, this channel's and the identity secret).
        get_settings().require("RASA_TOKEN", "SMS_WEBHOOK_SECRET", "BOT_IDENTITY_SECRET", "ACTION_SERVER_TOKEN")
        return cls()

    def __init__(
        self,
        settings: Optional[Settings] = None,
        store: Optional[runtime.Store] = None,
        *,
        texts: Optional[SmsTexts] = None,
        clock: Callable[[], datetime] = utcnow,
        outbox_worker: Optional[bool] = None,
        outbox_config: Optional[OutboxConfig] = None,
    ) -> None:
        self.settings = settings or get_settings()
        self._store = store
        self._texts = texts
        self._conversations: Optional[SmsConversations] = None
        self.clock = clock
        self.run_outbox_worker = self.settings.sms_outbox_worker if outbox_worker is None else outbox_worker
        self.outbox_config = outbox_config or OutboxConfig.from_settings(self.settings)
        self.worker: Optional[OutboxWorker] = None
        self._tasks: Set["asyncio.Task[None]"] = set()
        self._in_flight: Set[str] = set()  # msg_ids whose turns run here: their leases are renewed
        self._on_new_message: Optional[Callable[[UserMessage], Awaitable[Any]]] = None
        self._guard: Optional[SilentTurnGuard] = None
        self._sweeper: Optional["asyncio.Task[None]"] = None
        self._locks: Dict[str, asyncio.Lock] = {}
        self._lock_users: Dict[str, int] = {}

    # ------------------------------------------------------------ resources

    @property
    def store(self) -> runtime.Store:
        if self._store is None:
            # The process's store, migrated and seeded on first use (or the one these settings name).
            self._store = runtime.store() if self.settings == get_settings() else runtime.open_store(self.settings)
        return self._store

    @property
    def texts(self) -> SmsTexts:
        if self._texts is None:
            self._texts = channel_texts(settings=self.settings)
        return self._texts

    @property
    def conversations(self) -> SmsConversations:
        if self._conversations is None or self._conversations.settings is not self.settings:
            self._conversations = SmsConversations(self.store, self.settings, self.texts)
        return self._conversations

    async def start(self) -> None:
        """Opens the store and starts the outbox worker (Sanic's after_server_start)."""
        # Gateway errors and texts reach Rasa's and aiohttp's logs too.
        install_log_masking()
        store = await asyncio.to_thread(lambda: self.store)
        await asyncio.to_thread(lambda: self.texts)  # a broken kb should stop the start, not an opt-out
        if self.run_outbox_worker and self.worker is None:
            self.worker = OutboxWorker(store, self.outbox_config, clock=self.clock)
            await self.worker.start()
        if self._on_new_message is not None and self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="sms-inbound-sweep")

    async def stop(self, grace: float = 10.0) -> None:
        """Lets conversations in progress queue their replies, then stops the worker. A turn still
        running after `grace` is cancelled and left pending for the next server, at once."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=grace)
        unfinished = sorted(self._in_flight)
        for task in list(self._tasks):
            task.cancel()
        if unfinished:
            try:
                await asyncio.to_thread(self.conversations.release, unfinished, self.clock())
            except SQLAlchemyError:
                log.exception("SMS: could not release %d unfinished turns; they resume when their lease ends",
                              len(unfinished))
        if self.worker is not None:
            await self.worker.stop()
            self.worker = None

    async def idle(self) -> None:
        """Waits until every accepted message has been answered into the outbox (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _wake_worker(self) -> None:
        if self.worker is not None:
            self.worker.wake()

    async def _sweep_forever(self) -> None:
        interval = max(self.settings.sms_turn_lease_seconds / 3, 0.05)
        while True:
            try:
                await self.sweep()
            except Exception:  # the database may be briefly unavailable; keep sweeping
                log.exception("SMS: sweep of unfinished turns failed")
            await asyncio.sleep(interval)

    async def sweep(self) -> int:
        """Renews the leases of the turns running here, and runs the turns other servers left
        unfinished (died mid-turn); returns how many it started."""
        now = self.clock()
        if self._in_flight:
            await asyncio.to_thread(self.conversations.renew, sorted(self._in_flight), now)
        resumed, given_up = await asyncio.to_thread(self.conversations.reclaim_stale, now)
        started = 0
        for inbound in resumed:
            log.info("SMS %r from %s: resuming an unfinished turn", inbound.msg_id, mask_phone(inbound.phone))
            started += self._spawn(inbound)
        if given_up:
            log.warning("SMS: %d messages started too often without finishing got the busy reply", given_up)
            self._wake_worker()
        return started

    def _spawn(self, inbound: Inbound) -> bool:
        assert self._on_new_message is not None
        if inbound.msg_id in self._in_flight:
            return False  # already running here (its lease lapsed while the database was away)
        self._in_flight.add(inbound.msg_id)
        task = asyncio.create_task(self._converse(inbound, self._on_new_message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(lambda _: self._in_flight.discard(inbound.msg_id))
        return True

    # ------------------------------------------------------------ HTTP

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # A turn broken by failing actions must not leave the conversation stuck (silent_turns.py);
        # silence itself this channel answers with its own SMS text.
        guard = self._guard = SilentTurnGuard(answer_silence=False)
        on_new_message = guard.wrap(on_new_message)
        sms_webhook = guard.watch(Blueprint("sms_webhook", __name__))
        self._on_new_message = on_new_message

        @sms_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sms_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request.body or b"", request.headers.get(SIGNATURE_HEADER), on_new_message)

        @sms_webhook.listener("after_server_start")
        async def start_channel(app: Any, loop: Any) -> None:
            await self.start()

        @sms_webhook.listener("before_server_stop")
        async def stop_channel(app: Any, loop: Any) -> None:
            await self.stop()

        return sms_webhook

    def signature_ok(self, raw: bytes, provided: Optional[str]) -> bool:
        secret = self.settings.sms_webhook_secret
        if not secret or not provided:
            return False
        provided = provided.strip()
        if provided.lower().startswith("sha256="):
            provided = provided[len("sha256=") :]
        expected = hmac.new(secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()
        # Constant-time comparison of bytes (a str with non-ASCII characters would raise instead).
        return hmac.compare_digest(expected.encode("ascii"), provided.lower().encode("utf-8", "replace"))

    async def receive(
        self, raw: bytes, signature: Optional[str], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        if len(raw) > MAX_BODY_BYTES:
            return response.json({"error": "request body too large"}, status=413)
        if not self.signature_ok(raw, signature):
            log.warning("SMS webhook: refused a request with a %s signature", "wrong" if signature else "missing")
            return response.json({"error": f"missing or invalid {SIGNATURE_HEADER}"}, status=401)
        try:
            inbound = parse_inbound(raw)
        except BadInbound as exc:
            log.warning("SMS webhook: bad request: %s", exc)
            return response.json({"error": "bad request", "detail": str(exc)}, status=400)
        try:
            admission = await asyncio.to_thread(self.conversations.admit, inbound, self.clock())
        except SQLAlchemyError:
            # Not recorded, so the gateway's redelivery will be processed normally.
            log.exception("SMS webhook: store unavailable; asking the gateway to retry")
            return response.json({"error": "temporarily unavailable, please retry"}, status=503)
        log.info("SMS %r from %s: %s", inbound.msg_id, mask_phone(inbound.phone), admission.value)
        if admission in (Admission.ACCEPTED, Admission.RESUMED):
            self._on_new_message = on_new_message
            self._spawn(inbound)
        elif admission in (Admission.OPTED_OUT, Admission.GIVEN_UP):
            self._wake_worker()
        return response.json({"status": admission.value})

    # ------------------------------------------------------------ the conversation turn

    async def _converse(self, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        phone = inbound.phone
        lock = self._locks.setdefault(phone, asyncio.Lock())
        self._lock_users[phone] = self._lock_users.get(phone, 0) + 1
        try:
            # One number's messages are answered in order, each seeing the menu the previous one sent.
            async with lock:
                await self._turn(inbound, on_new_message)
        except Exception:
            log.exception("SMS %r from %s could not be answered", inbound.msg_id, mask_phone(phone))
        finally:
            self._lock_users[phone] -= 1
            if not self._lock_users[phone]:
                del self._lock_users[phone]
                self._locks.pop(phone, None)

    async def _turn(self, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        turn = await asyncio.to_thread(self.conversations.prepare, inbound, self.clock())
        metadata: Dict[str, Any] = {}
        if turn.customer_id is not None:
            metadata[TOKEN_KEY] = issue_token(turn.customer_id, self.settings.identity_secret, TOKEN_TTL, purpose="sms")
        output = SmsOutput(self)
        failed = False
        try:
            await on_new_message(
                UserMessage(
                    text=turn.text,
                    output_channel=output,
                    sender_id=turn.sender_id,
                    input_channel=self.name(),
                    message_id=inbound.msg_id,
                    metadata=metadata,
                )
            )
        except Exception:
            log.exception("SMS %r from %s: the bot failed", inbound.msg_id, mask_phone(inbound.phone))
            failed = True
        # While an agent holds the conversation the bot is meant to be quiet: no "busy" text then.
        quiet = not output.messages and self._guard is not None and await self._guard.paused(turn.sender_id)
        reply = await asyncio.to_thread(self.conversations.queue_reply, inbound, output.messages, self.clock(),
                                        quiet=quiet)
        if reply is Reply.BUSY and not failed:
            # The bot always answers; silence means it is not ready (model loading).
            log.warning("SMS %r from %s: the bot sent no reply", inbound.msg_id, mask_phone(inbound.phone))
        elif reply is Reply.ALREADY_ANSWERED:
            log.info("SMS %r from %s: answered by another run of the same turn", inbound.msg_id,
                     mask_phone(inbound.phone))
        self._wake_worker()

    # ------------------------------------------------------------ proactive, through Rasa's API

    def get_output_channel(self) -> Optional[OutputChannel]:
        """For Rasa's `?output_channel=sms` (reminders, triggered intents): proactive messages."""
        return SmsOutput(self, proactive=True)

    async def send_proactive_message(self, recipient_id: Text, message: Dict[str, Any]) -> None:
        if await asyncio.to_thread(self.conversations.queue_proactive, recipient_id, message, self.clock()):
            self._wake_worker()
        else:
            log.info("SMS: nothing queued for conversation %r (nothing to say, opted out, or not an SMS "
                     "conversation we know)", recipient_id)
