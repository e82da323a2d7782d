"""The partner file as CBS returns it: `.sav` (a "koppelversie"), CSV or parquet, with dates
as text in the partner's format, `YYYYMMDD`, or typed (SPSS dates). A CSV may be `;`-, `,`- or
tab-separated (by its header) and Latin-1 or UTF-8, with or without the byte-order mark Excel's
"CSV UTF-8" writes; a file whose rows use another separator than its header is refused.

The result has one row per partner row: ``rinpersoons``, ``rinpersoon`` (None when CBS could
not link the row: an empty key or ``000000000``), ``client_start`` and ``client_end`` (open:
2050-12-31).
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pandas as pd
import pyreadstat

from smartstart.pilot import TargetGroup
from smartstart.sources.errors import SourceError

OPEN_END = pd.Timestamp("2050-12-31")
_SAV_MAGIC = (b"$FL2", b"$FL3")
_TOKENS = (("YYYY", "%Y"), ("MM", "%m"), ("DD", "%d"))


def read_partner(path: Path, tg: TargetGroup) -> pd.DataFrame:
    """The partner's file with parsed client periods; errors name the file and the column."""
    path = Path(path)
    if not path.exists():
        raise SourceError(f"{path}: partner file not found", hint="check paths.partner_files")
    raw = read_table(path)
    names = _columns(raw, path, tg)
    start = _dates(raw[names["start"]], tg.date_format, path, names["start"], required=True)
    end = (_dates(raw[names["end"]], tg.date_format, path, names["end"], required=False)
           if "end" in names else pd.Series(pd.NaT, index=raw.index))
    return pd.DataFrame({
        "rinpersoons": _text(raw[names["s"]]),
        "rinpersoon": _key(raw[names["k"]]),
        "client_start": start.dt.date,
        "client_end": end.fillna(OPEN_END).dt.date})


def read_table(path: Path) -> pd.DataFrame:
    """By content and suffix: SPSS (`$FL2`/`$FL3` header, whatever the suffix), parquet, CSV."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head in _SAV_MAGIC or path.suffix.lower() in (".sav", ".zsav"):
        try:
            frame, _ = pyreadstat.read_sav(str(path), apply_value_formats=False)
        except pyreadstat.ReadstatError as error:
            raise SourceError(f"{path}: not a readable SPSS file ({error})",
                              hint="ask for the linked file again, or export it as CSV") from None
        return frame
    if path.suffix.lower() == ".parquet":
        return pd.read_parquet(path)
    return _read_csv(path)


_SEPARATORS = {";": "';'", ",": "','", "\t": "a tab"}


def _read_csv(path: Path) -> pd.DataFrame:
    """A partner CSV by its header: the separator it uses and its encoding (see the module)."""
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    else:
        try:
            data.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "latin-1"
    text = data.decode(encoding)
    lines = text.splitlines()
    header = lines[0] if lines else ""
    sep = next((s for s in _SEPARATORS if s in header), ";")
    others = [s for s in _SEPARATORS if s != sep]
    if sep in header:
        mixed = [i for i, line in enumerate(lines[1:], start=2)
                 if line.strip() and sep not in line and any(o in line for o in others)]
        if mixed:
            used = next(o for o in others if o in lines[mixed[0] - 1])
            raise SourceError(
                f"{path}: the header is separated by {_SEPARATORS[sep]}, but {len(mixed)} "
                f"row(s) by {_SEPARATORS[used]} (first: row {mixed[0]})",
                hint="save the file again with one separator throughout (in Excel: 'CSV "
                     "(puntkommagescheiden)')")
    return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)


def _columns(raw: pd.DataFrame, path: Path, tg: TargetGroup) -> dict[str, str]:
    """The file's column for each configured one (exact, else the one equal ignoring case)."""
    wanted = {"s": tg.rinpersoons_column, "k": tg.rinpersoon_column, "start": tg.start_column}
    if tg.end_column:
        wanted["end"] = tg.end_column
    folded = {}
    for column in raw.columns:
        folded.setdefault(str(column).casefold(), []).append(str(column))
    found, missing = {}, []
    for role, name in wanted.items():
        hits = [name] if name in raw.columns else folded.get(name.casefold(), [])
        if len(hits) == 1:
            found[role] = hits[0]
        else:
            missing.append(name)
    if missing:
        raise SourceError(f"{path}: column(s) {', '.join(missing)} not found "
                          f"(the file has {', '.join(map(str, raw.columns))})",
                          hint="set the column names under study.target_group (with several "
                               "partner files: under that file's entry of its partners)")
    return found


def strftime_format(date_format: str) -> str:
    """``YYYYMMDD``, ``DD-MM-YYYY`` and the like as a strftime format; a format with ``%``
    stays as it is."""
    if "%" in date_format:
        return date_format
    text = date_format.upper()
    for token, code in _TOKENS:
        text = text.replace(token, code)
    return text


def _dates(column: pd.Series, date_format: str, path: Path, name: str, *,
           required: bool) -> pd.Series:
    """Typed dates as they are; numbers such as 20190301 and text by the format."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return pd.to_datetime(column).dt.normalize()
    values = column.dropna()
    if len(values) and values.map(lambda v: hasattr(v, "year")).all():  # date objects (SPSS)
        return pd.to_datetime(column, errors="coerce")
    if pd.api.types.is_numeric_dtype(column.dtype):
        text = column.astype("Int64").astype("string").fillna("")
        fmt = "%Y%m%d"
    else:
        text = column.astype("string").fillna("").str.strip()
        fmt = strftime_format(date_format)
    parsed = pd.to_datetime(text.where(text != ""), format=fmt, errors="coerce")
    bad = parsed.isna() & ((text != "") | required)
    if bad.any():
        example = text[bad].iloc[0]
        raise SourceError(f"{path}: {int(bad.sum())} value(s) of {name} are not dates "
                          f"in format {date_format} (e.g. {example!r})",
                          hint="set study.target_group.date_format (a strftime format such as "
                               "%d-%m-%Y, or YYYYMMDD; with several partner files, that "
                               "file's date_format under partners)")
    return parsed


def _text(column: pd.Series) -> pd.Series:
    return column.astype("string").fillna("").str.strip()


def _key(column: pd.Series) -> pd.Series:
    """RINPERSOON as 9-character text; an empty or all-zero key is an unlinked row (None). A key
    that lost its leading zeros (a number, or text after a spreadsheet: ``12345678``,
    ``12345678.0``) gets them back, as ingest does for the delivery's files."""
    if pd.api.types.is_numeric_dtype(column.dtype):
        text = column.astype("Int64").astype("string").str.zfill(9).fillna("")
    else:
        text = _text(column)
        number = text.str.fullmatch(r"\d{1,9}(\.0+)?").fillna(False)
        text = text.where(~number, text.str.replace(r"\.0+$", "", regex=True).str.zfill(9))
    unlinked = (text == "") | text.str.fullmatch(r"0+").fillna(False)
    return text.astype(object).where(~unlinked, None)


__all__ = ["read_partner", "read_table", "strftime_format"]
