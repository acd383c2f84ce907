"""Personal data through HTTP, against real servers on loopback: masked at the door, the warning first, whatever the intent.

One Rasa server and one action server for the whole module (a start costs about a minute). Conversations go to
the masking SQL tracker store in a temporary SQLite file; the logs of both servers and the feedback store
(unanswered questions) are in the same temporary folder, so every place a typed value could end up is read here.
One message per intent of domain.yml, each with one kind of personal data: a greeting with a phone number, thanks
with an IBAN, an IDO question with a BSN, a question about a programme with an e-mail address, and so on.
Needs the trained model (`make train`); it is copied first, so a retrain elsewhere cannot disturb it.
"""
from __future__ import annotations

import asyncio
import json
import shutil
import socket
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from actions.answers import personal_data_warning
from bot.privacy import mask
from bot.serve import DEFAULT_MODEL, ROOT, Servers, Settings, ask
from tests.ports import free_port

WARNING = personal_data_warning().text
APOLOGY_ACTION_DOWN = "niet opzoeken"  # utter_action_failed (domain.yml), said by the Rasa server itself

BSN, PHONE, EMAIL, IBAN, ADDRESS = "111222333", "06-12345678", "jan.jansen@example.nl", "NL91ABNA0417164300", "1234 AB 12"
#: What must never be stored or logged, per kind: the value as typed and the forms it could be normalised to.
RAW = {"BSN": [BSN], "TELEFOON": [PHONE, "0612345678", "+31612345678"], "E-MAIL": [EMAIL, "jan.jansen@"],
       "IBAN": [IBAN, "0417164300"], "ADRES": [ADDRESS, "1234AB"]}

#: One message per intent of the domain: (the message, the one kind of personal data in it).
CASES = {
    "ask_what_is": (f"wat is boekstart? mijn bsn is {BSN}", "BSN"),
    "ask_audience": (f"voor wie is Digisterker bedoeld? mijn mailadres is {EMAIL}", "E-MAIL"),
    "ask_cost": (f"wat kost Klik & Tik? bel me op {PHONE}", "TELEFOON"),
    "ask_how_to_join": (f"hoe kan ik meedoen met het Taalcafé? ik woon op {ADDRESS}", "ADRES"),
    "list_programmes": (f"welke programma's heeft de bibliotheek? mijn rekening is {IBAN}", "IBAN"),
    "ask_scheme_amount": (f"hoeveel geld is er voor het Jeugdpakket? mijn bsn is {BSN}", "BSN"),
    "ask_scheme_dates": (f"wanneer begint het Jeugdpakket? mail me op {EMAIL}", "E-MAIL"),
    "list_schemes": (f"welke regelingen zijn er? bel me op {PHONE}", "TELEFOON"),
    "ask_figure": (f"hoeveel e-books zijn er? mijn rekening is {IBAN}", "IBAN"),
    "ask_example": (f"geef een voorbeeld uit de praktijk, ik woon op {ADDRESS}", "ADRES"),
    "ask_covenant": (f"wat staat er in het convenant? mijn bsn is {BSN}", "BSN"),
    "find_ido": (f"ik zoek een IDO, mijn bsn is {BSN}", "BSN"),
    "ido_opening_hours": (f"wat zijn de openingstijden van het IDO, {PHONE}", "TELEFOON"),
    "ido_membership": (f"moet ik lid zijn van de bibliotheek voor het IDO? mail me op {EMAIL}", "E-MAIL"),
    "government_help": (f"mijn bsn is {BSN} en mijn digid werkt niet", "BSN"),
    "library_service": (f"kan ik mijn boeken verlengen? ik woon op {ADDRESS}", "ADRES"),
    # Smalltalk stays short: a longer message is no smalltalk for the NLU (bot/nlu_guard.py).
    "greet": (f"hallo, {PHONE}", "TELEFOON"),
    "goodbye": (f"doei {BSN}", "BSN"),
    "thank": (f"bedankt, {IBAN}", "IBAN"),
    "affirm": (f"ja {BSN}", "BSN"),
    "deny": (f"nee hoor, {PHONE}", "TELEFOON"),
    "bot_capabilities": (f"wat kun je? {ADDRESS}", "ADRES"),
    "bot_challenge": (f"ben jij een robot? {BSN}", "BSN"),
    "ask_human": (f"ik wil een mens spreken, bel me op {PHONE}", "TELEFOON"),
    "out_of_scope": (f"mijn bsn is {BSN}, hoe maak ik pannenkoeken?", "BSN"),
    # The message of the issue: with the BSN masked, the NLU is not sure what it means.
    "nlu_fallback": (f"mijn bsn is {BSN}, kunt u mij helpen?", "BSN"),
}


def texts(messages) -> list:
    return [m.get("text", "") for m in messages]


class Bot:
    def __init__(self, servers: Servers, folder: Path):
        self.servers, self.folder = servers, folder
        self.settings = servers.settings
        self.tracker = folder / "tracker.sqlite3"
        self.feedback = folder / "feedback.sqlite3"
        self.logs = folder / "logs"

    def ask(self, sender: str, text: str):
        return ask(self.settings, sender, text, timeout=60)

    def rows(self, sender: str):
        """(type, intent, data) of every stored event of this conversation."""
        with sqlite3.connect(self.tracker) as conn:
            return conn.execute("select type_name, intent_name, data from events where sender_id = ? order by id",
                                (sender,)).fetchall()

    def stored_users(self, sender: str):
        return [(intent, json.loads(data)) for kind, intent, data in self.rows(sender) if kind == "user"]

    def everything_written(self) -> str:
        """Every file the servers wrote: the tracker store, the feedback store, the logs (and SQLite's side files)."""
        written = [p for p in self.folder.rglob("*") if p.is_file() and p.suffix != ".gz"]
        assert self.tracker in written and any(p.suffix == ".log" for p in written)
        return "\n".join(p.read_bytes().decode("utf-8", errors="replace") for p in written)


@pytest.fixture(scope="module")
def bot(kb_path, tmp_path_factory):
    if not DEFAULT_MODEL.exists():
        pytest.fail("no trained model: run `make train` first (`make test` does)")
    folder = tmp_path_factory.mktemp("privacy")
    model = folder / "bieb.tar.gz"
    shutil.copy(DEFAULT_MODEL, model)
    env = {"DATABASE_URL": f"sqlite:///{kb_path}", "TRACKER_DIALECT": "sqlite", "TRACKER_DB": str(folder / "tracker.sqlite3"),
           "TRACKER_HOST": "", "TRACKER_PORT": "", "TRACKER_USER": "", "TRACKER_PASSWORD": "", "LOCK_STORE_TYPE": "in_memory",
           "FEEDBACK_DATABASE_URL": f"sqlite:///{folder / 'feedback.sqlite3'}"}
    servers = Servers(Settings(rasa_port=free_port(), action_port=free_port()), log_dir=folder / "logs", model=model, env=env)
    try:
        try:
            servers.start(timeout=300)
        except (RuntimeError, SystemExit) as exc:
            logs = "\n".join(p.read_text(errors="replace")[-3000:] for p in (folder / "logs").glob("*.log"))
            pytest.fail(f"the bot did not start: {exc}\n{logs}")
        yield Bot(servers, folder)
    finally:
        servers.stop()


def test_there_is_a_case_for_every_intent_of_the_domain():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(CASES) == set(domain["intents"])
    for text, kind in CASES.values():
        assert any(raw in text for raw in RAW[kind])


@dataclass
class Turn:
    said: List[str]
    intent: str
    user: dict
    stored: str  # every stored event of the conversation
    answered_by: List[str]  # the actions of the turn, in order


@pytest.fixture(scope="module")
def turns(bot) -> Dict[str, Turn]:
    """Every case once, each in a conversation of its own."""
    out = {}
    for intent, (text, _) in CASES.items():
        sender = uuid.uuid4().hex
        said = texts(bot.ask(sender, text))
        users = bot.stored_users(sender)
        assert len(users) == 1, users
        rows = bot.rows(sender)
        actions = [json.loads(data)["name"] for kind, _, data in rows if kind == "action"]
        out[intent] = Turn(said, users[0][0], users[0][1], "".join(data for _, _, data in rows),
                           [a for a in actions[actions.index("action_listen") + 1:] if a != "action_listen"])
    return out


@pytest.mark.parametrize("intent", list(CASES))
def test_the_warning_comes_first_whatever_the_intent(turns, intent):
    turn = turns[intent]
    assert turn.said and turn.said[0] == WARNING, turn.said
    assert turn.said.count(WARNING) == 1 and len(turn.said) >= 2, turn.said  # once, and the answer still follows


@pytest.mark.parametrize("intent", list(CASES))
def test_the_message_is_masked_at_the_door_and_its_metadata_names_the_kind(turns, intent):
    text, kind = CASES[intent]
    turn = turns[intent]
    assert turn.user["text"] == mask(text) and f"[{kind}]" in turn.user["text"]
    assert turn.user["metadata"]["masked"] == [kind]
    assert turn.user["parse_data"]["text"] == mask(text)
    for raw in RAW[kind]:
        assert raw not in turn.stored, f"{raw!r} was stored"


def test_the_cases_reach_the_smalltalk_rules_and_the_answering_action(turns):
    """'Whatever the intent' covers both routes: responses the Rasa server says itself, and the action server's answers."""
    answered = {a for turn in turns.values() for a in turn.answered_by}
    assert "action_answer" in answered and any(a.startswith("utter_") for a in answered), answered


@pytest.mark.parametrize("intent", list(CASES))
def test_each_case_reaches_its_intent(turns, intent):
    """Only checks the cases themselves: if a retrained model reads one otherwise, pick another sentence for it."""
    assert turns[intent].intent == intent, f"{CASES[intent][0]!r} was read as {turns[intent].intent}"


def test_the_warning_comes_first_over_socket_io(bot):
    import socketio

    session = uuid.uuid4().hex
    text, kind = CASES["greet"]

    async def talk():
        client = socketio.AsyncClient()
        replies: asyncio.Queue = asyncio.Queue()
        confirmed = asyncio.Event()
        client.on("session_confirm", lambda *_: confirmed.set())
        client.on("bot_uttered", lambda data: replies.put_nowait(data))
        await client.connect(bot.settings.rasa_url, socketio_path="/socket.io", transports=["websocket"])
        try:
            await client.emit("session_request", {"session_id": session})
            await asyncio.wait_for(confirmed.wait(), 60)
            await client.emit("user_uttered", {"message": text, "session_id": session})
            return [await asyncio.wait_for(replies.get(), 60) for _ in range(2)]  # the warning and the greeting
        finally:
            await client.disconnect()

    said = texts(asyncio.run(talk()))
    assert said[0] == WARNING and "Bieb-assistent" in said[1], said
    (_, user), = bot.stored_users(session)
    assert user["text"] == mask(text) and user["metadata"]["masked"] == [kind]
    assert PHONE not in bot.everything_written()


def test_nothing_typed_is_stored_or_logged_anywhere(bot, turns):
    """After all the cases: no typed value in any file; the feedback store did get the unanswered question, masked."""
    from bot.feedback import FeedbackStore

    written = bot.everything_written()
    for values in RAW.values():
        for raw in values:
            assert raw not in written, f"{raw!r} was stored or logged"
    questions = [e.question for e in FeedbackStore(f"sqlite:///{bot.feedback}").recent_fallbacks(500)]
    assert mask(CASES["nlu_fallback"][0]) in questions, questions


def test_the_warning_comes_first_when_the_action_server_is_down(bot):
    sender = uuid.uuid4().hex
    bot.servers.stop("actions")
    try:
        said = texts(bot.ask(sender, CASES["find_ido"][0]))
        assert said[0] == WARNING and APOLOGY_ACTION_DOWN in said[1] and len(said) == 2, said
    finally:
        bot.servers.start_actions()
        bot.servers.wait(120)
    assert BSN not in bot.everything_written()
