"""The verdict on one output for the human checker: status, rule results, suppressed cells.

The record travels with the output (``disclosure_log.json`` in the bundle), so its default
view, ``to_dict()``, holds nothing the published table does not already give away: per rule
its status as published, per suppressed cell its labels, primary or secondary, and the
attacker's interval computed from the published cells alone. Which rule hit which cell, cell
counts and costs could narrow a suppressed cell down (a cell under ``zeros`` is empty), so they
are only in ``to_dict(detail=True)``, for the checker's eyes inside the secure environment.
Protection assumes the attacker knows which cells are primary, as this record tells.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from smartstart.disclosure._check import CheckResult, _plain
from smartstart.disclosure._options import Kind, Reason, Settings, Status, settings_of, worst
from smartstart.disclosure._protect import ProtectedTable

CELL_RULES = frozenset({"threshold", "zeros", "contributors", "dominance", "p_ratio"})


@dataclass(frozen=True)
class SuppressedCell:
    """One suppressed cell, why, and the attacker's interval for it from the published table
    (None when the published cells are rounded: the exact ones are not public)."""

    cell: tuple[Hashable, ...]
    reason: Reason
    rules: tuple[str, ...]
    lower: float | None
    upper: float | None

    def to_dict(self, detail: bool = False) -> dict:
        upper = None if self.upper is None or np.isinf(self.upper) else _plain(self.upper)
        public = {"cell": [_plain(v) for v in self.cell], "reason": self.reason,
                  "lower": _plain(self.lower), "upper": upper,
                  "unbounded": self.upper is not None and bool(np.isinf(self.upper))}
        return public | ({"rules": list(self.rules)} if detail else {})


@dataclass(frozen=True, eq=False)
class OutputRecord:
    """``status`` is the verdict on the output as published: a rule whose failing cells are all
    suppressed counts as passed (``resolved``)."""

    name: str
    kind: Kind
    status: Status
    checks: tuple[CheckResult, ...]
    resolved: tuple[str, ...] = ()
    suppressed: tuple[SuppressedCell, ...] = ()
    settings: Settings = field(default_factory=Settings)
    protection: Mapping[str, object] = field(default_factory=dict)
    #: every blank cell of a published result frame and its label: (row position, column,
    #: "<10" for a primary count cell, "x" for any other suppressed value)
    shown: tuple[tuple[int, str, str], ...] = ()

    def published_status(self, check: CheckResult) -> Status:
        return "pass" if check.rule in self.resolved else check.status

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: raw status, flagged cells, resolved by suppression (detail view)."""
        return pd.DataFrame({"rule": [c.rule for c in self.checks],
                             "status": [c.status for c in self.checks],
                             "cells": [c.cells for c in self.checks],
                             "resolved": [c.rule in self.resolved for c in self.checks],
                             "published": [self.published_status(c) for c in self.checks]})

    def to_dict(self, detail: bool = False) -> dict:
        """JSON-ready (``json.dumps`` works on it as is); safe to export unless ``detail``."""
        checks = [c.to_dict() | {"resolved": c.rule in self.resolved} if detail else
                  {"rule": c.rule, "status": self.published_status(c)} for c in self.checks]
        protection = {k: _plain(v) for k, v in self.protection.items()
                      if detail or k != "cost"}
        return {"name": self.name, "kind": self.kind, "status": self.status,
                "settings": self.settings.to_dict(), "checks": checks,
                "suppressed": [cell.to_dict(detail) for cell in self.suppressed],
                "protection": protection,
                "shown": [[row, column, label] for row, column, label in self.shown]}


def record(name: str, checks: Sequence[CheckResult] = (), kind: Kind = "table",
           settings: object | None = None, protected: ProtectedTable | None = None
           ) -> OutputRecord:
    """Bundle the checks of one output (and its protection and its rules' checks, if any)."""
    checks = tuple(checks) + (protected.checks if protected is not None else ())
    resolved = tuple(sorted({c.rule for c in checks if _resolved(c, protected)}))
    status = worst([("pass" if c.rule in resolved else c.status) for c in checks])
    s = protected.settings if protected is not None else settings_of(settings)
    if protected is None:
        return OutputRecord(name, kind, status, checks, resolved, settings=s)
    return OutputRecord(name, kind, status, checks, resolved, _cells(protected), s,
                        {**protected.protection, "method": protected.pattern.method,
                         "cost": protected.pattern.cost, "rounding_base": protected.base,
                         "secondary": int(protected.pattern.secondary.sum())})


def _resolved(check: CheckResult, protected: ProtectedTable | None) -> bool:
    if protected is None or check.status != "fail" or check.rule not in CELL_RULES:
        return False
    full = protected.table.to_frame()
    if check.mask.shape != full.shape or not check.mask.index.equals(full.index):
        return False
    flagged = check.mask.to_numpy().reshape(protected.table.shape)
    return bool(protected.suppressed[flagged].all())


def _cells(protected: ProtectedTable) -> tuple[SuppressedCell, ...]:
    intervals = None if protected.base else protected.intervals()
    pattern = protected.pattern
    cells = []
    for position in np.argwhere(pattern.suppressed):
        at = tuple(position)
        rules = tuple(r for r in str(protected.reasons[at]).split(",") if r)
        low, high = ((None, None) if intervals is None
                     else (float(intervals.lower[at]), float(intervals.upper[at])))
        cells.append(SuppressedCell(protected.table.cell(at),
                                    "primary" if pattern.primary[at] else "secondary", rules,
                                    low, high))
    return tuple(cells)
