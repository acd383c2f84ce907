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


def test_retention_command_uses_the_endpoints_configuration(tmp_path, monkeypatch, capsys):
    """`python -m bot retention --days N` finds the store through endpoints.yml and the TRACKER_* variables."""
    from bot.cli import main

    store = store_at(tmp_path)
    now = time.time()
    save(store, "old", [UserUttered("hoi", {"name": "greet", "confidence": 1.0}, timestamp=now - 100 * 86400)])
    save(store, "recent", [UserUttered("hoi", {"name": "greet", "confidence": 1.0}, timestamp=now - 2 * 86400)])
    store.engine.dispose()
    for name in ("TRACKER_HOST", "TRACKER_PORT", "TRACKER_USER", "TRACKER_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACKER_DIALECT", "sqlite")
    monkeypatch.setenv("TRACKER_DB", str(tmp_path / "tracker.db"))

    assert main(["retention", "--days", "30"]) == 0
    assert "1 gesprek" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "tracker.db") as conn:
        assert {r[0] for r in conn.execute("select sender_id from events")} == {"recent"}
    assert "TRACKER_PORT" not in __import__("os").environ  # the defaults do not leak into the process


def test_store_defaults_fill_every_variable_endpoints_yml_uses(tmp_path):
    """Rasa stops on an unset ${VAR}: every variable in endpoints.yml gets a default, SQLite by default."""
    import re
    from pathlib import Path

    from bot.serve import endpoints_env

    lines = [line.split("#")[0] for line in Path("endpoints.yml").read_text().splitlines()]
    used = set(re.findall(r"\$\{(\w+)\}", "\n".join(lines)))
    assert {"TRACKER_DIALECT", "LOCK_STORE_TYPE", "ACTION_SERVER_URL"} <= used
    env = endpoints_env({"TRACKER_DB": str(tmp_path / "sub" / "t.sqlite3")})
    assert used <= set(env)
    assert env["TRACKER_DIALECT"] == "sqlite" and env["LOCK_STORE_TYPE"] == "in_memory"
    assert (tmp_path / "sub").is_dir()
    assert endpoints_env({"TRACKER_DIALECT": "postgresql"})["TRACKER_DB"] == "rasa"


def test_empty_settings_from_the_environment_mean_not_set(tmp_path):
    store = MaskingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", host="", port="", username="", password="",
                                   db=str(tmp_path / "t.db"))
    assert store.engine.url.port is None and store.engine.url.host is None


def test_ids_are_never_mistaken_for_personal_data(tmp_path):
    """A hex message id with nine digits that pass the elfproef (111222333) stays as it is; the text is masked."""
    store = store_at(tmp_path)
    message_id = "ab111222333cd0123456789abcdef0123"
    save(store, "citizen", [UserUttered("mijn bsn is 111222333", {"name": "government_help", "confidence": 1.0},
                                        message_id=message_id)])
    (row,) = rows(tmp_path)
    assert row["message_id"] == message_id and row["text"] == "mijn bsn is [BSN]"
