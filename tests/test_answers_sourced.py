"""Every answer says no more than its source: its figures are in the document, its sections exist.

Two checks over everything the bot can say about the KB (every record rendered through
`actions/answers.py`, as in the B1 test): every number in an answer (figures, amounts, years, days)
occurs in the handbook or in the dated sources beside it (the IDO data and its README); and every
record that cites a section of the handbook cites one that exists and that mentions the record.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from knowledge.ranker import figures_in
from knowledge.text import terms
from tests.test_answers_b1 import all_answers

ROOT = Path(__file__).resolve().parent.parent
HANDBOOK = (ROOT / "knowledge" / "source" / "handreiking-2021.txt").read_text(encoding="utf-8")
with (ROOT / "knowledge" / "data" / "ido_locations.csv").open(encoding="utf-8") as _csv:
    IDO_CELLS = " | ".join(cell for row in csv.reader(_csv) for cell in row)  # cells apart: '12.30' and '2021'
SOURCES = " | ".join([HANDBOOK, (ROOT / "knowledge" / "source" / "ido-data-README.md").read_text(encoding="utf-8"),
                      IDO_CELLS])
#: Numbers in answers that are wording, not facts: distances the bot computes, list positions.
COMPUTED = re.compile(r"\(\d+ km[,)]|\d+ km van|\bin mijn lijst\b")


#: Numbers the handbook writes as words ('veertig werkplekken', 'anderhalve meter', 'vier miljoen').
NUMBER_WORDS = {"een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7, "acht": 8, "negen": 9,
                "tien": 10, "twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50, "honderd": 100,
                "anderhalve": 1.5, "anderhalf": 1.5}


def known_values() -> set:
    values = set(figures_in(SOURCES, years=True))
    for word, value in NUMBER_WORDS.items():
        for scale in re.findall(rf"\b{word}\b\s*(duizend|miljoen|miljard)?", SOURCES, flags=re.I):
            values |= figures_in(f"{value:g}".replace(".", ",") + (f" {scale}" if scale else ""))
    for day, month in re.findall(r"\b(\d{1,2})\s+(januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december)", SOURCES):
        values.add(str(float(day)).rstrip("0").rstrip("."))
    for iso in re.findall(r"\b(20\d\d)-(\d\d)(?:-(\d\d))?\b", SOURCES):  # ISO dates in the IDO data
        values.update(str(int(x)) for x in iso if x)
    return values


@pytest.fixture(scope="module")
def answers_text(kb):
    return [(name, answer.text) for name, answer in all_answers(kb)]


def test_every_number_in_every_answer_is_in_the_sources(answers_text):
    known = known_values()
    unknown = []
    for name, text in answers_text:
        text = COMPUTED.sub(" ", text)
        for value in figures_in(text, years=True):
            if value not in known and value.rstrip("%") not in known:
                unknown.append((name, value))
    assert not unknown, unknown[:20]


def test_the_check_finds_an_invented_number():
    known = known_values()
    assert figures_in("58,5 miljoen euro in 2019, 98%", years=True) <= known  # figures the handbook gives
    assert not figures_in("41,5 miljoen euro, 77777 leden") & known        # invented ones are not known


def headings():
    out = []
    for line in HANDBOOK.splitlines():
        line = re.sub(r"\[bookmark: [^\]]*\]", "", line).strip()
        if line and len(line.split()) <= 12 and not line.endswith("."):
            out.append(line.rstrip(":"))
    return out


def chapters():
    """The handbook's chapters: its first heading, every heading with a table-of-contents bookmark, and the
    chapter headings without one ('Rol bibliotheken bij educatie jeugd en volwassenen')."""
    out, title, body, past_foreword = {}, None, [], False
    for i, raw in enumerate(HANDBOOK.splitlines()):
        line = re.sub(r"\[bookmark: [^\]]*\]", "", raw).strip()
        past_foreword = past_foreword or "[bookmark: _Toc" in raw  # 'Rol bibliotheken bij herstel na corona' is in it
        heading = past_foreword and len(line.split()) <= 12 and line.startswith(("Rol bibliotheken", "Praktijkvoorbeeld", "Aanhaken"))
        if i == 0 or "[bookmark: _Toc" in raw or heading:
            if title is not None:
                out[title] = " ".join(body)
            title, body = re.sub(r"\[bookmark: [^\]]*\]", "", raw).strip(), []
        else:
            body.append(raw)
    out[title] = " ".join(body)
    return out


def section_text(path: str) -> str:
    """The whole chapter a section path starts with ('Woord vooraf > ...': the Woord vooraf)."""
    first = path.split(">")[0].strip()
    return next(text for title, text in chapters().items() if title == first or title.endswith(first))


def all_terms(text: str) -> set:
    """Terms of a long text (`terms` reads a question: it stops at 500 characters), sentence by sentence."""
    return set().union(*(terms(chunk) for chunk in re.split(r"(?<=[.!?:])\s+", text)))


def cited(kb):
    for kind in ("programmes", "schemes", "examples", "organisations", "topics"):
        for rec in kb.all(kind):
            if rec.source_section and not rec.is_local:
                yield kind, rec


def test_every_cited_section_exists(kb):
    heads = headings()
    missing = [(rec.id, part.strip()) for _, rec in cited(kb) for part in rec.source_section.split(">")
               if not any(h == part.strip() or h.endswith(part.strip()) for h in heads)]
    assert not missing, missing


def test_the_cited_section_mentions_the_record(kb):
    """A record's name or one of its aliases (as lemma and stem) occurs in the section it cites."""
    wrong = []
    for kind, rec in cited(kb):
        body = all_terms(section_text(rec.source_section))
        own = {t for label in [rec.name, *rec.aliases, getattr(rec, "full_name", None) or ""] for t in terms(label)}
        if not own & body:
            wrong.append((rec.id, rec.source_section))
    assert not wrong, wrong
