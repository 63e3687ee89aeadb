"""What every action needs to know about the conversation: who is speaking, on which channel."""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional

from rasa_sdk import Tracker

from bot import runtime
from bot.common import identity
from bot.common.settings import get_settings
from bot.services.customers import CustomerView
from bot.services.customers import customer as load_customer


log = logging.getLogger(__name__)


def metadata(tracker: Tracker) -> Dict[str, Any]:
    return (tracker.latest_message or {}).get("metadata") or {}


def _token_customer_id(tracker: Tracker) -> Optional[str]:
    # A token is valid only on the channel it was issued for: an SMS token is no web-chat login.
    purpose = "sms" if channel(tracker) == "sms" else "web"
    return identity.customer_id_from_metadata(metadata(tracker), get_settings().identity_secret, purpose=purpose)


def customer(tracker: Tracker) -> Optional[CustomerView]:
    """The identified customer, verified and loaded once per message (an action may ask several times).

    A bare `customer_id` in metadata is never trusted; the SMS channel puts a token it issued itself
    for a sender whose phone is on file. A valid token for a customer the store does not know is
    treated as anonymous.
    """
    key = (tracker.sender_id, (tracker.latest_message or {}).get("message_id"), _token_customer_id(tracker))
    if key not in _customers:
        if len(_customers) >= _CUSTOMER_CACHE:
            _customers.pop(next(iter(_customers)))
        found = load_customer(runtime.store(), key[2])
        if key[2] and found is None:
            log.warning("a valid customer token names a customer the store does not have; treated as anonymous")
        _customers[key] = found
    return _customers[key]


def customer_id(tracker: Tracker) -> Optional[str]:
    """The verified id of a customer the store knows; None means anonymous."""
    found = customer(tracker)
    return found.id if found else None


_CUSTOMER_CACHE = 256
_customers: Dict[tuple, Optional[CustomerView]] = {}


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
