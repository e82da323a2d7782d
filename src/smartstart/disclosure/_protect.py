"""Protect a table: primary suppression by the rules, secondary suppression, labels, rounding.

Protection levels (how far the attacker must stay from a primary cell of value ``a``):

* count tables: ``protection`` (default ``min_cell``) on both sides, so the attacker's interval
  must reach ``a - protection`` (or 0) and ``a + protection``. The attacker is taken to know
  which suppressed cells are primary (the record says so, and with ``labels="small"``, the
  default and Dutch practice, the labels do: ``<10`` for primary cells, ``x`` for the others):
  a primary cell is at most 9 and any other suppressed cell at least 10 (empty cells are never
  used as secondary suppressions). The levels are capped by that, so with the default level the
  attacker learns nothing beyond ``<10``: each primary cell's interval is ``[0, 9]``.
  ``labels="uniform"`` shows every suppressed cell as ``x`` (display only).
* magnitude tables: per cell the margin the failing rule demands (p % rule
  ``p x1 - (X - x1 - x2)``, NK rule ``(x1 + ... + xn) / k - X``, too few contributors ``p X``),
  at least 1; all suppressed cells are shown as ``x``.

Rounding (``base``) is applied to the published cells after suppression: each is rounded to the
nearest multiple of ``base`` (halves up). Published totals then no longer add up exactly, and
the attacker only learns intervals for them, so protection proven on the exact values holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from smartstart.disclosure._attack import Intervals, attack
from smartstart.disclosure._check import CheckResult
from smartstart.disclosure._frequency import check_counts, small
from smartstart.disclosure._magnitude import (
    Contributions,
    check_magnitude,
    magnitude_masks,
    protection_levels,
)
from smartstart.disclosure._options import Cost, Labels, Method, Settings, settings_of
from smartstart.disclosure._suppress import Pattern, find_pattern
from smartstart.disclosure._table import Table

HIDDEN = "x"


@dataclass(frozen=True, eq=False)
class ProtectedTable:
    """A table ready to publish: which cells are suppressed, why, and what is shown."""

    table: Table
    pattern: Pattern
    checks: tuple[CheckResult, ...]
    reasons: np.ndarray  # per cell: the rules that made it primary, "" otherwise
    labels: np.ndarray  # per cell: what is published
    base: int | None
    settings: Settings
    protection: Mapping[str, object] = field(default_factory=dict)  # level and labels used

    @property
    def suppressed(self) -> np.ndarray:
        return self.pattern.suppressed

    @property
    def published(self) -> np.ndarray:
        """The values shown (rounded if a base is given); NaN where suppressed."""
        values = round_to_base(self.table.values, self.base) if self.base else self.table.values
        return np.where(self.suppressed, np.nan, values)

    def intervals(self) -> Intervals:
        """The attacker's intervals from the published cells alone (before rounding)."""
        exact = np.where(self.suppressed, np.nan, self.table.values)
        return attack(exact, self.suppressed, self.table, self.pattern.lower_bounds,
                      self.pattern.upper_bounds)

    def to_frame(self, labels: bool = False) -> pd.DataFrame:
        """The published table, wide like ``pd.crosstab(..., margins=True)``: numbers with NaN
        where suppressed, or (``labels``) the text shown, ``<10`` and ``x`` included."""
        return self.table.to_frame(self.labels if labels else self.published)

    def cells(self) -> pd.DataFrame:
        """One row per cell: true value, what is shown, status (published, primary, secondary)
        and rules. For the checker inside the secure environment only: it holds every value."""
        status = np.where(self.pattern.primary, "primary",
                          np.where(self.pattern.secondary, "secondary", "published"))
        long = self.table.to_long().to_frame("value")
        return long.assign(shown=self.labels.ravel(), status=status.ravel(),
                           rules=self.reasons.ravel())


def round_to_base(values: np.ndarray, base: int) -> np.ndarray:
    """Nearest multiple of ``base``, halves up (``base=5``: 12 -> 10, 13 -> 15)."""
    if base < 1:
        raise ValueError("the rounding base must be a positive integer")
    return np.floor(np.asarray(values, dtype=float) / base + 0.5) * base


def protect_counts(table: Table | pd.DataFrame | pd.Series, settings: object | None = None, *,
                   protection: float | None = None, labels: Labels = "small",
                   cost: Cost = "value", method: Method = "auto", base: int | None = None,
                   total: str = "All", fixed: np.ndarray | None = None) -> ProtectedTable:
    """Suppress count cells below ``min_cell`` (and zeros if disclosive), then protect them.

    ``fixed`` (shaped like the table, totals included): cells published in another output,
    so never chosen as secondary suppressions (linked tables).

    A pandas table is read by :meth:`Table.from_frame` with its totals labelled ``total``.
    """
    s = settings_of(settings)
    table = table if isinstance(table, Table) else Table.from_frame(table, total=total)
    primary = small(pd.DataFrame(table.values.ravel()), s).to_numpy().reshape(table.shape)
    level = float(s.min_cell if protection is None else protection)
    if labels not in ("small", "uniform"):
        raise ValueError(f"labels must be 'small' or 'uniform', got {labels!r}")
    low = np.where(primary, 0.0, float(s.min_cell))
    high = np.where(primary, s.min_cell - 1.0, np.inf)
    pattern = find_pattern(table.values, table.structure, primary, level, level, low, high,
                           cost=cost, method=method, fixed=fixed)
    checks = check_counts(table, s)
    reasons = _reasons(table, checks)
    shown = _labels(table.values, pattern, f"<{s.min_cell}" if labels == "small" else HIDDEN,
                    base)
    return ProtectedTable(table, pattern, checks, reasons, shown, base, s,
                          {"level": level, "labels": labels})


def protect_magnitude(data: pd.DataFrame, by: Sequence[str], value: str,
                      settings: object | None = None, *, unit: str | None = None,
                      cost: Cost = "value", method: Method = "auto",
                      base: int | None = None) -> ProtectedTable:
    """Sums of ``value``: suppress cells failing contributors, dominance or p-ratio, protect them.

    Negative contributions make the rules (and nonnegativity) undefined: those tables need a
    person's review and raise ``ValueError`` here.
    """
    s = settings_of(settings)
    cells = Contributions.of(data, by, value, s.dominance_n, unit)
    if cells.negative.any():
        raise ValueError("negative contributions: dominance is undefined, review by hand")
    masks = magnitude_masks(cells, s)
    primary = masks["contributors"] | masks["zeros"] | masks["dominance"] | masks["p_ratio"]
    levels = protection_levels(cells, s)
    pattern = find_pattern(cells.table.values, cells.table.structure, primary, levels, levels,
                           cost=cost, method=method)
    checks = check_magnitude(data, by, value, s, unit)
    shown = _labels(cells.table.values, pattern, HIDDEN, base)
    return ProtectedTable(cells.table, pattern, checks, _reasons(cells.table, checks), shown,
                          base, s, {"level": "rule", "labels": "uniform"})


def _labels(values: np.ndarray, pattern: Pattern, primary_label: str, base: int | None
            ) -> np.ndarray:
    shown = round_to_base(values, base) if base else values
    text = np.array([f"{v:.12g}" for v in shown.ravel()], dtype=object).reshape(values.shape)
    text[pattern.secondary] = HIDDEN
    text[pattern.primary] = primary_label
    return text


def _reasons(table: Table, checks: tuple[CheckResult, ...]) -> np.ndarray:
    """Per cell of the full table, the failing rules (comma-separated) from the check masks."""
    reasons = np.full(table.shape, "", dtype=object)
    full = table.to_frame()
    for check in checks:
        if check.status == "pass":
            continue
        flags = check.mask.reindex(index=full.index, columns=full.columns, fill_value=False)
        hit = flags.to_numpy().reshape(table.shape)
        reasons[hit] = np.where(reasons[hit] == "", check.rule, reasons[hit] + "," + check.rule)
    return reasons
