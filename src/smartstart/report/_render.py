"""From a bundle to the HTML file: read and verify, build the sections, fill the template."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import jinja2

from smartstart import __version__
from smartstart._usage import UsageError
from smartstart.bundle import Bundle, read_bundle
from smartstart.report._cells import small_label
from smartstart.report._glossary import appendix, appendix_words
from smartstart.report._sections import sections
from smartstart.report._source import Source
from smartstart.report._text import t, texts
from smartstart.report._types import LANGS, Lang, TeamNote

#: a project team's words per finding key (``Part.finding``), as recorded in the dashboard
TeamNotes = Mapping[str, Sequence[TeamNote]]

PAGE_TEXTS = ("title", "subtitle", "toc", "skip", "about", "intro", "howto", "data_table",
              "footer_group", "downloads", "team_title", "team_mark", "team_by")


def write_report(bundle: Path, out: Path, lang: Lang = "nl",
                 notes: TeamNotes | None = None) -> Path:
    """Write the report of ``bundle`` to ``out`` (one HTML file) and return ``out``; with
    ``notes``, the project team's interpretation beside each finding, marked as its words.

    Raises ValueError when ``bundle`` is not an intact bundle or ``lang`` is unknown.
    """
    if lang not in LANGS:
        raise UsageError(f"lang must be one of {', '.join(LANGS)}, got {lang!r}")
    bundle, out = Path(bundle), Path(out)
    if not (bundle / "manifest.json").is_file():
        raise UsageError(f"{bundle} is not a bundle: it has no manifest.json")
    html = render(Source(read_bundle(bundle), lang), lang, downloads(bundle, out, lang), notes)
    return write_html(out, html)


def write_html(out: Path, html: str) -> Path:
    """Write ``html`` to ``out`` atomically (a ``.partial`` file beside it, renamed when
    complete: a failed write leaves no half file) and return ``out``."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=out.parent, suffix=".partial",
                                     delete=False) as handle:
        handle.write(html)
    try:
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, out)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return out


#: the exports for Excel a report links to, per language: the workbook and the CSVs' folder
#: with the text of each link. An English report links the English exports, or the Dutch ones
#: of a bundle written before there were English exports (their text says Dutch headers).
DOWNLOADS: dict[str, tuple[tuple[tuple[str, str], ...], ...]] = {
    "nl": ((("exports/tabellen.xlsx", "download_workbook"),),
           (("exports/csv", "download_csv"),)),
    "en": ((("exports/en/tables.xlsx", "download_workbook_english"),
            ("exports/tabellen.xlsx", "download_workbook")),
           (("exports/en/csv", "download_csv_english"), ("exports/csv", "download_csv"))),
}


def downloads(bundle: Path, out: Path, lang: Lang) -> list[tuple[str, str]]:
    """(text, link) of the bundle's exports for Excel in the report's language, relative to
    the report (a file URI when there is no relative way, another drive on Windows)."""
    found = []
    for choices in DOWNLOADS[lang]:
        there = [(bundle / name, key) for name, key in choices if (bundle / name).exists()]
        if not there:
            continue
        target, key = there[0][0].resolve(), there[0][1]
        try:
            link = Path(os.path.relpath(target, out.resolve().parent)).as_posix()
        except ValueError:
            link = target.as_uri()
        found.append((t(key, lang), link))
    return found


def render(src: Source, lang: Lang, downloads: list[tuple[str, str]] | None = None,
           notes: TeamNotes | None = None) -> str:
    template = _environment().get_template("report.html.j2")
    return template.render(**context(src, lang, downloads, notes))


def context(src: Source, lang: Lang, downloads: list[tuple[str, str]] | None = None,
            notes: TeamNotes | None = None) -> dict:
    """What the report's template (and the dashboard's pages, which use its macros) is
    filled with: the sections, the page's words, the glossary, the team's notes."""
    manifest = src.bundle.manifest
    pilot = src.pilot
    chapters = sections(src, lang)
    return dict(
        lang=lang, version=manifest.get("smartstart_version", __version__),
        title=str(pilot.get("name") or t("title", lang)),
        text={k: t(k, lang) for k in PAGE_TEXTS}, meta=_meta(pilot, manifest, lang),
        howto=_howto(src, lang), sections=chapters, downloads=downloads or [],
        appendix=appendix(chapters, lang), glossary=appendix_words(lang), notes=notes or {},
        kinds={k: t(f"team_{k}", lang) for k in ("duiding", "vraag", "verhaal")},
        footer=t("footer", lang, version=manifest.get("smartstart_version", "?"),
                 bundle=src.bundle.root.name))


def report_context(bundle: Bundle, lang: Lang, notes: TeamNotes | None = None) -> dict:
    """``context`` of an opened bundle, for a page that shows the report's sections."""
    return context(Source(bundle, lang), lang, None, notes)


def report_html(bundle: Bundle, lang: Lang, notes: TeamNotes | None = None) -> str:
    """The report of an opened bundle as HTML (the dashboard's download, with the notes)."""
    return render(Source(bundle, lang), lang, None, notes)


def style() -> str:
    """The report's style sheet (the dashboard serves it as a file)."""
    return _environment().loader.get_source(_environment(), "style.css")[0]


def _environment() -> jinja2.Environment:
    texts()  # fail early if the dictionary is broken
    return jinja2.Environment(loader=jinja2.PackageLoader("smartstart.report", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=False, lstrip_blocks=False)


def _meta(pilot: dict, manifest: dict, lang: Lang) -> list[tuple[str, str]]:
    group = pilot.get("target_group") or {}
    items = [("meta_organisation", pilot.get("organisation")),
             ("meta_programme", pilot.get("programme")), ("meta_contact", pilot.get("contact")),
             ("meta_gemeente", _places(pilot, lang)), ("meta_peildatum", pilot.get("peildatum")),
             ("meta_population", (pilot.get("population_words") or {}).get(lang)),
             ("meta_target", group.get(f"label_{lang}") if isinstance(group, dict) else None),
             ("meta_outcome", _outcome(pilot, lang)),
             ("meta_made", str(manifest.get("finished_at") or "")[:10] or None)]
    return [(t(key, lang), str(value)) for key, value in items if value]


def _places(pilot: dict, lang: Lang) -> str | None:
    """Where the pilot runs, in words: a region's name with its municipalities, or the
    municipalities by name (the bundle's ``place_words``; the codes for an older bundle)."""
    words = pilot.get("place_words") or {}
    if isinstance(words, dict) and words.get(lang):
        return str(words[lang])
    return pilot.get("gemeente") or ", ".join(pilot.get("gemeenten") or ()) or None


def _outcome(pilot: dict, lang: Lang) -> str | None:
    """The outcome in words, as the bundle states them (only when a risk model was asked)."""
    outcome = pilot.get("outcome") or {}
    if not isinstance(outcome, dict) or "risk" not in (pilot.get("analyses") or ()):
        return None
    return outcome.get(lang) or outcome.get("name")


def _howto(src: Source, lang: Lang) -> list[str]:
    outputs = src.bundle.log.get("outputs") or [{}]
    first = outputs[0]
    small = small_label(first)
    minimum = (first.get("settings") or {}).get("min_cell", 10)
    lines = [t("howto_ci", lang)]
    if small != "x":
        lines.append(t("howto_small", lang, small=small, min_cell=minimum))
    return lines + [t("howto_x", lang, min_cell=minimum), t("howto_dash", lang),
                    t("howto_assoc", lang)]
