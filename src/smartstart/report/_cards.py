"""Persona cards to print (issue 17): the typology's persona cards of the report, one per A5
page, for the design-thinking session. A separate HTML file beside the report
(``rapport-kaarten.html``), read from the bundle only, with print CSS (``@page { size: A5 }``):
print it from the browser, or save it as PDF, and every card is one A5 sheet."""

from __future__ import annotations

from pathlib import Path

import jinja2

from smartstart._usage import UsageError
from smartstart.bundle import read_bundle
from smartstart.report._source import Source
from smartstart.report._text import t
from smartstart.report._types import LANGS, Card, Cards, Lang
from smartstart.report._typology import personas

PAGE = """<!DOCTYPE html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
@page { size: A5; margin: 0; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #e9eef2; color: #1b1b1b;
       font: 10pt/1.35 "Segoe UI", Arial, Helvetica, sans-serif; }
header.sheet-intro { max-width: 148mm; margin: 8mm auto 4mm; }
header.sheet-intro h1 { font-size: 16pt; margin: 0 0 2mm; }
header.sheet-intro p { margin: 0 0 2mm; }
.card { width: 148mm; height: 210mm; margin: 0 auto 8mm; padding: 9mm 11mm 7mm;
        background: #fff; border-top: 6mm solid #0b5f8a; display: flex;
        flex-direction: column; overflow: hidden; break-after: page; page-break-after: always; }
.card:last-of-type { break-after: auto; page-break-after: auto; }
.card .kicker { font-size: 9pt; text-transform: uppercase; letter-spacing: .04em;
                color: #45555f; margin: 0 0 1mm; }
.card h2 { font-size: 16pt; line-height: 1.2; margin: 0 0 3mm; color: #0b3d5a;
           hyphens: manual; }
.card .facts { margin: 0 0 4mm; padding: 0; list-style: none; font-weight: 600; }
.card h3 { font-size: 11pt; margin: 2.5mm 0 1mm; color: #0b3d5a; }
.card ul { margin: 0; padding-left: 5mm; }
.card li { margin: 0 0 .6mm; }
.card .notes { flex: 1; margin-top: 4mm; border: 1px dashed #7b8a93; border-radius: 2mm;
               padding: 2mm 3mm; color: #45555f; font-size: 9.5pt; min-height: 14mm; }
.card footer { margin-top: 3mm; font-size: 8pt; color: #45555f; }
@media print {
  body { background: #fff; }
  header.sheet-intro { display: none; }
  .card { margin: 0; }
}
@media screen and (max-width: 600px) {
  .card { width: auto; height: auto; min-height: 0; margin: 0 2mm 6mm; }
}
</style>
</head>
<body>
<header class="sheet-intro">
  <h1>{{ title }}</h1>
  {%- for line in intro %}
  <p>{{ line }}</p>
  {%- endfor %}
</header>
<main>
{%- for card in cards %}
<article class="card" aria-labelledby="card-{{ loop.index }}">
  <p class="kicker">{{ kicker }}</p>
  <h2 id="card-{{ loop.index }}">{{ card.title }}</h2>
  <ul class="facts">
  {%- for fact in card.facts %}
    <li>{{ fact }}</li>
  {%- endfor %}
  </ul>
  {%- if card.traits %}
  <h3>{{ card.traits_title }}</h3>
  <ul>
  {%- for trait in card.traits %}
    <li>{{ trait }}</li>
  {%- endfor %}
  </ul>
  {%- endif %}
  {%- if card.questions %}
  <h3>{{ card.questions_title }}</h3>
  <ul>
  {%- for question in card.questions %}
    <li>{{ question }}</li>
  {%- endfor %}
  </ul>
  {%- endif %}
  <div class="notes">{{ notes }}</div>
  <footer>{{ footer }}</footer>
</article>
{%- endfor %}
</main>
</body>
</html>
"""


def persona_cards(src: Source, lang: Lang) -> tuple[Card, ...]:
    """The persona cards exactly as the report shows them (none without personas)."""
    part = personas(src, lang) if src.has("typology_personas") else None
    if part is None:
        return ()
    return next((b.cards for b in part.blocks if isinstance(b, Cards)), ())


def cards_html(src: Source, lang: Lang) -> str:
    """The printable page: one A5 card per persona."""
    pilot = src.pilot
    name = str(pilot.get("name") or t("title", lang))
    template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined
                                  ).from_string(PAGE)
    return template.render(
        lang=lang, title=t("cards_title", lang, pilot=name), cards=persona_cards(src, lang),
        intro=[t("cards_intro", lang)], kicker=t("cards_kicker", lang, pilot=name),
        notes=t("cards_notes", lang),
        footer=t("cards_footer", lang, bundle=src.bundle.root.name))


def write_cards(bundle: Path, out: Path, lang: Lang = "nl") -> Path | None:
    """Write the persona cards of ``bundle`` to ``out``; None (nothing written) when the
    bundle has no persona cards. Raises ValueError for a bundle that is not intact."""
    if lang not in LANGS:
        raise UsageError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    src = Source(read_bundle(Path(bundle)), lang)
    if not persona_cards(src, lang):
        return None
    from smartstart.report._render import write_html

    return write_html(Path(out), cards_html(src, lang))


def cards_path(report: Path) -> Path:
    """Where the cards lie beside a report: ``rapport.html`` -> ``rapport-kaarten.html``."""
    report = Path(report)
    return report.with_name(f"{report.stem}-kaarten.html")
