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
refined by EM; the start with the highest log-likelihood wins. The starts run side by side (one
set of matrix products for all of them, each stopping at its own convergence, exactly as if it
ran alone), and so do a bootstrap's refits: a resample is its households' counts.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    """One start's parameters, or several starts' stacked on a first axis (S)."""

    log_weights: np.ndarray  # k (S x k)
    log_theta: np.ndarray  # k x L (S x k x L)
    mean: np.ndarray  # k x q (S x k x q), standardised units
    var: np.ndarray  # k x q (S x k x q)

    def start(self, s: int) -> Params:
        return Params(self.log_weights[s], self.log_theta[s], self.mean[s], self.var[s])

    def starts(self, keep: np.ndarray) -> Params:
        return Params(self.log_weights[keep], self.log_theta[keep], self.mean[keep],
                      self.var[keep])

    @staticmethod
    def stacked(params: Sequence[Params]) -> Params:
        return Params(*(np.stack([getattr(p, f) for p in params])
                        for f in ("log_weights", "log_theta", "mean", "var")))


@dataclass(frozen=True)
class Fit:
    params: Params
    log_likelihood: float
    resp: np.ndarray
    n_iter: int
    converged: bool


def _logsumexp(a: np.ndarray) -> np.ndarray:
    """log(sum(exp(a), axis=-1)) with the maximum taken out (... x 1)."""
    top = a.max(axis=-1, keepdims=True)
    return top + np.log(np.exp(a - top).sum(axis=-1, keepdims=True))


def _columns(a: np.ndarray) -> np.ndarray:
    """S x m x k -> m x (S k): every start's k columns side by side, for one matrix product."""
    s, m, k = a.shape
    return a.transpose(1, 0, 2).reshape(m, s * k)


def _starts(a: np.ndarray, s: int) -> np.ndarray:
    """m x (S k) -> S x m x k (``_columns`` undone)."""
    return a.reshape(a.shape[0], s, a.shape[1] // s).transpose(1, 0, 2)


def _numeric_logs(data: MixedData, p: Params, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Per start, distinct value of a number and type (S x U x k, ``data.distinct``): log
    density and P(from the type, not odd). The hot loop of every EM run, computed once per
    value instead of once per household (household size has a handful of values, not n)."""
    d = data.distinct
    mean = p.mean[:, :, d.factor].transpose(0, 2, 1)
    var = p.var[:, :, d.factor].transpose(0, 2, 1)
    own = np.subtract(d.values[None, :, None], mean)
    np.square(own, out=own)
    own *= -0.5 / var
    if share == 0:
        own -= 0.5 * (np.log(var) + LOG_2PI)
        return own, np.ones_like(own)
    np.exp(own, out=own)
    own *= (1.0 - share) / np.sqrt(2 * np.pi * var)
    total = own + share * d.background[None]
    inlier = np.divide(own, total, out=own)
    return np.log(total, out=total), inlier


def _log_joint(data: MixedData, p: Params, options: Options) -> tuple[np.ndarray, np.ndarray]:
    """log P(household, type) (S x n x k), and the inlier probabilities of the numbers'
    values (S x U x k), for S starts at once."""
    logs, inlier = _numeric_logs(data, p, options.outlier_share)
    s = len(p.log_weights)
    spread = (data.onehot @ _columns(p.log_theta.transpose(0, 2, 1))
              + data.distinct.rows @ _columns(logs))
    return p.log_weights[:, None, :] + _starts(spread, s), inlier


def _posterior(data: MixedData, p: Params, options: Options,
               weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per start (S): type probabilities (S x n x k), log-likelihood (S; ``weights``: each
    household counted that many times, S x n), inlier probabilities (S x U x k)."""
    joint, inlier = _log_joint(data, p, options)
    norm = _logsumexp(joint)
    resp = np.exp(joint - norm)
    norm = norm[..., 0]
    ll = norm.sum(axis=1) if weights is None else (norm * weights).sum(axis=1)
    return resp, ll, inlier


def posterior(data: MixedData, p: Params,
              options: Options) -> tuple[np.ndarray, float, np.ndarray]:
    """Type probabilities (n x k), log-likelihood, inlier probabilities (U x k) of one
    start's parameters."""
    resp, ll, inlier = _posterior(data, Params.stacked([p]), options)
    return resp[0], float(ll[0]), inlier[0]


def _m_step(data: MixedData, resp: np.ndarray, options: Options,
            inlier: np.ndarray | None = None, weights: np.ndarray | None = None) -> Params:
    """The parameters of S starts at once from their type probabilities (S x n x k);
    ``weights`` (S x n): each household counted that many times (a bootstrap resample)."""
    if weights is not None:
        resp = resp * weights[:, :, None]
    s, _, k = resp.shape
    smoothing = options.smoothing
    nk = resp.sum(axis=1)
    log_weights = np.log((nk + 1e-10) / (nk.sum(axis=1, keepdims=True) + 1e-10 * k))
    by_type = _columns(resp)  # n x S k
    part = _starts(data.onehot.T @ by_type, s).transpose(0, 2, 1) \
        + smoothing * data.level_share
    totals = (part @ data.block_matrix) @ data.block_matrix.T
    log_theta = np.log(part) - np.log(totals)
    # per distinct value: the type weight of the households that have it (U x S k), times the
    # chance it is the type's own and not an odd one; then summed per factor
    d = data.distinct
    weight = d.of_rows @ by_type
    if inlier is not None:
        weight *= _columns(inlier)
    values, squares = d.powers
    w = _starts(d.per_factor(weight), s).transpose(0, 2, 1) + smoothing
    s1 = _starts(d.per_factor(weight * values), s).transpose(0, 2, 1)
    s2 = _starts(d.per_factor(weight * squares), s).transpose(0, 2, 1)
    mean = s1 / w
    var = (s2 - mean * s1 + smoothing) / w
    return Params(log_weights, log_theta, mean, np.maximum(var, MIN_VARIANCE))


def m_step(data: MixedData, resp: np.ndarray, options: Options,
           inlier: np.ndarray | None = None) -> Params:
    """One start's parameters from its type probabilities (n x k)."""
    return _m_step(data, resp[None], options,
                   None if inlier is None else inlier[None]).start(0)


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


MAX_ITER = 500
#: the starts EM runs side by side hold about this many type probabilities (S x n x k) at
#: once: 32 MB a copy, a handful of copies
BATCH_CELLS = 4_000_000


def em(data: MixedData, assigned: np.ndarray, k: int, options: Options, max_iter: int,
       tol: float, weights: np.ndarray | None = None) -> list[Fit]:
    """EM from several first assignments (S x n: each start's type of every household) side
    by side, each start exactly as if run alone: it stops at its own convergence, and its
    parameters, log-likelihood and type probabilities belong together (the last E-step is
    done with the returned parameters). ``weights`` (S x n): a start's households counted
    that many times, so a bootstrap resample is its rows' counts (0: not drawn) and the fit is
    that of the resample itself. Starts run in batches of about ``BATCH_CELLS``."""
    per = max(1, BATCH_CELLS // max(1, data.n * k))
    fits: list[Fit] = []
    for first in range(0, len(assigned), per):
        chunk = slice(first, first + per)
        fits += _em_batch(data, np.eye(k)[assigned[chunk]], options, max_iter, tol,
                          None if weights is None else weights[chunk])
    return fits


def _em_batch(data: MixedData, resp: np.ndarray, options: Options, max_iter: int, tol: float,
              weights: np.ndarray | None) -> list[Fit]:
    fits: list[Fit | None] = [None] * len(resp)
    running = np.arange(len(resp))  # the starts not yet converged
    previous = np.full(len(resp), -np.inf)
    params = _m_step(data, resp, options, None, weights)
    for step in range(1, max_iter + 1):
        resp, ll, inlier = _posterior(data, params, options, weights)
        done = ll - previous < tol * np.abs(ll)
        for j in np.flatnonzero(done):
            fits[running[j]] = Fit(params.start(j), float(ll[j]), resp[j], step, True)
        if done.all():
            return fits  # type: ignore[return-value]
        keep = ~done
        if done.any():
            running, params, resp, inlier = running[keep], params.starts(keep), resp[keep], \
                inlier[keep]
            weights = None if weights is None else weights[keep]
        previous = ll[keep]
        params = _m_step(data, resp, options, inlier, weights)
    resp, ll, _ = _posterior(data, params, options, weights)
    for j, s in enumerate(running):
        fits[s] = Fit(params.start(j), float(ll[j]), resp[j], max_iter, False)
    return fits  # type: ignore[return-value]


def assign(data: MixedData, params: Params, options: Options) -> np.ndarray:
    """Each of several starts' most probable type of every household (S x n)."""
    per = max(1, BATCH_CELLS // max(1, data.n * params.log_weights.shape[1]))
    return np.concatenate([_posterior(data, params.starts(slice(f, f + per)), options)[0]
                           .argmax(axis=2) for f in range(0, len(params.log_weights), per)])


def best_of(fits: Sequence[Fit]) -> Fit:
    """The start with the highest log-likelihood (the first of a tie)."""
    best = fits[0]
    for fit in fits[1:]:
        if fit.log_likelihood > best.log_likelihood + 1e-9:
            best = fit
    return best


def fit_em(data: MixedData, k: int, rng: np.random.Generator, *, n_init: int = 10,
           options: Options = Options(), max_iter: int = MAX_ITER, tol: float = 1e-8,
           distance: np.ndarray | None = None) -> Fit:
    """The best of ``n_init`` EM runs from k-means++ seeds on the Gower distance."""
    distance = distance_of(data) if distance is None else distance
    assigned = np.stack([seeds(distance, k, rng) for _ in range(n_init)])
    return best_of(em(data, assigned, k, options, max_iter, tol))


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
                 outlier_share: float = 0.1, max_iter: int = MAX_ITER, tol: float = 1e-8,
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
