"""The dashboard as one HTML file for sharing offline (``smartstart serve --static FILE``): the
same pages (chapters, every table, each finding's provenance, the team's words read-only and,
with two bundles, what changed), one shown at a time by its anchor; no script, nothing loaded.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import jinja2

from smartstart import __version__
from smartstart._usage import UsageError
from smartstart.report import report_context, style, write_html
from smartstart.web._app import HERE, translate
from smartstart.web._bundles import chart_sources, open_bundles, provenance, relinker
from smartstart.web._compare import compare


def write_static(bundles: Sequence[Path], out: Path, url: str | None = None,
                 lang: str = "nl") -> Path:
    """Write the pages of the newest of ``bundles`` (with two: and what changed since the
    other) to ``out``, the team's notes from the database at ``url`` beside the findings."""
    if len(bundles) > 2:
        raise UsageError("--static takes one bundle, or two to compare (the older first "
                         f"approved, the newer); {len(bundles)} were given")
    with tempfile.TemporaryDirectory(prefix="smartstart-static-") as snapshot:
        entries = sorted(open_bundles(bundles, Path(snapshot)), key=lambda e: e.made)
        html = render_static(entries, _notes(entries[-1].digest, url), lang)
    return write_html(Path(out), html)


def render_static(entries: Sequence, notes: dict, lang: str) -> str:
    from smartstart.web._dashboard import _rule_words
    from smartstart.web._notes import KINDS

    entry = entries[-1]
    context = report_context(entry.bundle, lang, notes)
    tables = []
    for output in entry.tables:
        table = entry.shown(output, lang)
        tables.append({"output": output, "title": entry.title(output, lang), "table": table,
                       "rows": list(range(len(table.rows))),
                       "prov": provenance(entry, output, lang)})
    first = provenance(entry, entry.tables[0], lang) if entry.tables else None

    environment = jinja2.Environment(loader=jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(HERE / "templates"),
        jinja2.PackageLoader("smartstart.report", "templates")]), autoescape=True)
    css = style() + (HERE / "static" / "dashboard.css").read_text("utf-8")
    return environment.get_template("dash_static.html.j2").render({
        **context, "entry": entry, "version": __version__, "css": css, "tables": tables,
        "kinds": {k: translate(lang, f"dash_kind_{k}") for k in KINDS}},
        min_cell=first.min_cell if first else 10, static=True, csrf="",
        t=lambda key, **values: translate(lang, key, **values),
        prov=lambda name: provenance(entry, name, lang), charts=chart_sources(entry),
        kinds_all=KINDS,
        table_href=lambda name: f"#page-t-{name}",
        section_href=lambda target: f"#page-{target}", rule_words=_rule_words(lang),
        relink=relinker([c.id for c in context["sections"]], lambda target: f"#page-{target}"),
        result=compare(entries[0], entries[1], lang) if len(entries) == 2 else None)


def _notes(digest: str, url: str | None) -> dict:
    """The team's notes on the bundle, for the pages (none without a database)."""
    if url is None:
        return {}
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return {}  # no scan database there: no notes, and none is made by writing a file
    from smartstart.web._db import make_engine, migrate
    from smartstart.web._notes import notes
    from smartstart.web._store import Store

    store = Store(make_engine(url))
    migrate(store.engine)
    try:
        return notes(store, digest)
    finally:
        store.engine.dispose()
