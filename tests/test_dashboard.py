"""The dashboard (``smartstart serve BUNDLE...``) through its HTTP surface: every chapter and table
as a page, filters against a pandas filter of the published CSV, each table's provenance against
the disclosure log, downloads limited to the declared exports, the team's notes stored apart
from the bundle and shown in the report marked as theirs, two bundles compared against a pandas
diff of their published CSVs, the static export, and the layers it may import."""

from __future__ import annotations

import hashlib
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from test_scan_support import csrf_of, facilitator, make_app

from smartstart.bundle import read_bundle, verify_files
from smartstart.web._bundles import open_bundles
from smartstart.web._compare import ID_COLUMNS, compare

FINDING = "doelgroep/profile_households/profiel"


@pytest.fixture(scope="module")
def bundle(demo_run) -> Path:
    return demo_run / "results" / "bundle"


@pytest.fixture(scope="module")
def later(demo_later) -> Path:
    return demo_later


@pytest.fixture(scope="module")
def client(bundle, later, tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("dashboard"), bundles=(bundle, later))
    return facilitator(app)


def _key(bundle: Path) -> str:
    return hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()[:12]


def _cells(page: str, table_id: str = "dash-table") -> list[list[str]]:
    body = page.split(f'id="{table_id}"', 1)[1].split("</tbody>", 1)[0].split("<tbody>", 1)[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cell = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c).strip()) for c in cell.findall(row)]
            for row in rows]


def test_it_needs_the_facilitators_login(bundle, tmp_path):
    anonymous = TestClient(make_app(tmp_path, bundles=(bundle,)))
    reply = anonymous.get(f"/f/b/{_key(bundle)}/", follow_redirects=False)
    assert reply.status_code == 303 and reply.headers["location"] == "/f/login"


def test_every_chapter_is_a_page_with_its_parts(client, bundle):
    from smartstart.report import report_context

    context = report_context(read_bundle(bundle), "nl")
    assert len(context["sections"]) >= 7
    for section in context["sections"]:
        page = client.get(f"/f/b/{_key(bundle)}/s/{section.id}")
        assert page.status_code == 200, section.id
        titles = [p.title for p in section.parts if p.kind == "part"]
        headings = {html.unescape(h) for h in re.findall(r"<h2[^>]*>(.*?)</h2>", page.text)}
        assert set(titles) <= headings, section.id
        # every finding has its place for the team's words, and the pages link each other
        assert page.text.count('class="team-notes"') == len(titles)
        assert f'href="/f/b/{_key(bundle)}/s/techniek"' in page.text
    assert client.get(f"/f/b/{_key(bundle)}/s/nergens").status_code == 404


def test_a_filter_keeps_the_rows_pandas_keeps(client, bundle):
    published = pd.read_csv(bundle / "exports" / "csv" / "profile_households.csv", sep=";",
                            dtype=str, encoding="utf-8-sig")
    factor = "debt_restructuring"
    page = client.get(f"/f/b/{_key(bundle)}/t/profile_households", params={"factor": factor})
    rows = _cells(page.text)
    expected = published[published.iloc[:, 0] == factor]
    assert len(rows) == len(expected) >= 1
    for row, (_, want) in zip(rows, expected.iterrows(), strict=True):
        assert row == [("" if pd.isna(v) else v) for v in want]  # the Excel CSV's cells
    assert f"{len(expected)} van de {len(published)} rijen" in page.text
    # HTMX asks for the table alone
    partial = client.get(f"/f/b/{_key(bundle)}/t/profile_households",
                         params={"factor": factor}, headers={"HX-Request": "true"})
    assert partial.text.lstrip().startswith('<div id="dash-table">')
    assert _cells(partial.text) == rows
    # an area filter on the areas' table
    areas = pd.read_parquet(bundle / "tables" / "areas_children.parquet")
    wijk = str(areas["wijk"].iloc[0])
    page = client.get(f"/f/b/{_key(bundle)}/t/areas_children", params={"area": wijk})
    assert len(_cells(page.text)) == int((areas["wijk"].astype(str) == wijk).sum())


def test_provenance_counts_what_the_log_says(client, bundle):
    log = json.loads((bundle / "disclosure_log.json").read_text("utf-8"))
    for verdict in log["outputs"]:
        if not verdict["shown"]:
            continue
        page = client.get(f"/f/b/{_key(bundle)}/t/{verdict['name']}")
        labels: dict[str, int] = {}
        for _row, _column, label in verdict["shown"]:
            labels[label] = labels.get(label, 0) + 1
        for label, n in labels.items():
            assert f"{n} cel(len) met {label.replace('<', '&lt;')}" in page.text, verdict["name"]
        primary = sum(s["reason"] == "primary" for s in verdict["suppressed"])
        secondary = sum(s["reason"] == "secondary" for s in verdict["suppressed"])
        if primary or secondary:
            assert (f"Waarom: {primary} aantal(len) te klein (primair), {secondary} ter "
                    "bescherming") in page.text
        # every blanked cell of the Dutch page (not the English words' columns) links to why
        hidden = len(re.findall(r'class="hidden-cell"><a href="#why-', page.text))
        dutch = [c for _r, c, _label in verdict["shown"] if not c.endswith("_en")]
        assert hidden == len(dutch), verdict["name"]


def test_downloads_are_the_declared_exports_only(client, bundle):
    key = _key(bundle)
    book = client.get(f"/f/b/{key}/files/exports/tabellen.xlsx")
    assert book.status_code == 200
    assert book.content == (bundle / "exports" / "tabellen.xlsx").read_bytes()
    for path in ("manifest.json", "disclosure_log.json", "tables/match.parquet",
                 "../../pilot.yaml", "exports/../manifest.json"):
        assert client.get(f"/f/b/{key}/files/{path}").status_code == 404, path


def test_the_teams_words_stay_beside_the_finding_and_out_of_the_bundle(client, bundle,
                                                                        tmp_path):
    key = _key(bundle)
    before = {p.relative_to(bundle).as_posix(): p.read_bytes() for p in bundle.rglob("*")
              if p.is_file()}
    text = "Wijkteams herkennen dit: schulden komen vaak samen met huurproblemen."
    reply = client.post(f"/f/b/{key}/notes", data={
        "csrf": csrf_of(client, f"/f/b/{key}/s/doelgroep"), "finding": FINDING,
        "kind": "duiding", "text": text, "author": "wijkteam Noord", "section": "doelgroep"},
        headers={"HX-Request": "true"})
    assert reply.status_code == 200 and text in reply.text
    assert text in client.get(f"/f/b/{key}/s/doelgroep").text
    report = client.get(f"/f/b/{key}/rapport.html").text
    aside = report.split('<aside class="team"', 1)[1].split("</aside>", 1)[0]
    assert text in aside and "woorden van het team, geen gegevens" in aside
    # placed after the finding it is about, before the next part
    assert report.index('id="profiel"') < report.index(text) < report.index('id="duur"')
    # an empty or unknown kind is refused and nothing is stored
    bad = client.post(f"/f/b/{key}/notes", data={
        "csrf": csrf_of(client, f"/f/b/{key}/s/doelgroep"), "finding": FINDING,
        "kind": "feit", "text": "x", "section": "doelgroep"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and client.get(f"/f/b/{key}/rapport.html").text.count(
        '<aside class="team"') == 1
    # without the CSRF token nothing is stored
    assert client.post(f"/f/b/{key}/notes", data={"finding": FINDING, "kind": "vraag",
                                                   "text": "zonder token"}).status_code == 403
    # the bundle did not change: same files, same bytes, still intact
    after = {p.relative_to(bundle).as_posix(): p.read_bytes() for p in bundle.rglob("*")
             if p.is_file()}
    assert after == before and verify_files(bundle) == []


def test_the_report_command_takes_the_teams_words(bundle, tmp_path):
    from typer.testing import CliRunner

    from smartstart.cli import app as cli
    from smartstart.web._db import database_url, make_engine, migrate
    from smartstart.web._notes import add_note
    from smartstart.web._store import Store

    store = Store(make_engine(database_url(tmp_path)))
    migrate(store.engine)
    digest = hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest()
    add_note(store, digest, FINDING, "vraag", "Geldt dit ook voor gezinnen zonder huurtoeslag?")
    store.engine.dispose()
    out = tmp_path / "rapport.html"
    result = CliRunner().invoke(cli, ["report", str(bundle), "--out", str(out), "--team-notes",
                                      "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert "zonder huurtoeslag?" in html.split('<aside class="team"', 1)[1]
    plain = CliRunner().invoke(cli, ["report", str(bundle), "--out", str(tmp_path / "b.html")])
    assert plain.exit_code == 0 and '<aside class="team"' not in (tmp_path / "b.html").read_text()


def _reference_changes(before: Path, after: Path, name: str) -> int:
    """Cells that differ between two published CSVs (tables/NAME.csv: rounded as published),
    rows matched on their naming columns, by pandas."""
    a = pd.read_csv(before / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)
    b = pd.read_csv(after / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)
    keys = [c for c in b.columns if c in ID_COLUMNS and c in a.columns]
    merged = a.merge(b, on=keys, suffixes=("_a", "_b"))
    shared = [c for c in b.columns if c in a.columns and c not in keys
              and not c.endswith("_en")]  # a Dutch comparison: the Dutch words' columns
    return int(sum(((merged[f"{c}_a"] != merged[f"{c}_b"])
                    & ~(merged[[f"{c}_a", f"{c}_b"]].isin(["", "–"]).all(axis=1))).sum()
                   for c in shared))


def test_two_bundles_compared_as_pandas_diffs_them(client, bundle, later):
    before, after = open_bundles([bundle, later])
    result = compare(before, after)
    gone = {t.output for t in result.tables if t.state == "gone"}
    assert gone == set(before.tables) - set(after.tables) and "combinations" in gone
    assert dict((f, b) for f, _a, b in result.pilot)["peildatum"] == "2021-01-01"
    profile = next(t for t in result.tables if t.output == "profile_households")
    assert profile.state == "changed"
    assert profile.changed == _reference_changes(bundle, later, "profile_households") > 0
    page = client.get("/f/b/compare", params={"a": _key(bundle), "b": _key(later)})
    assert page.status_code == 200
    assert f"{profile.changed} cel(len) anders" in page.text
    same = compare(before, before)
    assert {t.state for t in same.tables} == {"same"} and not same.pilot


def test_the_static_export_holds_the_same_pages(bundle, later, tmp_path):
    from typer.testing import CliRunner

    from smartstart.cli import app as cli

    out = tmp_path / "dashboard.html"
    result = CliRunner().invoke(cli, ["serve", str(bundle), str(later), "--static", str(out),
                                      "--data", str(tmp_path)])
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    newest = open_bundles([later])[0]
    for name in newest.tables:
        assert f'id="page-t-{name}"' in html
    assert 'id="page-vergelijking"' in html and 'id="page-kernboodschap"' in html
    assert "<script" not in html and "<form" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing loaded from elsewhere


def test_a_broken_bundle_is_refused_by_name(bundle, tmp_path):
    import shutil

    from typer.testing import CliRunner

    from smartstart.cli import app as cli

    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    (copy / "tables" / "match.csv").write_text("partner,status,count\nx,y,3\n", "utf-8")
    result = CliRunner().invoke(cli, ["serve", str(copy), "--static", str(tmp_path / "d.html")])
    assert result.exit_code != 0 and "match.csv" in result.output
    assert not (tmp_path / "d.html").exists()


def test_the_dashboard_cannot_import_the_microdata_layers(bundle, tmp_path):
    """Opening bundles, every page and the static export load no module of sources/, linking/
    or features/ (a fresh interpreter, so nothing else has loaded them)."""
    script = f"""
import sys
from pathlib import Path
from fastapi.testclient import TestClient
from smartstart.web import ScanConfig, create_app
from smartstart.web._static import write_static
app = create_app(ScanConfig(url="sqlite:///{(tmp_path / 'db.sqlite').as_posix()}",
                            bundles=(Path({str(bundle)!r}),)))
write_static([Path({str(bundle)!r})], Path({str(tmp_path / 's.html')!r}))
loaded = sorted(m for m in sys.modules if m.split(".")[:2] in
                (["smartstart", "sources"], ["smartstart", "linking"], ["smartstart", "features"]))
print("LOADED", loaded)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout, done.stdout
    web = Path(__file__).resolve().parents[1] / "src" / "smartstart" / "web"
    for path in web.glob("*.py"):
        source = path.read_text("utf-8")
        assert not re.search(r"smartstart\.(sources|linking|features)|from smartstart import "
                             r"(sources|linking|features)", source), path.name


def test_the_facilitators_home_leads_to_the_bundles(client):
    home = client.get("/f/")
    assert 'href="/f/b/"' in home.text and "2 bundel(s) geopend" in home.text
    listing = client.get("/f/b/")
    assert listing.text.count('<th scope="row"><a href="/f/b/') == 2
