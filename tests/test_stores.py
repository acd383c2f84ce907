"""The tracker store: personal data never reaches the database; retention deletes old conversations."""
from __future__ import annotations

import asyncio
import json
import sqlite3
import time

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.stores import MaskingSQLTrackerStore, delete_older_than

DOMAIN = Domain.from_path("domain.yml")


def store_at(tmp_path):
    return MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))


def save(store, sender, events):
    tracker = DialogueStateTracker.from_events(sender, events, slots=DOMAIN.slots)
    asyncio.run(store.save(tracker))


def rows(tmp_path):
    with sqlite3.connect(tmp_path / "tracker.db") as conn:
        return [json.loads(r[0]) for r in conn.execute("select data from events")]


@pytest.mark.parametrize("typed, secret, placeholder", [
    ("mijn bsn is 111222333 en mijn digid doet het niet", "111222333", "[BSN]"),
    ("bel me op 06-12345678", "12345678", "[TELEFOON]"),
    ("mijn rekening NL91ABNA0417164300", "NL91ABNA0417164300", "[IBAN]"),
    ("mail naar jan.jansen@example.nl", "jan.jansen@example.nl", "[E-MAIL]"),
    ("ik woon op 1234 AB 12 in Drachten", "1234 AB 12", "[ADRES]"),
])
def test_personal_data_is_masked_before_it_is_stored(tmp_path, typed, secret, placeholder):
    store = store_at(tmp_path)
    parse = {"text": typed, "intent": {"name": "government_help", "confidence": 0.9},
             "entities": [{"entity": "place", "value": typed, "start": 0, "end": len(typed)}]}
    save(store, "citizen", [
        ActionExecuted("action_listen"),
        UserUttered(typed, parse["intent"], parse["entities"], parse_data=parse),
        SlotSet("place", typed),
        BotUttered(f"De plaats '{typed}' ken ik niet."),
    ])
    stored = json.dumps(rows(tmp_path))
    assert secret not in stored
    assert placeholder in stored
    assert "government_help" in stored  # the rest of the event is kept


def test_invalid_bsn_is_not_mistaken_for_one(tmp_path):
    store = store_at(tmp_path)
    save(store, "citizen", [UserUttered("mijn klantnummer is 123456789", {"name": "library_service", "confidence": 1.0})])
    assert "123456789" in json.dumps(rows(tmp_path))


def test_retention_deletes_only_old_conversations(tmp_path):
    store = store_at(tmp_path)
    now = time.time()
    old = UserUttered("hoi", {"name": "greet", "confidence": 1.0}, timestamp=now - 40 * 86400)
    new = UserUttered("hoi", {"name": "greet", "confidence": 1.0}, timestamp=now - 1 * 86400)
    save(store, "old", [old])
    save(store, "recent", [new])
    assert delete_older_than(store, days=30, now=now) == 1
    with sqlite3.connect(tmp_path / "tracker.db") as conn:
        senders = {r[0] for r in conn.execute("select sender_id from events")}
    assert senders == {"recent"}
