"""Discrimination and calibration of predicted risks: AUC with DeLong's interval, Brier score,
observed vs predicted by risk group. Inputs are arrays held inside a run; outputs are group-level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from smartstart.analyses._common import Z95


@dataclass(frozen=True)
class Auc:
    auc: float
    se: float
    ci_low: float
    ci_high: float
    positives: int
    negatives: int


def delong_auc(y: np.ndarray, score: np.ndarray) -> Auc:
    """AUC with DeLong's variance (midrank algorithm of Sun & Xu 2014), normal 95 % CI."""
    y = np.asarray(y, dtype=bool)
    score = np.asarray(score, dtype=float)
    pos, neg = score[y], score[~y]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return Auc(np.nan, np.nan, np.nan, np.nan, m, n)
    tz = stats.rankdata(np.concatenate([pos, neg]))
    tx, ty = stats.rankdata(pos), stats.rankdata(neg)
    auc = float((tz[:m].sum() - m * (m + 1) / 2) / (m * n))
    v01 = (tz[:m] - tx) / n
    v10 = 1 - (tz[m:] - ty) / m
    var = (v01.var(ddof=1) / m if m > 1 else 0.0) + (v10.var(ddof=1) / n if n > 1 else 0.0)
    se = float(np.sqrt(var))
    return Auc(auc, se, max(0.0, auc - Z95 * se), min(1.0, auc + Z95 * se), m, n)


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, dtype=float) - np.asarray(y, dtype=float)) ** 2))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """Observed vs mean predicted risk per quantile group of the predicted risk."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    ranks = stats.rankdata(p, method="ordinal")
    group = np.minimum((ranks - 1) * bins // len(p), bins - 1).astype(int)
    frame = pd.DataFrame({"group": group + 1, "y": y, "p": p})
    table = frame.groupby("group").agg(n=("y", "size"), events=("y", "sum"),
                                       predicted=("p", "mean")).reset_index()
    table["events"] = table["events"].astype(int)
    table["observed"] = table["events"] / table["n"]
    table["expected_events"] = table["predicted"] * table["n"]
    return table[["group", "n", "events", "observed", "predicted", "expected_events"]]


def hosmer_lemeshow(table: pd.DataFrame) -> tuple[float, float]:
    """Hosmer-Lemeshow statistic and p-value (groups - 2 degrees of freedom)."""
    n, obs, p = table["n"], table["events"], table["predicted"]
    expected = n * p
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = (obs - expected) ** 2 / (expected * (1 - p))
    stat = float(np.nansum(terms))
    dof = max(len(table) - 2, 1)
    return stat, float(stats.chi2.sf(stat, dof))


def rates_at(y: np.ndarray, flagged: np.ndarray) -> dict[str, float]:
    """Confusion counts and rates of a 0/1 flag against the outcome."""
    y = np.asarray(y, dtype=bool)
    flagged = np.asarray(flagged, dtype=bool)
    tp, fp = int((y & flagged).sum()), int((~y & flagged).sum())
    fn, tn = int((y & ~flagged).sum()), int((~y & ~flagged).sum())
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn,
            "tpr": tp / (tp + fn) if tp + fn else np.nan,
            "fpr": fp / (fp + tn) if fp + tn else np.nan,
            "selection_rate": (tp + fp) / len(y) if len(y) else np.nan,
            "ppv": tp / (tp + fp) if tp + fp else np.nan}
