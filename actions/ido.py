"""IDO desks: the nearest desk to a place, opening information, membership, and routing government questions."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import answers
from actions.base import KBAction, entity_values, say, user_text
from knowledge.text import normalise, terms

IDO = "ido"
#: The `attribute` slot after an answer about desks: a follow-up ('is die al open?') is about that desk.
DESK = "desk"
#: Government services people name, and how the answer names them back (wording, not facts).
SERVICES = {
    "digid": "DigiD", "toeslag": "toeslagen", "huurtoeslag": "huurtoeslag", "zorgtoeslag": "zorgtoeslag",
    "kinderopvangtoeslag": "kinderopvangtoeslag", "uwv": "het UWV", "ww": "een WW-uitkering",
    "belasting": "belastingen", "aangifte": "uw belastingaangifte", "belastingdienst": "de Belastingdienst",
    "mijnoverheid": "MijnOverheid", "berichtenbox": "de Berichtenbox", "duo": "DUO", "studiefinanciering": "studiefinanciering",
    "cjib": "een boete van het CJIB", "boete": "een boete", "aow": "uw AOW", "svb": "de SVB", "pensioen": "uw pensioen",
    "paspoort": "uw paspoort", "id kaart": "uw ID-kaart", "rijbewijs": "uw rijbewijs", "zorgverzekering": "uw zorgverzekering",
}


def website(kb) -> str:
    ido = kb.programme(IDO)
    link = next(iter(ido.links), "") if ido is not None else ""
    host = answers.site(link)
    return f"www.{host}" if host and not host.startswith("www.") else host


def place_from(tracker: Tracker, kb, use_slot: bool = True) -> Tuple[Optional[object], Optional[str]]:
    """(place, what the user typed). Place is None when a name was given that the gazetteer does not know."""
    named = entity_values(tracker, "place")
    text = user_text(tracker)
    found = [(kb.find_place(value), value) for value in named] + [(kb.find_place(text), text)]
    found = [(place, typed) for place, typed in found if place is not None]
    # 'mijn vader woont in Dussen en ik in Amsterdam': the place with a desk of its own (open or not) first.
    with_desk = [(place, typed) for place, typed in found if kb.ido_desks(place.canonical, include_discontinued=True)]
    if with_desk or found:
        return (with_desk or found)[0]
    if named:
        return None, named[0]
    if looks_like_a_place(text):
        return None, text
    previous = tracker.get_slot("place")
    if use_slot and isinstance(previous, str) and previous:
        return kb.find_place(previous), None
    return None, None


#: Words that make a short message a request, not a place name ('ido', 'hulp nodig').
REQUEST_WORDS = {"ido", "idos", "informatiepunt", "hulp", "loket", "help", "waar", "where", "zoek", "overheid", "open",
                 "ja", "nee", "graag", "hoi", "hallo"}


#: Question words: 'en wanneer?' after a desk asks when it is open, it names no place.
QUESTION_WORDS = {"wanneer", "hoe", "hoelaat", "wat", "wie", "waarom", "hoeveel", "welke", "welk", "dicht", "kost", "kosten",
                  "gratis", "lid", "when", "how", "what", "who", "why"}


def looks_like_a_place(text: str) -> bool:
    """A message of one or two words that asks nothing, such as 'Atlantis' after 'In welke plaats woont u?'."""
    words = normalise(text).split()
    if words[:1] == ["en"]:
        words = words[1:]  # 'en Atlantis?' goes on with the conversation; the rest is what may be a place
    return 0 < len(words) <= 2 and not (REQUEST_WORDS | QUESTION_WORDS).intersection(words)


def place_or_reply(tracker: Tracker, kb, use_slot: bool = True) -> Tuple[Optional[object], Optional[answers.Answer]]:
    """The place to search from, or the reply when there is none: 'unknown place' or 'which place?'."""
    place, typed = place_from(tracker, kb, use_slot=use_slot)
    if place is not None:
        return place, None
    return None, answers.place_unknown(typed, website(kb)) if typed else answers.ask_place()


def service_named(text: str) -> str:
    words = f" {normalise(text)} "
    for key, label in SERVICES.items():
        if f" {key} " in words or (len(key) > 4 and key in words.replace(" ", "")):
            return label
    return ""


def asked_of(desk, text: str) -> str:
    """The parts of a desk's note (split at ';') that share a word with the question, beyond the desk's place
    and the IDO's name: 'de bieb is verhuisd, waar zit het nu?' gets 'bieb sinds 2023 in De Hazelaar'."""
    own = set(terms(f"{desk.place} {desk.municipality or ''} informatiepunt digitale overheid ido"))
    asked = set(terms(text)) - own
    return "; ".join(c.strip() for c in (desk.note or "").split(";") if asked & set(terms(c)))


#: Ways of asking for a desk's contact details, and how the answer names what was asked (wording, not facts).
#: Only words that ask for the detail itself: 'telefoon' or 'email' alone is often what someone wants help with.
CONTACT = {"telefoonnummer": "het telefoonnummer", "telnr": "het telefoonnummer", "phone number": "het telefoonnummer",
           "mailadres": "het e-mailadres", "emailadres": "het e-mailadres", "email address": "het e-mailadres",
           "adres": "het adres", "huisnummer": "het adres", "straat": "het adres", "address": "het adres"}
#: 'ben ik daar aan het juiste adres?' asks whether the desk helps, not where it is.
IDIOM = re.compile(r"\b(juiste|goede|verkeerde|right) (adres|address)\b")


def contact_asked(text: str) -> str:
    """What contact detail a question asks for ('wat is het telefoonnummer van ...'), or ''."""
    said = f" {normalise(text)} "
    if IDIOM.search(said):
        return ""
    return next((label for key, label in CONTACT.items() if f" {key} " in said), "")


def nearby_answer(kb, place, text: str = "") -> answers.Answer:
    near = kb.nearest_ido(place.canonical, limit=3)
    if not near.desks:
        return answers.place_unknown(place.canonical, website(kb))
    stopped = [d for d in kb.ido_desks(place.canonical, include_discontinued=True) if d.status == "vervallen"]
    return answers.ido_nearby(near.place, near.desks, website(kb), stopped, asked_of(near.desks[0][0], text),
                              contact_asked(text))


class ActionFindIdo(KBAction):
    def name(self) -> Text:
        return "action_find_ido"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kb = self.kb()
        # "ik zoek een IDO" asks afresh; a bare place or a follow-up may use the place named before.
        place, reply = place_or_reply(tracker, kb, use_slot=tracker.get_intent_of_latest_message() != "find_ido")
        if place is None:
            say(dispatcher, reply)
            return []
        say(dispatcher, nearby_answer(kb, place, user_text(tracker)))
        return [SlotSet("place", place.canonical), SlotSet("subject", f"programmes:{IDO}"), SlotSet("attribute", DESK)]


class ActionIdoOpeningHours(KBAction):
    def name(self) -> Text:
        return "action_ido_opening_hours"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kb = self.kb()
        place, reply = place_or_reply(tracker, kb)
        if place is None:
            say(dispatcher, reply)
            return []
        if any(d.status == "vervallen" for d in kb.ido_desks(place.canonical, include_discontinued=True)):
            say(dispatcher, nearby_answer(kb, place))  # says the desk stopped, and offers one that is open
            return [SlotSet("place", place.canonical), SlotSet("attribute", DESK)]
        near = kb.nearest_ido(place.canonical, limit=1)
        if not near.desks:
            say(dispatcher, answers.place_unknown(place.canonical, website(kb)))
            return []
        desk, km = near.desks[0]
        say(dispatcher, answers.ido_hours(desk, km, place))
        return [SlotSet("place", place.canonical), SlotSet("attribute", DESK)]


class ActionIdoMembership(KBAction):
    def name(self) -> Text:
        return "action_ido_membership"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        say(dispatcher, answers.ido_membership(self.kb().programme(IDO)))
        return []


class ActionGovernmentHelp(KBAction):
    def name(self) -> Text:
        return "action_government_help"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        kb = self.kb()
        ido = kb.programme(IDO)
        if ido is None:
            say(dispatcher, answers.not_in_kb("Waar u hulp krijgt"))
            return []
        place, _ = place_from(tracker, kb, use_slot=False)
        nearest = nearby_answer(kb, place, user_text(tracker)) if place is not None else None
        say(dispatcher, answers.government_route(ido, service_named(user_text(tracker)), nearest))
        return [SlotSet("place", place.canonical), SlotSet("attribute", DESK)] if place is not None else []
