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
from scipy import sparse
from scipy.optimize import linprog

from smartstart.disclosure._check import CheckResult, result
from smartstart.disclosure._options import settings_of, too_narrow
from smartstart.disclosure._register_lp import Highs, Unsolved


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


def cell_intervals(a: np.ndarray, b: np.ndarray, cap: float | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Every cell's interval. Cells that lie in exactly the same published groups cannot be
    told apart: the LPs run on their sums (one variable per class), and a cell sharing its
    class with others can be anything from 0 to the class's largest value. With ``cap``, a
    largest value of at least ``cap`` is reported as ``cap`` (all a caller comparing with a
    threshold needs, and far fewer LPs: see :func:`settled`)."""
    classes, of_cell, size = np.unique(a.T, axis=0, return_inverse=True, return_counts=True)
    of_cell = of_cell.ravel()
    if cap is None:
        low, high = intervals(classes.T, b, np.arange(len(classes)))
    else:
        low, high = settled(classes.T, b, cap)
    shared = size[of_cell] > 1
    return np.where(shared, 0.0, low[of_cell]), high[of_cell]


def settled(a: np.ndarray, b: np.ndarray, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """Each variable's smallest value and its largest value capped at ``cap``, over
    nonnegative solutions of A x = b. Most variables can be 0 at once, and most can reach the
    cap at once: one LP on the sum of the variables not yet settled (minimised; or its capped
    copies maximised) settles every variable that reaches 0 (the cap) in its solution; this
    repeats while it settles any, and one LP per variable is left for the rest. The values are
    those of :func:`intervals` (capped), with a few LPs instead of two per variable. The LPs
    on A x = b share one warm-started HiGHS model (``_register_lp``)."""
    n = a.shape[1]
    low, high = np.full(n, np.nan), np.full(n, np.nan)
    model = Highs(sparse.csr_matrix(a), b, sparse.csr_matrix((0, n)), np.zeros(0))
    left = list(range(n))
    while len(left) > 1:
        c = np.zeros(n)
        c[left] = 1.0
        found = _solved(model, c)
        if found is None:
            break
        zero = [j for j in left if found[1][j] <= 1e-9]
        if not zero:
            break
        low[zero] = 0.0
        left = [j for j in left if j not in zero]
    for j in left:
        low[j] = _extreme(model, n, j, 1.0)
    left = list(range(n))
    link = np.hstack([-np.eye(n), np.eye(n)])  # t_j <= x_j
    a_eq = np.hstack([a, np.zeros_like(a)])
    while len(left) > 1:
        c = np.zeros(2 * n)
        c[n + np.array(left)] = -1.0
        bounds = [(0, None)] * n + [(0, cap if j in left else 0) for j in range(n)]
        found = linprog(c, A_ub=link, b_ub=np.zeros(n), A_eq=a_eq, b_eq=b, bounds=bounds,
                        method="highs")
        if found.status != 0:
            break
        full = [j for j in left if found.x[n + j] >= cap - 1e-7]
        if not full:
            break
        high[full] = cap
        left = [j for j in left if j not in full]
    for j in left:
        high[j] = min(_extreme(model, n, j, -1.0), cap)
    return low, high


def _solved(model: Highs, c: np.ndarray) -> tuple[float, np.ndarray] | None:
    """The LP's optimum and solution; None when it has none (infeasible or unbounded)."""
    try:
        return model.solve(c)
    except Unsolved:  # Infeasible too
        return None


def _extreme(model: Highs, n: int, j: int, sign: float) -> float:
    """Smallest (sign 1) or largest (sign -1) value of variable j; 0 or infinity when the
    LP has no optimum (as :func:`intervals`)."""
    c = np.zeros(n)
    c[j] = sign
    found = _solved(model, c)
    if found is None:
        return 0.0 if sign > 0 else np.inf
    return float(sign * found[0])


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
    # largest values of at least min_cell all pass: reported as min_cell (fewer LPs)
    low, high = cell_intervals(a, b, cap=float(s.min_cell))
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
