"""Latent class model for mixed data, fitted by EM with several starts.

Within a type the factors are independent (local independence): each categorical factor has its
own level probabilities, each numeric factor its own normal mean and variance. A household's
missing value simply drops out of its likelihood (the usual full-information treatment).

Numbers are modelled robustly by a *contaminated normal*: within a type a value is, with
probability ``1 - outlier_share``, drawn from the type's normal, else from the target group's
overall distribution (the standard normal on the standardised scale). An odd value (an income
far from the type's, a household size that does not fit) then weighs as "could be anyone"
instead of pulling a type apart; with ``outlier_share = 0`` the model is the plain normal one.
On the synthetic food-bank data with 10 / 20 / 30 % of the values swapped between households
this lifted the adjusted Rand index from 0.93 / 0.84 / 0.73 to 0.98 / 0.95 / 0.86
(``benchmarks/typology.py``, seeds 1-3); on the data as planted both give 1.00.

Estimation is maximum a posteriori with weak priors that keep small types well defined: the
level counts get ``smoothing`` pseudo-households spread over the levels, and each mean and
variance gets ``smoothing`` pseudo-households at the target group's mean and variance (so a
factor that is constant within a type, like household size 1, gets a small but finite variance
instead of a degenerate one). Starts are k-means++ seeds on the Gower distance, hard-assigned and
refined by EM; the start with the highest log-likelihood wins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin

from smartstart.analyses._typology_data import Encoding, MixedData, distance_of, fit_encoding

LOG_2PI = float(np.log(2 * np.pi))
MIN_VARIANCE = 1e-3


@dataclass(frozen=True)
class Options:
    """Prior weight (pseudo-households) and the share of numbers that may be odd ones out."""

    smoothing: float = 1.0
    outlier_share: float = 0.1


@dataclass(frozen=True)
class Params:
    log_weights: np.ndarray  # k
    log_theta: np.ndarray  # k x L
    mean: np.ndarray  # k x q (standardised units)
    var: np.ndarray  # k x q


@dataclass(frozen=True)
class Fit:
    params: Params
    log_likelihood: float
    resp: np.ndarray
    n_iter: int
    converged: bool


def _logsumexp(a: np.ndarray) -> np.ndarray:
    """log(sum(exp(a), axis=1)) with the maximum taken out (n x 1)."""
    top = a.max(axis=1, keepdims=True)
    return top + np.log(np.exp(a - top).sum(axis=1, keepdims=True))


def _numeric_logs(data: MixedData, p: Params, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Per distinct value of a number and type (U x k, ``data.distinct``): log density and
    P(from the type, not odd). The hot loop of every EM run, computed once per value instead of
    once per household (household size has a handful of values, not n)."""
    d = data.distinct
    mean, var = p.mean[:, d.factor].T, p.var[:, d.factor].T
    own = np.subtract(d.values[:, None], mean)
    np.square(own, out=own)
    own *= -0.5 / var
    if share == 0:
        own -= 0.5 * (np.log(var) + LOG_2PI)
        return own, np.ones_like(own)
    np.exp(own, out=own)
    own *= (1.0 - share) / np.sqrt(2 * np.pi * var)
    total = own + share * d.background
    inlier = np.divide(own, total, out=own)
    return np.log(total, out=total), inlier


def log_joint(data: MixedData, p: Params, options: Options) -> tuple[np.ndarray, np.ndarray]:
    """log P(household, type) (n x k), and the inlier probabilities of the numbers' values."""
    logs, inlier = _numeric_logs(data, p, options.outlier_share)
    return p.log_weights + data.onehot @ p.log_theta.T + data.distinct.rows @ logs, inlier


def posterior(data: MixedData, p: Params,
              options: Options) -> tuple[np.ndarray, float, np.ndarray]:
    """Type probabilities (n x k), log-likelihood, inlier probabilities (U x k)."""
    joint, inlier = log_joint(data, p, options)
    norm = _logsumexp(joint)
    return np.exp(joint - norm), float(norm.sum()), inlier


def m_step(data: MixedData, resp: np.ndarray, options: Options,
           inlier: np.ndarray | None = None) -> Params:
    smoothing = options.smoothing
    nk = resp.sum(axis=0)
    log_weights = np.log((nk + 1e-10) / (nk.sum() + 1e-10 * len(nk)))
    part = resp.T @ data.onehot + smoothing * data.level_share
    totals = (part @ data.block_matrix) @ data.block_matrix.T
    log_theta = np.log(part) - np.log(totals)
    # per distinct value: the type weight of the households that have it (U x k), times the
    # chance it is the type's own and not an odd one; then summed per factor
    d = data.distinct
    weight = d.of_rows @ resp
    if inlier is not None:
        weight *= inlier
    w = d.per_factor(weight).T + smoothing
    values, squares = d.powers
    s1 = d.per_factor(weight * values).T
    s2 = d.per_factor(weight * squares).T
    mean = s1 / w
    var = (s2 - mean * s1 + smoothing) / w
    return Params(log_weights, log_theta, mean, np.maximum(var, MIN_VARIANCE))


def n_parameters(data: MixedData, k: int) -> int:
    levels = sum(b.stop - b.start - 1 for b in data.blocks)
    return (k - 1) + k * levels + 2 * k * data.numeric.shape[1]


def seeds(distance: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding on a distance matrix; returns the hard assignment to the seeds."""
    chosen = [int(rng.integers(len(distance)))]
    for _ in range(1, k):
        d2 = distance[:, chosen].min(axis=1) ** 2
        total = d2.sum()
        pick = rng.choice(len(d2), p=d2 / total) if total > 0 else rng.integers(len(d2))
        chosen.append(int(pick))
    return distance[:, chosen].argmin(axis=1)


def em(data: MixedData, resp: np.ndarray, options: Options, max_iter: int, tol: float) -> Fit:
    """EM from a first assignment; the returned parameters, log-likelihood and type
    probabilities belong together (the last E-step is done with the returned parameters)."""
    previous, params = -np.inf, m_step(data, resp, options)
    for step in range(1, max_iter + 1):
        resp, ll, inlier = posterior(data, params, options)
        if ll - previous < tol * abs(ll):
            return Fit(params, ll, resp, step, True)
        previous = ll
        params = m_step(data, resp, options, inlier)
    resp, ll, _ = posterior(data, params, options)
    return Fit(params, ll, resp, max_iter, False)


def fit_em(data: MixedData, k: int, rng: np.random.Generator, *, n_init: int = 10,
           options: Options = Options(), max_iter: int = 500, tol: float = 1e-8,
           distance: np.ndarray | None = None) -> Fit:
    """The best of ``n_init`` EM runs from k-means++ seeds on the Gower distance."""
    distance = distance_of(data) if distance is None else distance
    best: Fit | None = None
    for _ in range(n_init):
        resp = np.eye(k)[seeds(distance, k, rng)]
        fit = em(data, resp, options, max_iter, tol)
        if best is None or fit.log_likelihood > best.log_likelihood + 1e-9:
            best = fit
    assert best is not None
    return best


def _split_kinds(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c].dtype)
               and not pd.api.types.is_bool_dtype(table[c].dtype)]
    return [c for c in table.columns if c not in numeric], numeric


class MixedLatentClass(ClusterMixin, BaseEstimator):
    """Latent class model for a table of categorical and numeric columns (scikit-learn style).

    ``categorical`` and ``numeric`` name the columns of each kind; when both are None, bool,
    text and category columns are categorical and the other number columns numeric.
    ``outlier_share`` is the contaminated normal's share of odd values (0: plain normal).
    Fitted attributes: ``labels_``, ``weights_``, ``probabilities_`` ({factor: types x levels}),
    ``means_`` and ``sds_`` (types x numeric factors, in the data's units),
    ``log_likelihood_``, ``n_parameters_``, ``bic_``, ``aic_``, ``n_iter_``, ``converged_``.
    """

    def __init__(self, n_types: int = 2, *, categorical: list[str] | None = None,
                 numeric: list[str] | None = None, n_init: int = 10, smoothing: float = 1.0,
                 outlier_share: float = 0.1, max_iter: int = 500, tol: float = 1e-8,
                 random_state: int | None = None):
        self.n_types = n_types
        self.categorical = categorical
        self.numeric = numeric
        self.n_init = n_init
        self.smoothing = smoothing
        self.outlier_share = outlier_share
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _kinds(self, X: pd.DataFrame) -> tuple[list[str], list[str]]:
        if self.categorical is None and self.numeric is None:
            return _split_kinds(X)
        return list(self.categorical or []), list(self.numeric or [])

    def fit(self, X: pd.DataFrame, y: object = None) -> MixedLatentClass:
        categorical, numeric = self._kinds(X)
        self.encoding_: Encoding = fit_encoding(X, categorical, numeric)
        data = self.encoding_.transform(X)
        rng = np.random.default_rng(self.random_state)
        fit = fit_em(data, self.n_types, rng, n_init=self.n_init, options=self._options(),
                     max_iter=self.max_iter, tol=self.tol)
        self._set_fitted(fit, data)
        return self

    def _options(self) -> Options:
        return Options(self.smoothing, self.outlier_share)

    def _set_fitted(self, fit: Fit, data: MixedData) -> None:
        enc, p = self.encoding_, fit.params
        self.params_ = p
        self.labels_ = fit.resp.argmax(axis=1)
        self.weights_ = np.exp(p.log_weights)
        self.probabilities_ = {
            name: pd.DataFrame(np.exp(p.log_theta[:, block]), columns=list(levels))
            for name, levels, block in zip(enc.categorical, enc.levels, data.blocks, strict=True)}
        self.means_ = pd.DataFrame(p.mean * enc.scale + enc.centre, columns=list(enc.numeric))
        self.sds_ = pd.DataFrame(np.sqrt(p.var) * enc.scale, columns=list(enc.numeric))
        self.log_likelihood_ = fit.log_likelihood
        self.n_parameters_ = n_parameters(data, self.n_types)
        self.bic_ = -2 * fit.log_likelihood + self.n_parameters_ * np.log(data.n)
        self.aic_ = -2 * fit.log_likelihood + 2 * self.n_parameters_
        self.n_iter_, self.converged_ = fit.n_iter, fit.converged

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return posterior(self.encoding_.transform(X), self.params_, self._options())[0]

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)

    def score(self, X: pd.DataFrame, y: object = None) -> float:
        """Mean log-likelihood per row."""
        return posterior(self.encoding_.transform(X), self.params_, self._options())[1] / len(X)
