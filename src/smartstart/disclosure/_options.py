"""Allowed option values (one place) and the disclosure settings every check reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Status = Literal["pass", "fail", "review"]
Rule = Literal[
    "threshold",        # count cell below min_cell
    "zeros",            # empty cell, when zeros are disclosive
    "shares",           # numerator, denominator or complement of a share below min_cell
    "contributors",     # magnitude, mean or median cell with fewer than min_cell contributors
    "dominance",        # top n contributors hold >= k of the cell total
    "p_ratio",          # second-largest contributor can estimate the largest within p
    "negative",         # negative contributions: dominance undefined
    "min_max",          # minima and maxima are never released
    "dof",              # residual degrees of freedom below min_dof
    "category_cases",   # too few cases per category x outcome in a regression
    "separation",       # perfect or quasi-separation, or fitted probabilities at 0 or 1
    "convergence",      # the model did not converge
    "cluster_size",     # cluster smaller than min_cell
    "linking_keys",     # a column or value that looks like a CBS linking key
    "derived",          # a statistic published while a count it rests on is suppressed
    "nested",           # two published groups differ by fewer than min_cell (differencing)
    "protection",       # a suppressed cell can be narrowed down from the published cells
]
Reason = Literal["primary", "secondary"]
Cost = Literal["value", "unity"]
Method = Literal["auto", "optimal", "sequential", "fast"]
Labels = Literal["small", "uniform"]  # "<10" for primary count cells and "x" for others, or "x"
Statistic = Literal["mean", "median"]
Kind = Literal["table", "shares", "magnitude", "means", "extremes", "regression", "clusters",
               "areas", "frame"]

STATUS_ORDER: dict[Status, int] = {"pass": 0, "review": 1, "fail": 2}


@dataclass(frozen=True)
class Settings:
    """CBS defaults; any object with these attributes (e.g. ``pilot.DisclosureSettings``) works."""

    min_cell: int = 10
    min_dof: int = 10
    dominance_n: int = 2
    dominance_k: float = 0.9
    p_ratio: float = 0.1
    zeros_disclosive: bool = False

    def __post_init__(self) -> None:
        if self.min_cell < 1 or self.min_dof < 1 or self.dominance_n < 1:
            raise ValueError("min_cell, min_dof and dominance_n must be at least 1")
        if not (0 < self.dominance_k <= 1 and 0 < self.p_ratio < 1):
            raise ValueError("dominance_k must be in (0, 1] and p_ratio in (0, 1)")

    def to_dict(self) -> dict[str, float | int | bool]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def settings_of(settings: object | None = None) -> Settings:
    """Read the six settings from any object; missing attributes take the CBS default."""
    if isinstance(settings, Settings):
        return settings
    if settings is None:
        return Settings()
    defaults = Settings()
    values = {name: getattr(settings, name, getattr(defaults, name))
              for name in Settings.__dataclass_fields__}
    return Settings(**values)


def too_narrow(lower, upper, settings: object | None = None):
    """Whether a small cell's attacker interval says more than its label: it must reach 1 (0
    when zeros are disclosive) and ``min_cell - 1``. Works on numbers and arrays."""
    s = settings_of(settings)
    floor = 0.0 if s.zeros_disclosive else 1.0
    return (np.asarray(lower) > floor + 1e-6) | (np.asarray(upper) < s.min_cell - 1 - 1e-6)


def worst(statuses: list[Status] | tuple[Status, ...]) -> Status:
    """The most severe status: fail > review > pass (pass when empty)."""
    return max(statuses, key=STATUS_ORDER.__getitem__, default="pass")
