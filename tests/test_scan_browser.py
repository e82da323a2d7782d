"""The quick scan in a real headless Chromium (Debian's package, driven by Playwright), served by
uvicorn in a thread: the facilitator logs in and starts a workshop, two respondents answer on a
390 px phone screen (one by keyboard alone), the live view updates by itself (server-sent
events), the report shows the medians and spread of what they answered; axe finds no serious or
critical violation on any page. Screenshots and the A4 PDF are kept in test-artifacts/.

Chromium must be installed (.ci/run installs it); without it this test fails, it does not skip.
"""

from __future__ import annotations

import re
import socket
import statistics
import threading
import time

import pytest
import uvicorn
from browser_support import ARTIFACTS, PHONE, axe_clean, chromium
from test_scan_support import make_app

from smartstart.maturity import load_bank
from smartstart.web import set_password

PASSWORD = "een lang wachtwoord"
BANK = load_bank()
#: the two respondents' answers to the first theme's items (1-based item numbers)
PLANTED = {"keyboard": {1: 2, 2: 3, 3: 4}, "touch": {1: 4, 2: 5, 3: "dk"}}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("scan-browser"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "uvicorn did not start"
    set_password(app.state.scan.config.url, PASSWORD)  # the one-time code is for one test
    yield f"http://127.0.0.1:{port}", app.state.scan.admin_token
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def _start(browser, base: str, token: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}/f/login")
    page.fill("#secret", token)
    page.click("button[type=submit]")
    page.fill("#title", "Werkplaats Hart van Brabant")
    page.fill("#organisations", "Gemeente Voorbeeld\nStichting Welzijn")
    page.click("text=Start de sessie")
    page.wait_for_selector(".big-code")
    return page, page.inner_text(".big-code")


def _answer_by_keyboard(page, base: str, code: str, answers: dict) -> None:
    page.goto(base + "/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the code
    page.keyboard.type(code.replace("-", "").lower())
    page.keyboard.press("Enter")
    page.wait_for_url("**/org")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # the first organisation
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    for n, level in answers.items():
        page.wait_for_url(f"**/q/{n}")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")  # the first option of the item
        if level == 1:
            page.keyboard.press("Space")
        for _ in range(level - 1):
            page.keyboard.press("ArrowDown")
        page.wait_for_selector("#status .ok")
        page.keyboard.press("Enter")  # the form's first button: Volgende


def _answer_by_touch(page, base: str, code: str, answers: dict) -> None:
    page.goto(f"{base}/?code={code}")
    page.click("button[type=submit]")
    page.check("input[name=organisation] >> nth=0")
    page.click("text=Verder")
    for n, level in answers.items():
        page.wait_for_url(f"**/q/{n}")
        value = "dk" if level == "dk" else str(level)
        page.check(f"input[name=answer][value='{value}']")
        page.wait_for_selector("#status .ok")
        if n == 2:  # a reload loses nothing
            page.reload()
            assert page.is_checked(f"input[name=answer][value='{value}']")
        page.click("text=Volgende")


def test_a_workshop_in_a_browser(server, browser):
    base, token = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    boss, code = _start(browser, base, token)
    axe_clean(boss, "live view")
    phones = [browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
              for _ in PLANTED]
    requests: list[str] = []
    for phone in phones:
        phone.on("request", lambda request: requests.append(request.url))
    phones[0].goto(f"{base}/?code={code}")
    axe_clean(phones[0], "join")
    _answer_by_keyboard(phones[0], base, code, PLANTED["keyboard"])
    _answer_by_touch(phones[1], base, code, PLANTED["touch"])
    assert all(url.startswith(base) for url in requests), "a request left the server"

    phones[1].goto(f"{base}/q/2")
    phones[1].screenshot(path=str(ARTIFACTS / "scan-phone-390.png"), full_page=True)
    axe_clean(phones[1], "question")
    width = phones[1].evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the question scrolls sideways at 390 px ({width})"

    first = BANK.themes[0].id
    levels = [v for answers in PLANTED.values() for v in answers.values() if v != "dk"]
    own = [statistics.median([v for v in a.values() if v != "dk"]) for a in PLANTED.values()]
    row = boss.locator(f"#live table >> nth=0 >> tr[data-theme={first}]")
    row.wait_for()  # the live view updated itself: no reload
    # a locator, not a string predicate: the page's CSP refuses eval, which Playwright's
    # polling of a string predicate needs once the first check is false
    boss.locator(f"#live tr[data-theme={first}]"
                 f"[data-level='{float(statistics.median(levels))}']").first.wait_for(
        timeout=15_000)
    assert row.get_attribute("data-spread") == str(float(max(own) - min(own)))
    assert boss.inner_text("[data-joined]") == "2"
    boss.screenshot(path=str(ARTIFACTS / "scan-live.png"), full_page=True)

    boss.click("#live table >> nth=0 >> text=Rapport")
    boss.wait_for_selector("section.theme")
    level = boss.get_attribute(f"section[data-theme={first}] .level-number", "data-level")
    assert float(level) == statistics.median(levels)
    spread = boss.get_attribute(f"section[data-theme={first}] .spread", "data-spread")
    assert float(spread) == max(own) - min(own)
    assert BANK.themes[0].advice[int(statistics.median(levels))].nl in boss.inner_text(
        f"section[data-theme={first}]")
    axe_clean(boss, "report")
    boss.screenshot(path=str(ARTIFACTS / "scan-report.png"), full_page=True)
    boss.goto(boss.url.rsplit("/report/", 1)[0] + "/compare")
    cells = boss.locator(f"tr[data-theme={first}] td")
    assert cells.count() == 2 and float(cells.nth(0).get_attribute("data-level")) == \
        statistics.median(levels) and cells.nth(1).get_attribute("data-level") == ""
    axe_clean(boss, "side by side")
    boss.screenshot(path=str(ARTIFACTS / "scan-compare.png"), full_page=True)
    boss.go_back()
    boss.emulate_media(media="print")
    pdf = boss.pdf(path=str(ARTIFACTS / "scan-report.pdf"), format="A4",
                   prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 4, pages


def _phone_page_fits(page, where: str, shot: str) -> None:
    axe_clean(page, where)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{where} scrolls sideways at 390 px ({width})"
    page.screenshot(path=str(ARTIFACTS / shot), full_page=True)


def test_error_pages_and_deleting_a_session_on_a_phone(server, browser):
    """At 390 px: a malformed answer's page (422), the confirmation before deleting a closed
    session, and the deleted session's page (404) for its respondent; axe on each."""
    base, _token = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    boss = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    boss.goto(f"{base}/f/login")
    boss.fill("#secret", PASSWORD)
    boss.click("button[type=submit]")
    boss.fill("#title", "Werkplaats om te verwijderen")
    boss.fill("#organisations", "Gemeente Voorbeeld")
    boss.click("text=Start de sessie")
    code = boss.inner_text(".big-code")
    phone = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.goto(f"{base}/?code={code}")
    phone.click("button[type=submit]")
    phone.wait_for_url("**/q/1")
    phone.check("input[name=answer][value='3']")
    phone.wait_for_selector("#status .ok")
    # a tampered form (a level that does not exist), sent without JavaScript's help
    phone.evaluate("document.querySelector(\"input[name=answer][value='3']\").value = '9'")
    with phone.expect_navigation():
        phone.click("text=Volgende")
    assert "Dit kunnen we niet gebruiken" in phone.inner_text("main")
    _phone_page_fits(phone, "error page", "scan-error-390.png")
    phone.click("text=Terug naar de vraag")
    assert phone.url == base + "/q/1" and phone.is_checked("input[name=answer][value='3']")

    boss.click("text=Sluit de sessie")
    boss.click("text=Verwijder de sessie")
    assert "Deelnemers: 1. Antwoorden: 1." in boss.inner_text("main")
    _phone_page_fits(boss, "delete confirmation", "scan-delete-390.png")
    boss.click("text=Ja, verwijder alles")
    assert "De sessie is verwijderd" in boss.inner_text("main")
    assert "Werkplaats om te verwijderen" not in boss.inner_text("main")
    phone.goto(f"{base}/q/1")
    assert "Deze pagina bestaat niet" in phone.inner_text("main")
    _phone_page_fits(phone, "deleted session", "scan-deleted-404-390.png")
