"""``smartstart check``'s reading of the exports (``_exports`` writes them), in every language
the manifest declares (Dutch, English): the workbook holds exactly a front sheet, one sheet per
table output and the names sheet, every cell of a table's sheet and CSV is the published
table's cell as ``_exports.display`` shows it (headers and CSV dialect of that language), and
no text holds a number like a linking key."""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from smartstart.bundle._export_words import WORDS_VERSION
from smartstart.bundle._exports import (
    EXPORTS,
    ExportLang,
    display,
    header,
    in_language,
    label_words,
    names_rows,
    sheet_names,
    table_outputs,
)

KEY_LIKE = re.compile(r"(?<!\d)\d{9,16}(?!\d)")


def export_problems(root: Path, outputs: Sequence[Mapping], tables: Mapping[str, pd.DataFrame],
                    verdicts: Mapping[str, Mapping], declared: Mapping[object, Mapping[str, str]],
                    labels: pd.DataFrame | None, bad_files: set[str],
                    said: int = WORDS_VERSION) -> list:
    """Check's reading of the exports: in each language, the workbook holds exactly a front
    sheet, one sheet per table output and the names sheet, and every cell of a table's sheet
    and CSV is the published table's cell as ``display`` shows it (with the codes in words as
    far as the bundle's version of the words ``said`` gives them, ``words_version``); no text
    holds a linking key."""
    tabled = [o for o in table_outputs(outputs) if str(o.get("name")) in tables]
    shown = {str(o["name"]): display(tables[str(o["name"])], verdicts.get(str(o["name"])),
                                     o.get("rules") or {}) for o in tabled}
    words = label_words(labels)
    problems: list = []
    for dialect in EXPORTS.values():
        expected = {}
        for name, table in shown.items():
            columns, rows = in_language(*table, dialect.lang, said)
            expected[name] = ([header(c, words, dialect.lang) for c in columns], rows)
        problems += _lang_problems(root, dialect, expected, declared, labels, bad_files)
    return problems


def _lang_problems(root: Path, dialect: ExportLang,
                   expected: Mapping[str, tuple[list[str], list[list[object]]]],
                   declared: Mapping[object, Mapping[str, str]], labels: pd.DataFrame | None,
                   bad_files: set[str]) -> list:
    """One language's CSVs and workbook, as far as the manifest declares them."""
    from smartstart.bundle._read import BundleProblem

    problems = []
    for name, (heads, rows) in expected.items():
        path = (declared.get(name) or {}).get(dialect.csv_kind)
        if path and path not in bad_files and (root / path).is_file():
            if not _same_csv(root / path, dialect, heads, rows):
                problems.append(BundleProblem(path, f"does not show the published cells of "
                                              f"{name}", "export"))
    book = (declared.get(None) or {}).get(dialect.workbook_kind)
    if book and book not in bad_files and (root / book).is_file():
        problems += [BundleProblem(book, why, "export")
                     for why in _workbook_problems(root / book, dialect, expected, labels)]
    return problems


def _same_csv(path: Path, dialect: ExportLang, heads: list[str],
              rows: list[list[object]]) -> bool:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            found = list(csv.reader(handle, delimiter=dialect.delimiter))
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    return found == [heads, *[[dialect.cell(v) for v in row] for row in rows]]


#: what reading a workbook found, by its bytes and what it must show (``_read_key``): a check
#: of a bundle whose workbook this process has read before, unchanged and for the same tables,
#: does not read its cells again (tests check many copies of one bundle, a dashboard the same
#: bundle again). Any changed byte or cell is another key, so it is read.
_READ: dict[bytes, list[str]] = {}
WORKBOOKS_KEPT = 32


def _workbook_problems(path: Path, dialect: ExportLang,
                       expected: Mapping[str, tuple[list[str], list[list[object]]]],
                       labels: pd.DataFrame | None) -> list[str]:
    try:
        data = path.read_bytes()
    except OSError as error:
        return [f"unreadable: {error}"]
    key = _read_key(data, dialect, expected, labels)
    if key not in _READ:
        if len(_READ) >= WORKBOOKS_KEPT:
            _READ.clear()
        _READ[key] = _read_workbook(data, dialect, expected, labels)
    return list(_READ[key])


def _read_key(data: bytes, dialect: ExportLang,
              expected: Mapping[str, tuple[list[str], list[list[object]]]],
              labels: pd.DataFrame | None) -> bytes:
    import hashlib
    import pickle

    said = None if labels is None else (list(labels.columns), labels.to_numpy().tolist())
    digest = hashlib.sha256(data)
    digest.update(pickle.dumps((dialect, dict(expected), said), protocol=5))
    return digest.digest()


def _read_workbook(data: bytes, dialect: ExportLang,
                   expected: Mapping[str, tuple[list[str], list[list[object]]]],
                   labels: pd.DataFrame | None) -> list[str]:
    import io
    import zipfile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (OSError, zipfile.BadZipFile, InvalidFileException, KeyError, ValueError) as error:
        return [f"unreadable: {error}"]  # not a workbook openpyxl can open: a problem to show
    try:
        sheets = sheet_names(list(expected), dialect.lang)
        front, names_sheet = dialect.front, dialect.names
        wanted = [front, *sheets.values(), names_sheet]
        if book.sheetnames != wanted:
            return [f"sheets {book.sheetnames} are not the front sheet, one per table and the "
                    "names sheet"]
        problems = [f"sheet {sheets[name]!r} ({name}) does not show the published cells"
                    for name, (heads, rows) in expected.items()
                    if not _same_sheet(book[sheets[name]], heads, rows)]
        names = [[str(v) if v is not None else "" for v in row]
                 for row in book[names_sheet].iter_rows(min_row=2, values_only=True)]
        if names != names_rows(labels, dialect.lang):
            problems.append(f"sheet {names_sheet!r} is not labels.csv")
        for row in book[front].iter_rows(values_only=True):
            if any(isinstance(v, str) and KEY_LIKE.search(v) for v in row):
                problems.append(f"sheet {front!r} holds a number like a linking key")
                break
        return problems
    finally:
        book.close()


def _same_sheet(sheet, heads: list[str], rows: list[list[object]]) -> bool:
    found = [list(row) for row in sheet.iter_rows(values_only=True)]
    if len(found) != len(rows) + 1 or _trim(found[0]) != heads:
        return False
    return all(_same_row(_trim(got, len(heads)), want)
               for got, want in zip(found[1:], rows, strict=True))


def _trim(row: list[object], width: int | None = None) -> list[object]:
    """A sheet row without trailing empty cells (read-only mode pads to the sheet's width)."""
    if width is not None:
        return row[width:] == [None] * len(row[width:]) and row[:width] or [object()]
    while row and row[-1] is None:
        row = row[:-1]
    return row


def _same_row(got: list[object], want: list[object]) -> bool:
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        if isinstance(w, bool) or isinstance(g, bool):
            if g is not w:
                return False
        elif isinstance(w, int | float):
            if isinstance(g, str) or g is None or not math.isclose(float(g), float(w),  # type: ignore[arg-type]
                                                                 rel_tol=1e-12, abs_tol=0):
                return False
        elif g != w and not (g is None and w == ""):  # an empty text reads back as None
            return False
    return True
