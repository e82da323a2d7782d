"""Shared by the browser tests: Debian's Chromium driven by Playwright, where screenshots go,
and axe's serious or critical violations.

Chromium must be installed (``.ci/run`` installs it); without it a browser test fails, it does
not skip: CI has to prove the pages work in a browser."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("SMARTSTART_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
#: where screenshots and PDFs are kept; run.py gives each environment its own folder, so the
#: two suites can run at the same time
ARTIFACTS = Path(os.environ.get("SMARTSTART_ARTIFACTS",
                                Path(__file__).resolve().parents[1] / "test-artifacts"))
PHONE = {"width": 390, "height": 844}


def chromium() -> Iterator:
    """The body of a module's ``browser`` fixture: one Chromium for the module."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: install Debian's package "
                    "(apt-get install -y chromium); .ci/run does this on CI", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


def axe_clean(page, where: str) -> None:
    """No serious or critical accessibility violation on ``page`` (axe-core)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not bad, (where, [(v["id"], v["impact"], v["nodes"][0]["html"][:200]) for v in bad])
