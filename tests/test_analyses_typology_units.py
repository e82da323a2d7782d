"""Typology building blocks against independent references, on small data (fast).

References: scikit-learn's GaussianMixture (numbers only), a direct likelihood maximisation with
scipy (categories only), brute-force k-medoids, Gower's definition and Cliff's delta by counting
pairs; plus the selection rule, small-type handling, names, and no input mutation.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.optimize import check_grad, minimize
from scipy.special import log_softmax, logsumexp
from sklearn.base import clone
from sklearn.mixture import GaussianMixture

from smartstart.analyses import MixedLatentClass, Typology, TypologySpec, typology
from smartstart.analyses._typology_data import fit_encoding, gower
from smartstart.analyses._typology_names import compose, names
from smartstart.analyses._typology_pam import pam
from smartstart.analyses._typology_profile import cliffs_delta
from smartstart.analyses._typology_select import choose
from smartstart.analyses._typology_small import settle
from smartstart.errors import LackOfData


def mixed_table(seed: int = 0, sizes: tuple[int, ...] = (60, 40, 8)) -> pd.DataFrame:
    """Three clusters of a category, a yes/no, a number with gaps and a count."""
    rng = np.random.default_rng(seed)
    kinds = [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.0, 0.05, 0.95]]
    parts = []
    for c, n in enumerate(sizes):
        parts.append(pd.DataFrame({
            "kind": rng.choice(["a", "b", "c"], size=n, p=kinds[c]),
            "flag": rng.random(n) < [0.9, 0.2, 0.5][c],
            "x": rng.normal([0.0, 4.0, 12.0][c], 1.0, n),
            "count": rng.poisson([1.0, 3.0, 6.0][c], n)}))
    table = pd.concat(parts, ignore_index=True)
    table["x"] = table["x"].astype("Float64").mask(rng.random(len(table)) < 0.05)
    table["flag"] = table["flag"].astype("boolean")
    return table.astype({"kind": "string", "count": "Int64"})


FAST = TypologySpec(k_range=(2, 4), n_bootstrap=8, bootstrap_n_init=2, n_init=4)


# --- the latent class model against independent references -----------------------------------

def test_numbers_only_equals_sklearn_gaussian_mixture():
    rng = np.random.default_rng(3)
    centres = np.array([[0.0, 0.0], [6.0, 1.0], [2.0, 7.0]])
    x = np.vstack([rng.normal(c, [1.0, 0.7], (n, 2)) for c, n in zip(centres, [120, 90, 60],
                                                                      strict=True)])
    table = pd.DataFrame(x, columns=["u", "v"])
    ours = MixedLatentClass(3, categorical=[], numeric=["u", "v"], smoothing=1e-9, n_init=5,
                            outlier_share=0.0,
                            tol=1e-12, max_iter=2000, random_state=0).fit(table)
    ref = GaussianMixture(3, covariance_type="diag", n_init=5, tol=1e-10, max_iter=2000,
                          reg_covar=1e-12, random_state=0).fit(x)
    jacobian = len(x) * np.log(x.std(axis=0)).sum()  # ours works on standardised numbers
    assert ours.log_likelihood_ - jacobian == pytest.approx(ref.score(x) * len(x), rel=1e-7)
    mine = ours.means_.to_numpy()[np.argsort(ours.means_["u"])]
    theirs = ref.means_[np.argsort(ref.means_[:, 0])]
    np.testing.assert_allclose(mine, theirs, atol=1e-4)
    np.testing.assert_allclose(np.sort(ours.weights_), np.sort(ref.weights_), atol=1e-5)


def _categorical_loglik(theta: np.ndarray, codes: np.ndarray, k: int, levels: int) -> float:
    return _categorical(theta, codes, k, levels)[0]


def _categorical(theta: np.ndarray, codes: np.ndarray, k: int, levels: int
                 ) -> tuple[float, np.ndarray]:
    """The log-likelihood over softmax parameters and its gradient (posterior-weighted level
    counts minus their expectation), so that L-BFGS-B needs no finite differences."""
    weights = log_softmax(np.r_[0.0, theta[: k - 1]])
    probs = log_softmax(theta[k - 1:].reshape(k, codes.shape[1], levels), axis=2)
    joint = weights + sum(probs[:, j, codes[:, j]].T for j in range(codes.shape[1]))
    norm = logsumexp(joint, axis=1)
    resp = np.exp(joint - norm[:, None])  # n x k
    counts = np.stack([resp.T @ np.eye(levels)[codes[:, j]] for j in range(codes.shape[1])],
                      axis=1)  # k x factors x levels
    size = resp.sum(axis=0)
    grad_levels = counts - size[:, None, None] * np.exp(probs)
    grad_weights = (size - len(codes) * np.exp(weights))[1:]
    return float(norm.sum()), np.r_[grad_weights, grad_levels.ravel()]


def test_categories_only_reach_the_likelihood_maximum():
    rng = np.random.default_rng(5)
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    group = rng.random(240) < 0.4
    codes = np.column_stack([np.where(group, rng.choice(3, 240, p=probs[0]),
                                      rng.choice(3, 240, p=probs[1])) for _ in range(4)])
    table = pd.DataFrame(codes.astype(str), columns=list("abcd"))
    ours = MixedLatentClass(2, categorical=list("abcd"), numeric=[], smoothing=1e-9,
                            n_init=10, tol=1e-14, max_iter=5000, random_state=1).fit(table)
    def negative(theta):
        value, grad = _categorical(theta, codes, 2, 3)
        return -value, -grad

    start = rng.normal(0, 1, 1 + 2 * 4 * 3)
    assert check_grad(lambda t: negative(t)[0], lambda t: negative(t)[1], start) < 1e-4
    best = max(-minimize(negative, rng.normal(0, 1, 1 + 2 * 4 * 3), jac=True,
                         method="L-BFGS-B").fun for _ in range(15))
    assert ours.log_likelihood_ >= best - 1e-4
    assert ours.log_likelihood_ == pytest.approx(best, abs=1e-3)


def test_contaminated_normal_likelihood_by_hand():
    table = mixed_table()
    model = MixedLatentClass(3, outlier_share=0.1, random_state=0).fit(table)
    enc = model.encoding_
    z = (table[["x", "count"]].astype(float).to_numpy() - enc.centre) / enc.scale
    mean = (model.means_.to_numpy() - enc.centre) / enc.scale
    sd = model.sds_.to_numpy() / enc.scale
    total = 0.0
    for i in range(len(table)):
        joint = np.log(model.weights_).copy()
        for name, probs in model.probabilities_.items():
            value = table[name].iloc[i]
            joint += np.log(probs[str(value)].to_numpy()) if pd.notna(value) else 0.0
        for j in range(2):
            if not np.isnan(z[i, j]):
                joint += np.log(0.9 * stats.norm.pdf(z[i, j], mean[:, j], sd[:, j])
                                + 0.1 * stats.norm.pdf(z[i, j]))
        total += logsumexp(joint)
    assert model.log_likelihood_ == pytest.approx(total, rel=1e-10)


def test_one_em_step_of_a_resample_by_hand():
    """The densities are computed per distinct value (``MixedData.distinct``): one E- and
    M-step on a bootstrap resample (repeated rows, a count with few values, a number with
    gaps) against the per-household formulas written out with scipy."""
    from smartstart.analyses._typology_lca import Options, m_step, posterior

    table = mixed_table(seed=4)
    enc = fit_encoding(table, ["kind", "flag"], ["x", "count"])
    rows = np.random.default_rng(2).integers(len(table), size=len(table))
    data = enc.transform(table).take(rows)
    z = ((table[["x", "count"]].astype(float).to_numpy() - enc.centre) / enc.scale)[rows]
    rng = np.random.default_rng(9)
    start = m_step(data, rng.dirichlet(np.ones(3), size=len(rows)), Options())
    resp, ll, inlier = posterior(data, start, Options(outlier_share=0.2))
    sd = np.sqrt(start.var)
    own = 0.8 * stats.norm.pdf(z[:, None, :], start.mean[None], sd[None])  # n x k x q
    mixed = own + 0.2 * stats.norm.pdf(z)[:, None, :]
    seen = ~np.isnan(z)[:, None, :]
    joint = (start.log_weights + data.onehot @ start.log_theta.T
             + np.where(seen, np.log(np.where(seen, mixed, 1.0)), 0.0).sum(axis=2))
    assert ll == pytest.approx(logsumexp(joint, axis=1).sum(), rel=1e-12)
    np.testing.assert_allclose(resp, np.exp(joint - logsumexp(joint, axis=1)[:, None]),
                               atol=1e-12)
    after = m_step(data, resp, Options(outlier_share=0.2), inlier)
    weight = np.where(seen, resp[:, :, None] * own / np.where(seen, mixed, 1.0), 0.0)
    values = np.nan_to_num(z)[:, None, :]
    w = weight.sum(axis=0) + 1.0  # smoothing: one pseudo-household at mean 0, variance 1
    mean = (weight * values).sum(axis=0) / w
    var = ((weight * values ** 2).sum(axis=0) - mean * (weight * values).sum(axis=0) + 1.0) / w
    np.testing.assert_allclose(after.mean, mean, atol=1e-12)
    np.testing.assert_allclose(after.var, np.maximum(var, 1e-3), atol=1e-12)


def _em_alone(data, first: np.ndarray, k: int, tol: float):
    """The reference: one start's EM written out with the one-start steps (checked by hand
    above), stopping at its own convergence."""
    from smartstart.analyses._typology_lca import Options, m_step, posterior

    previous, params = -np.inf, m_step(data, np.eye(k)[first], Options())
    for step in range(1, 501):
        resp, ll, inlier = posterior(data, params, Options())
        if ll - previous < tol * abs(ll):
            return params, ll, resp, step
        previous, params = ll, m_step(data, resp, Options(), inlier)
    raise AssertionError("no convergence")


@pytest.mark.parametrize("cells", [4_000_000, 1])
def test_starts_side_by_side_equal_each_start_alone_and_a_resample_its_counts(monkeypatch,
                                                                              cells):
    """``em`` runs many starts at once (a batch of ``BATCH_CELLS``; 1: each start alone): each
    start's fit, log-likelihood and iterations are those of running it by itself, and a start
    with weights (a bootstrap resample's row counts) is the fit of the resample itself."""
    from smartstart.analyses import _typology_lca as lca

    monkeypatch.setattr(lca, "BATCH_CELLS", cells)
    table = mixed_table(5, (50, 40, 30))
    data = fit_encoding(table, ["kind", "flag"], ["x", "count"]).transform(table)
    rng, k = np.random.default_rng(3), 3
    assigned = rng.integers(k, size=(6, data.n))
    rows = [rng.integers(data.n, size=data.n) for _ in range(3)]
    weights = np.array([np.bincount(r, minlength=data.n) for r in rows for _ in range(2)])
    plain = lca.em(data, assigned, k, lca.Options(), 500, 1e-8)
    resampled = lca.em(data, assigned, k, lca.Options(), 500, 1e-6, weights)
    assert len({f.n_iter for f in plain}) > 1  # the starts stop at different steps
    for j, fit in enumerate(plain):
        params, ll, resp, steps = _em_alone(data, assigned[j], k, 1e-8)
        assert (fit.n_iter, fit.converged) == (steps, True)
        assert fit.log_likelihood == pytest.approx(ll, rel=1e-12)
        np.testing.assert_allclose(fit.resp, resp, atol=1e-10)
        np.testing.assert_allclose(fit.params.mean, params.mean, atol=1e-10)
    for j, fit in enumerate(resampled):
        sample = rows[j // 2]
        params, ll, resp, steps = _em_alone(data.take(sample), assigned[j][sample], k, 1e-6)
        assert fit.n_iter == steps
        assert fit.log_likelihood == pytest.approx(ll, rel=1e-12)
        np.testing.assert_allclose(fit.resp[sample], resp, atol=1e-10)
        for name in ("log_weights", "log_theta", "mean", "var"):
            np.testing.assert_allclose(getattr(fit.params, name), getattr(params, name),
                                       atol=1e-10)


def test_estimator_conventions():
    table = mixed_table()
    model = MixedLatentClass(3, random_state=0)
    assert clone(model).get_params() == model.get_params()
    assert model.fit(table) is model
    np.testing.assert_array_equal(model.predict(table), model.labels_)
    n_par = model.n_parameters_
    assert n_par == 2 + 3 * (2 + 1) + 2 * 3 * 2  # weights, kind + flag levels, 2 numbers
    assert model.bic_ == pytest.approx(-2 * model.log_likelihood_ + n_par * np.log(len(table)))
    assert set(model.probabilities_) == {"kind", "flag"}


# --- Gower, PAM, Cliff's delta --------------------------------------------------------------

def test_gower_follows_its_definition():
    table = pd.DataFrame({"c": ["a", "b", None, "a"], "y": [1.0, 3.0, 2.0, np.nan],
                          "z": [0.0, 10.0, 5.0, 5.0]})
    got = gower(fit_encoding(table, ["c"], ["y", "z"]).transform(table))
    for i, j in itertools.product(range(4), repeat=2):
        parts = []
        if not (pd.isna(table["c"][i]) or pd.isna(table["c"][j])):
            parts.append(float(table["c"][i] != table["c"][j]))
        if not (np.isnan(table["y"][i]) or np.isnan(table["y"][j])):
            parts.append(abs(table["y"][i] - table["y"][j]) / 2.0)
        parts.append(abs(table["z"][i] - table["z"][j]) / 10.0)
        assert got[i, j] == pytest.approx(0.0 if i == j else np.mean(parts))


@pytest.mark.parametrize(("seed", "k"), [(0, 2), (1, 3), (2, 3), (3, 4)])
def test_pam_equals_brute_force(seed, k):
    points = np.random.default_rng(seed).normal(size=(12, 2))
    distance = np.linalg.norm(points[:, None] - points[None], axis=2)
    best = min(distance[:, list(m)].min(axis=1).sum()
               for m in itertools.combinations(range(12), k))
    medoids, labels = pam(distance, k)
    assert distance[:, medoids].min(axis=1).sum() == pytest.approx(best)
    np.testing.assert_array_equal(labels, distance[:, medoids].argmin(axis=1))


def test_cliffs_delta_counts_pairs():
    rng = np.random.default_rng(7)
    a, b = rng.integers(0, 5, 30).astype(float), rng.integers(1, 6, 41).astype(float)
    pairs = np.sign(a[:, None] - b[None, :]).mean()
    assert cliffs_delta(a, b) == pytest.approx(pairs)


# --- choosing k, small types ----------------------------------------------------------------

def test_bic_and_aic_bracket_stability_decides():
    table = pd.DataFrame({"k": [2, 3, 4, 5, 6], "bic": [50, 10, 20, 30, 60],
                          "aic": [40, 9, 8, 7, 20], "stability": [0.9, 0.8, 0.95, 0.7, 0.99]})
    got = choose(table)
    assert got["in_bracket"].tolist() == [False, True, True, True, False]
    assert got.loc[got["chosen"], "k"].tolist() == [4]
    tie = choose(table.assign(stability=[0.9, 0.945, 0.95, 0.7, 0.99]))
    assert tie.loc[tie["chosen"], "k"].tolist() == [3]  # within 0.01: lower BIC wins


def test_only_the_bracket_is_refitted_and_decides_as_if_every_k_were():
    """The bootstrap refits of the k within the BIC-AIC bracket only: the selection, the
    choice and the refits are those of refitting every k (the reference: each k's stream,
    full fit then refits, as before the cut), and the k outside the bracket have no
    stability (NaN), not a made-up one."""
    from smartstart.analyses._typology_data import distance_of
    from smartstart.analyses._typology_lca import Options, fit_em
    from smartstart.analyses._typology_select import (
        Candidate,
        Settings,
        criteria,
        fit_candidates,
        refit_bootstrap,
    )

    table = mixed_table(4, (50, 40, 30))
    data = fit_encoding(table, ["kind", "flag"], ["x", "count"]).transform(table)
    distance = distance_of(data)
    settings = Settings(3, 6, 2, Options())
    ks = range(2, 7)
    reference = []
    for k in ks:
        rng = np.random.default_rng([11, k])
        fit = fit_em(data, k, rng, n_init=3, options=settings.options, distance=distance)
        reference.append(refit_bootstrap(data, distance, Candidate(k, fit, None), settings,
                                         rng))
    everything = choose(criteria(data, reference))
    got = choose(criteria(data, fit_candidates(data, distance, ks, settings, 11)))
    inside = everything["in_bracket"]
    assert 1 <= inside.sum() < len(ks)  # something to save, and a bracket to decide in
    pd.testing.assert_frame_equal(got[inside], everything[inside])
    pd.testing.assert_frame_equal(got.drop(columns=["stability", "stability_sd"]),
                                  everything.drop(columns=["stability", "stability_sd"]))
    assert got.loc[~inside, "stability"].isna().all()
    assert everything["stability"].notna().all()


def test_small_type_is_merged_into_the_nearest_or_withheld():
    labels = np.repeat([1, 2, 3], [20, 15, 4])
    resp = np.zeros((39, 3))
    resp[np.arange(39), labels - 1] = 0.9
    resp[35:, 1] = 0.08  # type 3's households are closest to type 2
    merged, actions = settle(labels, resp, 10, "merge")
    assert (merged[35:] == 2).all() and (merged[:35] == labels[:35]).all()
    assert actions[["type", "size", "action", "into_type"]].values.tolist() == [[3, 4, "merged", 2]]
    held, actions = settle(labels, resp, 16, "withhold")
    assert set(held) == {0, 1} and actions["action"].tolist() == ["withheld", "withheld"]
    assert actions["size"].tolist() == [4, 15]


@pytest.mark.parametrize("mode", ["merge", "withhold"])
def test_result_has_no_type_below_min_size(mode):
    spec = TypologySpec(k_range=(3, 3), min_size=10, small_types=mode, n_bootstrap=4,
                        bootstrap_n_init=2)
    model = Typology(spec).fit(mixed_table())
    result = model.result_
    assert result.chosen_k == 3 and result.n_types == 2
    assert (result.types["size"] >= 10).all()
    action = result.actions.iloc[0]
    assert action["action"] == {"merge": "merged", "withhold": "withheld"}[mode]
    assert action["size"] < 10 and "10" in action["reason_nl"]
    assert set(result.profile["type"]) == set(result.types["type"])
    withheld = model.labels_.isna().sum()
    assert withheld == (action["size"] if mode == "withhold" else 0)
    first = result.profile[(result.profile["type"] == 1) & (result.profile["factor"] == "kind")]
    assert (first["n"] + first["rest_n"] == 108).all()  # withheld stay in the rest


def test_sizes_and_cells_are_ready_for_the_disclosure_gate():
    from smartstart.disclosure import check_clusters, check_shares

    result = typology(mixed_table(), TypologySpec(k_range=(3, 3), n_bootstrap=4))
    size, *_ = check_clusters(result.sizes())
    assert size.status == "pass" and result.sizes().sum() == 108
    counts, bases = result.cell_counts(), result.cell_counts("n")
    assert counts.shape == bases.shape == (5, result.n_types)  # kind a/b/c, flag no/yes
    assert (counts.groupby(level="factor").sum() == bases.groupby(level="factor").first()).all(
        axis=None)
    shares = check_shares(counts, bases)
    assert shares.mask.shape == counts.shape


def test_a_target_group_too_small_for_any_type_reports_nothing():
    result = typology(mixed_table(sizes=(8, 7)), TypologySpec(n_bootstrap=3,
                                                               small_types="withhold"))
    assert result.types.empty and result.profile.empty and not result.personas
    assert result.actions["action"].tolist() == ["withheld", "withheld"]
    assert result.actions["size"].sum() == 15
    with pytest.raises(LackOfData) as lack:
        typology(mixed_table(sizes=(1,)), FAST)
    assert lack.value.reason == "too_few_households"


# --- names, cards, spec, mutation ------------------------------------------------------------

def _rows(traits: dict[tuple[str, str], tuple[float, float]]) -> pd.DataFrame:
    rows = []
    for (factor, level), (share, delta) in traits.items():
        rows.append({"factor": factor, "kind": "level", "level": level, "share": share,
                     "delta": delta, "mean": np.nan, "standout": delta >= 0.33,
                     "direction": "higher" if delta >= 0.33 else "similar"})
    rows.append({"factor": "reference_age", "kind": "numeric", "level": "", "share": np.nan,
                 "delta": -0.9, "mean": 27.0, "standout": True, "direction": "lower"})
    return pd.DataFrame(rows)


def test_a_name_from_the_most_distinctive_traits():
    rows = _rows({("household_type", "6"): (1.0, 1.0), ("main_benefit", "3"): (1.0, 0.6),
                  ("tenure", "3"): (1.0, 0.58), ("child_youth_care", "True"): (0.6, 0.45)})
    assert compose(rows) == ("Jong eenouderhuishouden in de bijstand",
                             "Young single-parent household on social assistance")
    two = pd.concat([rows.assign(type=1), rows.assign(type=2)])
    made = names(two)
    assert made[1][0] == "Jong eenouderhuishouden in de bijstand en met huurtoeslag (type 1)"
    assert made[2][1] == ("Young single-parent household on social assistance and with rent "
                          "allowance (type 2)")


def test_names_are_deterministic_and_can_be_overridden():
    table = mixed_table()
    first, second = typology(table, FAST), typology(table, FAST)
    pd.testing.assert_frame_equal(first.types, second.types)
    assert first.personas == second.personas
    generated = first.types.set_index("type")["name_nl"]
    spec = TypologySpec(**{**FAST.__dict__, "names": {1: "Eigen naam",
                                                      generated[2]: "Tweede naam"}})
    renamed = typology(table, spec).types.set_index("type")["name_nl"]
    assert renamed[1] == "Eigen naam" and renamed[2] == "Tweede naam"


def test_persona_cards_are_plain_data():
    result = typology(mixed_table(), FAST)
    for card in result.personas:
        assert 3 <= len(card.questions_nl) == len(card.questions_en) <= 5
        json.dumps(card.to_dict())


@pytest.mark.parametrize("bad", [{"k_range": (3, 2)}, {"small_types": "drop"},
                                 {"min_size": 0}, {"min_stability": 2.0}])
def test_invalid_spec_is_refused(bad):
    with pytest.raises(ValueError):
        TypologySpec(**bad)


def test_public_functions_do_not_modify_their_input():
    table = mixed_table().assign(target_group=lambda t: t.index % 4 != 0)
    before = table.copy(deep=True)
    typology(table, FAST)
    Typology(FAST).fit(table)
    columns = table[["kind", "flag", "x", "count"]]
    MixedLatentClass(2, random_state=0).fit(columns).predict_proba(columns)
    pd.testing.assert_frame_equal(table, before)


def test_level_text_keeps_missing_as_none_under_any_pandas():
    """pandas 3 reads text as its str dtype, where map() turns None into NaN; the typology's
    levels must stay text or None (a NaN next to text broke sorting the levels)."""
    import pandas as pd

    from smartstart.analyses._typology_data import level_text

    for column in (pd.Series(["1", None, "3"]), pd.Series(["1", None, "3"], dtype=object),
                   pd.Series([1.0, float("nan"), 3.0])):
        assert level_text(column).tolist() == ["1", None, "3"] or level_text(
            column).tolist() == ["1.0", None, "3.0"]
        assert level_text(column).dtype == object


# --- a large target group: the Gower distance by columns (issue 18) ----------------------------

def test_gower_by_columns_is_the_matrix_read_a_few_columns_at_a_time():
    from smartstart.analyses._typology_data import GowerColumns, sub_distance

    table = mixed_table(seed=3)
    data = fit_encoding(table, ["kind", "flag"], ["x", "count"]).transform(table)
    full, lazy = gower(data), GowerColumns(data)
    columns = [0, 5, 17, 107]
    np.testing.assert_allclose(lazy[:, columns], full[:, columns], rtol=0, atol=1e-12)
    rows = np.random.default_rng(1).choice(data.n, data.n)  # a bootstrap resample
    np.testing.assert_allclose(sub_distance(lazy, rows)[:, [2, 9]],
                               sub_distance(full, rows)[:, [2, 9]], rtol=0, atol=1e-12)
    np.testing.assert_allclose(lazy.take(rows[:30]).full(), full[np.ix_(rows[:30], rows[:30])],
                               rtol=0, atol=1e-12)


def test_a_typology_above_the_full_matrix_size_gives_the_same_types(monkeypatch):
    """Above ``FULL_GOWER`` households the seeds read columns only (memory n x k instead of
    five n x n arrays: 40,000 households in a region needed over 20 GB): the same types,
    sizes and choice of k as with the whole matrix; the PAM check runs on a sample (CLARA)
    and still agrees with the latent classes on planted clusters."""
    from smartstart.analyses import _typology, _typology_data

    table = mixed_table(seed=4, sizes=(120, 90, 40))
    spec = TypologySpec(k_range=(2, 4), n_bootstrap=6, bootstrap_n_init=2, n_init=4)
    whole = typology(table, spec)
    monkeypatch.setattr(_typology_data, "FULL_GOWER", 100)
    monkeypatch.setattr(_typology, "FULL_GOWER", 100)
    by_columns = typology(table, spec)
    assert by_columns.chosen_k == whole.chosen_k == 3
    pd.testing.assert_frame_equal(by_columns.selection, whole.selection)
    pd.testing.assert_frame_equal(by_columns.types, whole.types)
    pam_ari = by_columns.robustness.set_index("method").loc["gower_pam",
                                                             "ari_with_latent_class"]
    assert pam_ari > 0.6
