"""Fact units say no more than their source, and every sentence of the handbook has one.

A fact unit (`knowledge/data/facts_*.yml`) quotes its source sentence verbatim. So a test can hold each
answer against its quote (every number in the answer is in the quote), and walk the handbook sentence
by sentence: a fact-bearing sentence that no unit quotes is a fact no question can reach.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest

from knowledge import loader

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "knowledge" / "source"
HANDBOOK = SOURCE / "handreiking-2021.txt"
IDO_README = SOURCE / "ido-data-README.md"
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def facts():
    return loader.load(ROOT / "knowledge" / "data").of("facts")


def handbook_sentences() -> List[str]:
    """The handbook's statements: lines cut into sentences, list markers and bookmarks off, headings out.

    A heading is a short line (at most 12 words), not a list item, that does not end like a sentence.
    """
    out = []
    for line in HANDBOOK.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"\[bookmark: [^\]]*\]", "", line).strip()
        item = re.match(r"^([-·]\s*|\d+\.\s+)", line) is not None
        line = re.sub(r"^([-·]\s*|\d+\.\s+)", "", line).strip()
        if not line:
            continue
        if not item and not line.endswith((".", "’", ")")) and len(line.split()) <= 12:
            continue  # a heading
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z‘'(]|http)", line):
            sentence = sentence.strip()
            if len(sentence.split()) >= 3 and sentence not in ("Beste collega,", "Met vriendelijke groet,"):
                out.append(sentence)
    return out


def test_every_quote_stands_verbatim_in_its_source(facts):
    handbook, readme = flat(HANDBOOK.read_text(encoding="utf-8")), flat(IDO_README.read_text(encoding="utf-8"))
    wrong = [f.id for f in facts if flat(f.quote) not in (readme if f.source and f.source.url else handbook)]
    assert not wrong, wrong


def test_every_number_in_an_answer_is_in_its_quote(facts):
    wrong = [(f.id, n) for f in facts for n in NUMBER.findall(f.answer) if n not in f.quote]
    assert not wrong, wrong


def test_every_number_in_a_context_line_is_in_the_source(facts):
    """The context line places a fact with others of its section: its numbers are in the same document."""
    handbook, readme = HANDBOOK.read_text(encoding="utf-8"), IDO_README.read_text(encoding="utf-8")
    wrong = [(f.id, n) for f in facts for n in NUMBER.findall(f.context or "")
             if n not in (readme if f.source and f.source.url else handbook)]
    assert not wrong, wrong


def test_every_sentence_of_the_handbook_has_a_fact_unit(facts):
    quotes = [flat(f.quote) for f in facts]
    sentences = handbook_sentences()
    assert len(sentences) > 100  # the walk itself works: the handbook has well over a hundred statements
    missing = [s for s in sentences if not any(flat(s) in q for q in quotes)]
    assert not missing, missing


def test_the_coverage_walk_fails_when_a_unit_is_missing(facts):
    """Take away the units of one sentence and the walk must find it: the test above can fail."""
    sentence = next(s for s in handbook_sentences() if "maandelijkse gratis bijeenkomst" in s)
    kept = [flat(f.quote) for f in facts if flat(sentence) not in flat(f.quote)]
    assert not any(flat(sentence) in q for q in kept)
