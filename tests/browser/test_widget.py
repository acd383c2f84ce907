"""The chat widget in chromium, against the whole bot (action server, Rasa and the web server on free ports).

The demo page embeds the widget with one script tag, as a library would. The last test stops Rasa and
starts it again, so it runs last in this module.
"""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from bot.feedback import FeedbackStore
from tests.browser.helpers import axe_serious, new_page, screenshot, web_url

OFFLINE = "De assistent is even niet bereikbaar. Probeer het zo nog eens."
ANSWER_MS = 45_000

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def page(browser, bot):
    page = new_page(browser)
    yield page
    errors = page.errors
    page.context.close()
    assert not errors, errors


def open_widget(page, bot):
    page.goto(web_url(bot))
    page.get_by_role("button", name="Stel een vraag").click()
    expect(page.get_by_label("Stel uw vraag")).to_be_focused()


def count(page) -> int:
    return page.locator(".bieb-bot").count()


def answer_after(page, before: int) -> str:
    """The text of the bot messages that came after the first `before` ones."""
    page.locator(".bieb-bot").nth(before).wait_for(state="attached", timeout=ANSWER_MS)
    expect(page.locator(".bieb-typing")).to_be_empty(timeout=ANSWER_MS)
    page.wait_for_timeout(300)  # a second message of the same turn
    texts = page.locator(".bieb-bot .bieb-text").all_inner_texts()
    return "\n".join(texts[before:])


def ask(page, text: str) -> str:
    before = count(page)
    field = page.get_by_label("Stel uw vraag")
    field.fill(text)
    field.press("Enter")
    return answer_after(page, before)


def test_the_first_message_says_it_is_a_computer(page, bot):
    open_widget(page, bot)
    welcome = page.locator(".bieb-bot").first
    expect(welcome).to_contain_text("Ik ben een computer-assistent, geen mens.")
    expect(welcome).to_contain_text("Typ geen persoonlijke gegevens, zoals uw BSN.")
    expect(welcome).to_contain_text("Bibliotheek Zuidhoek")
    expect(welcome.get_by_role("button", name="Goed antwoord")).to_have_count(0)
    log = page.get_by_role("log")
    expect(log).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("button", name="Verstuur")).to_be_visible()
    expect(page.get_by_role("button", name="Praat met een medewerker")).to_be_visible()


def test_keyboard_only_question_quick_reply_and_reload(page, bot):
    page.goto(web_url(bot))
    field = page.get_by_label("Stel uw vraag")
    for _ in range(12):  # Tab to the launcher, Enter opens the panel and puts the cursor in the input
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('bieb-launcher')"):
            page.keyboard.press("Enter")
        if page.evaluate("document.activeElement.id") == "bieb-input":
            break
    expect(field).to_be_focused()
    before = count(page)
    page.keyboard.type("wat is het jeugdpakket")
    page.keyboard.press("Enter")
    reply = answer_after(page, before)
    assert "Jeugdpakket" in reply
    expect(page.locator(".bieb-bot").last.locator(".bieb-source")).to_contain_text("Bron:")
    expect(field).to_have_value("")

    # a quick reply: the title is shown as the user's message, the payload goes to the bot
    button = page.locator(".bieb-bot").last.get_by_role("button", name="Tot wanneer loopt het?")
    before = count(page)
    button.click()
    expect(page.locator(".bieb-user").last).to_have_text("U: Tot wanneer loopt het?")
    assert "/ask_scheme_dates" not in page.locator(".bieb-log").inner_text()
    assert "2021" in answer_after(page, before)

    # reload: the same conversation, the same session (the follow-up needs the context)
    users = page.locator(".bieb-user").all_inner_texts()
    bots = count(page)
    page.reload()
    expect(page.locator(".bieb-user")).to_have_count(len(users))
    assert page.locator(".bieb-user").all_inner_texts() == users
    assert count(page) == bots
    expect(page.get_by_label("Stel uw vraag")).to_be_visible()
    assert "40 miljoen euro" in ask(page, "hoeveel gaat via het gemeentefonds?")


def test_rest_is_used_when_socketio_cannot_connect(page, bot):
    page.route("**/socket.io/**", lambda route: route.abort())
    open_widget(page, bot)
    assert "28.000" in ask(page, "hoeveel e-books")
    expect(page.locator(".bieb-status")).not_to_have_text(OFFLINE)


def test_bot_text_is_shown_as_text_and_only_http_links_are_made(page, bot):
    evil = {
        "text": "Kijk op https://www.example.org/a?b=1&c=2. <img src=x onerror=\"window.pwned=1\">"
                "<script>window.pwned=2</script> of javascript:alert(1) <a href=\"javascript:alert(3)\">klik</a>\n"
                "Bron: voorbeeld.nl (2021).",
        "buttons": [{"title": "<b>Vet</b>", "payload": "/greet"}],
    }
    origin = web_url(bot).rstrip("/")

    def fake_rasa(route):
        headers = {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Headers": "Content-Type",
                   "Access-Control-Allow-Methods": "POST, OPTIONS"}
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=headers)
        else:
            route.fulfill(status=200, headers=headers, content_type="application/json", body=json.dumps([evil]))

    page.route("**/socket.io/**", lambda route: route.abort())
    page.route("**/webhooks/rest/webhook", fake_rasa)
    open_widget(page, bot)
    ask(page, "test")
    message = page.locator(".bieb-bot").last
    assert message.locator("img, script, b, a[href^='javascript']").count() == 0
    assert page.evaluate("window.pwned") is None
    links = message.locator("a")
    expect(links).to_have_count(1)
    expect(links).to_have_attribute("href", "https://www.example.org/a?b=1&c=2")
    expect(links).to_have_attribute("rel", "noopener noreferrer")
    expect(message).to_contain_text('<img src=x onerror="window.pwned=1">')
    expect(message.locator(".bieb-source")).to_have_text("Bron: voorbeeld.nl (2021).")
    expect(message.get_by_role("button", name="<b>Vet</b>")).to_be_visible()


def test_thumbs_send_feedback_with_the_question(page, bot, feedback_url):
    open_widget(page, bot)
    ask(page, "wat is boekstart")
    last = page.locator(".bieb-bot").last
    last.get_by_role("button", name="Slecht antwoord").click()
    expect(last.locator(".bieb-thanks")).to_have_text("Bedankt voor uw reactie.")
    expect(last.get_by_role("button", name="Slecht antwoord")).to_have_attribute("aria-pressed", "true")
    expect(last.get_by_role("button", name="Goed antwoord")).to_be_disabled()
    entry = FeedbackStore(feedback_url).recent_down(1)[0]
    assert entry.question == "wat is boekstart"
    assert "BoekStart" in entry.answer and "Bron:" in entry.answer
    page.reload()
    expect(page.locator(".bieb-bot").last.get_by_role("button", name="Slecht antwoord")).to_be_disabled()


def test_talk_to_a_person(page, bot):
    open_widget(page, bot)
    before = count(page)
    page.get_by_role("button", name="Praat met een medewerker").click()
    expect(page.locator(".bieb-user").last).to_have_text("U: Praat met een medewerker")
    assert "mens" in answer_after(page, before)


SPEECH_STUB = """
window.__spoken = [];
Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
  speak: function (u) { window.__spoken.push({text: u.text, lang: u.lang}); },
  cancel: function () {}, getVoices: function () { return []; }
}});
"""


def test_read_aloud_in_dutch(browser, bot):
    page = new_page(browser)
    page.add_init_script(SPEECH_STUB)
    open_widget(page, bot)
    page.locator(".bieb-bot").first.get_by_role("button", name="Lees voor").click()
    spoken = page.evaluate("window.__spoken")
    assert spoken[0]["lang"] == "nl-NL" and "computer-assistent" in spoken[0]["text"]
    page.context.close()


def test_no_read_aloud_button_without_speech(browser, bot):
    page = new_page(browser)
    page.add_init_script("Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: undefined});")
    open_widget(page, bot)
    expect(page.locator(".bieb-bot").first).to_contain_text("computer-assistent")
    expect(page.get_by_role("button", name="Lees voor")).to_have_count(0)
    page.context.close()


def check_fits(page, width: int):
    box = page.locator(".bieb-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box
    assert page.evaluate("document.querySelector('.bieb-panel').scrollWidth <= document.querySelector('.bieb-panel').clientWidth")
    for name in ("Verstuur", "Praat met een medewerker", "Sluiten"):
        expect(page.get_by_role("button", name=name)).to_be_in_viewport()
    expect(page.get_by_label("Stel uw vraag")).to_be_in_viewport()


def test_layout_desktop_phone_and_200_percent(browser, bot):
    page = new_page(browser, 1280, 800)
    open_widget(page, bot)
    ask(page, "wat is het jeugdpakket")
    sizes = page.evaluate("""[...document.querySelectorAll('.bieb-text p:not(.bieb-source), .bieb-widget input, .bieb-widget button')]
        .map(e => parseFloat(getComputedStyle(e).fontSize))""")
    assert min(sizes) >= 18, sizes
    check_fits(page, 1280)
    screenshot(page, "widget-desktop.png")
    page.context.close()

    # a phone, and a laptop at 200% zoom (1280x800 shows as 640x400 CSS pixels), with the same conversation
    for name, width, height, scale in (("widget-phone.png", 375, 740, 1), ("widget-zoom200.png", 640, 400, 2)):
        page = new_page(browser, width, height, device_scale_factor=scale, is_mobile=scale == 1)
        open_widget(page, bot)
        ask(page, "wat is het jeugdpakket")
        check_fits(page, width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, name)
        page.get_by_role("button", name="Sluiten").click()
        expect(page.get_by_role("button", name="Stel een vraag")).to_be_focused()
        page.context.close()


def test_axe_on_the_demo_page_after_a_conversation(browser, bot):
    page = new_page(browser, bypass_csp=True)  # axe is injected as an inline script
    open_widget(page, bot)
    ask(page, "wat is het jeugdpakket")
    page.locator(".bieb-bot").last.get_by_role("button", name="Goed antwoord").click()
    expect(page.locator(".bieb-thanks").last).to_have_text("Bedankt voor uw reactie.")
    page.locator(".bieb-send").focus()
    assert axe_serious(page) == []
    page.context.close()


def test_unreachable_then_back(page, bot):
    """Rasa stops: the widget says so in plain Dutch; Rasa starts again: the widget goes on by itself."""
    open_widget(page, bot)
    assert "BoekStart" in ask(page, "wat is boekstart")
    bot.stop("rasa")
    status = page.locator(".bieb-status")
    expect(status).to_have_text(OFFLINE, timeout=30_000)
    screenshot(page, "widget-offline.png")
    users = page.locator(".bieb-user").count()
    field = page.get_by_label("Stel uw vraag")
    field.fill("hoeveel e-books")
    field.press("Enter")
    expect(status).to_have_text(OFFLINE)
    expect(field).to_have_value("hoeveel e-books")  # kept, to send again
    assert page.locator(".bieb-user").count() == users

    bot.start_rasa()
    bot.wait(300)
    expect(status).not_to_have_text(OFFLINE, timeout=60_000)
    assert "28.000" in ask(page, "hoeveel e-books")
    assert "BoekStart" in page.locator(".bieb-log").inner_text()
