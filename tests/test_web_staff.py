"""The staff API (/api/staff/...), the pages and the vendor files, through aiohttp's test client.

The staff routes need a login (tests/test_web_login.py tests that); here one staff member is logged in.
"""
from __future__ import annotations

import hashlib
import re

import pytest

from bot.feedback import FeedbackStore
from bot.web.server import create_app
from knowledge.query import KnowledgeBase
from tests.test_web_login import Site, make_auth
from tests.web_client import call


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return FeedbackStore(f"sqlite:///{tmp_path_factory.mktemp('feedback') / 'fb.sqlite3'}")


@pytest.fixture(scope="module")
def staff_auth(tmp_path_factory):
    return make_auth(tmp_path_factory.mktemp("staff"))


@pytest.fixture(scope="module")
def app(kb, store, staff_auth):
    """A logged-in staff member's browser on the web app."""
    return Site(lambda: create_app("http://127.0.0.1:5005", kb=kb, feedback_store=store, staff_auth=staff_auth)).logged_in()


def get(site, path):
    reply = site.call("GET", path)
    assert reply.status == 200, reply.text
    return reply.json()


def test_every_scheme_with_every_amount_part_and_date(app, kb):
    data = get(app, "/api/staff/schemes")["schemes"]
    assert [s["id"] for s in data] == [s.id for s in kb.all("schemes")]
    for shown, record in zip(data, kb.all("schemes")):
        assert shown["total_eur"] == record.total_eur
        assert [(p["name"], p["amount_eur"], p["channel"], p["available_from"]) for p in shown["parts"]] == \
               [(p.name, p.amount_eur, p.channel, p.available_from) for p in record.parts]
        for key in ("decided_on", "announced_on", "starts", "runs_until", "link"):
            assert shown[key] == getattr(record, key)
        assert shown["source"]["section"] == record.source_section
    jeugd = next(s for s in data if s["id"] == "jeugdpakket")
    assert jeugd["total_eur"] == 58_500_000
    assert any(p["amount_eur"] == 40_000_000 and p["channel"] == "gemeentefonds" for p in jeugd["parts"])


def test_programmes_with_their_source_and_parent(app, kb):
    data = get(app, "/api/staff/programmes")["programmes"]
    assert len(data) == len(kb.all("programmes"))
    start = next(p for p in data if p["id"] == "boekstart-kinderopvang")
    assert start["part_of"] == "BoekStart"
    assert all(p["source"]["section"] or p["source"]["url"] or p["source"]["local"] for p in data)


def test_figures_all_and_searched(app, kb):
    assert len(get(app, "/api/staff/figures")["figures"]) == len(kb.statistics())
    found = get(app, "/api/staff/figures?q=e-books")
    assert found["query"] == "e-books"
    assert "e-books" in found["figures"][0]["subject"]
    assert found["figures"][0]["source"]["section"]


def test_ido_desks_all_with_the_discontinued_ones_marked(app, kb):
    desks = get(app, "/api/staff/ido")["desks"]
    assert len(desks) == len(kb.ido_desks(include_discontinued=True))
    assert {d["status"] for d in desks} >= {"open", "vervallen"}
    assert all(d["source"]["url"] or d["source"]["local"] for d in desks)


def test_ido_desks_near_a_place_by_distance(app):
    data = get(app, "/api/staff/ido?place=Kaatsheuvel")
    assert data["place"] == "Kaatsheuvel"
    distances = [d["distance_km"] for d in data["desks"]]
    assert distances == sorted(distances)
    assert data["desks"][0]["place"] == "Kaatsheuvel"
    assert len([d for d in data["desks"] if d["status"] != "vervallen"]) > 3  # more than the bot's 3
    gone = [d for d in data["desks"] if d["status"] == "vervallen"]
    assert gone and all(d["distance_km"] <= distances[-1] for d in gone)


def test_ido_unknown_place_gives_an_empty_list(app):
    data = get(app, "/api/staff/ido?place=Xyzzyhoven")
    assert data["place"] is None and data["desks"] == []


def test_hostile_query_parameters(app):
    for q in ["<script>alert(1)</script>", "x" * 5000, "'; DROP TABLE statistics; --", "%00"]:
        assert app.call("GET", "/api/staff/figures", params={"q": q}).status == 200
        assert app.call("GET", "/api/staff/ido", params={"place": q}).status == 200


def test_the_kb_is_only_read(kb_path, kb, store, staff_auth):
    before = hashlib.sha256(kb_path.read_bytes()).hexdigest()
    app = Site(lambda: create_app(kb=kb, feedback_store=store, staff_auth=staff_auth)).logged_in()
    for path in ["/api/staff/schemes", "/api/staff/programmes", "/api/staff/figures?q=bezoek",
                 "/api/staff/ido?place=Ommen", "/api/staff/info"]:
        get(app, path)
    assert app.call("POST", "/api/staff/schemes", json={}).status == 405
    assert hashlib.sha256(kb_path.read_bytes()).hexdigest() == before


def test_missing_kb_is_a_clear_503(tmp_path, store, staff_auth):
    missing = KnowledgeBase(f"sqlite:///{tmp_path / 'nope.sqlite3'}")
    app = Site(lambda: create_app(kb=missing, feedback_store=store, staff_auth=staff_auth)).logged_in()
    reply = app.call("GET", "/api/staff/schemes")
    assert reply.status == 503
    assert "make kb" in reply.json()["error"]


def test_feedback_view(app, store):
    store.record("Waar is het IDO? bel 06-12345678", "Dat weet ik niet.", "down")
    store.record("wat is boekstart", "BoekStart is ...", "up")
    store.record_fallback("Hoe laat gaat de bieb open?")
    data = get(app, "/api/staff/feedback")
    assert [e["question"] for e in data["down"]] == ["Waar is het IDO? bel [TELEFOON]"]
    assert data["fallbacks"][0]["question"] == "Hoe laat gaat de bieb open?"


def test_the_staff_page_shows_who_is_logged_in_with_a_logout_form(app):
    page = app.call("GET", "/staff").text
    assert "Ingelogd als <strong>anna</strong>" in page
    assert re.search(r'<form class="logout" method="post" action="/staff/logout">\s*'
                     r'<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{43}">', page)


def test_pages_and_their_headers(app):
    demo = app.call("GET", "/")
    assert demo.status == 200
    assert 'src="/widget/bieb-widget.js" data-server="http://127.0.0.1:5005"' in demo.text
    assert "connect-src 'self' http://127.0.0.1:5005 ws://127.0.0.1:5005" in demo.headers["Content-Security-Policy"]
    staff = app.call("GET", "/staff")
    assert staff.status == 200 and "script-src 'self'" in staff.headers["Content-Security-Policy"]
    assert staff.headers["Cache-Control"] == "no-store" and "{{" not in staff.text
    for path in ["/widget/bieb-widget.js", "/widget/bieb-widget.css", "/staff/staff.js", "/staff/staff.css", "/demo.css"]:
        reply = app.call("GET", path)
        assert reply.status == 200 and reply.headers["X-Content-Type-Options"] == "nosniff"


def test_the_demo_page_escapes_the_server_address(kb, store, staff_auth):
    app = lambda: create_app('http://x"><script>alert(1)</script>', kb=kb, feedback_store=store,  # noqa: E731
                             staff_auth=staff_auth)
    assert "<script>alert(1)" not in call(app, "GET", "/").text


def test_vendor_files_come_from_node_modules_and_nothing_else(app):
    for name, marker in [("socket.io.min.js", "Socket.IO"), ("purify.min.js", "DOMPurify")]:
        reply = app.call("GET", f"/widget/vendor/{name}")
        assert reply.status == 200 and marker in reply.text
    for name in ["package.json", "..%2Fpackage.json", "axe.min.js", "..%2F..%2Fserver.py"]:
        assert app.call("GET", f"/widget/vendor/{name}").status == 404
