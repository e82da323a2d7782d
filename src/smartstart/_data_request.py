"""The data request to CBS, generated from the table catalog and the factor library.

``request_markdown()`` says, in Dutch, what a pilot asks CBS for: the outcomes with their tables,
then per table its theme, kind, the file names it is recognised by (the catalog's patterns made
readable), the columns smartstart reads (those that may be absent apart) and the factors and
outcomes that read it, grouped as always needed (the core), needed for factors and outcomes,
and not read at all. ``docs/stappenplan.md`` holds it between ``BEGIN`` and ``END``;
``write_block`` puts a fresh one there (``smartstart request --write docs/stappenplan.md``) and
``tests/test_stappenplan.py`` fails when the two differ. It lives above ``sources/`` because it
joins the catalog with the factor library, which reads the catalog.
"""

from __future__ import annotations

import re
from pathlib import Path

from smartstart._usage import UsageError
from smartstart.features import Library, library
from smartstart.linking._db import CORE
from smartstart.linking._schools import KEY as SCHOOL_KEY
from smartstart.linking._schools import TABLE as SCHOOL_TABLE
from smartstart.sources._catalog import Catalog, ColumnSpec, Spelling, TableSpec, load_catalog

BEGIN = "<!-- begin: aanvraag -->"
END = "<!-- end: aanvraag -->"
NOTE = ("<!-- Gegenereerd uit src/smartstart/sources/catalog.yaml en de kenmerkenbibliotheek "
        "(src/smartstart/features/*.yaml) met `smartstart request --write docs/stappenplan.md`. "
        "Niet met de hand wijzigen. -->")
#: the regex parts of the catalog's file-name patterns and how the guide writes them
READABLE = ((r"(?P<year>\d{4})", "<jaar>"), (r"(?P<version>\d+)", "<n>"),
            (r"(\d{2})?", "[<2 cijfers>]"), (r"\d{6}", "<6 cijfers>"))
_KIND = {"TAB": "TAB, één bestand per jaar met de stand in dat jaar",
         "BUS": "BUS, perioden met een begin- en einddatum"}


def readable_pattern(pattern: str) -> str:
    """A file-name pattern as people write it (``GBAPERSOON<jaar>TABV<n>``); a pattern with
    other regex parts is given as it is."""
    text = pattern.removeprefix("^").removesuffix("$")
    for regex, words in READABLE:
        text = text.replace(regex, words)
    rest = text
    for _, words in READABLE:
        rest = rest.replace(words, "")
    return pattern if re.search(r"[^\w ]", rest) else text


def _spelling(spelling: Spelling) -> str:
    name = f"`{spelling.name.replace('{year}', '<jaar>')}`"
    if spelling.from_ is not None and spelling.to is not None:
        return f"{name} ({spelling.from_} t/m {spelling.to})"
    if spelling.to is not None:
        return f"{name} (t/m {spelling.to})"
    return f"{name} (vanaf {spelling.from_})" if spelling.from_ is not None else name


def column_text(column: ColumnSpec) -> str:
    """A column with the other names it has in some files (a difference of case is none)."""
    others = [_spelling(s) for s in column.spellings
              if s.name.casefold() != column.name.casefold()]
    return " of ".join([f"`{column.name}`", *others])


def table_uses(lib: Library, catalog: Catalog) -> dict[str, list[str]]:
    """Per catalog table what reads it, one line each: linking (the core), the factors and
    outcomes (Dutch words with the name a pilot file uses) and the schools per buurt."""
    factors: dict[str, list[str]] = {name: [] for name in catalog.tables}
    outcomes: dict[str, list[str]] = {name: [] for name in catalog.tables}
    for name, factor in lib.factors.items():
        for table in factor.sources:
            factors.get(table, []).append(f"{factor.nl} `{name}`")
    for name, outcome in lib.outcomes.items():
        for table in outcome.sources:
            outcomes.get(table, []).append(f"{outcome.nl} `{name}`")
    uses: dict[str, list[str]] = {}
    for table in catalog.tables:
        lines = ["Koppelen: wie woont waar en met wie op de peildatum"] if table in CORE else []
        if factors[table]:
            lines.append(f"Kenmerken: {'; '.join(factors[table])}")
        if outcomes[table]:
            lines.append(f"Uitkomsten: {'; '.join(outcomes[table])}")
        if table == SCHOOL_TABLE:
            lines.append(f"Scholen per buurt (`{SCHOOL_KEY}`): analyse `areas` met "
                         "`min_schools`")
        uses[table] = lines
    return uses


def _table_lines(table: TableSpec, uses: list[str]) -> list[str]:
    names = [readable_pattern(p) for p in table.patterns]
    required = [column_text(c) for c in table.columns.values() if not c.optional]
    optional = [column_text(c) for c in table.columns.values() if c.optional]
    lines = [f"- **{table.name}**: één rij per {table.unit}",
             f"  - Soort: {_KIND[table.kind]}; thema (map) {table.theme}",
             f"  - Bestandsnaam: `{names[0]}`"
             + (f"; ook: {', '.join(f'`{n}`' for n in names[1:])}" if names[1:] else ""),
             f"  - Kolommen: {', '.join(required)}"]
    if optional:
        lines.append(f"  - Mogen ontbreken: {', '.join(optional)}")
    if table.spell:
        lines.append(f"  - Periode: van `{table.spell['start']}` tot en met "
                     f"`{table.spell['end']}`")
    if table.year_column:
        year_column = table.year_column.replace("{year}", "<jaar>")
        lines.append(f"  - Het jaar van de tabel staat in de kolomnamen (`{year_column}`), "
                     "niet in de bestandsnaam")
    assumed = [f"`{c}`" for c in table.columns if table.columns[c].assumed]
    if table.assumed:
        lines.append("  - Let op: naam, kolommen en codes zijn niet openbaar; smartstart neemt "
                     "ze aan. Controleer ze in de documentatie van CBS.")
    elif assumed:
        lines.append(f"  - Codelijst aangenomen (niet openbaar): {', '.join(assumed)}")
    return lines + [f"  - {use}" for use in uses]


def request_markdown(catalog: Catalog | None = None, lib: Library | None = None) -> str:
    """The data request as Markdown (Dutch): the block between ``BEGIN`` and ``END``."""
    catalog = catalog or load_catalog()
    lib = lib or library()
    uses = table_uses(lib, catalog)
    lines = [NOTE, "", "**Welke tabellen horen bij welke uitkomst** (de uitkomst staat in het "
             "pilotbestand bij `study.outcome.name`):", "",
             "| uitkomst | naam in het pilotbestand | tabellen |", "|---|---|---|"]
    lines += [f"| {o.nl} | `{name}` | {', '.join(o.sources)} |"
              for name, o in lib.outcomes.items()]
    groups = (("Altijd nodig: personen, huishoudens, adressen en gebieden",
               [t for t in catalog.tables if t in CORE]),
              ("Nodig voor kenmerken en uitkomsten: vraag wat uw pilot gebruikt",
               [t for t in catalog.tables if t not in CORE and uses[t]]),
              ("Nu door geen kenmerk of uitkomst gelezen: niet aanvragen",
               [t for t in catalog.tables if not uses[t]]))
    for title, names in groups:
        if names:
            lines += ["", f"### {title}", ""]
            for name in names:
                lines += _table_lines(catalog.tables[name], uses[name])
    return "\n".join(lines)


def _bounds(text: str) -> tuple[int, int]:
    """Where the block's content starts and ends in ``text``; a ValueError without one pair."""
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise UsageError(f"the text needs the markers {BEGIN} and {END}, each exactly once")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    if end < start:
        raise UsageError(f"{END} comes before {BEGIN}")
    return start, end


def current_block(text: str) -> str:
    """The generated block as it stands in ``text`` (without the markers)."""
    start, end = _bounds(text)
    return text[start:end].strip("\n")


def splice(text: str, block: str) -> str:
    """``text`` with ``block`` between its markers; everything else unchanged."""
    start, end = _bounds(text)
    return f"{text[:start]}\n{block}\n{text[end:]}"


def write_block(path: Path) -> bool:
    """Put the current data request into the Markdown file ``path``; True when it changed."""
    path = Path(path)
    text = path.read_text("utf-8")
    new = splice(text, request_markdown())
    if new == text:
        return False
    path.write_text(new, "utf-8")
    return True
