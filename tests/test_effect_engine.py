"""The effect engine against pyfixest (an independent reference) and against planted truth."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from smartstart.analyses._effect import EffectSpec, evaluate
from smartstart.analyses._effect_estimate import event_times, event_twfe, imputation_att
from smartstart.analyses._effect_panel import EffectInputError, build_panel
from smartstart.analyses._effect_perm import PoolStatus

pf = pytest.importorskip("pyfixest")

FAST = EffectSpec(permutations=300, synthetic=False)
TIGHT = pf.MapDemeaner(fixef_tol=1e-12)  # pyfixest demeans iteratively, to 1e-6 by default


def simulate(areas=30, years=8, treated=3, effect=0.0, seed=0, starts=None, constant_n=False,
             growth=0.0):
    """A binomial panel with area and year effects; ``effect`` (percentage points) planted in
    the first ``treated`` areas from their start on (plus ``growth`` per year since start)."""
    rng = np.random.default_rng(seed)
    year = 2015 + np.arange(years)
    size = rng.integers(50, 800, size=areas)
    n = np.repeat(size[:, None], years, 1) if constant_n else (
        size[:, None] * rng.uniform(0.8, 1.2, size=(areas, years))).astype(int)
    rate = rng.uniform(0.01, 0.05, areas)[:, None] + rng.normal(0, 0.003, years)[None]
    names = [f"b{i:02d}" for i in range(areas)]
    starts = starts or {names[i]: int(year[years // 2]) for i in range(treated)}
    for i, name in enumerate(names):
        if name in starts:
            since = year - starts[name]
            rate[i] += np.where(since >= 0, effect + growth * since, 0) / 100
    events = rng.binomial(n, np.clip(rate, 0.0005, 0.5))
    frame = pd.DataFrame({"area": np.repeat(names, years), "year": np.tile(year, areas),
                          "n": n.ravel(), "events": events.ravel()})
    return frame, starts


def _frame_for_pyfixest(frame, starts):
    out = frame.copy()
    out["rate"] = 100 * out["events"] / out["n"]
    out["start"] = out["area"].map(starts).fillna(0).astype(int)
    out["treat"] = ((out["start"] > 0) & (out["year"] >= out["start"])).astype(float)
    return out


def test_twfe_and_cluster_se_equal_pyfixest():
    frame, starts = simulate(seed=1)
    panel = build_panel(frame, starts, None)
    from smartstart.analyses._effect_estimate import static_twfe

    fit = static_twfe(panel)
    ref = pf.feols("rate ~ treat | area + year", data=_frame_for_pyfixest(frame, starts),
                   weights="n", vcov={"CRV1": "area"}, demeaner=TIGHT)
    assert fit.coef[0] == pytest.approx(ref.coef()["treat"], abs=1e-8)
    assert fit.se[0] == pytest.approx(ref.se()["treat"], rel=1e-6)


def test_event_study_equals_pyfixest_with_staggered_starts():
    frame, starts = simulate(seed=2, starts={"b00": 2017, "b01": 2019, "b02": 2020})
    panel = build_panel(frame, starts, None)
    times = event_times(panel)
    fit = event_twfe(panel, times)
    data = _frame_for_pyfixest(frame, starts)
    names = []
    for t in times:  # the dummies built here, independently of the engine
        name = f"e{'m' if t < 0 else 'p'}{abs(t)}"
        data[name] = ((data["start"] > 0) & (data["year"] - data["start"] == t)).astype(float)
        names.append(name)
    ref = pf.feols(f"rate ~ {' + '.join(names)} | area + year", data=data, weights="n",
                   vcov={"CRV1": "area"}, demeaner=TIGHT)
    np.testing.assert_allclose(fit.coef, ref.coef()[names].to_numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(fit.se, ref.se()[names].to_numpy(), rtol=1e-6)


def test_imputation_equals_pyfixest_did2s():
    frame, starts = simulate(seed=3, starts={"b00": 2018, "b01": 2019, "b02": 2020},
                             effect=-1.0, growth=-0.5)
    panel = build_panel(frame, starts, None)
    data = _frame_for_pyfixest(frame, starts)
    ref = pf.did2s(data, "rate", "~ 0 | area + year", "~ treat", "treat", "area", weights="n")
    # did2s's first stage demeans to pyfixest's default tolerance (1e-6), not settable there
    assert imputation_att(panel) == pytest.approx(ref.coef()["treat"], abs=1e-6)
    # and to 1e-8 against the imputation by hand: statsmodels WLS with dummies on the untreated
    # cells (pyfixest's predict recovers the fixed effects only to its tolerance, ~1e-7)
    dummies = pd.get_dummies(data[["area", "year"]].astype(str), drop_first=True).astype(float)
    dummies.insert(0, "const", 1.0)
    untreated = data["treat"] == 0
    first = sm.WLS(data.loc[untreated, "rate"], dummies[untreated],
                   weights=data.loc[untreated, "n"]).fit()
    effects = data.loc[~untreated, "rate"] - first.predict(dummies[~untreated])
    assert imputation_att(panel) == pytest.approx(
        np.average(effects, weights=data.loc[~untreated, "n"]), abs=1e-8)


@pytest.mark.parametrize("seed", [11, 12])
def test_planted_effect_recovered_within_interval(seed):
    frame, starts = simulate(areas=35, years=8, effect=-1.5, seed=seed)
    result = evaluate(frame, starts, None, FAST)
    lo, hi = result.headline.ci
    assert lo <= -1.5 <= hi
    assert result.headline.p_value < 0.05
    assert result.inference.status is PoolStatus.OK


def test_staggered_growing_effect_imputation_unbiased_where_twfe_is_not():
    # growing effects with staggered starts: TWFE's forbidden comparisons bias it towards zero
    starts = {"b00": 2016, "b01": 2016, "b02": 2021, "b03": 2021}
    twfe, imp = [], []
    for seed in range(6):
        frame, _ = simulate(areas=25, years=10, seed=seed, starts=starts, effect=0.0,
                            growth=1.0)
        panel = build_panel(frame, starts, None)
        from smartstart.analyses._effect_estimate import static_twfe

        imp.append(imputation_att(panel))
        twfe.append(static_twfe(panel).coef[0])
    truth = _true_att(frame, starts, growth=1.0)
    assert abs(np.mean(imp) - truth) < 0.5
    assert abs(np.mean(twfe) - truth) > 1.0


def _true_att(frame, starts, growth):
    data = _frame_for_pyfixest(frame, starts)
    cells = data[data["treat"] == 1]
    return float(np.average(growth * (cells["year"] - cells["start"]), weights=cells["n"]))


def test_null_p_values_are_roughly_uniform():
    ps = []
    for seed in range(40):
        frame, starts = simulate(areas=20, years=6, seed=100 + seed)
        spec = EffectSpec(permutations=200, synthetic=False, seed=seed)
        ps.append(evaluate(frame, starts, None, spec).headline.p_value)
    assert stats.kstest(ps, "uniform").pvalue > 0.01
    assert np.mean(np.array(ps) <= 0.1) < 0.3


def test_pool_too_small_says_so():
    frame, starts = simulate(areas=8, years=6, seed=4, effect=-3.0)
    result = evaluate(frame, starts, None, FAST)
    assert result.inference.distinct == math.comb(5, 3)
    assert result.inference.status is PoolStatus.TOO_SMALL
    assert result.inference.exhaustive
    assert result.headline.p_value >= 1 / 11
    assert result.headline.ci == (-math.inf, math.inf)


def test_bad_input_lists_every_problem():
    frame, starts = simulate(areas=10, years=6, seed=5)
    bad = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    bad.loc[3, "n"] = 0
    with pytest.raises(EffectInputError) as err:
        evaluate(bad, ["b00", "nowhere"], 2030)
    text = " ".join(err.value.problems)
    assert len(err.value.problems) >= 3
    assert "share an area-year" in text and "n <= 0" in text
    assert "nowhere" in text and "2030" in text
    with pytest.raises(EffectInputError) as err:
        evaluate(frame.drop(columns=["n", "events"]), ["b00"], 2018)
    assert "n, events" in err.value.problems[0]


def test_input_not_modified():
    frame, starts = simulate(areas=12, years=6, seed=6)
    before = frame.copy()
    evaluate(frame, starts, None, FAST)
    pd.testing.assert_frame_equal(frame, before)


def test_simplex_weights_are_the_constrained_minimisers():
    from scipy import optimize

    from smartstart.analyses._effect_sdid import simplex_weights

    rng = np.random.default_rng(7)
    a, b, zeta = rng.normal(size=(6, 12)), rng.normal(size=6), 0.3

    def objective(x):  # the intercept profiled out by centring, as the estimator defines it
        err = (a - a.mean(0)) @ x - (b - b.mean())
        return err @ err / len(b) + zeta**2 * x @ x

    ours = simplex_weights(a[None], b[None], np.array([zeta]))[0]
    ref = optimize.minimize(objective, np.full(12, 1 / 12), method="SLSQP",
                            bounds=[(0, 1)] * 12, options={"ftol": 1e-14, "maxiter": 500},
                            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1}])
    assert ours.min() >= 0 and ours.sum() == pytest.approx(1)
    assert objective(ours) == pytest.approx(ref.fun, rel=1e-6)
    np.testing.assert_allclose(ours, ref.x, atol=1e-4)


def test_sdid_follows_a_diverging_trend_that_breaks_did():
    # donors with different linear trends; the treated area tracks the steep ones, so the
    # parallel-trends DiD is biased while synthetic DiD's weights pick the steep donors
    years, areas = 10, 30
    slope = np.linspace(-0.3, 0.3, areas - 1)
    rng = np.random.default_rng(8)
    rate = 3 + slope[:, None] * np.arange(years) + rng.normal(0, 0.02, (areas - 1, years))
    treated = 3.5 + 0.3 * np.arange(years) - 1.0 * (np.arange(years) >= 6)
    rate = np.vstack([treated, rate]) / 100
    n = np.full(rate.shape, 1_000_000)
    names = [f"b{i:02d}" for i in range(areas)]
    frame = pd.DataFrame({"area": np.repeat(names, years), "year": np.tile(2015 + np.arange(years),
                                                                           areas),
                          "n": n.ravel(), "events": np.round(n * rate).ravel()})
    result = evaluate(frame, ["b00"], 2021, EffectSpec(permutations=200,
                                                       synthetic_permutations=100))
    by = {e.method: e.estimate for e in result.estimates}
    assert by["sdid"] == pytest.approx(-1.0, abs=0.1)
    assert abs(by["twfe"] + 1.0) > 0.5


def test_horizons_average_to_the_imputation_estimate_and_trace_a_growing_effect():
    starts = {"b00": 2018, "b01": 2019, "b02": 2020}
    frame, _ = simulate(areas=30, years=9, seed=9, starts=starts, effect=-1.0, growth=-0.5)
    result = evaluate(frame, starts, None, FAST)
    data = _frame_for_pyfixest(frame, starts)
    cells = data[data["treat"] == 1].assign(h=lambda d: d["year"] - d["start"])
    weight = cells.groupby("h")["n"].sum()
    horizons = result.horizons.set_index("horizon")
    overall = np.average(horizons["estimate"], weights=weight.loc[horizons.index])
    assert overall == pytest.approx(result.headline.estimate, abs=1e-10)
    truth = -1.0 - 0.5 * horizons.index.to_numpy()
    inside = (horizons["ci_low"] <= truth) & (truth <= horizons["ci_high"])
    assert inside.mean() >= 0.8
    assert np.polyfit(horizons.index, horizons["estimate"], 1)[0] < -0.2


def test_a_diverging_pre_trend_is_flagged_by_the_pretrend_test_and_the_placebo_in_time():
    # no effect, but the treated areas' rate climbs 0.6 pp a year from the first year on
    starts = {"b00": 2021, "b01": 2021, "b02": 2021}
    frame, _ = simulate(areas=30, years=9, seed=13, starts={"b00": 2015, "b01": 2015,
                                                            "b02": 2015}, growth=0.6)
    result = evaluate(frame, starts, None, FAST)
    assert result.pretrend.leads == 5  # event times -6 to -2
    assert result.pretrend.p_permutation < 0.05
    assert result.placebo_time is not None and result.placebo_time.p_value < 0.05


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_interval_inverts_the_test(alternative):
    from smartstart.analyses._effect_perm import interval, p_value

    rng = np.random.default_rng(14)
    for size in (19, 99, 500):
        placebo = rng.normal(size=size)
        for estimate in rng.normal(0, 2, 40):
            lo, hi = interval(estimate, placebo, 0.05, alternative)
            for tau in np.linspace(estimate - 5, estimate + 5, 41):
                kept = p_value(estimate - tau, placebo, alternative) > 0.05
                inside = lo <= tau <= hi
                on_edge = min(abs(tau - lo), abs(tau - hi)) < 1e-9
                assert kept == inside or on_edge


def test_pool_status_agrees_with_the_interval_at_the_boundary():
    from smartstart.analyses._effect_perm import interval, pool_status

    placebo = np.linspace(-1, 1, 19)
    assert pool_status(19, 0.05) is PoolStatus.COARSE  # smallest p 1/20 = alpha: can reject
    assert np.isfinite(interval(0.3, placebo, 0.05, "two-sided")).all()
    assert pool_status(18, 0.05) is PoolStatus.TOO_SMALL  # smallest p 1/19 > alpha
    assert interval(0.3, placebo[:18], 0.05, "two-sided") == (-math.inf, math.inf)
    assert pool_status(100, 0.05) is PoolStatus.OK
