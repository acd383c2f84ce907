"""The settings `make run` reads from the environment: CORS_ORIGINS (commas or spaces; a malformed origin is
refused at start, in Dutch, with the fix) and the ports. Nothing here starts a server."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.serve import ROOT, Servers, Settings
from tests.ports import free_port


@pytest.mark.parametrize("value", [
    "https://www.bieb.nl,http://localhost:8080",
    "https://www.bieb.nl, http://localhost:8080",
    " https://www.bieb.nl ,\n\thttp://localhost:8080 , ",
])
def test_origins_may_be_separated_by_commas_or_spaces(value):
    assert Settings(cors=value).cors_origins == ["https://www.bieb.nl", "http://localhost:8080"]


def test_origins_are_written_as_the_browser_sends_them():
    """The browser's Origin header has a lower-case name and no default port; the servers compare strings."""
    assert Settings(cors="HTTPS://WWW.Bieb.NL:443 http://Bieb.nl:80 http://127.0.0.1:8080 https://www.bieb.nl").cors_origins == [
        "https://www.bieb.nl", "http://bieb.nl", "http://127.0.0.1:8080"]


@pytest.mark.parametrize("value", ["   ", " , ,"])
def test_only_separators_means_no_origins_so_the_local_web_page(value):
    assert Settings(cors=value, web_port=8123).cors_origins == ["http://127.0.0.1:8123", "http://localhost:8123"]


@pytest.mark.parametrize("origin, hint", [
    ("https://www.bieb.nl/", "Laat die weg: 'https://www.bieb.nl'"),
    ("https://www.bieb.nl/chat", "Laat dat weg: 'https://www.bieb.nl'"),
    ("https://www.bieb.nl?x=1", "Laat dat weg: 'https://www.bieb.nl'"),
    ("www.bieb.nl", "begint niet met http:// of https://"),
    ("localhost:8080", "begint niet met http:// of https://"),
    ("ftp://www.bieb.nl", "begint niet met http:// of https://"),
    ("https:/www.bieb.nl", "begint niet met http:// of https://"),
    ("https://", "geen geldige naam"),
    ("https://www.bieb.nl;http://localhost", "geen geldige naam"),
    ("https://bieb_zuid.nl", "geen geldige naam"),
    ("http://localhost:0", "poort"),
    ("http://localhost:70000", "poort"),
    ("http://localhost:", "poort"),
    ("http://localhost:80a", "poort"),
    ("https://jan:geheim@www.bieb.nl", "gebruikersnaam"),
    ("http://[::1]:8080", "IPv6"),
])
def test_a_malformed_origin_is_refused_with_what_to_change(origin, hint):
    with pytest.raises(ValueError) as refused:
        Settings(cors=f"http://localhost:8080, {origin}").cors_origins
    message = str(refused.value)
    assert "CORS_ORIGINS klopt niet" in message and repr(origin) in message and hint in message, message
    assert "komma of een spatie" in message


def test_a_wildcard_is_refused():
    with pytest.raises(ValueError, match=r"CORS_ORIGINS='\*' mag niet"):
        Settings(cors="*").cors_origins


def test_a_malformed_origin_stops_the_start_before_anything_runs(tmp_path):
    missing_kb = tmp_path / "geen-kb.sqlite3"  # were the check not first, start-up would stop at the KB instead
    servers = Servers(Settings(rasa_port=free_port(), action_port=free_port(), web_port=free_port(),
                               cors="https://www.bieb.nl/"),
                      log_dir=tmp_path / "log", web=True, env={"DATABASE_URL": f"sqlite:///{missing_kb}"})
    with pytest.raises(RuntimeError, match="CORS_ORIGINS klopt niet"):
        servers.start()
    assert servers.processes == {} and not (tmp_path / "log").exists()


def test_make_run_says_what_is_wrong_with_cors_origins(tmp_path):
    env = dict(os.environ, CORS_ORIGINS="https://www.bieb.nl/", RASA_PORT=str(free_port()), ACTION_PORT=str(free_port()),
               WEB_PORT=str(free_port()), DATABASE_URL=f"sqlite:///{tmp_path / 'geen-kb.sqlite3'}",
               BOT_LOG_DIR=str(tmp_path / "log"), TRACKER_DB=str(tmp_path / "tracker.sqlite3"))
    done = subprocess.run([sys.executable, "-m", "bot.serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "CORS_ORIGINS klopt niet: 'https://www.bieb.nl/' eindigt op een /" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "log").exists()


@pytest.mark.parametrize("value", ["abc", "0", "65536", "-1", "80.5", "²"])
def test_a_port_that_is_no_port_is_named(monkeypatch, value):
    monkeypatch.setenv("RASA_PORT", value)
    with pytest.raises(ValueError) as refused:
        Settings()
    assert f"RASA_PORT={value!r} is geen poort" in str(refused.value)


def test_ports_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RASA_PORT", "6005")
    monkeypatch.setenv("ACTION_PORT", " 6055 ")
    monkeypatch.setenv("WEB_PORT", "")
    s = Settings()
    assert (s.rasa_port, s.action_port, s.web_port) == (6005, 6055, 8080)
