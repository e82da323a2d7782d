"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens, Wager 2021).

A second opinion beside the fixed-effects estimators, for one treated area or the treated
areas' aggregate (their rate pooled with ``n``: events over units at risk), with one common
start. Unit weights ``omega`` make the weighted donors' pre-period path parallel to the treated
one (a level difference is allowed: the intercept), ridge-penalised so that the weights spread
over many donors (``zeta = (T_post)^(1/4) * sigma``, sigma the standard deviation of the
donors' year-on-year changes in the pre-period); time weights ``lambda`` make the weighted
pre-period years look like the post-period for the donors. Both are fitted by Frank-Wolfe on the
simplex. The authors' R package ``synthdid`` approximates these minimisers by Frank-Wolfe,
stopped early, sparsified and refitted; here the small quadratic programmes are solved exactly
(non-negative least squares), which is what Frank-Wolfe converges to (the unit weights' problem
is strictly convex; the time weights' ridge is tiny, so their solution may be one of several
equally good ones). Frank-Wolfe to synthdid's tolerance took 10,000 iterations (4 s) for one
problem here. The estimate is the double difference
``(y_T,post - lambda'y_T,pre) - omega'(Y_C,post - Y_C,pre lambda)``.

Donors are unweighted in the fit (the weights are chosen, not given by ``n``); small donors
have noisy paths, which the ridge penalty keeps from being fitted. Many placebo problems are
solved in one call: every array carries a leading batch axis.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize


def simplex_weights(a: np.ndarray, b: np.ndarray, zeta: np.ndarray) -> np.ndarray:
    """``argmin_x |A x + c - b|^2 / m + zeta^2 |x|^2`` over the simplex (and c), per problem.

    ``a``: (B, m, p), ``b``: (B, m), ``zeta``: (B,). The intercept c is profiled out by
    centring A's columns and b; the simplex constraint (x >= 0, sum 1) is solved exactly by
    non-negative least squares with the sum as a heavily weighted extra row.
    """
    a = a - a.mean(1, keepdims=True)
    b = b - b.mean(1, keepdims=True)
    batch, m, p = a.shape
    out = np.empty((batch, p))
    for k in range(batch):
        heavy = 1e4 * (1.0 + np.abs(a[k]).max() + np.abs(b[k]).max())
        design = np.vstack([a[k], np.sqrt(m) * zeta[k] * np.eye(p), np.full((1, p), heavy)])
        target = np.concatenate([b[k], np.zeros(p), [heavy]])
        x = optimize.nnls(design, target, maxiter=50 * p)[0]
        out[k] = x / x.sum()
    return out


def sdid(treated: np.ndarray, donors: np.ndarray, pre: int) -> np.ndarray:
    """SDID estimates for B problems: ``treated`` (B, T) paths, ``donors`` (B, N0, T).

    ``pre``: the number of pre-period years (the first ``pre`` columns).
    """
    post = treated.shape[1] - pre
    sigma = np.std(np.diff(donors[:, :, :pre], axis=2).reshape(len(donors), -1), axis=1,
                   ddof=1)
    sigma = np.where(sigma > 0, sigma, 1e-6)
    zeta_unit = post**0.25 * sigma
    # time weights: rows = donors, columns = pre years, target = each donor's post mean
    lam = simplex_weights(donors[:, :, :pre], donors[:, :, pre:].mean(2), 1e-6 * sigma)
    # unit weights: rows = pre years, columns = donors, target = the treated pre path
    omega = simplex_weights(np.swapaxes(donors[:, :, :pre], 1, 2), treated[:, :pre], zeta_unit)
    treated_diff = treated[:, pre:].mean(1) - (treated[:, :pre] * lam).sum(1)
    donor_diff = donors[:, :, pre:].mean(2) - np.einsum("bnt,bt->bn", donors[:, :, :pre], lam)
    return treated_diff - (omega * donor_diff).sum(1)


def pooled_rate(events: np.ndarray, n: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The rate (percentage points) of areas pooled per sample: ``rows`` (B, N) 0/1 weights."""
    return 100 * (rows @ events) / (rows @ n)
