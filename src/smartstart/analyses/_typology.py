"""Household typology: the few recognisable household types in a target group.

Method (chosen on evidence)
---------------------------
The household factors are mixed: categories (household type, tenure, main benefit, education),
yes/no factors (youth care, Wmo support, ...) and numbers (age, income, household size). Three
methods for mixed data were compared on synthetic food-bank-like data (n = 191, five planted
types; mean adjusted Rand index (ARI) with the planted types at medium / strong separation): a
latent class model (``stepmix``) 0.76 / 0.97, Gower distance + k-medoids (PAM) 0.69 / 0.95, and
k-prototypes (``kmodes``) 0.60 / 0.88. The typology therefore fits a **latent class model for
mixed data** (``MixedLatentClass``, written here with numpy: level probabilities per category,
a contaminated normal per number so that odd values do not pull a type apart, missing values
left out of the likelihood; EM from ``n_init`` k-means++ starts on the Gower distance). Gower +
PAM on the same encoding is the robustness check: its agreement (ARI) with the latent classes
is reported.

Measured again on this package's synthetic pilot (``benchmarks/typology.py``; seeds 1-3, 187
target households; noise = share of factor values swapped between households; ARI at noise
0 / 0.1 / 0.2 / 0.3): this latent class model at the planted k 1.00 / 0.98 / 0.95 / 0.86, the
full typology choosing k itself 1.00 / 0.98 / 0.95 / 0.83 (k = 5 in 11 of 12 runs), Gower + PAM
0.99 / 0.98 / 0.94 / 0.80, stepmix 0.93 / 0.85 / 0.64 / 0.44, k-prototypes 0.85 / 0.77 / 0.57 /
0.43. Plain normal numbers (``outlier_share=0``) gave 1.00 / 0.93 / 0.84 / 0.73; stepmix with
k chosen by its BIC alone picked 6 to 8 types. (stepmix's own missing-value Gaussian fails on
this data, see the benchmark, so it ran on mean-imputed numbers.)

The number of types is chosen in ``k_range`` by BIC and AIC together with bootstrap stability
(see ``_typology_select``): BIC's and AIC's best k bracket the number, and within the bracket the
most reproducible k over ``n_bootstrap`` resamples wins. At n~190 BIC alone picked too few types
on harder data; stability peaked at the number of types that was planted (5, and 3 or 4 on
populations with only some types planted).

Each type's stability is the mean over the bootstrap refits of the adjusted Rand index of "in
this type or not" with its best-matching refit type (and the Jaccard similarity, Hennig's
clusterboot measure); a type below ``min_stability`` is flagged as unstable.

Reading the profile
-------------------
Per type the profile shows what is *relatively more common* in it than in the rest of the target
group (and than in the municipality, when the full household table is given). That does not mean
that other things do not occur in the type: see ``CAUTION_NL`` / ``CAUTION_EN``, to be shown with
every profile.

Disclosure readiness: sizes and profile cells are counts with their bases; types smaller than
``min_size`` are merged into the nearest type or withheld (``actions`` says which and why). The
suppression itself is done by ``disclosure/``. Results are group-level only: the type of each
household (``Typology.labels_``) is microdata that stays in the secure environment.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.metrics import adjusted_rand_score

from smartstart.analyses._common import FactorInfo, factor_info, sensitive_attributes
from smartstart.analyses._typology_cards import PersonaCard, card
from smartstart.analyses._typology_data import FULL_GOWER, GowerColumns, distance_of, fit_encoding
from smartstart.analyses._typology_lca import Options
from smartstart.analyses._typology_names import names as generated_names
from smartstart.analyses._typology_pam import pam
from smartstart.analyses._typology_profile import profile
from smartstart.analyses._typology_result import TypologyResult, TypologySpec
from smartstart.analyses._typology_select import (
    Candidate,
    Settings,
    choose,
    criteria,
    fit_candidates,
    type_stability,
)
from smartstart.analyses._typology_small import settle
from smartstart.errors import LackOfData
from smartstart.features import factors

KEYS = frozenset({"household_id", "RINPERSOONS", "RINPERSOON", "household"})


def _split(table: pd.DataFrame, spec: TypologySpec) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    if spec.target not in table.columns:
        return table, None
    inside = table[spec.target].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return table[inside], table


def not_by_default() -> frozenset[str]:
    """Household columns never used as clustering input by default: places (the areas analysis
    answers "where"), the target-group flag, and the outcome (the library's roles)."""
    roles = {name: f.role for name, f in factors()["household"].items()}
    return frozenset({n for n, r in roles.items() if r in ("place", "target", "outcome")}
                     | {"outcome"})


def _infos(table: pd.DataFrame, names: tuple[str, ...] | None, target: str) -> list[FactorInfo]:
    """The factors (default: every column but keys, places, the target flag and audit-only)."""
    if names is None:
        avoid = not_by_default() | sensitive_attributes("household") | KEYS | {target}
        names = tuple(c for c in table.columns if c not in avoid)
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise KeyError(f"columns not in the table: {', '.join(missing)}")
    return [factor_info(n, "household", table[n]) for n in names]


def _fit(target: pd.DataFrame, infos: list[FactorInfo], spec: TypologySpec):
    categorical = [i.name for i in infos if i.type in ("binary", "category")]
    numeric = [i.name for i in infos if i.type not in ("binary", "category")]
    data = fit_encoding(target, categorical, numeric).transform(target)
    distance = distance_of(data)
    low, high = spec.k_range[0], min(spec.k_range[1], max(len(target) - 1, 1))
    settings = Settings(spec.n_init, spec.n_bootstrap, spec.bootstrap_n_init,
                        Options(spec.smoothing, spec.outlier_share))
    candidates = fit_candidates(data, distance, range(low, high + 1), settings,
                                spec.random_state)
    return candidates, choose(criteria(data, candidates)), distance


def _numbered(candidate: Candidate) -> tuple[np.ndarray, np.ndarray]:
    """Labels 1..k by size (largest first; ties by first household), and resp in that order."""
    raw = candidate.labels
    k = candidate.k
    sizes = np.bincount(raw, minlength=k)
    first = np.array([np.flatnonzero(raw == t)[0] if sizes[t] else len(raw) for t in range(k)])
    order = np.lexsort((first, -sizes))
    number = np.empty(k, dtype=int)
    number[order] = np.arange(1, k + 1)
    return number[raw], candidate.fit.resp[:, order]


class Typology(BaseEstimator):
    """The typology as an estimator: ``fit(table)`` clusters, profiles and names the types.

    Fitted attributes: ``result_`` (the group-level ``TypologyResult``) and ``labels_`` (the
    type of each target-group household, indexed like the table; NA = withheld). ``labels_`` is
    microdata: it stays in the secure environment and is never part of a bundle.
    """

    def __init__(self, spec: TypologySpec | None = None):
        self.spec = spec

    def fit(self, table: pd.DataFrame, y: object = None) -> Typology:
        spec = self.spec or TypologySpec()
        target, municipality = _split(table, spec)
        if len(target) < 2 or len(target) <= spec.k_range[0]:
            # k types need more than k households (and one household is no typology)
            # the detail goes into the bundle: no count of households in it
            raise LackOfData("too_few_households", "too few households in the target group for "
                             f"a typology of {max(spec.k_range[0], 2)} or more types")
        infos = _infos(target, spec.factors, spec.target)
        candidates, selection, distance = _fit(target, infos, spec)
        k = int(selection.loc[selection["chosen"], "k"].iloc[0])
        chosen = next(c for c in candidates if c.k == k)
        labels, resp = _numbered(chosen)
        final, actions = settle(labels, resp, spec.min_size, spec.small_types)
        self.labels_ = pd.Series(pd.array(np.where(final > 0, final, None), dtype="Int64"),
                                 index=target.index, name="type")
        profile_infos = _infos(target, spec.profile_factors or tuple(i.name for i in infos),
                               spec.target)
        table_profile = profile(target, self.labels_, profile_infos, municipality)
        types = _types(final, chosen, table_profile, spec)
        self.result_ = TypologyResult(
            spec=spec, chosen_k=k, factors=tuple(i.name for i in infos), selection=selection,
            types=types, profile=table_profile, actions=actions,
            robustness=_robustness(distance, chosen, spec),
            personas=_personas(types, table_profile))
        return self


def typology(table: pd.DataFrame, spec: TypologySpec | None = None) -> TypologyResult:
    """Cluster the target group's households into types; profile, name and describe them.

    ``table`` is the household table. With the spec's ``target`` column, the target group is the
    rows where it is true and the whole table is the municipality; without it, the table is the
    target group. The table is not modified."""
    return Typology(spec).fit(table).result_


def _names(table_profile: pd.DataFrame, spec: TypologySpec) -> dict[int, tuple[str, str]]:
    made = generated_names(table_profile)
    out = {}
    for t, (nl, en) in made.items():
        out[t] = (spec.names.get(t, spec.names.get(nl, nl)),
                  spec.names_en.get(t, spec.names_en.get(nl, en)))
    return out


TYPE_COLUMNS = ["type", "name_nl", "name_en", "size", "share", "stability_ari",
                "stability_jaccard", "stable"]


def _types(final: np.ndarray, chosen: Candidate, table_profile: pd.DataFrame,
           spec: TypologySpec) -> pd.DataFrame:
    kept = final > 0
    if not kept.any():
        return pd.DataFrame(columns=TYPE_COLUMNS)
    stab = type_stability(final[kept], chosen.boot_labels[:, kept])
    named = _names(table_profile, spec)
    sizes = np.bincount(final[kept])
    rows = [{"type": int(t), "name_nl": named[int(t)][0], "name_en": named[int(t)][1],
             "size": int(sizes[t]), "share": sizes[t] / len(final),
             "stability_ari": s_ari, "stability_jaccard": s_jac,
             "stable": bool(s_ari >= spec.min_stability)}
            for t, s_ari, s_jac in stab.itertuples(index=False)]
    return pd.DataFrame(rows, columns=TYPE_COLUMNS).astype({"size": "Int64"})


def _personas(types: pd.DataFrame, table_profile: pd.DataFrame) -> tuple[PersonaCard, ...]:
    return tuple(card(table_profile[table_profile["type"] == r.type], int(r.type),
                      (r.name_nl, r.name_en), int(r.size), bool(r.stable))
                 for r in types.itertuples(index=False))


def _robustness(distance: np.ndarray | GowerColumns, chosen: Candidate,
                spec: TypologySpec) -> pd.DataFrame:
    rows = [{"method": "latent_class", "k": chosen.k, "ari_with_latent_class": 1.0}]
    if spec.robustness and chosen.k > 1:
        labels = _pam_labels(distance, chosen.k, spec.random_state)
        rows.append({"method": "gower_pam", "k": chosen.k,
                     "ari_with_latent_class": adjusted_rand_score(chosen.labels, labels)})
    return pd.DataFrame(rows)


def _pam_labels(distance: np.ndarray | GowerColumns, k: int, seed: int | None) -> np.ndarray:
    """k-medoids on the Gower distance; for more than ``FULL_GOWER`` households on a seeded
    sample of that many (CLARA: the medoids of the sample, every household to its nearest)."""
    if not isinstance(distance, GowerColumns):
        return pam(distance, k)[1]
    sample = np.sort(np.random.default_rng(seed).choice(len(distance), FULL_GOWER,
                                                        replace=False))
    medoids, _ = pam(distance.take(sample).full(), k)
    return distance[:, sample[medoids]].argmin(axis=1)
