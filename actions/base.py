"""What every action shares: the KB handle, reading the user's words, resolving what "it" is, safe replies.

rasa-sdk creates each action once and shares it between conversations, so nothing here keeps
per-user state: everything comes from the tracker and goes back as events.
"""
from __future__ import annotations

import logging
from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import ENTITY, Answer, apology
from knowledge.query import KnowledgeBase, default
from knowledge.text import STOPWORDS, clean, normalise

logger = logging.getLogger(__name__)

#: Entity name -> KB record kind.
KIND_OF_ENTITY = {entity: kind for kind, entity in ENTITY.items()}
#: How sure a name found inside a sentence must be before the bot acts on it.
MENTION_THRESHOLD = 88.0


@dataclass(frozen=True)
class Subject:
    kind: str
    record: Any
    how: str  # "entity", "mention" or "context"

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.record.id}"


def user_text(tracker: Tracker) -> str:
    return clean((tracker.latest_message or {}).get("text") or "")


def entity_values(tracker: Tracker, name: str) -> List[str]:
    values = []
    for ent in (tracker.latest_message or {}).get("entities") or []:
        if ent.get("entity") == name and isinstance(ent.get("value"), str):
            value = clean(ent["value"])
            if value and value not in values:
                values.append(value)
    return values


def resolve_subject(tracker: Tracker, kb: KnowledgeBase, kinds: Sequence[str]) -> Optional[Subject]:
    """The KB record this turn is about: named now (entity, or a name found in the text), else the last one."""
    for kind in kinds:
        for value in entity_values(tracker, ENTITY[kind]):
            match = kb.lookup(value, kinds=list(kinds)) or kb.lookup(value)
            if match and match.kind in kinds:
                return Subject(match.kind, kb.record(match.kind, match.id), "entity")
    for match in kb.mentions(user_text(tracker), kinds=list(kinds)):
        if match.score >= MENTION_THRESHOLD:
            return Subject(match.kind, kb.record(match.kind, match.id), "mention")
    previous = tracker.get_slot("subject")
    if isinstance(previous, str) and ":" in previous:
        kind, ref = previous.split(":", 1)
        record = kb.record(kind, ref)
        if kind in kinds and record is not None:
            return Subject(kind, record, "context")
    return None


def unresolved_names(tracker: Tracker, kinds: Sequence[str]) -> List[str]:
    """Names the NLU saw that the KB does not know: worth saying so rather than answering about 'it'.

    Short or function-word-only spans ('op', 'in de') are NLU noise, not names, and are left out.
    """
    def looks_like_a_name(value: str) -> bool:
        words = normalise(value).split()
        return len("".join(words)) >= 4 and any(w not in STOPWORDS for w in words)

    return [v for kind in kinds for v in entity_values(tracker, ENTITY[kind]) if looks_like_a_name(v)]


def say(dispatcher: CollectingDispatcher, answer: Answer) -> None:
    dispatcher.utter_message(text=answer.text, buttons=answer.buttons or None)


class KBAction(Action, metaclass=ABCMeta):
    """An action that answers from the KB. A failure becomes an apology with a route, never a traceback.

    Abstract, so rasa-sdk registers only the concrete actions (it skips abstract classes).
    """

    @abstractmethod
    def name(self) -> Text:
        """The action's name in domain.yml."""

    def kb(self) -> KnowledgeBase:
        return default()

    @abstractmethod
    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        """Say the answer and return the events."""

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        # The Rasa server masks personal data before it reaches an action, and says the warning itself (bot/rasa_server.py).
        try:
            return self.answer(dispatcher, tracker, domain) or []
        except Exception:  # the user gets an apology; the log gets the details
            logger.exception("action %s failed", self.name())
            dispatcher.messages.clear()
            say(dispatcher, apology())
            return []


@lru_cache(maxsize=1)
def _feedback_store():
    from bot.feedback import FeedbackStore  # created once per process, on first use

    return FeedbackStore()


def note_unanswered(tracker: Tracker) -> None:
    """Keep the question for the staff page ("what should we add?"); masked there. Never fails the answer."""
    text = user_text(tracker)
    if not text or text.startswith("/"):
        return
    try:
        _feedback_store().record_fallback(text)
    except Exception:  # the answer matters more than the statistic
        logger.warning("could not record an unanswered question", exc_info=True)


def remember(subject: Optional[Subject]) -> List[Dict[Text, Any]]:
    return [SlotSet("subject", subject.key)] if subject else []
