"""Practice examples from the handbook (and a library's own), and the library covenant."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.base import KBAction, Subject, remember, resolve_subject, say

COVENANT = "bibliotheekconvenant"


class ActionAnswerExample(KBAction):
    def name(self) -> Text:
        return "action_answer_example"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kb = self.kb()
        subject = resolve_subject(tracker, kb, ("examples",))
        if subject is not None and subject.how != "context":
            say(dispatcher, answers.what_is("examples", subject.record, kb))
            return remember(subject)
        # An example linked to the programme named now, else a choice of all examples.
        named = resolve_subject(tracker, kb, ("programmes",))
        if named is not None and named.how != "context":
            linked = [e for e in kb.all("examples") if named.record.id in e.programmes]
            if linked:
                say(dispatcher, answers.what_is("examples", linked[0], kb))
                return remember(Subject("examples", linked[0], "mention"))
        say(dispatcher, answers.choose("Ik ken deze voorbeelden uit de praktijk. Welke wilt u lezen?", "examples",
                                       kb.all("examples"), "ask_example"))
        return []


class ActionAnswerCovenant(KBAction):
    def name(self) -> Text:
        return "action_answer_covenant"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kb = self.kb()
        topic = kb.topic(COVENANT)
        if topic is None:
            say(dispatcher, answers.not_in_kb("Informatie over het bibliotheekconvenant"))
            return []
        say(dispatcher, answers.what_is("topics", topic, kb))
        return []
