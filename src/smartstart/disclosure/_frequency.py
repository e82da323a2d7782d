"""Count-based rules: frequency tables, shares, area tables, cluster profiles."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from functools import reduce

import numpy as np
import pandas as pd

from smartstart.disclosure._check import CheckResult, as_frame, result
from smartstart.disclosure._options import Settings, settings_of
from smartstart.disclosure._table import Table

Counts = pd.DataFrame | pd.Series | Table


def small(values: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Cells under the threshold; empty cells only when zeros are disclosive (NaN never)."""
    below = (values > 0) & (values < settings.min_cell)
    return below | (values == 0) if settings.zeros_disclosive else below


def check_counts(table: Counts, settings: object | None = None) -> tuple[CheckResult, ...]:
    """Frequency threshold on every cell (totals included), and the zero-cell policy."""
    s = settings_of(settings)
    values = _frame(table)
    below = (values > 0) & (values < s.min_cell)
    zeros = (values == 0) & s.zeros_disclosive
    return (
        result("threshold", below, f"{int(below.to_numpy().sum())} cells below {s.min_cell}",
               min_cell=s.min_cell),
        result("zeros", zeros, f"{int(zeros.to_numpy().sum())} empty cells",
               zeros_disclosive=s.zeros_disclosive),
    )


def check_shares(numerator: Counts, denominator: Counts | pd.Series,
                 settings: object | None = None, complement: bool = True) -> CheckResult:
    """A share is safe when its numerator and denominator pass the threshold.

    With ``complement`` the rest of the denominator (``denominator - numerator``) must pass too:
    97 % of 100 discloses the 3 who are not counted. A Series denominator is matched to the
    numerator's rows.
    """
    s = settings_of(settings)
    num = _frame(numerator)
    den = _frame(denominator) if not isinstance(denominator, pd.Series) else num.mul(0).add(
        denominator, axis=0)
    if den.shape != num.shape:
        raise ValueError("numerator and denominator must have the same shape")
    den = den.set_axis(num.index, axis=0).set_axis(num.columns, axis=1)
    parts = [small(num, s), small(den, s)] + ([small(den - num, s)] if complement else [])
    mask = reduce(operator.or_, parts)
    return result("shares", mask, f"{int(mask.to_numpy().sum())} shares on groups below "
                  f"{s.min_cell}", min_cell=s.min_cell, complement=complement,
                  numerator_cells=int(parts[0].to_numpy().sum()),
                  denominator_cells=int(parts[1].to_numpy().sum()))


def check_areas(table: pd.DataFrame | pd.Series, settings: object | None = None,
                counts: str | Sequence[str] | None = None) -> tuple[CheckResult, ...]:
    """Each area (row) is a cell: an area whose count fails takes all its statistics with it.

    ``counts`` names the count columns (default: every column); other columns (rates, means)
    are flagged on the rows where a count fails.
    """
    frame = as_frame(table)
    names = [counts] if isinstance(counts, str) else list(counts or frame.columns)
    checks = check_counts(frame[names], settings)
    return tuple(_spread_rows(check, frame) for check in checks)


def check_clusters(sizes: pd.Series, profile: pd.DataFrame | None = None,
                   settings: object | None = None) -> tuple[CheckResult, ...]:
    """Minimum cluster size; every cell of a cluster profile (counts) is a count cell."""
    s = settings_of(settings)
    frame = as_frame(sizes)
    tiny = frame < s.min_cell
    size = result("cluster_size", tiny, f"{int(tiny.to_numpy().sum())} clusters below "
                  f"{s.min_cell}", min_cell=s.min_cell)
    return (size, *(check_counts(profile, s) if profile is not None else ()))


def _frame(table: Counts) -> pd.DataFrame:
    if isinstance(table, Table):
        return table.to_frame()
    return as_frame(table).apply(pd.to_numeric, errors="coerce").astype(float)


def _spread_rows(check: CheckResult, frame: pd.DataFrame) -> CheckResult:
    rows = check.mask.any(axis=1).to_numpy()
    mask = pd.DataFrame(np.repeat(rows[:, None], frame.shape[1], axis=1), index=frame.index,
                        columns=frame.columns)
    return CheckResult(check.rule, check.status, check.summary, mask,
                       {**check.details, "areas": int(rows.sum())})
