"""The register's LPs of one unit: the same constraints, many objectives (every blank count's
minimum and maximum), solved on one HiGHS model.

The constraints of a unit (its published counts, the clique tables' consistency, the labels'
bounds) are built once; each objective only changes the columns' costs, and HiGHS starts from
the previous optimal basis, which stays primal feasible (a few simplex pivots instead of a
presolve and a solve from scratch). On the demo's register this is the same LPs as one
``scipy.optimize.linprog`` call each, several times faster (``benchmarks/demo_speed.py``
times both in one run; ``tests/test_register_lp.py`` shows the bounds are the same).

Before that, the rows of the clique tables' consistency that define one count by others
(``substitute``) are solved for it: on the children of a region's sections most of them are a
separator's count equal to the sum of two cells, and the model keeps a fifth of its rows. The
LP is the same (every solution maps to one of the model as built, and back), so are its bounds.

``Linprog`` is that old path, one ``linprog`` (HiGHS, cold) per objective, on the rows as built:
the reference the test and the benchmark compare with.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

#: HiGHS's simplex_strategy for the primal simplex
PRIMAL = 4
#: from this many columns the first solve is HiGHS's interior point method with crossover (its
#: basis then warm-starts the simplex for every objective after it): on the child model of a
#: region of nine with its sections (132,601 columns, 46,496 rows) it took 20-35 s, where the
#: dual simplex had not finished in four minutes; each later objective took 0.1 s
IPM_COLUMNS = 20_000


class Unsolved(ValueError):
    """HiGHS ended an LP without an optimum (its status named: infeasible, unbounded, a
    numerical failure or a limit)."""


class Infeasible(Unsolved):
    """The constraints have no solution (the published counts contradict each other)."""


#: a substitution is made when the nonzeros it may add (the other columns of its row in every
#: row of the column it removes) are at most this many times those it removes (its row and
#: column): a separator's row of three always is (2k against k + 3 for a column in k rows); a
#: long row for a column in many rows is not
FILL = 4
#: rounds of substitutions at most (each round's rows share no column; on the children of a
#: region's sections the second round substitutes 2,372 rows and the third none)
ROUNDS = 20


def substitute(a_eq: sparse.csr_matrix, b_eq: np.ndarray, a_ub: sparse.csr_matrix,
               free: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray, sparse.csr_matrix,
                                          np.ndarray, sparse.csr_matrix]:
    """The same LP with fewer rows and columns: every row of ``free`` (equalities that may go)
    that says ``0 = sum a_j x_j`` with one coefficient of one sign and the rest of the other
    defines that column as a nonnegative combination of the rest, ``x_c = sum -a_j/a_c x_j``:
    substituted into every other row, it goes, with its row. Its own bound ``x_c >= 0`` then
    holds by itself, so the new LP's solutions ``y >= 0`` are exactly ``x = t @ y``. Returns
    the new ``a_eq``, ``b_eq`` and ``a_ub``, the indices of the equalities kept, and ``t``."""
    a, b, u = a_eq.tocsr().astype(float), np.asarray(b_eq, float), a_ub.tocsr().astype(float)
    kept, t = np.arange(a.shape[0]), sparse.identity(a.shape[1], format="csr")
    free = np.asarray(free, bool)
    for _ in range(ROUNDS):
        chosen, lone = _substitutions(a, b, u, free)
        if not len(chosen):
            break
        n = a.shape[1]
        rows = a[chosen].tocoo()
        c, pivot = lone[rows.row], np.asarray(a[chosen, lone]).ravel()[rows.row]
        other = rows.col != c
        gone = np.zeros(n, bool)
        gone[lone] = True
        stay = np.flatnonzero(~gone)
        step = sparse.csr_matrix(
            (np.r_[-rows.data[other] / pivot[other], np.ones(len(stay))],
             (np.r_[c[other], stay], np.r_[rows.col[other], stay])), shape=(n, n))[:, stay]
        left = np.ones(a.shape[0], bool)
        left[chosen] = False
        a, u, t = (a @ step)[left].tocsr(), (u @ step).tocsr(), (t @ step).tocsr()
        a.eliminate_zeros()
        u.eliminate_zeros()
        b, kept, free = b[left], kept[left], free[left]
        # a row of the consistency left with no column: 0 = 0 goes; 0 = b (not 0) stays, and
        # makes it infeasible (an output's rows all stay, each with its own dual)
        empty = (np.diff(a.indptr) == 0) & (b == 0) & free
        a, b, kept, free = a[~empty], b[~empty], kept[~empty], free[~empty]
    return a, b, u, kept, t


def _substitutions(a: sparse.csr_matrix, b: np.ndarray, u: sparse.csr_matrix,
                   free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows to substitute at once (no two share a column, so each defines its column by
    columns that stay) and the column each defines, cheapest first."""
    lengths = np.diff(a.indptr)
    of = np.repeat(np.arange(a.shape[0]), lengths)
    positive = np.bincount(of, a.data > 0, a.shape[0])
    negative = np.bincount(of, a.data < 0, a.shape[0])
    rows = free & (b == 0) & (lengths >= 2) & ((positive == 1) | (negative == 1))
    lone_entry = rows[of] & (((a.data > 0) & (positive[of] == 1))
                             | ((a.data < 0) & (negative[of] == 1) & (positive[of] != 1)))
    candidates, lone = of[lone_entry], a.indices[lone_entry]
    if not len(candidates):
        return candidates, lone
    used = np.bincount(a.indices, minlength=a.shape[1]) + np.bincount(u.indices,
                                                                     minlength=a.shape[1])
    m, k = lengths[candidates], used[lone]
    cheap = (m - 1) * k <= FILL * (m + k)
    candidates, lone = candidates[cheap], lone[cheap]
    order = np.argsort((m[cheap] - 1) * k[cheap], kind="stable")
    marked = np.zeros(a.shape[1], bool)
    chosen = []
    for i in order:
        columns = a.indices[a.indptr[candidates[i]]:a.indptr[candidates[i] + 1]]
        if not marked[columns].any():
            marked[columns] = True
            chosen.append(i)
    return candidates[chosen], lone[chosen]


class Highs:
    """``min c @ x`` subject to ``a_eq @ x == b_eq``, ``a_ub @ x <= b_ub``, ``x >= 0``, for
    one constraint set and many ``c`` (warm-started). ``free``: the equalities that may be
    substituted away (``substitute``; none if not given). After a solve, ``duals``: the rows'
    dual values (``a_eq``'s, then ``a_ub``'s); a row substituted away has none (NaN): the
    others' are those of an optimal dual solution of the LP as given."""

    duals: np.ndarray

    def __init__(self, a_eq: sparse.csr_matrix, b_eq: np.ndarray, a_ub: sparse.csr_matrix,
                 b_ub: np.ndarray, free: np.ndarray | None = None):
        import highspy  # a few ms; only runs that have a blank small count need it

        self._highspy = highspy
        self._equalities = a_eq.shape[0]
        self._kept, self._t = np.arange(a_eq.shape[0]), None
        if free is not None and np.any(free):
            a_eq, b_eq, a_ub, self._kept, self._t = substitute(a_eq, b_eq, a_ub, free)
        rows = sparse.vstack([a_eq, a_ub], format="csr")
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = rows.shape[1], rows.shape[0]
        lp.col_cost_ = np.zeros(rows.shape[1])
        lp.col_lower_ = np.zeros(rows.shape[1])
        lp.col_upper_ = np.full(rows.shape[1], highspy.kHighsInf)
        lp.row_lower_ = np.r_[b_eq, np.full(len(b_ub), -highspy.kHighsInf)]
        lp.row_upper_ = np.r_[b_eq, b_ub]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = rows.indptr.astype(np.int32)
        lp.a_matrix_.index_ = rows.indices.astype(np.int32)
        lp.a_matrix_.value_ = rows.data.astype(float)
        self._model = highspy.Highs()
        self._model.setOptionValue("output_flag", False)
        self._ipm = rows.shape[1] >= IPM_COLUMNS  # the first solve only
        if self._ipm:
            self._model.setOptionValue("solver", "ipm")
            self._model.setOptionValue("run_crossover", "on")  # a basis to start from
        self._model.passModel(lp)
        self._columns = np.arange(rows.shape[1], dtype=np.int32)

    def solve(self, objective: np.ndarray) -> tuple[float, np.ndarray]:
        """The minimum of ``objective @ x`` and a minimiser."""
        model = self._model
        objective = np.asarray(objective, float)
        if self._t is not None:
            objective = self._t.T @ objective
        model.changeColsCost(len(self._columns), self._columns, objective)
        model.run()
        done = self._highspy.HighsModelStatus
        if self._ipm and model.getModelStatus() != done.kOptimal:
            # what the interior point method did not solve, the simplex says (infeasible)
            model.setOptionValue("solver", "simplex")
            model.run()
        # the optimal basis stays primal feasible when only the costs change: primal simplex
        # from there on (dual simplex, the default, would start from an infeasible dual)
        model.setOptionValue("solver", "simplex")
        model.setOptionValue("simplex_strategy", PRIMAL)
        self._ipm = False
        status = model.getModelStatus()
        if status in (done.kInfeasible, done.kUnboundedOrInfeasible):
            raise Infeasible(model.modelStatusToString(status))
        if status != done.kOptimal:  # unbounded cannot happen: every cost is on a bounded count
            raise Unsolved(model.modelStatusToString(status))
        solution = model.getSolution()
        duals = np.asarray(solution.row_dual)
        self.duals = np.full(self._equalities + len(duals) - len(self._kept), np.nan)
        self.duals[self._kept] = duals[:len(self._kept)]
        self.duals[self._equalities:] = duals[len(self._kept):]
        x = np.asarray(solution.col_value)
        return (float(model.getInfo().objective_function_value),
                x if self._t is None else self._t @ x)


class Linprog:
    """The same, one cold ``scipy.optimize.linprog`` (HiGHS) per objective, on the rows as
    given (``free`` is not used: the reference substitutes nothing)."""

    duals: np.ndarray

    def __init__(self, a_eq: sparse.csr_matrix, b_eq: np.ndarray, a_ub: sparse.csr_matrix,
                 b_ub: np.ndarray, free: np.ndarray | None = None):
        self._problem = {"A_eq": a_eq, "b_eq": b_eq, "A_ub": a_ub, "b_ub": b_ub}

    def solve(self, objective: np.ndarray) -> tuple[float, np.ndarray]:
        from scipy.optimize import linprog

        result = linprog(objective, bounds=(0, None), method="highs", **self._problem)
        if result.status == 2:
            raise Infeasible(result.message)
        if result.status != 0:
            raise Unsolved(result.message)
        self.duals = np.r_[result.eqlin.marginals, result.ineqlin.marginals]
        return float(result.fun), result.x


SOLVERS = {"highs": Highs, "linprog": Linprog}
