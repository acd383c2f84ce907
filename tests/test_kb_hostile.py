"""Hostile query strings: no crash, bounded work, and not one row changed."""
from __future__ import annotations

import hashlib

import pytest

from tests.conftest import table_counts

HOSTILE = [
    "",
    " ",
    "'",
    '"; DROP TABLE programmes; --',
    "' OR '1'='1",
    "boekstart'); DELETE FROM statistics; --",
    "Robert'); DROP TABLE ido_locations;--",
    "%", "_", "%%%___", "\\", "\\x00",
    "\x00\x01\x02\x1b[31mrood\x1b[0m",
    "a" * 10_000,
    "hoeveel " * 2_000,
    "🙂📚🏛️ hoeveel e-books 🤖",
    "<script>alert('x')</script>",
    "{{ 7*7 }} ${7*7} {% raw %}",
    "\u202eevil\u202c",
    "Ω≈ç√∫˜µ≤≥÷ ﷽ 𝕳𝖔𝖊",
    "\n\n\t\r",
    "NaN", "-1", "1e309",
]


@pytest.fixture(scope="module")
def before(kb_path):
    return table_counts(kb_path), hashlib.sha256(kb_path.read_bytes()).hexdigest()


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_every_query_survives_hostile_input(kb, before, text):
    kb.find(text)
    kb.lookup(text)
    kb.mentions(text)
    kb.search_statistics(text)
    kb.search_statistics(text, about=text)
    kb.search_passages(text)
    kb.find_place(text)
    near = kb.nearest_ido(text)
    assert len(near.query) <= 500
    kb.ido_desks(text)
    assert kb.record("programmes", text) is None or text == ""


def test_no_row_changed_afterwards(kb, kb_path, before):
    for text in HOSTILE:
        kb.search_statistics(text)
        kb.lookup(text)
        kb.nearest_ido(text)
    counts, digest = before
    assert table_counts(kb_path) == counts
    assert hashlib.sha256(kb_path.read_bytes()).hexdigest() == digest


def test_reader_connection_cannot_write(kb):
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    with kb.db.session() as session:
        with pytest.raises(OperationalError):
            session.execute(text("DELETE FROM programmes"))
