"""Peer comparison with ACRO (SACRO): same tables and models through both gates.

Where both implement a rule (threshold, zeros, NK dominance, p-ratio, negatives, residual dof)
the verdicts agree cell by cell. Where ACRO is not safe, smartstart is: a suppressed cell that
the totals give away, a logit with a separating dummy on 3 persons, minima and maxima.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
import pytest

from smartstart.disclosure import (
    Settings,
    Table,
    attack,
    check_counts,
    check_magnitude,
    check_min_max,
    check_regression,
    protect_counts,
    record,
)

acro_module = pytest.importorskip("acro")
# ACRO's defaults: threshold 10, dof 10, NK (2, 0.9), p 0.1, zeros disclosive
ACRO_SETTINGS = Settings(zeros_disclosive=True)


@pytest.fixture
def acro(tmp_path, monkeypatch):
    """A fresh ACRO session writing (if at all) in a temporary folder, quietly."""
    monkeypatch.chdir(tmp_path)
    logging.getLogger("acro").setLevel(logging.WARNING)
    return acro_module.ACRO(suppress=False)


def _last(session) -> object:
    return list(session.results.results.values())[-1]


def _acro_mask(output, checks: tuple[str, ...], shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    for check in checks:
        for row, col in output.sdc["cells"].get(check, []):
            mask[row, col] = True
    return mask


def _microdata(seed: int) -> pd.DataFrame:
    """Groups of very different sizes, so some cells are small, some empty, some dominated."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(60, 400))
    sizes = rng.dirichlet(np.full(4, 0.6))
    frame = pd.DataFrame({"g": rng.choice(list("abcd"), n, p=sizes),
                          "h": rng.choice(list("xyz"), n, p=[0.6, 0.3, 0.1]),
                          "v": rng.gamma(1.5, 100.0, n)})
    big = rng.choice(n, size=int(rng.integers(0, 4)), replace=False)
    frame.loc[big, "v"] *= rng.uniform(20, 200, len(big))
    return frame


@pytest.mark.parametrize("seed", range(12))
def test_threshold_and_zeros_agree_cell_by_cell(acro, seed):
    data = _microdata(seed)
    table = acro.crosstab(data.g, data.h)
    ours = check_counts(pd.crosstab(data.g, data.h), ACRO_SETTINGS)
    theirs = _acro_mask(_last(acro), ("MinimumThresholdCheck", "PresenceOfZeroCheck"),
                        table.shape)
    np.testing.assert_array_equal(ours[0].mask.to_numpy() | ours[1].mask.to_numpy(), theirs)
    assert record("t", ours).status == _last(acro).status


@pytest.mark.parametrize("seed", range(12))
def test_dominance_p_ratio_and_contributors_agree_cell_by_cell(acro, seed):
    data = _microdata(seed)
    acro.pivot_table(data, index="g", columns="h", values="v", aggfunc="sum")
    output = _last(acro)
    ours = {c.rule: c for c in check_magnitude(data, ["g", "h"], "v", ACRO_SETTINGS,
                                                margins=False)}
    shape = ours["dominance"].mask.shape
    ours["few"] = ours["contributors"].mask | ours["zeros"].mask  # ACRO counts 0 < 10
    for rule, check in (("dominance", "NKCheck"), ("p_ratio", "PPercentCheck"),
                        ("few", "MinimumThresholdCheck")):
        found = ours[rule] if isinstance(ours[rule], pd.DataFrame) else ours[rule].mask
        np.testing.assert_array_equal(found.to_numpy(), _acro_mask(output, (check,), shape),
                                      err_msg=rule)
    assert record("m", [c for c in ours.values() if not isinstance(c, pd.DataFrame)]
                  ).status == output.status


def test_negative_contributions_are_a_review_in_both(acro):
    data = pd.DataFrame({"g": ["a"] * 12 + ["b"] * 12, "v": [-5.0] + [10.0] * 23})
    acro.pivot_table(data, index="g", values="v", aggfunc="sum")
    ours = record("n", check_magnitude(data, ["g"], "v", ACRO_SETTINGS, margins=False))
    assert ours.status == _last(acro).status == "review"


@pytest.mark.parametrize(("n", "verdict"), [(12, "fail"), (200, "pass")])
def test_residual_dof_agrees_on_a_logit(acro, n, verdict):
    rng = np.random.default_rng(n)
    exog = pd.DataFrame({"const": 1.0, "age": rng.normal(30, 5, n), "z": rng.normal(0, 1, n)})
    outcome = (rng.random(n) < 0.5).astype(float)
    fitted = acro.logit(outcome, exog)
    ours = {c.rule: c.status for c in check_regression(fitted, ACRO_SETTINGS)}
    assert ours["dof"] == _last(acro).status == verdict


def _small_cell_table() -> pd.DataFrame:
    counts = {("a", "x"): 30, ("a", "y"): 25, ("b", "x"): 4, ("b", "y"): 40, ("c", "x"): 22,
              ("c", "y"): 15}
    rows = [key for key, n in counts.items() for _ in range(n)]
    return pd.DataFrame(rows, columns=["g", "h"]).assign(all="all")


def test_acro_totals_give_away_a_suppressed_cell_and_ours_do_not(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    logging.getLogger("acro").setLevel(logging.WARNING)
    data = _small_cell_table()
    session = acro_module.ACRO(suppress=True)
    two_way = session.crosstab(data.g, data.h, margins=True)
    one_way = session.crosstab(data.h, data["all"])  # 56 and 80: nothing to suppress
    assert np.isnan(two_way.loc["b", "x"])
    assert _last(session).sdc["summary"]["MinimumThresholdCheck"] == 0
    # ACRO's margins leave the suppressed persons out: the true column total gives them back
    recovered = one_way.loc["x", "all"] - two_way.loc[["a", "c"], "x"].sum()
    assert recovered == 4
    assert len(data) - two_way.loc["All", "All"] == 4  # and so does the number of persons

    protected = protect_counts(pd.crosstab(data.g, data.h, margins=True), ACRO_SETTINGS)
    published = protected.to_frame()
    assert np.isnan(published.loc["b", "x"])
    assert published.loc["All", "x"] == one_way.loc["x", "all"]  # true totals, nothing to add
    assert published.loc["All", "All"] == len(data)
    intervals = protected.intervals()
    cell = protected.pattern.primary
    assert intervals.lower[cell].tolist() == [0.0] and intervals.upper[cell].tolist() == [9.0]
    exact = attack(published.to_numpy(), protected.suppressed, protected.table,
                   protected.pattern.lower_bounds, protected.pattern.upper_bounds)
    assert (exact.upper - exact.lower)[cell].tolist() == [9.0]


def test_acro_passes_a_logit_with_a_dummy_that_separates_three_persons(acro):
    rng = np.random.default_rng(0)
    exog = pd.DataFrame({"const": 1.0, "age": rng.normal(30, 5, 200), "d": 0.0})
    exog.loc[:2, "d"] = 1.0
    outcome = (rng.random(200) < 0.4).astype(float)
    outcome[:3] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = acro.logit(outcome, exog)
    assert _last(acro).status == "pass"
    ours = {c.rule: c for c in check_regression(fitted, ACRO_SETTINGS)}
    assert {r: c.status for r, c in ours.items()} == {
        "dof": "pass", "category_cases": "fail", "separation": "fail", "convergence": "fail"}
    assert ours["category_cases"].details["empty"] is True
    assert ours["separation"].mask.loc["d", "flag"]
    assert ours["separation"].details["fitted_extremes"] is True
    assert record("logit", ours.values(), kind="regression").status == "fail"


def test_acro_releases_minima_and_maxima_and_ours_refuses(acro):
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"g": np.repeat(["a", "b"], 300), "h": np.tile(["x", "y"], 300),
                         "v": rng.gamma(1.5, 100.0, 600)})
    table = acro.pivot_table(data, index="g", columns="h", values="v", aggfunc=["min", "max"])
    assert _last(acro).status == "pass"
    assert check_min_max(table).status == "fail"
    assert record("extremes", [check_min_max(table)], kind="extremes").status == "fail"


def test_acro_and_smartstart_see_the_same_table_shape(acro):
    data = _microdata(3)
    table = acro.crosstab(data.g, data.h, margins=True)
    assert Table.from_frame(table).to_frame().shape == table.shape
