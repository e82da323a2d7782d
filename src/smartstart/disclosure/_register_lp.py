"""The register's LPs of one unit: the same constraints, many objectives (every blank count's
minimum and maximum), solved on one HiGHS model.

The constraints of a unit (its published counts, the clique tables' consistency, the labels'
bounds) are built once; each objective only changes the columns' costs, and HiGHS starts from
the previous optimal basis, which stays primal feasible (a few simplex pivots instead of a
presolve and a solve from scratch). On the demo's register this is the same LPs as one
``scipy.optimize.linprog`` call each, several times faster (``benchmarks/demo_speed.py``
times both in one run; ``tests/test_register_lp.py`` shows the bounds are the same).

``Linprog`` is that old path, one ``linprog`` (HiGHS, cold) per objective: the reference the
test and the benchmark compare with.
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


class Infeasible(ValueError):
    """The constraints have no solution (the published counts contradict each other)."""


class Highs:
    """``min c @ x`` subject to ``a_eq @ x == b_eq``, ``a_ub @ x <= b_ub``, ``x >= 0``, for
    one constraint set and many ``c`` (warm-started). After a solve, ``duals``: the rows'
    dual values (``a_eq``'s, then ``a_ub``'s)."""

    duals: np.ndarray

    def __init__(self, a_eq: sparse.csr_matrix, b_eq: np.ndarray, a_ub: sparse.csr_matrix,
                 b_ub: np.ndarray):
        import highspy  # a few ms; only runs that have a blank small count need it

        self._highspy = highspy
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
        model.changeColsCost(len(self._columns), self._columns, np.asarray(objective, float))
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
            raise ValueError(model.modelStatusToString(status))
        solution = model.getSolution()
        self.duals = np.asarray(solution.row_dual)
        return float(model.getInfo().objective_function_value), np.asarray(solution.col_value)


class Linprog:
    """The same, one cold ``scipy.optimize.linprog`` (HiGHS) per objective."""

    duals: np.ndarray

    def __init__(self, a_eq: sparse.csr_matrix, b_eq: np.ndarray, a_ub: sparse.csr_matrix,
                 b_ub: np.ndarray):
        self._problem = {"A_eq": a_eq, "b_eq": b_eq, "A_ub": a_ub, "b_ub": b_ub}

    def solve(self, objective: np.ndarray) -> tuple[float, np.ndarray]:
        from scipy.optimize import linprog

        result = linprog(objective, bounds=(0, None), method="highs", **self._problem)
        if result.status == 2:
            raise Infeasible(result.message)
        if result.status != 0:
            raise ValueError(result.message)
        self.duals = np.r_[result.eqlin.marginals, result.ineqlin.marginals]
        return float(result.fun), result.x


SOLVERS = {"highs": Highs, "linprog": Linprog}
