"""Every answer the bot can give about the KB's records, measured: short sentences, short answers.

B1 Dutch for low-literate readers: at most 15 words per sentence on average (per answer, and over
all answers), at most 60 words per answer. The answers are built from every record in the KB, so a
new long record in the data fails this test rather than reaching a reader.
"""
from __future__ import annotations

import re
import statistics as stats
from typing import Iterator, Tuple

import pytest

from actions import answers
from actions.ido import nearby_answer, website

MAX_WORDS_PER_ANSWER = 60
MAX_AVERAGE_SENTENCE = 15


def sentences(text: str):
    parts = re.split(r"(?<=[.!?:])\s+|\n", text)
    return [p for p in parts if re.search(r"\w", p)]


def words(text: str):
    return [w for w in text.split() if re.search(r"\w", w)]


def all_answers(kb) -> Iterator[Tuple[str, answers.Answer]]:
    for kind in ("programmes", "schemes", "organisations", "examples", "topics"):
        for rec in kb.all(kind):
            yield f"what_is {rec.id}", answers.what_is(kind, rec, kb)
            if kind in ("programmes", "schemes", "examples"):
                yield f"audience {rec.id}", answers.audience(kind, rec)
                yield f"cost {rec.id}", answers.cost(kind, rec)
                yield f"how_to_join {rec.id}", answers.how_to_join(kind, rec)
    for scheme in kb.all("schemes"):
        yield f"amount {scheme.id}", answers.scheme_amount(scheme, None)
        for part in scheme.parts:
            yield f"amount {scheme.id}/{part.name}", answers.scheme_amount(scheme, part)
        yield f"part unknown {scheme.id}", answers.part_unknown(scheme, "provincie")
        yield f"dates {scheme.id}", answers.scheme_dates(scheme)
    yield "schemes", answers.scheme_list(kb.all("schemes"))
    from actions.statistics import counterpart

    for stat in kb.statistics():
        yield f"figure {stat.id}", answers.figure(stat, counterpart(kb, stat))
        yield f"figure national {stat.id}", answers.figure(stat, None, national_only=True)
    yield "figure unknown", answers.figure_unknown(kb.statistics()[:3])
    site = website(kb)
    for desk in kb.ido_desks(include_discontinued=True):
        near = kb.nearest_ido(desk.geocoded_as or desk.place, limit=3)
        yield f"ido {desk.place}", nearby_answer(kb, near.place)
        # The worst case: a question that asks after every part of the desk's note.
        yield f"ido {desk.place} with its note", nearby_answer(kb, near.place, desk.note or "")
        if desk.note:
            yield f"desk note {desk.place}", answers.desk_note(desk)
        yield f"hours {desk.place}", answers.ido_hours(desk, 0.0, near.place)
        yield f"government {desk.place}", answers.government_route(kb.programme("ido"), "uw belastingaangifte",
                                                                    answers.ido_nearby(near.place, near.desks, site))
    yield "government", answers.government_route(kb.programme("ido"), "DigiD", None)
    yield "membership", answers.ido_membership(kb.programme("ido"))
    yield "place unknown", answers.place_unknown("x" * 200, site)
    yield "programmes", answers.programme_list(kb.all("programmes"))
    for passage in kb.passages():
        yield f"passage {passage.id}", answers.unsure(kb.find("boekstart", limit=3), passage)
        yield f"passage unit {passage.id}", answers.passage(passage)
    for fact in kb.facts():
        yield f"fact {fact.id}", answers.fact(fact)
    units = kb._snap().ranker.units
    yield "clarify", answers.clarify(units[:3])
    yield "unknown", answers.unknown()
    yield "library", answers.library_route()
    yield "apology", answers.apology()


@pytest.fixture(scope="module")
def measured(kb):
    return [(name, a.text) for name, a in all_answers(kb)]


def test_there_are_many_answers_to_measure(measured):
    assert len(measured) > 300


def test_no_answer_is_longer_than_60_words(measured):
    long = [f"{name}: {len(words(text))} words" for name, text in measured if len(words(text)) > MAX_WORDS_PER_ANSWER]
    assert not long, long


def test_sentences_are_short_on_average(measured):
    per_answer = [(name, stats.mean(len(words(s)) for s in sentences(text))) for name, text in measured]
    heavy = [f"{name}: {avg:.1f}" for name, avg in per_answer if avg > MAX_AVERAGE_SENTENCE]
    assert not heavy, heavy
    overall = stats.mean(len(words(s)) for _, text in measured for s in sentences(text))
    assert overall <= MAX_AVERAGE_SENTENCE


def test_every_factual_answer_names_its_source(measured):
    factual = [(n, t) for n, t in measured if n.split()[0] in ("what_is", "figure", "amount", "dates", "ido") and "unknown" not in n]
    missing = [n for n, t in factual if "Bron:" not in t]
    assert not missing, missing
