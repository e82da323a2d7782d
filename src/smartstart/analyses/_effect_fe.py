"""Weighted two-way fixed effects in closed form, batched over many samples at once.

The model is ``y_it = a_i + l_t (+ x_it' b) + e_it``, weighted least squares with weights
``w_it`` (the area-year's units at risk). The area effects are eliminated exactly (each is a
weighted mean of its area's row); the year effects then solve a small (T-1) x (T-1) system
(the Schur complement), normalised with the first year's effect at 0. This is the closed form
of the within transformation for an unbalanced weight matrix: no iteration, and it runs for
thousands of samples (masks of which cells enter the fit) in one vectorised numpy call.

On top of it: two-way fixed effects (TWFE) regressions by Frisch-Waugh-Lovell (residualise the
outcome and the regressors on the fixed effects, then least squares on the residuals), with
cluster-robust (CRV1, by area) standard errors; and the imputation estimator of Borusyak,
Jaravel and Spiess (2024): fit the fixed effects on the untreated cells only, impute every
treated cell's untreated outcome, and average the differences with weights ``w``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def fe_fitted(y: np.ndarray, w: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Fitted ``a_i + l_t`` of a weighted two-way fixed-effects fit on the cells in ``mask``.

    ``y``: (B, N, T) outcomes (or (N, T), shared); ``w``: (N, T) weights; ``mask``: (B, N, T)
    cells that enter the fit, or None for every cell (then the small system is solved once for
    all B layers). Every area and every year needs a cell in the mask with a positive weight.
    Returns (B, N, T): the fitted values at every cell, in or out of the mask.
    """
    wm = w[None] if mask is None else w * mask
    wy = wm * y
    return _effects(wm, wy.sum(-1), wy.sum(-2))


def _effects(wm: np.ndarray, area_rhs: np.ndarray, year_rhs: np.ndarray) -> np.ndarray:
    """``a_i + l_t`` (B, N, T) solving the normal equations ``X'diag(wm)X (a, l) = rhs`` of
    area and year dummies X, with ``rhs`` given as its area part (B, N) and year part (B, T)."""
    inv = 1.0 / wm.sum(-1)
    schur = _diag(wm.sum(-2)) - np.swapaxes(wm, -1, -2) @ (inv[..., None] * wm)
    rhs = year_rhs[..., None, :] - (area_rhs * inv)[..., None, :] @ wm
    years = np.zeros(rhs.shape[:-2] + rhs.shape[-1:])
    years[..., 1:] = np.linalg.solve(schur[..., 1:, 1:], np.swapaxes(rhs[..., 1:], -1, -2))[..., 0]
    areas = (area_rhs - (wm @ years[..., None])[..., 0]) * inv
    return areas[..., None] + years[..., None, :]


def imputation_weights(w: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """The imputation estimator as weights on the outcomes: ``estimate = sum(V * y)``.

    ``treated``: (B, N, T) 0/1 cells. The estimate is ``u'(y - X b)`` with ``u = w D / sum(w D)``
    and ``b`` the fit on the untreated cells, so ``V = u - M W X (X'M W X)^-1 X'u``: one more
    solve of the same normal equations, with ``X'u`` (area and year totals of u) on the right.
    """
    u = w * treated / (w * treated).sum((-2, -1), keepdims=True)
    wm = w * (1.0 - treated)
    return u - wm * _effects(wm, u.sum(-1), u.sum(-2))


def twfe_weights(w: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Static TWFE as weights on the outcomes: ``V = W x / (x'W x)``, x the residualised D."""
    rx = residualise(treated, w)
    wx = w * rx
    return wx / (wx * rx).sum((-2, -1), keepdims=True)


def _diag(v: np.ndarray) -> np.ndarray:
    out = np.zeros(v.shape + v.shape[-1:])
    idx = np.arange(v.shape[-1])
    out[..., idx, idx] = v
    return out


def residualise(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Residuals of each (N, T) layer of ``x`` (K, N, T) on area and year effects, weights w."""
    x = np.asarray(x, dtype=float)
    return x - fe_fitted(x, w)


@dataclass(frozen=True)
class Fit:
    """A TWFE regression: coefficients, CRV1 covariance (by area), residual degrees of
    freedom used in the small-sample factor, number of clusters."""

    coef: np.ndarray
    vcov: np.ndarray
    clusters: int
    cells: int

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))


def twfe(y: np.ndarray, w: np.ndarray, x: np.ndarray) -> Fit:
    """Weighted TWFE of ``y`` (N, T) on regressors ``x`` (K, N, T) with area and year effects.

    Standard errors: CRV1 clustered by area, small-sample factor ``G/(G-1) * (NT-1)/(NT-K-T)``
    with K regressors and T year effects: the area effects are nested in the clusters and
    count as one (pyfixest's default ``ssc(k_fixef="nonnested")``).
    """
    ry = residualise(y[None], w)[0]
    rx = residualise(x, w)
    xs = rx.reshape(len(rx), -1).T
    sw = w.reshape(-1)
    bread = np.linalg.inv(xs.T @ (sw[:, None] * xs))
    coef = bread @ (xs.T @ (sw * ry.reshape(-1)))
    resid = ry - np.einsum("knt,k->nt", rx, coef)
    scores = np.einsum("knt,nt->nk", rx, w * resid)
    groups, cells, k = y.shape[0], y.size, len(coef) + y.shape[1]
    factor = groups / (groups - 1) * (cells - 1) / (cells - k)
    vcov = factor * bread @ (scores.T @ scores) @ bread
    return Fit(coef, vcov, groups, cells)


def imputation(y: np.ndarray, w: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Imputed effects ``y - (a_i + l_t)`` at the treated cells (B, N, T); 0 elsewhere.

    ``treated``: (B, N, T) 0/1 cells; the fixed effects are fitted on the other cells.
    """
    fitted = fe_fitted(y, w, 1.0 - treated)
    return (y - fitted) * treated


def weighted_mean(effects: np.ndarray, w: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """The w-weighted mean of ``effects`` over ``cells`` (B, N, T) per sample: (B,)."""
    ww = w * cells
    return (effects * ww).sum((-2, -1)) / ww.sum((-2, -1))
