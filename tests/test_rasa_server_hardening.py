"""bot.rasa_server's patches, in one process: the API needs auth, long messages are cut, a failing action server
gives the apology. tests/test_production_http.py proves the same through HTTP against real servers."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import rasa_server
from tests.ports import free_port

DOMAIN = Domain.from_path("domain.yml")


@pytest.fixture
def installed():
    original_validate = RemoteAction._validate_action_result
    rasa_server.install()
    try:
        yield
    finally:
        rasa_server.uninstall()
        RemoteAction._validate_action_result = original_validate


def test_api_arguments_come_from_the_environment_or_the_api_stays_shut():
    assert rasa_server.auth_arguments(["run"], {}) == []
    assert rasa_server.auth_arguments(["run", "--enable-api"], {"RASA_API_TOKEN": "geheim"}) == ["--auth-token", "geheim"]
    assert rasa_server.auth_arguments(["run", "--enable-api"], {"RASA_JWT_SECRET": "s"}) == ["--jwt-secret", "s", "--jwt-method", "HS256"]
    assert rasa_server.auth_arguments(["run", "--enable-api", "--auth-token", "x"], {}) == []
    with pytest.raises(rasa_server.ApiWithoutAuth, match="RASA_API_TOKEN"):
        rasa_server.auth_arguments(["run", "--enable-api"], {"RASA_API_TOKEN": ""})


def test_long_messages_are_cut_for_every_channel(installed, monkeypatch):
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "50")
    assert len(UserMessage("wat is boekstart " + "x" * 5000).text) == 50
    assert UserMessage("hoi").text == "hoi" and UserMessage(None).text is None
    monkeypatch.delenv("MAX_MESSAGE_CHARS")
    assert len(UserMessage("y" * 5000).text) == rasa_server.DEFAULT_MAX_MESSAGE_CHARS


def test_action_server_down_becomes_the_apology(installed):
    action = RemoteAction("action_answer_what_is", EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook"))
    tracker = DialogueStateTracker("someone", DOMAIN.slots)
    events = asyncio.run(action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses),
                                    tracker, DOMAIN))
    assert len(events) == 1 and isinstance(events[0], BotUttered)
    assert events[0].text == DOMAIN.responses["utter_action_failed"][0]["text"]
    assert "medewerker" in events[0].text and events[0].metadata.get("utter_action") == "utter_action_failed"


def test_a_rejection_still_lets_another_policy_choose(installed, monkeypatch):
    async def reject(*_):
        raise ActionExecutionRejection("action_answer_what_is")

    monkeypatch.setitem(rasa_server._originals, "RemoteAction.run", reject)
    action = RemoteAction("action_answer_what_is", EndpointConfig("http://127.0.0.1:1/webhook"))
    with pytest.raises(ActionExecutionRejection):
        asyncio.run(action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses),
                               DialogueStateTracker("someone", DOMAIN.slots), DOMAIN))
