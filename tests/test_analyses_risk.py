"""Risk model, combinations of risk factors and model card against the planted truth and
statsmodels. World: the demo municipality, SynthSpec(households=11_346, seed=1) (~7,800 children,
135 events)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from smartstart.analyses import (
    RISK_FACTORS,
    CardContext,
    CombinationSpec,
    RiskSpec,
    SensitivePredictorError,
    find_combinations,
    high_risk_profile,
    model_card,
    risk_model,
)
from smartstart.analyses._combinations import benjamini_hochberg
from smartstart.analyses._metrics import delong_auc

PLANTED = ("young_mother", "single_parent", "parent_no_work", "rent_allowance")


@pytest.fixture(scope="module")
def world(demo_world):
    tables, truth = demo_world
    return tables.children, truth["demo"]["risk_model"]


@pytest.fixture(scope="module")
def planted_fit(world):
    children, _ = world
    return risk_model(children, RiskSpec(interactions=(PLANTED,)))


def assert_group_level(result, n_rows: int) -> None:
    """No table or array in a result is as long as the microdata (no per-child values)."""
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if isinstance(value, pd.DataFrame | pd.Series | np.ndarray):
            assert len(value) < min(1000, n_rows), f.name
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            assert_group_level(value, n_rows)


# --- the logistic model ----------------------------------------------------------------------

def test_planted_log_odds_lie_in_the_95_intervals(world, planted_fit):
    _, truth = world
    coef = planted_fit.to_frame().set_index("term")
    planted = truth["coefficients"]
    names = {**{n: n for n in RISK_FACTORS}, "const": "intercept",
             " & ".join(PLANTED): "combination"}
    for term, key in names.items():
        low, high = coef.loc[term, ["ci_low", "ci_high"]]
        assert low <= planted[key] <= high, (term, low, planted[key], high)
        assert coef.loc[term, "or_low"] == pytest.approx(np.exp(low), rel=1e-12)
    assert planted_fit.ok and planted_fit.checks.converged


def test_statsmodels_parity(world):
    children, _ = world
    spec = RiskSpec(predictors=(*RISK_FACTORS, "wijk"))
    got = risk_model(children, spec).to_frame().set_index("term")
    ref_level = children["wijk"].value_counts().idxmax()
    data = children.assign(**{n: children[n].astype(int) for n in (*RISK_FACTORS, "outcome")})
    formula = f"outcome ~ {' + '.join(RISK_FACTORS)} + C(wijk, Treatment('{ref_level}'))"
    ref = smf.logit(formula, data).fit(disp=0)
    ci = ref.conf_int()
    names = {n: (f"wijk[{n.split('[T.')[1][:-1]}]" if "[T." in n else n) for n in ref.params.index}
    names["Intercept"] = "const"
    for theirs, ours in names.items():
        assert got.loc[ours, "coef"] == pytest.approx(ref.params[theirs], abs=1e-6)
        assert got.loc[ours, "se"] == pytest.approx(ref.bse[theirs], abs=1e-6)
        assert got.loc[ours, "p_value"] == pytest.approx(ref.pvalues[theirs], abs=1e-6)
        assert got.loc[ours, "ci_low"] == pytest.approx(ci.loc[theirs, 0], abs=1e-6)
        assert got.loc[ours, "ci_high"] == pytest.approx(ci.loc[theirs, 1], abs=1e-6)
    assert len(got) == len(ref.params)


def test_discrimination_calibration_and_checks(world, planted_fit):
    children, _ = world
    p = planted_fit.performance
    assert 0.65 <= p.auc_cv <= 0.95  # published instruments: .68-.78
    assert p.auc_cv_low < p.auc_cv < p.auc_cv_high
    assert p.auc_cv_high - p.auc_cv_low < 0.2
    assert p.brier_cv < p.brier_null
    assert 0.5 < p.calibration_slope < 1.5
    cal = planted_fit.calibration
    assert len(cal) == 10 and cal["n"].sum() == len(children)
    assert cal["events"].sum() == children["outcome"].sum()
    c = planted_fit.checks
    assert (c.n, c.events, c.parameters) == (len(children), children["outcome"].sum(), 8)
    assert c.residual_dof == c.n - c.parameters
    assert not c.separation and not c.aliased_terms
    cells = planted_fit.cells.set_index(["term", "present"])
    table = pd.crosstab(children["young_mother"], children["outcome"])
    assert cells.loc[("young_mother", True), "events"] == table.loc[True, True]
    assert cells.loc[("young_mother", False), "non_events"] == table.loc[False, False]
    assert c.min_cell == cells[["events", "non_events"]].to_numpy().min()
    assert_group_level(planted_fit, len(children))


def test_delong_against_brute_force():
    rng = np.random.default_rng(3)
    y = rng.random(120) < 0.3
    score = np.round(rng.random(120) + 0.4 * y, 1)  # ties on purpose
    got = delong_auc(y, score)
    pos, neg = score[y], score[~y]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    var = v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)
    assert got.auc == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert got.se == pytest.approx(np.sqrt(var), abs=1e-12)


def test_separation_and_aliasing_are_reported():
    x = np.repeat([True, False], 50)
    z = np.tile([True, False], 50)
    y = x & (np.arange(100) % 3 == 0)  # events only where x: quasi-complete separation
    table = pd.DataFrame({"x": x, "z": z, "outcome": y})
    result = risk_model(table, RiskSpec(predictors=("x", "z")))
    assert result.checks.separation and "x" in result.checks.separation_terms
    assert not result.ok
    # an aliased predictor is left out (named, with what it duplicates), not a failed model
    aliased = table.assign(w=table["x"], outcome=np.arange(100) % 3 == 0)
    result = risk_model(aliased, RiskSpec(predictors=("x", "z", "w")))
    assert [(n.predictor, n.code) for n in result.notes] == [("w", "aliased_with:x")]
    assert result.checks.aliased_terms == () and result.ok
    assert list(result.to_frame()["term"]) == ["const", "x", "z"]


def test_sensitive_predictors_need_explicit_consent(world):
    children, _ = world
    with pytest.raises(SensitivePredictorError):
        RiskSpec(predictors=(*RISK_FACTORS, "migration_background"))
    with pytest.raises(SensitivePredictorError):
        RiskSpec(predictors=("sex",))
    spec = RiskSpec(predictors=(*RISK_FACTORS, "migration_background"), allow_sensitive=True)
    result = risk_model(children, spec)
    assert result.sensitive_predictors == ("migration_background",)
    card = model_card(result)
    assert card.sensitive_predictors == ("migration_background",)
    assert "migration background" in card.to_markdown("en")  # in words, not the name


def test_risk_model_does_not_modify_its_input(world):
    children, _ = world
    before = children.copy(deep=True)
    risk_model(children, RiskSpec(predictors=(*RISK_FACTORS, "household_type")))
    pd.testing.assert_frame_equal(children, before)


# --- combinations ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def combos(world):
    children, _ = world
    return find_combinations(children, CombinationSpec())


def test_planted_combination_ranks_first(world, combos):
    """Seed 1: the best group is a 3-way subset of the planted 4-way combination, confirmed as
    an interaction; allowing 4-way groups puts the planted one itself in the top 3."""
    top = combos.to_frame().iloc[0]
    assert set(top["factors"]) <= set(PLANTED) and top["order"] == 3
    assert top["confirmed"] and top["significant"] and top["lift"] > 5
    assert combos.best() == tuple(top["factors"])
    children, _ = world
    four = find_combinations(children, CombinationSpec(orders=(2, 3, 4))).to_frame()
    planted = four[four["factors"] == PLANTED].iloc[0]
    assert planted["rank"] <= 3 and planted["confirmed"]


def test_combination_statistics_against_references(world, combos):
    children, _ = world
    frame = combos.to_frame()
    spec = combos.spec
    assert ((frame["n"] >= spec.min_children) & (frame["events"] >= spec.min_events)).all()
    assert combos.tested == len(frame) and combos.tested + combos.too_small == 35
    _, q, _, _ = multipletests(frame["p_value"], method="fdr_bh")
    np.testing.assert_allclose(frame["q_value"], q, atol=1e-12)
    row = frame.iloc[0]
    mask = children[list(row["factors"])].all(axis=1)
    events = int(children.loc[mask, "outcome"].sum())
    assert (row["n"], row["events"]) == (int(mask.sum()), events)
    low, high = proportion_confint(events, mask.sum(), method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-12)
    assert row["lift"] == pytest.approx(row["risk"] / children["outcome"].mean(), rel=1e-12)
    n, total, all_events = int(mask.sum()), len(children), int(children["outcome"].sum())
    table = [[events, n - events], [all_events - events, total - n - all_events + events]]
    _, p = stats.fisher_exact(table, alternative="greater")
    assert row["p_value"] == pytest.approx(p, rel=1e-9)


def test_benjamini_hochberg_against_statsmodels():
    p = np.random.default_rng(0).random(50) ** 3
    np.testing.assert_allclose(benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1],
                               atol=1e-12)


def test_high_risk_profile(world, combos):
    children, _ = world
    before = children.copy(deep=True)
    result = high_risk_profile(children, combos)
    pd.testing.assert_frame_equal(children, before)
    frame = result.to_frame().assign(level=lambda f: f["level"].fillna(""))
    frame = frame.set_index(["factor", "level"])
    mask = children[list(combos.best())].all(axis=1)
    assert result.n["target"] == int(mask.sum())
    for factor in combos.best():
        assert frame.loc[(factor, ""), "value_target"] == 1.0
    assert frame.loc[("outcome", ""), "direction"] == "higher"
    assert_group_level(combos, len(children))


def test_combinations_do_not_modify_their_input(world):
    children, _ = world
    before = children.copy(deep=True)
    find_combinations(children, CombinationSpec(orders=(2,), n_boot=20))
    pd.testing.assert_frame_equal(children, before)
    with pytest.raises(SensitivePredictorError):
        CombinationSpec(factors=(*RISK_FACTORS, "migration_background"))


# --- model card --------------------------------------------------------------------------------

def test_model_card_fields(world, planted_fit):
    before = planted_fit.to_frame()
    card = model_card(planted_fit, context=CardContext(gemeente="0784", peildatum="2020-01-01"))
    pd.testing.assert_frame_equal(planted_fit.to_frame(), before)
    keys = [f.key for f in card.fields]
    assert keys == ["purpose", "data", "method", "performance", "fairness", "human_oversight",
                    "limitations", "legal_basis"]
    frame = card.to_frame()
    assert frame[["nl", "en", "title_nl", "title_en"]].map(bool).all().all()
    for lang in ("nl", "en"):
        text = card.to_markdown(lang)
        assert all(f"## {t}" in text for t in frame[f"title_{lang}"])
    assert card.sensitive_predictors == ()


def test_model_card_never_writes_a_count_below_the_minimum(planted_fit):
    from dataclasses import replace

    few = replace(planted_fit, n_dropped=3)
    card = model_card(few, context=CardContext(min_cell=10))
    assert " 3 van hen vielen" not in card.text("data", "nl")
    assert "Minder dan 10 van hen vielen af" in card.text("data", "nl")
    assert "Fewer than 10 of them" in card.text("data", "en")
    many = model_card(replace(planted_fit, n_dropped=12), context=CardContext(min_cell=10))
    assert "12 van hen vielen af" in many.text("data", "nl")


def test_the_bootstrap_s_refits_at_once_are_each_fit_alone():
    """``newton_logits`` (every bootstrap weighting of one design at once) gives, fit by fit,
    ``newton_logit``'s coefficients, and statsmodels' weighted logit where the fit is not
    separated; a separated weighting stays finite as it does alone."""
    import statsmodels.api as sm

    from smartstart.analyses._logit import newton_logit, newton_logits

    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(64), rng.integers(0, 2, (64, 3))]).astype(float)
    X = np.column_stack([X, X[:, 1] * X[:, 2]])
    y = (rng.random(64) < 1 / (1 + np.exp(-(X @ [-0.5, 0.8, -0.4, 0.3, 0.9])))).astype(float)
    weights = rng.multinomial(400, np.full(64, 1 / 64), size=40).astype(float)
    weights[0] = np.where(X[:, 1] == 1, np.where(y == 1, 5.0, 0.0), 1.0)  # separated on X1
    together = newton_logits(X, y, weights)
    alone = np.array([newton_logit(X, y, w) for w in weights])
    np.testing.assert_allclose(together, alone, rtol=1e-9, atol=1e-9)
    assert np.isfinite(together[0]).all() and together[0, 1] > 5
    for w in weights[1:6]:
        ref = sm.GLM(y, X, family=sm.families.Binomial(), freq_weights=w).fit().params
        np.testing.assert_allclose(newton_logits(X, y, w[None])[0], ref, rtol=1e-4, atol=1e-5)


def test_an_interaction_limit_from_separated_resamples_is_not_a_number():
    """A combination with a single child without the outcome: every resample that leaves that
    child out separates the children, and Newton stops at an odds ratio of 1e7 or more, which
    went to the team's Excel as an upper limit (helper-41). The limit is then NaN ('–'); the
    point estimate on all children is finite and equals statsmodels' fit of the same model."""
    import statsmodels.api as sm

    from smartstart.analyses._combinations import LOG_OR_BOUND, _bootstrap

    rng = np.random.default_rng(3)
    n = 400
    a, b = rng.random(n) < 0.4, rng.random(n) < 0.4
    y = (rng.random(n) < 0.15).astype(int)
    both = np.flatnonzero(a & b)
    y[both] = 1
    y[both[0]] = 0  # the one child of the combination without the outcome
    X = np.column_stack([a, b]).astype(float)
    spec = CombinationSpec(factors=("young_mother", "single_parent"), orders=(2,), n_boot=200,
                           seed=1)
    (got,) = _bootstrap(pd.Series([("young_mother", "single_parent")]), spec, X, y)
    assert np.isnan(got["interaction_high"]) and got["confirmed"]
    design = sm.add_constant(np.column_stack([a, b, a & b]).astype(float))
    reference = sm.Logit(y, design).fit(disp=0).params[-1]
    assert abs(reference) < LOG_OR_BOUND
    assert got["interaction_or"] == pytest.approx(np.exp(reference), rel=1e-6)
