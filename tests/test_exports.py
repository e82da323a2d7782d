"""The exports (issue 17): every published table in one Excel workbook and as an Excel CSV, in
Dutch and in English, written into the bundle and read back by `smartstart check`. The tests
re-read the files with openpyxl and the csv module and compare them with the parquet tables
and the disclosure log directly, not through the code that wrote them."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bundle_checked import checked
from openpyxl import load_workbook
from shared_cases import LANGUAGES
from test_run_bundle import demo  # noqa: F401 - the demo bundle, built once for the module

from smartstart.bundle import BundleWriter, CheckedTable
from smartstart.bundle._write import CHECKSUMS, sha256

BOOK = "exports/tabellen.xlsx"
BOOK_EN = "exports/en/tables.xlsx"


@dataclass(frozen=True)
class Lang:
    """What a language's exports look like from outside: the workbook, its two sheets that
    are not tables, the CSV folder, delimiter, decimal mark and words for true and false."""

    book: str
    front: str
    names: str
    csv: str
    delimiter: str
    decimal: str
    yes: str
    no: str


LANGS = {"nl": Lang(BOOK, "Toelichting", "Namen", "exports/csv", ";", ",", "ja", "nee"),
         "en": Lang(BOOK_EN, "About", "Names", "exports/en/csv", ",", ".", "yes", "no")}


@dataclass(frozen=True)
class Verdict:
    shown: list = field(default_factory=list)

    status: str = "pass"

    def to_dict(self) -> dict:
        return {"status": "pass", "settings": {"min_cell": 10}, "shown": self.shown}


def _tables(root: Path) -> list[dict]:
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    return [o for o in manifest["outputs"] if o["kind"] not in ("text", "chart", "map")]


def _shown(root: Path) -> dict[str, dict[tuple[int, str], str]]:
    log = json.loads((root / "disclosure_log.json").read_text("utf-8"))
    return {o["name"]: {(r, c): label for r, c, label in o.get("shown") or []}
            for o in log["outputs"]}


def _fit_hashes(root: Path) -> None:
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    for entry in manifest["files"]:
        entry["sha256"] = sha256(root / entry["path"])
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    lines = [f"{sha256(p)}  {p.relative_to(root).as_posix()}"
             for p in sorted(root.rglob("*")) if p.is_file() and p.name != CHECKSUMS]
    (root / CHECKSUMS).write_text("\n".join(lines) + "\n", "utf-8")


def _agrees(shown: object, exact: object, label: str | None) -> bool:
    """One exported cell against the parquet's cell: a blanked cell shows the gate's label,
    another empty one a dash, a number its value to at most 3 decimals (a tiny one to 3
    significant digits), text itself."""
    if exact is None or exact is pd.NA or (isinstance(exact, float) and math.isnan(exact)):
        return shown == (label or "–")
    if isinstance(exact, bool | np.bool_):
        return shown is bool(exact)
    if isinstance(exact, int | float | np.integer | np.floating):
        if not math.isfinite(float(exact)):
            return shown in ("∞", "−∞")
        error = abs(float(shown) - float(exact))  # type: ignore[arg-type]
        return error <= 0.0005 + 1e-12 or error <= 0.005 * abs(float(exact))
    return shown == exact or (shown is None and exact == "")


def _in_language(columns, lang: str) -> list[str]:
    """The columns one language's sheet shows: X_en never in Dutch beside X_nl or X; in
    English X_en where X_nl stood (label_nl), or where X stood when there is no X_nl (step,
    the Dutch words; beside X_nl, X is a code and stays)."""
    names = [str(c) for c in columns]
    out = []
    for c in names:
        base, suffix = (c[:-3], c[-2:]) if c.endswith(("_nl", "_en")) else (c, "")
        if suffix == "en" and (f"{base}_nl" in names or base in names):
            continue
        swap = lang == "en" and f"{base}_en" in names and (
            suffix == "nl" or f"{base}_nl" not in names)
        out.append(f"{base}_en" if swap else c)
    return out


#: columns whose cells are codes the analyses write in English, and some of their words
CODED = ("type", "kind", "statistic", "direction", "status", "metric", "check", "method")
CODE = re.compile(r"[a-z][a-z_ ]*")  # the match statuses are Dutch words: "niet gevonden"
SAID = {"nl": {("direction", "higher"): "hoger", ("direction", "lower"): "lager",
               ("direction", "similar"): "ongeveer gelijk", ("statistic", "share"): "aandeel",
               ("statistic", "mean"): "gemiddelde", ("type", "numeric"): "getal",
               ("type", "category"): "categorie", ("kind", "level"): "categorie",
               ("status", "chosen"): "gekozen", ("method", "latent_class"): "latente klassen"},
        "en": {("direction", "higher"): "higher", ("direction", "similar"): "similar",
               ("statistic", "share"): "share", ("type", "numeric"): "number",
               ("method", "latent_class"): "latent classes",
               ("status", "doelgroep"): "target group", ("status", "totaal"): "total",
               ("status", "buiten de gemeente"): "outside the municipality"}}

MATCH_STATUSES = ("doelgroep", "niet gekoppeld", "niet gevonden", "buiten de gemeente",
                  "buiten het venster", "geen huishouden", "totaal")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_workbook_holds_every_published_table_cell_by_cell(demo, lang):  # noqa: F811
    root = demo / "bundle"
    spec = LANGS[lang]
    book = load_workbook(root / spec.book)
    tables = _tables(root)
    assert book.sheetnames[0] == spec.front and book.sheetnames[-1] == spec.names
    assert sorted(book.sheetnames[1:-1]) == sorted(o["name"][:31] for o in tables)
    labels = _shown(root)
    hidden = 0
    words: dict[tuple[str, str], set] = {}
    for output in tables:
        frame = pd.read_parquet(root / "tables" / f"{output['name']}.parquet")
        frame = frame.reset_index(drop=frame.index.name is None)
        rows = list(book[output["name"][:31]].iter_rows(values_only=True))
        assert len(rows) == len(frame) + 1, output["name"]
        assert all(isinstance(h, str) and h for h in rows[0])
        columns = _in_language(frame.columns, lang)
        assert len(rows[0]) == len(columns), output["name"]
        for r in range(len(frame)):
            for j, column in enumerate(columns):
                label = labels[output["name"]].get((r, str(column)))
                hidden += label is not None
                exact = frame[column].iat[r]
                if str(column) in CODED and isinstance(exact, str) and CODE.fullmatch(exact):
                    words.setdefault((str(column), exact), set()).add(rows[r + 1][j])
                    continue
                assert _agrees(rows[r + 1][j], exact, label), (output["name"], r, column)
    assert hidden > 0  # the demo has suppressed cells: their labels were compared
    # a code the analyses write in English is one word of the language in every sheet
    assert all(len(shown) == 1 and next(iter(shown)) for shown in words.values()), words
    said = {key: next(iter(shown)) for key, shown in words.items()}
    for key, word in SAID[lang].items():
        assert said[key] == word, (key, said[key])
    if lang == "nl":
        # the same word only where the code is Dutch already (the partners' statuses) or AUC
        assert not [k for k, w in said.items()
                    if w == k[1] and k[1] != "auc" and k[0] != "status"], said
        assert not [k for k, w in said.items() if k[0] == "status" and w == k[1]
                    and k[1] not in MATCH_STATUSES], said
    else:  # the match statuses linking writes in Dutch are English words here
        assert all(said[("status", s)] != s for s in MATCH_STATUSES if ("status", s) in said)
    front = [c for row in book[spec.front].iter_rows(values_only=True) for c in row if c]
    assert any("<10" in str(c) for c in front) and any(str(c).startswith("x:") for c in front)
    titles = {o["name"][:31]: o[f"title_{lang}"] for o in tables}
    listed = [row[:2] for row in book[spec.front].iter_rows(values_only=True)
              if row[0] in titles]
    assert len(listed) == len(tables) and all(title == titles[s] for s, title in listed)
    labels_csv = pd.read_csv(root / "labels.csv", dtype=str, keep_default_na=False)
    names = [list(r) for r in book[spec.names].iter_rows(min_row=2, values_only=True)]
    own, other = (("label_nl", "label_en") if lang == "nl" else ("label_en", "label_nl"))
    assert [[n or "" for n in row[2:4]] for row in names] == \
        labels_csv[[own, other]].values.tolist()


@pytest.mark.parametrize(("lang", "first", "lift"), [
    ("nl", ["Rang", "Kenmerken", "Combinatie"], "Keer zoveel kans"),
    ("en", ["Rank", "Characteristics", "Combination"], "Times the risk")])
def test_the_headers_are_in_the_language_and_every_csv_is_its_sheet(demo, lang, first,  # noqa: F811
                                                                     lift):
    root = demo / "bundle"
    spec = LANGS[lang]
    book = load_workbook(root / spec.book)
    heads = [c.value for c in book["combinations"][1]]
    assert heads[:3] == first and lift in heads
    other = "." if spec.decimal == "," else ","
    numbers = 0
    for output in _tables(root):
        path = root / spec.csv / f"{output['name']}.csv"
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        assert b"\r\n" in path.read_bytes()
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle, delimiter=spec.delimiter))
        sheet = list(book[output["name"][:31]].iter_rows(values_only=True))
        assert rows[0] == list(sheet[0])
        for text, cells in zip(rows[1:], sheet[1:], strict=True):
            assert len(text) == len(rows[0])
            for word, cell in zip(text, cells, strict=False):
                if isinstance(cell, bool):
                    assert word == (spec.yes if cell else spec.no)
                elif isinstance(cell, int | float):
                    numbers += 1
                    assert other not in word
                    assert float(word.replace(spec.decimal, ".")) == cell
                else:
                    assert word == (cell or "")
    assert numbers > 1000


def test_the_english_headers_differ_from_the_dutch_only_where_the_word_is_the_same(demo):  # noqa: F811
    """Every sheet has the same columns in both workbooks, but for the words of the other
    language (label_nl in the Dutch book where the English has label_en); a header the same
    in both is a word both languages use (AUC, Status) or a column the data named (a type's
    name in the overview of that language), never a Dutch word left in the English book."""
    root = demo / "bundle"
    nl, en = (load_workbook(root / LANGS[lang].book) for lang in ("nl", "en"))
    same = set()

    def key(column: str) -> str:
        return column[:-3] if column.endswith(("_nl", "_en")) else column

    for output in _tables(root):
        sheet = output["name"][:31]
        frame = pd.read_parquet(root / "tables" / f"{output['name']}.parquet")
        columns = [str(c) for c in frame.reset_index(drop=frame.index.name is None).columns]
        named = {c for c in columns if " " in c}
        assert [key(c) for c in _in_language(columns, "nl")] == [
            key(c) for c in _in_language(columns, "en")], sheet
        assert not any(c.endswith("_nl") and f"{c[:-3]}_en" in columns
                       for c in _in_language(columns, "en")), sheet
        dutch, english = ([c.value for c in book[sheet][1]] for book in (nl, en))
        assert len(dutch) == len(english)
        same |= {d for d, e in zip(dutch, english, strict=True) if d == e and d not in named}
    assert same == {"Partner", "Status", "Type", "Odds ratio", "AUC", "BIC", "AIC", "z",
                    "Significant", "Log-likelihood", "Term"}, same


def test_the_script_csvs_have_no_index_column_and_no_long_floats(demo):  # noqa: F811
    root = demo / "bundle"
    for output in _tables(root):
        with open(root / "tables" / f"{output['name']}.csv", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        assert rows[0][0] != "" and not rows[0][0].startswith("Unnamed"), output["name"]
        for row in rows[1:]:
            for word in row:
                whole, dot, decimals = word.partition(".")
                if dot and whole.lstrip("-").isdigit() and decimals.isdigit():
                    # 3 decimals, or 3 significant digits below 0.001 (a p-value is never 0)
                    short = len(decimals) <= 3 or (whole.lstrip("-") == "0"
                                                   and len(decimals.lstrip("0")) <= 3)
                    assert short, (output["name"], word)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("where", ["workbook", "csv", "sheet", "header"])
def test_a_tampered_export_fails_check(demo, tmp_path, where, lang):  # noqa: F811
    root = Path(shutil.copytree(demo / "bundle", tmp_path / "bundle"))
    spec = LANGS[lang]
    if where == "csv":
        path = root / spec.csv / "duration.csv"
        text = path.read_text("utf-8-sig").splitlines()
        cells = text[1].split(spec.delimiter)
        cells[-1] = f"0{spec.decimal}999"
        text[1] = spec.delimiter.join(cells)
        path.write_text("\r\n".join(text) + "\r\n", encoding="utf-8-sig")
        expected = f"{spec.csv}/duration.csv"
    else:
        book = load_workbook(root / spec.book)
        if where == "workbook":
            sheet = book["combinations"]
            sheet.cell(2, 7).value = (sheet.cell(2, 7).value or 0) + 0.01
        elif where == "header":  # the other language's header: a sheet must be in its own
            sheet = book["combinations"]
            sheet.cell(1, 1).value = "Rank" if lang == "nl" else "Rang"
        else:
            book.create_sheet("extra").append(["a", 1])
        book.save(root / spec.book)
        expected = spec.book
    _fit_hashes(root)
    result = checked(root)  # `smartstart check`, and what check_bundle found in it
    assert result.kinds == {(expected, "export")}
    assert result.code == 1


def test_a_workbook_read_before_is_read_again_when_a_byte_or_a_published_cell_differs(
        demo, tmp_path, monkeypatch):  # noqa: F811
    """Check keeps what reading a workbook found, by its bytes and the cells it must show: the
    same workbook for the same tables is not read again, but one changed cell of what it must
    show, or one changed byte of the file, is."""
    import copy

    from smartstart.bundle import _check_exports, check_bundle

    root = Path(shutil.copytree(demo / "bundle", tmp_path / "bundle"))
    calls, reads = [], []
    wrapped, read = _check_exports._workbook_problems, _check_exports._read_workbook
    monkeypatch.setattr(_check_exports, "_workbook_problems",
                        lambda *a: calls.append(a) or wrapped(*a))
    monkeypatch.setattr(_check_exports, "_read_workbook", lambda *a: reads.append(1) or read(*a))
    assert check_bundle(root)[0] == []
    path, dialect, expected, labels = next(c for c in calls if c[1].lang == "nl")
    before = len(reads)
    assert wrapped(path, dialect, expected, labels) == [] and len(reads) == before
    other = copy.deepcopy(dict(expected))
    heads, rows = other["combinations"]
    rows[0][-1] = (rows[0][-1] or 0) + 1 if not isinstance(rows[0][-1], str) else "x"
    assert wrapped(path, dialect, other, labels) and len(reads) == before + 1
    book = load_workbook(path)
    book["combinations"].cell(2, 7).value = (book["combinations"].cell(2, 7).value or 0) + 0.01
    book.save(path)
    assert wrapped(path, dialect, expected, labels) and len(reads) == before + 2


def test_a_small_bundle_exports_labels_dashes_and_rounded_numbers(tmp_path):
    table = pd.DataFrame({"level": ["a", "b", "c"], "count": [120.0, np.nan, 45.0],
                          "share": [0.123456, np.nan, 0.0000123], "odds_ratio": [1.2345, 2.0, 3],
                          "significant": [True, False, True], "note": ["", "x", "y"],
                          "ratio": [np.inf, 1.5, np.nan]})
    rules = {"counts": ["count"], "precision": [["odds_ratio", 2]]}
    shown = [[1, "count", "<10"], [1, "share", "x"]]
    with BundleWriter(tmp_path / "b", pilot={"name": "t"}) as writer:
        writer.add_table(CheckedTable("huur", table, Verdict(shown), ("huur",), "Huur", "Rent",
                                      rules=rules))
    book = load_workbook(tmp_path / "b" / BOOK)
    rows = [list(r) for r in book["huur"].iter_rows(values_only=True)]
    assert rows[0] == ["Categorie", "Aantal", "Aandeel", "Odds ratio", "Significant",
                       "Toelichting", "Verhouding"]
    assert rows[1] == ["a", 120, 0.123, 1.23, True, None, "∞"]
    assert rows[2] == ["b", "<10", "x", 2, False, "x", 1.5]
    assert rows[3] == ["c", 45, 0.0000123, 3, True, "y", "–"]
    text = (tmp_path / "b" / "exports" / "csv" / "huur.csv").read_text("utf-8-sig")
    assert text.splitlines()[1:] == ["a;120;0,123;1,23;ja;;∞", "b;<10;x;2;nee;x;1,5",
                                     "c;45;1,23E-05;3;ja;y;–"]
    english = load_workbook(tmp_path / "b" / BOOK_EN)
    assert english.sheetnames == ["About", "huur", "Names"]
    rows_en = [list(r) for r in english["huur"].iter_rows(values_only=True)]
    assert rows_en[0] == ["Level", "Number", "Share", "Odds ratio", "Significant", "Note",
                          "Ratio"]
    assert rows_en[1:] == rows[1:]
    text = (tmp_path / "b" / "exports" / "en" / "csv" / "huur.csv").read_text("utf-8-sig")
    assert text.splitlines() == ["Level,Number,Share,Odds ratio,Significant,Note,Ratio",
                                 "a,120,0.123,1.23,yes,,∞", "b,<10,x,2,no,x,1.5",
                                 "c,45,1.23E-05,3,yes,y,–"]
    front = [r for r in english["About"].iter_rows(values_only=True)]
    assert ("huur", "Rent", "tables/huur.parquet", 3, 2) in front
    with open(tmp_path / "b" / "tables" / "huur.csv", encoding="utf-8") as handle:
        script = list(csv.reader(handle))
    assert script[0][0] == "level" and script[1][:4] == ["a", "120", "0.123", "1.23"]
    assert script[2][1:3] == ["", ""]
    # the parquet stays exact
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "b" / "tables" / "huur.parquet"),
                                  table)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_report_links_to_the_workbook_and_the_csvs(demo, tmp_path, lang):  # noqa: F811
    from smartstart.report import write_report

    report = write_report(demo / "bundle", tmp_path / "deep" / "rapport.html", lang=lang)
    links = re.findall(r'<ul class="downloads">(.*?)</ul>', report.read_text("utf-8"), re.S)
    hrefs = re.findall(r'href="([^"]+)"', links[0])
    spec = LANGS[lang]
    assert [Path(h).name for h in hrefs] == [Path(spec.book).name, "csv"]
    assert all((report.parent / h).resolve().exists() for h in hrefs)
    assert (report.parent / hrefs[0]).resolve() == (demo / "bundle" / spec.book).resolve()
    assert (report.parent / hrefs[1]).resolve() == (demo / "bundle" / spec.csv).resolve()


def test_an_english_report_of_a_bundle_without_english_exports_links_the_dutch_ones(
        demo, tmp_path):  # noqa: F811
    from smartstart.report import write_report

    root = Path(shutil.copytree(demo / "bundle", tmp_path / "bundle"))
    shutil.rmtree(root / "exports" / "en")  # as a bundle written before the English exports
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    manifest["files"] = [f for f in manifest["files"] if not f["path"].startswith("exports/en/")]
    (root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    _fit_hashes(root)
    assert checked(root).code == 0  # what it holds is still sound
    report = write_report(root, tmp_path / "report.html", lang="en")
    links = re.findall(r'<ul class="downloads">(.*?)</ul>', report.read_text("utf-8"), re.S)
    assert re.findall(r'href="([^"]+)"', links[0]) == ["bundle/exports/tabellen.xlsx",
                                                        "bundle/exports/csv"]


def test_the_exports_say_the_statuses_and_estimators_as_the_report_does():
    """The words the exports give the match table's statuses and the effect evaluation's
    estimators are the report's own (text.yaml), in both languages: one name for one thing."""
    from smartstart.bundle._export_words import VALUES, VALUES_SINCE
    from smartstart.report._text import t, term

    assert {c for (_, c) in VALUES_SINCE} <= set(VALUES["status"]) | set(VALUES["method"])
    for lang in ("nl", "en"):
        i = ("nl", "en").index(lang)
        for status in MATCH_STATUSES:
            assert VALUES["status"][status][i] == term("status", status, lang), status
        for method in ("imputation", "twfe", "sdid", "placebo_time"):
            assert VALUES["method"][method][i] == t(f"effect_method_{method}", lang), method
