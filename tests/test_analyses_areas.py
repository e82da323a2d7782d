"""Rates per area with empirical Bayes shrinkage and simultaneous rank intervals (issue 14).

References: the beta-binomial prior against scipy.stats.betabinom maximised by another
optimiser; shrunk rates and intervals against planted rates (coverage, error); rank intervals
against planted ranks (simultaneous coverage over many simulated municipalities).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from smartstart.analyses._areas import (
    AreaSpec,
    SelectionRule,
    area_rates,
    fit_prior,
    select_areas,
)


def _municipality(seed: int, areas: int = 40, a: float = 3.0, b: float = 50.0,
                  low: int = 15, high: int = 400) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    p = rng.beta(a, b, size=areas)
    n = rng.integers(low, high, size=areas)
    events = rng.binomial(n, p)
    frame = pd.DataFrame({"area": [f"BU{i:04d}" for i in range(areas)], "n": n,
                          "events": events})
    return frame, p


def test_the_prior_is_the_maximum_of_scipys_beta_binomial_likelihood():
    frame, _ = _municipality(1, areas=120)
    alpha, beta = fit_prior(frame["events"], frame["n"])

    def minus(theta):
        return -stats.betabinom.logpmf(frame["events"], frame["n"], *np.exp(theta)).sum()

    best = min((optimize.minimize(minus, np.log(start), method="L-BFGS-B")
                for start in ([1, 10], [5, 80], [20, 300])), key=lambda r: r.fun)
    assert minus(np.log([alpha, beta])) <= best.fun + 1e-6
    assert np.allclose([alpha, beta], np.exp(best.x), rtol=0.02)


def test_shrunk_rates_cover_the_planted_rates_and_beat_the_raw_ones():
    covered, raw_error, shrunk_error, total = 0, 0.0, 0.0, 0
    for seed in range(10):
        frame, p = _municipality(seed, areas=60)
        rates = area_rates(frame, AreaSpec(draws=400))
        t = rates.table
        covered += int(((t["shrunk_low"] <= p) & (p <= t["shrunk_high"])).sum())
        raw_error += float(((t["raw"] - p) ** 2).sum())
        shrunk_error += float(((t["shrunk"] - p) ** 2).sum())
        total += len(p)
    assert 0.90 <= covered / total <= 0.99  # nominal 95 %
    assert shrunk_error < 0.8 * raw_error


def test_rank_intervals_hold_the_planted_ranks_together():
    """Simultaneous: in most municipalities every buurt's true rank is inside its interval."""
    hits = 0
    runs = 40
    for seed in range(runs):
        frame, p = _municipality(100 + seed, areas=20, a=4, b=40, low=40, high=600)
        t = area_rates(frame, AreaSpec(draws=1000, seed=seed)).table
        true_rank = len(p) - stats.rankdata(p) + 1
        hits += bool(((t["rank_low"] <= true_rank) & (true_rank <= t["rank_high"])).all())
    assert hits / runs >= 0.85  # nominal 95 %; the prior is estimated (plug-in)
    # and the intervals are not trivially wide
    assert (t["rank_high"] - t["rank_low"]).median() < len(p) - 1


def test_a_small_buurt_with_a_high_raw_rate_is_not_ranked_first():
    frame = pd.DataFrame({"area": ["small", "a", "b", "c", "d", "e", "f"],
                          "n": [8, 500, 480, 520, 510, 490, 505],
                          "events": [3, 60, 58, 30, 31, 29, 32]})
    rates = area_rates(frame)
    t = rates.table.set_index("area")
    assert t.loc["small", "raw"] > t["raw"].drop("small").max()
    assert t.loc["small", "rank"] > 2  # shrunk towards the overall rate
    assert t.loc["small", "rank_high"] - t.loc["small", "rank_low"] >= 3  # and uncertain
    assert not rates.apart("a", "b")  # 12.0 % and 12.1 %
    assert rates.apart("a", "c")  # 12.0 % and 5.8 %


def test_selection_names_the_chosen_and_the_near_misses():
    frame = pd.DataFrame({"area": ["a", "b", "c", "d", "e", "tiny"],
                          "n": [500, 480, 520, 510, 300, 9],
                          "events": [60, 58, 30, 31, 14, 4]})
    rates = area_rates(frame)
    selection = select_areas(rates, SelectionRule(top=1, min_n=10))
    assert list(selection.chosen["area"]) == ["a"] or list(selection.chosen["area"]) == ["b"]
    assert set(selection.near_misses["area"]) == {"a", "b"} - set(selection.chosen["area"])
    assert list(selection.ineligible["area"]) == ["tiny"]
    schools = pd.Series({"a": False, "b": True, "c": True, "d": True, "e": True, "tiny": True})
    chosen = select_areas(rates, SelectionRule(top=2, min_n=10), eligible=schools).chosen
    assert list(chosen["area"])[0] == "b"


def test_bad_counts_are_named_all_at_once():
    frame = pd.DataFrame({"area": ["a", "a"], "n": [10, 5], "events": [11, 1]})
    with pytest.raises(ValueError) as error:
        area_rates(frame)
    text = str(error.value)
    assert "2 areas" in text and "twice" in text and "between 0 and n" in text


def test_the_input_is_not_modified():
    frame, _ = _municipality(3, areas=10)
    before = frame.copy()
    area_rates(frame, AreaSpec(draws=200))
    pd.testing.assert_frame_equal(frame, before)
