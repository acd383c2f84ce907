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


def test_install_replaces_the_method():
    original = RemoteAction._validate_action_result
    try:
        rasa_server.install()
        assert RemoteAction._validate_action_result is rasa_server.validate_action_result
    finally:
        RemoteAction._validate_action_result = original
