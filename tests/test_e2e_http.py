"""The whole path once, through HTTP: both servers started on free ports, questions over the REST channel.

Needs the trained model (`make train`); `make test` trains before it runs pytest.
"""
from __future__ import annotations

import uuid

import pytest

from bot.serve import DEFAULT_MODEL, Servers, Settings, ask
from tests.ports import free_port


@pytest.fixture(scope="module")
def bot(kb_path, tmp_path_factory):
    import os

    if not DEFAULT_MODEL.exists():
        pytest.fail("no trained model: run `make train` first (`make test` does)")
    settings = Settings(rasa_port=free_port(), action_port=free_port())
    os.environ["DATABASE_URL"] = f"sqlite:///{kb_path}"
    servers = Servers(settings, log_dir=tmp_path_factory.mktemp("logs"))
    try:
        servers.start(timeout=300)
        yield settings
    finally:
        servers.stop()
        os.environ.pop("DATABASE_URL", None)


def texts(messages):
    return "\n".join(m.get("text", "") for m in messages)


def test_a_question_gets_an_answer_from_the_kb(bot):
    reply = texts(ask(bot, uuid.uuid4().hex, "wat is boekstart"))
    assert "BoekStart" in reply and "Bron:" in reply


def test_context_carries_across_turns(bot):
    sender = uuid.uuid4().hex
    assert "Jeugdpakket" in texts(ask(bot, sender, "Wat is het Jeugdpakket?"))
    reply = texts(ask(bot, sender, "hoeveel gaat via het gemeentefonds?"))
    assert "40 miljoen euro" in reply


def test_ido_asks_for_the_place_then_answers_it(bot):
    sender = uuid.uuid4().hex
    assert texts(ask(bot, sender, "ik zoek een IDO")) == "In welke plaats of gemeente woont u? Dan zoek ik het dichtstbijzijnde IDO."
    # knowledge/data/ido_locations.csv: the desk in Drachten is the branch "Bibliotheek Drachten" (waldnet.nl, 2020-12).
    # "De plaats 'Drachten' ken ik niet" also names Drachten: only the desk's name and source tell them apart.
    messages = ask(bot, sender, "Drachten")
    reply = texts(messages)
    assert reply.startswith("In Drachten is een IDO: Bibliotheek Drachten.\n"), reply
    assert reply.endswith("\nBron: waldnet.nl (2020)."), reply
    assert [b["payload"] for m in messages for b in m.get("buttons", [])] == [
        "/ido_membership", '/ido_opening_hours{"place": "Drachten"}']


def test_buttons_reach_the_channel(bot):
    messages = ask(bot, uuid.uuid4().hex, "hallo")
    assert any(m.get("buttons") for m in messages)


@pytest.mark.parametrize("hostile", [
    "", " ", "x" * 20_000, "\x00\x01\x1b[31m", "<script>alert('x')</script><b>vet</b>",
    "'; DROP TABLE events; --", "{{ 7*7 }} {% if %} ${jndi:ldap://127.0.0.1/a}", "🙂📚" * 100,
])
def test_hostile_input_gets_a_reply_and_the_next_question_works(bot, hostile):
    sender = uuid.uuid4().hex
    messages = ask(bot, sender, hostile)
    assert messages, "no reply at all"
    for m in messages:
        text = m.get("text") or ""
        assert m.get("recipient_id") == sender, m
        assert text.strip(), m
        # Not a traceback and not an apology ("Sorry, er ging iets mis", "Sorry, ik kan dit nu niet opzoeken").
        assert "Traceback" not in text and not text.startswith("Sorry"), text
        assert len(text) < 1200, text
    assert "28.000" in texts(ask(bot, sender, "hoeveel e-books"))
