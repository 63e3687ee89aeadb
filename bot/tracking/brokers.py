"""Rasa's SQL event broker for the embedded profile, writing a turn's events in one transaction.

Rasa's own `SQLEventBroker` commits once per event on the server's event loop; a turn streams
five to ten events, so that is five to ten SQLite commits blocking every conversation. This one
takes the whole batch in one commit, off the event loop (bot.tracking.stores calls
`publish_many` in a thread), with SQLite in WAL mode so that the panel's reader never blocks it.

Readers take rows by increasing id (bot.services.event_feed). SQLite serialises writers, so ids
commit in order and no reader can pass over a row still being written; use RabbitMQ (Rasa's `pika`
broker) when the broker must be shared by several servers.

endpoints.yml: `event_broker: {type: bot.tracking.brokers.BatchingSQLEventBroker, db: var/events.db}`.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Text

from rasa.core.brokers.sql import SQLEventBroker
from sqlalchemy import event


class BatchingSQLEventBroker(SQLEventBroker):
    def __init__(self, dialect: Text = "sqlite", host: Optional[Text] = None, port: Optional[int] = None,
                 db: Text = "events.db", username: Optional[Text] = None, password: Optional[Text] = None) -> None:
        if dialect == "sqlite" and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        super().__init__(dialect, host, port, db, username, password)
        if dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            self.engine.dispose()  # connections opened before the listener must not be reused

    def publish_many(self, events: Iterable[Dict[Text, Any]]) -> None:
        with self.session_scope() as session:
            session.add_all([self.SQLBrokerEvent(sender_id=e.get("sender_id"), data=json.dumps(e)) for e in events])
            session.commit()


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
