"""Exports for the people who work in Excel: every published table of a bundle in one workbook
and as a CSV for Excel, in Dutch (``exports/tabellen.xlsx``, ``exports/csv/NAME.csv``: ``;``
and a decimal comma) and in English (``exports/en/tables.xlsx``, ``exports/en/csv/NAME.csv``:
``,`` and a decimal point). The languages differ in headers, the front and names sheets and the
CSV dialect (``bundle._export_words``); the cells are the same but for the words of the codes
the analyses write in English (``VALUES``, in a bundle written since ``EXPORT_WORDS``).

All are written into the bundle when it is written, from the staged tables as published (the
parquet) and their verdicts, so they are declared in the manifest and ``smartstart check``
reads them back and compares every cell (``export_problems``). What a cell shows:

- a number, rounded as published: to the decimals the table's rules state for it
  (``precision``, per column or per row), otherwise to ``DECIMALS``; counts as whole numbers;
- a cell the gate blanked: the label it published (``<10``, ``x``), from the disclosure log;
- any other empty cell: ``NOT_APPLICABLE`` (not applicable, never 0).

The exact numbers stay in ``tables/NAME.parquet``; ``tables/NAME.csv`` holds the same rounded
numbers for scripts (comma, decimal point, no index column where the index is only a row
number).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from smartstart.bundle._export_words import (
    DECIMALS,
    EXPORTS,
    LANGS,
    NOT_APPLICABLE,
    VALUES,
    VALUES_SINCE,
    WORDS,
    WORDS_VERSION,
    ExportLang,
    header,
)

_SHEET_LEN = 31
#: the manifest's record of the words a bundle's exports give for the analyses' English codes
#: (``VALUES``, ``WORDS_VERSION``); a bundle written before it shows the codes, and check reads
#: every bundle with the words of its own version
EXPORT_WORDS = "export_words"


def words_version(manifest: Mapping) -> int:
    """The version of the words a bundle's exports give for the codes: 0 (none, written before
    ``EXPORT_WORDS``), 1 (``true``: the first words), or the number recorded."""
    recorded = manifest.get(EXPORT_WORDS)
    return int(recorded) if isinstance(recorded, (bool, int)) else 0


NOT_TABLES = ("text", "chart", "map")


def sheet_names(names: Sequence[str], lang: str = "nl") -> dict[str, str]:
    """Output -> its sheet: the name cut to Excel's 31 characters, made unique (also against
    the language's front and names sheets)."""
    taken = {EXPORTS[lang].front.lower(), EXPORTS[lang].names.lower()}
    out = {}
    for name in names:
        sheet, n = name[:_SHEET_LEN], 1
        while sheet.lower() in taken:
            n += 1
            sheet = f"{name[:_SHEET_LEN - len(str(n)) - 1]}~{n}"
        taken.add(sheet.lower())
        out[name] = sheet
    return out


def plain_index(frame: pd.DataFrame) -> bool:
    """Whether the index is only a row number (then no export shows it)."""
    return frame.index.name is None and pd.api.types.is_integer_dtype(frame.index) and \
        frame.index.nlevels == 1


def csv_index(frame: pd.DataFrame) -> bool:
    """Whether ``tables/NAME.csv`` holds the index: a meaningful one, or the row number of a
    table without columns (else the file would be empty)."""
    return not plain_index(frame) or frame.columns.empty


def with_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with a meaningful index as its first column(s), a row number dropped."""
    return frame.reset_index(drop=True) if plain_index(frame) else frame.reset_index()


def decimals(frame: pd.DataFrame, rules: Mapping[str, object]) -> pd.DataFrame:
    """The decimals of every numeric cell (NaN: not a rounded number) as published."""
    table = with_columns(frame)
    stated = {str(c): int(d) for c, d in rules.get("precision") or ()}  # type: ignore[union-attr]
    counts = set(rules.get("counts") or ())  # type: ignore[arg-type]
    out = pd.DataFrame(np.nan, index=table.index, columns=table.columns)
    by_row = rules.get("precision_rows")
    for column in table.columns:
        cells = table[column]
        if pd.api.types.is_bool_dtype(cells) or not pd.api.types.is_numeric_dtype(cells):
            continue
        whole = pd.api.types.is_integer_dtype(cells) or column in counts
        out[column] = 0 if whole else stated.get(str(column), DECIMALS)
    if by_row:
        metric, value = by_row  # type: ignore[misc]
        if metric in table.columns and value in table.columns:
            out[value] = [stated.get(str(m), DECIMALS) for m in table[metric]]
    return out


def rounded(value: float, digits: int) -> float | int:
    """``value`` as published: whole (0 digits) or to ``digits`` decimals; a value smaller
    than the last decimal but not 0 keeps three significant digits (a p-value is never 0)."""
    if digits == 0:
        return int(round(value))
    if value != 0 and abs(value) < 10 ** -digits:
        return float(f"{value:.2e}")
    return round(value, digits)


def in_language(columns: Sequence[object], rows: Sequence[Sequence[object]], lang: str,
                said: int = WORDS_VERSION) -> tuple[list[object], list[list[object]]]:
    """A table's columns in one language's exports: the other language's words left out where
    this language has its own (``label_nl`` beside ``label_en``; the Dutch ``step`` beside
    ``step_en``), every other column kept; a code the analyses write in English in the
    language's word (``VALUES``: ``share`` is "aandeel") as far as the words' version ``said``
    gives them (``words_version``: 0 in a bundle written before ``EXPORT_WORDS``)."""
    keep = language_columns([str(c) for c in columns], lang)
    i = LANGS.index(lang)
    words = [{code: word for code, word in VALUES.get(str(columns[k]), {}).items()
              if VALUES_SINCE.get((str(columns[k]), code), 1) <= said} for k in keep]
    return [columns[k] for k in keep], [
        [w[v][i] if isinstance(v, str) and v in w else v
         for v, w in zip((row[k] for k in keep), words, strict=True)] for row in rows]


def language_columns(names: Sequence[str], lang: str) -> list[int]:
    """The positions ``in_language`` keeps, in order. A column ``X_en`` is left out of the
    Dutch exports where ``X_nl`` or ``X`` holds the Dutch words; in the English ones it takes
    the place of ``X_nl`` (``label_nl``), or of ``X`` where no ``X_nl`` exists (``step``: the
    Dutch words; beside an ``X_nl``, ``X`` is a code and stays)."""
    names = list(names)
    keep = []
    for i, name in enumerate(names):
        base = name[:-3] if name.endswith(("_nl", "_en")) else name
        english = f"{base}_en" in names
        if name.endswith("_en") and (f"{base}_nl" in names or base in names):
            continue  # Dutch: left out; English: placed where its Dutch words stand
        if lang == "en" and english and (name.endswith("_nl") or (
                name == base and f"{base}_nl" not in names)):
            keep.append(names.index(f"{base}_en"))
        else:
            keep.append(i)
    return keep


def display(frame: pd.DataFrame, verdict: Mapping | None, rules: Mapping[str, object]
            ) -> tuple[list[str], list[list[object]]]:
    """The columns and rows of a table as every export shows them: numbers (int, float, bool)
    rounded as published, the published label in a blanked cell, ``NOT_APPLICABLE`` in any
    other empty cell, text as text."""
    table = with_columns(frame)
    digits = decimals(frame, rules)
    shift = 0 if plain_index(frame) else frame.index.nlevels
    hidden = {(int(r), str(c)): str(label)
              for r, c, label in (verdict or {}).get("shown") or ()}
    cells, places = _cells(table), digits.to_numpy(dtype=float)
    names = [str(c) for c in table.columns]
    rows = []
    for r in range(len(table)):
        row = []
        for j, column in enumerate(names):
            value = cells[j][r]
            if _missing(value):
                label = hidden.get((r, column)) if j >= shift else None
                row.append(label or NOT_APPLICABLE)
            elif isinstance(value, bool | np.bool_):
                row.append(bool(value))
            elif not math.isnan(places[r, j]):
                number = float(value)
                row.append(rounded(number, int(places[r, j])) if math.isfinite(number)
                           else ("∞" if number > 0 else "−∞"))  # Excel holds no infinity
            else:
                row.append(str(value))
        rows.append(row)
    return names, rows


def _cells(table: pd.DataFrame) -> list[np.ndarray]:
    """Each column's cells as objects (read cell by cell: far cheaper than ``iat``), copies
    (under copy-on-write pandas hands out read-only views)."""
    return [table.iloc[:, j].to_numpy(dtype=object, copy=True) for j in range(table.shape[1])]


def script_csv(frame: pd.DataFrame, rules: Mapping[str, object]) -> pd.DataFrame:
    """``tables/NAME.csv``'s frame: the numbers rounded as published, blanks empty; a
    meaningful index kept as the index, a row number dropped (write with ``index=not plain``)."""
    digits = decimals(frame, rules)
    table = with_columns(frame).astype(object)
    places = digits.to_numpy(dtype=float)
    for j, cells in enumerate(_cells(table)):
        for r, value in enumerate(cells):
            if not _missing(value) and not math.isnan(places[r, j]) and \
                    not isinstance(value, bool | np.bool_) and math.isfinite(float(value)):
                cells[r] = rounded(float(value), int(places[r, j]))
        table.isetitem(j, cells)
    if not plain_index(frame):
        table = table.set_index(list(table.columns[:frame.index.nlevels]))
    elif frame.columns.empty:
        table.index = frame.index
    return table


def dutch(value: object) -> str:
    """A cell in the Dutch Excel dialect: decimal comma, no thousands separator, ja/nee."""
    return EXPORTS["nl"].cell(value)


def excel_csv(headers: Sequence[str], rows: Sequence[Sequence[object]],
              lang: str = "nl") -> str:
    """The text of an Excel CSV in the language's dialect (Dutch: ``;`` and a decimal comma;
    English: ``,`` and a decimal point), CRLF; written with a BOM."""
    dialect = EXPORTS[lang]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=dialect.delimiter, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([[dialect.cell(v) for v in row] for row in rows])
    return buffer.getvalue()


def label_words(labels: pd.DataFrame | None) -> dict[str, tuple[str, str]]:
    """Variable -> (Dutch, English) label, from labels.csv's rows without a level."""
    if labels is None or labels.empty:
        return {}
    rows = labels[labels["level"].astype(str).isin(["", "nan"])]
    return {str(r.variable): (str(r.label_nl), str(r.label_en)) for r in rows.itertuples()}


def table_outputs(outputs: Sequence[Mapping]) -> list[Mapping]:
    return [o for o in outputs if o.get("kind") not in NOT_TABLES]


def write_exports(root: Path, outputs: Sequence[Mapping], log: Sequence[Mapping],
                  labels: pd.DataFrame | None, pilot: Mapping[str, object],
                  said: int = WORDS_VERSION) -> list[tuple[str, str, str | None]]:
    """Write the workbook and the Excel CSVs of every table output of the staged bundle at
    ``root`` (read from its parquet files) in every language of ``EXPORTS``: the bundle is
    checked once and leaves once, so a report in either language finds its own tables.
    Returns (path, kind, output) of every file. ``said``: the version of the words for the
    analyses' English codes (``in_language``; every bundle written now: ``WORDS_VERSION``)."""
    verdicts = {v.get("name"): v for v in log}
    tables = []
    for output in table_outputs(outputs):
        name = str(output["name"])
        frame = pd.read_parquet(root / "tables" / f"{name}.parquet")
        tables.append((output, display(frame, verdicts.get(name), output.get("rules") or {})))
    written: list[tuple[str, str, str | None]] = []
    for dialect in EXPORTS.values():
        written += _write_lang(root, dialect, tables, log, labels, pilot, said)
    return written


def _write_lang(root: Path, dialect: ExportLang, tables: Sequence[tuple[Mapping, tuple]],
                log: Sequence[Mapping], labels: pd.DataFrame | None, pilot: Mapping,
                said: int = WORDS_VERSION) -> list[tuple[str, str, str | None]]:
    """One language's workbook and CSVs of the tables as ``display`` shows them."""
    from openpyxl import Workbook

    lang = dialect.lang
    verdicts = {v.get("name"): v for v in log}
    words = label_words(labels)
    sheets = sheet_names([str(o["name"]) for o, _ in tables], lang)
    book = Workbook()
    front = book.active
    front.title = dialect.front
    written: list[tuple[str, str, str | None]] = []
    listing = []
    for output, shown in tables:
        name = str(output["name"])
        columns, rows = in_language(*shown, lang, said)
        heads = [header(c, words, lang) for c in columns]
        _table_sheet(book.create_sheet(sheets[name]), heads, rows)
        path = dialect.csv.format(name=name)
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(excel_csv(heads, rows, lang), encoding="utf-8-sig",
                                 newline="")
        written.append((path, dialect.csv_kind, name))
        shown = (verdicts.get(name) or {}).get("shown") or ()
        listing.append((sheets[name], str(output.get(f"title_{lang}") or name),
                        f"tables/{name}.parquet", len(rows), len(shown)))
    _front_sheet(front, listing, log, pilot, root.name.removesuffix(".partial"), lang)
    _names_sheet(book.create_sheet(dialect.names), labels, lang)
    (root / dialect.workbook).parent.mkdir(parents=True, exist_ok=True)
    book.save(root / dialect.workbook)
    return [(dialect.workbook, dialect.workbook_kind, None), *written]


def _table_sheet(sheet, heads: list[str], rows: list[list[object]]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.append(heads)
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    for j, head in enumerate(heads, start=1):
        width = max([len(head), *(len(dutch(r[j - 1])) for r in rows[:200])])
        sheet.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)


def _front_sheet(sheet, listing: list[tuple], log: Sequence[Mapping], pilot: Mapping,
                 bundle: str, lang: str) -> None:
    from openpyxl.styles import Font

    w = WORDS[lang]
    settings = (log[0].get("settings") if log else None) or {}
    min_cell = int(settings.get("min_cell", 10))
    study = pilot.get("study", pilot) if isinstance(pilot, Mapping) else {}
    name = study.get("name") if isinstance(study, Mapping) else None
    sheet.append([w["title"].format(bundle=bundle)])
    sheet["A1"].font = Font(bold=True, size=14)
    if name:
        sheet.append([w["pilot"], str(name)])
    sheet.append([])
    sheet.append([w["labels"]])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    from types import SimpleNamespace

    from smartstart.disclosure import label_of

    small = label_of("primary", SimpleNamespace(min_cell=min_cell))  # the gate's own label
    for line in (w["small"].format(small=small, min_cell=min_cell),
                 w["x"].format(min_cell=min_cell),
                 w["dash"], w["round"], w["names"], *([w["cells"]] if "cells" in w else [])):
        sheet.append([line])
    sheet.append([])
    sheet.append([w["rules"]])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    sheet.append([w["rule_text"].format(min_cell=min_cell)])
    sheet.append([])
    sheet.append([w["sheet"], w["table"], w["file"], w["rows"], w["hidden"]])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for sheet_name, title, source, rows, hidden in listing:
        sheet.append([sheet_name, title, source, rows, hidden])
        link = sheet.cell(sheet.max_row, 1)
        link.hyperlink = f"#'{sheet_name}'!A1"
        link.style = "Hyperlink"
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60
    sheet.column_dimensions["C"].width = 36


def _names_sheet(sheet, labels: pd.DataFrame | None, lang: str) -> None:
    w = WORDS[lang]
    sheet.append([w["variable"], w["code"], w["name"], w["name_other"]])
    for row in names_rows(labels, lang):
        sheet.append(row)
    sheet.freeze_panes = "A2"


def names_rows(labels: pd.DataFrame | None, lang: str = "nl") -> list[list[str]]:
    """The names sheet's rows: code, level, the name in the workbook's language, the other."""
    if labels is None or labels.empty:
        return []
    own, other = ("label_nl", "label_en") if lang == "nl" else ("label_en", "label_nl")
    return [[str(r.variable), str(r.level), str(getattr(r, own)), str(getattr(r, other))]
            for r in labels.fillna("").itertuples()]


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float | np.floating) and math.isnan(value))
    except TypeError:
        return False


def rewrite_derived(root: Path) -> None:
    """Write every table's CSV and the exports of the bundle at ``root`` again from its
    parquet tables (the manifest's hashes are not touched): what a tamper test does to make
    the derived files fit a changed table, so that check must find the change by its rules."""
    import json

    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    log = json.loads((root / "disclosure_log.json").read_text("utf-8")).get("outputs", [])
    for output in table_outputs(manifest.get("outputs", [])):
        name = str(output["name"])
        frame = pd.read_parquet(root / "tables" / f"{name}.parquet")
        script_csv(frame, output.get("rules") or {}).to_csv(
            root / "tables" / f"{name}.csv", index=csv_index(frame))
    labels = (pd.read_csv(root / "labels.csv", dtype=str, keep_default_na=False)
              if (root / "labels.csv").exists() else None)
    write_exports(root, manifest.get("outputs", []), log, labels, manifest.get("pilot") or {},
                  words_version(manifest))


@dataclass(frozen=True)
class ShownTable:
    """One published table as the exports show it in one language: the columns' names and
    headers, the rows' cells (rounded, the gate's labels, dashes), and which cells the gate
    blanked (row position, column name) with their label."""

    name: str
    columns: tuple[str, ...]
    heads: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    hidden: Mapping[tuple[int, str], str]
    #: the cells as the language's Excel CSV writes them (Dutch: decimal comma, ja/nee)
    texts: tuple[tuple[str, ...], ...] = ()


def shown_table(root: Path, manifest: Mapping, log: Mapping, labels: pd.DataFrame | None,
                name: str, lang: str = "nl", said: int | None = None) -> ShownTable:
    """The table ``name`` of the bundle at ``root`` exactly as its exports in ``lang`` show it
    (the workbook's sheet, the CSV's cells). ``said``: the codes in the words of this version
    rather than the bundle's own (``words_version``), so that two bundles of different versions
    are compared in the same words."""
    output = next(o for o in manifest.get("outputs", ()) if o.get("name") == name)
    verdict = next((v for v in log.get("outputs", ()) if v.get("name") == name), None)
    frame = pd.read_parquet(root / "tables" / f"{name}.parquet")
    columns, rows = in_language(*display(frame, verdict, output.get("rules") or {}), lang,
                                words_version(manifest) if said is None else said)
    words = label_words(labels)
    hidden = {(int(r), str(c)): str(label) for r, c, label in (verdict or {}).get("shown") or ()}
    cell = EXPORTS[lang].cell
    return ShownTable(name, tuple(map(str, columns)),
                      tuple(header(c, words, lang) for c in columns),
                      tuple(tuple(row) for row in rows), hidden,
                      tuple(tuple(cell(v) for v in row) for row in rows))
