"""The figures action: the best-matching figure from the KB, or an honest 'I do not have that figure'."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.base import KBAction, entity_values, note_unanswered, resolve_subject, say, user_text
from knowledge.text import normalise

#: A figure is given only when the match is strong and covers most of what was asked.
MIN_SCORE = 2.5
MIN_COVERAGE = 0.75


def _when(stat) -> str:
    return stat.as_of or (str(stat.year) if stat.year else "") or (stat.source_date or "")


def counterpart(kb, stat) -> Optional[object]:
    """For a handbook figure, the newest later figure of the same kind (same subject, same unit), if any."""
    if stat.newer_than_document or not stat.about:
        return None
    same = [s for s in kb.statistics_about(stat.about, newer=True) if normalise(s.unit) == normalise(stat.unit)]
    return max(same, key=_when) if same else None


class ActionAnswerFigure(KBAction):
    def name(self) -> Text:
        return "action_answer_figure"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kb = self.kb()
        for ref in entity_values(tracker, "figure"):  # a button the bot offered earlier
            stat = kb.statistic(ref)
            if stat is not None:
                say(dispatcher, answers.figure(stat, counterpart(kb, stat)))
                return []
        question = user_text(tracker)
        # A place in the question: the KB has national figures only, so search without it and say so.
        place = kb.find_place(question) if any(w[:1].isupper() for w in question.split()[1:]) else None
        if place is not None:
            question = re.sub(re.escape(place.name), " ", question, flags=re.IGNORECASE)
        subject = resolve_subject(tracker, kb, ("programmes", "schemes", "examples", "topics"))
        about = subject.record.id if subject is not None and subject.how != "context" else None
        hits = kb.search_statistics(question, about=about, limit=3)
        best = hits[0] if hits else None
        if best is None or best.score < MIN_SCORE or best.coverage < MIN_COVERAGE:
            say(dispatcher, answers.figure_unknown([h.record for h in hits if h.score >= 1.0]))
            note_unanswered(tracker)
            return []
        stat = best.record
        if stat.newer_than_document:
            # Give the handbook's figure with its date first, then the newer one, as the data README asks.
            older = [h.record for h in hits if not h.record.newer_than_document and h.record.about == stat.about
                     and normalise(h.record.unit) == normalise(stat.unit)]
            if older:
                stat, newer = older[0], stat
                say(dispatcher, answers.figure(stat, newer))
                return []
        say(dispatcher, answers.figure(stat, counterpart(kb, stat), national_only=place is not None))
        return []
