"""Security and faults, proven against real servers on loopback (one Rasa server, one action server).

The Rasa server runs as in production: HTTP API on with a token, CORS limited to one origin,
messages cut to MAX_MESSAGE_CHARS, conversations in the SQL tracker store (a temporary SQLite file).
The action server reads its own copy of the KB, which the fault tests delete, corrupt and rebuild.
Needs the trained model (`make train`); it is copied first, so a retrain elsewhere cannot disturb it.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from bot.serve import DEFAULT_MODEL, ROOT, Servers, Settings, ask, check_kb
from tests.ports import free_port

TOKEN = "test-" + uuid.uuid4().hex
SITE = "http://bieb.example"
FOREIGN = "http://evil.example"
MAX_CHARS = 200
APOLOGY_ACTION_DOWN = "niet opzoeken"  # utter_action_failed (domain.yml), said by the Rasa server
APOLOGY_QUERY = "er ging iets mis bij het opzoeken"  # actions/answers.apology, said by the action server


def texts(messages) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def log_tail(log_dir: Path, lines: int = 30) -> str:
    out = []
    for log in sorted(log_dir.glob("*.log")):
        out.append(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:]))
    return "\n".join(out)


class Bot:
    def __init__(self, servers: Servers, kb: Path, tracker: Path, log_dir: Path):
        self.servers, self.kb, self.tracker, self.log_dir = servers, kb, tracker, log_dir
        self.settings = servers.settings

    def ask(self, sender: str, text: str):
        return ask(self.settings, sender, text, timeout=60)

    def http(self, method: str, path: str, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.settings.rasa_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()


@pytest.fixture(scope="module")
def bot(kb_path, tmp_path_factory):
    if not DEFAULT_MODEL.exists():
        pytest.fail("no trained model: run `make train` first (`make test` does)")
    tmp = tmp_path_factory.mktemp("production")
    model = tmp / "bieb.tar.gz"
    shutil.copy(DEFAULT_MODEL, model)
    kb = tmp / "kb.sqlite3"
    shutil.copy(kb_path, kb)
    tracker = tmp / "tracker.sqlite3"
    settings = Settings(rasa_port=free_port(), action_port=free_port(), cors=SITE, enable_api=True, api_token=TOKEN)
    env = {"DATABASE_URL": f"sqlite:///{kb}", "TRACKER_DIALECT": "sqlite", "TRACKER_DB": str(tracker),
           "TRACKER_HOST": "", "TRACKER_PORT": "", "TRACKER_USER": "", "TRACKER_PASSWORD": "",
           "LOCK_STORE_TYPE": "in_memory", "MAX_MESSAGE_CHARS": str(MAX_CHARS),
           "FEEDBACK_DATABASE_URL": f"sqlite:///{tmp / 'feedback.sqlite3'}"}
    log_dir = tmp / "logs"
    servers = Servers(settings, log_dir=log_dir, model=model, env=env)
    try:
        try:
            servers.start(timeout=300)
        except (RuntimeError, SystemExit) as exc:
            pytest.fail(f"the bot did not start: {exc}\n{log_tail(log_dir)}")
        yield Bot(servers, kb, tracker, log_dir)
    finally:
        servers.stop()


# -- security -------------------------------------------------------------------------------------------
def test_api_refuses_every_request_without_the_token(bot):
    # Rasa 3.6 has no POST /model: the model routes are POST /model/train, PUT /model (load, CVE-2024-49375) and DELETE.
    for method, path, body in [("GET", "/status", None), ("GET", "/status?token=wrong", None),
                               ("POST", "/model/train", {"hello": "world"}), ("PUT", "/model", {"model_file": "/tmp/x.tar.gz"}),
                               ("DELETE", "/model", None), ("POST", "/model/parse", {"text": "hoi"}), ("GET", "/domain", None),
                               ("GET", "/conversations/someone/tracker", None),
                               ("POST", "/conversations/someone/tracker/events", {"event": "restart"})]:
        status, _, _ = bot.http(method, path, body)
        assert status in (401, 403), f"{method} {path} gave {status}"


def test_api_answers_with_the_token(bot):
    status, _, body = bot.http("GET", f"/status?token={TOKEN}")
    assert status == 200 and "model_file" in json.loads(body)


def test_api_is_never_started_without_a_token(tmp_path):
    servers = Servers(Settings(rasa_port=free_port(), action_port=free_port(), enable_api=True, api_token="", jwt_secret=""),
                      log_dir=tmp_path)
    with pytest.raises(SystemExit, match="RASA_API_TOKEN"):
        servers.start_rasa()
    assert not servers.processes
    done = subprocess.run([sys.executable, "-m", "bot.rasa_server", "run", "--enable-api"], cwd=ROOT, timeout=120,
                          env={k: v for k, v in os.environ.items() if k not in ("RASA_API_TOKEN", "RASA_JWT_SECRET")},
                          capture_output=True, text=True)
    assert done.returncode == 2 and "RASA_API_TOKEN" in done.stderr


@pytest.mark.parametrize("method", ["OPTIONS", "POST"])
def test_cors_answers_only_the_configured_origin(bot, method):
    headers = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    body = {"sender": uuid.uuid4().hex, "message": "hallo"} if method == "POST" else None
    status, allowed, _ = bot.http(method, "/webhooks/rest/webhook", body, {**headers, "Origin": SITE})
    assert status < 300 and allowed.get("Access-Control-Allow-Origin") == SITE
    status, foreign, _ = bot.http(method, "/webhooks/rest/webhook", body, {**headers, "Origin": FOREIGN})
    assert foreign.get("Access-Control-Allow-Origin") in (None, "")
    assert "*" not in (allowed.get("Access-Control-Allow-Origin"), foreign.get("Access-Control-Allow-Origin"))


def test_long_message_is_cut_before_nlu_and_storage(bot):
    sender = uuid.uuid4().hex
    long = "wat is boekstart " + "bla " * 3000
    assert isinstance(bot.ask(sender, long), list)
    status, _, body = bot.http("GET", f"/conversations/{sender}/tracker?token={TOKEN}")
    assert status == 200
    seen = [e["text"] for e in json.loads(body)["events"] if e["event"] == "user"]
    assert seen and all(len(t) <= MAX_CHARS for t in seen)
    with sqlite3.connect(bot.tracker) as conn:
        stored = [json.loads(r[0])["text"] for r in
                  conn.execute("select data from events where sender_id = ? and type_name = 'user'", (sender,))]
    assert stored and all(len(t) <= MAX_CHARS for t in stored)


def test_conversations_are_kept_in_the_tracker_store_masked(bot):
    sender = uuid.uuid4().hex
    bot.ask(sender, "mijn bsn is 111222333, ik kom niet in mijn digid")
    bot.ask(sender, "hoeveel e-books")
    with sqlite3.connect(bot.tracker) as conn:
        rows = [r[0] for r in conn.execute("select data from events where sender_id = ?", (sender,))]
        users = conn.execute("select count(*) from events where sender_id = ? and type_name = 'user'", (sender,)).fetchone()[0]
    assert users == 2
    assert "111222333" not in "".join(rows) and "[BSN]" in "".join(rows)


# -- faults ---------------------------------------------------------------------------------------------
def test_action_server_down_gives_an_apology_and_the_bot_recovers(bot):
    sender = uuid.uuid4().hex
    assert "BoekStart" in texts(bot.ask(sender, "wat is boekstart"))
    bot.servers.stop("actions")
    try:
        started = time.monotonic()
        reply = texts(bot.ask(sender, "hoeveel e-books"))
        assert APOLOGY_ACTION_DOWN in reply and "medewerker" in reply, reply
        assert "Traceback" not in reply and time.monotonic() - started < 30
        assert bot.servers.processes["rasa"].poll() is None  # the Rasa server keeps running
        assert "Hallo" in texts(bot.ask(sender, "hallo"))  # answers that need no action still work
    finally:
        bot.servers.start_actions()
        bot.servers.wait(120)
    assert "28.000" in texts(bot.ask(sender, "hoeveel e-books"))  # back: answers normally, same conversation
    assert "BoekStart" in texts(bot.ask(uuid.uuid4().hex, "wat is boekstart"))


def test_missing_kb_stops_start_up_at_once_with_make_kb(tmp_path):
    missing = tmp_path / "nothing.sqlite3"
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{missing}", RASA_PORT=str(free_port()), ACTION_PORT=str(free_port()),
               WEB_PORT=str(free_port()), TRACKER_DB=str(tmp_path / "tracker.sqlite3"))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "bot.serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "make kb" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert time.monotonic() - started < 60
    assert not missing.exists()
    servers = Servers(Settings(rasa_port=free_port(), action_port=free_port()), log_dir=tmp_path,
                      env={"DATABASE_URL": f"sqlite:///{missing}"})
    with pytest.raises(RuntimeError, match="make kb"):
        servers.start()
    assert not servers.processes  # nothing was started
    with pytest.raises(RuntimeError, match="make kb"):
        check_kb({"DATABASE_URL": f"sqlite:///{missing}"})
    check = subprocess.run([sys.executable, "-m", "bot.serve", "--check-kb"], cwd=ROOT, env=env, capture_output=True,
                           text=True, timeout=120)  # the Kubernetes init container
    assert check.returncode == 2 and "make kb" in check.stderr and "Traceback" not in check.stderr


def test_a_failing_query_gives_the_apology_not_a_stack_trace(bot):
    sender = uuid.uuid4().hex
    assert "BoekStart" in texts(bot.ask(sender, "wat is boekstart"))
    aside = bot.kb.with_suffix(".aside")
    os.replace(bot.kb, aside)
    try:
        reply = texts(bot.ask(sender, "wat is boekstart"))  # the KB file is gone
        assert APOLOGY_QUERY in reply and "medewerker" in reply and "Traceback" not in reply, reply
        bot.kb.write_bytes(b"dit is geen database " * 500)  # a corrupt KB file in its place
        reply = texts(bot.ask(sender, "hoeveel e-books"))
        # A new file that cannot be read is no build: the last complete build goes on answering.
        assert "28.000" in reply and "Traceback" not in reply and "DatabaseError" not in reply, reply
    finally:
        os.replace(aside, bot.kb)
    assert "BoekStart" in texts(bot.ask(sender, "wat is boekstart"))  # the KB is back: so are the answers


QUESTIONS = [("wat is boekstart",), ("hoeveel e-books",), ("Wat is het jeugdpakket?", "hoeveel gaat via het gemeentefonds?"),
             ("ik zoek een IDO", "Drachten"), ("wanneer is het IDO in Kaatsheuvel open",)]


def test_rebuilding_the_kb_while_serving_never_gives_a_half_built_answer(bot, empty_local):
    from knowledge import builder

    def answers():
        sender = uuid.uuid4().hex
        return [[(m.get("text"), json.dumps(m.get("buttons"), sort_keys=True)) for m in bot.ask(sender, q)] for q in script]

    baseline = {}
    for script in QUESTIONS:
        baseline[script] = answers()
    assert "40 miljoen" in json.dumps(baseline[QUESTIONS[2]]) and "Drachten" in json.dumps(baseline[QUESTIONS[3]])

    stop, builds, errors = threading.Event(), [], []

    def rebuild():
        while not stop.is_set():
            try:
                builder.build(url=f"sqlite:///{bot.kb}", local=empty_local, force=True)
                builds.append(time.monotonic())
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(repr(exc))
                return

    thread = threading.Thread(target=rebuild, daemon=True)
    thread.start()
    checked = 0
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline or len(builds) < 3:
            for script in QUESTIONS:
                got = answers()
                assert got == baseline[script], f"answer differs during a rebuild: {script}\n{got}\n!=\n{baseline[script]}"
                checked += 1
            if time.monotonic() > deadline + 60:
                break
    finally:
        stop.set()
        thread.join(60)
    print(f"\nKB rebuilt {len(builds)} times (SQLite) while {checked} conversations were checked")
    assert not errors, errors
    assert len(builds) >= 3, f"only {len(builds)} rebuilds ran during {checked} checked conversations"
