"""The attacker: how narrowly can a suppressed cell be pinned down from what is published?

For every suppressed cell, two linear programs (HiGHS) give the smallest and largest value the
cell can take given every published cell, the table's additive relations (all margins), the
cells being nonnegative, and any bound the published labels reveal (a cell shown as ``<10``
is at most 9). The LPs of one table are solved together as one separable LP (the minima, then
the maxima); if a maximum is unbounded, one more LP finds the cells that can grow without end.
Integrality is relaxed: for tables of counts :func:`reach` rounds the bounds inwards (an
attacker knows counts are whole). For 1- and 2-way tables the relations are totally
unimodular, so these are exactly the integer attacker's bounds; for 3-way tables an integer
attacker could in rare cases do better than the relaxation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import linprog

from smartstart.disclosure._table import Table

TOLERANCE = 1e-6
BLOCKS = 256  # problems per separable LP (one big LP beats many small ones)


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
    a_eq, b_eq = a_hidden[used], rhs[used]
    box = np.column_stack([bounds[0][hidden], bounds[1][hidden]])
    targets = np.flatnonzero(wanted[hidden])
    lower = _solve(a_eq, b_eq, box, [(j, 1.0) for j in targets])
    upper = _solve(a_eq, b_eq, box, [(j, -1.0) for j in targets], missing_ok=True)
    if upper is None:  # some cell can grow without end: find which, then the others' maxima
        endless = _unbounded(a_eq, box)[targets]
        upper = np.full(len(targets), np.inf)
        upper[~endless] = _solve(a_eq, b_eq, box, [(j, -1.0) for j in targets[~endless]])
    return lower, upper


def _solve(a_eq: sparse.csc_matrix, b_eq: np.ndarray, box: np.ndarray,
           problems: list[tuple[int, float]], missing_ok: bool = False) -> np.ndarray | None:
    """The optimum of each problem, in blocks; None (if ``missing_ok``) when one is unbounded."""
    found = [_extremes(a_eq, b_eq, box, problems[i:i + BLOCKS], missing_ok)
             for i in range(0, len(problems), BLOCKS)]
    if any(block is None for block in found):
        return None
    return np.concatenate(found) if found else np.empty(0)


def _unbounded(a_eq: sparse.csc_matrix, box: np.ndarray) -> np.ndarray:
    """Cells that can grow without end: the support of the rays of the attacker's polytope.

    One LP: directions ``d >= 0`` (0 where a cell has an upper bound) with ``A d = 0``, and
    ``t <= d``, ``t <= 1``; maximising ``sum t`` sets ``t_j = 1`` exactly where some ray
    moves cell ``j`` (rays add up and scale, so one ray covers them all).
    """
    n = len(box)
    free = np.isinf(box[:, 1])
    if not free.any():
        return free
    if not a_eq.shape[0]:
        return free
    link = sparse.hstack([sparse.eye(n), -sparse.eye(n)], format="csc")
    equal = sparse.hstack([sparse.csc_matrix((a_eq.shape[0], n)), a_eq], format="csc")
    rays = np.column_stack([np.zeros(n), np.where(free, np.inf, 0.0)])
    result = linprog(np.r_[-np.ones(n), np.zeros(n)], A_ub=link, b_ub=np.zeros(n),
                     A_eq=equal, b_eq=np.zeros(a_eq.shape[0]),
                     bounds=np.r_[np.column_stack([np.zeros(n), np.ones(n)]), rays],
                     method="highs")
    if result.status != 0:
        raise ValueError(f"the attacker's rays could not be found: {result.message}")
    return result.x[:n] > 0.5


def _extremes(a_eq: sparse.csc_matrix, b_eq: np.ndarray, box: np.ndarray,
              problems: list[tuple[int, float]], missing_ok: bool = False
              ) -> np.ndarray | None:
    """Min (sign +1) or max (sign -1) of one variable per problem, all in one separable LP.

    Each problem gets its own copy of the variables; the copies share no constraint, so the
    optimum of the sum is the optimum of every copy on its own.
    """
    n, count = len(box), len(problems)
    if not len(b_eq):
        return np.array([box[j, 0] if sign > 0 else box[j, 1] for j, sign in problems])
    objective = np.zeros((count, n))
    objective[np.arange(count), [j for j, _ in problems]] = [sign for _, sign in problems]
    solution = _separable(objective.ravel(), a_eq, b_eq, box, count)
    if isinstance(solution, str) and missing_ok:
        return None
    if isinstance(solution, str):
        raise ValueError(f"the attacker's problem could not be solved: {solution}")
    return solution.reshape(count, n)[np.arange(count), [j for j, _ in problems]]


def _separable(objective: np.ndarray, a_eq: sparse.csc_matrix, b_eq: np.ndarray,
               box: np.ndarray, count: int) -> np.ndarray | str:
    """The minimiser of ``objective`` over ``count`` copies of ``a_eq x == b_eq`` within
    ``box``, or what HiGHS said instead of an optimum (unbounded, ...).

    Solved on HiGHS (``highspy``) directly: the copies' block-diagonal matrix is written as
    its columns without a sparse ``kron``, and none of ``linprog``'s checks and conversions
    (which cost more than the solve on a table's LPs). When HiGHS calls it infeasible, it is
    solved again without presolve by the dual simplex: the attacker's problem always has a
    solution (the true table), so "infeasible" is a numerical failure of presolve (seen with
    scipy 1.16's HiGHS on a three-way table), not an answer."""
    import highspy  # a few ms, once

    a = a_eq.tocsc()
    m, n = a.shape
    copies = np.arange(count)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n * count, m * count
    lp.col_cost_ = np.asarray(objective, float)
    inf = highspy.kHighsInf
    lp.col_lower_ = np.tile(np.where(np.isinf(box[:, 0]), -inf, box[:, 0]), count)
    lp.col_upper_ = np.tile(np.where(np.isinf(box[:, 1]), inf, box[:, 1]), count)
    lp.row_lower_ = lp.row_upper_ = np.tile(np.asarray(b_eq, float), count)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.r_[(a.indptr[:-1][None, :] + a.nnz * copies[:, None]).ravel(),
                                a.nnz * count].astype(np.int32)
    lp.a_matrix_.index_ = (a.indices[None, :] + m * copies[:, None]).ravel().astype(np.int32)
    lp.a_matrix_.value_ = np.tile(a.data.astype(float), count)
    model = highspy.Highs()
    model.setOptionValue("output_flag", False)
    model.passModel(lp)
    model.run()
    done = highspy.HighsModelStatus
    if model.getModelStatus() == done.kInfeasible:
        model.clearSolver()
        model.setOptionValue("presolve", "off")
        model.setOptionValue("solver", "simplex")
        model.setOptionValue("simplex_strategy", 1)  # dual
        model.run()
    status = model.getModelStatus()
    if status != done.kOptimal:
        return model.modelStatusToString(status)
    return np.asarray(model.getSolution().col_value)


def reach(intervals: Intervals, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The attacker's upper and lower bounds, rounded inwards when the table holds counts."""
    upper, lower = intervals.upper, intervals.lower
    if np.all(values == np.round(values)):
        slack = TOLERANCE * (1.0 + np.abs(values))
        upper, lower = np.floor(upper + slack), np.ceil(lower - slack)
    return upper, lower
