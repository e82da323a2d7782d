"""The attacker: how narrowly can a suppressed cell be pinned down from what is published?

For every suppressed cell, two linear programs (HiGHS) give the smallest and largest value the
cell can take given every published cell, the table's additive relations (all margins), the
cells being nonnegative, and any upper bound the published labels reveal (a cell shown as
``<10`` is at most 9). Integrality is relaxed: for integer tables :func:`protected` rounds the
bounds inwards (an attacker knows counts are whole). For 1- and 2-way tables the relations are
totally unimodular, so these are exactly the integer attacker's bounds; for 3-way tables an
integer attacker could in rare cases do better than the relaxation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from smartstart.disclosure._table import Table

TOLERANCE = 1e-6
CAP_FACTOR = 10.0  # see _intervals
BLOCKS = 64  # problems per separable LP


@dataclass(frozen=True, eq=False)
class Intervals:
    """Attacker intervals per cell (published cells: their value on both sides)."""

    lower: np.ndarray
    upper: np.ndarray
    suppressed: np.ndarray

    def width(self) -> np.ndarray:
        return self.upper - self.lower

    def to_frame(self) -> pd.DataFrame:
        """One row per suppressed cell: its position and the attacker's interval."""
        where = np.argwhere(self.suppressed)
        frame = pd.DataFrame(where, columns=[f"axis{i}" for i in range(where.shape[1])])
        return frame.assign(lower=self.lower[self.suppressed], upper=self.upper[self.suppressed])


def attack(published: np.ndarray | Table, suppressed: np.ndarray,
           structure: Table | sparse.spmatrix | np.ndarray | None = None,
           lower_bounds: np.ndarray | None = None, upper_bounds: np.ndarray | None = None,
           cells: np.ndarray | None = None) -> Intervals:
    """Min and max of each suppressed cell (or only of ``cells``) given everything published.

    ``published`` holds the table's values (any value at a suppressed cell is ignored, NaN is
    fine); ``structure`` the additive relations (a :class:`Table` or a matrix ``A`` with
    ``A @ cells.ravel() == 0``; by default the relations of ``published`` if it is a Table).
    ``lower_bounds``/``upper_bounds``: what the labels tell of a suppressed cell (default 0 and
    infinity; ``<10`` means at most 9, and a cell shown as ``x`` next to ``<10`` cells is at
    least 10).
    """
    values = (published.values if isinstance(published, Table) else np.asarray(published, float))
    hidden = np.asarray(suppressed, dtype=bool)
    if hidden.shape != values.shape:
        raise ValueError("the suppression mask must have the table's shape")
    matrix = _matrix(structure if structure is not None else published)
    low = np.zeros(values.shape) if lower_bounds is None else np.broadcast_to(
        np.asarray(lower_bounds, float), values.shape)
    high = np.full(values.shape, np.inf) if upper_bounds is None else np.broadcast_to(
        np.asarray(upper_bounds, float), values.shape)
    wanted = hidden if cells is None else hidden & np.asarray(cells, dtype=bool)
    lower, upper = values.copy(), values.copy()
    lower[hidden], upper[hidden] = low[hidden], high[hidden]
    lo, hi = _intervals(matrix, values.ravel(), hidden.ravel(), (low.ravel(), high.ravel()),
                        wanted.ravel())
    lower.ravel()[wanted.ravel()] = lo
    upper.ravel()[wanted.ravel()] = hi
    return Intervals(lower, upper, hidden.copy())


def _matrix(structure: Table | sparse.spmatrix | np.ndarray) -> sparse.csc_matrix:
    if isinstance(structure, Table):
        return structure.structure.tocsc()
    return sparse.csc_matrix(structure)


def _intervals(matrix: sparse.csc_matrix, values: np.ndarray, hidden: np.ndarray,
               bounds: tuple[np.ndarray, np.ndarray], wanted: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    a_hidden = matrix[:, hidden]
    rhs = -(matrix[:, ~hidden] @ values[~hidden])
    used = a_hidden.getnnz(axis=1) > 0
    scale = 1.0 + np.abs(values[~hidden]).sum()
    if np.abs(rhs[~used]).max(initial=0.0) > TOLERANCE * scale:
        raise ValueError("the published cells do not satisfy the table's relations")
    # an answer at ``cap`` means "unbounded": a bounded cell stays below the published cells
    # and the bounds put together
    given = np.r_[bounds[0][hidden], bounds[1][hidden]]
    cap = CAP_FACTOR * (scale + np.abs(given[np.isfinite(given)]).sum())
    box = np.column_stack([bounds[0][hidden], np.minimum(bounds[1][hidden], cap)])
    problems = [(j, sign) for j in np.flatnonzero(wanted[hidden]) for sign in (1.0, -1.0)]
    found = np.concatenate([_extremes(a_hidden[used], rhs[used], box, problems[i:i + BLOCKS])
                            for i in range(0, len(problems), BLOCKS)] or [np.empty(0)])
    found = found.reshape(-1, 2)
    upper = np.where(found[:, 1] >= cap * (1 - TOLERANCE), np.inf, found[:, 1])
    return found[:, 0], upper


def _extremes(a_eq: sparse.csc_matrix, b_eq: np.ndarray, box: np.ndarray,
              problems: list[tuple[int, float]]) -> np.ndarray:
    """Min (sign +1) or max (sign -1) of one variable per problem, all in one separable LP.

    Each problem gets its own copy of the variables; the copies share no constraint, so the
    optimum of the sum is the optimum of every copy on its own.
    """
    n, count = len(box), len(problems)
    if not len(b_eq):
        return np.array([box[j, 0] if sign > 0 else box[j, 1] for j, sign in problems])
    objective = np.zeros((count, n))
    objective[np.arange(count), [j for j, _ in problems]] = [sign for _, sign in problems]
    result = linprog(objective.ravel(), A_eq=sparse.kron(sparse.eye(count), a_eq, "csc"),
                     b_eq=np.tile(b_eq, count), bounds=np.tile(box, (count, 1)), method="highs")
    if result.status != 0:
        raise ValueError(f"the attacker's problem could not be solved: {result.message}")
    solution = result.x.reshape(count, n)
    return solution[np.arange(count), [j for j, _ in problems]]


def protected(intervals: Intervals, values: np.ndarray, primary: np.ndarray,
              upper_level: np.ndarray, lower_level: np.ndarray,
              cells: Sequence[bool] | np.ndarray | None = None) -> np.ndarray:
    """Which primary cells the attacker cannot pin down within the protection levels."""
    slack = TOLERANCE * (1.0 + np.abs(values))
    upper, lower = intervals.upper, intervals.lower
    if np.all(values == np.round(values)):
        upper, lower = np.floor(upper + slack), np.ceil(lower - slack)
    high = upper >= values + upper_level - slack
    low = lower <= values - lower_level + slack
    ok = high & low
    mask = np.asarray(primary, bool) if cells is None else np.asarray(cells, bool)
    return np.where(mask, ok, True)
