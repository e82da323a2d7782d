"""Magnitude rules (sums, means, medians from the contributions behind each cell), min and max.

Per cell, with contributions sorted ``x1 >= x2 >= ...`` and cell total ``X``:

* contributors: fewer than ``min_cell`` contributors fail; empty cells fail under ``zeros`` when
  zeros are disclosive;
* NK dominance: ``x1 + ... + xn >= k X`` fails (n = ``dominance_n``, k = ``dominance_k``);
* p-ratio (p % rule): ``X - x1 - x2 < p x1`` fails: the second-largest contributor could
  estimate the largest to within ``p``;
* negative contributions make dominance undefined: the cell is marked for review.

A contributor is a row of ``data``, or with ``unit`` the sum of that unit's rows in the cell.
The checks cover every cell of the table including its totals (``margins=True``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd

from smartstart.disclosure._check import CheckResult, as_frame, result
from smartstart.disclosure._options import Settings, Statistic, settings_of
from smartstart.disclosure._table import Table


@dataclass(frozen=True, eq=False)
class Contributions:
    """Per cell of ``table`` (totals included): contributors, largest contributions, negatives."""

    table: Table
    count: np.ndarray
    top: np.ndarray  # sum of the dominance_n largest contributions
    first: np.ndarray
    second: np.ndarray
    negative: np.ndarray

    @classmethod
    def of(cls, data: pd.DataFrame, by: Sequence[str], value: str, top_n: int = 2,
           unit: str | None = None) -> Contributions:
        by = list(by)
        frame = data.dropna(subset=by)
        table = Table.from_data(frame, by, value)
        codes = [pd.Index(table.labels[i]).get_indexer(frame[b]) for i, b in enumerate(by)]
        arrays = {name: np.zeros(table.shape) for name in
                  ("count", "top", "first", "second", "negative")}
        values = frame[value].to_numpy(float)
        # rows are the contributors without a unit: sorted once (largest first, NaN last, as
        # pandas sorts) for every margin, not once per margin (12 s of a national profile)
        order = np.argsort(-values, kind="stable") if unit is None else None
        for kept in product((True, False), repeat=len(by)):
            keys = [c if keep else np.full(len(frame), size - 1)
                    for c, keep, size in zip(codes, kept, table.shape, strict=True)]
            _fill_cells(arrays, keys, values, frame, unit, top_n, order)
        arrays["negative"] = arrays["negative"] > 0
        return cls(table, **arrays)

    def frame(self, values: np.ndarray, margins: bool) -> pd.DataFrame:
        """Values laid out like the table, without totals unless ``margins``."""
        frame = self.table.to_frame(values)
        if margins:
            return frame
        rows = ~_has_total(frame.index, self.table.total)
        cols = (~_has_total(frame.columns, self.table.total) if self.table.ndim > 1
                else np.ones(frame.shape[1], dtype=bool))
        return frame.loc[rows, cols]


def _fill_cells(arrays: dict[str, np.ndarray], keys: list[np.ndarray], values: np.ndarray,
                frame: pd.DataFrame, unit: str | None, top_n: int,
                order: np.ndarray | None = None) -> None:
    """Each cell's contributors, largest first; ``order``: the rows' order by value when the
    rows are the contributors (no ``unit``)."""
    names = [f"k{i}" for i in range(len(keys))]
    if order is not None:
        parts = pd.DataFrame({name: key[order] for name, key in zip(names, keys, strict=True)}
                             | {"v": values[order]})
    else:
        parts = pd.DataFrame(dict(zip(names, keys, strict=True)) | {"v": values})
        if unit is not None:
            parts = parts.assign(u=frame[unit].to_numpy()).groupby(
                [*names, "u"], as_index=False, sort=False)["v"].sum()
        parts = parts.sort_values("v", ascending=False, kind="stable")
    rank = parts.groupby(names, sort=False).cumcount().to_numpy()
    cells = parts.groupby(names, sort=False)
    sizes = cells.size()
    arrays["count"][_positions(sizes.index)] = sizes.to_numpy()
    arrays["negative"][_positions(sizes.index)] = cells["v"].min().to_numpy() < 0
    for name, picked in (("top", rank < top_n), ("first", rank == 0), ("second", rank == 1)):
        sums = parts[picked].groupby(names, sort=False)["v"].sum()
        arrays[name][_positions(sums.index)] = sums.to_numpy()


def _positions(index: pd.Index) -> tuple[np.ndarray, ...]:
    keys = index.to_frame(index=False)
    return tuple(keys[c].to_numpy(dtype=int) for c in keys.columns)


def _has_total(index: pd.Index, total: str) -> np.ndarray:
    if isinstance(index, pd.MultiIndex):
        return np.array([total in key for key in index])
    return np.asarray(index == total)


def magnitude_masks(cells: Contributions, s: Settings) -> dict[str, np.ndarray]:
    """Which cells break each magnitude rule (cells with negatives only under ``negative``)."""
    total = cells.table.values
    fine = ~cells.negative & (cells.count > 0)
    return {
        "contributors": (cells.count > 0) & (cells.count < s.min_cell),
        "zeros": (cells.count == 0) & s.zeros_disclosive,
        "dominance": fine & (total > 0) & (cells.top >= s.dominance_k * total),
        "p_ratio": fine & (cells.first > 0) & (
            total - cells.first - cells.second < s.p_ratio * cells.first),
        "negative": cells.negative,
    }


def protection_levels(cells: Contributions, s: Settings) -> np.ndarray:
    """How far the attacker must stay from each cell's value: the margin each rule demands.

    p % rule: ``p x1 - (X - x1 - x2)``; NK rule: ``(x1 + ... + xn) / k - X``; too few
    contributors: ``p X``. The largest that applies, at least 1 for a failing cell.
    """
    total = cells.table.values
    p_rule = s.p_ratio * cells.first - (total - cells.first - cells.second)
    nk_rule = cells.top / s.dominance_k - total
    few = np.where(cells.count < s.min_cell, s.p_ratio * total, 0.0)
    return np.maximum.reduce([p_rule, nk_rule, few, np.ones_like(total)])


def check_magnitude(data: pd.DataFrame, by: Sequence[str], value: str,
                    settings: object | None = None, unit: str | None = None,
                    margins: bool = True) -> tuple[CheckResult, ...]:
    """Contributors, NK dominance, p-ratio and negatives for a table of sums of ``value``."""
    s = settings_of(settings)
    cells = Contributions.of(data, by, value, s.dominance_n, unit)
    masks = magnitude_masks(cells, s)
    return tuple(_result(rule, cells.frame(masks[rule], margins), s)
                 for rule in ("contributors", "zeros", "dominance", "p_ratio", "negative"))


def check_means(data: pd.DataFrame, by: Sequence[str], value: str,
                settings: object | None = None, statistic: Statistic = "mean",
                unit: str | None = None, margins: bool = True) -> tuple[CheckResult, ...]:
    """Means and medians: enough contributors, and no dominance in the underlying values."""
    if statistic not in ("mean", "median"):
        raise ValueError(f"statistic must be 'mean' or 'median', got {statistic!r}")
    return tuple(c for c in check_magnitude(data, by, value, settings, unit, margins)
                 if c.rule != "p_ratio")


def check_min_max(table: pd.DataFrame | pd.Series) -> CheckResult:
    """Minima and maxima are one person's value: never released, whatever the table."""
    mask = as_frame(table).notna() | True
    return CheckResult("min_max", "fail", "minima and maxima are never released", mask,
                       {"cells": int(mask.size)})


def _result(rule: str, mask: pd.DataFrame, s: Settings) -> CheckResult:
    count = int(mask.to_numpy().sum())
    if rule == "negative":
        return result("negative", mask, f"{count} cells with negative contributions",
                      failing="review")
    limits = {"contributors": {"min_cell": s.min_cell},
              "zeros": {"zeros_disclosive": s.zeros_disclosive},
              "dominance": {"n": s.dominance_n, "k": s.dominance_k},
              "p_ratio": {"p": s.p_ratio}}[rule]
    return result(rule, mask, f"{count} cells break the {rule} rule", **limits)
