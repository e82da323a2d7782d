"""The effect engine's input: an area x year panel checked once and held as arrays.

A panel has one row per (area, year) with ``n`` (units at risk in that area-year) and
``events`` (units with the outcome that year). The engine works on the rate ``events / n`` in
percentage points, as an areas x years matrix, with ``n`` as the weight matrix. Every problem
of the input is collected and raised together in one :class:`EffectInputError`, so that a user
fixes the panel in one round.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

COLUMNS = ("area", "year", "n", "events")


class EffectInputError(ValueError):
    """The panel or the treatment cannot be evaluated; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = tuple(problems)
        super().__init__("the effect evaluation's input has problems: " + "; ".join(problems))


@dataclass(frozen=True)
class Panel:
    """A balanced panel as arrays: ``rate`` (percentage points) and ``n``, areas x years.

    ``starts[i]`` is area i's first treated year, or 0 for a comparison (donor) area.
    """

    areas: tuple[str, ...]
    years: tuple[int, ...]
    rate: np.ndarray
    n: np.ndarray
    events: np.ndarray
    starts: np.ndarray

    @property
    def treated(self) -> np.ndarray:
        return np.flatnonzero(self.starts > 0)

    @property
    def donors(self) -> np.ndarray:
        return np.flatnonzero(self.starts == 0)

    def treatment(self) -> np.ndarray:
        """The static treatment indicator, areas x years (1 from an area's start on)."""
        return treatment_matrix(self.starts, np.asarray(self.years))

    def subset(self, rows: np.ndarray, starts: np.ndarray | None = None,
               years: slice = slice(None)) -> Panel:
        """The panel of some areas (and some years), optionally with other starts."""
        rows = np.asarray(rows)
        return Panel(tuple(self.areas[i] for i in rows), self.years[years],
                     self.rate[rows][:, years], self.n[rows][:, years],
                     self.events[rows][:, years],
                     self.starts[rows] if starts is None else np.asarray(starts))


def treatment_matrix(starts: np.ndarray, years: np.ndarray) -> np.ndarray:
    """1.0 where an area with a start (> 0) is in or after its start year."""
    starts = np.asarray(starts)
    return ((starts[..., None] > 0) & (years >= starts[..., None])).astype(float)


def build_panel(panel: pd.DataFrame, treated: Collection[str] | Mapping[str, int],
                start: int | None, planned: bool = False) -> Panel:
    """Check the panel and the treatment, then hold them as arrays.

    ``treated``: the treated areas (with one ``start`` for all), or a mapping area -> start
    for staggered starts (then ``start`` is ignored and may be None). ``planned``: the start
    lies after the panel (a power calculation before the intervention): it must follow at
    least two years of data.
    """
    problems = _column_problems(panel)
    if problems:
        raise EffectInputError(problems)
    frame = panel[list(COLUMNS)].copy()
    frame["area"] = frame["area"].astype(str)
    problems += _row_problems(frame)
    starts = _starts(treated, start, problems)
    years = np.sort(frame["year"].dropna().unique()).astype(int)
    areas = sorted(frame["area"].unique())
    problems += _treatment_problems(starts, areas, years, planned)
    if problems:
        raise EffectInputError(problems)
    return _arrays(frame, areas, years, starts)


def _column_problems(panel: pd.DataFrame) -> list[str]:
    if not isinstance(panel, pd.DataFrame):
        return [f"panel must be a pandas DataFrame, not {type(panel).__name__}"]
    missing = [c for c in COLUMNS if c not in panel.columns]
    return [f"missing column(s): {', '.join(missing)}"] if missing else []


def _row_problems(frame: pd.DataFrame) -> list[str]:
    problems = []
    for col in ("year", "n", "events"):
        if not pd.api.types.is_numeric_dtype(frame[col]):
            problems.append(f"column {col} is not numeric")
        elif frame[col].isna().any():
            problems.append(f"column {col} has {int(frame[col].isna().sum())} missing value(s)")
    if problems:
        return problems
    dup = frame.duplicated(["area", "year"], keep=False)
    if dup.any():
        pairs = frame.loc[dup, ["area", "year"]].drop_duplicates().head(5)
        shown = ", ".join(f"({a}, {int(y)})" for a, y in pairs.itertuples(index=False))
        problems.append(f"{int(dup.sum())} rows share an area-year, e.g. {shown}")
    if (frame["n"] <= 0).any():
        problems.append(f"{int((frame['n'] <= 0).sum())} row(s) with n <= 0 (no units at risk)")
    if (frame["events"] < 0).any() or (frame["events"] > frame["n"]).any():
        problems.append("events must lie between 0 and n")
    if (frame["year"] % 1 != 0).any():
        problems.append("years must be whole numbers")
    if not problems:  # no duplicates: an area with fewer rows than years lacks some
        cells = frame["area"].value_counts()
        short = sorted(cells[cells < frame["year"].nunique()].index)
        if short:
            problems.append(f"unbalanced panel: {len(short)} area(s) lack years, e.g. "
                            f"{', '.join(map(str, short[:5]))}")
    return problems


def _starts(treated, start, problems: list[str]) -> dict[str, int]:
    if isinstance(treated, str):
        problems.append("treated must be a collection of areas, not a single string")
        return {}
    if isinstance(treated, Mapping):
        return {str(a): int(s) for a, s in treated.items()}
    if start is None:
        problems.append("start is missing (give one start, or a mapping area -> start)")
        return {}
    return {str(a): int(start) for a in treated}


def _treatment_problems(starts: dict[str, int], areas: list[str], years: np.ndarray,
                        planned: bool) -> list:
    problems = []
    if not starts:
        return ["no treated area given"]
    unknown = sorted(set(starts) - set(areas))
    if unknown:
        problems.append(f"treated area(s) not in the panel: {', '.join(unknown)}")
    if len(years) and planned:
        bad = sorted({s for s in starts.values() if s <= years[0] + 1})
        if bad:
            problems.append(f"start(s) {', '.join(map(str, bad))} leave fewer than two years of "
                            f"data before the start (the data begin in {years[0]})")
    elif len(years):
        bad = sorted({s for s in starts.values() if not years[0] < s <= years[-1]})
        if bad:
            problems.append(f"start(s) {', '.join(map(str, bad))} outside the panel's years: a "
                            f"start must lie after {years[0]} and no later than {years[-1]}")
    donors = len(set(areas) - set(starts))
    if donors < 2:
        problems.append(f"{donors} comparison area(s): at least 2 are needed")
    return problems


def _arrays(frame: pd.DataFrame, areas: list[str], years: np.ndarray,
            starts: dict[str, int]) -> Panel:
    row = np.searchsorted(np.asarray(areas, dtype=object), frame["area"].to_numpy(object))
    col = np.searchsorted(years, frame["year"].to_numpy())
    n = np.zeros((len(areas), len(years)))
    events = np.zeros_like(n)
    n[row, col] = frame["n"].to_numpy(dtype=float)
    events[row, col] = frame["events"].to_numpy(dtype=float)
    start = np.array([starts.get(a, 0) for a in areas], dtype=int)
    return Panel(tuple(areas), tuple(int(y) for y in years), 100 * events / n, n, events, start)
