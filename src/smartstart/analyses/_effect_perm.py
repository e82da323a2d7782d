"""Permutation (randomization) inference over the comparison pool.

Placebo assignments give the treatment (with the treated areas' starts) to as many donor areas
as were treated; the truly treated areas are left out of every placebo panel, so that their
(possibly affected) outcomes never enter the reference distribution. Each placebo is estimated
exactly like the real assignment. All distinct assignments are used when there are at most
``limit`` of them, otherwise ``limit`` assignments drawn at random (with replacement).

p-value (two-sided by default): ``(1 + #{placebo : |placebo| >= |estimate|}) / (1 + B)``; the
+1 counts the real assignment among the possible ones, so that p is never 0 and the test is
exact (level at most alpha) when the assignment was as good as random among the areas. The
confidence interval inverts the same test: the effects tau0 at which the panel with tau0 taken
off the treated cells is not rejected. Because the placebo panels do not contain the treated
areas, the placebo distribution does not depend on tau0 and the interval is closed form
(the estimate minus a placebo order statistic). The smallest attainable p is ``1 / (1 + D)``
for D distinct assignments: with fewer than ``1/alpha - 1`` of them (19 at 5 %; 3 treated
among 5 donors give 10) no p reaches alpha, the test cannot reject and the interval is the
whole line, which the result says with ``PoolStatus.TOO_SMALL``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from itertools import combinations, permutations
from typing import Literal

import numpy as np

Alternative = Literal["two-sided", "less", "greater"]
QUANTILES = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)


class PoolStatus(Enum):
    """How meaningful the permutation p-value can be with this comparison pool."""

    #: at least 100 distinct assignments
    OK = "ok"
    #: p can reach alpha, but with fewer than 100 distinct assignments it moves in coarse steps
    COARSE = "coarse"
    #: fewer than 1/alpha - 1 distinct assignments: the smallest p, 1/(1+D), is above alpha
    TOO_SMALL = "too_small"


@dataclass(frozen=True)
class Assignments:
    """Placebo starts per donor (B x donors; 0 = not treated), how many distinct assignments
    exist, and whether all of them were used."""

    starts: np.ndarray
    distinct: int
    exhaustive: bool


def distinct_assignments(donors: int, starts: np.ndarray) -> int:
    """Distinct ways to give the treated areas' starts to as many donors, leaving at least one
    donor untreated (without one, no comparison is left in a placebo panel)."""
    k = len(starts)
    if k >= donors:
        return 0
    ways = math.comb(donors, k) * math.factorial(k)
    for count in Counter(starts.tolist()).values():
        ways //= math.factorial(count)
    return ways


def assignments(donors: int, starts: np.ndarray, limit: int,
                rng: np.random.Generator) -> Assignments:
    """All distinct placebo assignments if at most ``limit``, else ``limit`` random ones."""
    starts = np.sort(np.asarray(starts, dtype=int))
    k = len(starts)
    total = distinct_assignments(donors, starts)
    if total == 0:
        return Assignments(np.zeros((0, donors), dtype=int), 0, True)
    if total <= limit:
        orders = sorted(set(permutations(starts.tolist())))
        rows = [(subset, order) for subset in combinations(range(donors), k) for order in orders]
        out = np.zeros((len(rows), donors), dtype=int)
        for b, (subset, order) in enumerate(rows):
            out[b, list(subset)] = order
        return Assignments(out, total, True)
    picks = np.argsort(rng.random((limit, donors)), axis=1)[:, :k]
    out = np.zeros((limit, donors), dtype=int)
    np.put_along_axis(out, picks, starts[None, :], axis=1)
    return Assignments(out, total, False)


def pool_status(distinct: int, alpha: float) -> PoolStatus:
    if 1 / (1 + distinct) > alpha + 1e-12:
        return PoolStatus.TOO_SMALL
    return PoolStatus.COARSE if distinct < 100 else PoolStatus.OK


def p_value(estimate: float, placebo: np.ndarray, alternative: Alternative) -> float:
    """Permutation p with the +1 correction (the real assignment counts as one)."""
    tol = 1e-12 * max(1.0, abs(estimate))
    if alternative == "two-sided":
        hits = np.abs(placebo) >= abs(estimate) - tol
    elif alternative == "less":
        hits = placebo <= estimate + tol
    else:
        hits = placebo >= estimate - tol
    return float((1 + hits.sum()) / (1 + len(placebo)))


def interval(estimate: float, placebo: np.ndarray, alpha: float,
             alternative: Alternative) -> tuple[float, float]:
    """All tau0 the permutation test does not reject at ``alpha`` (test inversion).

    tau0 is kept when ``(1 + m) / (1 + B) > alpha``, m the placebos at least as extreme as
    ``estimate - tau0``: that is m >= m*, so tau0 lies within the m*-th most extreme placebo.
    """
    size = len(placebo)
    need = math.floor(alpha * (1 + size) - 1 + 1e-12) + 1  # m*
    if need <= 0:
        return (-math.inf, math.inf)
    if alternative == "two-sided":
        bound = float(np.sort(np.abs(placebo))[::-1][need - 1])
        return (estimate - bound, estimate + bound)
    if alternative == "less":  # reject small (negative) values: an upper bound on the effect
        return (-math.inf, estimate - float(np.sort(placebo)[need - 1]))
    return (estimate - float(np.sort(placebo)[::-1][need - 1]), math.inf)


def quantiles(placebo: np.ndarray) -> dict[float, float]:
    """The placebo distribution as quantiles (never per donor area)."""
    if len(placebo) == 0:
        return {q: math.nan for q in QUANTILES}
    return {q: float(np.quantile(placebo, q)) for q in QUANTILES}
