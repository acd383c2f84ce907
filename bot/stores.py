"""Conversation storage: Rasa's SQL tracker store, with personal data masked before anything is written.

Configured in endpoints.yml (`type: bot.stores.MaskingSQLTrackerStore`): SQLite by default, PostgreSQL
by configuration. Every string in every event (the user's text, entities, slot values, the bot's
replies that echo the user) passes through `bot.privacy.mask` on its way to the database, and on its
way to an event broker (when one is configured). The Rasa server already masks every message at the
door (bot/rasa_server.py); this is the second line. The `events.sender_id` column is indexed by Rasa's
own table definition.
"""
from __future__ import annotations

import time
from typing import Any, Iterator, List

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event

from bot.privacy import mask

#: Keys whose values are names of things, never text a person typed.
#: Ids too: a random hex message id can hold nine digits that pass the elfproef (seen in the scale-out test).
KEEP = {"event", "name", "intent_ranking", "timestamp", "policy", "confidence", "action_name", "input_channel", "model_id",
        "message_id", "assistant_id"}


def masked(value: Any, key: str = "") -> Any:
    if key in KEEP:
        return value
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, key) for v in value]
    return value


class MaskingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, host: Any = None, port: Any = None, username: Any = None, password: Any = None,
                 **kwargs: Any) -> None:
        # endpoints.yml fills these from environment variables, which can only be strings: an empty one means "not set"
        # (SQLite has no host, port or user).
        super().__init__(*args, host=host or None, port=port or None, username=username or None,
                         password=password or None, **kwargs)

    def _additional_events(self, session, tracker) -> Iterator[Event]:
        for event in super()._additional_events(session, tracker):
            yield Event.from_parameters(masked(event.as_dict()))

    async def _stream_new_events(self, event_broker: Any, new_events: List[Event], sender_id: str) -> None:
        # Rasa's save() streams the new events before it stores them: the broker gets them masked too.
        await super()._stream_new_events(event_broker, [Event.from_parameters(masked(e.as_dict())) for e in new_events],
                                         sender_id)


def delete_older_than(store: SQLTrackerStore, days: float, now: float = None) -> int:
    """Retention: delete every conversation whose last event is older than `days`. Returns conversations deleted."""
    from sqlalchemy import func

    cutoff = (now if now is not None else time.time()) - days * 86400
    event = store.SQLEvent
    with store.session_scope() as session:
        stale = (session.query(event.sender_id).group_by(event.sender_id)
                 .having(func.max(event.timestamp) < cutoff).all())
        senders = [row[0] for row in stale]
        for start in range(0, len(senders), 500):
            session.query(event).filter(event.sender_id.in_(senders[start:start + 500])).delete(synchronize_session=False)
        session.commit()
    return len(senders)
