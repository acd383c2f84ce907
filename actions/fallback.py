"""When the bot is unsure: say so, offer the closest KB matches or a handbook passage, and a route to a person.

Also the route for practical questions about one's own library, which the KB cannot answer.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.base import KBAction, Subject, note_unanswered, remember, say, user_text

#: A name this sure, and only one, is what the user asks about even when the intent is unclear.
RESCUE_SCORE = 95.0
#: A passage is shown only when it clearly fits the question.
PASSAGE_MIN_SCORE = 4.0
PASSAGE_MIN_COVERAGE = 0.6
MATCH_MIN_SCORE = 75.0


class ActionDefaultFallback(KBAction):
    def name(self) -> Text:
        return "action_default_fallback"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kb = self.kb()
        text = user_text(tracker)
        matches = [m for m in kb.mentions(text, limit=3) if m.score >= MATCH_MIN_SCORE] if text else []
        sure = [m for m in matches if m.score >= RESCUE_SCORE]
        if len(sure) == 1 and len(text.split()) <= 6:
            # "Wat is het Jeugdpakket?" with an unsure intent: the name is clear, so explain that record.
            subject = Subject(sure[0].kind, kb.record(sure[0].kind, sure[0].id), "mention")
            say(dispatcher, answers.what_is(subject.kind, subject.record, kb))
            return remember(subject)
        passages = kb.search_passages(text, limit=1) if text else []
        passage = None
        if passages and passages[0].score >= PASSAGE_MIN_SCORE and passages[0].coverage >= PASSAGE_MIN_COVERAGE:
            passage = passages[0].record
        say(dispatcher, answers.unsure(matches, passage))
        note_unanswered(tracker)
        return []


class ActionLibraryService(KBAction):
    def name(self) -> Text:
        return "action_library_service"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        say(dispatcher, answers.library_route())
        return []
