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
from smartstart.analyses._labels import level_label, levels
from smartstart.analyses._typology_data import level_text
from smartstart.features import factors

STANDOUT_DELTA = 0.33
STANDOUT_RATIO = 1.5

COLUMNS = ["type", "factor", "factor_nl", "factor_en", "kind", "level", "level_nl", "level_en",
           "count", "n", "share", "mean", "sd", "rest_count", "rest_n", "rest_share", "rest_mean",
           "rest_sd", "municipality_count", "municipality_n", "municipality_share",
           "municipality_mean", "municipality_sd", "delta", "ratio_rest", "ratio_municipality",
           "standout", "direction"]


@dataclass(frozen=True)
class Groups:
    """The values of one factor in the three groups a profile row compares: the type, the rest
    of the target group and the municipality (None when only the target group was given).
    Category levels as text (None = missing), numbers as floats (NaN = missing)."""

    type_: np.ndarray
    rest: np.ndarray
    municipality: np.ndarray | None


def labels_of(info: FactorInfo, level: str) -> tuple[str, str]:
    """Dutch and English label of one level of a factor."""
    known = levels(info.name)
    if info.type == "binary" and not known:
        if level == "True":
            return lower_first(info.nl), lower_first(info.en)
        no = _label_no(info.name)
        return no if no else (f"geen {lower_first(info.nl)}", f"not {lower_first(info.en)}")
    if level in known:
        return level_label(info.name, level, "nl"), level_label(info.name, level, "en")
    return f"{lower_first(info.nl)} {level}", f"{lower_first(info.en)} {level}"


def _label_no(name: str) -> tuple[str, str] | None:
    """The library's label of a binary factor's "no" level ("geen huurtoeslag"), if any."""
    found = next((units[name] for units in factors().values() if name in units), None)
    words = found.label_no if found is not None else None
    return (words.nl, words.en) if words is not None else None


def _level_rows(info: FactorInfo, groups: Groups, levels: list[str]) -> list[dict]:
    rows = []
    for level in levels:
        nl, en = labels_of(info, level)
        row = {"kind": "level", "level": level, "level_nl": nl, "level_en": en}
        row |= _counts("", groups.type_, level) | _counts("rest_", groups.rest, level)
        row |= _counts("municipality_", groups.municipality, level)
        row["delta"] = row["share"] - row["rest_share"]
        rows.append(row)
    return rows


def _counts(prefix: str, values: np.ndarray | None, level: str) -> dict[str, float]:
    if values is None:
        return {f"{prefix}count": np.nan, f"{prefix}n": np.nan, f"{prefix}share": np.nan}
    count, n = int((values == level).sum()), int(pd.notna(values).sum())
    return {f"{prefix}count": count, f"{prefix}n": n, f"{prefix}share": count / n if n else np.nan}


def _numeric_row(info: FactorInfo, groups: Groups) -> dict:
    town = groups.municipality
    mine, rest = groups.type_[~np.isnan(groups.type_)], groups.rest[~np.isnan(groups.rest)]
    town = town[~np.isnan(town)] if town is not None else None
    row = {"kind": "numeric", "level": "", "level_nl": lower_first(info.nl),
           "level_en": lower_first(info.en), "count": len(mine), "n": len(mine),
           "rest_count": len(rest), "rest_n": len(rest),
           "municipality_count": len(town) if town is not None else np.nan,
           "municipality_n": len(town) if town is not None else np.nan}
    for prefix, values in (("", mine), ("rest_", rest), ("municipality_", town)):
        known = values is not None and len(values) > 0
        row[f"{prefix}mean"] = values.mean() if known else np.nan
        row[f"{prefix}sd"] = values.std(ddof=1) if known and len(values) > 1 else np.nan
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


def _values(info: FactorInfo, column: pd.Series) -> np.ndarray:
    if info.type in ("binary", "category"):
        return level_text(column).to_numpy(dtype=object)
    return column.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def profile(target: pd.DataFrame, types: pd.Series, infos: list[FactorInfo],
            municipality: pd.DataFrame | None) -> pd.DataFrame:
    """The long profile table for every type in ``types`` (aligned with ``target``; NA =
    withheld household, counted in the rest of the target group only)."""
    rows = []
    numbers = sorted(int(t) for t in types.dropna().unique())
    inside = {t: (types == t).to_numpy(dtype=bool, na_value=False) for t in numbers}
    for info in infos:
        values = _values(info, target[info.name])
        town = _values(info, municipality[info.name]) if municipality is not None else None
        levels = sorted({v for v in values if v is not None}) \
            if info.type in ("binary", "category") else []
        for t in numbers:
            groups = Groups(values[inside[t]], values[~inside[t]], town)
            rows += [{"type": t} | r for r in factor_rows(info, groups, levels)]
    if not rows:
        return pd.DataFrame(columns=COLUMNS)
    table = _finish(pd.DataFrame(rows))
    return table.sort_values("type", kind="stable").reset_index(drop=True)[COLUMNS]


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
