"""The dashboard in a real headless Chromium (Debian's package, driven by Playwright), served by
uvicorn in a thread with two bundles (the demo's, and a later profile-only run): the team logs
in, browses the chapters, filters a table (HTMX: the rows change, the address keeps the
filter), compares the two bundles, and records an interpretation beside a finding by keyboard,
which the downloaded report shows marked as the team's words. axe finds no serious or critical
violation on any page; at 390 px nothing is wider than the screen. Screenshots are kept.

Chromium must be installed (.ci/run installs it); without it this test fails, it does not skip.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from browser_support import ARTIFACTS, PHONE, axe_clean, chromium
from test_scan_support import make_app

PASSWORD = "een lang wachtwoord"
NOTE = "In de wijkteams zien we dit ook: gezinnen met schulden melden zich laat."


def _key(bundle: Path) -> str:
    return hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()[:12]


@pytest.fixture(scope="module")
def server(demo_run, demo_later, tmp_path_factory):
    from smartstart.web import set_password

    bundle = demo_run / "results" / "bundle"
    app = make_app(tmp_path_factory.mktemp("dashboard-browser"), bundles=(bundle, demo_later))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                            log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started, "uvicorn did not start"
    set_password(app.state.scan.config.url, PASSWORD)
    yield f"http://127.0.0.1:{port}", _key(bundle), _key(demo_later)
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def _login(browser, base: str, viewport: dict):
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{base}/f/login")
    page.fill("#secret", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/f/")
    return page


def _fits(page, where: str) -> None:
    """Nothing on the page is wider than the screen (tables scroll inside their box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (where, width)


def test_the_team_browses_filters_and_compares(server, browser):
    base, key, later = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = _login(browser, base, {"width": 1280, "height": 900})
    page.goto(f"{base}/f/b/")
    axe_clean(page, "bundles")
    page.click(f"a[href='/f/b/{key}/']")
    assert page.locator("h1").inner_text() == "Kernboodschap"
    axe_clean(page, "kernboodschap")
    page.screenshot(path=ARTIFACTS / "dashboard-kernboodschap.png")
    for chapter in ("doelgroep", "gebieden", "typen", "techniek"):
        page.click(f"nav.dash-nav ul.dash-wide a[href='/f/b/{key}/s/{chapter}']")
        page.wait_for_url(f"**/s/{chapter}")
        assert page.locator("nav.dash-nav a[aria-current=page]:visible").count() == 1
        axe_clean(page, chapter)
    page.screenshot(path=ARTIFACTS / "dashboard-techniek.png")
    # a table with its filter: the rows change in place, the address keeps the choice
    page.goto(f"{base}/f/b/{key}/t/profile_households")
    total = page.locator("#dash-table tbody tr").count()
    page.select_option("#filter-factor", "rent_allowance")
    page.wait_for_url("**factor=rent_allowance**")
    deadline = time.monotonic() + 15  # polled here: the CSP refuses a string predicate
    while page.locator("#dash-table tbody tr").count() >= total and time.monotonic() < deadline:
        time.sleep(0.1)
    shown = page.locator("#dash-table tbody tr")
    assert 1 <= shown.count() < total
    assert all(shown.nth(i).locator("th").inner_text() == "rent_allowance"
               for i in range(shown.count()))
    axe_clean(page, "table")
    page.screenshot(path=ARTIFACTS / "dashboard-table.png", full_page=True)
    # the two bundles compared
    page.goto(f"{base}/f/b/")
    page.click("form.dash-filters button[type=submit]")
    page.wait_for_url(lambda url: url.endswith(f"/f/b/compare?a={key}&b={later}"))
    text = page.inner_text("main")
    assert "niet in de nieuwe bundel" in text and "Tabellen veranderd: " in text
    assert "Let op:" in text  # small differences are marked (the pages' own test counts them)
    axe_clean(page, "compare")
    page.screenshot(path=ARTIFACTS / "dashboard-compare.png", full_page=True)
    page.context.close()


def _tab_to(page, selector: str, most: int = 12) -> None:
    """Press Tab until the focus is on ``selector`` inside the open note form (how many
    presses a radio group takes differs between Chromium versions)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement && "
                         "document.activeElement.matches('details[open] ' + s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_an_interpretation_recorded_by_keyboard_reaches_the_report(server, browser):
    base, key, _later = server
    page = _login(browser, base, {"width": 1280, "height": 900})
    page.goto(f"{base}/f/b/{key}/s/doelgroep")
    notes = page.locator("#duiding-doelgroep-profile_households-profiel")
    notes.locator("summary").focus()
    page.keyboard.press("Enter")  # opens the form
    _tab_to(page, "textarea[name=text]")
    page.keyboard.type(NOTE)
    _tab_to(page, "input[name=author]")
    page.keyboard.type("wijkteam Noord")
    _tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")  # save
    page.wait_for_selector(f"#duiding-doelgroep-profile_households-profiel .team >> "
                           f"text={NOTE[:30]}")
    axe_clean(page, "doelgroep with a note")
    with page.expect_download() as download:
        page.goto(f"{base}/f/b/{key}/")
        page.click("text=Het rapport met de duiding van het team")
    report = Path(download.value.path()).read_text("utf-8")
    aside = report.split('<aside class="team"', 1)[1].split("</aside>", 1)[0]
    assert NOTE in aside and "woorden van het team, geen gegevens" in aside
    page.context.close()


def test_at_phone_width_every_page_fits(server, browser):
    base, key, later = server
    page = _login(browser, base, PHONE)
    for path in (f"/f/b/{key}/", f"/f/b/{key}/s/doelgroep", f"/f/b/{key}/s/gebieden",
                 f"/f/b/{key}/s/risico", f"/f/b/{key}/s/techniek",
                 f"/f/b/{key}/t/profile_households", f"/f/b/compare?a={key}&b={later}"):
        page.goto(base + path)
        _fits(page, path)
        axe_clean(page, f"phone {path}")
    page.goto(f"{base}/f/b/{key}/s/doelgroep")
    page.screenshot(path=ARTIFACTS / "dashboard-phone.png")
    # on the phone the chapters fold into one menu that names this page
    menu = page.locator("details.dash-menu summary")
    assert menu.is_visible() and "De doelgroep" in menu.inner_text()
    menu.click()
    page.click(f"details.dash-menu a[href='/f/b/{key}/s/typen']")
    page.wait_for_url("**/s/typen")
    page.context.close()
