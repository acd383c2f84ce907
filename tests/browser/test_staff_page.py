"""The staff lookup page in chromium: only the web server runs (the page reads the KB, not the bot).

The page needs a login: each test logs in through the login page (tests/browser/helpers.py: log_in).
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bot.feedback import FeedbackStore
from tests.browser.helpers import STAFF_PASSWORD, STAFF_USER, axe_serious, log_in, new_page, screenshot, web_url


@pytest.fixture(scope="module")
def staff(web_only, feedback_url):
    store = FeedbackStore(feedback_url)
    store.record("Waar kan ik mijn toeslag aanvragen? Mijn BSN is 111222333", "Dat staat niet in mijn gegevens.", "down")
    store.record_fallback("Hoe laat gaat de bieb in Zuidhoek open?")
    return web_only


@pytest.fixture
def anonymous(browser, staff):
    """A browser that has not logged in."""
    page = new_page(browser, height=900)
    yield page
    errors = page.errors
    page.context.close()
    assert not errors, errors


@pytest.fixture
def page(browser, staff):
    page = new_page(browser, height=900, bypass_csp=True)
    log_in(page, staff)
    expect(page.locator(".load")).to_have_count(0)
    yield page
    errors = page.errors
    page.context.close()
    assert not errors, errors


def test_without_a_login_the_page_and_its_data_stay_closed(anonymous, staff):
    anonymous.goto(web_url(staff, "/staff"))
    assert anonymous.url == web_url(staff, "/staff/login")
    expect(anonymous.get_by_role("heading", name="Bieb-assistent: inloggen voor medewerkers")).to_be_visible()
    for path in ["/api/staff/feedback", "/api/staff/schemes"]:
        reply = anonymous.request.get(web_url(staff, path))
        assert reply.status == 401 and "niet ingelogd" in reply.json()["error"]


def test_log_in_with_the_keyboard_only(anonymous, staff):
    anonymous.goto(web_url(staff, "/staff/login"))
    expect(anonymous.get_by_label("Gebruikersnaam")).to_be_focused()
    anonymous.keyboard.type(STAFF_USER)
    anonymous.keyboard.press("Tab")
    expect(anonymous.get_by_label("Wachtwoord")).to_be_focused()
    anonymous.keyboard.type(STAFF_PASSWORD)
    anonymous.keyboard.press("Enter")
    anonymous.wait_for_url(web_url(staff, "/staff"))
    expect(anonymous.locator(".logout")).to_contain_text(f"Ingelogd als {STAFF_USER}")
    expect(anonymous.locator(".load")).to_have_count(0)
    expect(anonymous.locator("#down")).to_contain_text("Mijn BSN is [BSN]")
    [cookie] = [c for c in anonymous.context.cookies() if c["name"] == "bieb_staff"]
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/"


def test_a_wrong_password_says_so_and_the_page_passes_axe(browser, staff):
    page = new_page(browser, height=900, bypass_csp=True)  # axe-core is added as an inline script
    page.goto(web_url(staff, "/staff/login"))
    assert axe_serious(page) == []
    screenshot(page, "staff-login.png")
    page.get_by_label("Gebruikersnaam").fill(STAFF_USER)
    page.get_by_label("Wachtwoord").fill("niet het goede wachtwoord")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("alert")).to_have_text("Uw gebruikersnaam of wachtwoord klopt niet. Probeer het opnieuw.")
    assert page.url == web_url(staff, "/staff/login")
    expect(page.get_by_label("Gebruikersnaam")).to_have_value(STAFF_USER)
    expect(page.get_by_label("Wachtwoord")).to_have_value("")
    assert axe_serious(page) == []
    page.goto(web_url(staff, "/staff"))
    assert page.url == web_url(staff, "/staff/login")
    errors = page.errors
    page.context.close()
    assert not errors, errors


def test_log_out(page, staff):
    page.get_by_role("button", name="Uitloggen").click()
    page.wait_for_url(web_url(staff, "/staff/login?uitgelogd"))
    expect(page.get_by_role("status")).to_have_text("U bent uitgelogd.")
    assert not [c for c in page.context.cookies() if c["name"] == "bieb_staff"]
    page.goto(web_url(staff, "/staff"))
    assert page.url == web_url(staff, "/staff/login")


def test_schemes_with_every_amount(page, kb):
    section = page.locator("#regelingen")
    for scheme in kb.all("schemes"):
        card = section.locator("article", has=page.get_by_role("heading", name=scheme.name, exact=True))
        expect(card).to_have_count(1)
        for part in scheme.parts:
            expect(card.locator("tr", has_text=part.name).first).to_be_visible()
    jeugd = section.locator("article", has_text="Jeugdpakket").first
    expect(jeugd).to_contain_text("€ 58.500.000")
    expect(jeugd).to_contain_text("€ 40.000.000")


def test_programmes_open_with_their_source(page):
    details = page.locator("#programmas details", has_text="BoekStart").first
    details.locator("summary").click()
    expect(details).to_contain_text("Bron")


def test_figure_search(page):
    page.get_by_label("Zoek een cijfer").fill("e-books")
    page.get_by_role("button", name="Zoek", exact=True).click()
    expect(page.locator("#figure-count")).to_contain_text("‘e-books’")
    first = page.locator("#figures tbody tr").first
    expect(first).to_contain_text("e-books")
    expect(first).to_contain_text("handreiking")


def test_ido_desks_near_a_place_with_discontinued_ones_marked(page):
    page.get_by_label("Plaats", exact=True).fill("Kaatsheuvel")
    page.get_by_role("button", name="Toon balies").click()
    expect(page.locator("#ido-count")).to_contain_text("dichtst bij Kaatsheuvel")
    rows = page.locator("#desks tbody tr")
    expect(rows.first).to_contain_text("Kaatsheuvel")
    expect(rows.first).to_contain_text("0 km")
    gone = page.locator("#desks tr.gone")
    assert gone.count() >= 1
    expect(gone.first).to_contain_text("vervallen")


def test_feedback_view_shows_masked_thumbs_down_and_fallbacks(page):
    expect(page.locator("#down")).to_contain_text("Mijn BSN is [BSN]")
    expect(page.locator("#down")).not_to_contain_text("111222333")
    expect(page.locator("#fallbacks")).to_contain_text("Hoe laat gaat de bieb in Zuidhoek open?")


def test_axe_and_screenshots(page, browser, staff):
    screenshot(page, "staff.png")
    page.get_by_label("Plaats", exact=True).fill("Kaatsheuvel")
    page.get_by_role("button", name="Toon balies").click()
    expect(page.locator("#ido-count")).to_contain_text("Kaatsheuvel")
    assert axe_serious(page) == []
    page.locator("#h-ido").evaluate("e => e.scrollIntoView()")
    screenshot(page, "staff-ido.png")

    phone = browser.new_context(viewport={"width": 375, "height": 740}, locale="nl-NL").new_page()
    log_in(phone, staff)
    expect(phone.locator(".load")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "staff-phone.png")
    phone.context.close()
