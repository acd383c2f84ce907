"""The smalltalk guard: a message with a question in it goes to the answering action, not to a fixed reply."""
from __future__ import annotations

import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu_guard import SmalltalkGuard

SMALLTALK = ["greet", "goodbye", "thank", "bot_challenge"]
EXAMPLES = {
    "greet": ["hallo", "goedemorgen", "hoi daar"],
    "goodbye": ["doei", "tot ziens", "tot later", "fijne dag nog"],
    "thank": ["dank je wel", "bedankt voor je hulp"],
    "bot_challenge": ["ben jij een computer?", "ben je een robot", "praat ik met een mens"],
    "ask_figure": ["hoeveel leden had de bibliotheek in 2019"],
}


@pytest.fixture
def guard(tmp_path):
    storage = LocalModelStorage(tmp_path)
    resource = Resource("smalltalk_guard")
    messages = [Message(data={"text": t, "intent": intent}) for intent, texts in EXAMPLES.items() for t in texts]
    trainer = SmalltalkGuard.create({**SmalltalkGuard.get_default_config(), "intents": SMALLTALK}, storage, resource, None)
    trainer.train(TrainingData(messages))
    # What the Rasa server does: load the trained step from the model's storage.
    return SmalltalkGuard.load({**SmalltalkGuard.get_default_config(), "intents": SMALLTALK}, storage, resource, None)


def classified(text, *ranking):
    ranking = [{"name": n, "confidence": c} for n, c in ranking]
    return Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking})


@pytest.mark.parametrize("text", ["tot ziens", "Doei!", "ben jij een robot?", "dank je wel", "fijne dag"])
def test_smalltalk_stays_smalltalk(guard, text):
    message = classified(text, ("goodbye", 0.9), ("ask_figure", 0.05))
    guard.process([message])
    assert message.get("intent")["name"] == "goodbye"


@pytest.mark.parametrize("text, wanted", [
    ("en een jaar later?", "ask_figure"),  # 'later' is smalltalk, 'jaar' is not: a follow-up
    ("ik heb nog nooit een computer aangeraakt, kan ik dat ergens leren?", "ask_figure"),  # longer than any example
    ("en in 2020?", "ask_figure"),  # a year
])
def test_a_question_in_smalltalk_words_goes_to_the_answering_action(guard, text, wanted):
    message = classified(text, ("goodbye", 0.8), ("ask_figure", 0.15), ("thank", 0.05))
    guard.process([message])
    assert message.get("intent")["name"] == wanted
    names = [r["name"] for r in message.get("intent_ranking")]
    assert names == ["ask_figure", "goodbye", "thank"]  # smalltalk moved to the end, nothing lost


def test_without_another_intent_it_is_the_fallback(guard):
    message = classified("en een jaar later dan?", ("goodbye", 0.8), ("thank", 0.1))
    guard.process([message])
    assert message.get("intent")["name"] == "nlu_fallback"


def test_other_intents_pass_untouched(guard):
    message = classified("en een jaar later?", ("ask_figure", 0.7), ("goodbye", 0.2))
    guard.process([message])
    assert message.get("intent") == {"name": "ask_figure", "confidence": 0.7}


def test_the_learned_vocabulary_and_length_come_from_the_smalltalk_examples(guard):
    assert "ziens" in guard.vocabulary and "leden" not in guard.vocabulary  # ask_figure's words are not smalltalk
    assert guard.max_words == 5  # "praat ik met een mens"


def test_the_trained_model_has_the_guard():
    from pathlib import Path

    import yaml

    config = yaml.safe_load(Path("config.yml").read_text(encoding="utf-8"))
    names = [c["name"] for c in config["pipeline"]]
    assert names.index("bot.nlu_guard.SmalltalkGuard") > names.index("FallbackClassifier")
    guard_config = config["pipeline"][names.index("bot.nlu_guard.SmalltalkGuard")]
    assert "ask_human" not in guard_config["intents"]  # a request for a person stays one


def test_a_goodbye_that_goes_on_with_en_stays_a_goodbye(guard):
    message = classified("en tot ziens", ("goodbye", 0.9), ("ask_figure", 0.05))
    guard.process([message])
    assert message.get("intent")["name"] == "goodbye"
