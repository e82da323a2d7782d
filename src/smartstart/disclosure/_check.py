"""The result of one rule on one output: status, a summary, and a mask shaped like the table."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from smartstart.disclosure._options import Rule, Status


@dataclass(frozen=True, eq=False)
class CheckResult:
    """``mask`` has the table's shape; True marks a cell that breaks ``rule``.

    ``details`` holds the limits and flags behind the verdict, so tests and the checker compare
    numbers, not sentences; never a cell's value (the record leaves with the output).
    """

    rule: Rule
    status: Status
    summary: str
    mask: pd.DataFrame
    details: Mapping[str, float | int | bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mask", self.mask.astype(bool).copy())
        object.__setattr__(self, "details", dict(self.details))

    @property
    def cells(self) -> int:
        """How many cells break the rule."""
        return int(self.mask.to_numpy().sum())

    def flagged(self) -> list[tuple[Hashable, ...]]:
        """Row and column labels of every flagged cell."""
        stacked = self.mask.stack(list(range(self.mask.columns.nlevels)))
        return [_as_tuple(key) for key in stacked.index[stacked.to_numpy()]]

    def to_dict(self) -> dict:
        return {"rule": self.rule, "status": self.status, "summary": self.summary,
                "cells": self.cells, "flagged": [[_plain(v) for v in key]
                                                 for key in self.flagged()],
                "details": {k: _plain(v) for k, v in self.details.items()}}


def result(rule: Rule, mask: pd.DataFrame, summary: str, failing: Status = "fail",
           **details: float | int | bool) -> CheckResult:
    """``failing`` when any cell is flagged, else pass."""
    status: Status = failing if bool(np.asarray(mask, dtype=bool).any()) else "pass"
    return CheckResult(rule, status, summary, mask, details)


def as_frame(table: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """A Series becomes a one-column frame, so every mask is a DataFrame."""
    return table.to_frame() if isinstance(table, pd.Series) else table


def _as_tuple(key: object) -> tuple[Hashable, ...]:
    return key if isinstance(key, tuple) else (key,)


def _plain(value: object) -> object:
    """JSON-friendly scalars (numpy numbers, NaN -> None, anything else -> str)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    return value if isinstance(value, str) or value is None else str(value)
