"""Rasa's REST channel, for trusted integrations only.

Outside demo mode every call must carry `X-Rest-Token` (env `REST_TOKEN`, at least 32 bytes); with
no token configured the channel answers nobody. In any mode the body is a JSON object whose
`sender` is 1 to `MAX_SENDER_LENGTH` printable characters (the stores' conversation columns hold it
whole) and not an SMS conversation (`sms:…` is the SMS channel's), whose `message` is a string of at
most `MAX_MESSAGE_LENGTH` characters and whose `metadata`, if any, is an object; anything else is a
4xx before Rasa sees it (Rasa's own handler answers 500 to a body that is not an object). Control
characters and lone surrogates are removed from the message (`storable_text`), and `input_channel`
in the body is ignored: a REST call is a REST message, whatever it claims. A turn in which the bot
says nothing (the action server down) is answered honestly (bot/channels/silent_turns.py).
"""
from __future__ import annotations

import hmac
import logging
from typing import Any, Awaitable, Callable, Optional, Text, Tuple

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from bot.channels.silent_turns import SilentTurnGuard
from bot.common.sanitize import storable_text
from bot.common.settings import MIN_SECRET_BYTES, get_settings
from bot.services.sms import SENDER_PREFIX as SMS_SENDER_PREFIX

TOKEN_HEADER = "X-Rest-Token"
# Within every conversation_id column (128) with room to spare; an integration's ids are short.
MAX_SENDER_LENGTH = 64
RESERVED_SENDER_PREFIXES = (SMS_SENDER_PREFIX,)
# As the SMS channel and the agent desk: longer is a paste, not a question (the NLU reads 500).
MAX_MESSAGE_LENGTH = 1000
log = logging.getLogger(__name__)


def refusal(body: Any) -> Optional[Tuple[int, str]]:
    """Why a webhook body is refused (status, reason), or None when Rasa may have it."""
    if not isinstance(body, dict):
        return 400, "the body must be a JSON object with sender and message"
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.isprintable() or not 0 < len(sender) <= MAX_SENDER_LENGTH:
        return 400, f"sender must be 1 to {MAX_SENDER_LENGTH} printable characters"
    if sender.startswith(RESERVED_SENDER_PREFIXES):
        return 403, "this conversation belongs to another channel"
    message = body.get("message")
    if not isinstance(message, str):
        return 400, "message must be a string"
    if len(message) > MAX_MESSAGE_LENGTH:
        return 413, f"message is longer than {MAX_MESSAGE_LENGTH} characters"
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return 400, "metadata must be a JSON object"
    return None


class TrustedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()

    def _extract_message(self, req: Request) -> Optional[Text]:
        return storable_text(req.json["message"])  # a str: `refusal` let the request through

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guard = SilentTurnGuard()  # a turn that says nothing (action server down) gets an honest answer
        webhook = guard.watch(super().blueprint(guard.wrap(on_new_message)))

        @webhook.middleware("request")
        async def trusted_only(request: Request) -> Optional[Any]:
            if not request.path.rstrip("/").endswith("/webhook"):
                return None
            settings = get_settings()
            if not settings.demo_mode:
                token = settings.rest_token
                given = request.headers.get(TOKEN_HEADER, "")
                if len(token.encode("utf-8")) < MIN_SECRET_BYTES or not hmac.compare_digest(
                        given.encode("utf-8"), token.encode("utf-8")):
                    return response.json({"error": f"missing or invalid {TOKEN_HEADER}"}, status=401)
            try:
                body = request.json
            except InvalidUsage:
                return response.json({"error": "the body is not valid JSON"}, status=400)
            refused = refusal(body)
            if refused is not None:
                status, reason = refused
                if status == 403:
                    log.warning("REST: refused a message for a reserved conversation")
                return response.json({"error": reason}, status=status)
            return None

        return webhook
