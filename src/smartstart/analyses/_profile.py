"""Profile: the target group against the rest and the whole municipality, factor by factor.

Shares (binary factors and category levels) get Wilson intervals, means a Student-t interval;
target vs rest is tested (two-proportion z-test, Welch t-test) and described by the
standardised difference and a short phrase in Dutch and English. Counts per cell (``n_*``,
``count_*``) are kept so that the disclosure gate can check every cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from smartstart.analyses._common import (
    KEYS,
    Direction,
    DurationUnit,
    FactorInfo,
    Unit,
    as_bool,
    factor_info,
    lower_first,
    mean_interval,
    require_columns,
    smd_mean,
    smd_share,
    wilson,
)
from smartstart.analyses._labels import level_label
from smartstart.features import factors

GROUPS = ("target", "rest", "all")
_PHRASES = {
    "share": {"nl": {"higher": "vaker {}", "lower": "minder vaak {}",
                     "similar": "ongeveer even vaak {}"},
              "en": {"higher": "more often {}", "lower": "less often {}",
                     "similar": "about as often {}"}},
    "mean": {"nl": {"higher": "{} gemiddeld hoger", "lower": "{} gemiddeld lager",
                    "similar": "{} gemiddeld vergelijkbaar"},
             "en": {"higher": "higher {} on average", "lower": "lower {} on average",
                    "similar": "similar {} on average"}},
}


@dataclass(frozen=True)
class ProfileSpec:
    """Which unit, which group column, which factors (None: every library factor present)."""

    unit: Unit = "household"
    target: str = "target_group"
    factors: tuple[str, ...] | None = None
    #: a difference is described as higher/lower when |standardised difference| >= min_smd
    #: and the target-vs-rest test has p < alpha
    min_smd: float = 0.1
    alpha: float = 0.05
    label_nl: str = "doelgroep"
    label_en: str = "target group"


@dataclass(frozen=True)
class ProfileResult:
    spec: ProfileSpec
    table: pd.DataFrame = field(repr=False)
    n: dict[str, int]

    def to_frame(self) -> pd.DataFrame:
        """One row per factor (or category level); columns per group and comparison."""
        return self.table.copy()

    def phrases(self, lang: str = "nl", limit: int | None = None) -> list[str]:
        """Phrases of the clear differences, largest standardised difference first, once each."""
        rows = self.table[self.table["direction"].isin(["higher", "lower"])]
        rows = rows.reindex(rows["smd_rest"].abs().sort_values(ascending=False).index)
        return list(dict.fromkeys(rows[f"phrase_{lang}"]))[:limit]


def profile(table: pd.DataFrame, spec: ProfileSpec | None = None) -> ProfileResult:
    """Compare the rows with ``spec.target`` true against the rest and against all rows."""
    spec = spec or ProfileSpec()
    require_columns(table, [spec.target])
    target = as_bool(table[spec.target]).fillna(False).to_numpy(dtype=bool)
    masks = {"target": target, "rest": ~target, "all": np.ones(len(table), dtype=bool)}
    rows: list[dict] = []
    for name in _factor_names(table, spec):
        info = factor_info(name, spec.unit, table[name])
        rows.extend(_factor_rows(table[name], info, masks, spec))
    frame = pd.DataFrame(rows)
    return ProfileResult(spec, frame, {g: int(m.sum()) for g, m in masks.items()})


def _factor_names(table: pd.DataFrame, spec: ProfileSpec) -> list[str]:
    if spec.factors is not None:
        require_columns(table, spec.factors)
        return [n for n in spec.factors if n != spec.target]
    library = [*factors().get(spec.unit, {}), "outcome"]  # the pilot's outcome too
    return [n for n in library if n in table.columns and n != spec.target and n not in KEYS]


def _factor_rows(column: pd.Series, info: FactorInfo, masks: dict[str, np.ndarray],
                 spec: ProfileSpec) -> list[dict]:
    base = {"factor": info.name, "type": info.type}
    if info.type == "binary":
        values = as_bool(column)
        known = values.notna().to_numpy()
        ones = values.fillna(False).to_numpy(dtype=bool)
        counts = {g: (int((m & known).sum()), int((m & ones).sum()), int((m & ~known).sum()))
                  for g, m in masks.items()}
        row = _share_row(counts, spec, info.nl, info.en)
        return [{**base, "level": None, "label_nl": info.nl, "label_en": info.en, **row}]
    if info.type in ("count", "numeric"):
        values = pd.to_numeric(column, errors="coerce").astype("Float64")
        row = _mean_row(values, masks, spec, info.nl, info.en)
        return [{**base, "level": None, "label_nl": info.nl, "label_en": info.en, **row}]
    # a category: each level's count per group in one pass (a national region's profile has
    # a level per municipality, and comparing the text once per level took 130 s)
    # text already held as text stays so, and factorize codes Arrow text in Arrow: "string"
    # and Categorical each made a Python object of every value (11.6 M values of 432 levels:
    # 2.5 s, +1,015 MiB; this 0.27 s, +286 MiB, the same codes); levels sorted, NULL -1
    text = column if isinstance(column.dtype, pd.StringDtype) else column.astype("string")
    codes, uniques = pd.factorize(text, sort=True)
    levels = list(uniques)
    known = codes >= 0
    per_group = {g: (int((m & known).sum()),
                     np.bincount(codes[m & known], minlength=len(levels)),
                     int((m & ~known).sum())) for g, m in masks.items()}
    out = []
    for k, level in enumerate(levels):
        nl, en = level_label(info.name, level, "nl"), level_label(info.name, level, "en")
        counts = {g: (n, int(count[k]), missing) for g, (n, count, missing) in per_group.items()}
        row = _share_row(counts, spec, nl, en)
        out.append({**base, "level": str(level), "label_nl": f"{info.nl}: {nl}",
                    "label_en": f"{info.en}: {en}", **row})
    return out


def _share_row(counts: dict[str, tuple[int, int, int]], spec: ProfileSpec, nl: str,
               en: str) -> dict:
    """A share's row from each group's (known, count, missing)."""
    row: dict = {"statistic": "share"}
    for group, (n, count, missing) in counts.items():
        low, high = wilson(count, n)
        row.update({f"n_{group}": n, f"count_{group}": count,
                    f"value_{group}": count / n if n else np.nan, f"sd_{group}": np.nan,
                    f"ci_low_{group}": float(low), f"ci_high_{group}": float(high),
                    f"missing_{group}": missing})
    p1, p2, p0 = row["value_target"], row["value_rest"], row["value_all"]
    row.update(diff_rest=p1 - p2, smd_rest=smd_share(p1, p2), diff_all=p1 - p0,
               smd_all=smd_share(p1, p0),
               p_rest=_two_proportions(row["count_target"], row["n_target"],
                                       row["count_rest"], row["n_rest"]))
    return _describe(row, spec, nl, en)


def _mean_row(values: pd.Series, masks: dict[str, np.ndarray], spec: ProfileSpec,
              nl: str, en: str) -> dict:
    row: dict = {"statistic": "mean"}
    known = values.notna().to_numpy()
    data = values.to_numpy(dtype=float, na_value=np.nan)
    for group, mask in masks.items():
        x = data[mask & known]
        mean = float(x.mean()) if len(x) else np.nan
        sd = float(x.std(ddof=1)) if len(x) > 1 else np.nan
        low, high = mean_interval(mean, sd, len(x))
        row.update({f"n_{group}": len(x), f"count_{group}": np.nan, f"value_{group}": mean,
                    f"sd_{group}": sd, f"ci_low_{group}": low, f"ci_high_{group}": high,
                    f"missing_{group}": int((mask & ~known).sum())})
    target, rest = data[masks["target"] & known], data[masks["rest"] & known]
    row.update(diff_rest=row["value_target"] - row["value_rest"],
               smd_rest=smd_mean(row["value_target"], row["sd_target"], row["value_rest"],
                                 row["sd_rest"]),
               diff_all=row["value_target"] - row["value_all"],
               smd_all=smd_mean(row["value_target"], row["sd_target"], row["value_all"],
                                row["sd_all"]),
               p_rest=_welch(target, rest))
    return _describe(row, spec, nl, en)


def _two_proportions(x1: int, n1: int, x2: int, n2: int) -> float:
    if min(n1, n2) == 0:
        return np.nan
    pooled = (x1 + x2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    return float(2 * stats.norm.sf(abs(x1 / n1 - x2 / n2) / se))


def _welch(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or len(b) < 2:
        return np.nan
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def _describe(row: dict, spec: ProfileSpec, nl: str, en: str) -> dict:
    direction: Direction = "similar"
    smd, p, diff = row["smd_rest"], row["p_rest"], row["diff_rest"]
    if np.isfinite(smd) and np.isfinite(p) and abs(smd) >= spec.min_smd and p < spec.alpha:
        direction = "higher" if smd > 0 else "lower"
    elif np.isnan(smd) and np.isfinite(diff) and diff != 0 and np.isfinite(p) and \
            p < spec.alpha:  # no variance in either group and yet a difference: as far apart
        direction = "higher" if diff > 0 else "lower"  # as can be
    words = _PHRASES[row["statistic"]]
    nl, en = lower_first(nl), lower_first(en)
    if direction == "lower":  # "minder vaak zonder uitkering", not "minder vaak geen uitkering"
        nl = "zonder " + nl.removeprefix("geen ") if nl.startswith("geen ") else nl
        en = "without " + en.removeprefix("no ") if en.startswith("no ") else en
    row.update(direction=direction, phrase_nl=words["nl"][direction].format(nl),
               phrase_en=words["en"][direction].format(en))
    return row


# --- how long households have been in the target group -------------------------------------

_BANDS = (("< 6 maanden", "< 6 months"), ("6-12 maanden", "6-12 months"),
          ("> 1 jaar", "> 1 year"))
DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class DurationSpec:
    """A column with the time in the target group, in days (or a timedelta) or months."""

    column: str = "duration"
    unit: DurationUnit = "days"


@dataclass(frozen=True)
class DurationResult:
    spec: DurationSpec
    table: pd.DataFrame = field(repr=False)
    n_missing: int

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def duration_breakdown(table: pd.DataFrame, spec: DurationSpec | None = None) -> DurationResult:
    """Shares below 6 months, 6 to 12 months (inclusive) and above a year, Wilson 95 % CIs."""
    spec = spec or DurationSpec()
    require_columns(table, [spec.column])
    months = _months(table[spec.column], spec.unit)
    known = months.dropna()
    if (known < 0).any():
        raise ValueError(f"negative durations in {spec.column!r}")
    counts = [int((known < 6).sum()), int(((known >= 6) & (known <= 12)).sum()),
              int((known > 12).sum())]
    n = len(known)
    low, high = wilson(counts, [n] * 3)
    frame = pd.DataFrame({"band": ["lt_6m", "6_12m", "gt_1y"],
                          "label_nl": [b[0] for b in _BANDS], "label_en": [b[1] for b in _BANDS],
                          "n": n, "count": counts,
                          "share": [c / n if n else np.nan for c in counts],
                          "ci_low": low, "ci_high": high})
    return DurationResult(spec, frame, int(months.isna().sum()))


def _months(column: pd.Series, unit: DurationUnit) -> pd.Series:
    if pd.api.types.is_timedelta64_dtype(column.dtype):
        return column.dt.total_seconds() / 86400 / DAYS_PER_MONTH
    values = pd.to_numeric(column, errors="coerce").astype(float)
    return values / DAYS_PER_MONTH if unit == "days" else values
