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
    # the Kernboodschap's links to a chapter lead to its page
    page = client.get(f"/f/b/{_key(bundle)}/").text
    ids = [s.id for s in context["sections"]]
    assert not re.search(r'href="#(' + "|".join(ids) + ')"', page)
    assert f'href="/f/b/{_key(bundle)}/s/doelgroep"' in page


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
            said = (f"{label.replace('<', '&lt;')}: minder dan" if label != "x" else "x: niet "
                    "getoond") + ".*?" + f"Dit staat {n} keer in de tabel"
            assert re.search(said, page.text, re.S), (verdict["name"], label, n)
        primary = sum(s["reason"] == "primary" for s in verdict["suppressed"])
        secondary = sum(s["reason"] == "secondary" for s in verdict["suppressed"])
        if primary or secondary:
            assert (f"Te kleine aantallen: {primary}. Aantallen die daarom ook niet getoond "
                    f"worden: {secondary}.") in page.text
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
    # a finding the bundle does not have takes no note
    assert client.post(f"/f/b/{key}/notes", data={
        "csrf": csrf_of(client, f"/f/b/{key}/s/doelgroep"), "finding": "nergens/niets",
        "kind": "vraag", "text": "x", "section": "doelgroep"}).status_code == 404
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


def _reference_warnings(before: Path, after: Path, name: str) -> int:
    """Cells a comparison must mark: a count (the output's rules) shown in both that moved by
    1 to 9, or a cell the gate hid in one bundle and not in the other (the logs' ``shown``)."""
    frames, hidden = [], []
    for root in (before, after):
        frames.append(pd.read_parquet(root / "tables" / f"{name}.parquet").reset_index(drop=True))
        log = json.loads((root / "disclosure_log.json").read_text("utf-8"))
        verdict = next(v for v in log["outputs"] if v["name"] == name)
        hidden.append({(r, c) for r, c, _label in verdict["shown"]})
    manifest = json.loads((after / "manifest.json").read_text("utf-8"))
    counts = set(next(o for o in manifest["outputs"] if o["name"] == name)["rules"]["counts"])
    keys = ["factor", "level"]
    a, b = (f.assign(_row=range(len(f))) for f in frames)
    merged = a.merge(b, on=keys, suffixes=("_a", "_b"))
    columns = [c for c in frames[1].columns if c in frames[0].columns and c not in keys
               and not c.endswith("_en")]
    marked = 0
    for _, row in merged.iterrows():
        for c in columns:
            ha, hb = (int(row["_row_a"]), c) in hidden[0], (int(row["_row_b"]), c) in hidden[1]
            va, vb = row[f"{c}_a"], row[f"{c}_b"]
            if ha != hb:
                marked += 1
            elif (c in counts and not ha and pd.notna(va) and pd.notna(vb)
                  and 0 < abs(float(va) - float(vb)) < 10):
                marked += 1
    return marked


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
    assert f"verschillen: {profile.changed}" in page.text
    # differences that describe a small group are marked, as pandas finds them
    assert profile.warnings == _reference_warnings(bundle, later, "profile_households") > 0
    assert f"{result.warnings} verschil(len) gaan over minder dan 10" in page.text
    assert sum(c.warning for c in profile.cells) == profile.warnings
    same = compare(before, before)
    assert {t.state for t in same.tables} == {"same"} and not same.pilot


def test_a_bundle_of_earlier_export_words_compares_as_the_same(bundle, tmp_path):
    """The last approved bundle, written before the match table's statuses were English words
    in the English exports (export words' version 1), against the same tables now: no table
    changed in either language (helper-43: every English match row was removed and added)."""
    import shutil

    from test_check_tamper import _fit_hashes

    from smartstart.bundle._exports import rewrite_derived

    old = Path(shutil.copytree(bundle, tmp_path / "old"))
    manifest = json.loads((old / "manifest.json").read_text("utf-8"))
    manifest["export_words"] = True
    (old / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    rewrite_derived(old)
    _fit_hashes(old)
    with open(old / "exports" / "en" / "csv" / "match.csv", encoding="utf-8-sig") as f:
        assert "doelgroep" in f.read()  # as version 1 wrote it; version 2: "target group"
    before, after = open_bundles([old, bundle])
    for lang in ("nl", "en"):
        result = compare(before, after, lang)
        assert {t.output: t.state for t in result.tables if t.state != "same"} == {}, lang


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
    assert 'href="#page-doelgroep"' in html and 'href="#doelgroep"' not in html
    assert "Content-Security-Policy" in html
    assert not (tmp_path / "smartstart-scan.sqlite").exists()  # no database made to read none
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing loaded from elsewhere


def test_a_bundle_check_would_refuse_is_refused_by_name(bundle, tmp_path):
    """A hidden cell filled in, every hash made to fit (what an insider who edits the manifest
    does): verify_files is content, but check is not, and serve refuses the bundle."""
    import shutil

    from test_check_tamper import _fit_hashes
    from typer.testing import CliRunner

    from smartstart.cli import app as cli

    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    log = json.loads((copy / "disclosure_log.json").read_text("utf-8"))
    name, (row, column, _label) = next((v["name"], v["shown"][0]) for v in log["outputs"]
                                       if v["shown"] and v["name"].startswith("risk"))
    frame = pd.read_parquet(copy / "tables" / f"{name}.parquet")
    frame.loc[frame.index[row], column] = 3
    frame.to_parquet(copy / "tables" / f"{name}.parquet")
    _fit_hashes(copy)
    assert verify_files(copy) == []
    result = CliRunner().invoke(cli, ["serve", str(copy), "--static", str(tmp_path / "d.html")])
    said = " ".join(result.output.split())
    assert result.exit_code != 0 and "not sound" in said and "rule threshold" in said, said
    assert not (tmp_path / "d.html").exists()
    with pytest.raises(ValueError, match="not sound"):
        make_app(tmp_path / "db", bundles=(copy,))
    (copy / "link.csv").symlink_to(bundle / "tables" / "match.csv")
    with pytest.raises(ValueError, match="symbolic link"):
        open_bundles([copy])


def test_a_file_changed_after_the_start_changes_nothing_served(bundle, tmp_path):
    import shutil

    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    client = facilitator(make_app(tmp_path / "db", bundles=(copy,)))
    key = _key(copy)
    first = client.get(f"/f/b/{key}/files/exports/csv/match.csv").content
    (copy / "exports" / "csv" / "match.csv").write_text("veranderd", "utf-8")
    (copy / "tables" / "match.parquet").unlink()
    assert client.get(f"/f/b/{key}/files/exports/csv/match.csv").content == first
    assert client.get(f"/f/b/{key}/t/match").status_code == 200


def test_the_dashboard_cannot_import_the_microdata_layers(bundle, tmp_path):
    """Opening bundles, every page and the static export load no module of sources/, linking/
    or features/ (a fresh interpreter, so nothing else has loaded them). The check of a
    bundle runs in a child process of its own (its imports are not this process's; tested
    above): here the bundle's verdict is given, as a dashboard that checked these bytes before
    holds it, so no child is started."""
    script = f"""
import sys
from pathlib import Path
from fastapi.testclient import TestClient
from smartstart.web import ScanConfig, create_app, _bundles
from smartstart.web._static import write_static
_bundles._VERDICTS[_bundles._content_digest(Path({str(bundle)!r}))] = ""
app = create_app(ScanConfig(url="sqlite:///{(tmp_path / 'db.sqlite').as_posix()}",
                            bundles=(Path({str(bundle)!r}),)))
write_static([Path({str(bundle)!r})], Path({str(tmp_path / 's.html')!r}))
loaded = sorted(m for m in sys.modules if m.split(".")[:2] in
                (["smartstart", "sources"], ["smartstart", "linking"], ["smartstart", "features"]))
print("LOADED", loaded)
print("CHILD", _bundles._CHECKER)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout, done.stdout
    assert "CHILD None" in done.stdout, done.stdout  # the given verdict was used
    web = Path(__file__).resolve().parents[1] / "src" / "smartstart" / "web"
    for path in web.glob("*.py"):
        source = path.read_text("utf-8")
        assert not re.search(r"smartstart\.(sources|linking|features)|from smartstart import "
                             r"(sources|linking|features)", source), path.name


def test_the_facilitators_home_leads_to_the_bundles(client):
    home = client.get("/f/")
    assert 'href="/f/b/"' in home.text and "Geopende bundels: 2." in home.text
    listing = client.get("/f/b/")
    assert listing.text.count('<th scope="row"><a href="/f/b/') == 2


def test_the_same_bytes_are_checked_once_and_a_changed_byte_again(bundle, tmp_path,
                                                                  monkeypatch):
    """Opening a bundle checks its private copy in a child process; the same bytes opened
    again reuse that verdict, a copy with one byte changed is checked again (and refused)."""
    import shutil

    from smartstart.web import _bundles

    calls = []
    real = _bundles.checked
    monkeypatch.setattr(_bundles, "checked", lambda roots: calls.append(len(roots))
                        or real(roots))
    copy = tmp_path / "bundle"
    shutil.copytree(bundle, copy)
    for n in range(2):
        (entry,) = open_bundles([copy], tmp_path / f"snap{n}")
        assert entry.root == tmp_path / f"snap{n}" / "0-bundle"
    # checked at the first open (or already by an app of this module over the same bytes)
    assert calls in ([1, 0], [0, 0])
    csv = copy / "exports" / "csv" / "match.csv"
    csv.write_bytes(csv.read_bytes().replace(b"\n", b"\r\n", 1))
    with pytest.raises(ValueError, match="not sound"):
        open_bundles([copy], tmp_path / "snap2")
    assert calls[2:] == [1]
    # every check ran in the one child process, kept for the next check
    pool = _bundles._CHECKER
    assert pool is not None and len(pool._processes) == 1
    child = next(iter(pool._processes))
    (entry,) = open_bundles([bundle], tmp_path / "snap3")  # checked before, or now
    assert _bundles._CHECKER is pool and next(iter(pool._processes)) == child
    # a bundle whose files change while it is checked is not sound, and nothing is kept
    verdicts = dict(_bundles._VERDICTS)

    def changing(roots):
        (roots[0] / "made-meanwhile").mkdir()
        return [""] * len(roots)

    monkeypatch.setattr(_bundles, "checked", changing)
    other = tmp_path / "other"
    shutil.copytree(bundle, other)
    (other / "extra.txt").write_text("x", "utf-8")
    assert "changed while it was checked" in _bundles.checked_once([other])[0]
    assert _bundles._VERDICTS == verdicts


def test_a_checker_that_died_is_not_used_again(monkeypatch, tmp_path):
    from concurrent.futures.process import BrokenProcessPool

    from smartstart.web import _bundles

    class Dead:
        def submit(self, *args):
            raise BrokenProcessPool("the child was killed")

    monkeypatch.setattr(_bundles, "_CHECKER", Dead())
    with pytest.raises(BrokenProcessPool):
        _bundles.checked([tmp_path])
    assert _bundles._CHECKER is None  # the next check starts a new child
