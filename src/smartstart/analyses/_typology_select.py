"""How many types: BIC and AIC bracket the number, bootstrap stability picks within the bracket.

For every k in the configured range the latent class model is fitted (``n_init`` starts).
Every k within the bracket (below) is then refitted on ``n_bootstrap`` bootstrap resamples of
the households (``bootstrap_n_init`` starts each); every refit assigns *all* households, and its
adjusted Rand index (ARI) with the full fit's assignment measures how reproducible the k-type
solution is. A k outside the bracket cannot be chosen, so its stability is not computed (NaN):
with the bracket one or two wide, that is most of the refits saved, and the choice, the types
and their stability are those of refitting every k (each k draws from its own random stream,
the full fit first).

The rule: BIC's best k is the smallest plausible number of types and AIC's best k the largest
(AIC penalises parameters less, so its best k is never below BIC's). Within that bracket the k
with the highest mean bootstrap ARI is chosen; a k within ``STABILITY_TIE`` of the best
stability counts as a tie, and ties go to the lower BIC. At n~190 BIC alone tends to pick too
few types and AIC too many; stability peaks at the number of types that is really there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from smartstart.analyses._typology_data import MixedData, sub_distance
from smartstart.analyses._typology_lca import (
    MAX_ITER,
    Fit,
    Options,
    Params,
    assign,
    best_of,
    em,
    fit_em,
    n_parameters,
    seeds,
)

STABILITY_TIE = 0.01
#: bootstrap refits stop when the log-likelihood improves by less than this (relative)
BOOTSTRAP_TOL = 1e-6


@dataclass(frozen=True)
class Candidate:
    """The k-type fit, and the assignment of all households by each bootstrap refit (B x n;
    None when k was not refitted, being outside the bracket)."""

    k: int
    fit: Fit
    boot_labels: np.ndarray | None

    @property
    def labels(self) -> np.ndarray:
        return self.fit.resp.argmax(axis=1)

    def stability(self) -> np.ndarray:
        """ARI of each bootstrap assignment with the full fit's assignment (empty when k was
        not refitted)."""
        if self.boot_labels is None:
            return np.array([])
        return np.array([adjusted_rand_score(self.labels, b) for b in self.boot_labels])


@dataclass(frozen=True)
class Settings:
    n_init: int
    n_bootstrap: int
    bootstrap_n_init: int
    options: Options


def refit_bootstrap(data: MixedData, distance: np.ndarray, candidate: Candidate,
                    settings: Settings, rng: np.random.Generator) -> Candidate:
    """``candidate`` with its bootstrap refits (``rng``: its own stream, after the full fit).

    Every refit's starts run side by side: a resample is its households' counts (``em``'s
    weights), so all ``n_bootstrap x bootstrap_n_init`` starts are one EM over the same rows,
    each start the fit of its resample (seeded as before: the draws in the same order)."""
    k, starts = candidate.k, settings.bootstrap_n_init
    assigned = np.zeros((settings.n_bootstrap * starts, data.n), dtype=int)
    weights = np.zeros((settings.n_bootstrap * starts, data.n))
    for b in range(settings.n_bootstrap):
        rows = rng.integers(data.n, size=data.n)
        sub = sub_distance(distance, rows)
        counts = np.bincount(rows, minlength=data.n)
        for j in range(b * starts, (b + 1) * starts):
            # a household drawn twice has the same distances, so the same seed's type
            assigned[j, rows] = seeds(sub, k, rng)
            weights[j] = counts
    fits = em(data, assigned, k, settings.options, MAX_ITER, BOOTSTRAP_TOL, weights)
    best = Params.stacked([best_of(fits[b * starts:(b + 1) * starts]).params
                           for b in range(settings.n_bootstrap)])
    return Candidate(k, candidate.fit, assign(data, best, settings.options))


def fit_candidates(data: MixedData, distance: np.ndarray, ks: range, settings: Settings,
                   seed: int) -> list[Candidate]:
    """One candidate per k, each with its own random stream (results do not depend on range):
    every k fitted, then the bootstrap refits of the k within the BIC-AIC bracket."""
    streams = {k: np.random.default_rng([seed, k]) for k in ks}
    fitted = [Candidate(k, fit_em(data, k, streams[k], n_init=settings.n_init,
                                  options=settings.options, distance=distance), None)
              for k in ks]
    low, high = bracket(criteria(data, fitted))
    return [refit_bootstrap(data, distance, c, settings, streams[c.k])
            if low <= c.k <= high else c for c in fitted]


def criteria(data: MixedData, candidates: list[Candidate]) -> pd.DataFrame:
    """Per k: log-likelihood, parameters, BIC, AIC, bootstrap ARI (mean, sd; NaN when k was
    not refitted), smallest type, and ``n``, the households they rest on (BIC - AIC =
    p (ln n - 2) gives it back: the gate publishes the likelihood statistics only when n is
    published)."""
    rows = []
    for c in candidates:
        p = n_parameters(data, c.k)
        ll = c.fit.log_likelihood
        stab = c.stability()
        rows.append({"k": c.k, "log_likelihood": ll, "n_parameters": p,
                     "bic": -2 * ll + p * np.log(data.n), "aic": -2 * ll + 2 * p,
                     "stability": float(stab.mean()) if len(stab) else np.nan,
                     "stability_sd": float(stab.std()) if len(stab) else np.nan,
                     "smallest_type": int(np.bincount(c.labels, minlength=c.k).min()),
                     "n": int(data.n)})
    return pd.DataFrame(rows)


def bracket(table: pd.DataFrame) -> tuple[int, int]:
    """The numbers of types BIC's best and AIC's best bracket (lowest, highest)."""
    k_bic = int(table.loc[table["bic"].idxmin(), "k"])
    k_aic = int(table.loc[table["aic"].idxmin(), "k"])
    return min(k_bic, k_aic), max(k_bic, k_aic)


def choose(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``in_bracket`` and ``chosen`` columns added (see the module's rule)."""
    low, high = bracket(table)
    within = table["k"].between(low, high)
    best = table.loc[within, "stability"].max()
    ties = table[within & (table["stability"] >= best - STABILITY_TIE)]
    k = int(ties.loc[ties["bic"].idxmin(), "k"])
    return table.assign(in_bracket=within, chosen=table["k"] == k)


def type_stability(labels: np.ndarray, boot_labels: np.ndarray) -> pd.DataFrame:
    """Per type (0..k-1 as in ``labels``): mean over the bootstrap refits of the best Jaccard
    similarity with a refit type, and of the ARI of "in this type or not" with "in that
    refit type or not" (the refit type that matches best)."""
    types = np.unique(labels)
    jac = np.zeros((len(boot_labels), len(types)))
    ari = np.zeros_like(jac)
    for b, other in enumerate(boot_labels):
        for j, t in enumerate(types):
            mine = labels == t
            scores = [_jaccard(mine, other == o) for o in np.unique(other)]
            match = np.unique(other)[int(np.argmax(scores))]
            jac[b, j] = max(scores)
            ari[b, j] = adjusted_rand_score(mine, other == match)
    return pd.DataFrame({"label": types, "stability_ari": ari.mean(axis=0),
                         "stability_jaccard": jac.mean(axis=0)})


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 0.0
