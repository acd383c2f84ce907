"""Helpers for the browser tests: addresses, axe-core, screenshots, logging in to the staff page."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List

from bot.serve import Servers
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
AXE = ROOT / "bot" / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "results" / "screenshots"
#: The staff account the browser tests make (tests/browser/conftest.py: staff_account).
STAFF_USER, STAFF_PASSWORD = "medewerker", "een lang test-wachtwoord"


def new_page(browser, width: int = 1280, height: int = 800, **options):
    """A page in a fresh Dutch browser context that collects the page's script errors in `page.errors`."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="nl-NL", **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    return page


def web_url(servers: Servers, path: str = "/") -> str:
    return f"http://{servers.settings.host}:{servers.settings.web_port}{path}"


def axe_serious(page) -> List[dict]:
    """Run axe-core on the page; print every violation, return the serious and critical ones."""
    assert AXE.exists(), "axe-core ontbreekt: run `make web`"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    for v in result["violations"]:
        print(f"axe {v['impact']}: {v['id']} - {v['help']} ({len(v['nodes'])}x)")
        for node in v["nodes"][:5]:
            print("    ", json.dumps(node["target"]), node.get("failureSummary", "").replace("\n", " ")[:300])
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


def log_in(page, servers: Servers, user: str = STAFF_USER, password: str = STAFF_PASSWORD) -> None:
    """Open the staff page: it sends the browser to the login page; log in there as a person would."""
    page.goto(web_url(servers, "/staff"))
    assert page.url == web_url(servers, "/staff/login"), page.url
    page.get_by_label("Gebruikersnaam").fill(user)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(web_url(servers, "/staff"))
