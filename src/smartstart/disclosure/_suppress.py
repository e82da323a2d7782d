"""Secondary suppression: the cheapest set of extra cells that keeps every primary cell hidden.

A primary cell ``j`` of value ``a`` with upper and lower protection levels ``U`` and ``L`` is
protected when the attacker (:mod:`._attack`) cannot rule out ``a + U`` nor ``a - L``. That holds
exactly when there are perturbations ``y`` of the table, zero on every published cell, with
``A y = 0`` (all margins still add up), ``lower <= x + y <= upper`` on the suppressed cells (what
the attacker knows of them), and ``y_j = +U`` (resp. ``-L``): ``x + y`` is then a table the
attacker cannot tell from the true one.

The MILP (HiGHS via ``scipy.optimize.milp``) chooses binary ``z_i`` (cell ``i`` suppressed) of
minimum total cost and one perturbation per primary cell and direction, linked by
``-min(x_i - lower_i, r) z_i <= y_i <= min(upper_i - x_i, r) z_i`` with ``r = REACH * level``.
Each perturbation is stated in units of its target's level (the target moves by exactly one),
so no coefficient exceeds ``REACH``: stated in cells, with levels from 1 to 9 side by side, HiGHS
returned as optimal a pattern costing 375 where 325 is the cheapest (a 4 x 4 table, presolve
off; the attacker's LPs over every cheaper pattern confirm 325).

* ``optimal``: the joint model over all primary cells (Fischetti and Salazar's model), solved
  to optimality: the minimum-cost pattern for these protection levels (among patterns whose
  perturbations move no cell by more than ``REACH`` levels; within ``TIME_LIMIT``, else the
  best pattern found);
* ``sequential``: one exact model per primary cell (both directions) in turn, largest cells
  first, the cells chosen before free of cost, cells the attacker already cannot pin down
  skipped: optimal step by step, not jointly;
* ``fast``: the joint model's LP relaxation, every cell with ``z_i > 0`` suppressed: one LP, a
  valid pattern that may cost more;
* ``auto``: ``optimal`` while the joint model is small (``JOINT_LIMIT``), ``sequential`` up to
  ``SEQUENTIAL_LIMIT``, else ``fast``.

Levels are capped at what the attacker could not learn even if every cell were suppressed
(nonnegativity, and the bounds the labels reveal). Every perturbation the solver returns is
checked as a certificate (a table the attacker cannot exclude); a primary cell without a valid
certificate faces the attacker's LPs and is protected again if needed, and as a last resort
every cell that may be suppressed is.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import get_args

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, OptimizeWarning, milp

from smartstart.disclosure._attack import TOLERANCE, attack, reach
from smartstart.disclosure._options import Cost, Method

JOINT_LIMIT = 800  # (primary cells x directions) x cells up to which ``auto`` is optimal
SEQUENTIAL_LIMIT = 20_000  # ... and up to which it is sequential
REACH = 4.0  # a cell may move up to REACH times the protection level in a perturbation
ROUND_UP = 1e-6  # fast: a relaxed z_i above this is suppressed
# HiGHS's feasibility-jump heuristic costs ~17 ms per call and does not help these small models;
# its sub-MIP heuristics (RINS, RENS) print debug lines to stdout. The HiGHS of scipy 1.16 (the
# pinned set) and 1.17 returned, as "optimal", a pattern costlier than one that protects on some
# tables in either presolve setting (with each perturbation in units of its level, above):
# without presolve 424 where 350 protects, with it 465 where 463 does (a 3 x 4 table; the
# unscaled model also 441 where 422 does). An exact model is therefore solved both ways and
# the cheaper pattern kept (both are checked as certificates); the LP relaxation (fast) once.
# scipy passes these options to HiGHS verbatim; a HiGHS that lacks one is called with the
# time limit alone.
TIME_LIMIT = 30.0
MILP_OPTIONS = {"mip_heuristic_run_feasibility_jump": False, "mip_heuristic_run_rins": False,
                "mip_heuristic_run_rens": False}


@dataclass(frozen=True, eq=False)
class Pattern:
    """Primary and secondary suppressions, the levels they protect, and how they were found."""

    primary: np.ndarray
    secondary: np.ndarray
    upper_level: np.ndarray
    lower_level: np.ndarray
    lower_bounds: np.ndarray
    upper_bounds: np.ndarray
    cost: float
    method: str

    @property
    def suppressed(self) -> np.ndarray:
        return self.primary | self.secondary


@dataclass(frozen=True)
class _Target:
    cell: int
    sign: float
    level: float


def find_pattern(values: np.ndarray, structure: sparse.spmatrix, primary: np.ndarray,
                 upper_level: np.ndarray | float, lower_level: np.ndarray | float,
                 lower_bounds: np.ndarray | None = None, upper_bounds: np.ndarray | None = None,
                 cost: Cost = "value", method: Method = "auto",
                 fixed: np.ndarray | None = None) -> Pattern:
    """Secondary suppressions for nonnegative ``values`` so every primary cell is protected.

    ``lower_bounds``/``upper_bounds``: what the attacker knows of a cell once it is suppressed
    (default 0 and infinity); a cell outside its own bounds is never a secondary suppression.
    ``fixed``: cells published elsewhere (linked tables), never a secondary suppression.
    """
    shape = np.shape(values)
    x = np.asarray(values, dtype=float).ravel()
    if (x < 0).any() or not np.isfinite(x).all():
        raise ValueError("secondary suppression needs finite nonnegative cells")
    if method not in get_args(Method) or cost not in get_args(Cost):
        raise ValueError(f"unknown method {method!r} or cost {cost!r}")
    first = np.asarray(primary, bool).ravel()
    low, high = _flat(lower_bounds, shape, 0.0), _flat(upper_bounds, shape, np.inf)
    problem = _Problem(sparse.csr_matrix(structure), x, low, high, _costs(x, cost),
                       ~first & (x >= low) & (x <= high) & ~_fixed(fixed, shape), first
                       ).with_levels(
        _flat(upper_level, shape, 0.0), _flat(lower_level, shape, 0.0))
    targets = [_Target(j, s, lev) for j in np.flatnonzero(first)
               for s, lev in ((1.0, problem.up[j]), (-1.0, problem.down[j])) if lev > 0]
    size = len(targets) * len(x)
    used = method if method != "auto" else (
        "optimal" if size <= JOINT_LIMIT else "sequential" if size <= SEQUENTIAL_LIMIT else "fast")
    hidden = problem.protect(targets, used)
    secondary = hidden & ~first
    return Pattern(first.reshape(shape), secondary.reshape(shape), problem.up.reshape(shape),
                   problem.down.reshape(shape), low.reshape(shape), high.reshape(shape),
                   float(problem.costs[secondary].sum()), used)


def _fixed(fixed: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    if fixed is None:
        return np.zeros(int(np.prod(shape)), dtype=bool)
    return np.broadcast_to(np.asarray(fixed, dtype=bool), shape).ravel()


def _flat(values: np.ndarray | float | None, shape: tuple[int, ...], default: float
          ) -> np.ndarray:
    given = default if values is None else values
    return np.broadcast_to(np.asarray(given, dtype=float), shape).ravel().copy()


def _costs(x: np.ndarray, cost: Cost) -> np.ndarray:
    return np.maximum(x, 1.0) if cost == "value" else np.ones_like(x)


Move = np.ndarray | bool | None  # a perturbation, True when the attacker's LP proved it, or None


@dataclass(frozen=True, eq=False)
class _Problem:
    matrix: sparse.csr_matrix
    x: np.ndarray
    low: np.ndarray
    high: np.ndarray
    costs: np.ndarray
    candidates: np.ndarray
    first: np.ndarray
    up: np.ndarray | None = None
    down: np.ndarray | None = None

    def with_levels(self, up: np.ndarray, down: np.ndarray) -> _Problem:
        """Levels capped at the attacker's interval with every possible cell suppressed."""
        up = np.where(self.first, np.minimum(up, self.high - self.x), 0.0)
        down = np.where(self.first, np.minimum(down, self.x - self.low), 0.0)
        if self.first.any() and (np.isfinite(self.high[self.first]).any()
                                 or (self.low > 0).any()):
            upper, lower = reach(attack(self.x, self.first | self.candidates, self.matrix,
                                        self.low, self.high, cells=self.first), self.x)
            up = np.where(self.first, np.minimum(up, upper - self.x), 0.0)
            down = np.where(self.first, np.minimum(down, self.x - lower), 0.0)
        return replace(self, up=np.maximum(up, 0.0), down=np.maximum(down, 0.0))

    def protect(self, targets: list[_Target], method: Method) -> np.ndarray:
        """Solve, then check; targets without a certificate face the attacker and get another
        go; as a last resort everything that may be suppressed is."""
        hidden, moves = self.solve(self.first, targets, method)
        for _ in range(2):
            doubtful = [t for t, m in zip(targets, moves, strict=True)
                        if not self.valid(hidden, t, m)]
            targets = [t for t, o in zip(doubtful, self.open(hidden, doubtful), strict=True) if o]
            if not targets:
                return hidden
            hidden, moves = self.solve(hidden, targets, "sequential")
        hidden = self.first | self.candidates
        if any(self.open(hidden, targets)):
            raise RuntimeError("a primary cell stays recoverable with every cell suppressed")
        return hidden

    def open(self, hidden: np.ndarray, targets: list[_Target]) -> list[bool]:
        """Which targets the attacker can still rule out (its LPs, all cells at once)."""
        if not targets:
            return []
        cells = np.zeros_like(self.first)
        cells[[t.cell for t in targets]] = True
        upper, lower = reach(attack(self.x, hidden, self.matrix, self.low, self.high,
                                    cells=cells), self.x)
        slack = TOLERANCE * (1.0 + np.abs(self.x))
        return [bool(upper[t.cell] < self.x[t.cell] + t.level - slack[t.cell]) if t.sign > 0
                else bool(lower[t.cell] > self.x[t.cell] - t.level + slack[t.cell])
                for t in targets]

    def solve(self, hidden: np.ndarray, targets: list[_Target], method: Method
              ) -> tuple[np.ndarray, list[Move]]:
        """More suppressions so each target has a perturbation: the mask and the perturbations."""
        if method == "sequential" or not targets:
            return self._one_by_one(hidden, targets)
        found = self._model(hidden, targets, exact=method == "optimal")
        if found is None:
            return hidden | self.candidates, [None] * len(targets)
        return hidden | found[0], found[1]

    def _one_by_one(self, hidden: np.ndarray, targets: list[_Target]
                    ) -> tuple[np.ndarray, list[Move]]:
        """Primary cells in turn, largest first, both directions in one model; cells the
        attacker already cannot pin down are skipped."""
        hidden, moves = hidden.copy(), [None] * len(targets)
        groups: dict[int, list[int]] = {}
        for index in sorted(range(len(targets)), key=lambda i: -self.x[targets[i].cell]):
            groups.setdefault(targets[index].cell, []).append(index)
        while groups:
            waiting = [i for group in groups.values() for i in group]
            for index, still in zip(waiting, self.open(hidden, [targets[i] for i in waiting]),
                                    strict=True):
                moves[index] = None if still else True
            groups = {c: [i for i in g if moves[i] is None] for c, g in groups.items()}
            groups = {c: g for c, g in groups.items() if g}
            if not groups:
                break
            group = groups.pop(next(iter(groups)))
            found = self._model(hidden, [targets[i] for i in group], exact=True)
            if found is None:
                return hidden | self.candidates, moves
            hidden |= found[0]
            for index, move in zip(group, found[1], strict=True):
                moves[index] = move
        return hidden, moves

    def valid(self, hidden: np.ndarray, target: _Target, move: Move) -> bool:
        """Is ``x + move`` a table the attacker cannot exclude, with the target moved enough?"""
        if move is None or move is True:
            return move is True
        tol = 1e-7 * (1.0 + np.abs(self.x).max(initial=0.0))
        shifted = np.where(hidden, self.x + move, self.x)
        inside = (shifted >= self.low - tol) & (shifted <= self.high + tol)
        return bool(np.abs(move[~hidden]).max(initial=0.0) <= tol
                    and abs(move[target.cell] - target.sign * target.level) <= tol
                    and np.abs(self.matrix @ shifted).max(initial=0.0) <= tol
                    and inside[hidden].all())

    def _model(self, hidden: np.ndarray, targets: list[_Target], exact: bool
               ) -> tuple[np.ndarray, list[np.ndarray]] | None:
        """The (relaxed) MILP: cells to suppress besides ``hidden``, a perturbation per target."""
        free = np.flatnonzero(~hidden & self.candidates)
        n, k, t = len(self.x), len(free), len(targets)
        low, high = self._boxes(hidden | self.candidates, targets)
        equal = sparse.hstack([sparse.csr_matrix((t * self.matrix.shape[0], k)),
                               sparse.kron(sparse.eye(t), self.matrix)])
        constraints = [LinearConstraint(equal, 0, 0)]
        if k:
            constraints.append(LinearConstraint(self._links(free, targets), -np.inf, 0))
        problem = (np.r_[self.costs[free], np.zeros(n * t)], constraints,
                   np.r_[np.full(k, float(exact)), np.zeros(n * t)],
                   Bounds(np.r_[np.zeros(k), low], np.r_[np.ones(k), high]))
        # an exact model is solved with and without presolve and the cheaper answer kept:
        # each setting alone returned a costlier pattern as optimal on some table (above)
        found = [_milp(*problem, presolve=on) for on in ((True, False) if exact else (True,))]
        solved = [r for r in found if r.x is not None]
        if not solved:
            return None
        result = min(solved, key=lambda r: r.fun)
        chosen = np.zeros(n, dtype=bool)
        chosen[free] = result.x[:k] > (0.5 if exact else ROUND_UP)
        levels = np.array([target.level for target in targets])
        return chosen, list(result.x[k:].reshape(t, n) * levels[:, None])

    def _reach(self, target: _Target) -> tuple[np.ndarray, np.ndarray]:
        """How far each cell may move down and up in a perturbation for ``target``, in units
        of its level (the model's perturbations are scaled so the target moves by one)."""
        span = REACH * target.level
        return (np.minimum(self.x - self.low, span) / target.level,
                np.minimum(self.high - self.x, span) / target.level)

    def _boxes(self, movable: np.ndarray, targets: list[_Target]
               ) -> tuple[np.ndarray, np.ndarray]:
        lows, highs = [], []
        for target in targets:
            down, up = self._reach(target)
            low, high = np.where(movable, -down, 0.0), np.where(movable, up, 0.0)
            low[target.cell] = high[target.cell] = target.sign
            lows.append(low)
            highs.append(high)
        return np.concatenate(lows), np.concatenate(highs)

    def _links(self, free: np.ndarray, targets: list[_Target]) -> sparse.csr_matrix:
        """Rows ``y_i - up_i z_i <= 0`` and ``-y_i - down_i z_i <= 0`` for every free cell."""
        n, k = len(self.x), len(free)
        blocks = []
        for index, target in enumerate(targets):
            down, up = self._reach(target)
            y_cols = k + index * n + free
            rows = np.arange(2 * k)
            cols = np.r_[y_cols, y_cols, np.arange(k), np.arange(k)]
            data = np.r_[np.ones(k), -np.ones(k), -up[free], -down[free]]
            blocks.append(sparse.csr_matrix((data, (np.r_[rows, rows], cols)),
                                            shape=(2 * k, k + n * len(targets))))
        return sparse.vstack(blocks).tocsr()


def _milp(costs: np.ndarray, constraints: list[LinearConstraint], integrality: np.ndarray,
          bounds: Bounds, presolve: bool = True) -> OptimizeResult:
    """HiGHS with the options above; without them if this HiGHS does not know one."""
    with warnings.catch_warnings(), _quiet_stdout():
        warnings.filterwarnings("ignore", "Unrecognized options", RuntimeWarning)
        warnings.filterwarnings("ignore", "Unrecognized options", OptimizeWarning)
        try:
            return milp(costs, constraints=constraints, integrality=integrality, bounds=bounds,
                        options={"time_limit": TIME_LIMIT, **MILP_OPTIONS,
                                 "presolve": presolve})
        except AttributeError:
            return milp(costs, constraints=constraints, integrality=integrality, bounds=bounds,
                        options={"time_limit": TIME_LIMIT, "presolve": presolve})


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS's MIP solver prints debug lines from C++ straight to file descriptor 1 (e.g.
    ``transformNewIntegerFeasibleSolution``); point it at /dev/null during a solve."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:
        yield
        return
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
