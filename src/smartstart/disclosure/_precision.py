"""Model statistics at a stated precision, and likelihood statistics only with the n they rest on.

Exact coefficients. A logistic model's coefficients at full precision are its exact maximum
likelihood fit: with binary predictors the score equations ``X'(y - p) = 0`` are linear
equations in the cells of factors x outcome with known (irrational) weights, and together with
published totals an integer attacker narrows small cells down. Published at a stated precision
the attacker only knows each coefficient within half a unit of its last digit; the equations
become inequalities whose slack is several children, and tables that differ from the true one
in a small cell by the whole range 1 .. ``min_cell - 1`` give the same publication (the test
``tests/test_redteam_model.py`` replays this). Like CBS's output checkers expect, the log-odds
and its standard error are rounded to ``COEF_DECIMALS`` decimals; the odds ratio, its 95 %
interval, z and p are computed from the rounded log-odds and standard error (and rounded for
display), so they tell nothing the rounded pair does not. Performance statistics that are exact
functions of the cells (AUC, Brier, calibration) are rounded too (``PERFORMANCE_DECIMALS``).

Model-selection statistics. BIC - AIC = p (ln n - 2): with the number of parameters
published, BIC and AIC (or one of them and the log-likelihood) give n back. They are published
only when that n is itself published in the bundle; otherwise they are blank and the rule
(``Rules.likelihood``, ``Rules.likelihood_n``) says so, so the checker can re-check it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from smartstart.disclosure._check import CheckResult, result

#: decimals of a log-odds coefficient and its standard error as published
COEF_DECIMALS = 2
#: decimals of everything computed from them
COEFFICIENT_PRECISION: Mapping[str, int] = {
    "coef": COEF_DECIMALS, "se": COEF_DECIMALS, "z": 2, "p_value": 3, "odds_ratio": 2,
    "or_low": 2, "or_high": 2, "ci_low": 2, "ci_high": 2}
#: performance metrics (metric -> decimals); a metric not listed gets 2
PERFORMANCE_DECIMALS: Mapping[str, int] = {
    "auc_cv": 2, "auc_cv_low": 2, "auc_cv_high": 2, "auc_cv_se": 3, "auc_apparent": 2,
    "brier_cv": 3, "brier_null": 3, "calibration_intercept": 2, "calibration_slope": 2,
    "cv_folds": 0}
#: calibration per decile: the mean predicted risk and the expected events
CALIBRATION_PRECISION: Mapping[str, int] = {"predicted": 3, "expected_events": 0}
#: per group of the fairness audit: the same statistics, functions of each group's cells
GROUP_PRECISION: Mapping[str, int] = {"auc": 2, "auc_low": 2, "auc_high": 2, "predicted": 3,
                                      "expected_events": 0, "calibration": 2}
#: model-selection statistics that, with the number of parameters, give n back
LIKELIHOOD = ("log_likelihood", "bic", "aic")
Z95 = float(norm.ppf(0.975))


def round_coefficients(frame: pd.DataFrame, decimals: int = COEF_DECIMALS) -> pd.DataFrame:
    """Coefficients as published: log-odds and standard error rounded to ``decimals``, the rest
    computed from those rounded values (and rounded as ``COEFFICIENT_PRECISION`` says)."""
    out = frame.copy()
    if "coef" not in out or "se" not in out:
        return out
    coef = out["coef"].astype(float).round(decimals)
    se = out["se"].astype(float).round(decimals)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = coef / se
        derived = {"coef": coef, "se": se, "z": z, "p_value": 2 * norm.sf(np.abs(z)),
                   "ci_low": coef - Z95 * se, "ci_high": coef + Z95 * se,
                   "odds_ratio": np.exp(coef), "or_low": np.exp(coef - Z95 * se),
                   "or_high": np.exp(coef + Z95 * se)}
    for column, values in derived.items():
        if column in out:
            digits = decimals if column in ("coef", "se") else COEFFICIENT_PRECISION[column]
            out[column] = pd.Series(values, index=out.index).astype(float).round(digits)
    return out


def precision_of(frame: pd.DataFrame, table: Mapping[str, int],
                 decimals: int = COEF_DECIMALS) -> tuple[tuple[str, int], ...]:
    """The rule: (column, decimals) for the columns of ``frame`` that ``table`` names."""
    return tuple((c, decimals if c in ("coef", "se") else int(d))
                 for c, d in table.items() if c in frame.columns)


def round_metrics(frame: pd.DataFrame, decimals: Mapping[str, int] = PERFORMANCE_DECIMALS,
                  metric: str = "metric", value: str = "value") -> pd.DataFrame:
    """A metric / value table with each value rounded to its metric's decimals."""
    digits = frame[metric].map(lambda m: decimals.get(str(m), 2)).to_numpy(dtype=int)
    values = frame[value].astype(float).to_numpy()
    rounded = [round(v, d) if np.isfinite(v) else v for v, d in zip(values, digits, strict=True)]
    return frame.assign(**{value: rounded})


def check_precision(frame: pd.DataFrame, precision: Sequence[tuple[str, int]],
                    rows: tuple[str, str] | None = None) -> CheckResult:
    """Every value of a listed column is at most at its stated precision. ``rows`` (metric
    column, value column): the precision is per metric (row) of a metric / value table."""
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    stated = dict(precision)
    if rows is not None:
        metric, value = rows
        if metric in frame and value in frame:
            digits = frame[metric].astype(str).map(lambda m: stated.get(m, 2)).to_numpy(int)
            mask[value] = _finer(frame[value].astype(float).to_numpy(), digits)
    else:
        for column, digits in precision:
            if column in frame:
                mask[column] = _finer(frame[column].astype(float).to_numpy(),
                                      np.full(len(frame), int(digits)))
    return result("precision", mask, f"{int(mask.to_numpy().sum())} model statistics published "
                  "at more than their stated precision", precision=dict(precision))


def _finer(values: np.ndarray, digits: np.ndarray) -> np.ndarray:
    finite = np.isfinite(values)
    scaled = np.where(finite, values, 0.0) * 10.0 ** digits  # inf and NaN carry no digits
    ok = ~finite | (np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled)))
    return ~ok


def implied_n(frame: pd.DataFrame, parameters: str = "n_parameters") -> np.ndarray:
    """n from BIC and AIC per row: BIC - AIC = p (ln n - 2) (NaN where either is blank)."""
    if not {"bic", "aic", parameters} <= set(frame.columns):
        return np.full(len(frame), np.nan)
    bic, aic = frame["bic"].astype(float), frame["aic"].astype(float)
    p = frame[parameters].astype(float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return np.exp((bic - aic) / p + 2).to_numpy()


def blank_likelihood(frame: pd.DataFrame, n_published: bool,
                     columns: Sequence[str] = LIKELIHOOD) -> pd.DataFrame:
    """The frame with its likelihood statistics blank unless their n is published."""
    if n_published:
        return frame
    present = [c for c in columns if c in frame.columns]
    return frame.assign(**{c: np.nan for c in present})


def check_likelihood(frame: pd.DataFrame, columns: Sequence[str], n: float | None
                     ) -> CheckResult:
    """Likelihood statistics only with their n: blank when the rule records no published n;
    with one, BIC and AIC must rest on that n (not on some other, unpublished one)."""
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    present = [c for c in columns if c in frame.columns]
    if n is None:
        for column in present:
            mask[column] = frame[column].notna()
    else:
        implied = implied_n(frame)
        off = np.isfinite(implied) & (np.abs(implied - float(n)) > 0.5)
        for column in present:
            mask[column] = off
    return result("likelihood", mask, f"{int(mask.to_numpy().any(axis=1).sum())} rows with "
                  "likelihood statistics (log-likelihood, BIC, AIC) whose n is not published",
                  n=n)
