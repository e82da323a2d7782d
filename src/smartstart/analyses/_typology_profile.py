"""The profile table: per type, each factor level's count and share against the rest of the target
group and against the municipality, and each number's mean; plus what stands out.

Distinctiveness is one measure for both kinds of factor: Cliff's delta of the type against the
rest of the target group, P(type > rest) - P(type < rest). For a category level (in it or not)
that is exactly the difference of the two shares; for a number it is the rank-based analogue
(2 * AUC - 1, from the Mann-Whitney U statistic). A level *stands out* when it is relatively more
common in the type (delta >= ``STANDOUT_DELTA``, Romano's "medium" effect, and at least
``STANDOUT_RATIO`` times the rest's share); a number stands out when |delta| >= the same threshold
(higher or lower). Every cell carries its count (households with the level, or with a known
value) and its base, so a disclosure gate can check it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

from smartstart.analyses._common import FactorInfo, lower_first
from smartstart.analyses._labels import LEVELS, level_label
from smartstart.analyses._typology_data import level_text

STANDOUT_DELTA = 0.33
STANDOUT_RATIO = 1.5

#: Labels of the "no" level of binary factors (the "yes" level is the factor's own label).
NO_LABELS: dict[str, tuple[str, str]] = {
    "adult_works": ("geen volwassene met werk", "no adult in work"),
    "rent_allowance": ("geen huurtoeslag", "no rent allowance"),
    "debt_restructuring": ("geen schuldsanering", "no debt restructuring"),
    "wmo_support": ("geen Wmo-ondersteuning", "no WMO care support"),
    "child_youth_care": ("geen kind met jeugdhulp", "no child in youth care"),
}


@dataclass(frozen=True)
class Groups:
    """The three groups one profile row compares: the type, the rest of the target group and
    the municipality (None when only the target group was given)."""

    type_: pd.Series
    rest: pd.Series
    municipality: pd.Series | None


def labels_of(info: FactorInfo, level: str) -> tuple[str, str]:
    """Dutch and English label of one level of a factor."""
    if info.type == "binary" and info.name not in LEVELS:
        if level == "True":
            return lower_first(info.nl), lower_first(info.en)
        no = NO_LABELS.get(info.name)
        return no if no else (f"geen {lower_first(info.nl)}", f"not {lower_first(info.en)}")
    if level in LEVELS.get(info.name, {}):
        return level_label(info.name, level, "nl"), level_label(info.name, level, "en")
    return f"{lower_first(info.nl)} {level}", f"{lower_first(info.en)} {level}"


def _level_rows(info: FactorInfo, groups: Groups, levels: list[str]) -> list[dict]:
    mine, rest = level_text(groups.type_), level_text(groups.rest)
    town = level_text(groups.municipality) if groups.municipality is not None else None
    rows = []
    for level in levels:
        nl, en = labels_of(info, level)
        row = {"kind": "level", "level": level, "level_nl": nl, "level_en": en}
        row |= _counts("", mine, level) | _counts("rest_", rest, level)
        row |= _counts("municipality_", town, level)
        row["delta"] = row["share"] - row["rest_share"]
        rows.append(row)
    return rows


def _counts(prefix: str, values: pd.Series | None, level: str) -> dict[str, float]:
    if values is None:
        return {f"{prefix}count": np.nan, f"{prefix}n": np.nan, f"{prefix}share": np.nan}
    known = values.dropna()
    count, n = int((known == level).sum()), len(known)
    return {f"{prefix}count": count, f"{prefix}n": n, f"{prefix}share": count / n if n else np.nan}


def _numbers(series: pd.Series | None) -> np.ndarray:
    if series is None:
        return np.array([])
    return series.astype("Float64").dropna().to_numpy(dtype=float)


def _numeric_row(info: FactorInfo, groups: Groups) -> dict:
    mine, rest = _numbers(groups.type_), _numbers(groups.rest)
    town = _numbers(groups.municipality)
    row = {"kind": "numeric", "level": "", "level_nl": lower_first(info.nl),
           "level_en": lower_first(info.en), "count": len(mine), "n": len(mine),
           "rest_count": len(rest), "rest_n": len(rest),
           "municipality_count": len(town) if groups.municipality is not None else np.nan,
           "municipality_n": len(town) if groups.municipality is not None else np.nan}
    for prefix, values in (("", mine), ("rest_", rest), ("municipality_", town)):
        row[f"{prefix}mean"] = values.mean() if len(values) else np.nan
        row[f"{prefix}sd"] = values.std(ddof=1) if len(values) > 1 else np.nan
    row["delta"] = cliffs_delta(mine, rest)
    return row


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """P(a > b) - P(a < b) over all pairs (NaN when a group is empty)."""
    if not len(a) or not len(b):
        return np.nan
    u = mannwhitneyu(a, b, alternative="two-sided", method="asymptotic").statistic
    return float(2.0 * u / (len(a) * len(b)) - 1.0)


def factor_rows(info: FactorInfo, groups: Groups, levels: list[str]) -> list[dict]:
    if info.type in ("binary", "category"):
        rows = _level_rows(info, groups, levels)
    else:
        rows = [_numeric_row(info, groups)]
    return [{"factor": info.name, "factor_nl": info.nl, "factor_en": info.en} | r for r in rows]


def profile(target: pd.DataFrame, types: pd.Series, infos: list[FactorInfo],
            municipality: pd.DataFrame | None) -> pd.DataFrame:
    """The long profile table for every type in ``types`` (aligned with ``target``; NA =
    withheld household, counted in the rest of the target group only)."""
    rows = []
    for t in sorted(types.dropna().unique()):
        inside = (types == t).to_numpy(dtype=bool, na_value=False)
        for info in infos:
            town = municipality[info.name] if municipality is not None else None
            groups = Groups(target[info.name][inside], target[info.name][~inside], town)
            levels = sorted(level_text(target[info.name]).dropna().unique())
            rows += [{"type": int(t)} | r for r in factor_rows(info, groups, levels)]
    return _finish(pd.DataFrame(rows))


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    for col in ("mean", "sd", "rest_mean", "rest_sd", "municipality_mean", "municipality_sd",
                "share", "rest_share", "municipality_share"):
        if col not in table:
            table[col] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        table["ratio_rest"] = table["share"] / table["rest_share"]
        table["ratio_municipality"] = table["share"] / table["municipality_share"]
    level = table["kind"] == "level"
    table["standout"] = np.where(
        level, (table["delta"] >= STANDOUT_DELTA) & (table["ratio_rest"] >= STANDOUT_RATIO),
        table["delta"].abs() >= STANDOUT_DELTA)
    table["direction"] = np.select(
        [table["delta"] >= STANDOUT_DELTA, table["delta"] <= -STANDOUT_DELTA],
        ["higher", "lower"], "similar")
    counts = [c for c in table if c.endswith(("count", "_n")) or c == "n"]
    table[counts] = table[counts].astype("Int64")
    return table.reset_index(drop=True)
