"""Differencing of the n of means and shares (rule ``denominators``): the gate hides, the
checker checks.

The n of one factor minus the n of another gives the units missing one of them, so no
published n of a mean or a share may differ from another published n of its group by 1 to
``min_cell - 1``. The rows the rule covers are those whose ``column`` holds one of the values
in ``value`` (``|``-separated: ``mean|share``). A share's n is also the sum of its levels'
counts and each count over its share, so the rule hides a row's n and counts together (and
what rests on them). An attacker's pass found it for shares: 98 target households by
household type, 94 by education, so 4 of unknown education.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smartstart.disclosure._check import CheckResult, result
from smartstart.disclosure._options import settings_of


def blankable(column: pd.Series) -> pd.Series:
    """A column that can hold NaN: numbers as float, anything else (text of any dtype, pandas 3's
    ``str`` included) as object."""
    return column.astype(float if pd.api.types.is_numeric_dtype(column.dtype) else object)


def _close_ns(frame: pd.DataFrame, spec: tuple, s) -> np.ndarray:
    """Per row: how many published n's of its group a mean row's n differs from by 1 to
    ``min_cell - 1`` (0 for other rows)."""
    column, value, ns, _ = spec
    means = frame[column].astype(str).isin(str(value).split("|")).to_numpy() \
        if column in frame.columns else np.zeros(len(frame), bool)
    close = np.zeros(len(frame), dtype=int)
    for group, *columns in ns:
        if not all(c in frame.columns for c in columns):
            continue
        n = frame[list(columns)].apply(pd.to_numeric, errors="coerce").sum(
            axis=1, min_count=len(columns)).to_numpy(dtype=float)
        keys = frame[group].astype(str).to_numpy() if group else np.zeros(len(frame), str)
        for key in np.unique(keys):
            rows = np.flatnonzero((keys == key) & ~np.isnan(n))
            gap = np.abs(n[rows][:, None] - n[rows][None, :])
            bad = (gap >= 1 - 1e-9) & (gap <= s.min_cell - 1 + 1e-9)
            close[rows] += np.where(means[rows], bad.sum(axis=1), 0)
    return close


def hide_denominators(frame: pd.DataFrame, spec: tuple | None, settings: object | None = None
                      ) -> pd.DataFrame:
    """Blank the n (``hide`` columns) of the covered rows whose n is close to another
    published n of its group, the row with most such neighbours first, until none is left; a
    statistic that rests on the n goes with it (``derived``)."""
    if spec is None:
        return frame
    s = settings_of(settings)
    out = frame.copy()
    hide = [c for c in spec[3] if c in out.columns]
    for _ in range(len(out)):
        close = _close_ns(out, spec, s)
        if not close.any():
            break
        row = int(np.flatnonzero(close == close.max())[-1])
        for column in hide:
            out[column] = blankable(out[column])
        out.loc[out.index[row], hide] = np.nan
    return out


def check_denominators(frame: pd.DataFrame, spec: tuple, settings: object | None = None
                       ) -> CheckResult:
    """Differencing of the n of means and shares: no published n of a covered row differs
    from another published n of its group by 1 to ``min_cell - 1``."""
    s = settings_of(settings)
    close = _close_ns(frame, spec, s) > 0
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column in {c for _, *cs in spec[2] for c in cs if c in frame.columns}:
        mask.loc[close, column] = True
    return result("denominators", mask, f"{int(close.sum())} n differ from another n of their "
                  f"group by fewer than {s.min_cell}", min_cell=s.min_cell)
