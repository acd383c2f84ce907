"""Login for the staff page: accounts, sessions, CSRF tokens and a limit on failed logins.

The web server serves the citizens' widget and the staff page on one port, so every route that is not
on the server's public list (the widget, its demo page, POST /api/feedback, /health and the login page
itself) needs a logged-in staff member. The check is made on the route that matched, after routing, so
a new route is closed until someone puts it on the public list.

Accounts: a JSON file, `STAFF_USERS_FILE` (default var/staff_users.json), mode 0600, written only by
`python -m bot staff add-user|remove-user` (bot/cli.py) and only read by the web server. It holds an
argon2id hash per account (argon2-cffi's defaults, RFC 9106), never a password. The server looks at the
file's stat on each request, so a new, changed or removed account counts at once: removing an account
or setting a new password ends the sessions made with the old one.

Sessions: in the web server's memory (one web server process; a restart logs everybody out), a random
token (`secrets.token_urlsafe`) in a cookie that is HttpOnly, SameSite=Strict, Path=/ and Secure when the
page came over https, for at most 8 hours. Behind a proxy that ends TLS, `trust_proxy` (WEB_TRUST_PROXY=1)
makes the server believe the proxy's X-Forwarded-Proto and X-Forwarded-For; without it they are ignored.

CSRF: login and logout are the only POSTs behind the login (the staff API only reads). The login form
carries a double-submit token (a random value in a cookie and in the form, compared in constant time);
the logout form the session's own token, kept on the server. Both refuse `Sec-Fetch-Site: cross-site`.

Failed logins: at most ACCOUNT_LIMIT per account name and ADDRESS_LIMIT per client address in
LIMIT_WINDOW seconds; then 429 with a Dutch message and Retry-After, and the password is not checked.
An attempt counts before its password is checked, so parallel attempts cannot slip past the limit.

Passwords and tokens are never logged.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import hashlib
import hmac
import html
import json
import logging
import math
import os
import re
import secrets
import stat
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Deque, Dict, Iterable, List, Optional, Tuple

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from knowledge.db import ROOT

log = logging.getLogger(__name__)

DEFAULT_USERS_FILE = ROOT / "var" / "staff_users.json"
FILE_FORMAT = 1
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # longer input is refused before it is hashed

SESSION_COOKIE = "bieb_staff"
CSRF_COOKIE = "bieb_staff_csrf"
CSRF_FIELD = "csrf"
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
SESSION_SECONDS = 8 * 3600
MAX_SESSIONS = 2000

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20  # higher: the staff of one library often share one address (NAT)
LIMIT_WINDOW = 15 * 60

LOGIN_PATH = "/staff/login"
LOGOUT_PATH = "/staff/logout"
STAFF_HOME = "/staff"
VERIFY_AT_ONCE = 2  # argon2 takes 64 MiB and a good part of a second per check

HERE = Path(__file__).resolve().parent
LOGIN_TEMPLATE = HERE / "static" / "staff" / "login.html"

MSG_BAD_LOGIN = "Uw gebruikersnaam of wachtwoord klopt niet. Probeer het opnieuw."
MSG_TOO_MANY = "U heeft te vaak een verkeerd wachtwoord ingevuld. Wacht {wait} en probeer het dan opnieuw."
MSG_EXPIRED_FORM = ("Dit formulier is verlopen. Probeer het nog een keer. Lukt het weer niet? "
                    "Zet dan cookies aan voor deze website.")
MSG_LOGGED_OUT = "U bent uitgelogd."
MSG_NO_ACCOUNTS = "Er is nog geen account voor medewerkers."
MSG_BROKEN_FILE = ("De accounts kunnen nu niet gelezen worden. Vraag de beheerder om naar het logboek "
                   "van de webserver te kijken.")
MSG_NOT_LOGGED_IN = "U bent niet ingelogd. Log eerst in op /staff/login."


class AccountError(ValueError):
    """A name, password or accounts file that cannot be used; the message is for the user (Dutch)."""


def normalize_name(name: Any) -> str:
    return str(name or "").strip().lower()


def check_name(name: str) -> str:
    name = normalize_name(name)
    if not NAME_RE.match(name):
        raise AccountError("Een gebruikersnaam heeft 1 tot 64 tekens: kleine letters, cijfers, punt, "
                           "streepje of liggend streepje. Begin met een letter of cijfer.")
    return name


def check_password(name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Kies een wachtwoord van minstens {MIN_PASSWORD} tekens.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"Kies een wachtwoord van hoogstens {MAX_PASSWORD} tekens.")
    if password.strip().lower() == name:
        raise AccountError("Het wachtwoord mag niet hetzelfde zijn als de gebruikersnaam.")


def _utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


# -- accounts -----------------------------------------------------------------------------------
class UserStore:
    """The accounts file: name -> argon2 hash. Read again whenever the file changes."""

    def __init__(self, path: Optional[os.PathLike] = None, hasher: Optional[PasswordHasher] = None):
        self.path = Path(path or os.environ.get("STAFF_USERS_FILE") or DEFAULT_USERS_FILE)
        self.hasher = hasher or PasswordHasher()
        self._lock = threading.Lock()
        self._seen: Optional[Tuple[int, int, int]] = None
        self._hashes: Dict[str, str] = {}
        self._broken = False
        self._dummy: Optional[str] = None

    # reading (the web server) ----------------------------------------------------------------
    def _read(self) -> Dict[str, Dict[str, str]]:
        """The accounts in the file; {} when there is no file. AccountError when it cannot be used."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise AccountError(f"Het accountbestand {self.path} kan niet gelezen worden: {exc.strerror}.") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise AccountError(f"Het accountbestand {self.path} is beschadigd (geen geldige JSON).") from None
        users = data.get("users") if isinstance(data, dict) else None
        if not isinstance(users, dict) or not all(
                isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("hash"), str) for k, v in users.items()):
            raise AccountError(f"Het accountbestand {self.path} heeft niet de goede vorm.")
        return users

    def hashes(self) -> Dict[str, str]:
        """name -> hash, as the file says now. A broken file counts as no accounts (and is logged)."""
        try:
            st = os.stat(self.path)
            seen: Optional[Tuple[int, int, int]] = (st.st_mtime_ns, st.st_size, st.st_ino)
        except FileNotFoundError:
            seen, st = None, None
        except OSError:
            seen, st = (-1, -1, -1), None
        with self._lock:
            if seen == self._seen and self._seen is not None:
                return self._hashes
            if seen is None:
                self._seen, self._hashes, self._broken = None, {}, False
                return self._hashes
            if st is not None and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                log.warning("%s can be read by others than its owner: chmod 600 %s", self.path, self.path)
            try:
                users = self._read()
                self._hashes = {check_name(k): v["hash"] for k, v in users.items()}
                self._broken = False
            except AccountError as exc:
                log.error("staff accounts not usable, nobody can log in: %s", exc)
                self._hashes, self._broken = {}, True
            self._seen = seen
            return self._hashes

    @property
    def broken(self) -> bool:
        self.hashes()
        return self._broken

    def verify(self, name: str, password: str) -> Optional[str]:
        """The account's hash when `password` is right, else None. Takes as long for an unknown name."""
        stored = self.hashes().get(normalize_name(name))
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        try:
            self.hasher.verify(stored or self._dummy, password)
        except VerifyMismatchError:
            return None
        except (VerificationError, InvalidHashError):
            log.error("the stored hash of a staff account cannot be checked; set a new password with add-user --replace")
            return None
        return stored

    # writing (the command line) --------------------------------------------------------------
    def _write(self, users: Dict[str, Dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"format": FILE_FORMAT, "users": dict(sorted(users.items()))}, out, indent=2)
                out.write("\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _locked(self) -> Any:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = open(os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600), "r+")
        fcntl.flock(lock, fcntl.LOCK_EX)
        return lock  # closing it lets go of the lock

    def add(self, name: str, password: str, replace: bool = False) -> bool:
        """Make an account (or with `replace` give it a new password). True when it already existed."""
        name = check_name(name)
        check_password(name, password)
        with self._locked():
            users = self._read()
            existed = name in users
            if existed and not replace:
                raise AccountError(f"Het account '{name}' bestaat al. Een nieuw wachtwoord geven: "
                                   f"python -m bot staff add-user {name} --replace")
            now = _utc_now()
            users[name] = {"hash": self.hasher.hash(password),
                           "created": users.get(name, {}).get("created", now), "changed": now}
            self._write(users)
        return existed

    def remove(self, name: str) -> bool:
        name = normalize_name(name)
        with self._locked():
            users = self._read()
            if name not in users:
                return False
            del users[name]
            self._write(users)
        return True

    def accounts(self) -> List[Tuple[str, str]]:
        """(name, date of the last password change), by name."""
        return [(k, v.get("changed") or v.get("created") or "") for k, v in sorted(self._read().items())]


# -- sessions -----------------------------------------------------------------------------------
@dataclass
class Session:
    user: str
    account_hash: str  # the session ends when the account's hash changes (new password, removed)
    csrf: str
    expires: float


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()  # the tokens themselves are not kept


class Sessions:
    def __init__(self, clock: Callable[[], float], seconds: int = SESSION_SECONDS, limit: int = MAX_SESSIONS):
        self.clock, self.seconds, self.limit = clock, seconds, limit
        self._by_key: Dict[str, Session] = {}

    def new(self, user: str, account_hash: str) -> str:
        now = self.clock()
        if len(self._by_key) >= self.limit:
            self._by_key = {k: s for k, s in self._by_key.items() if s.expires > now}
            while len(self._by_key) >= self.limit:  # still full: the oldest goes
                del self._by_key[min(self._by_key, key=lambda k: self._by_key[k].expires)]
        token = secrets.token_urlsafe(32)
        self._by_key[_key(token)] = Session(user, account_hash, secrets.token_urlsafe(32), now + self.seconds)
        return token

    def get(self, token: Optional[str]) -> Optional[Session]:
        if not token or not TOKEN_RE.match(token):
            return None
        key = _key(token)
        session = self._by_key.get(key)
        if session is not None and session.expires <= self.clock():
            del self._by_key[key]
            return None
        return session

    def drop(self, token: Optional[str]) -> None:
        if token:
            self._by_key.pop(_key(token), None)


# -- failed logins --------------------------------------------------------------------------------
class FailureLimit:
    """At most `limit` failures per key in the last `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float], max_keys: int = 10_000):
        self.limit, self.window, self.clock, self.max_keys = limit, window, clock, max_keys
        self._failures: Dict[str, Deque[float]] = {}

    def _recent(self, key: str) -> Deque[float]:
        times = self._failures.get(key)
        if times is None:
            return deque()
        cutoff = self.clock() - self.window
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del self._failures[key]
        return times

    def wait(self, key: str) -> float:
        """Seconds until the key may try again; 0 when it may now."""
        times = self._recent(key)
        if len(times) < self.limit:
            return 0.0
        return max(1.0, times[-self.limit] + self.window - self.clock())

    def add(self, key: str) -> float:
        if key not in self._failures and len(self._failures) >= self.max_keys:
            for old in list(self._failures):
                self._recent(old)
            if len(self._failures) >= self.max_keys:
                del self._failures[next(iter(self._failures))]
        at = self.clock()
        self._failures.setdefault(key, deque()).append(at)
        return at

    def take_back(self, key: str, at: float) -> None:
        times = self._failures.get(key)
        if times is not None and at in times:
            times.remove(at)
            if not times:
                del self._failures[key]

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


@dataclass
class LoginResult:
    session_token: Optional[str] = None
    retry_after: float = 0.0  # > 0: refused by the limit


class StaffAuth:
    """Accounts, sessions and the limit on failed logins of one web server."""

    def __init__(self, users: Optional[UserStore] = None, clock: Callable[[], float] = time.monotonic,
                 session_seconds: int = SESSION_SECONDS, account_limit: int = ACCOUNT_LIMIT,
                 address_limit: int = ADDRESS_LIMIT, window: float = LIMIT_WINDOW):
        self.users = users or UserStore()
        self.clock = clock
        self.sessions = Sessions(clock, session_seconds)
        self.per_account = FailureLimit(account_limit, window, clock)
        self.per_address = FailureLimit(address_limit, window, clock)

    def session(self, token: Optional[str]) -> Optional[Session]:
        session = self.sessions.get(token)
        if session is None:
            return None
        if self.users.hashes().get(session.user) != session.account_hash:
            self.sessions.drop(token)
            return None
        return session

    async def login(self, name: Any, password: Any, address: str,
                    check: Callable[[Callable[[], Optional[str]]], Awaitable[Optional[str]]]) -> LoginResult:
        """Check a login; `check` runs the (slow) password check, e.g. in a thread."""
        name = normalize_name(name)
        account_key, address_key = f"account:{name[:64]}", f"address:{address}"
        wait = max(self.per_account.wait(account_key), self.per_address.wait(address_key))
        if wait:
            log.warning("staff login refused: too many failed attempts (%s)",
                        "this account" if self.per_account.wait(account_key) else "this address")
            return LoginResult(retry_after=wait)
        # Counted now, taken back when right: attempts made at the same moment all count.
        self.per_account.add(account_key)
        address_mark = self.per_address.add(address_key)
        account_hash = None
        if isinstance(password, str) and 0 < len(password) <= MAX_PASSWORD:
            account_hash = await check(lambda: self.users.verify(name, password))
        if account_hash is None:
            known = name in self.users.hashes()
            log.info("staff login failed for %s", f"account {name!r}" if known else "an unknown account name")
            return LoginResult()
        self.per_account.clear(account_key)
        self.per_address.take_back(address_key, address_mark)
        log.info("staff login: account %r", name)
        return LoginResult(session_token=self.sessions.new(name, account_hash))


# -- aiohttp: the guard, the login page, logout -------------------------------------------------
AUTH_KEY = web.AppKey("staff_auth", StaffAuth)
PUBLIC_KEY = web.AppKey("public_routes", frozenset)
PROXY_KEY = web.AppKey("trust_proxy", bool)
SLOTS_KEY = web.AppKey("verify_slots", asyncio.Semaphore)
SESSION_KEY = "staff_session"


def _last(value: str) -> str:
    return value.split(",")[-1].strip()


def is_https(request: web.Request) -> bool:
    if request.scheme == "https":
        return True
    proto = request.headers.get("X-Forwarded-Proto", "")
    return bool(request.app[PROXY_KEY] and proto and _last(proto).lower() == "https")


def client_address(request: web.Request) -> str:
    """The client's address; behind a trusted proxy the last X-Forwarded-For entry (the one it added)."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if request.app[PROXY_KEY] and forwarded and _last(forwarded):
        return _last(forwarded)[:64]
    return request.remote or "?"


def _set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str, path: str,
                max_age: Optional[int]) -> None:
    response.set_cookie(name, value, max_age=max_age, path=path, httponly=True, secure=is_https(request) or None,
                        samesite="Strict")


def _clear_cookie(request: web.Request, response: web.StreamResponse, name: str, path: str) -> None:
    _set_cookie(request, response, name, "", path, 0)


def current(request: web.Request) -> Optional[Session]:
    """The logged-in session of this request (set by the guard), or None."""
    return request.get(SESSION_KEY)


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def _cross_site(request: web.Request) -> bool:
    return request.headers.get("Sec-Fetch-Site", "").lower() == "cross-site"


@web.middleware
async def guard(request: web.Request, handler: Callable) -> web.StreamResponse:
    resource = request.match_info.route.resource
    if resource is None or resource.canonical in request.app[PUBLIC_KEY]:
        return await handler(request)  # no route (404/405) or a public one
    session = request.app[AUTH_KEY].session(request.cookies.get(SESSION_COOKIE))
    if session is None:
        if resource.canonical.startswith("/api/"):
            return web.json_response({"error": MSG_NOT_LOGGED_IN}, status=401, headers={"Cache-Control": "no-store"})
        return see_other(LOGIN_PATH)
    request[SESSION_KEY] = session
    response = await handler(request)
    response.headers["Cache-Control"] = "no-store"  # staff pages may be on a shared computer
    return response


def render_login(auth: StaffAuth, message: str = "", alert: bool = False, username: str = "",
                 csrf: str = "") -> str:
    page = LOGIN_TEMPLATE.read_text(encoding="utf-8")
    users = auth.users.hashes()
    broken = auth.users.broken
    if broken or not users:
        page = re.sub(r"<!-- form -->.*?<!-- /form -->", "", page, flags=re.S)
        if broken:
            page = re.sub(r"<!-- setup -->.*?<!-- /setup -->", "", page, flags=re.S)
            message, alert = MSG_BROKEN_FILE, True
        else:
            message = message if alert else MSG_NO_ACCOUNTS
    else:
        page = re.sub(r"<!-- setup -->.*?<!-- /setup -->", "", page, flags=re.S)
    note = ""
    if message:
        role, cls = ("alert", "error") if alert else ("status", "notice")
        note = f'<p id="melding" role="{role}" class="{cls}">{html.escape(message)}</p>'
    return (page.replace("{{MESSAGE}}", note)
                .replace("{{CSRF}}", html.escape(csrf, quote=True))
                .replace("{{USERNAME}}", html.escape(username, quote=True)))


def _login_csrf(request: web.Request) -> str:
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if TOKEN_RE.match(token) else secrets.token_urlsafe(32)


def _login_page(request: web.Request, status: int = 200, message: str = "", alert: bool = False,
                username: str = "", headers: Optional[Dict[str, str]] = None) -> web.Response:
    csrf = _login_csrf(request)
    text = render_login(request.app[AUTH_KEY], message, alert, username, csrf)
    response = web.Response(text=text, status=status, content_type="text/html",
                            headers={"Cache-Control": "no-store", **(headers or {})})
    _set_cookie(request, response, CSRF_COOKIE, csrf, LOGIN_PATH, None)
    return response


async def login_page(request: web.Request) -> web.StreamResponse:
    if request.app[AUTH_KEY].session(request.cookies.get(SESSION_COOKIE)) is not None:
        return see_other(STAFF_HOME)
    message = MSG_LOGGED_OUT if "uitgelogd" in request.query else ""
    return _login_page(request, message=message)


async def login(request: web.Request) -> web.StreamResponse:
    auth = request.app[AUTH_KEY]
    form = await request.post()
    name = form.get("username")
    name = name if isinstance(name, str) else ""
    sent, expected = form.get(CSRF_FIELD), request.cookies.get(CSRF_COOKIE, "")
    if (_cross_site(request) or not isinstance(sent, str) or not TOKEN_RE.match(expected)
            or not hmac.compare_digest(sent.encode(), expected.encode())):
        log.warning("staff login refused: missing or wrong CSRF token")
        return _login_page(request, 403, MSG_EXPIRED_FORM, True, name[:64])

    async def check(verify: Callable[[], Optional[str]]) -> Optional[str]:
        async with request.app[SLOTS_KEY]:
            return await asyncio.to_thread(verify)

    result = await auth.login(name, form.get("password"), client_address(request), check)
    if result.retry_after:
        minutes = max(1, math.ceil(result.retry_after / 60))
        wait = "1 minuut" if minutes == 1 else f"{minutes} minuten"
        return _login_page(request, 429, MSG_TOO_MANY.format(wait=wait), True, name[:64],
                           headers={"Retry-After": str(math.ceil(result.retry_after))})
    if result.session_token is None:
        return _login_page(request, 401, MSG_BAD_LOGIN, True, name[:64])
    response = see_other(STAFF_HOME)
    _set_cookie(request, response, SESSION_COOKIE, result.session_token, "/", SESSION_SECONDS)
    _clear_cookie(request, response, CSRF_COOKIE, LOGIN_PATH)
    return response


def message_page(title: str, text: str, link: str, link_text: str) -> str:
    return ("<!doctype html>\n<html lang=\"nl\">\n<head>\n  <meta charset=\"utf-8\">\n"
            "  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"  <title>{html.escape(title)}</title>\n  <link rel=\"stylesheet\" href=\"/staff/staff.css\">\n</head>\n"
            f"<body>\n  <header class=\"top\"><h1>{html.escape(title)}</h1></header>\n  <main class=\"narrow\">\n"
            f"    <p role=\"alert\" class=\"error\">{html.escape(text)}</p>\n"
            f"    <p><a href=\"{html.escape(link, quote=True)}\">{html.escape(link_text)}</a></p>\n  </main>\n</body>\n</html>\n")


async def logout(request: web.Request) -> web.StreamResponse:
    session = current(request)
    form = await request.post()
    sent = form.get(CSRF_FIELD)
    if (session is None or _cross_site(request) or not isinstance(sent, str)
            or not hmac.compare_digest(sent.encode(), session.csrf.encode())):
        log.warning("staff logout refused: missing or wrong CSRF token")
        return web.Response(text=message_page("Uitloggen is niet gelukt", MSG_EXPIRED_FORM, STAFF_HOME,
                                              "Terug naar de pagina voor medewerkers"),
                            status=403, content_type="text/html", headers={"Cache-Control": "no-store"})
    request.app[AUTH_KEY].sessions.drop(request.cookies.get(SESSION_COOKIE))
    log.info("staff logout: account %r", session.user)
    response = see_other(f"{LOGIN_PATH}?uitgelogd")
    _clear_cookie(request, response, SESSION_COOKIE, "/")
    return response


def install(app: web.Application, auth: StaffAuth, public: Iterable[str], trust_proxy: bool = False) -> None:
    """Close every route of `app` that is not in `public` behind the login; add the login and logout routes."""
    app[AUTH_KEY] = auth
    app[PUBLIC_KEY] = frozenset(public) | {LOGIN_PATH}
    app[PROXY_KEY] = bool(trust_proxy)
    app[SLOTS_KEY] = asyncio.Semaphore(VERIFY_AT_ONCE)
    app.middlewares.append(guard)
    app.router.add_get(LOGIN_PATH, login_page)
    app.router.add_post(LOGIN_PATH, login)
    app.router.add_post(LOGOUT_PATH, logout)
