"""Shared pieces of the analyses: option aliases, intervals, factor metadata and wording."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from smartstart.features import factors

Unit = Literal["household", "child"]
FactorType = Literal["binary", "count", "numeric", "category"]
Lang = Literal["nl", "en"]
DurationUnit = Literal["days", "months"]
ConfirmMethod = Literal["bootstrap", "none"]
RankBy = Literal["p_value", "lift_low"]
Direction = Literal["higher", "lower", "similar"]

Z95 = float(stats.norm.ppf(0.975))
#: Attributes that are audited, never used as predictors unless explicitly allowed.
SENSITIVE: frozenset[str] = frozenset({"sex", "migration_background"})
#: Columns that identify rows; never a factor.
KEYS: frozenset[str] = frozenset({"household_id", "RINPERSOONS", "RINPERSOON"})


@dataclass(frozen=True)
class FactorInfo:
    name: str
    type: FactorType
    nl: str
    en: str


def sensitive_attributes(unit: Unit = "child") -> frozenset[str]:
    """Sex plus every factor the library marks audit-only."""
    audit = {name for name, f in factors().get(unit, {}).items() if f.audit_only}
    return SENSITIVE | audit


def factor_info(name: str, unit: Unit, column: pd.Series | None = None) -> FactorInfo:
    """Library metadata of a factor, or a description inferred from the column's dtype."""
    lib = factors().get(unit, {})
    if name in lib:
        f = lib[name]
        return FactorInfo(name, f.type, f.nl, f.en)  # type: ignore[arg-type]
    if name == "outcome":  # the pilot's outcome (its words are in the bundle's manifest)
        return FactorInfo(name, "binary", "Uitkomst", "Outcome")
    kind: FactorType = "category"
    if column is not None:
        if pd.api.types.is_bool_dtype(column.dtype):
            kind = "binary"
        elif pd.api.types.is_numeric_dtype(column.dtype):
            kind = "numeric"
    return FactorInfo(name, kind, name, name)


def wilson(count: Iterable[float] | float, n: Iterable[float] | float,
           z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for count/n (NaN where n == 0)."""
    x = np.asarray(count, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = (x + z * z / 2) / (m + z * z)
        half = z * np.sqrt(x * (m - x) / m + z * z / 4) / (m + z * z)
        low, high = centre - half, centre + half
    empty = m <= 0
    return np.where(empty, np.nan, low), np.where(empty, np.nan, high)


def mean_interval(mean: float, sd: float, n: int) -> tuple[float, float]:
    """Student-t 95 % interval of a mean (NaN for fewer than two values)."""
    if n < 2:
        return np.nan, np.nan
    half = stats.t.ppf(0.975, n - 1) * sd / np.sqrt(n)
    return mean - half, mean + half


def smd_share(p1: float, p2: float) -> float:
    """Standardised difference of two proportions (pooled-variance denominator); without
    variance (each 0 % or 100 %) 0 when equal, else undefined (NaN): 100 % against 0 % is no
    "similar" (the profile then reads the direction off the difference)."""
    pooled = np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2)
    if not np.isfinite(pooled):
        return np.nan
    return float((p1 - p2) / pooled) if pooled > 0 else (0.0 if p1 == p2 else np.nan)


def smd_mean(m1: float, s1: float, m2: float, s2: float) -> float:
    """As ``smd_share`` for means with standard deviations ``s1``, ``s2``."""
    pooled = np.sqrt((s1 * s1 + s2 * s2) / 2)
    if not np.isfinite(pooled):
        return np.nan
    return float((m1 - m2) / pooled) if pooled > 0 else (0.0 if m1 == m2 else np.nan)


def as_bool(column: pd.Series) -> pd.Series:
    """A boolean-like column as a nullable boolean (codes '0'/'1' accepted)."""
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("boolean")
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.astype("Float64").ne(0).astype("boolean").mask(column.isna())
    text = column.astype("string").str.strip().str.lower()
    mapped = text.map({"1": True, "true": True, "0": False, "false": False})
    return mapped.astype("boolean")


#: Names that keep their capital inside a phrase.
PROPER = frozenset({"Wmo", "Wsnp", "Halt", "WMO", "CBS"})


def lower_first(label: str) -> str:
    """'Eenouderhuishouden' -> 'eenouderhuishouden'; 'Wmo-ondersteuning', 'WMO ...' stay.

    A note on audit use ('(alleen audit)', '(audit only)') is dropped: phrases describe.
    """
    label = label.replace(" (alleen audit)", "").replace(" (audit only)", "")
    head = label.replace("-", " ").split(" ", 1)[0]
    if not label or head in PROPER or head.isupper():
        return label
    return label[0].lower() + label[1:]


def require_columns(table: pd.DataFrame, names: Iterable[str]) -> None:
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise KeyError(f"columns not in the table: {', '.join(missing)}")
