"""Actions about the national funding schemes: amounts (per part or channel), dates, the list."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.base import KBAction, Subject, say, user_text
from actions.programmes import NamedAction
from knowledge.text import terms

SCHEMES = ("schemes",)


#: Words of any amount question: they never pick a part.
AMOUNT_WORDS = frozenset(terms("via naar gaat gaan geld euro miljoen miljard bedrag budget deel potje krijgt"))


def asked_parts(scheme, question: str) -> list:
    """The parts of a scheme a question is about ('via het gemeentefonds'), by shared words."""
    own = set(terms(scheme.name)) | {t for alias in scheme.aliases for t in terms(alias)} | AMOUNT_WORDS
    asked = set(terms(question)) - own
    return [part for part in scheme.parts
            if asked & set(terms(" ".join(filter(None, [part.name, part.channel, part.purpose]))))]


def asked_channel(question: str) -> Optional[str]:
    """A money channel named in the question that no part may have ('via de provincie')."""
    words = question.lower().split()
    for marker in ("via", "naar"):
        if marker in words:
            rest = words[words.index(marker) + 1:]
            rest = [w for w in rest if w not in ("de", "het", "een")]
            if rest:
                return rest[0].strip("?.!,")
    return None


class ActionAnswerSchemeAmount(NamedAction):
    kinds = SCHEMES

    def name(self) -> Text:
        return "action_answer_scheme_amount"

    def reply(self, subject: Subject, tracker: Tracker) -> answers.Answer:
        question = user_text(tracker)
        parts = asked_parts(subject.record, question)
        channel = asked_channel(question)
        if not parts and channel and subject.record.parts and channel not in subject.record.name.lower():
            return answers.part_unknown(subject.record, channel)
        # One part asked: that part; more ('via het gemeentefonds, en hoeveel voor leefstijl?'): every part.
        return answers.scheme_amount(subject.record, parts[0] if len(parts) == 1 else None)


class ActionAnswerSchemeDates(NamedAction):
    kinds = SCHEMES

    def name(self) -> Text:
        return "action_answer_scheme_dates"

    def reply(self, subject: Subject, tracker: Tracker) -> answers.Answer:
        return answers.scheme_dates(subject.record)


class ActionListSchemes(KBAction):
    def name(self) -> Text:
        return "action_list_schemes"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        say(dispatcher, answers.scheme_list(self.kb().all("schemes")))
        return []
