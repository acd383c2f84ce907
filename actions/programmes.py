"""Actions about named things: what is it, who is it for, what does it cost, how to take part; and the list."""
from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.base import KBAction, Subject, note_unanswered, remember, resolve_subject, say, unresolved_names, user_text

ALL_KINDS = ("programmes", "schemes", "examples", "organisations", "topics")
TAKE_PART_KINDS = ("programmes", "schemes", "examples")


def subject_or_reply(action: KBAction, tracker: Tracker, kinds: Sequence[str]) -> Tuple[Optional[Subject], Optional[answers.Answer]]:
    """The record asked about, or the reply to give when there is none (unknown name, or nothing named yet)."""
    kb = action.kb()
    subject = resolve_subject(tracker, kb, kinds)
    unknown = unresolved_names(tracker, kinds)
    if subject is not None and not (subject.how == "context" and unknown):
        return subject, None
    if unknown:
        close = [m for m in kb.find(unknown[0], kinds=list(kinds), limit=3) if m.score >= 60]
        if close:
            return None, answers.Answer([f"'{unknown[0]}' ken ik niet.", "Bedoelt u een van deze?"],
                                        [answers.record_button(m.name, "ask_what_is", m.kind, m) for m in close])
        return None, answers.not_in_kb(f"'{unknown[0]}' ken ik niet. Wat u zoekt")
    intent = tracker.get_intent_of_latest_message() or "ask_what_is"
    if tuple(kinds) == ("schemes",):
        return None, answers.choose("Over welke regeling gaat het?", "schemes", kb.all("schemes"), intent)
    return None, answers.choose("Waar gaat uw vraag over? Kies een onderwerp.", "programmes", _popular(kb), intent)


def _popular(kb) -> List:
    # Top-level programmes (not parts of another), the ones people ask about first.
    return [p for p in kb.all("programmes") if not p.part_of][:6]


class NamedAction(KBAction):
    """Answers about the one record a question names (or the conversation is about); else asks which."""

    kinds: Sequence[str] = ALL_KINDS

    @abstractmethod
    def reply(self, subject: Subject, tracker: Tracker) -> answers.Answer:
        """The answer about the resolved record."""

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        subject, reply = subject_or_reply(self, tracker, self.kinds)
        if subject is None:
            say(dispatcher, reply)
            if "ken ik niet" in reply.text:
                note_unanswered(tracker)
            return []
        say(dispatcher, self.reply(subject, tracker))
        return remember(subject)


class ActionAnswerWhatIs(NamedAction):
    def name(self) -> Text:
        return "action_answer_what_is"

    def reply(self, subject: Subject, tracker: Tracker) -> answers.Answer:
        return answers.what_is(subject.kind, subject.record, self.kb())


class ActionAnswerAudience(NamedAction):
    kinds = TAKE_PART_KINDS

    def name(self) -> Text:
        return "action_answer_audience"

    def reply(self, subject: Subject, tracker: Tracker) -> answers.Answer:
        return answers.audience(subject.kind, subject.record)


class ActionAnswerCost(NamedAction):
    kinds = TAKE_PART_KINDS

    def name(self) -> Text:
        return "action_answer_cost"

    def reply(self, subject: Subject, tracker: Tracker) -> answers.Answer:
        return answers.cost(subject.kind, subject.record)


class ActionAnswerHowToJoin(NamedAction):
    kinds = TAKE_PART_KINDS

    def name(self) -> Text:
        return "action_answer_how_to_join"

    def reply(self, subject: Subject, tracker: Tracker) -> answers.Answer:
        return answers.how_to_join(subject.kind, subject.record)


class ActionListProgrammes(KBAction):
    def name(self) -> Text:
        return "action_list_programmes"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kb = self.kb()
        hits = [h.record for h in kb.search_programmes(user_text(tracker), limit=6) if h.score >= 1.0]
        say(dispatcher, answers.programme_list(hits, matched=True) if hits else answers.programme_list(_popular(kb)))
        return []
