"""Persona cards to print (issue 17): `smartstart report` writes them beside the report, one
card per persona of the bundle, and Chromium prints them as one A5 page per card (the PDF's
pages measured, not the CSS read). A screenshot and the PDF are kept for a look."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from browser_support import ARGS, ARTIFACTS, CHROMIUM
from shared_cases import LANGUAGES
from test_report_support import demo_bundle
from typer.testing import CliRunner

from smartstart.cli import app

#: A5 in PostScript points (148 x 210 mm)
A5 = (148 / 25.4 * 72, 210 / 25.4 * 72)


def _pages(pdf: bytes) -> list[tuple[float, float]]:
    """The width and height of every page of a PDF (its MediaBoxes)."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_cards_print_as_one_a5_page_per_persona(tmp_path_factory, lang):
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}", pytrace=False)
    from playwright.sync_api import sync_playwright

    bundle = demo_bundle(tmp_path_factory)
    out = tmp_path_factory.mktemp("cards") / "rapport.html"
    result = CliRunner().invoke(app, ["report", str(bundle), "--out", str(out), "--lang", lang])
    assert result.exit_code == 0, result.output
    cards = out.with_name("rapport-kaarten.html")
    personas = pd.read_parquet(bundle / "tables" / "typology_personas.parquet")
    page_html = cards.read_text("utf-8")
    assert page_html.count('<article class="card"') == len(personas) >= 2
    for name in personas[f"name_{lang}"]:
        assert name.replace("-", "") in page_html.replace("\u00ad", "").replace("-", "")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1000})
            page.goto(cards.as_uri(), wait_until="load")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"cards-{lang}.png"), full_page=False)
            page.emulate_media(media="print")
            pdf = page.pdf(prefer_css_page_size=True, print_background=True)
            # nothing spills out of a card onto the next page: each card fits its sheet
            overflow = page.evaluate("() => [...document.querySelectorAll('.card')].map("
                                     "c => c.scrollHeight - c.clientHeight)")
        finally:
            browser.close()
    (ARTIFACTS / f"cards-{lang}.pdf").write_bytes(pdf)
    sizes = _pages(pdf)
    assert len(sizes) == len(personas)
    assert all(abs(w - A5[0]) < 2 and abs(h - A5[1]) < 2 for w, h in sizes), sizes
    assert max(overflow) <= 0, overflow
