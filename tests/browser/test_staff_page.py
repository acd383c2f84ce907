"""The staff lookup page in chromium: only the web server runs (the page reads the KB, not the bot)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bot.feedback import FeedbackStore
from tests.browser.helpers import axe_serious, screenshot, web_url


@pytest.fixture(scope="module")
def staff(web_only, feedback_url):
    store = FeedbackStore(feedback_url)
    store.record("Waar kan ik mijn toeslag aanvragen? Mijn BSN is 111222333", "Dat staat niet in mijn gegevens.", "down")
    store.record_fallback("Hoe laat gaat de bieb in Zuidhoek open?")
    return web_only


@pytest.fixture
def page(browser, staff):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(web_url(staff, "/staff"))
    expect(page.locator(".load")).to_have_count(0)
    yield page
    context.close()
    assert not errors, errors


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
    phone.goto(web_url(staff, "/staff"))
    expect(phone.locator(".load")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "staff-phone.png")
    phone.context.close()
