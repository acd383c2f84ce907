"""The one answering action: every message comes here except smalltalk (data/rules/).

It gathers the evidence of the turn (the words, the NLU's intent ranking and entities, the record and
attribute the conversation was about, a place) and lets `knowledge` rank every answer unit with it.
Then one rule: answer the best unit; ask a short question with the top candidates as buttons; or say
plainly that the KB does not know and where to go. Services that need more than a unit (the nearest
IDO desk, routes to the library or a person) are asked of the topic actions, which stay the experts.
The intent decides only when no fact clearly fits better.
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answers, examples, fallback, ido, programmes, schemes, statistics
from actions.base import KBAction, Subject, entity_values, note_unanswered, say, user_text
from knowledge import ranker
from knowledge.ranker import Decision, Evidence, Unit, measured, same_answer
from knowledge.text import clean

logger = logging.getLogger(__name__)

#: The topic action that knows how to serve an intent when no answer unit is clearly better.
SERVICES = {
    "find_ido": ido.ActionFindIdo,
    "ido_opening_hours": ido.ActionIdoOpeningHours,
    "ido_membership": ido.ActionIdoMembership,
    "government_help": ido.ActionGovernmentHelp,
    "library_service": fallback.ActionLibraryService,
    "list_programmes": programmes.ActionListProgrammes,
    "list_schemes": schemes.ActionListSchemes,
    "ask_example": examples.ActionAnswerExample,
    "ask_covenant": examples.ActionAnswerCovenant,
}
#: Buttons and payloads ("/ask_cost{...}") say exactly what they want: their own action answers.
PAYLOAD_ACTIONS = {
    **SERVICES,
    "ask_what_is": programmes.ActionAnswerWhatIs,
    "ask_audience": programmes.ActionAnswerAudience,
    "ask_cost": programmes.ActionAnswerCost,
    "ask_how_to_join": programmes.ActionAnswerHowToJoin,
    "ask_scheme_amount": schemes.ActionAnswerSchemeAmount,
    "ask_scheme_dates": schemes.ActionAnswerSchemeDates,
    "ask_figure": statistics.ActionAnswerFigure,
}
#: Services that answer with a list or a picker: a question that names a record wants that record.
LISTS = ("list_programmes", "list_schemes", "ask_example")
#: Records whose units say a question is about the IDO: with a town named, the desks near it answer.
IDO_RECORDS = ("ido", "informatiepunten", "ido-landelijk")
#: Intents a follow-up about the desk of the conversation may have ('is die al open?').
DESK_INTENTS = ("find_ido", "ido_opening_hours")
#: Intents whose question is about a desk when a place is named: the IDO actions answer those.
PLACE_INTENTS = ("find_ido", "ido_opening_hours", "government_help")
#: Below this the NLU's first intent is only a guess.
SURE_INTENT = 0.5
#: How much a fact must score above the answering threshold to overrule a service intent the NLU is sure of.
SERVICE_MARGIN = 0.15
#: Words that ask for a figure (with 'hoeveel', found by `measured`).
FIGURE_CUE = re.compile(r"\b(hoeveel|aantal|aantallen|cijfers?|getal|percentage|procent|deel|aandeel|miljoen|miljard|"
                        r"duizend|how many|how much|number|\d+)\b|%")
#: Words that show a question really asks what the service does, one entry per service. A sure service intent
#: whose words are missing ('wie opende het eerste IDO?' as find_ido; 'hoeveel e-books waren er?' as
#: government_help) keeps no margin: a strong fact answers it, as an attribute the words do not show counts
#: half in the ranking.
#: Membership and price words, which both the IDO membership question and the library's own services use.
MEMBERSHIP_WORDS = r"lid\w*|abonnement\w*|pas|member\w*|kost\w*|betal\w*|prijs"
SERVICE_CUES = {
    "find_ido": re.compile(r"\b(waar|where|dichtbij|dichtstbij\w*|in de buurt|buurt|adres|vind\w*|zoek\w*|woon\w*|"
                           r"is er|zit er|heeft mijn|bij mij|bij ons|hier|near\w*|plaats)\b"),
    "ido_opening_hours": re.compile(r"\b(open\w*|dicht|tijden|hoe laat|uur|dag|dagen|(maan|dins|woens|donder|vrij|zater|zon)dag|"
                                    r"wanneer|spreekuur|afspraak|hours)\b"),
    "ido_membership": re.compile(rf"\b({MEMBERSHIP_WORDS}|gratis|geld|free|pay|iedereen|zomaar|mag|toegang)\b"),
    "government_help": re.compile(r"\b(overheid\w*|gemeente\w*|brief|brieven|post|formulier\w*|digid|toeslag\w*|"
                                  r"\w*toeslag|belasting\w*|aangifte|uwv|svb|duo|cjib|aow|pensioen|uitkering\w*|paspoort|"
                                  r"rijbewijs|id kaart|zorgverzekering|mijnoverheid|berichtenbox|ww|boete|government|tax|"
                                  r"benefits?|letters?|forms?)\b"),
    "library_service": re.compile(rf"\b({MEMBERSHIP_WORDS}|pasje\w*|\w+pas|\w+pasje\w*|open\w*|dicht|gesloten|tijden|"
                                  r"hoe laat|(maan|dins|woens|donder|vrij|zater|zon)dag|kerst\w*|feestdag\w*|vakantie|leen\w*|"
                                  r"lenen|uitlenen|verleng\w*|inlever\w*|boete\w*|reserveer\w*|reserver\w*|wifi|wachtwoord|"
                                  r"print\w*|kopie\w*|scan\w*|app|inlog\w*|opzeggen|adres|tarie\w*|card|opening|borrow\w*|fine)\b"),
    "list_programmes": re.compile(r"\b(aanbod|activiteit\w*|programma\w*|cursussen|allemaal|alles|overzicht|soorten|"
                                  r"welke (dingen|activiteiten|programma\w*|cursus\w*|lessen)|wat (is er|valt er|kan|kun|doet|doen|"
                                  r"biedt|bieden|organiseert|organiseren|heeft|hebben)|te doen|what (can|does|do)|activities|courses)\b"),
    "ask_example": re.compile(r"\b(voorbeeld\w*|praktijk\w*|examples?|andere bibliotheken|elders|ervaring\w*|inspiratie|"
                              r"hoe (doen|deden|pakt|pakken|pakte|pakten))\b"),
    "list_schemes": re.compile(r"\b(\w*regeling\w*|\w*subsidie\w*|geld|potje\w*|\w*fonds\w*|financier\w*|bekostig\w*|"
                               r"budget\w*|bedrag\w*|\w*pakket\w*|steun\w*|miljoen|miljard|aanvragen|op een rij|overzicht|"
                               r"schemes?|funding|grants?)\b"),
    "ask_covenant": re.compile(r"\b(convenant\w*|afspra\w*|afspre\w*|afgesproken|overheidslagen|rijk|provincie\w*|opgaven|"
                               r"covenant)\b"),
}
#: A clarifying question whose best candidate scores this much gives that candidate's answer, said as likely.
#: Swept on heldout + followups + the dev set: 0.42-0.54 pass the same 157 cases, with 44 down to 41 wrong.
PROBABLY_AT = 0.54
#: A clarifying question is preferred to a generic service reply when its best candidate covers this much
#: of the question's words (idf-weighted).
TELLING_LEXICAL = 0.7
#: A name found inside the text counts as named only when it is (nearly) exact: a loose match is a guess.
NAMED_SCORE = 95.0
NAMED_KINDS = ("programmes", "schemes", "examples", "organisations", "topics")


def intent_ranking(tracker: Tracker) -> Dict[str, float]:
    message = tracker.latest_message or {}
    ranking = {r.get("name"): float(r.get("confidence") or 0.0) for r in message.get("intent_ranking") or [] if r.get("name")}
    if not ranking:
        intent = message.get("intent") or {}
        if intent.get("name"):
            ranking[intent["name"]] = float(intent.get("confidence") or 0.0)
    return ranking


def named_records(tracker: Tracker, kb) -> List[str]:
    """Ids of the records this turn names: NLU entities resolved against the KB, and names in the text."""
    found: List[str] = []
    for kind in NAMED_KINDS:
        for value in entity_values(tracker, answers.ENTITY[kind]):
            match = kb.lookup(value)
            if match and match.id not in found:
                found.append(match.id)
    for match in kb.mentions(ranker.without_source_references(user_text(tracker)), limit=5):
        if match.score >= NAMED_SCORE and match.id not in found:
            found.append(match.id)
    return found


def context_of(tracker: Tracker) -> Optional[str]:
    subject = tracker.get_slot("subject")
    return subject.split(":", 1)[1] if isinstance(subject, str) and ":" in subject else None


#: `evidence_of` looks the turn's town up itself unless the caller passes what it found (None included).
LOOK_UP = object()


def evidence_of(tracker: Tracker, kb, place=LOOK_UP) -> Evidence:
    """The evidence of this turn. `place`: the town named in it (or None), when the caller has looked it up."""
    attribute, previous = tracker.get_slot("attribute"), tracker.get_slot("last_unit")
    # The town of this turn; after an answer about desks, the town of those desks ('en wat betaalt de gemeente?').
    if place is LOOK_UP:
        place, _ = ido.place_from(tracker, kb, use_slot=False)
    town = place.canonical if place is not None else (tracker.get_slot("place") if attribute == ido.DESK else None)
    evidence = Evidence(text=user_text(tracker), intents=intent_ranking(tracker), named=frozenset(named_records(tracker, kb)),
                        context=context_of(tracker), context_attribute=attribute if isinstance(attribute, str) else None,
                        previous=previous if isinstance(previous, str) else None, place=town if isinstance(town, str) else None)
    if ranker.follows_up(evidence) and ranker.is_fragment(evidence.text):
        return replace(evidence, earlier=unanswered_question(tracker))
    return evidence


#: The slots an answer leaves for a follow-up; a turn that set none of them got no answer.
THREAD_SLOTS = ("last_unit", "attribute", "subject", "place")


def unanswered_question(tracker: Tracker) -> str:
    """The message before this one, when no answer followed it (no unit was said or offered): this turn may say
    what it meant ('leden van de bibliotheek bedoel ik' after 'hoeveel waren het er in 2019?')."""
    users = [i for i, e in enumerate(tracker.events) if e.get("event") == "user"]
    if len(users) < 2:
        return ""
    before, latest = users[-2], users[-1]
    if any(e.get("event") == "slot" and e.get("name") in THREAD_SLOTS for e in tracker.events[before:latest]):
        return ""  # it was answered: a unit, a desk or a route left its thread
    text = clean(tracker.events[before].get("text") or "")
    return "" if text.startswith("/") else text


def thread(kb, unit: Unit, with_attribute: bool = True) -> List[Dict[Text, Any]]:
    """The slots a follow-up needs after this unit was said or offered: its attribute, the unit, its subject."""
    events = ([SlotSet("attribute", unit.attribute)] if with_attribute else []) + [SlotSet("last_unit", unit.key)]
    key = subject_key(kb, unit)
    return events + ([SlotSet("subject", key)] if key else [])


def subject_key(kb, unit: Unit) -> Optional[str]:
    """The record a follow-up question will be about after this unit."""
    if unit.kind in NAMED_KINDS:
        return f"{unit.kind}:{unit.ref}"
    kind = kb.kind_of(unit.about) if unit.about else None
    return f"{kind}:{unit.about}" if kind else None


class ActionAnswer(KBAction):
    def name(self) -> Text:
        return "action_answer"

    def delegate(self, action_class, dispatcher, tracker, domain) -> List[Dict[Text, Any]]:
        action = action_class()
        action.kb = self.kb  # the same KB handle (tests swap it)
        return action.answer(dispatcher, tracker, domain) or []

    def then_desks(self, action_class, decision: Decision, dispatcher, tracker, domain) -> List[Dict[Text, Any]]:
        """The desks near the town named, after the answer about the IDO's cost or audience when that was asked
        ('kost het geld als mijn oma in Hoogeveen daar hulp vraagt?')."""
        best = decision.best
        if decision.move == "answer" and best.unit.about in IDO_RECORDS and best.unit.attribute in ("cost", "audience"):
            say(dispatcher, render(self.kb(), best.unit, tracker))
        return self.delegate(action_class, dispatcher, tracker, domain)

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kb = self.kb()
        text = user_text(tracker)
        ranking = intent_ranking(tracker)
        intent = max(ranking, key=ranking.get) if ranking else None
        sure = intent is not None and ranking[intent] >= SURE_INTENT

        chosen = entity_values(tracker, "unit")
        if chosen:  # a button of a clarifying question
            unit = kb.unit(chosen[0])
            if unit is not None:
                return self.say_unit(dispatcher, tracker, kb, unit)
        if text.startswith("/") and intent in PAYLOAD_ACTIONS:
            return self.delegate(PAYLOAD_ACTIONS[intent], dispatcher, tracker, domain)

        place, _ = ido.place_from(tracker, kb, use_slot=False)  # a town named in this message
        evidence = evidence_of(tracker, kb, place)
        decision = kb.decide(evidence)
        best = decision.best
        count_asked = bool(measured(text))
        if intent in PLACE_INTENTS and sure:
            if place is not None:
                return self.then_desks(SERVICES[intent], decision, dispatcher, tracker, domain)
        logger.info("turn %r intents=%s named=%s context=%s -> %s %s", text[:80], {k: round(v, 2) for k, v in list(ranking.items())[:3]},
                    sorted(evidence.named), evidence.context, decision.move,
                    [(r.unit.key, r.score, r.lexical) for r in decision.ranked[:3]])
        other_service = sure and intent in SERVICES and intent not in DESK_INTENTS
        if place is not None and evidence.context_attribute == ido.DESK and not other_service:
            # 'en in de andere plaatsen van Súdwest-Fryslân?' after a desk: the desks of that place.
            return self.delegate(ido.ActionFindIdo, dispatcher, tracker, domain)
        if decision.move != "answer" or (best.unit.about in IDO_RECORDS and best.unit.kind != "desks"):
            # A town in a long message about DigiD, toeslagen or a letter: the desks near that town. (What the
            # source says of one desk, 'wie opende het IDO in X?', is an answer of its own.)
            if place is not None and (ido.service_named(text) or (best is not None and best.unit.about in IDO_RECORDS)):
                return self.then_desks(ido.ActionGovernmentHelp, decision, dispatcher, tracker, domain)
        # A figure is asked when the words ask for one; the figure intent alone is a guess ('waar komen de
        # bezuinigingen vandaan?' is no count, whatever the NLU thought).
        # A year is no figure asked ('volgens het document van maart 2021 ...'), and a reason is no figure.
        figure_asked = count_asked or (sure and intent == "ask_figure" and not ranker.asks_reason(text)
                                       and bool(FIGURE_CUE.search(ranker.without_year_words(text).lower())))
        # A service intent the NLU is sure of (find a desk, a route) is overruled only by a clearly better fact.
        # The intent's own support for its record (an IDO question, for the IDO) does not count here.
        cue = SERVICE_CUES.get(intent)
        # 'waarom is er een informatiepunt ...?' asks a reason: no service gives one, whatever words it shares.
        cued = cue is None or (bool(cue.search(text.lower())) and not ranker.asks_reason(text))
        margin = SERVICE_MARGIN if cued else 0.0
        overrules = (not (sure and intent in SERVICES) or best is None
                     or best.score - best.record_prior >= ranker.ANSWER_AT + margin)
        # A question that asks for a desk in the desk's own words ('is er een IDO bij mij in de buurt?') and is
        # answered about the IDO: that answer, then the search for a desk.
        own_subject = sure and cued and intent == "find_ido" and best is not None and best.unit.about in IDO_RECORDS
        if (evidence.context_attribute == ido.DESK and not evidence.named and not other_service
                and (len(text.split()) <= 6
                     or (ranker.points_back(text) and SERVICE_CUES["ido_opening_hours"].search(text.lower())))):
            # 'is die al open?', 'moet ik daarvoor een afspraak maken of op welke dag kan ik komen?' after a desk:
            # the desk of the conversation's place.
            return self.delegate(ido.ActionIdoOpeningHours, dispatcher, tracker, domain)
        if (evidence.years and best is not None and best.unit.numeric and best.unit.years
                and not evidence.years & best.unit.years and not sure_service(intent, sure)):
            # 'hoeveel ... in 2023?' and the KB has that figure for 2019 only: no figure for another year.
            return self.no_figure(dispatcher, tracker, kb, decision, years=sorted(evidence.years))
        # A question in parts states its figure in any part ('waar begon het, en met hoeveel bibliotheken?').
        states_figure = best is not None and any(r.unit.numeric for r in (best, *decision.also))
        if count_asked and best is not None and not states_figure and not sure_service(intent, sure):
            # 'hoeveel subsidie kreeg ...': a count was asked and no unit has it. Never another number instead.
            return self.no_figure(dispatcher, tracker, kb, decision)
        if decision.move == "answer" and overrules and not (figure_asked and not states_figure):
            events = self.say_unit(dispatcher, tracker, kb, best.unit)
            for more in decision.also:
                say(dispatcher, render(kb, more.unit, tracker))
            if own_subject:
                return events + self.delegate(ido.ActionFindIdo, dispatcher, tracker, domain)
            return events
        follow_up = evidence.context is not None and not evidence.named and (len(text.split()) <= 6 or ranker.points_back(text))
        # A clarifying question whose candidates explain the words of the question beats a generic reply.
        # A list asked for in the list's own words ('zet de drie regelingen op een rij') is that list, not a choice.
        asked_list = sure and intent in LISTS and cued
        telling = decision.move == "clarify" and (follow_up or not asked_list and (
            best.lexical >= TELLING_LEXICAL or (intent in LISTS and bool(evidence.named))))
        if sure and intent in SERVICES and not telling and (cued or decision.move == "unknown"):
            return self.delegate(SERVICES[intent], dispatcher, tracker, domain)
        if sure and intent == "out_of_scope" and not telling:
            return self.out_of_scope(dispatcher)
        if figure_asked and not telling:
            return self.no_figure(dispatcher, tracker, kb, decision)
        if decision.move == "clarify":
            candidates = distinct(decision)
            if best.score >= PROBABLY_AT and not best.unit.numeric and not figure_asked:
                # Likely but not sure: the likely answer, said as likely, with the others to choose from.
                # Never a figure: a number is said only when it is sure.
                say(dispatcher, answers.probably(render(kb, best.unit, tracker), candidates[1:]))
                note_unanswered(tracker)
                return thread(kb, best.unit, with_attribute=False)
            say(dispatcher, answers.clarify(candidates))
            note_unanswered(tracker)
            return []
        say(dispatcher, answers.unknown())
        note_unanswered(tracker)
        return []

    def no_figure(self, dispatcher, tracker, kb, decision: Decision, years=()) -> List[Dict[Text, Any]]:
        figures = [r.unit for r in decision.ranked if r.unit.numeric and r.unit.kind == "statistics"]
        say(dispatcher, answers.figure_unknown([kb.statistic(u.ref) for u in figures], years))
        note_unanswered(tracker)
        # The thread for a follow-up ('en vóór corona dan?'): the figure offered first.
        return thread(kb, figures[0]) if figures else []

    def out_of_scope(self, dispatcher) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(response="utter_out_of_scope")
        return []

    def say_unit(self, dispatcher, tracker, kb, unit: Unit) -> List[Dict[Text, Any]]:
        say(dispatcher, render(kb, unit, tracker))
        return thread(kb, unit)


def sure_service(intent: Optional[str], sure: bool) -> bool:
    """The NLU is sure of a desk or route question: its own action knows better than a count."""
    return sure and intent in PLACE_INTENTS + ("ido_membership", "library_service")


def distinct(decision: Decision, limit: int = 3) -> List[Unit]:
    out: List[Unit] = []
    for r in decision.ranked:
        if not any(same_answer(r.unit, u) for u in out):
            out.append(r.unit)
        if len(out) == limit:
            break
    return out


def render(kb, unit: Unit, tracker: Tracker) -> answers.Answer:
    """The B1 answer of one unit, with the wording of the topic it belongs to."""
    record = kb.unit_record(unit.kind, unit.ref)
    if unit.kind == "statistics":
        return answers.figure(record, statistics.counterpart(kb, record))
    if unit.kind == "facts":
        return answers.fact(record)
    if unit.kind == "passages":
        return answers.passage(record)
    if unit.kind == "desks":
        return answers.desk_note(record)
    subject = Subject(unit.kind, record, "unit")
    if unit.attribute == "audience":
        return answers.audience(unit.kind, record)
    if unit.attribute == "cost":
        return answers.cost(unit.kind, record)
    if unit.attribute == "join":
        return answers.how_to_join(unit.kind, record)
    if unit.attribute == "amount":
        return schemes.ActionAnswerSchemeAmount().reply(subject, tracker)
    if unit.attribute == "dates":
        return answers.scheme_dates(record)
    return answers.what_is(unit.kind, record, kb)
