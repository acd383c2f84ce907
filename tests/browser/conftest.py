"""Browser tests: Debian's chromium driven by Python Playwright (never `playwright install`), axe-core from npm.

`make browser` installs chromium and `make web` the npm packages; both are the set-up's job, so a missing
one fails the tests instead of skipping them.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.serve import DEFAULT_MODEL, Servers, Settings
from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, STAFF_PASSWORD, STAFF_USER, free_port


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium ontbreekt ({CHROMIUM}): run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def feedback_url(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('feedback') / 'feedback.sqlite3'}"


@pytest.fixture(scope="module")
def staff_account(tmp_path_factory):
    """A staff account (name, password) in a fresh accounts file, made as `python -m bot staff add-user` does."""
    from bot.web.auth import UserStore

    path = tmp_path_factory.mktemp("staff") / "staff_users.json"
    UserStore(path).add(STAFF_USER, STAFF_PASSWORD)
    return path


@pytest.fixture(scope="module")
def env(kb_path, feedback_url, staff_account):
    """The KB built for the tests, a fresh feedback database and staff account, for the child processes."""
    saved = {k: os.environ.get(k) for k in ("DATABASE_URL", "FEEDBACK_DATABASE_URL", "RASA_PUBLIC_URL",
                                            "STAFF_USERS_FILE", "WEB_TRUST_PROXY")}
    os.environ["DATABASE_URL"] = f"sqlite:///{kb_path}"
    os.environ["FEEDBACK_DATABASE_URL"] = feedback_url
    os.environ["STAFF_USERS_FILE"] = str(staff_account)
    os.environ.pop("RASA_PUBLIC_URL", None)
    os.environ.pop("WEB_TRUST_PROXY", None)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="module")
def bot(env, tmp_path_factory):
    """Action server, Rasa and the web server on free ports."""
    if not DEFAULT_MODEL.exists():
        pytest.fail("no trained model: run `make train` first (`make test` does)")
    settings = Settings(rasa_port=free_port(), action_port=free_port(), web_port=free_port())
    servers = Servers(settings, log_dir=tmp_path_factory.mktemp("logs"), web=True)
    try:
        servers.start(timeout=300)
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="module")
def web_only(env, tmp_path_factory):
    """Only the web server (the staff page needs no Rasa)."""
    settings = Settings(rasa_port=free_port(), action_port=free_port(), web_port=free_port())
    servers = Servers(settings, log_dir=tmp_path_factory.mktemp("logs"), web=True)
    try:
        servers.start_web()
        servers.wait(60)
        yield servers
    finally:
        servers.stop()
