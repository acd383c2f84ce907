"""The faster check of action server replies accepts and refuses exactly what Rasa's own check does."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot import rasa_server

GOOD = {"events": [{"event": "slot", "name": "subject", "value": "schemes:jeugdpakket"}],
        "responses": [{"text": "Het Jeugdpakket is ...", "buttons": []}]}
BAD = [{"events": "not a list"}, {"events": [{"event": "slot"}]}, {"responses": "text"}, {"events": [{"event": "no such event"}]}]


ACTION = RemoteAction("action_answer_what_is", None)


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
