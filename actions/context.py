"""What every action needs to know about the conversation: who is speaking, on which channel."""
from __future__ import annotations

from typing import Any, Dict, Optional

from rasa_sdk import Tracker

from bot import identity, runtime
from bot.settings import get_settings
from bot.store.customers import get_customer
from bot.store.models import Customer


def metadata(tracker: Tracker) -> Dict[str, Any]:
    return (tracker.latest_message or {}).get("metadata") or {}


def customer_id(tracker: Tracker) -> Optional[str]:
    """The verified customer id from the token sent with this message; None means anonymous.

    A bare `customer_id` in metadata is never trusted; the SMS channel puts a token it issued itself
    for a sender whose phone is on file.
    """
    return identity.customer_id_from_metadata(metadata(tracker), get_settings().identity_secret)


def customer(tracker: Tracker) -> Optional[Customer]:
    cid = customer_id(tracker)
    if cid is None:
        return None
    with runtime.store().session() as session:
        found = get_customer(session, cid)
        if found is not None:
            session.expunge(found)
        return found


def channel(tracker: Tracker) -> str:
    return tracker.get_latest_input_channel() or "rest"


def text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def intent(tracker: Tracker) -> str:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name") or ""


def intent_confidence(tracker: Tracker) -> float:
    return float(((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0.0)


def entity_values(tracker: Tracker, entity: str) -> list:
    return list(tracker.get_latest_entity_values(entity))


def say(dispatcher, key: str, **values: Any) -> None:
    """Utters the kb reply template `key` (kb/replies.yml) with its placeholders filled."""
    dispatcher.utter_message(text=runtime.kb().replies.render(key, **values))
