"""The estimators on a panel, for the real assignment and batched for placebo assignments.

All estimates are on the rate in percentage points, weighted by the area-year's units at risk
``n``: the estimand is the effect per unit at risk (an average over children, not over buurten),
and ``n`` is close to the inverse variance of a binomial rate, so large buurten count as much as
their information. Estimators:

- ``twfe``: the static two-way fixed-effects DiD, ``rate ~ treated_it | area + year``.
- ``imputation``: Borusyak, Jaravel and Spiess (2024). Chosen as the heterogeneity-robust
  estimator because it uses every untreated cell (never- and not-yet-treated), is the efficient
  linear estimator under homoskedastic errors, needs no never-treated cohort beyond the
  comparison pool, and stays one weighted fixed-effects fit, so that thousands of placebo
  assignments run in one batched solve. Its point estimate equals Gardner's two-stage DiD
  (did2s). With one common start it is close to TWFE (equal with constant weights); with
  staggered starts TWFE compares late with early treated areas and can be biased when the
  effect grows over time, the imputation estimator cannot.
- the event study: TWFE with a dummy per event time (year minus the area's start) except -1,
  the reference; leads (event time < -1) show pre-trends, lags (>= 0) the effect's path. With
  one common start and never-treated donors it is the year-by-year DiD against the year before
  the start; with staggered starts its lags can mix cohorts' effects (Sun and Abraham 2021), so
  the imputation estimator's effects per horizon are given beside it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from smartstart.analyses._effect_fe import (
    Fit,
    fe_fitted,
    imputation,
    residualise,
    twfe,
    weighted_mean,
)
from smartstart.analyses._effect_panel import Panel, treatment_matrix

CHUNK = 400


def event_times(panel: Panel) -> np.ndarray:
    """The event times (year - start) the treated areas reach, without the reference -1."""
    years = np.asarray(panel.years)
    times = {int(y - s) for s in panel.starts[panel.treated] for y in years}
    return np.array(sorted(times - {-1}), dtype=int)


def event_dummies(starts: np.ndarray, years: np.ndarray, times: np.ndarray) -> np.ndarray:
    """(..., K, N, T) indicators: area treated (start > 0) and ``year - start == times[k]``."""
    rel = years - starts[..., None]
    hit = (starts[..., None] > 0)[..., None, :, :] & (rel[..., None, :, :]
                                                      == times[:, None, None])
    return hit.astype(float)


def static_twfe(panel: Panel) -> Fit:
    return twfe(panel.rate, panel.n, panel.treatment()[None])


def event_twfe(panel: Panel, times: np.ndarray) -> Fit:
    return twfe(panel.rate, panel.n, event_dummies(panel.starts, np.asarray(panel.years), times))


def imputation_att(panel: Panel) -> float:
    cells = panel.treatment()[None]
    return float(weighted_mean(imputation(panel.rate, panel.n, cells), panel.n, cells)[0])


def _chunks(starts: np.ndarray) -> Iterator[np.ndarray]:
    for at in range(0, len(starts), CHUNK):
        yield starts[at:at + CHUNK]


def placebo_twfe(panel: Panel, starts: np.ndarray) -> np.ndarray:
    """Static TWFE estimates for placebo starts (B x areas of ``panel``)."""
    years, out = np.asarray(panel.years), []
    ry = panel.rate - fe_fitted(panel.rate, panel.n)[0]
    for part in _chunks(starts):
        rx = residualise(treatment_matrix(part, years), panel.n)
        out.append(((rx * panel.n * ry).sum((1, 2))) / (rx * panel.n * rx).sum((1, 2)))
    return np.concatenate(out) if out else np.zeros(0)


def placebo_imputation(panel: Panel, starts: np.ndarray) -> np.ndarray:
    """Imputation estimates for placebo starts (B x areas of ``panel``)."""
    years, out = np.asarray(panel.years), []
    for part in _chunks(starts):
        cells = treatment_matrix(part, years)
        out.append(weighted_mean(imputation(panel.rate, panel.n, cells), panel.n, cells))
    return np.concatenate(out) if out else np.zeros(0)


def placebo_horizons(panel: Panel, starts: np.ndarray, horizons: np.ndarray) -> np.ndarray:
    """Imputation estimates per horizon (year - start >= 0), B x H, for the given starts: the
    imputed effects of the cells at each horizon averaged with weights n."""
    years, out = np.asarray(panel.years), []
    for part in _chunks(starts):
        cells = treatment_matrix(part, years)
        effects = imputation(panel.rate, panel.n, cells)
        at = event_dummies(part, years, horizons)  # (B, H, N, T)
        ww = at * panel.n
        out.append(np.einsum("bhnt,bnt->bh", ww, effects) / ww.sum((-2, -1)))
    return np.concatenate(out) if out else np.zeros((0, len(horizons)))


def placebo_events(panel: Panel, starts: np.ndarray, times: np.ndarray,
                   leads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Event-study coefficients (B x K) and the leads' statistic (B,) for placebo starts.

    The statistic is the Wald form ``b_L' [(X'WX)^-1_LL]^-1 b_L`` of the leads: its scale (the
    error variance) is the same for every assignment of one panel, so it is left out.
    """
    years, coefs, stats = np.asarray(panel.years), [], []
    ry = panel.rate - fe_fitted(panel.rate, panel.n)[0]
    for part in _chunks(starts):
        x = event_dummies(part, years, times)
        shape = x.shape
        rx = residualise(x.reshape(-1, *shape[2:]), panel.n).reshape(shape)
        wx = rx * panel.n
        xtx = np.einsum("bknt,blnt->bkl", wx, rx, optimize=True)
        beta = np.linalg.solve(xtx, np.einsum("bknt,nt->bk", wx, ry)[..., None])[..., 0]
        coefs.append(beta)
        stats.append(lead_statistic(beta, np.linalg.inv(xtx), leads))
    if not coefs:
        return np.zeros((0, len(times))), np.zeros(0)
    return np.concatenate(coefs), np.concatenate(stats)


def lead_statistic(beta: np.ndarray, cov: np.ndarray, leads: np.ndarray) -> np.ndarray:
    """``b_L' C_LL^-1 b_L`` per row of ``beta`` (B x K) with covariances ``cov`` (B x K x K)."""
    if not leads.any():
        return np.zeros(len(beta))
    b = beta[:, leads]
    c = cov[:, leads][:, :, leads]
    return np.einsum("bk,bk->b", b, np.linalg.solve(c, b[..., None])[..., 0])
