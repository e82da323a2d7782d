"""The dashboard (``smartstart serve BUNDLE...``): the report's sections as pages, each finding
with its provenance and the team's interpretation beside it, every published table with
filters, downloads, and what changed between two bundles. Behind the facilitator's login.

It reads bundles only (``_bundles``); the team's words live in the scan's database
(``_notes``), never in a bundle.
"""

from __future__ import annotations

import hashlib
import mimetypes
from functools import cache
from typing import Annotated

import jinja2
from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from smartstart.report import report_context, report_html, style
from smartstart.web import _notes
from smartstart.web._app import HERE, ScanState, csrf_protect, translate
from smartstart.web._bundles import (
    Entry,
    apply,
    chart_sources,
    filters,
    provenance,
    relinker,
)
from smartstart.web._compare import compare
from smartstart.web._facilitator import require_login
from smartstart.web._security import csrf_token

router = APIRouter(prefix="/f/b", dependencies=[Depends(csrf_protect), Depends(require_login)])
#: the file kinds of a bundle a team may download from the dashboard
DOWNLOADS = ("workbook", "workbook_en", "table_csv_nl", "table_csv_en", "table_csv",
             "chart_svg", "map_geojson")


def _state(request: Request) -> ScanState:
    return request.app.state.scan


def _lang(request: Request) -> str:
    return _state(request).config.lang


def entries(request: Request) -> list[Entry]:
    return _state(request).extra.get("bundles", [])


def entry(request: Request, key: str) -> Entry:
    found = next((e for e in entries(request) if e.key == key), None)
    if found is None:
        raise HTTPException(status_code=404)
    return found


@cache
def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.autoescape = True  # Starlette escapes only .html files, ours are .html.j2
    templates.env.loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(HERE / "templates"),
        jinja2.PackageLoader("smartstart.report", "templates")])
    return templates


def page(request: Request, name: str, context: dict, status_code: int = 200) -> HTMLResponse:
    lang = _lang(request)
    state = _state(request)
    key = context["entry"].key if "entry" in context else ""
    return _templates().TemplateResponse(request, name, {
        "lang": lang, "t": lambda key, **values: translate(lang, key, **values),
        "csrf": csrf_token(state.csrf_key, request.state.client_id), "entries": entries(request),
        "table_href": lambda output: f"/f/b/{key}/t/{output}", "static": False,
        **context}, status_code=status_code)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    ordered = sorted(entries(request), key=lambda e: e.made)
    return page(request, "dash_home.html.j2", {"ordered": ordered})


@router.get("/report.css")
def report_css() -> Response:
    return Response(style(), media_type="text/css")


@router.get("/{key}/", response_class=HTMLResponse)
def overview(request: Request, key: str) -> Response:
    return section_page(request, key, "kernboodschap")


@router.get("/{key}/s/{section}", response_class=HTMLResponse)
def section_page(request: Request, key: str, section: str) -> Response:
    found = entry(request, key)
    context = sections_context(request, found)
    chosen = next((s for s in context["sections"] if s.id == section), None)
    if chosen is None:
        raise HTTPException(status_code=404)
    return page(request, "dash_section.html.j2", {**context, "section": chosen})


_CHAPTERS: dict[tuple[str, str], dict] = {}


def _chapters(found: Entry, lang: str) -> dict:
    """The report's context of a bundle, built once per language (the pages only read it)."""
    key = (found.digest, lang)
    if key not in _CHAPTERS:
        _CHAPTERS[key] = report_context(found.bundle, lang)  # type: ignore[arg-type]
    return _CHAPTERS[key]


def findings(found: Entry, lang: str) -> set[str]:
    """The keys of the bundle's findings, where a team's words may stand."""
    return {p.finding for c in _chapters(found, lang)["sections"] for p in c.parts
            if getattr(p, "finding", "")}


def sections_context(request: Request, found: Entry) -> dict:
    """The report's context for ``found`` with the team's notes, and what the pages add."""
    lang = _lang(request)
    notes = _notes.notes(_state(request).store, found.digest)
    context = {**_chapters(found, lang), "notes": notes}
    return {**context, "entry": found, "prov": lambda name: provenance(found, name, lang),
            "charts": chart_sources(found), "kinds_all": _notes.KINDS,
            "kinds": {k: translate(lang, f"dash_kind_{k}") for k in _notes.KINDS},
            "section_href": lambda target: f"/f/b/{found.key}/s/{target}",
            "relink": relinker([c.id for c in context["sections"]],
                               lambda target: f"/f/b/{found.key}/s/{target}"),
            "rule_words": _rule_words(lang)}


@router.get("/{key}/t/{output}", response_class=HTMLResponse)
def table_page(request: Request, key: str, output: str, factor: str = "", type: str = "",
               area: str = "", year: str = "") -> Response:
    found = entry(request, key)
    if output not in found.tables:
        raise HTTPException(status_code=404)
    lang = _lang(request)
    table = found.shown(output, lang)
    chosen = filters(found, table, lang,
                     {"factor": factor, "type": type, "area": area, "year": year})
    context = {"entry": found, "table": table, "filters": chosen, "rows": apply(table, chosen),
               "output": output, "title": found.title(output, lang),
               "prov": provenance(found, output, lang), "rule_words": _rule_words(lang)}
    partial = request.headers.get("hx-request") == "true"
    return page(request, "_dash_table.html.j2" if partial else "dash_table.html.j2", context)


@router.get("/{key}/files/{path:path}")
def download(request: Request, key: str, path: str) -> Response:
    """A file the bundle declares, of a kind a team may take (exports, CSVs, charts)."""
    found = entry(request, key)
    declared = {f.get("path"): f for f in found.bundle.manifest.get("files", ())}
    entry_ = declared.get(path)
    if entry_ is None or entry_.get("kind") not in DOWNLOADS:
        raise HTTPException(status_code=404)
    content = (found.root / path).read_bytes()
    if hashlib.sha256(content).hexdigest() != entry_.get("sha256"):  # never a changed file
        raise HTTPException(status_code=409, detail="changed after the bundle was checked")
    kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
    name = path.rsplit("/", 1)[-1]
    return Response(content, media_type=kind,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/{key}/rapport.html")
def report(request: Request, key: str) -> Response:
    """The report of the bundle with the team's words beside the findings, marked as theirs."""
    found = entry(request, key)
    lang = _lang(request)
    notes = _notes.notes_for_report(_state(request).store, found.digest)
    html = report_html(found.bundle, lang, notes)
    return Response(html, media_type="text/html; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{_report_name(found, lang)}"'})


def _report_name(found: Entry, lang: str) -> str:
    return f"{'rapport' if lang == 'nl' else 'report'}-{found.key}.html"


@router.post("/{key}/notes", response_class=HTMLResponse)
def add_note(request: Request, key: str,
             finding: Annotated[str, Form(max_length=200)],
             kind: Annotated[str, Form(max_length=10)],
             text: Annotated[str, Form(max_length=_notes.MAX_TEXT)],
             author: Annotated[str, Form(max_length=_notes.MAX_AUTHOR)] = "",
             section: Annotated[str, Form(max_length=40)] = "kernboodschap") -> Response:
    found = entry(request, key)
    if finding not in findings(found, _lang(request)):
        raise HTTPException(status_code=404)
    problem = _notes.check_note(kind, text, author, finding) or _notes.room(
        _state(request).store, found.digest, finding)
    if problem is None:
        _notes.add_note(_state(request).store, found.digest, finding, kind, text, author)
    return _notes_answer(request, found, finding, section, problem, saved=True)


@router.post("/{key}/notes/{note_id}/delete", response_class=HTMLResponse)
def delete_note(request: Request, key: str, note_id: int,
                finding: Annotated[str, Form(max_length=200)],
                section: Annotated[str, Form(max_length=40)] = "kernboodschap") -> Response:
    found = entry(request, key)
    _notes.delete_note(_state(request).store, found.digest, note_id)
    return _notes_answer(request, found, finding, section, None)


def _notes_answer(request: Request, found: Entry, finding: str, section: str,
                  problem: str | None, saved: bool = False) -> Response:
    """HTMX: the finding's notes again (with the problem, if any); else back to the page."""
    if request.headers.get("hx-request") != "true":
        if problem is not None:
            raise HTTPException(status_code=422, detail=translate(_lang(request), problem))
        return RedirectResponse(f"/f/b/{found.key}/s/{section}#{_anchor(finding)}",
                                status_code=303)
    notes = _notes.notes(_state(request).store, found.digest)
    lang = _lang(request)
    kinds = {k: translate(lang, f"dash_kind_{k}") for k in _notes.KINDS}
    return page(request, "_dash_notes.html.j2", {
        "entry": found, "finding": finding, "items": notes.get(finding, []), "kinds": kinds,
        "kinds_all": _notes.KINDS, "section_id": section, "saved": saved and not problem,
        "problem": translate(lang, problem) if problem else None},
        status_code=422 if problem else 200)


def _anchor(finding: str) -> str:
    return "duiding-" + finding.replace("/", "-")


@router.get("/compare", response_class=HTMLResponse)
def compare_page(request: Request, a: Annotated[str, Query(max_length=12)] = "",
                 b: Annotated[str, Query(max_length=12)] = "") -> Response:
    ordered = sorted(entries(request), key=lambda e: e.made)
    if len(ordered) < 2:
        return page(request, "dash_compare.html.j2", {"result": None, "ordered": ordered})
    b = b or ordered[-1].key
    a = a or earlier(ordered, entry(request, b)).key
    result = compare(entry(request, a), entry(request, b), _lang(request))
    return page(request, "dash_compare.html.j2", {"result": result, "ordered": ordered,
                                                  "chosen": (a, b)})


def earlier(ordered: list[Entry], after: Entry) -> Entry:
    """The bundle to compare ``after`` with by default: the newest one made before it of the
    same pilot, else the newest other one."""
    others = [e for e in ordered if e.key != after.key]
    same = [e for e in others if e.name == after.name and e.made <= after.made]
    return (same or others)[-1]


@cache
def _rule_words_all() -> dict:
    from smartstart.report._text import texts

    return texts()["rule"]


def _rule_words(lang: str) -> dict[str, str]:
    return {rule: words.get(lang, rule) for rule, words in _rule_words_all().items()}
