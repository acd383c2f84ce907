"""The one answering action and the ranking under it, against a real KB.

The NLU is given here (intent and confidence), so each test shows one mechanism: a need finds its
programme, a fact in prose is reachable, a name the KB does not know is not answered about, a figure
for another subject is not given, follow-ups keep the thread, a weak match asks instead of guessing.
The phrasings are our own, not those of the evaluation sets.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Optional, Sequence, Tuple

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import knowledge.query
from actions import answer
from knowledge.ranker import W_CONTEXT, Evidence, figures_in, follows_up, measured, parts_of, split_compound, without_source_references


@pytest.fixture(autouse=True)
def use_test_kb(kb, monkeypatch, tmp_path):
    monkeypatch.setattr(knowledge.query, "_default", kb)
    from actions import base
    from bot.feedback import FeedbackStore

    store = FeedbackStore(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    monkeypatch.setattr(base, "_feedback_store", lambda: store)


def ask(text: str, intent: str = "nlu_fallback", confidence: float = 0.9, entities: Sequence[Tuple[str, str]] = (),
        slots: Optional[dict] = None):
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence},
              "intent_ranking": [{"name": intent, "confidence": confidence}],
              "entities": [{"entity": e, "value": v} for e, v in entities]}
    tracker = Tracker("test", slots or {}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = answer.ActionAnswer().run(dispatcher, tracker, {})
    text_out = "\n".join((m.get("text") or m.get("response") or "") + "".join(f"\n[{b['title']}]" for b in m.get("buttons") or [])
                         for m in dispatcher.messages)
    return text_out, events, dispatcher.messages


def slot(events, name):
    return next((e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name), None)


# -- the ranking's own parts ----------------------------------------------------------------------
def test_compounds_split_against_known_words():
    assert split_compound("bibliotheekabonnement", {"bibliotheek", "abonnement"}) == ["bibliotheek", "abonnement"]
    assert split_compound("werkplekkentelling", {"werkplek", "telling"}) == []  # 'werkplekken' is not 'werkplek'
    assert split_compound("onbekendwoord", {"bibliotheek"}) == []


def test_a_year_does_not_make_a_follow_up_long():
    """'... in 2023' is its own evidence: four words and a year still lean on the conversation."""
    assert follows_up(Evidence("en waar komt het geld voor de bibliotheken vandaan in 2023"))
    assert not follows_up(Evidence("en waar komt het geld voor de bibliotheken en scholen vandaan in 2023"))


def test_what_a_count_question_counts():
    assert measured("hoeveel bezoekers hadden de IDO's") and not measured("wat is boekstart")
    assert measured("hoeveel procent van de scholen") == frozenset()


def test_a_question_with_a_word_the_kb_does_not_know_is_not_a_match(kb):
    known = kb.decide(Evidence("op hoeveel plekken was er walk and talk"))
    invented = kb.decide(Evidence("op hoeveel plekken was er de Zwoegelbrug"))
    assert known.best.lexical > invented.best.lexical


def test_a_question_in_parts_is_cut_at_each_new_question():
    assert parts_of("Waar staat het, wanneer ging het open, en met hoeveel mensen begon het?") == [
        "Waar staat het", "wanneer ging het open", "en met hoeveel mensen begon het"]
    assert parts_of("Wat kost het? En voor wie is het?") == ["Wat kost het", "En voor wie is het"]
    assert parts_of("hoeveel leden, en over welke thema's gaat het?") == ["hoeveel leden", "en over welke thema's gaat het"]
    # one question, however many commas: 'en' without a question word, a short tail, a story
    assert parts_of("wat is boekstart, en kost het geld?") == ["wat is boekstart, en kost het geld?"]
    assert parts_of("ik woon in Ede, hoe?") == ["ik woon in Ede, hoe?"]
    assert len(parts_of("a, wie is dat dan, b, wie is dat dan, c, wie is dat dan, d, wie is dat dan")) == 1


def test_a_date_is_no_figure_unless_dates_are_asked_for():
    assert figures_in("Op 1 juli 2019 begonnen 15 bibliotheken") == {"15"}
    assert figures_in("Op 1 juli 2019 begonnen 15 bibliotheken", years=True) == {"1", "2019", "15"}
    assert figures_in("1 miljoen en 3 procent, 98%") == {"1e+06", "3", "98%"}
    assert figures_in("${jndi:ldap://127.0.0.1/a} 1,2,3 en 12") == {"12"}  # an address or a list is no figure


def test_a_number_written_as_a_word_finds_the_fact_that_states_it(kb):
    decision = kb.decide(Evidence("welke bibliotheek kreeg het informatiepunt met nummer tweehonderd?"))
    assert [r.unit.key for r in decision.ranked[:2]] == ["statistics:ido-200ste-oegstgeest", "facts:fact-ido-200ste-oegstgeest"]


def test_a_need_said_inside_a_longer_story_finds_its_programme(kb):
    """'ik lees en schrijf slecht' is one of the Taalhuis's needs; here it is inside a story about someone else."""
    evidence = Evidence("mijn oma leest en schrijft slecht, wat kan de bieb voor haar doen?")
    ranked = kb.decide(evidence).ranked
    assert [r.unit.ref for r in ranked[:2]] == ["taalhuis", "taalhuis"]
    ranker = kb._snap().ranker
    asked = frozenset(t for alts, _, _ in ranker.query_terms(evidence.text) for t in alts)
    matches = {u.key: ranker.phrase_match(i, asked) for i, u in enumerate(ranker.units)}
    assert matches["programmes:taalhuis#what"] == 1.0 and matches["programmes:boekstart#what"] < 0.1


def test_a_reference_to_the_handbook_is_not_what_the_question_is_about(kb):
    assert without_source_references("wat zegt het volgens de handreiking, in het handboek of volgens jullie?").split() == [
        "wat", "zegt", "het", ",", "of", "?"]
    assert "handreiking" in without_source_references("op welk rapport is deze handreiking gebaseerd?")  # here it is the subject
    decision = kb.decide(Evidence("welke rol heeft de bibliotheek volgens het handboek bij digitale inclusie?"))
    assert not any("handboek" in r.unit.key for r in decision.ranked[:3]), decision.ranked[:3]


def test_a_need_past_the_indexed_part_of_a_long_text_still_finds_its_unit():
    """A unit's text is indexed up to 500 characters; its needs are indexed whole beside it, each word once."""
    from knowledge.ranker import Ranker, Unit
    units = [Unit("programmes:x#what", "programmes", "x", "what", "x", "X"), Unit("programmes:y#what", "programmes", "y", "what", "y", "Y")]
    long_text = "bibliotheek boeken " * 30 + "zwemles"
    ranker = Ranker(units, [long_text, "bibliotheek en boeken"], ["", ""], [["zwemles voor volwassenen", "zwemles 's avonds"], []])
    from knowledge.text import term
    assert ranker.docs[0][term("zwemles")] == ranker.docs[0][term("volwassenen")] == 0.5  # once, though two needs say it
    ranked = ranker.rank(Evidence("waar vind ik zwemles voor volwassenen in de bibliotheek"))
    assert ranked[0].unit.ref == "x"
    asked = frozenset(t for alts, _, _ in ranker.query_terms("zwemles voor volwassenen in de bibliotheek") for t in alts)
    assert ranker.phrase_match(0, asked) > 0 and ranker.phrase_match(1, asked) == 0


def test_a_named_record_is_not_found_by_its_needs(kb):
    """Once a question names Walk & Talk, the words of its needs ('solliciteren') no longer speak for its own
    units: they are found by their own text, and a fact about it that has the words can come first."""
    ranker = kb._snap().ranker
    query = ranker.query_terms("telt walk and talk mee voor mijn sollicitatieplicht bij het uwv")
    what = next(i for i, u in enumerate(ranker.units) if u.key == "programmes:walk-and-talk#what")
    assert ranker.said_only[what], "the programme's needs have words its text lacks"
    plain, _ = ranker.lexical(query)
    named, _ = ranker.lexical(query, frozenset({"walk-and-talk"}))
    assert named.get(what, 0.0) < plain[what]
    others = [i for i in plain if ranker.units[i].about != "walk-and-talk"]
    assert all(named.get(i) == plain[i] for i in others)


# -- the action -----------------------------------------------------------------------------------
def test_a_described_need_finds_the_programme(kb):
    text, events, _ = ask("ik heb nog nooit met een computer gewerkt en wil dat graag leren")
    assert re.search(r"klik\s*&\s*tik|digisterker|digivaardigheid|cursus", text, re.I), text


def test_a_fact_in_prose_is_reachable(kb):
    text, events, _ = ask("wie beslist er mee over de besteding van het leefstijlgeld uit het jeugdpakket")
    assert "gemeenteraad" in text and "Bron:" in text
    assert slot(events, "subject") == "schemes:jeugdpakket"


def test_the_answer_is_said_with_its_events(kb):
    """The whole list of events: what a follow-up needs, and nothing else."""
    text, events, messages = ask("wie startten in 2019 het project digitale inclusie", intent="ask_what_is", confidence=0.7)
    assert len(messages) == 1 and "Manifestgroep" in text
    unit = slot(events, "last_unit")
    assert unit and unit.startswith(("facts:", "programmes:"))
    assert events == [SlotSet("attribute", slot(events, "attribute")), SlotSet("last_unit", unit),
                      SlotSet("subject", slot(events, "subject"))]


def test_a_name_the_kb_does_not_know_gets_no_answer_about_it(kb):
    text, _, _ = ask("hoe meld ik me aan voor de Zwoegelbrug-leesclub voor grootouders", intent="ask_how_to_join", confidence=0.8)
    assert re.search(r"weet ik niet|niet precies|staat niet|vraag", text, re.I), text
    assert "Zwoegelbrug" not in text


def test_a_figure_for_another_subject_is_not_given(kb):
    """The KB counts Walk & Talk participants, not Taalcafé visitors: asked for the second, no number."""
    text, _, _ = ask("hoeveel bezoekers had het taalcafé in 2019", intent="ask_figure", entities=[("programme", "taalcafé")])
    assert not re.search(r"\b20[.,]?000\b|20 duizend", text), text


def test_a_follow_up_without_words_uses_the_subject(kb):
    text, events, _ = ask("en voor wie is dat?", intent="ask_audience", slots={"subject": "programmes:walk-and-talk"})
    assert "Walk & Talk" in text and "werkzoekend" in text.lower()
    assert slot(events, "attribute") == "audience"


def test_a_follow_up_with_a_year_gives_the_same_figure_for_that_year(kb):
    text, _, _ = ask("en in 2020?", intent="ask_figure", confidence=0.6,
                     slots={"subject": "programmes:ido", "attribute": "figure", "last_unit": "statistics:ido-locaties-2019"})
    assert re.search(r"\b73\b", text), text


def test_en_with_something_else_after_a_figure_asks_the_same_kind_of_thing(kb):
    """'en computers?' after a figure: the figures that have the new word weigh as the same kind of answer."""
    ranker = kb._snap().ranker

    def scores(text):
        evidence = Evidence(text, context="studieplekken", context_attribute="figure", previous="statistics:studieplekken-2019")
        return {r.unit.key: r.score for r in ranker.rank(evidence, limit=len(ranker.units))}

    goes_on, alone = scores("en computers?"), scores("computers?")
    assert goes_on["statistics:computers-2019"] - alone["statistics:computers-2019"] == pytest.approx(W_CONTEXT / 2)
    assert goes_on["programmes:studieplekken#what"] == alone["programmes:studieplekken#what"]  # no figure


@pytest.mark.parametrize("intent", ["out_of_scope", "nlu_fallback", "ask_figure"])
def test_a_year_the_kb_has_no_figure_for_gets_no_other_figure(kb, intent):
    """'en in 2022?' after the members of 2019: the KB has no members figure for 2022, so it says so."""
    slots = {"subject": "topics:rol-bibliotheek", "attribute": "figure", "last_unit": "statistics:leden-2019"}
    text, events, _ = ask("en in 2022?", intent=intent, confidence=0.6, slots=slots)
    assert text.startswith("Dat cijfer heb ik niet voor 2022"), text
    assert not re.search(r"\d+[,.]\d\s*miljoen", text), text
    assert slot(events, "last_unit") == "statistics:leden-2019"  # the thread stays on the figure offered


def test_a_passage_has_the_years_its_text_states(kb):
    """A passage that says 'In 2019 reisden bezoekers ...' is about 2019: a question for 2022 is not answered by it,
    and the figure of 2019 is offered with its year instead."""
    text, events, _ = ask("hoe ver moesten de mensen in 2022 gemiddeld reizen naar hun bibliotheek?")
    assert text.startswith("Dat cijfer heb ik niet voor 2022"), text
    assert slot(events, "last_unit") == "statistics:reisafstand-2019"
    assert 2019 in kb._snap().ranker.by_key["passages:passage-rol-samenleving"].years


def test_hoe_ver_asks_for_a_measure_as_hoeveel_does(kb, monkeypatch):
    """'hoe ver', 'hoe vaak', 'hoe lang' ask for a number: a unit that states one weighs as for 'hoeveel'."""
    import knowledge.ranker as ranker
    from knowledge.ranker import W_QUESTION_WORD

    def scores():
        ranked = kb._snap().ranker.rank(Evidence("hoe ver reisden de bezoekers gemiddeld naar de bibliotheek"))
        return {r.unit.key: r.score for r in ranked}

    with_measure = scores()
    monkeypatch.setattr(ranker, "HOW_MUCH", re.compile(r"(?!)"))
    without = scores()
    key = "statistics:reisafstand-2019"
    assert with_measure[key] - without[key] == pytest.approx(W_QUESTION_WORD)
    assert with_measure["passages:passage-rol-samenleving"] == without["passages:passage-rol-samenleving"]


def _tracker_after(earlier: str, text: str, between=()) -> Tracker:
    """The tracker the server sends: the earlier message, what the actions set after it, and this message."""
    latest = {"text": text, "intent": {"name": "nlu_fallback", "confidence": 0.4}, "entities": []}
    events = [{"event": "user", "text": earlier}, *between, {"event": "user", "text": text}]
    return Tracker("test", {}, latest, events, False, None, {}, "action_listen")


def test_a_fragment_after_an_unanswered_question_completes_it(kb):
    """'leden van de bibliotheek bedoel ik' after 'hoeveel waren het er in 2019?' got no answer: both are one question."""
    tracker = _tracker_after("hoeveel waren het er in 2019?", "leden van de bibliotheek bedoel ik")
    evidence = answer.evidence_of(tracker, kb)
    assert evidence.earlier == "hoeveel waren het er in 2019?" and evidence.years == {2019}
    members = {"statistics:leden-2019", "facts:fact-2019-leden"}  # both state the 3,6 miljoen leden of 2019
    assert kb.decide(evidence).best.unit.key in members
    assert kb.decide(replace(evidence, earlier="")).best.unit.key not in members


@pytest.mark.parametrize("text, between", [
    ("leden van de bibliotheek bedoel ik", [{"event": "slot", "name": "last_unit", "value": "facts:fact-2019-leden"}]),
    ("hoeveel leden van de bibliotheek bedoel ik", []),   # a question of its own
])
def test_an_answered_question_or_a_question_of_its_own_is_not_completed(kb, text, between):
    assert answer.evidence_of(_tracker_after("hoeveel waren het er in 2019?", text, between), kb).earlier == ""


def test_a_chosen_button_answers_that_unit(kb):
    text, events, _ = ask('/ask_what_is{"unit": "facts:fact-walk-talk-uwv"}', intent="ask_what_is", confidence=1.0,
                          entities=[("unit", "facts:fact-walk-talk-uwv")])
    assert "UWV" in text and slot(events, "last_unit") == "facts:fact-walk-talk-uwv"


def test_a_place_with_a_government_question_gets_the_desks(kb):
    text, _, _ = ask("mijn tante in harlingen snapt niks van haar toeslagen, kan ze ergens heen", intent="government_help")
    assert "Harlingen" in text


def test_out_of_scope_without_a_fitting_fact_says_so(kb):
    _, _, messages = ask("hoe laat speelt ajax zondag", intent="out_of_scope", confidence=0.95)
    assert messages[0].get("response") == "utter_out_of_scope"


def test_a_follow_up_about_the_desk_of_the_conversation(kb):
    text, _, _ = ask("en is dat al open?", intent="nlu_fallback", confidence=0.4,
                     slots={"subject": "programmes:ido", "attribute": "desk", "place": "Bleskensgraaf"})
    assert "Bleskensgraaf" in text and "aangekondigd" in text


def test_a_long_follow_up_that_points_back_and_asks_hours_gets_the_desks_hours(kb):
    """'moet ik daarvoor een afspraak maken ...?' after the desk of Kaatsheuvel: its opening information."""
    text, _, _ = ask("moet ik daarvoor een afspraak maken of op welke dagen kan ik er terecht?", intent="nlu_fallback",
                     confidence=0.4, slots={"subject": "programmes:ido", "attribute": "desk", "place": "Kaatsheuvel"})
    assert text.startswith("Het IDO in Kaatsheuvel: ma t/m vr 14.00-17.00"), text


def test_a_year_or_a_reason_in_a_figure_question_is_no_figure_asked(kb):
    """Classified as a figure question, 'van maart 2021 ... waardoor?' asks a reason: the fact, not 'Dat cijfer heb ik niet'."""
    text, _, _ = ask("Volgens de handreiking van maart 2021: waardoor komen bezuinigingen op bibliotheken meestal?",
                     intent="ask_figure", confidence=0.9)
    assert "jeugdzorg" in text and "Dat cijfer heb ik niet" not in text, text


def test_a_list_asked_for_in_its_own_words_is_the_list(kb):
    """Facts that say 'de handreiking noemt drie regelingen' fit the words well; the list with the amounts answers."""
    text, _, _ = ask("welke drie regelingen noemt het handboek? zet ze op een rij", intent="list_schemes", confidence=0.9)
    assert text.startswith("Ik ken 3 regelingen") and "58,5 miljoen" in text and "8,5 miljard" in text, text


def test_a_question_in_two_parts_gets_both_parts(kb):
    text, _, messages = ask("hoeveel leden hadden de bibliotheken in 2019, en hoeveel e-books waren er?", intent="ask_figure")
    assert len(messages) == 2 and "3,6 miljoen" in text and "28" in text


def test_a_question_in_three_parts_gets_each_part(kb):
    text, _, messages = ask("Hoeveel leden hadden de bibliotheken in 2019, hoeveel e-books waren er, en hoeveel bezoeken?",
                            intent="ask_figure")
    assert len(messages) == 3 and "3,6 miljoen" in text and "28" in text and "62,9 miljoen" in text, text


def test_a_later_part_leans_on_what_the_first_part_was_answered_about(kb, monkeypatch):
    """The name in the question ('informatiepunten', a programme of its own) was answered about the IDO: the
    later part is asked about the IDO, not about that programme. A name the first answer is about stays."""
    ranker = kb._snap().ranker
    asked = {}
    decide = type(ranker)._decide
    monkeypatch.setattr(type(ranker), "_decide",
                        lambda self, evidence, limit: asked.setdefault(evidence.text, evidence) and decide(self, evidence, limit))
    ido = ranker.decide(Evidence("sinds 2023: wie heeft de regie over de informatiepunten, en van wie krijgen de bibliotheken het geld?",
                                 named=frozenset({"informatiepunten"})))
    later = next(e for text, e in asked.items() if text.startswith("en van wie"))
    assert later.named == frozenset() and later.context == "ido", later
    said = [r.unit.key for r in (ido.best, *ido.also)]
    assert said == ["facts:fact-ido-gemeenten-regie-2023", "facts:fact-ido-financiering-specifieke-uitkering-bzk"], said
    walk = ranker.decide(Evidence("Hoeveel mensen kwamen in 2019 naar Walk & Talk, en op hoeveel locaties was het?",
                                  named=frozenset({"walk-and-talk"})))
    later = next(e for text, e in asked.items() if text.startswith("en op hoeveel"))
    assert later.named == frozenset({"walk-and-talk"}), later
    assert [r.unit.key for r in walk.also] == ["statistics:walk-and-talk-locaties-2019"], walk.also


def test_a_part_without_words_of_its_own_adds_nothing(kb, monkeypatch):
    """'..., waar was dat, ...': nothing new to look for, so no unit is picked for it (all would tie)."""
    ranker = kb._snap().ranker
    asked = []
    decide = type(ranker)._decide
    monkeypatch.setattr(type(ranker), "_decide", lambda self, evidence, limit: asked.append(evidence.text) or decide(self, evidence, limit))
    whole = ranker.decide(Evidence("Hoeveel leden hadden de bibliotheken in 2019, waar was dat, en hoeveel bezoeken?"))
    assert not any(text.startswith("waar was dat") for text in asked), asked
    said = [r.unit.key for r in (whole.best, *whole.also)]
    assert len(said) == 2 and "leden" in said[0] and "bezoeken" in said[1], said


def test_the_other_part_of_a_split_source_sentence_is_said_when_it_is_asked_too(kb):
    """One handbook sentence split over two units: a question about both gets both, one about one part
    gets that part alone (never the part for another year)."""
    ranker = kb._snap().ranker
    both = ranker.decide(Evidence("wat doen de KB en de Manifestgroep samen sinds 2019?"))
    said = [r.unit.key for r in (both.best, *both.also)]
    assert both.move == "answer" and said == ["facts:fact-digitale-inclusie-gestart-2019",
                                              "facts:fact-manifestgroep-uitvoeringsorganisaties"], said
    one = ranker.decide(Evidence("hoeveel IDO-locaties waren er in 2020?"))
    assert "2020" in one.best.unit.key and not any("2019" in r.unit.key for r in one.also), one


def test_a_unit_of_a_split_sentence_has_the_years_of_its_own_part(kb):
    """'29 (2019), 73 (2020), 439 (2021)': the unit of 2019 is no answer for 2021."""
    units = {u.key: u for u in kb._snap().ranker.units}
    assert units["facts:fact-ido-locaties-2019"].years == frozenset({2019})
    assert units["facts:fact-ido-locaties-2021"].years == frozenset({2021})
    # Its context counts: the BZK grant is cited from 2022 and holds since 2023.
    assert 2023 in units["facts:fact-ido-financiering-specifieke-uitkering-bzk"].years


def test_what_the_source_says_of_one_desk_is_an_answer(kb):
    """A desk's note in the data (who opened it) is found by a question about it, and said with its source."""
    decision = kb._snap().ranker.decide(Evidence("welke wethouder opende het IDO-punt in Grootegast?"))
    assert decision.move == "answer" and decision.best.unit.kind == "desks", decision.ranked[:2]
    text, _, _ = ask("welke wethouder opende het IDO-punt in Grootegast?", entities=[("place", "Grootegast")])
    assert "Schollema" in text and "Bron: destreekkrant.nu" in text, text


def test_a_desk_answer_says_the_part_of_its_note_that_was_asked_after(kb):
    text, _, _ = ask("met wie werkt het informatiepunt in Dalfsen samen?", intent="find_ido", entities=[("place", "Dalfsen")])
    assert "In Dalfsen is een IDO" in text and "Saam Welzijn" in text, text
    plain, _, _ = ask("is er een IDO in Dalfsen?", intent="find_ido", entities=[("place", "Dalfsen")])
    assert "In Dalfsen is een IDO" in plain and "Mijn bron zegt" not in plain, plain


def test_after_an_answer_about_desks_the_desks_of_that_town_count(kb):
    """'en het geld van de gemeente in 2023?' after the desks of Súdwest-Fryslân: what the source says of those
    desks (the municipality's grant) is a candidate; without that town it is not."""
    ranker = kb._snap().ranker
    asked = dict(text="en het geld van de gemeente in 2023?", context="ido", context_attribute="desk")
    there = [r.unit.label for r in ranker.rank(Evidence(**asked, place="Súdwest-Fryslân"), limit=3)]
    nowhere = [r.unit.label for r in ranker.rank(Evidence(**asked), limit=3)]
    assert any(label in ("Het IDO in Sneek", "Het IDO in Bolsward", "Het IDO in Workum") for label in there), there
    assert not any(label.startswith("Het IDO in") for label in nowhere), nowhere
    # The town is that of the desks answered before (the slot), or the one this turn names.
    latest = {"text": "en het geld van de gemeente?", "intent": {"name": "nlu_fallback", "confidence": 0.5}, "entities": []}
    tracker = Tracker("t", {"place": "Súdwest-Fryslân", "attribute": "desk"}, latest, [], False, None, {}, "action_listen")
    assert answer.evidence_of(tracker, kb).place == "Súdwest-Fryslân"
    tracker = Tracker("t", {"place": "Súdwest-Fryslân", "attribute": "figure"}, latest, [], False, None, {}, "action_listen")
    assert answer.evidence_of(tracker, kb).place is None


def test_a_figure_and_the_fact_that_restates_it_are_one_answer(kb):
    """The KB has 'e-books' as a figure and inside a fact; that is no reason to ask which one."""
    text, _, messages = ask("hoeveel e-books", intent="ask_figure", slots={"subject": "programmes:boekstart", "attribute": "what"})
    assert len(messages) == 1 and "28" in text and "Ik weet niet precies" not in text


def test_a_who_question_is_not_answered_with_an_amount(kb):
    text, _, _ = ask("wie beslist lokaal over het leefstijlgeld van het jeugdpakket", intent="ask_scheme_amount",
                     confidence=0.7, entities=[("scheme", "jeugdpakket")])
    assert "gemeenteraad" in text


def test_a_town_inside_a_long_message_gets_the_desks_near_it(kb):
    """Whatever the intent: a town and a government matter in one message is a question for a desk."""
    text, _, _ = ask("mijn moeder woont in zwolle en snapt niks van de brieven over haar huurtoeslag, waar kan ze heen",
                     intent="nlu_fallback", confidence=0.4)
    assert "Zwolle" in text and "km" in text


def test_of_two_towns_the_one_with_a_desk_is_meant(kb):
    text, _, _ = ask("mijn vader woont in Dussen en ik zelf in Amsterdam, kan hij daar hulp krijgen met digid",
                     intent="government_help", entities=[("place", "Amsterdam")])
    assert "Dussen" in text and "gestopt" in text


def test_the_municipality_named_picks_the_right_town_of_that_name(kb):
    place = kb.find_place("het informatiepunt in de bibliotheek van rijswijk (gemeente altena)")
    assert place.canonical == "Rijswijk (NB)"
    assert kb.find_place("ik woon in Rijswijk").province == "Zuid-Holland"  # without it, the larger town


def test_a_figure_for_another_year_is_not_given(kb):
    """The KB has Walk & Talk participants for 2019; asked for 2023, the bot says it does not have that."""
    text, _, _ = ask("hoeveel mensen deden er in 2023 mee aan walk en talk", intent="ask_figure",
                     entities=[("programme", "walk en talk")])
    assert "Dat cijfer heb ik niet voor 2023" in text
    assert not re.search(r"\b20[.,]?000\b|20 duizend|\b16\b", text), text
    assert "(2019)" in text  # offered by name, with its year, as a button


# -- mechanisms for the way people ask ---------------------------------------------------------------
def test_a_separated_verb_is_found_as_the_verb_the_units_use(kb):
    """'doen ... mee' is 'meedoen'; 'op' in 'op de basisschool' is a preposition, not a verb's particle."""
    from knowledge.ranker import separated_particles
    from knowledge.text import term

    ranker = kb._snap().ranker
    asked = {t for alts, _, _ in ranker.query_terms("doen alle bibliotheken mee?") for t in alts}
    assert term("meedoen") in asked
    assert separated_particles("leest u voor op de basisschool?") == []
    assert separated_particles("doet uw bieb ook mee? en geeft u het op?") == ["mee", "op"]


def test_a_verb_stem_with_its_particle_is_the_verb_too(kb):
    """'hoe doe ik mee?': the lemma table leaves the stem 'doe', whose verb is 'doen', so 'meedoen' is asked.
    After a programme, that question asks how to join it, not after another programme whose text says 'doe mee'."""
    from knowledge.text import term

    ranker = kb._snap().ranker
    asked = {t for alts, _, _ in ranker.query_terms("hoe doe ik mee?") for t in alts}
    assert term("meedoen") in asked
    _, events, _ = ask("hoe doe ik mee?", intent="ask_how_to_join",
                       slots={"subject": "programmes:boekstart", "last_unit": "programmes:boekstart#what"})
    assert slot(events, "last_unit") == "programmes:boekstart#join"


def test_a_word_that_points_back_makes_a_long_question_a_follow_up(kb):
    from knowledge.ranker import Evidence, follows_up

    assert follows_up(Evidence("en doen alle bibliotheken in het land daaraan mee?"))
    assert not follows_up(Evidence("doen alle bibliotheken in het land aan de leesbevordering mee?"))
    text, _, _ = ask("en doen alle bibliotheken in het land daaraan mee?",
                     slots={"subject": "programmes:boekstart", "attribute": "what", "last_unit": "programmes:boekstart#what"})
    assert "98%" in text or "Ik weet niet precies" in text, text  # about BoekStart, never another subject
    assert "BoekStart" in text


def test_a_year_counted_from_the_previous_answer(kb):
    from knowledge.ranker import relative_years

    previous = kb.unit("statistics:belastinghulp-bereik-2019")
    assert relative_years("en een jaar later?", previous) == {2020}
    assert relative_years("en twee jaar eerder?", previous) == {2017}
    assert relative_years("en later?", previous) == frozenset()
    text, events, _ = ask("en een jaar later?", intent="ask_figure", confidence=0.6,
                          slots={"subject": "programmes:belastinghulp", "attribute": "figure",
                                 "last_unit": "statistics:belastinghulp-bereik-2019"})
    assert slot(events, "last_unit") == "statistics:belastinghulp-bereik-2020", text


def test_records_that_name_each_other_belong_together(kb):
    related = kb._snap().related
    assert "belastingdienst" in related["belastinghulp"] and "belastinghulp" in related["belastingdienst"]
    assert "boekstart" not in related.get("belastinghulp", ())


def test_a_service_intent_without_its_words_is_overruled_by_a_strong_fact(kb):
    """find_ido asks for a town; a 'who first' question classified as find_ido wants the fact."""
    text, _, _ = ask("wie opende als eerste een informatiepunt digitale overheid?", intent="find_ido", confidence=0.9)
    assert "Venlo" in text and "In welke plaats" not in text, text
    text, _, _ = ask("ik zoek een IDO", intent="find_ido", confidence=0.9)
    assert "In welke plaats" in text, text


@pytest.mark.parametrize("question, intent, fact, service", [
    # a figure question the NLU took for a government question or for a route to the library
    ("hoeveel leden hadden de bibliotheken in 2019?", "government_help", "3,6 miljoen", "Informatiepunt"),
    ("hoeveel leden hadden de bibliotheken in 2019?", "library_service", "3,6 miljoen", "verschilt per bibliotheek"),
])
def test_every_service_needs_its_own_words_to_outrank_a_strong_fact(kb, question, intent, fact, service):
    text, _, _ = ask(question, intent=intent, confidence=0.95)
    assert fact in text and service not in text, text


def test_every_service_has_its_own_words():
    assert set(answer.SERVICES) == set(answer.SERVICE_CUES)


@pytest.mark.parametrize("confidence", [0.9, 0.45])
def test_a_cost_question_about_the_ido_with_a_town_gets_the_cost_then_the_desk(kb, monkeypatch, confidence):
    """'mag mijn opa in Hoogeveen gratis ...': the IDO's cost answer, then the desk there; whether the NLU is sure
    of the government intent or not."""
    from knowledge.ranker import Decision, Ranked
    cost = kb.unit("programmes:ido#cost")
    monkeypatch.setattr(type(kb), "decide", lambda self, evidence, limit=5: Decision("answer", (Ranked(cost, 0.7, 0.7, 1.0),)))
    text, _, _ = ask("mijn opa in Hoogeveen, moet hij betalen voor hulp met de belasting?", intent="government_help",
                     confidence=confidence, entities=[("place", "Hoogeveen")])
    assert "gratis" in text and "In Hoogeveen is een IDO" in text and text.index("gratis") < text.index("In Hoogeveen"), text


def test_a_why_question_is_no_request_for_a_service(kb):
    """'waarom is er ...' shares 'is er' with 'is er een IDO bij mij in de buurt?', but asks a reason."""
    text, _, _ = ask("waarom is er eigenlijk een IDO in de bieb?", intent="find_ido", confidence=0.95)
    assert "In welke plaats" not in text, text
    # A desk asked for in the desk's own words: what the IDO is may come first, the search for a desk follows.
    for asked in ("is er een IDO bij mij in de buurt?", "ik zoek een IDO bij mij in de buurt", "waar vind ik een IDO?"):
        text, _, messages = ask(asked, intent="find_ido", confidence=0.95)
        assert messages[-1]["text"].startswith("In welke plaats"), text


def test_a_service_intent_without_its_words_asks_rather_than_gives_its_generic_reply(kb, monkeypatch):
    """A sure 'ask_example' for a question that asks no example: when no fact is sure, the bot asks which fact was
    meant, not 'Ik ken deze voorbeelden'. With the service's own words the service still answers."""
    from knowledge.ranker import Decision, Ranked
    units = [kb.unit("programmes:taalhuis#what"), kb.unit("programmes:taalcafe#what")]
    monkeypatch.setattr(type(kb), "decide", lambda self, evidence, limit=5: Decision("clarify", tuple(Ranked(u, 0.45, 0.5, 1.0) for u in units)))
    text, _, _ = ask("ik wil mijn Nederlands verbeteren", intent="ask_example", confidence=0.95)
    assert "Ik weet niet precies wat u bedoelt" in text and "voorbeelden uit de praktijk" not in text, text
    text, _, _ = ask("welke voorbeelden uit de praktijk zijn er?", intent="ask_example", confidence=0.95)
    assert "Ik weet niet precies" not in text and "voorbeeld" in text, text


@pytest.mark.parametrize("question, intent, service", [
    ("ik heb hulp nodig met mijn DigiD", "government_help", "DigiD"),
    ("hoe laat gaat de bibliotheek open?", "library_service", "verschilt per bibliotheek"),
])
def test_a_service_question_with_its_words_stays_with_the_service(kb, question, intent, service):
    text, _, _ = ask(question, intent=intent, confidence=0.95)
    assert service in text, text


def test_a_why_question_prefers_a_sentence_that_gives_a_reason(kb):
    unit = kb.unit("facts:fact-ido-reden-nabijheid-fysieke-hulp")
    assert unit.reason and not kb.unit("facts:fact-ido-eerste-venlo").reason
    ranker = kb._snap().ranker
    why = {r.unit.key: r.score for r in ranker.rank(Evidence("waarom een informatiepunt in de bibliotheek?"), limit=40)}
    what = {r.unit.key: r.score for r in ranker.rank(Evidence("een informatiepunt in de bibliotheek?"), limit=40)}
    key = "facts:fact-ido-reden-nabijheid-fysieke-hulp"
    assert why[key] - what.get(key, 0.0) > 0.1  # the question word alone lifts the reason
    from knowledge.ranker import asks_reason
    assert asks_reason("waar ligt de oorzaak daarvan?") and not asks_reason("waar ligt dat?")  # as 'waarom' does


def test_a_town_in_a_follow_up_after_a_desk_gets_the_desks_there(kb):
    """After a desk answer, a long follow-up naming another town asks for that town's desks, whatever the NLU thought."""
    text, _, _ = ask("en hoe zit het dan in leek, hebben ze daar er ook een?", intent="ask_figure", confidence=0.5,
                     slots={"attribute": "desk", "subject": "programmes:ido", "place": "Marum"})
    assert text.startswith("In Leek is een IDO"), text  # the desk answer itself, not a route about the government


def test_the_figure_intent_without_a_figure_word_does_not_refuse_with_no_figure(kb):
    """'Dat cijfer heb ik niet' only when the words ask for a figure; the intent alone is a guess."""
    text, _, _ = ask("waar draait het om in de bibliotheek als ontmoetingsplek?", intent="ask_figure", confidence=0.9)
    assert "Dat cijfer heb ik niet" not in text and "ontmoeten" in text, text
    text, _, _ = ask("hoeveel bezuinigen gemeenten op de bibliotheek?", intent="ask_figure", confidence=0.9)
    assert "Dat cijfer heb ik niet" in text, text


def test_en_with_a_question_word_is_no_place_name():
    from actions.ido import looks_like_a_place

    assert looks_like_a_place("Atlantis") and looks_like_a_place("en Atlantis?")
    assert not looks_like_a_place("en wanneer?") and not looks_like_a_place("hoe laat?")


def test_years_said_in_words_count_from_the_previous_answer(kb):
    from knowledge.ranker import Evidence, relative_years, without_year_words

    previous = kb.unit("statistics:ido-locaties-2020")
    assert relative_years("en daarvoor?", previous) == {2019}
    assert relative_years("en vóór corona dan?", kb.unit("statistics:ido-eind-2023")) == {2019}  # the handbook: "Vóór corona (in 2019)"
    assert Evidence("hoeveel leden waren er vóór corona?").years == {2019}
    assert Evidence("wat deed de bieb voor corona-patiënten?").years == frozenset()
    assert "jaar" not in without_year_words("en een jaar eerder?") and "corona" not in without_year_words("en vóór corona?")
    assert "2020" not in without_year_words("hoeveel leden in 2020?")  # the year is its own evidence, not a word
    assert "corona" in without_year_words("wat deed de bieb voor corona-patiënten?")
    assert "corona" not in without_year_words("en voor corona dan?", loose=True)


def test_english_function_words_are_not_unknown_names():
    from knowledge.text import is_function_word

    assert all(is_function_word(w) for w in ("still", "there", "can", "with"))
    assert not any(is_function_word(w) for w in ("library", "digid", "boekstart"))


def test_words_that_point_back_are_not_searched_for(kb):
    ranker = kb._snap().ranker
    asked = {t for alts, _, _ in ranker.query_terms("worden kinderen daardoor lid?") for t in alts}
    assert not any(t.startswith("daardo") for t in asked) and asked


def test_a_likely_answer_is_said_as_likely_and_never_with_a_figure(kb, monkeypatch):
    """In the clarifying band the best candidate is given with a hedge and the others as buttons; a figure
    is never given that way."""
    from knowledge.ranker import Decision, Ranked

    what = kb.unit("programmes:walk-and-talk#what")
    other = kb.unit("programmes:klik-en-tik#what")
    figure = kb.unit("statistics:ido-locaties-2020")

    def decided(*units):
        return lambda evidence, limit=5: Decision("clarify", tuple(Ranked(u, 0.55 - i * 0.01, 0.5, 1.0, 0.0) for i, u in enumerate(units)))

    monkeypatch.setattr(type(kb), "decide", lambda self, evidence, limit=5: decided(what, other)(evidence))
    text, events, messages = ask("ik zoek iets met andere mensen zonder werk")
    assert text.startswith("Misschien bedoelt u dit:") and "Walk & Talk" in text and "[Klik & Tik]" in text, text
    assert slot(events, "last_unit") == what.key
    monkeypatch.setattr(type(kb), "decide", lambda self, evidence, limit=5: decided(figure, other)(evidence))
    text, _, _ = ask("ik zoek iets met andere mensen zonder werk")
    assert text.startswith("Ik weet niet precies wat u bedoelt") and "73" not in text, text


def test_no_figure_for_that_year_leaves_the_thread_for_a_follow_up(kb):
    """'Dat cijfer heb ik niet voor 2023' offers another year; 'en vóór corona dan?' then gets that figure."""
    text, events, messages = ask("hoeveel bibliotheekleden waren er in 2023?", intent="ask_figure", confidence=0.9)
    assert "Dat cijfer heb ik niet" in text, text
    thread = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    first = messages[0]["buttons"][0]["payload"]
    assert thread.get("last_unit") and thread["last_unit"].split(":", 1)[1] in first, (events, first)  # the figure offered first
    text, _, _ = ask("en vóór corona dan?", intent="nlu_fallback", confidence=0.5, slots=thread)
    assert "Dat weet ik niet" not in text and "2019" in text, text



def test_a_who_question_is_not_answered_by_a_price(kb):
    """'wie betaalt het IDO?' asks who pays (the municipalities), not what a visit costs; 'wat kost het?' still does."""
    from knowledge.ranker import asks_agent

    assert asks_agent("wie betaalt het IDO?") and not asks_agent("voor wie is het IDO?")
    ranker = kb._snap().ranker
    who = ranker.rank(Evidence("wie betaalt het IDO?", intents={"ido_membership": 0.6}), limit=1)[0]
    what = ranker.rank(Evidence("wat kost het IDO?", intents={"ido_membership": 0.6}), limit=1)[0]
    assert who.unit.attribute != "cost" and what.unit.key == "programmes:ido#cost"
    text, _, _ = ask("wie betaalt het IDO?", intent="ido_membership", confidence=0.6)
    assert "Gemeenten" in text and "gratis" not in text, text


def test_the_story_before_a_question_weighs_less_than_the_question(kb):
    """A message that tells its situation first and then asks: the words of the sentence with '?' decide."""
    from knowledge.ranker import asking_sentences

    assert asking_sentences("mijn buurman zegt iets. klopt dat?") == "klopt dat?"
    assert asking_sentences("klopt dat? en waar helpen ze?") == ""  # every sentence asks: the whole message counts
    assert asking_sentences("ik wil leren mailen") == ""
    decision = kb.decide(Evidence("onze school wil meer doen aan lezen en de gemeente heeft geld. "
                                  "wanneer besloot het kabinet over het jeugdpakket?"))
    assert decision.move == "answer" and decision.best.unit.about == "jeugdpakket", decision


def test_what_a_question_sets_its_subject_against_is_not_asked(kb):
    """'..., in plaats van een dure cursus bij een school?': the school is no subject of the answer."""
    decision = kb.decide(Evidence("kan ik in de bibliotheek leren mailen, in plaats van een dure cursus bij een school?"))
    assert decision.move == "answer" and decision.best.unit.key == "programmes:digivaardigheidscursussen#audience", decision


def test_a_schemes_amount_says_the_same_as_the_fact_that_quotes_its_total(kb):
    """The NPO's amount unit and the fact '8,5 miljard' are one answer: no question which of the two was meant."""
    units = {u.key: u for u in kb._snap().ranker.units}
    assert "8.5e+09" in units["schemes:nationaal-programma-onderwijs#amount"].numbers
    assert kb.decide(Evidence("hoe groot is het nationaal programma onderwijs")).move == "answer"

