"""The staff login (bot/web/auth.py): every route that is not the widget's needs it; cookies, CSRF, limits, CLI.

The routes are taken from the app's router, so a route added later is tested too. `Site` is a tiny browser:
it keeps the cookies between requests to apps that share one StaffAuth (accounts and sessions).
"""
from __future__ import annotations

import asyncio
import io
import json
import os
import re
import stat
import subprocess
import sys
from http.cookies import SimpleCookie
from typing import Dict, List, Optional, Tuple

import pytest
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher

from bot import cli
from bot.feedback import FeedbackStore
from bot.web import auth
from bot.web.server import create_app
from tests.web_client import Reply, call

USER, PASSWORD = "anna", "lange-zin met 5 woorden"
OTHER, OTHER_PASSWORD = "bert", "een ander wachtwoord!"
#: Cheap argon2 settings for the web tests (the CLI test checks the real ones).
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

#: What a citizen's browser uses: open to anyone. Every other route of the app must need a login.
WIDGET = {("GET", "/"), ("GET", "/health"), ("GET", "/demo.css"), ("GET", "/widget/bieb-widget.js"),
          ("GET", "/widget/bieb-widget.css"), ("GET", "/widget/vendor/{name}"),
          ("POST", "/api/feedback"), ("OPTIONS", "/api/feedback")}
#: What the login page needs.
LOGIN = {("GET", "/staff/login"), ("POST", "/staff/login"), ("GET", "/staff/staff.css")}


# -- helpers (also used by test_web_staff.py and test_web_feedback.py) ----------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now


def make_auth(folder, users: Optional[Dict[str, str]] = None, **kwargs) -> auth.StaffAuth:
    store = auth.UserStore(folder / "staff_users.json", hasher=FAST)
    for name, password in (users if users is not None else {USER: PASSWORD}).items():
        store.add(name, password)
    return auth.StaffAuth(store, **kwargs)


def set_cookies(reply: Reply) -> Dict[str, object]:
    """name -> Morsel for every Set-Cookie of the reply."""
    found = {}
    for header in reply.headers.getall("Set-Cookie", []):
        jar = SimpleCookie()
        jar.load(header)
        found.update(jar)
    return found


class Site:
    """Requests to fresh apps made by `make_app`, with the cookies a browser would keep; no redirects followed."""

    def __init__(self, make_app, headers: Optional[Dict[str, str]] = None):
        self.make_app = make_app
        self.headers = dict(headers or {})
        self.jar: Dict[str, str] = {}

    def call(self, method: str, path: str, headers: Optional[Dict[str, str]] = None, **kwargs) -> Reply:
        sent = {**self.headers, **(headers or {})}
        if self.jar and "Cookie" not in sent:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        reply = call(self.make_app, method, path, headers=sent, allow_redirects=False, **kwargs)
        for name, morsel in set_cookies(reply).items():
            if morsel["max-age"] == "0":
                self.jar.pop(name, None)
            else:
                self.jar[name] = morsel.value
        return reply

    def get(self, path: str, **kwargs) -> Reply:
        return self.call("GET", path, **kwargs)

    def csrf(self, path: str = auth.LOGIN_PATH) -> str:
        page = self.get(path)
        assert page.status == 200, page.text
        return re.search(r'name="csrf" value="([^"]*)"', page.text).group(1)

    def login(self, name: str = USER, password: str = PASSWORD, headers: Optional[Dict[str, str]] = None) -> Reply:
        token = self.csrf()
        return self.call("POST", auth.LOGIN_PATH, data={"csrf": token, "username": name, "password": password},
                         headers=headers)

    def logged_in(self, name: str = USER, password: str = PASSWORD) -> "Site":
        reply = self.login(name, password)
        assert reply.status == 303 and reply.headers["Location"] == "/staff", reply.text
        assert auth.SESSION_COOKIE in self.jar
        return self


def routes(make_app) -> List[Tuple[str, str, str]]:
    """(method, route, a path to call it with) for every route of the app; HEAD goes with GET."""
    found = []
    for route in make_app().router.routes():
        if route.method != "HEAD":
            canonical = route.resource.canonical
            found.append((route.method, canonical, re.sub(r"\{[^}]+\}", "x", canonical)))
    return found


def closed_routes(make_app) -> List[Tuple[str, str, str]]:
    return [r for r in routes(make_app) if (r[0], r[1]) not in WIDGET | LOGIN]


def assert_closed(site: Site, make_app) -> None:
    closed = closed_routes(make_app)
    assert {("GET", "/staff"), ("GET", "/api/staff/feedback"), ("GET", "/api/staff/schemes"),
            ("POST", "/staff/logout")} <= {(m, r) for m, r, _ in closed}
    for method, route, path in closed:
        reply = site.call(method, path, data={} if method == "POST" else None)
        if route.startswith("/api/"):
            assert reply.status == 401, (method, route, reply.status)
            assert reply.json() == {"error": auth.MSG_NOT_LOGGED_IN}
        else:
            assert reply.status == 303, (method, route, reply.status)
            assert reply.headers["Location"] == auth.LOGIN_PATH
        assert reply.headers["Cache-Control"] == "no-store"
        assert "Waar is mijn" not in reply.text


# -- fixtures ------------------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    feedback = FeedbackStore(f"sqlite:///{tmp_path / 'fb.sqlite3'}")
    feedback.record_fallback("Waar is mijn pas? Mijn BSN is 111222333")
    return feedback


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def staff_auth(tmp_path, clock):
    return make_auth(tmp_path, {USER: PASSWORD, OTHER: OTHER_PASSWORD}, clock=clock)


@pytest.fixture
def app(kb, store, staff_auth):
    return lambda: create_app(kb=kb, feedback_store=store, staff_auth=staff_auth)


@pytest.fixture
def proxied(kb, store, staff_auth):
    """The app behind a trusted proxy: X-Forwarded-Proto and X-Forwarded-For count."""
    return lambda: create_app(kb=kb, feedback_store=store, staff_auth=staff_auth, trust_proxy=True)


# -- closed without a login ------------------------------------------------------------------
def test_every_route_but_the_widgets_needs_a_login(app):
    assert_closed(Site(app), app)


def test_a_made_up_or_wrong_session_cookie_opens_nothing(app):
    for value in ["x", "A" * 43, "../../etc/passwd", ""]:
        site = Site(app)
        site.jar[auth.SESSION_COOKIE] = value
        assert_closed(site, app)


def test_a_wrong_password_or_name_opens_nothing(app):
    for name, password in [(USER, "fout-wachtwoord-123"), (USER, ""), ("niemand", PASSWORD), (USER, PASSWORD.upper()),
                           (OTHER, PASSWORD)]:
        site = Site(app)
        reply = site.login(name, password)
        assert reply.status == 401
        assert auth.MSG_BAD_LOGIN in reply.text and 'role="alert"' in reply.text
        assert auth.SESSION_COOKIE not in site.jar
        assert_closed(site, app)


def test_the_right_password_opens_every_staff_route(app):
    site = Site(app).logged_in()
    for method, route, path in closed_routes(app):
        if method == "GET":
            reply = site.get(path)
            assert reply.status == 200, (route, reply.status, reply.text[:200])
            assert reply.headers["Cache-Control"] == "no-store"
    page = site.get("/staff")
    assert f"Ingelogd als <strong>{USER}</strong>" in page.text
    feedback = site.get("/api/staff/feedback").json()
    assert feedback["fallbacks"][0]["question"] == "Waar is mijn pas? Mijn BSN is [BSN]"
    assert site.get(auth.LOGIN_PATH).headers["Location"] == "/staff"  # already logged in


def test_the_account_name_is_not_case_sensitive(app):
    Site(app).logged_in(" Anna ", PASSWORD)


def test_the_session_ends_after_8_hours(app, clock):
    site = Site(app).logged_in()
    clock.now += 8 * 3600 - 1
    assert site.get("/api/staff/info").status == 200
    clock.now += 1
    assert site.get("/api/staff/info").status == 401
    assert_closed(site, app)


def test_a_new_password_or_a_removed_account_ends_its_sessions(app, staff_auth):
    anna, bert = Site(app).logged_in(), Site(app).logged_in(OTHER, OTHER_PASSWORD)
    staff_auth.users.add(USER, "een heel nieuw wachtwoord", replace=True)
    assert anna.get("/api/staff/info").status == 401
    assert bert.get("/api/staff/info").status == 200
    assert Site(app).login(USER, PASSWORD).status == 401
    Site(app).logged_in(USER, "een heel nieuw wachtwoord")
    staff_auth.users.remove(OTHER)
    assert bert.get("/api/staff/info").status == 401


# -- cookies -------------------------------------------------------------------------------------
def test_the_session_cookie_is_httponly_strict_and_8_hours(app):
    site = Site(app)
    csrf_cookie = set_cookies(site.get(auth.LOGIN_PATH))[auth.CSRF_COOKIE]
    assert csrf_cookie["httponly"] is True and csrf_cookie["samesite"] == "Strict"
    assert csrf_cookie["path"] == auth.LOGIN_PATH and not csrf_cookie["secure"]
    reply = site.login()
    cookie = set_cookies(reply)[auth.SESSION_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    assert cookie["max-age"] == str(8 * 3600)
    assert not cookie["secure"]  # plain http (a local test server): a Secure cookie would never come back
    assert len(cookie.value) >= 43 and cookie.value not in reply.text and cookie.value not in reply.headers["Location"]
    assert cookie.value != set_cookies(Site(app).login())[auth.SESSION_COOKIE].value


def test_the_cookies_are_secure_behind_a_trusted_https_proxy(app, proxied):
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    site = Site(proxied, headers=https)
    assert set_cookies(site.get(auth.LOGIN_PATH))[auth.CSRF_COOKIE]["secure"] is True
    reply = site.login()
    assert set_cookies(reply)[auth.SESSION_COOKIE]["secure"] is True
    logout = site.call("POST", "/staff/logout", data={"csrf": csrf_of_staff_page(site)})
    assert set_cookies(logout)[auth.SESSION_COOKIE]["secure"] is True
    # Without trust_proxy anybody could send the header: it is ignored.
    assert not set_cookies(Site(app, headers=https).login())[auth.SESSION_COOKIE]["secure"]


# -- CSRF ------------------------------------------------------------------------------------------
def csrf_of_staff_page(site: Site) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', site.get("/staff").text).group(1)


def test_login_without_the_csrf_token_is_refused(app):
    site = Site(app)
    token = site.csrf()
    form = {"username": USER, "password": PASSWORD}
    refused = [
        site.call("POST", auth.LOGIN_PATH, data=form),  # no field
        site.call("POST", auth.LOGIN_PATH, data={**form, "csrf": "x" * 43}),  # not the cookie's
        site.call("POST", auth.LOGIN_PATH, data={**form, "csrf": token}, headers={"Cookie": ""}),  # no cookie
        site.call("POST", auth.LOGIN_PATH, data={**form, "csrf": token}, headers={"Sec-Fetch-Site": "cross-site"}),
        site.call("POST", auth.LOGIN_PATH, json={**form, "csrf": token}),
    ]
    for reply in refused:
        assert reply.status == 403
        assert auth.MSG_EXPIRED_FORM in reply.text
        assert auth.SESSION_COOKIE not in set_cookies(reply)
    assert auth.SESSION_COOKIE not in site.jar
    assert site.call("POST", auth.LOGIN_PATH, data={**form, "csrf": site.csrf()}).status == 303


def test_logout_needs_the_pages_token_and_ends_the_session(app):
    site = Site(app).logged_in()
    cookie = site.jar[auth.SESSION_COOKIE]
    token = csrf_of_staff_page(site)
    for data, headers in [({}, None), ({"csrf": "x" * 43}, None), ({"csrf": token}, {"Sec-Fetch-Site": "cross-site"})]:
        reply = site.call("POST", "/staff/logout", data=data, headers=headers)
        assert reply.status == 403 and auth.MSG_EXPIRED_FORM in reply.text
        assert site.get("/api/staff/info").status == 200
    reply = site.call("POST", "/staff/logout", data={"csrf": token})
    assert reply.status == 303 and reply.headers["Location"] == "/staff/login?uitgelogd"
    assert set_cookies(reply)[auth.SESSION_COOKIE]["max-age"] == "0"
    assert auth.MSG_LOGGED_OUT in site.get(reply.headers["Location"]).text
    again = Site(app)
    again.jar[auth.SESSION_COOKIE] = cookie  # the old cookie, kept by someone
    assert_closed(again, app)


def test_the_staff_api_only_reads(app):
    """So its requests need no CSRF token: login and logout are the only POSTs behind the login."""
    staff = [(m, r) for m, r, _ in routes(app) if r.startswith("/api/staff")]
    assert staff and {m for m, _ in staff} == {"GET"}
    posts = {(m, r) for m, r, _ in closed_routes(app) if m not in ("GET", "HEAD")}
    assert posts == {("POST", "/staff/logout")}


# -- failed logins -------------------------------------------------------------------------------
def test_five_failures_lock_the_account_for_15_minutes(app, clock):
    for _ in range(auth.ACCOUNT_LIMIT):
        assert Site(app).login(USER, "fout-wachtwoord-123").status == 401
    site = Site(app)
    reply = site.login()  # even the right password
    assert reply.status == 429
    assert "te vaak een verkeerd wachtwoord" in reply.text and "Wacht 15 minuten" in reply.text
    assert 0 < int(reply.headers["Retry-After"]) <= 15 * 60
    assert auth.SESSION_COOKIE not in site.jar
    assert_closed(site, app)
    Site(app).logged_in(OTHER, OTHER_PASSWORD)  # another account from the same address
    clock.now += 14 * 60 + 30
    later = Site(app).login()
    assert later.status == 429 and "Wacht 1 minuut en" in later.text and later.headers["Retry-After"] == "30"
    clock.now += 30
    Site(app).logged_in()


def test_a_good_login_starts_the_count_again(app):
    for _ in range(auth.ACCOUNT_LIMIT - 1):
        assert Site(app).login(USER, "fout-wachtwoord-123").status == 401
    Site(app).logged_in()
    for _ in range(auth.ACCOUNT_LIMIT - 1):
        assert Site(app).login(USER, "fout-wachtwoord-123").status == 401
    Site(app).logged_in()


def test_one_address_trying_many_names_is_stopped(proxied, app):
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    for i in range(auth.ADDRESS_LIMIT):
        assert Site(proxied, headers=attacker).login(f"naam{i}", "fout-wachtwoord-123").status == 401
    assert Site(proxied, headers=attacker).login().status == 429
    Site(proxied, headers={"X-Forwarded-For": "198.51.100.20"}).logged_in()
    # Without a trusted proxy the header is ignored: changing it does not get around the limit.
    for i in range(auth.ADDRESS_LIMIT):
        assert Site(app, headers={"X-Forwarded-For": f"192.0.2.{i}"}).login(f"ander{i}", "fout").status == 401
    assert Site(app, headers={"X-Forwarded-For": "192.0.2.250"}).login(OTHER, OTHER_PASSWORD).status == 429


def test_attempts_at_the_same_moment_all_count(app):
    async def run() -> List[int]:
        async with TestClient(TestServer(app())) as client:
            page = await client.get(auth.LOGIN_PATH)
            token = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)

            async def attempt() -> int:
                reply = await client.post(auth.LOGIN_PATH, allow_redirects=False,
                                          data={"csrf": token, "username": USER, "password": "fout-wachtwoord-123"})
                return reply.status
            return list(await asyncio.gather(*[attempt() for _ in range(12)]))
    statuses = asyncio.run(run())
    assert statuses.count(401) == auth.ACCOUNT_LIMIT and statuses.count(429) == 12 - auth.ACCOUNT_LIMIT


# -- no account -----------------------------------------------------------------------------------
def test_without_accounts_everything_stays_closed_and_the_page_says_what_to_do(tmp_path, kb, store):
    empty = auth.StaffAuth(auth.UserStore(tmp_path / "nobody.json", hasher=FAST))
    app = lambda: create_app(kb=kb, feedback_store=store, staff_auth=empty)  # noqa: E731
    site = Site(app)
    page = site.get(auth.LOGIN_PATH)
    assert page.status == 200
    assert "python -m bot staff add-user" in page.text and auth.MSG_NO_ACCOUNTS in page.text
    assert 'type="password"' not in page.text
    token = set_cookies(page)[auth.CSRF_COOKIE].value
    for name, password in [(USER, PASSWORD), ("", ""), ("admin", "admin")]:
        reply = site.call("POST", auth.LOGIN_PATH, data={"csrf": token, "username": name, "password": password})
        assert reply.status == 401 and "python -m bot staff add-user" in reply.text
    assert_closed(site, app)
    assert not (tmp_path / "nobody.json").exists()  # the web server never writes accounts


def test_a_broken_accounts_file_closes_everything(tmp_path, kb, store, caplog):
    path = tmp_path / "staff_users.json"
    path.write_text("{dit is geen json", encoding="utf-8")
    path.chmod(0o600)
    broken = auth.StaffAuth(auth.UserStore(path, hasher=FAST))
    app = lambda: create_app(kb=kb, feedback_store=store, staff_auth=broken)  # noqa: E731
    site = Site(app)
    page = site.get(auth.LOGIN_PATH)
    assert auth.MSG_BROKEN_FILE in page.text and 'type="password"' not in page.text
    token = set_cookies(page)[auth.CSRF_COOKIE].value
    reply = site.call("POST", auth.LOGIN_PATH, data={"csrf": token, "username": USER, "password": PASSWORD})
    assert reply.status == 401 and auth.MSG_BROKEN_FILE in reply.text
    assert_closed(site, app)
    assert "staff accounts not usable" in caplog.text


# -- the widget stays open ---------------------------------------------------------------------
def test_the_widget_routes_stay_open(app):
    site = Site(app)
    existing = {(m, r) for m, r, _ in routes(app)}
    assert WIDGET | LOGIN <= existing  # the lists above are not stale
    for path in ["/", "/health", "/demo.css", "/widget/bieb-widget.js", "/widget/bieb-widget.css",
                 "/widget/vendor/purify.min.js", "/staff/staff.css", auth.LOGIN_PATH]:
        reply = site.get(path)
        assert reply.status == 200, (path, reply.status)
        assert reply.headers["X-Content-Type-Options"] == "nosniff"
    posted = site.call("POST", "/api/feedback", json={"question": "wat is boekstart", "answer": "BoekStart ...",
                                                      "rating": "up"})
    assert posted.status == 201
    assert site.call("OPTIONS", "/api/feedback").status == 204
    assert auth.SESSION_COOKIE not in site.jar


# -- the login page ----------------------------------------------------------------------------------
def test_the_login_page_is_plain_dutch_with_labels(app):
    page = Site(app).get(auth.LOGIN_PATH)
    assert '<html lang="nl">' in page.text
    for field in ("username", "password"):
        assert f'<label for="{field}">' in page.text and f'id="{field}"' in page.text
    assert 'autocomplete="current-password"' in page.text and '<button type="submit">Inloggen</button>' in page.text
    assert "form-action 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"


def test_the_login_page_escapes_what_was_typed(app):
    reply = Site(app).login('"><script>alert(1)</script>', "fout-wachtwoord-123")
    assert reply.status == 401
    assert "<script>alert(1)" not in reply.text and "&lt;script&gt;alert(1)" in reply.text


def test_passwords_and_tokens_are_never_logged(app, caplog):
    caplog.set_level("DEBUG")
    site = Site(app)
    site.login(USER, "fout-wachtwoord-123")
    site.login(OTHER, "nog-een-fout-wachtwoord")
    site.logged_in()
    token = csrf_of_staff_page(site)
    session = site.jar[auth.SESSION_COOKIE]
    site.call("POST", "/staff/logout", data={"csrf": "x" * 43})
    site.call("POST", "/staff/logout", data={"csrf": token})
    assert "staff login failed" in caplog.text and "staff logout" in caplog.text
    for secret in [PASSWORD, "fout-wachtwoord-123", "nog-een-fout-wachtwoord", token, session, "x" * 43]:
        assert secret not in caplog.text


# -- the command line: python -m bot staff ... ---------------------------------------------------
@pytest.fixture
def users_file(tmp_path, monkeypatch):
    path = tmp_path / "var" / "staff_users.json"
    monkeypatch.setenv("STAFF_USERS_FILE", str(path))
    return path


def run_cli(monkeypatch, args: List[str], stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return cli.main(["staff", *args])


def test_add_user_stores_only_an_argon2_hash_in_a_private_file(users_file, monkeypatch, capsys):
    assert run_cli(monkeypatch, ["add-user", "Anna", "--password-stdin"], PASSWORD + "\n") == 0
    assert "Het account 'anna' is gemaakt" in capsys.readouterr().out
    assert stat.S_IMODE(os.stat(users_file).st_mode) == 0o600
    raw = users_file.read_text(encoding="utf-8")
    assert PASSWORD not in raw and PASSWORD.encode().hex() not in raw
    stored = json.loads(raw)["users"]["anna"]["hash"]
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # argon2-cffi's defaults (RFC 9106)
    assert PasswordHasher().verify(stored, PASSWORD)
    assert auth.UserStore().verify("anna", PASSWORD) == stored
    assert auth.UserStore().verify("anna", PASSWORD + " ") is None


def test_add_user_as_a_command(users_file):
    done = subprocess.run([sys.executable, "-m", "bot", "staff", "add-user", "bert", "--password-stdin"],
                          input=OTHER_PASSWORD + "\n", capture_output=True, text=True, timeout=120,
                          env={**os.environ, "STAFF_USERS_FILE": str(users_file)})
    assert done.returncode == 0, done.stderr
    assert OTHER_PASSWORD not in done.stdout + done.stderr + users_file.read_text(encoding="utf-8")
    assert auth.UserStore(users_file).verify("bert", OTHER_PASSWORD)


def test_add_user_asks_twice_with_getpass(users_file, monkeypatch, capsys):
    import getpass

    answers = iter(["een-goed-wachtwoord", "een-ander-wachtwoord"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(answers))
    assert run_cli(monkeypatch, ["add-user", "anna"]) == 2
    assert "niet gelijk" in capsys.readouterr().err and not users_file.exists()
    answers = iter(["een-goed-wachtwoord"] * 2)
    assert run_cli(monkeypatch, ["add-user", "anna"]) == 0
    assert auth.UserStore().verify("anna", "een-goed-wachtwoord")


@pytest.mark.parametrize("name, password, message", [
    ("anna", "kort", "minstens 12 tekens"),
    ("anna", "", "minstens 12 tekens"),
    ("een naam", PASSWORD, "gebruikersnaam"),
    ("../root", PASSWORD, "gebruikersnaam"),
    ("anna-de-beheerder", "Anna-de-beheerder", "niet hetzelfde"),
])
def test_add_user_refuses_bad_names_and_passwords(users_file, monkeypatch, capsys, name, password, message):
    assert run_cli(monkeypatch, ["add-user", name, "--password-stdin"], password + "\n") == 2
    assert message in capsys.readouterr().err
    assert not users_file.exists()


def test_replace_list_and_remove(users_file, monkeypatch, capsys):
    assert run_cli(monkeypatch, ["add-user", "anna", "--password-stdin"], PASSWORD) == 0
    assert run_cli(monkeypatch, ["add-user", "anna", "--password-stdin"], "een tweede wachtwoord") == 2
    assert "bestaat al" in capsys.readouterr().err
    assert auth.UserStore().verify("anna", PASSWORD)
    assert run_cli(monkeypatch, ["add-user", "anna", "--replace", "--password-stdin"], "een tweede wachtwoord") == 0
    assert auth.UserStore().verify("anna", "een tweede wachtwoord") and not auth.UserStore().verify("anna", PASSWORD)
    assert run_cli(monkeypatch, ["add-user", "bert", "--password-stdin"], OTHER_PASSWORD) == 0
    capsys.readouterr()
    assert run_cli(monkeypatch, ["list-users"]) == 0
    listed = capsys.readouterr().out
    assert re.findall(r"^(\S+)", listed, re.M) == ["anna", "bert"] and "argon2" not in listed
    assert run_cli(monkeypatch, ["remove-user", "anna"]) == 0
    assert run_cli(monkeypatch, ["remove-user", "anna"]) == 2
    assert set(json.loads(users_file.read_text())["users"]) == {"bert"}
    assert stat.S_IMODE(os.stat(users_file).st_mode) == 0o600


def test_accounts_made_on_the_command_line_work_at_once_on_the_running_server(users_file, monkeypatch, kb, store):
    running = auth.StaffAuth(auth.UserStore())
    app = lambda: create_app(kb=kb, feedback_store=store, staff_auth=running)  # noqa: E731
    assert 'type="password"' not in Site(app).get(auth.LOGIN_PATH).text
    assert run_cli(monkeypatch, ["add-user", "anna", "--password-stdin"], PASSWORD) == 0
    site = Site(app).logged_in()
    assert site.get("/api/staff/info").status == 200
    assert run_cli(monkeypatch, ["remove-user", "anna"]) == 0
    assert site.get("/api/staff/info").status == 401
