"""Rasa's socket.io channel with `session_persistence` that actually delivers the replies.

With `session_persistence: true` Rasa sends every reply to the room named after the conversation's
`session_id`, and the `session_request` handler is meant to put the socket into that room. Rasa 3.6
calls `sio.enter_room(...)` without `await`; on python-socketio 5's `AsyncServer` that is a coroutine,
so the socket never joins the room and every reply is dropped. This subclass re-registers that one
handler with the call awaited; everything else is Rasa's own channel.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

logger = logging.getLogger(__name__)
MAX_SESSION_ID_LENGTH = 128


class PersistentSocketIOInput(SocketIOInput):
    """`socketio` channel whose `session_request` awaits `enter_room` (Rasa 3.6 + python-socketio 5)."""

    @classmethod
    def name(cls) -> Text:
        # Same name as Rasa's channel: trackers, `input_channel` and the REST API see "socketio".
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None  # set by the parent's blueprint()

        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            if not isinstance(data, dict):
                data = {}
            session_id = data.get("session_id")
            # The session id names the conversation (the tracker's sender id): a fresh one when absent
            # or not a plain short string.
            if not isinstance(session_id, str) or not 0 < len(session_id) <= MAX_SESSION_ID_LENGTH:
                data["session_id"] = uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, data["session_id"], namespace=self.namespace)
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=self.namespace)
            logger.debug(f"User {sid} joined session {data['session_id']}.")

        # Registering an event again replaces the parent's handler.
        sio.on("session_request", handler=session_request, namespace=self.namespace)
        return socketio_webhook
