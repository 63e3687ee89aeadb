"""Rasa's socket.io channel with server-issued sessions that actually deliver the replies.

With `session_persistence: true` Rasa sends every reply to the room named after the conversation's
`session_id`, and the `session_request` handler is meant to put the socket into that room. Rasa 3.6
calls `sio.enter_room(...)` without `await`; on python-socketio 5's `AsyncServer` that is a coroutine,
so the socket never joins the room and every reply is dropped: this subclass awaits it.

It also makes the session id no credential a client can choose: the server issues it (random, with
an HMAC under the identity secret, so a reloaded page keeps its conversation), refuses any id it did
not issue, and takes a message's conversation from the socket's own confirmed session, never from
the message — one socket cannot join or speak in another session.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from bot.common.chat_sessions import issue_session_id, issued_here
from bot.channels.silent_turns import SilentTurnGuard
from bot.common.settings import get_settings

logger = logging.getLogger(__name__)

__all__ = ["PersistentSocketIOInput", "issue_session_id", "issued_here"]


class PersistentSocketIOInput(SocketIOInput):
    """`socketio` channel with server-issued, socket-bound sessions (and `enter_room` awaited)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sessions: Dict[Text, Text] = {}  # socket id → its confirmed session id

    @classmethod
    def name(cls) -> Text:
        # Same name as Rasa's channel: trackers, `input_channel` and the REST API see "socketio".
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        guard = SilentTurnGuard()  # a turn that says nothing (action server down) gets an honest answer
        on_new_message = guard.wrap(on_new_message)
        socketio_webhook = guard.watch(super().blueprint(on_new_message))
        sio = self.sio
        assert sio is not None  # set by the parent's blueprint()

        secret = get_settings().identity_secret

        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            # A session the server issued (a reloaded page) is kept; anything else gets a new one.
            session_id = requested if issued_here(requested, secret) else issue_session_id(secret)
            previous = self._sessions.get(sid)
            if previous and previous != session_id and self.session_persistence:
                await sio.leave_room(sid, previous, namespace=self.namespace)
            self._sessions[sid] = session_id
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)

        async def handle_message(sid: Text, data: Dict) -> None:
            session_id = self._sessions.get(sid)
            if session_id is None:
                logger.warning("socket.io: a message before session_request was ignored")
                return
            if not isinstance(data, dict):
                return
            metadata = data.get(self.metadata_key, {})
            if isinstance(metadata, Text):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            message = UserMessage(
                data.get("message", ""),
                SocketIOOutput(sio, self.bot_message_evt),
                session_id,  # the socket's own session, whatever the message claims
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else {},
            )
            await on_new_message(message)

        async def disconnect(sid: Text) -> None:
            self._sessions.pop(sid, None)

        # Registering an event again replaces the parent's handler.
        sio.on("session_request", handler=session_request, namespace=self.namespace)
        sio.on(self.user_message_evt, handler=handle_message, namespace=self.namespace)
        sio.on("disconnect", handler=disconnect, namespace=self.namespace)
        return socketio_webhook
