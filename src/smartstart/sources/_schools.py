"""The school-location file the user supplies (``paths.schools``): one row per school branch
with the encrypted school key of the pupils' registrations and its buurt, given as a code or as
RD New coordinates placed in the buurten of the boundaries file.

The layout (column spellings, RD bounds) is data: ``school_locations.yaml``, which also states
what is assumed about how the key gets into the file. Read as SPSS ``.sav`` (CBS's linked
version), parquet or CSV (``;`` or ``,``, UTF-8 or Latin-1). Every problem of the file is
reported at once, each naming the file, the column, what was expected and what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from smartstart._yaml import safe_load
from smartstart.sources.errors import Problem, SourceError

_SAV_MAGIC = (b"$FL2", b"$FL3")
#: points -> buurt codes (``sources._boundaries.assign_buurten`` on the pilot's boundaries)
Placer = Callable[[np.ndarray, np.ndarray], np.ndarray]


@cache
def layout() -> dict:
    """``school_locations.yaml``: the column spellings per role and the RD bounds."""
    text = resources.files("smartstart.sources").joinpath("school_locations.yaml")
    return safe_load(text.read_text("utf-8"))


@dataclass(frozen=True)
class SchoolLocations:
    """One row per branch: ``key`` (the encrypted school key) and ``buurt`` (8-digit code,
    None when the row has no usable place); ``rows``: the file's rows; ``without_key``: rows
    with an empty key (CBS could not encrypt them), left out."""

    file: Path
    branches: pd.DataFrame
    rows: int
    without_key: int

    @property
    def located(self) -> pd.DataFrame:
        return self.branches.dropna(subset=["buurt"])


def read_school_locations(path: Path, place: Placer | None = None) -> SchoolLocations:
    """Read and check the file; ``place`` turns RD points into buurt codes (needed when the
    file gives coordinates). Raises ``SourceError`` with every problem at once."""
    path = Path(path)
    if not path.is_file():
        raise SourceError(f"{path}: the school-location file does not exist",
                          hint="set paths.schools to your list of school branches with the "
                               "encrypted school key and a buurt code or RD x/y (see the "
                               "README), or leave it out (then no schools per buurt)")
    raw = _read(path)
    problems: list[Problem] = []
    spec = layout()
    key_col = _column(raw, spec["key"]["columns"])
    buurt_col = _column(raw, spec["buurt"]["columns"])
    x_col, y_col = _column(raw, spec["x"]["columns"]), _column(raw, spec["y"]["columns"])
    have = ", ".join(map(str, raw.columns)) or "none"
    if key_col is None:
        problems.append(Problem("missing_column", str(path), "school key",
                                f"no column {' or '.join(spec['key']['columns'])} (the file "
                                f"has {have})", spec["key"]["hint"]))
    if buurt_col is None and (x_col is None or y_col is None):
        problems.append(Problem(
            "missing_column", str(path), "buurt or x/y",
            f"neither a buurt code column ({', '.join(spec['buurt']['columns'])}) nor both "
            f"RD coordinates ({spec['x']['columns'][0]}, {spec['y']['columns'][0]}) (the file "
            f"has {have})", "add each branch's buurt code (from its postcode, with CBS's "
                            "postcode-huisnummer-buurt table) or its RD New x and y"))
    if problems:
        raise SourceError(f"{path}: {len(problems)} problem(s) in the school-location file",
                          problems=problems)
    keys = raw[key_col].astype("string").fillna("").str.strip()
    buurt = _buurt_codes(raw, buurt_col, path, problems)
    if x_col is not None and y_col is not None:
        buurt = _placed(raw, x_col, y_col, buurt, path, place, problems)
    if problems:
        raise SourceError(f"{path}: {len(problems)} problem(s) in the school-location file",
                          problems=problems)
    keep = (keys != "").to_numpy()
    branches = pd.DataFrame({"key": keys[keep].to_numpy(dtype=object),
                             "buurt": buurt[keep]})
    return SchoolLocations(path, branches, len(raw), int((~keep).sum()))


def _read(path: Path) -> pd.DataFrame:
    with open(path, "rb") as handle:
        head = handle.read(4)
    try:
        if head in _SAV_MAGIC or path.suffix.lower() in (".sav", ".zsav"):
            import pyreadstat

            return pyreadstat.read_sav(str(path), apply_value_formats=False)[0]
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return _read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise SourceError(f"{path}: cannot be read ({error})",
                          hint="save the list as CSV (';' or ','), parquet or SPSS .sav",
                          kind="unreadable") from None
    except Exception as error:  # noqa: BLE001 - pyreadstat's and pyarrow's errors vary
        raise SourceError(f"{path}: cannot be read ({type(error).__name__}: {error})",
                          hint="save the list as CSV (';' or ','), parquet or SPSS .sav",
                          kind="unreadable") from None


def _read_csv(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") >= first.count(",") else ","
    from io import StringIO

    return pd.read_csv(StringIO(text), sep=sep, dtype=str, keep_default_na=False)


def _column(raw: pd.DataFrame, spellings: Sequence[str]) -> str | None:
    by_lower = {str(c).casefold(): c for c in raw.columns}
    return next((by_lower[s.casefold()] for s in spellings if s.casefold() in by_lower), None)


def _buurt_codes(raw: pd.DataFrame, column: str | None, path: Path,
                 problems: list[Problem]) -> np.ndarray:
    """8-digit codes (``BU`` and spaces dropped, a number zero-padded); None where empty."""
    out = np.full(len(raw), None, dtype=object)
    if column is None:
        return out
    spec = layout()["buurt"]
    values = raw[column]
    if pd.api.types.is_numeric_dtype(values.dtype):
        text = values.astype("Int64").astype("string").fillna("")
    else:
        text = values.astype("string").fillna("").str.strip().str.upper()
        text = text.str.removeprefix(spec["prefix"])
    text = text.where(~text.str.fullmatch(r"\d{1,8}").fillna(False),
                      text.str.zfill(spec["digits"]))
    given = (text != "").to_numpy()
    good = text.str.fullmatch(rf"\d{{{spec['digits']}}}").fillna(False).to_numpy()
    bad = given & ~good
    if bad.any():
        problems.append(Problem(
            "bad_values", str(path), str(column),
            f"{int(bad.sum())} value(s) are not buurt codes (expected {spec['prefix']} and "
            f"{spec['digits']} digits, such as {spec['prefix']}07840101; e.g. "
            f"{values[bad].iloc[0]!r})", "correct the codes, or leave a cell empty and give "
                                         "that branch's x and y", int(bad.sum())))
    out[given & good] = text[given & good].to_numpy(dtype=object)
    return out


def _placed(raw: pd.DataFrame, x_col: str, y_col: str, buurt: np.ndarray, path: Path,
            place: Placer | None, problems: list[Problem]) -> np.ndarray:
    """Rows without a buurt code get the buurt their RD point lies in."""
    need = pd.isna(buurt)
    xs, ys = (_numbers(raw[c], c, need, path, problems) for c in (x_col, y_col))
    bounds = layout()["rd_bounds"]
    for values, column, (low, high) in ((xs, x_col, bounds["x"]), (ys, y_col, bounds["y"])):
        out = need & np.isfinite(values) & ((values < low) | (values > high))
        if out.any():
            problems.append(Problem(
                "bad_values", str(path), str(column),
                f"{int(out.sum())} value(s) lie outside RD New ({low}-{high} metres; e.g. "
                f"{values[out][0]}): degrees or another projection?",
                "give RD New (EPSG:28992) coordinates in metres, or a buurt code", int(out.sum())))
    todo = need & np.isfinite(xs) & np.isfinite(ys)
    if todo.any() and place is None:
        problems.append(Problem(
            "invalid", str(path), f"{x_col}/{y_col}",
            f"{int(todo.sum())} branch(es) have coordinates but no buurt code, and no "
            "boundaries file places them", "set paths.boundaries (the CBS wijk- en buurtkaart) "
                                           "or give each branch's buurt code"))
    if problems or not todo.any():
        return buurt
    out = buurt.copy()
    out[todo] = place(xs[todo], ys[todo])
    return out


def _numbers(values: pd.Series, column: str, need: np.ndarray, path: Path,
             problems: list[Problem]) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=float)
    text = values.astype("string").fillna("").str.strip().str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = need & (text != "").to_numpy() & ~np.isfinite(numbers)
    if bad.any():
        problems.append(Problem(
            "bad_values", str(path), str(column),
            f"{int(bad.sum())} value(s) are not numbers (e.g. {values[bad].iloc[0]!r})",
            "give RD New coordinates in metres (such as 133587.5), or a buurt code",
            int(bad.sum())))
    return numbers


__all__ = ["SchoolLocations", "layout", "read_school_locations"]
