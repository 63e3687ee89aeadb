"""Rasa's REST channel, for trusted integrations only.

Outside demo mode every call must carry `X-Rest-Token` (env `REST_TOKEN`, at least 32 bytes); with
no token configured the channel answers nobody. In any mode the conversation may not be an SMS one
(`sms:…` is the SMS channel's) and its id is at most `MAX_SENDER_LENGTH` printable characters (the
stores' conversation columns hold it whole), and `input_channel` in the body is ignored: a REST call
is a REST message, whatever it claims.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any, Awaitable, Callable, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

from bot.common.settings import MIN_SECRET_BYTES, get_settings
from bot.services.sms import SENDER_PREFIX as SMS_SENDER_PREFIX

TOKEN_HEADER = "X-Rest-Token"
# Within every conversation_id column (128) with room to spare; an integration's ids are short.
MAX_SENDER_LENGTH = 64
RESERVED_SENDER_PREFIXES = (SMS_SENDER_PREFIX,)
log = logging.getLogger(__name__)


class TrustedRestInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "rest"

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)

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
            body = request.json if isinstance(request.json, dict) else {}
            sender = body.get("sender")
            if sender is not None and (not isinstance(sender, str) or not sender.isprintable()
                                       or not 0 < len(sender) <= MAX_SENDER_LENGTH):
                return response.json({"error": f"sender must be 1 to {MAX_SENDER_LENGTH} printable characters"},
                                     status=400)
            if str(sender or "").startswith(RESERVED_SENDER_PREFIXES):
                log.warning("REST: refused a message for a reserved conversation")
                return response.json({"error": "this conversation belongs to another channel"}, status=403)
            return None

        return webhook
