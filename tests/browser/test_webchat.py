"""Botfront's rasa-webchat (npm, the most used Rasa web widget) in chromium, against the real bot over socket.io.

A library that already has rasa-webchat on its site only points it at this bot: `socketUrl`, `socketPath`,
`initPayload: "/get_started"` (read as the greeting, bot/rasa_server.py) and its site's origin in CORS_ORIGINS.
Here a tiny page server on loopback plays that library's site: one page with the widget's own UMD bundle
from bot/web/node_modules (`make web`) and the snippet from rasa-webchat's README. The action server and
Rasa run on free ports, with CORS_ORIGINS set to the page's origin only, as a library would set it.
"""
from __future__ import annotations

import http.server
import os
import re
import threading
from typing import Iterator, List

import pytest
import yaml
from playwright.sync_api import expect

from bot.serve import DEFAULT_MODEL, Servers, Settings
from tests.browser.helpers import ROOT, free_port

WEBCHAT = ROOT / "bot" / "web" / "node_modules" / "rasa-webchat"
BUNDLE = WEBCHAT / "lib" / "index.js"
ANSWER_MS = 45_000
PRIVACY = "Typ geen persoonlijke gegevens, zoals uw BSN."
APOLOGY = "Sorry"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PAGE = """<!doctype html>
<html lang="nl">
<head><meta charset="utf-8"><title>Bibliotheek Voorbeeld</title></head>
<body>
<main><h1>Bibliotheek Voorbeeld</h1><p>Een bibliotheek die rasa-webchat al gebruikt.</p></main>
<script src="/rasa-webchat/index.js"></script>
<script>
  WebChat.default({
    socketUrl: "%(socket_url)s",
    socketPath: "/socket.io/",
    initPayload: "/get_started",
    title: "Bieb-assistent",
    inputTextFieldHint: "Stel uw vraag",
    params: {storage: "session"}
  }, null);
</script>
</body>
</html>
"""


class PageServer:
    """The library's own site: `/` (the page with the widget) and `/rasa-webchat/index.js` (the npm bundle)."""

    def __init__(self, socket_url: str):
        page = (PAGE % {"socket_url": socket_url}).encode()
        bundle = BUNDLE.read_bytes()
        files = {"/": ("text/html; charset=utf-8", page), "/rasa-webchat/index.js": ("application/javascript", bundle)}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path not in files:
                    self.send_error(404)
                    return
                content_type, body = files[self.path]
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "PageServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(10)


@pytest.fixture(scope="module")
def site_and_bot(env, tmp_path_factory) -> Iterator[tuple]:
    """The library's page on one loopback port; the action server and Rasa (socket.io) on others.

    CORS_ORIGINS names only the page's origin (127.0.0.1:port); `localhost:port` is the same server under
    another origin, which Rasa must not serve. Conversations go to a tracker store in a temporary folder.
    """
    if not BUNDLE.exists():
        pytest.fail(f"rasa-webchat ontbreekt ({BUNDLE}): run `make web`")
    if not DEFAULT_MODEL.exists():
        pytest.fail("no trained model: run `make train` first (`make test` does)")
    rasa_port = free_port()
    with PageServer(f"http://127.0.0.1:{rasa_port}") as site:
        saved = os.environ.get("CORS_ORIGINS")
        os.environ["CORS_ORIGINS"] = site.origin
        try:
            settings = Settings(rasa_port=rasa_port, action_port=free_port())
        finally:
            if saved is None:
                os.environ.pop("CORS_ORIGINS")
            else:
                os.environ["CORS_ORIGINS"] = saved
        assert settings.cors_origins == [site.origin]
        logs = tmp_path_factory.mktemp("logs")
        servers = Servers(settings, log_dir=logs, env={"TRACKER_DB": str(logs / "tracker.sqlite3")})
        try:
            servers.start(timeout=300)
            yield site, servers
        finally:
            servers.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="nl-NL")
    # Only loopback: the widget's stylesheet imports a web font from Google, which the test does not need.
    context.route(re.compile(r"^(?!https?://(127\.0\.0\.1|localhost)[:/])"), lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    errors = page.errors
    context.close()
    assert not errors, errors


def greeting() -> tuple:
    """utter_greet as domain.yml words it: the text and the titles of its start buttons."""
    response = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]["utter_greet"][0]
    return response["text"], [b["title"] for b in response["buttons"]]


def bot_texts(page) -> List[str]:
    return [t.strip() for t in page.locator(".rw-response .rw-message-text").all_inner_texts()]


def ask(page, text: str) -> str:
    """Type a question as a user does; the text of the bot's next message."""
    before = page.locator(".rw-response").count()
    field = page.get_by_placeholder("Stel uw vraag")
    field.fill(text)
    field.press("Enter")
    expect(page.locator(".rw-client").last).to_have_text(text)
    answer = page.locator(".rw-response .rw-message-text").nth(before)
    answer.wait_for(state="visible", timeout=ANSWER_MS)
    return answer.inner_text().strip()


def test_rasa_webchat_holds_a_conversation_over_socketio(page, site_and_bot, kb):
    site, _ = site_and_bot
    page.goto(site.origin + "/")
    page.locator(".rw-launcher").click()

    # 1. The opening: rasa-webchat sends "/get_started"; the bot greets, says it is a computer, warns about
    #    personal data and offers its start buttons (domain.yml's utter_greet, not the fallback's "niet zeker").
    text, buttons = greeting()
    first = page.locator(".rw-response").first
    first.wait_for(state="visible", timeout=ANSWER_MS)
    expect(first.locator(".rw-message-text")).to_have_text(text)
    assert PRIVACY in text and "een computer" in text
    expect(page.locator(".rw-replies .rw-reply")).to_have_text(buttons)
    assert not page.locator(".rw-client").count(), "the opening payload is not shown as the user's message"

    # 2. A programme question: the answer is BoekStart's record, with its source.
    boekstart = kb.record("programmes", "boekstart")
    reply = ask(page, "wat is boekstart?")
    assert reply.startswith("BoekStart is een programma van de bibliotheek"), reply
    assert " ".join(boekstart.summary.split()[:12]) in " ".join(reply.split()), reply
    assert "Bron: handreiking" in reply and APOLOGY not in reply
    expect(page.locator(".rw-replies .rw-reply")).to_have_text(["Voor wie is het?", "Wat kost het?", "Hoe doe ik mee?"])

    # 3. A follow-up without a name: "het" is BoekStart (the subject slot kept across socket.io turns),
    #    answered with the record's audience ("Baby's en hun ouders."), not the what-is summary again.
    reply = ask(page, "voor wie is het?")
    audience = boekstart.audience[0].lower() + boekstart.audience[1:]
    assert reply.startswith(f"BoekStart is voor: {audience}"), reply
    assert "Bron: handreiking" in reply and APOLOGY not in reply
    assert len(bot_texts(page)) == 3, bot_texts(page)


def test_an_origin_not_in_cors_origins_gets_no_conversation(page, site_and_bot):
    """The same page under another origin (localhost instead of 127.0.0.1): the browser may not read Rasa's replies,
    so the widget never connects and stays hidden (rasa-webchat's hideWhenNotConnected)."""
    site, _ = site_and_bot
    with page.expect_event("requestfailed", predicate=lambda request: "/socket.io/" in request.url,
                           timeout=ANSWER_MS) as refused:
        page.goto(f"http://localhost:{site.port}/")
    assert refused.value.failure == "net::ERR_FAILED", refused.value.failure
    assert page.locator(".rw-launcher").count() == 0
    assert page.locator(".rw-response").count() == 0
