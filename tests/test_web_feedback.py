"""Feedback: POST /api/feedback and bot/feedback.py's FeedbackStore (masked, bounded, never crashing)."""
from __future__ import annotations

import pytest

from bot.feedback import MAX_CHARS, FeedbackStore
from bot.web.server import create_app
from tests.test_web_login import Site, make_auth
from tests.web_client import call

ORIGIN = "https://www.bibliotheekzuidhoek.example"


@pytest.fixture
def store(tmp_path):
    return FeedbackStore(f"sqlite:///{tmp_path / 'fb.sqlite3'}")


@pytest.fixture
def app(kb, store, tmp_path):
    staff_auth = make_auth(tmp_path)
    return lambda: create_app(kb=kb, feedback_store=store, cors=[ORIGIN], staff_auth=staff_auth)


def post(app, **kwargs):
    return call(app, "POST", "/api/feedback", **kwargs)


def test_a_thumb_down_is_stored_masked(app, store):
    reply = post(app, json={"question": "Mijn BSN is 111222333, mail jan@example.nl", "answer": "Dat weet ik niet.\nBron: -",
                            "rating": "down"})
    assert reply.status == 201 and reply.json()["message"] == "Bedankt voor uw reactie."
    [entry] = store.recent_down()
    assert entry.question == "Mijn BSN is [BSN], mail [E-MAIL]"
    assert entry.answer == "Dat weet ik niet.\nBron: -"


def test_a_thumb_up_is_stored_but_not_listed_as_down(app, store):
    assert post(app, json={"question": "wat is boekstart", "answer": "BoekStart ...", "rating": "up"}).status == 201
    assert store.recent_down() == []


@pytest.mark.parametrize("body, status", [
    ("dit is geen json", 400),
    ("{\"question\": ", 400),
    ("[1, 2, 3]", 400),
    ("\"tekst\"", 400),
    ("null", 400),
    (b"\xff\xfe\x00", 400),
    ("{\"question\": \"x\", \"answer\": \"y\", \"rating\": \"meh\"}", 400),
    ("{\"question\": \"x\", \"answer\": \"y\"}", 400),
    ("{\"question\": 5, \"answer\": \"y\", \"rating\": \"up\"}", 400),
    ("{\"question\": \"x\", \"answer\": [\"y\"], \"rating\": \"up\"}", 400),
    ("{\"question\": \"x\", \"answer\": \"  \", \"rating\": \"down\"}", 400),
])
def test_bad_requests_get_a_dutch_400(app, store, body, status):
    reply = post(app, data=body, headers={"Content-Type": "application/json"})
    assert reply.status == status
    assert reply.json()["error"]
    assert store.recent_down() == []


def test_a_huge_body_is_refused(app):
    reply = post(app, json={"question": "x" * 50_000, "answer": "y", "rating": "down"})
    assert reply.status == 413


def test_long_texts_are_cut(app, store):
    assert post(app, json={"question": "vraag " * 400, "answer": "antwoord " * 400, "rating": "down"}).status == 201
    [entry] = store.recent_down()
    assert len(entry.question) == MAX_CHARS and len(entry.answer) == MAX_CHARS


def test_what_citizens_send_is_shown_to_logged_in_staff_only(app):
    assert post(app, json={"question": "Mijn telefoon is 06-12345678", "answer": "Dat weet ik niet.",
                           "rating": "down"}).status == 201
    anonymous = call(app, "GET", "/api/staff/feedback")
    assert anonymous.status == 401 and "[TELEFOON]" not in anonymous.text
    staff = Site(app).logged_in()
    assert [e["question"] for e in staff.call("GET", "/api/staff/feedback").json()["down"]] == ["Mijn telefoon is [TELEFOON]"]
    # the widget's own route needs no login, also not for a page on the library's site
    assert post(app, json={"question": "q", "answer": "a", "rating": "up"}, headers={"Origin": ORIGIN}).status == 201


def test_cors_only_for_allowed_origins(app):
    allowed = call(app, "OPTIONS", "/api/feedback", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert allowed.status == 204 and allowed.headers["Access-Control-Allow-Origin"] == ORIGIN
    other = call(app, "OPTIONS", "/api/feedback", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    posted = post(app, json={"question": "q", "answer": "a", "rating": "up"}, headers={"Origin": ORIGIN})
    assert posted.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_store_lists_newest_first_and_limits(store):
    for i in range(5):
        store.record(f"vraag {i}", f"antwoord {i}", "down")
    assert [e.question for e in store.recent_down(3)] == ["vraag 4", "vraag 3", "vraag 2"]


def test_fallback_questions_are_masked_and_empty_ones_skipped(store):
    store.record_fallback("Mijn IBAN is NL91ABNA0417164300, waar is mijn geld?")
    store.record_fallback("   ")
    store.record_fallback("Bel mij: +31 6 12345678")
    assert [e.question for e in store.recent_fallbacks()] == ["Bel mij: [TELEFOON]", "Mijn IBAN is [IBAN], waar is mijn geld?"]


def test_store_refuses_a_bad_rating(store):
    with pytest.raises(ValueError):
        store.record("q", "a", "meh")


def test_store_strips_control_characters(store):
    store.record("vraag\x00\x1b[31m", "antwoord", "down")
    assert store.recent_down()[0].question == "vraag[31m"


def test_default_location_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FEEDBACK_DATABASE_URL", f"sqlite:///{tmp_path / 'sub' / 'env.sqlite3'}")
    FeedbackStore().record_fallback("hallo")
    assert (tmp_path / "sub" / "env.sqlite3").exists()
