"""The effect engine's spec and the parts of its results (frozen values, no numerics)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from smartstart.analyses._effect_perm import Alternative, Assignments, PoolStatus, pool_status

Estimator = Literal["imputation", "twfe"]


@dataclass(frozen=True)
class EffectSpec:
    """How the effect is estimated and tested; written in the evaluation plan before the
    results are seen.

    ``alternative``: ``two-sided`` (default), ``less`` (the intervention lowers the rate) or
    ``greater``. ``permutations``: all distinct placebo assignments are used when there are at
    most this many, else this many at random. ``placebo_shift``: years the start is moved back
    for the placebo in time. ``synthetic``: also estimate synthetic DiD as a second opinion
    (one common start only), tested with ``synthetic_permutations`` placebos (each one is an
    optimisation, so fewer than for the fixed-effects estimators). ``power`` and
    ``replications``: the minimum detectable effect's target power and simulated futures.
    """

    estimator: Estimator = "imputation"
    alternative: Alternative = "two-sided"
    alpha: float = 0.05
    permutations: int = 5000
    placebo_shift: int = 2
    synthetic: bool = True
    synthetic_permutations: int = 500
    power: float = 0.8
    replications: int = 1000
    seed: int = 0

    def __post_init__(self) -> None:
        problems = []
        if self.estimator not in ("imputation", "twfe"):
            problems.append(f"estimator must be imputation or twfe, not {self.estimator!r}")
        if self.alternative not in ("two-sided", "less", "greater"):
            problems.append(f"alternative must be two-sided, less or greater, "
                            f"not {self.alternative!r}")
        if not 0 < self.alpha < 0.5:
            problems.append("alpha must lie between 0 and 0.5")
        if min(self.permutations, self.synthetic_permutations) < 100:
            problems.append("at least 100 permutations are needed")
        if not 0.5 <= self.power < 1:
            problems.append("power must lie between 0.5 and 1")
        if self.replications < 100:
            problems.append("at least 100 replications are needed")
        if self.placebo_shift < 1:
            problems.append("placebo_shift must be at least 1 year")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class Estimate:
    """One estimator's effect (percentage points) with its permutation p and interval, and,
    where computed, the cluster-robust (CRV1 by area, t with G-1 df) ones beside it."""

    method: str
    estimate: float
    p_value: float
    ci: tuple[float, float]
    se_cluster: float = math.nan
    p_cluster: float = math.nan
    ci_cluster: tuple[float, float] = (math.nan, math.nan)


@dataclass(frozen=True)
class Inference:
    """The permutation's footing: assignments used, distinct ones possible, whether all were
    used, the smallest attainable p, and the pool's status."""

    assignments: int
    distinct: int
    exhaustive: bool
    min_p: float
    status: PoolStatus
    alternative: Alternative
    alpha: float


@dataclass(frozen=True)
class PreTrend:
    """The leads (event times < -1) tested jointly on the years before the start: the
    permutation p of the leads' Wald form (placebos over all areas) and the CRV1 Wald test's p
    (F with L and G-1 df), for comparison only: it over-rejects with few treated areas."""

    leads: int
    p_permutation: float
    p_cluster: float


def inference_of(draw: Assignments, spec: EffectSpec) -> Inference:
    """The permutation's footing for these placebo assignments."""
    return Inference(len(draw.starts), draw.distinct, draw.exhaustive,
                     1 / (1 + min(draw.distinct, len(draw.starts))),
                     pool_status(draw.distinct, spec.alpha), spec.alternative, spec.alpha)
