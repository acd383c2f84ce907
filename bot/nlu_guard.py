"""An NLU step after the classifiers: a message with a question in it is not answered as smalltalk.

Smalltalk (greet, goodbye, thank, ...) is answered by fixed responses on the Rasa server. The classifier
learns those intents from short phrases, so a longer message that only shares a word with them goes
there too: "ik ben 76 en heb nog nooit een computer aangeraakt ..." as `bot_challenge` ("Ik ben een
computer"), "en een jaar later?" as `goodbye` ("tot later"). Such a message carries a question that the
answering action should rank.

At training time this step learns, from the smalltalk intents' own examples, the words smalltalk uses and
how long a smalltalk message is. A message classified as smalltalk is moved off it when

- it is longer than any smalltalk example, or names a year, or
- it goes on with the conversation ("en ...") in a word that no smalltalk example has, or
- most of its words (at least `min_unknown` of them) never occur in a smalltalk example.

The intent becomes the best intent that is not smalltalk, or `nlu_fallback`; both go to the answering
action. The smalltalk intents stay at the end of the ranking. Which intents are smalltalk: config.yml.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, FrozenSet, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
YEAR = re.compile(r"\b(19|20)\d\d\b")
FILENAME = "smalltalk.json"


def tokens_of(text: str) -> List[str]:
    return [w.lower() for w in WORD.findall(text or "")]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class SmalltalkGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"intents": [], "min_unknown": 2, "fallback_intent": "nlu_fallback"}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 vocabulary: FrozenSet[str] = frozenset(), max_words: int = 0) -> None:
        self.intents = frozenset(config.get("intents") or [])
        self.min_unknown = int(config.get("min_unknown") or 2)
        self.fallback = config.get("fallback_intent") or "nlu_fallback"
        self.vocabulary = vocabulary
        self.max_words = max_words
        self._storage, self._resource = model_storage, resource

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "SmalltalkGuard":
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "SmalltalkGuard":
        try:
            with model_storage.read_from(resource) as folder:
                learned = json.loads((folder / FILENAME).read_text(encoding="utf-8"))
        except (ValueError, OSError):
            return cls(config, model_storage, resource)  # nothing learned: the step lets every message pass
        return cls(config, model_storage, resource, frozenset(learned["vocabulary"]), int(learned["max_words"]))

    def train(self, training_data: TrainingData) -> Resource:
        vocabulary, longest = set(), 0
        for example in training_data.intent_examples:
            if example.get(INTENT) in self.intents:
                tokens = tokens_of(example.get(TEXT))
                vocabulary.update(tokens)
                longest = max(longest, len(tokens))
        self.vocabulary, self.max_words = frozenset(vocabulary), longest
        with self._storage.write_to(self._resource) as folder:
            (folder / FILENAME).write_text(json.dumps({"vocabulary": sorted(vocabulary), "max_words": longest},
                                                      ensure_ascii=False), encoding="utf-8")
        return self._resource

    def carries_a_question(self, text: str) -> bool:
        """More than smalltalk: longer than any smalltalk example, a year, or mostly words smalltalk never uses."""
        if not self.vocabulary:
            return False
        tokens = tokens_of(text)
        if len(tokens) > self.max_words or YEAR.search(text or ""):
            return True
        unknown = [w for w in tokens if w not in self.vocabulary]
        if tokens[:1] == ["en"] and any(w not in self.vocabulary for w in tokens[1:]):
            return True  # 'en een jaar later?' goes on with the conversation; 'en tot ziens' does not
        return len(unknown) >= self.min_unknown and 2 * len(unknown) > len(tokens)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            if intent.get("name") not in self.intents or not self.carries_a_question(message.get(TEXT) or ""):
                continue
            ranking = list(message.get(INTENT_RANKING_KEY) or [])
            others = [r for r in ranking if r.get("name") not in self.intents]
            best: Optional[dict] = others[0] if others and others[0].get("name") != self.fallback else None
            chosen = dict(best) if best else {"name": self.fallback, "confidence": float(intent.get("confidence") or 0.0)}
            demoted = [r for r in ranking if r.get("name") in self.intents]
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen, *[r for r in others if r.get("name") != chosen["name"]], *demoted],
                        add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
