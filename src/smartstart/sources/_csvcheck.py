"""Checks that a CSV is what CBS delivers (';'-separated, Latin-1) before any row is read.

Latin-1 decoding never fails by itself, so a UTF-8 file would silently turn 'ë' into 'Ã«'. The
check therefore looks for the UTF-8 byte-order mark and for multi-byte UTF-8 sequences.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from smartstart.sources.errors import unreadable

CSV_DELIMITER = ";"
CSV_ENCODING = "latin-1"
_BOM = codecs.BOM_UTF8
_HEADER_LIMIT = 1 << 20
_SCAN_BLOCK = 4 << 20
_OTHER_DELIMITERS = {",": "','", "\t": "a tab", "|": "'|'"}
_RESAVE = ("re-save it as CSV with encoding Latin-1 / Windows-1252 and ';' as separator (in "
           "Python: df.to_csv(path, sep=';', encoding='latin-1', index=False); in Excel: "
           "'CSV (puntkommagescheiden)')")


def read_csv_header(path: Path) -> tuple[str, ...]:
    """The column names of a CBS-style CSV; a SourceError when separator or encoding is wrong."""
    first = _first_line(path)
    if first.startswith(_BOM):
        raise unreadable(f"{path}: starts with a UTF-8 byte-order mark; expected Latin-1",
                          hint=_RESAVE)
    text = first.decode(CSV_ENCODING).rstrip("\r\n")
    names = next(csv.reader([text], delimiter=CSV_DELIMITER), [])
    if len(names) <= 1:
        _check_separator(path, text)
    if _is_utf8(path):
        raise unreadable(f"{path}: is UTF-8 encoded (it contains multi-byte characters such as "
                          "'ë' written as two bytes); expected Latin-1", hint=_RESAVE)
    return tuple(names)


def _first_line(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            first = handle.readline(_HEADER_LIMIT)
    except OSError as error:
        raise unreadable(f"{path}: cannot be opened ({error})",
                          hint="check that the file exists and is not opened by another program",
                          ) from error
    if not first.strip():
        raise unreadable(f"{path}: is empty or has no header row",
                          hint="copy it again from the project drive")
    return first


def _check_separator(path: Path, header: str) -> None:
    for delimiter, name in _OTHER_DELIMITERS.items():
        if delimiter in header:
            raise unreadable(
                f"{path}: the header is separated by {name}; expected ';'",
                hint=f"CBS CSV copies are ';'-separated: {_RESAVE}",
            )


def _is_utf8(path: Path) -> bool:
    """True when the file has non-ASCII bytes and all of them form valid UTF-8 sequences."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    multibyte = False
    with open(path, "rb") as handle:
        while block := handle.read(_SCAN_BLOCK):
            if block.isascii() and not decoder.getstate()[0]:
                continue
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                return False
            multibyte = True
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return multibyte
