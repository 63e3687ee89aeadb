"""Web-chat session ids: issued and signed by the server, so a client cannot pick one.

The socket.io channel hands them out and refuses any other; the web app checks the same signature
before it accepts something said in a session's name (the CSAT rating).
"""
from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

MAX_SESSION_ID_LENGTH = 128


def _signature(value: str, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), f"socket-session:{value}".encode("utf-8"), hashlib.sha256).hexdigest()[:24]


def issue_session_id(secret: str) -> str:
    value = uuid.uuid4().hex
    return f"{value}.{_signature(value, secret)}"


def issued_here(session_id: Any, secret: str) -> bool:
    if not isinstance(session_id, str) or len(session_id) > MAX_SESSION_ID_LENGTH or "." not in session_id:
        return False
    value, _, signature = session_id.partition(".")
    return bool(value) and hmac.compare_digest(signature, _signature(value, secret))
