"""bot.rasa_server in one process: the faster check of action server replies accepts and refuses exactly what Rasa's
own check does; install/uninstall; personal data masked at the door, with the warning first (tests/test_privacy_http.py
proves it through HTTP)."""
from __future__ import annotations

import asyncio

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rasa_server

GOOD = {"events": [{"event": "slot", "name": "subject", "value": "schemes:jeugdpakket"}],
        "responses": [{"text": "Het Jeugdpakket is ...", "buttons": []}]}
BAD = [{"events": "not a list"}, {"events": [{"event": "slot"}]}, {"responses": "text"}, {"events": [{"event": "no such event"}]}]


ACTION = RemoteAction("action_answer_what_is", None)
DOMAIN = Domain.from_path("domain.yml")


def test_valid_reply_passes_both_checks():
    assert RemoteAction._validate_action_result(ACTION, GOOD)
    assert rasa_server.validate_action_result(ACTION, GOOD)


@pytest.mark.parametrize("reply", BAD)
def test_invalid_reply_fails_both_checks(reply):
    with pytest.raises(ValidationError):
        RemoteAction._validate_action_result(ACTION, reply)
    with pytest.raises(ValidationError) as caught:
        rasa_server.validate_action_result(ACTION, reply)
    assert "Failed to validate Action server response" in caught.value.message


def test_install_replaces_the_methods_and_uninstall_restores_all_of_them():
    from rasa.core.channels.channel import UserMessage

    before = (RemoteAction._validate_action_result, RemoteAction.run, UserMessage.__init__)
    try:
        rasa_server.install()
        assert RemoteAction._validate_action_result is rasa_server.validate_action_result
        assert RemoteAction.run is rasa_server.run_remote_action
    finally:
        rasa_server.uninstall()
    assert (RemoteAction._validate_action_result, RemoteAction.run, UserMessage.__init__) == before


def test_a_widget_opening_is_read_as_the_greeting():
    """rasa-webchat opens with '/get_started': the user must get the greeting, not 'niet zeker'."""
    from rasa.core.channels.channel import UserMessage

    try:
        rasa_server.install()
        assert UserMessage("/get_started").text == "/greet"
        assert UserMessage("  /get_started ").text == "/greet"
        assert UserMessage("wat is /get_started").text == "wat is /get_started"
    finally:
        rasa_server.uninstall()
    assert UserMessage("/get_started").text == "/get_started"


# -- personal data at the door --------------------------------------------------------------------------
def test_install_masks_at_the_door_and_warns_and_uninstall_restores_it():
    from rasa.core.channels.channel import UserMessage
    from rasa.core.processor import MessageProcessor

    before = (UserMessage.__init__, MessageProcessor._run_prediction_loop)
    try:
        rasa_server.install()
        rasa_server.install()  # twice: the originals are kept once
        assert UserMessage.__init__ is rasa_server._user_message_init
        assert MessageProcessor._run_prediction_loop is rasa_server.run_prediction_loop
        assert UserMessage("mijn bsn is 111222333").text == "mijn bsn is [BSN]"
    finally:
        rasa_server.uninstall()
    assert (UserMessage.__init__, MessageProcessor._run_prediction_loop) == before
    assert UserMessage("mijn bsn is 111222333").text == "mijn bsn is 111222333"
    assert not rasa_server._originals


def test_a_message_with_personal_data_is_masked_and_the_metadata_names_the_kinds_only():
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    try:
        rasa_server.install()
        message = UserMessage("Mijn BSN is 111222333, bel 06-12345678", CollectingOutputChannel(), "iemand",
                              input_channel="rest", metadata={"bron": "widget"})
        assert message.text == "Mijn BSN is [BSN], bel [TELEFOON]"
        assert message.metadata == {"bron": "widget", "masked": ["BSN", "TELEFOON"]}
        assert message.sender_id == "iemand" and message.input_channel == "rest"
        positional = UserMessage("mail jan@example.nl", None, "iemand", None, "socketio", "id-1", {})
        assert positional.text == "mail [E-MAIL]" and positional.metadata == {"masked": ["E-MAIL"]}
        assert positional.message_id == "id-1" and positional.input_channel == "socketio"
        assert "111222333" not in repr(vars(message))
    finally:
        rasa_server.uninstall()


def test_a_message_without_personal_data_keeps_its_text_and_metadata():
    from rasa.core.channels.channel import UserMessage

    try:
        rasa_server.install()
        assert UserMessage("wat is boekstart").metadata is None
        assert UserMessage("wat is boekstart", metadata={"bron": "widget"}).metadata == {"bron": "widget"}
        assert UserMessage("Mijn klantnummer is 123456789").text == "Mijn klantnummer is 123456789"
        # Only the server says what was masked: a client cannot ask for (or hide) the warning.
        assert UserMessage("hoi", metadata={"masked": ["BSN"], "a": 1}).metadata == {"a": 1}
        assert UserMessage("bsn 111222333", metadata={"masked": []}).metadata == {"masked": ["BSN"]}
    finally:
        rasa_server.uninstall()


def test_a_very_long_message_is_masked_in_full_or_cut(monkeypatch):
    from rasa.core.channels.channel import UserMessage

    from bot.privacy import MAX_INPUT

    monkeypatch.setenv("MAX_MESSAGE_CHARS", str(MAX_INPUT * 2))
    try:
        rasa_server.install()
        text = UserMessage("x" * (MAX_INPUT + 10) + " bsn 111222333").text
        assert "111222333" not in text and len(text) <= MAX_INPUT
    finally:
        rasa_server.uninstall()


class Processor:
    """What `run_prediction_loop` uses of Rasa's MessageProcessor: the domain; the loop itself is recorded."""

    def __init__(self):
        self.domain = DOMAIN
        self.loops = 0


def user_turn(text, metadata):
    from rasa.shared.core.events import ActionExecuted, UserUttered

    return DialogueStateTracker.from_events("iemand", [ActionExecuted("action_listen"),
                                                       UserUttered(text, {"name": "greet"}, metadata=metadata)],
                                            slots=DOMAIN.slots)


@pytest.fixture
def recorded_loop(monkeypatch):
    async def loop(processor, output_channel, tracker):
        processor.loops += 1
        await output_channel.send_response(tracker.sender_id, {"text": "Hallo!"})

    monkeypatch.setitem(rasa_server._originals, "MessageProcessor._run_prediction_loop", loop)


def test_the_warning_goes_first_once_per_masked_turn(recorded_loop):
    from actions.answers import personal_data_warning

    processor, channel = Processor(), CollectingOutputChannel()
    tracker = user_turn("hallo, bel [TELEFOON]", {"masked": ["TELEFOON"]})
    asyncio.run(rasa_server.run_prediction_loop(processor, channel, tracker))
    assert [m["text"] for m in channel.messages] == [personal_data_warning().text, "Hallo!"]
    said = [e for e in tracker.events if isinstance(e, BotUttered)]
    assert len(said) == 1 and said[0].text == personal_data_warning().text and said[0].metadata == {"privacy_warning": True}
    asyncio.run(rasa_server.run_prediction_loop(processor, channel, tracker))  # the same turn again: no second warning
    assert [m["text"] for m in channel.messages].count(personal_data_warning().text) == 1
    assert processor.loops == 2


@pytest.mark.parametrize("metadata", [None, {}, {"masked": []}, {"bron": "widget"}])
def test_no_warning_without_masked_data(recorded_loop, metadata):
    processor, channel = Processor(), CollectingOutputChannel()
    asyncio.run(rasa_server.run_prediction_loop(processor, channel, user_turn("hallo", metadata)))
    assert [m["text"] for m in channel.messages] == ["Hallo!"]
    assert processor.loops == 1


def test_the_warning_text_has_one_source():
    import inspect

    from actions import base

    assert "personal_data_warning" not in inspect.getsource(base)
    assert rasa_server.warning_event().text == rasa_server.personal_data_warning().text


def test_the_rasa_server_patch_module_stays_light():
    import subprocess
    import sys

    code = ("import sys, bot.rasa_server; heavy = sorted({m.split('.')[0] for m in sys.modules} & "
            "{'tensorflow', 'knowledge', 'rasa', 'rasa_sdk', 'sqlalchemy', 'spacy'}); print(heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
