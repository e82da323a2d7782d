"""Overlapping groups of binary factors: the attacker's LP over the full cross-classification.

The risk outputs publish, for groups defined by binary factors (all children; each risk factor;
each combination of two or three), how many children are in the group and how many have the
outcome. Every such group is a sum of cells of the cube ``factors x outcome`` (2^k x 2 cells), so
together they are linear constraints on the cube, and differences of any kind (A minus A and B,
A and B minus A, B and C, inclusion-exclusion over four groups) can pin a small cell down. This
module solves, for cells of the cube, the smallest and largest value the published groups allow
(HiGHS), and withholds the lowest-ranked groups until no small cell is narrowed down.

A small cell (1 to ``min_cell - 1`` children) is protected when its interval reaches 1 (0 when
zeros are disclosive) and ``min_cell - 1``, the same standard as a suppressed primary cell.
Without the microdata (``smartstart check``) only what the bundle shows can be judged: a cell
whose interval lies within 1 to ``min_cell - 1`` is a small group everybody can see.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from smartstart.disclosure._check import CheckResult, result
from smartstart.disclosure._options import settings_of, too_narrow


def cube_constraints(groups: pd.DataFrame, factors: Sequence[str], sets: str = "factors",
                     n: str = "n", events: str = "events") -> tuple[np.ndarray, np.ndarray]:
    """``A x = b`` for the cube's cells (pattern of the factors, then outcome yes/no): two rows
    per group, its events and its non-events. A group's ``sets`` value is "a+b" ("" = all)."""
    patterns = np.array(list(product((0, 1), repeat=len(factors))), dtype=bool)
    index = {f: i for i, f in enumerate(factors)}
    rows, values = [], []
    for s, size, hits in zip(groups[sets], groups[n], groups[events], strict=True):
        if pd.isna(size) or pd.isna(hits):
            continue
        names = [p for p in str(s).split("+") if p]
        inside = patterns[:, [index[p] for p in names]].all(axis=1) if names else np.ones(
            len(patterns), bool)
        for outcome, value in ((1, hits), (0, size - hits)):
            row = np.zeros(2 * len(patterns))
            row[np.flatnonzero(inside) * 2 + (1 - outcome)] = 1.0
            rows.append(row)
            values.append(float(value))
    return np.array(rows), np.array(values)


def cube_counts(data: pd.DataFrame, factors: Sequence[str], outcome: str) -> np.ndarray:
    """The true cube (same cell order as :func:`cube_constraints`) from complete cases."""
    frame = data[[*factors, outcome]].dropna().astype(bool)
    patterns = list(product((0, 1), repeat=len(factors)))
    codes = {p: i for i, p in enumerate(patterns)}
    keys = [codes[tuple(int(v) for v in row)] for row in frame[list(factors)].to_numpy()]
    cube = np.zeros(2 * len(patterns))
    np.add.at(cube, np.array(keys, dtype=int) * 2 + (1 - frame[outcome].to_numpy(int)), 1)
    return cube


def intervals(a: np.ndarray, b: np.ndarray, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest value of each of ``cells`` over nonnegative solutions of A x = b."""
    lower, upper = np.zeros(len(cells)), np.full(len(cells), np.inf)
    for k, cell in enumerate(cells):
        c = np.zeros(a.shape[1])
        c[cell] = 1.0
        low = linprog(c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        lower[k] = low.fun if low.status == 0 else 0.0
        upper[k] = -high.fun if high.status == 0 else np.inf
    return lower, upper


def cell_intervals(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every cell's interval. Cells that lie in exactly the same published groups cannot be
    told apart: the LPs run on their sums (one variable per class), and a cell sharing its
    class with others can be anything from 0 to the class's largest value."""
    classes, of_cell, size = np.unique(a.T, axis=0, return_inverse=True, return_counts=True)
    of_cell = of_cell.ravel()
    low, high = intervals(classes.T, b, np.arange(len(classes)))
    shared = size[of_cell] > 1
    return np.where(shared, 0.0, low[of_cell]), high[of_cell]


def narrowed_cells(groups: pd.DataFrame, factors: Sequence[str], cube: np.ndarray | None,
                   settings: object | None = None, **columns: str) -> np.ndarray:
    """Cells of the cube narrowed down. From the bundle alone (``cube`` None): a cell known to
    hold at most ``min_cell - 2`` but possibly some (0 < largest < min_cell - 1: the attacker
    learns that few, if any, children have the pattern), or known to lie within 1 and
    ``min_cell - 1``. With the true ``cube`` also: a small cell (1 to ``min_cell - 1``) whose
    interval does not reach 1 (0 when zeros are disclosive) and ``min_cell - 1``."""
    s = settings_of(settings)
    a, b = cube_constraints(groups, factors, **columns)
    cells = np.arange(a.shape[1])
    low, high = cell_intervals(a, b)
    bad = ((high > 1e-6) & (high < s.min_cell - 1 - 1e-6)) | (
        (low >= 1 - 1e-6) & (high <= s.min_cell - 1 + 1e-6))
    if cube is not None:
        small = (cube > 0) & (cube < s.min_cell)
        bad |= small & too_narrow(low, high, s)
    return cells[bad]


def check_groups(groups: pd.DataFrame, factors: Sequence[str], cube: np.ndarray | None = None,
                 settings: object | None = None, **columns: str) -> CheckResult:
    bad = narrowed_cells(groups, factors, cube, settings, **columns)
    mask = pd.DataFrame({"narrowed": [len(bad) > 0]})
    return result("nested", mask, f"{len(bad)} cells of the factors x outcome table narrowed "
                  "down by the published groups", cells=len(bad))


def withhold_groups(frame: pd.DataFrame, published: pd.DataFrame, factors: Sequence[str],
                    cube: np.ndarray, settings: object | None = None, **columns: str
                    ) -> tuple[pd.DataFrame, int]:
    """Keep ``frame``'s rows best first (they are ranked), each only if, together with the
    rows kept so far and the groups ``published`` elsewhere, no small cell of the cube is
    narrowed down; the others are withheld. Returns the rows kept and how many were withheld."""
    keep: list[int] = []
    if len(narrowed_cells(published, factors, cube, settings, **columns)):
        return frame.iloc[:0], len(frame)
    for position in range(len(frame)):
        trial = pd.concat([published, frame.iloc[[*keep, position]]], ignore_index=True)
        if not len(narrowed_cells(trial, factors, cube, settings, **columns)):
            keep.append(position)
    return frame.iloc[keep], len(frame) - len(keep)
