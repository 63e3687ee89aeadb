"""Tracker stores that keep no personal data: what Rasa stores and streams is scrubbed first.

During a turn the tracker in memory is whole (the NLU and the actions read the customer's words as
said). What leaves the turn — the stored events (`save`), and the events streamed to the event
broker that feeds the agent panel — has every identifier masked (bot.common.privacy) and the
customer token removed: a token is a credential, and the next message brings its own. The complaint
form's call-back number travels sealed (bot.common.sealing) and stays sealed.

Each event is scrubbed once, when it is first saved, and a save never reads the conversation back:
the in-memory store remembers where each stored event's text sits and gives the events it reads
back their stored form, so a save scrubs, serialises and streams only the turn's new events; the
SQL store stores and streams the events its table does not have yet. A turn costs the same however
long the conversation has grown.

Used through the endpoints files: `type: bot.tracking.stores.ScrubbingInMemoryTrackerStore` (the
embedded profile) or `bot.tracking.stores.ScrubbingSQLTrackerStore` (production, PostgreSQL).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple, Union

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.common.identity import TOKEN_KEY, customer_id_from_metadata
from bot.common.settings import get_settings
from bot.common.privacy import mask_tree
from bot.tracking import action_validation
from bot.tracking.bench_probe import install_if_enabled

# Every Rasa server loads this module (the endpoints files name its stores): the place to fix Rasa's
# own per-action schema check (bot.tracking.action_validation).
action_validation.install()

# Keys of Rasa's event dictionaries whose values are names, ids, numbers and times, never free text.
STRUCTURE_KEYS = frozenset({
    "event", "name", "timestamp", "policy", "confidence", "action_name", "input_channel", "message_id",
    "intent", "intent_ranking", "entity", "extractor", "start", "end", "processors", "rule_only",
    "predicted_action", "prediction_id",
})

# Set on an event read back from the in-memory store: (stored text, start, end) of its scrubbed form.
# Only that store sets it, from what it stored, so an event carrying it is scrubbed already.
_STORED_FORM = "_bot_stored_form"
Span = Tuple[int, int]


def scrub_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """A stored or streamed form of one event dictionary: identifiers masked, tokens dropped."""
    return mask_tree(event, drop={TOKEN_KEY}, keep=STRUCTURE_KEYS)


def _stored_form(event: Event) -> Text:
    kept = event.__dict__.get(_STORED_FORM)
    if kept is not None:
        text, start, end = kept
        return text[start:end]
    return json.dumps(scrub_event(event.as_dict()))


def _dialogue_text(sender_id: Text, events: Sequence[Text]) -> Tuple[Text, List[Span]]:
    """Rasa's serialised dialogue (`Dialogue.as_dict()` as JSON) from its events' JSON, and where each sits."""
    head, separator = '{"events": [', ", "
    spans: List[Span] = []
    at = len(head)
    for text in events:
        spans.append((at, at + len(text)))
        at += len(text) + len(separator)
    return f'{head}{separator.join(events)}], "name": {json.dumps(sender_id)}}}', spans


def _verified_customer(event: Dict[str, Any]) -> Optional[str]:
    """The customer id in a user event's token, verified as the actions verify it; the panel's inbox
    shows whose conversation it is without ever seeing the token."""
    if event.get("event") != "user":
        return None
    purpose = "sms" if event.get("input_channel") == "sms" else "web"
    return customer_id_from_metadata(event.get("metadata"), get_settings().identity_secret, purpose=purpose)


def streamed_event(event: Dict[str, Any], sender_id: Text) -> Dict[str, Any]:
    body: Dict[str, Any] = {"sender_id": sender_id}
    body.update(scrub_event(event))
    customer = _verified_customer(event)
    if customer is not None:
        body["customer_id"] = customer
    return body


class _ScrubbedStreaming:
    async def _stream_new_events(self, event_broker: Any, new_events: List[Event], sender_id: Text) -> None:
        bodies = [streamed_event(event.as_dict(), sender_id) for event in new_events]
        if hasattr(event_broker, "publish_many"):
            # One write per turn, off the event loop (bot.tracking.brokers).
            await asyncio.to_thread(event_broker.publish_many, bodies)
            return
        for body in bodies:
            event_broker.publish(body)


class ScrubbingInMemoryTrackerStore(_ScrubbedStreaming, InMemoryTrackerStore):
    """Rasa's in-memory store (one process, the embedded profile), keeping scrubbed events."""

    def __init__(self, domain: Any, event_broker: Optional[Any] = None, **kwargs: Any) -> None:
        super().__init__(domain, event_broker, **kwargs)
        self._spans: Dict[Text, List[Span]] = {}
        install_if_enabled(self)

    async def save(self, tracker: DialogueStateTracker) -> None:
        events = list(tracker.events)
        if self.event_broker is not None:
            # New are the events not read back from here (those carry their stored form); a tracker
            # built elsewhere for a stored conversation is compared with it, as Rasa does.
            new_events = [event for event in events if _STORED_FORM not in event.__dict__]
            if len(new_events) == len(events) and tracker.sender_id in self.store:
                await self.stream_events(tracker)
            else:
                await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
        text, spans = _dialogue_text(tracker.sender_id, [_stored_form(event) for event in events])
        self.store[tracker.sender_id] = text
        self._spans[tracker.sender_id] = spans

    def deserialise_tracker(self, sender_id: Text, serialised_tracker: Union[Text, bytes]
                            ) -> Optional[DialogueStateTracker]:
        tracker = super().deserialise_tracker(sender_id, serialised_tracker)
        spans = self._spans.get(sender_id)
        # Only from the text this store wrote last, whole: then the tracker's events are its events.
        if (tracker is not None and spans is not None and self.store.get(sender_id) is serialised_tracker
                and len(spans) == len(tracker.events)):
            for event, (start, end) in zip(tracker.events, spans):
                event.__dict__[_STORED_FORM] = (serialised_tracker, start, end)
        return tracker


class ScrubbingSQLTrackerStore(_ScrubbedStreaming, SQLTrackerStore):
    """Rasa's SQL store (PostgreSQL, shared by several Rasa servers), keeping scrubbed events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        install_if_enabled(self)

    async def save(self, tracker: DialogueStateTracker) -> None:
        # The events the table does not have yet are the new ones: stored, then streamed, without
        # reading the conversation back first as Rasa's `stream_events` would.
        with self.session_scope() as session:
            new_events = list(self._additional_events(session, tracker))
            for event in new_events:
                data = scrub_event(event.as_dict())
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                ))
            session.commit()
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)

