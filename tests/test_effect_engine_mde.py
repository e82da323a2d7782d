"""The minimum detectable effect: its linear weights, and its power checked by simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from smartstart.analyses._effect import EffectSpec, evaluate
from smartstart.analyses._effect_estimate import imputation_att, placebo_imputation, placebo_twfe
from smartstart.analyses._effect_fe import imputation_weights, twfe_weights
from smartstart.analyses._effect_mde import minimum_detectable_effect
from smartstart.analyses._effect_panel import EffectInputError, build_panel, treatment_matrix
from smartstart.analyses._effect_perm import PoolStatus, assignments, p_value


class World:
    """Known truth: constant true rates per area plus common year effects, n fixed per area,
    binomial events; ``draw`` gives the panel of some years, with an effect in some areas."""

    def __init__(self, areas=30, seed=0):
        rng = np.random.default_rng(seed)
        self.rng = rng
        self.names = [f"b{i:02d}" for i in range(areas)]
        self.n = rng.integers(50, 800, areas)
        self.rate = rng.uniform(0.01, 0.05, areas)

    def draw(self, years, effect=0.0, treated=(), start=None):
        years = np.asarray(list(years))
        p = self.rate[:, None] + self.rng.normal(0, 0.002, len(years))[None]
        hit = np.isin(self.names, treated)[:, None] & (years >= (start or 0))[None]
        p = np.clip(p + hit * effect / 100, 0, 1)
        events = self.rng.binomial(self.n[:, None], p)
        return pd.DataFrame({"area": np.repeat(self.names, len(years)),
                             "year": np.tile(years, len(self.names)),
                             "n": np.repeat(self.n, len(years)), "events": events.ravel()})


def test_linear_weights_reproduce_the_estimators():
    world = World(seed=1)
    frame = world.draw(range(2015, 2023))
    panel = build_panel(frame, {"b00": 2018, "b01": 2019, "b02": 2020}, None)
    donors = panel.subset(panel.donors)
    draw = assignments(len(donors.areas), panel.starts[panel.treated], 300,
                       np.random.default_rng(0))
    cells = treatment_matrix(draw.starts, np.asarray(panel.years))
    np.testing.assert_allclose((imputation_weights(donors.n, cells) * donors.rate).sum((1, 2)),
                               placebo_imputation(donors, draw.starts), atol=1e-10)
    np.testing.assert_allclose((twfe_weights(donors.n, cells) * donors.rate).sum((1, 2)),
                               placebo_twfe(donors, draw.starts), atol=1e-10)


def headline_p(frame, treated, start, permutations=400, seed=0):
    """evaluate()'s headline p (imputation, permutation over donors, two-sided) without the
    rest of the evaluation (event study, pre-trend, placebo in time), for speed."""
    panel = build_panel(frame, treated, start)
    donors = panel.subset(panel.donors)
    draw = assignments(len(donors.areas), panel.starts[panel.treated], permutations,
                       np.random.default_rng(seed))
    return p_value(imputation_att(panel), placebo_imputation(donors, draw.starts), "two-sided")


def test_planted_effect_at_the_mde_is_detected_about_80_percent():
    treated, start = ("b00", "b01", "b02"), 2021
    spec = EffectSpec(permutations=400, replications=400, synthetic=False)
    hits = []
    for seed in range(4):  # worlds; in each the MDE from one planning draw of 2015-2020
        world = World(areas=30, seed=20 + seed)
        mde = minimum_detectable_effect(world.draw(range(2015, 2021)), treated, start, 3, spec)
        assert mde.mde < 0 and mde.relative == pytest.approx(mde.mde / mde.baseline)
        for rep in range(30):  # new panels from the true world, the effect through the binomial
            frame = world.draw(range(2015, 2024), mde.mde, treated, start)
            hits.append(headline_p(frame, treated, start, seed=rep) <= 0.05)
    p = evaluate(frame, treated, start, EffectSpec(permutations=400, synthetic=False))
    assert p.headline.p_value == headline_p(frame, treated, start, seed=0)  # evaluate's p
    assert 0.68 <= np.mean(hits) <= 0.94  # 120 panels: MC s.e. about 0.035


def test_more_years_or_areas_lower_the_mde_and_a_tiny_pool_has_none():
    world = World(areas=30, seed=3)
    pre = world.draw(range(2015, 2021))
    spec = EffectSpec(permutations=500, replications=300)
    before = pre.copy()
    short = minimum_detectable_effect(pre, ["b00", "b01"], 2021, 1, spec)
    pd.testing.assert_frame_equal(pre, before)  # the input is not modified
    long = minimum_detectable_effect(pre, ["b00", "b01"], 2021, 5, spec)
    assert abs(long.mde) < abs(short.mde)
    assert long.years == tuple(range(2021, 2026))
    tiny = minimum_detectable_effect(pre[pre["area"].isin(world.names[:6])],
                                     ["b00", "b01", "b02"], 2021, 3, spec)
    assert tiny.inference.status is PoolStatus.TOO_SMALL and math.isinf(tiny.mde)


def test_mde_bad_input():
    pre = World(seed=4).draw(range(2015, 2021))
    with pytest.raises(EffectInputError) as err:
        minimum_detectable_effect(pre, ["b00", "elsewhere"], 2016, 3)
    assert len(err.value.problems) == 2
    with pytest.raises(ValueError):
        minimum_detectable_effect(pre, ["b00"], 2021, 0)
