"""Figure coverage, both ways: every number in the handbook is in the KB, and no handbook figure is invented.

Numbers are read from the document text itself (digits with 'duizend'/'miljoen'/'miljard' and '%').
A number counts as covered when it is the typed value of a KB field: a statistic's value or upper
bound, a scheme's amount, or a year or date. Only list numbering and the word processor's bookmark
ids are left out, and the few numbers that belong to another figure are named below with that figure.
"""
from __future__ import annotations

import re
from typing import List, Set, Tuple

import pytest

from tests.conftest import DOCUMENT

MULTIPLIERS = {"duizend": 1e3, "miljoen": 1e6, "miljard": 1e9}
NUMBER = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)*)(%?)(?:\s+(duizend|miljoen|miljard))?")
WORD_NUMBERS = {"een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "veertig": 40, "anderhalve": 1.5, "tienjarig": 10}
# Numbers that are part of another figure, and the statistic that holds them.
PART_OF = {
    r"tussen de 0 en 4 jaar": "boekstart-nieuwe-leden-0-4",
}


def _parse(number: str) -> float:
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", number):  # 6.079, 13.000: Dutch thousands
        return float(number.replace(".", ""))
    return float(number.replace(",", "."))


def document_numbers() -> List[Tuple[float, str]]:
    text = DOCUMENT.read_text(encoding="utf-8")
    text = re.sub(r"\[bookmark: [^\]]*\]", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    text = re.sub(r"(?m)^\s*\d\.\s", " ", text)  # list numbering: '1. Leven en werken ...'
    text = re.sub(r"Figuur \d", " ", text)
    for phrase in PART_OF:
        text = re.sub(phrase, " ", text)
    out = []
    for match in NUMBER.finditer(text):
        number, _percent, multiplier = match.groups()
        value = _parse(number) * MULTIPLIERS.get(multiplier or "", 1)
        start = max(0, match.start() - 30)
        out.append((value, text[start:match.end() + 15].replace("\n", " ")))
    return out


def _years_in(text: str) -> Set[int]:
    return {int(y) for y in re.findall(r"\b(19\d\d|20\d\d)\b", text or "")}


def kb_numbers(kb) -> Tuple[Set[float], Set[int], Set[int]]:
    values: Set[float] = set()
    years: Set[int] = set()
    days: Set[int] = set()
    for s in kb.statistics():
        values.add(s.value)
        if s.value_max is not None:
            values.add(s.value_max)
        years |= _years_in(f"{s.year or ''} {s.period or ''} {s.as_of or ''}")
    dates = []
    for scheme in kb.all("schemes"):
        values.add(scheme.total_eur)
        values.update(p.amount_eur for p in scheme.parts)
        dates += [scheme.decided_on, scheme.announced_on, scheme.starts, scheme.runs_until]
        dates += [p.available_from for p in scheme.parts]
    dates += [e.started for e in kb.all("examples")]
    dates += [str(t.year) for t in kb.all("topics") if t.year]
    for d in filter(None, dates):
        years |= _years_in(d)
        if re.fullmatch(r"\d{4}-\d\d-\d\d", d):
            days.add(int(d[-2:]))
    # Years a programme or example names in its own text ('sinds 2019', 'in 2022 ...') count too.
    for kind in ("programmes", "examples", "topics"):
        for rec in kb.all(kind):
            years |= _years_in(" ".join([rec.summary, *getattr(rec, "details", []), *getattr(rec, "points", [])]))
    return values, years, days


def _covered(value: float, values: Set[float], years: Set[int], days: Set[int]) -> bool:
    if any(abs(value - v) < 1e-6 * max(1.0, abs(v)) for v in values):
        return True
    if value.is_integer() and 1900 <= value <= 2100:
        return int(value) in years
    return value.is_integer() and int(value) in days


def test_the_document_has_about_fifty_figures():
    numbers = [v for v, _ in document_numbers() if not (v.is_integer() and 1900 <= v <= 2100)]
    assert len(numbers) >= 50


def test_every_number_in_the_document_is_in_the_kb(kb):
    values, years, days = kb_numbers(kb)
    missing = [f"{value:g} in '…{context}…'" for value, context in document_numbers() if not _covered(value, values, years, days)]
    assert not missing, "figures in the document that the KB lacks:\n" + "\n".join(missing)


@pytest.mark.parametrize("phrase, statistic_id", PART_OF.items())
def test_numbers_left_out_belong_to_a_figure(kb, phrase, statistic_id):
    stat = kb.statistic(statistic_id)
    assert stat is not None
    for number in re.findall(r"\d+", phrase):
        assert number in stat.phrasing or number in stat.subject


def test_no_handbook_figure_is_invented(kb):
    """Each figure sourced to the handbook has a value the handbook states (in digits or in words)."""
    text = DOCUMENT.read_text(encoding="utf-8").lower()
    doc_values = {v for v, _ in document_numbers()}
    for word, value in WORD_NUMBERS.items():
        doc_values |= {value * MULTIPLIERS.get(m, 1) for m in re.findall(rf"\b{word}\b\s*(duizend|miljoen|miljard)?", text)}
    for phrase in PART_OF:
        doc_values |= {float(n) for n in re.findall(r"\d+", phrase)}
    invented = []
    for s in kb.statistics():
        if s.newer_than_document:
            continue
        for value in filter(lambda v: v is not None, (s.value, s.value_max)):
            if not any(abs(value - d) < 1e-6 * max(1.0, abs(d)) for d in doc_values):
                invented.append(f"{s.id}: {value:g}")
    assert not invented, "figures not found in the document: " + ", ".join(invented)


def test_newer_facts_are_marked_and_sourced(kb):
    for s in kb.statistics():
        if s.newer_than_document:
            # Sourced, and dated: by the figure's own year or day (a publication date only where the source has one).
            assert s.source_url and (s.year or s.as_of), s.id
        else:
            assert s.source_section, s.id


def test_the_kb_holds_no_phone_number_or_e_mail_address_as_utter_ask_human_says():
    """domain.yml's utter_ask_human says telephone numbers and e-mail addresses are not in the data. That stays
    true only while no data file holds one; a library that adds them must change that response too."""
    import phonenumbers
    from pathlib import Path

    data = Path(__file__).resolve().parent.parent / "knowledge" / "data"
    assert "Telefoonnummers en e-mailadressen staan niet in mijn gegevens" in (data.parent.parent / "domain.yml").read_text(encoding="utf-8")
    for path in sorted(data.glob("*.*")):
        text = path.read_text(encoding="utf-8")
        phones = [m.raw_string for m in phonenumbers.PhoneNumberMatcher(text, "NL", leniency=phonenumbers.Leniency.VALID)]
        mails = re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
        assert not phones and not mails, (path.name, phones[:3], mails[:3])
