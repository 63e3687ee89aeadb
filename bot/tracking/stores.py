"""Tracker stores that keep no personal data: what Rasa stores and streams is scrubbed first.

During a turn the tracker in memory is whole (the NLU and the actions read the customer's words as
said). What leaves the turn — the stored events (`save`), and the events streamed to the event
broker that feeds the agent panel — has every identifier masked (bot.common.privacy) and the
customer token removed: a token is a credential, and the next message brings its own. The complaint
form's call-back number travels sealed (bot.common.sealing) and stays sealed.

Used through the endpoints files: `type: bot.tracking.stores.ScrubbingInMemoryTrackerStore` (the
embedded profile) or `bot.tracking.stores.ScrubbingSQLTrackerStore` (production, PostgreSQL).
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Text

from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.common.identity import TOKEN_KEY
from bot.common.privacy import mask_tree

# Keys of Rasa's event dictionaries whose values are names, ids, numbers and times, never free text.
STRUCTURE_KEYS = frozenset({
    "event", "name", "timestamp", "policy", "confidence", "action_name", "input_channel", "message_id",
    "intent", "intent_ranking", "entity", "extractor", "start", "end", "processors", "rule_only",
    "predicted_action", "prediction_id",
})


def scrub_event(event: Dict[str, Any]) -> Dict[str, Any]:
    """A stored or streamed form of one event dictionary: identifiers masked, tokens dropped."""
    return mask_tree(event, drop={TOKEN_KEY}, keep=STRUCTURE_KEYS)


def scrubbed_dialogue(tracker: DialogueStateTracker) -> Text:
    """The tracker serialised as Rasa's text representation, scrubbed."""
    dialogue = tracker.as_dialogue().as_dict()
    dialogue["events"] = [scrub_event(event) for event in dialogue.get("events", [])]
    return json.dumps(dialogue)


class _ScrubbedStreaming:
    async def _stream_new_events(self, event_broker: Any, new_events: List[Event], sender_id: Text) -> None:
        for event in new_events:
            body: Dict[str, Any] = {"sender_id": sender_id}
            body.update(scrub_event(event.as_dict()))
            event_broker.publish(body)


class ScrubbingInMemoryTrackerStore(_ScrubbedStreaming, InMemoryTrackerStore):
    """Rasa's in-memory store (one process, the embedded profile), keeping scrubbed events."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        self.store[tracker.sender_id] = scrubbed_dialogue(tracker)


class ScrubbingSQLTrackerStore(_ScrubbedStreaming, SQLTrackerStore):
    """Rasa's SQL store (PostgreSQL, shared by several Rasa servers), keeping scrubbed events."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
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

