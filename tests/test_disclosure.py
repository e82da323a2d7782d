"""Disclosure gate: each rule, tables with margins, suppression, the attacker and the record."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartstart.disclosure import (
    CheckResult,
    RegressionFacts,
    Settings,
    Table,
    attack,
    check_areas,
    check_clusters,
    check_counts,
    check_linking_keys,
    check_magnitude,
    check_means,
    check_min_max,
    check_regression,
    check_shares,
    find_pattern,
    protect_counts,
    protect_magnitude,
    record,
    round_to_base,
)
from smartstart.pilot import DisclosureSettings

SRC = Path(__file__).resolve().parents[1] / "src" / "smartstart"
COUNTS = [[3, 25, 40], [30, 12, 50], [22, 31, 7]]


def _statuses(checks: tuple[CheckResult, ...]) -> dict[str, str]:
    return {c.rule: c.status for c in checks}


def _table(cells=COUNTS) -> Table:
    return Table.from_array(cells, names=["A", "B"],
                            labels=[[f"a{i}" for i in range(len(cells))],
                                    [f"b{j}" for j in range(len(cells[0]))]])


# settings ------------------------------------------------------------------------------------

def test_settings_come_from_the_pilot_model_or_any_object_with_cbs_defaults():
    pilot = DisclosureSettings(min_cell=15, zeros_disclosive=True)
    checks = check_counts(pd.DataFrame({"n": [12, 0, 20]}), pilot)
    assert checks[0].cells == 1 and checks[0].details["min_cell"] == 15
    assert checks[1].status == "fail" and checks[1].cells == 1
    partial = SimpleNamespace(min_cell=5)
    assert check_counts(pd.DataFrame({"n": [6, 4]}), partial)[0].cells == 1
    assert Settings().to_dict() == DisclosureSettings().model_dump()
    with pytest.raises(ValueError):
        Settings(dominance_k=1.5)


# frequency rules ------------------------------------------------------------------------------

def test_threshold_flags_small_cells_and_zeros_follow_the_policy():
    table = pd.DataFrame({"x": [0, 9, 10], "y": [1, 25, np.nan]}, index=["a", "b", "c"])
    threshold, zeros = check_counts(table)
    assert (threshold.status, zeros.status) == ("fail", "pass")
    assert threshold.mask.to_numpy().tolist() == [[False, True], [True, False], [False, False]]
    assert threshold.mask.shape == table.shape and threshold.details == {"min_cell": 10}
    _, zeros = check_counts(table, Settings(zeros_disclosive=True))
    assert zeros.status == "fail" and zeros.flagged() == [("a", "x")]
    assert _statuses(check_counts(pd.Series([10, 11, 50]))) == {"threshold": "pass",
                                                                "zeros": "pass"}


def test_a_table_is_checked_cell_by_cell_including_its_totals():
    threshold, _ = check_counts(_table())
    assert threshold.mask.shape == (4, 4)
    assert threshold.flagged() == [("a0", "b0"), ("a2", "b2")]


def test_shares_need_numerator_denominator_and_complement_above_the_threshold():
    numerator = pd.DataFrame({"p": [5, 50, 95, 30]})
    share = check_shares(numerator, pd.Series([100, 60, 100, 35]))
    assert share.mask["p"].tolist() == [True, False, True, True]
    assert (share.details["numerator_cells"], share.details["denominator_cells"]) == (1, 0)
    assert check_shares(numerator, pd.Series([100, 60, 100, 35]),
                        complement=False).mask["p"].tolist() == [True, False, False, False]
    assert check_shares(pd.DataFrame({"p": [12]}), pd.DataFrame({"p": [9]})).status == "fail"


def test_each_area_is_a_cell_and_takes_its_rates_with_it():
    areas = pd.DataFrame({"n": [5, 50, 0], "rate": [0.2, 0.1, np.nan]},
                         index=pd.Index(["BU01", "BU02", "BU03"], name="buurt"))
    threshold, zeros = check_areas(areas, counts="n")
    assert threshold.status == "fail" and threshold.details["areas"] == 1
    assert threshold.mask.loc["BU01"].tolist() == [True, True]
    assert not threshold.mask.loc[["BU02", "BU03"]].to_numpy().any()


def test_clusters_need_a_minimum_size_and_their_profile_cells_are_counts():
    sizes = pd.Series([8, 40, 120], index=["k1", "k2", "k3"])
    profile = pd.DataFrame({"single_parent": [5, 30, 0], "debts": [8, 12, 60]}, index=sizes.index)
    size, threshold, zeros = check_clusters(sizes, profile)
    assert (size.status, size.cells) == ("fail", 1)
    assert threshold.flagged() == [("k1", "single_parent"), ("k1", "debts")]
    assert zeros.status == "pass"
    assert check_clusters(sizes[1:])[0].status == "pass"


# magnitude rules ------------------------------------------------------------------------------

def _incomes() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"g": np.repeat(["a", "b", "c"], [30, 30, 4]),
                          "h": np.tile(["x", "y"], 32), "v": rng.uniform(100, 200, 64)})
    frame.loc[0, "v"] = 100_000.0  # dominates cell (a, x), row a, column x and the total
    return frame


def test_nk_dominance_p_ratio_and_contributors_on_sums():
    checks = {c.rule: c for c in check_magnitude(_incomes(), ["g", "h"], "v")}
    assert {r: c.status for r, c in checks.items()} == {
        "contributors": "fail", "zeros": "pass", "dominance": "fail", "p_ratio": "fail",
        "negative": "pass"}
    assert checks["dominance"].flagged() == [("a", "x"), ("a", "Total"), ("c", "x"), ("c", "y"),
                                             ("Total", "x"), ("Total", "Total")]
    assert checks["contributors"].flagged() == [("c", "x"), ("c", "y"), ("c", "Total")]
    assert checks["dominance"].mask.shape == (4, 3)
    assert checks["dominance"].details == {"n": 2, "k": 0.9}


def test_dominance_limits_and_p_ratio_by_hand():
    # cell total 100: top two 50 + 41 = 91 >= 90 -> dominant; p-ratio 100-50-41 = 9 >= 5: pass
    data = pd.DataFrame({"g": ["a"] * 11, "v": [50, 41] + [1] * 9})
    checks = _statuses(check_magnitude(data, ["g"], "v", margins=False))
    assert (checks["dominance"], checks["p_ratio"]) == ("fail", "pass")
    # with k = 0.95: 80 + 13 = 93 < 95 passes, but 100 - 80 - 13 = 7 < 0.1 * 80: the second
    # largest contributor learns the largest within 10 %
    data = pd.DataFrame({"g": ["a"] * 12, "v": [80, 13] + [0.7] * 10})
    checks = _statuses(check_magnitude(data, ["g"], "v", Settings(dominance_k=0.95),
                                       margins=False))
    assert (checks["dominance"], checks["p_ratio"]) == ("pass", "fail")


def test_units_are_summed_before_the_rules():
    data = pd.DataFrame({"g": ["a"] * 12, "firm": [1, 1, 1] + list(range(2, 11)),
                         "v": [30.0, 30.0, 30.0] + [1.0] * 9})
    assert _statuses(check_magnitude(data, ["g"], "v", margins=False))["dominance"] == "pass"
    unit = {c.rule: c for c in check_magnitude(data, ["g"], "v", unit="firm", margins=False)}
    assert unit["dominance"].status == "fail"
    assert unit["contributors"].status == "pass"


def test_negative_contributions_make_dominance_a_review():
    data = pd.DataFrame({"g": ["a"] * 12 + ["b"] * 12, "v": [-5.0] + [10.0] * 23})
    checks = {c.rule: c for c in check_magnitude(data, ["g"], "v", margins=False)}
    assert checks["negative"].status == "review" and checks["negative"].flagged() == [("a",
                                                                                      "value")]
    assert checks["dominance"].status == "pass"
    assert record("x", checks.values()).status == "review"


@given(st.lists(st.tuples(st.sampled_from("xyz"), st.sampled_from([1, 2]),
                          st.sampled_from([0.0, 1.0, 2.0, 5.0, -1.0, 100.0])),
                min_size=1, max_size=80))
@settings(max_examples=150, deadline=None)
def test_rows_as_contributors_match_each_row_as_its_own_unit(rows):
    """Without a unit the rows are sorted once for every margin; with a unit per row the
    contributions are summed and sorted per margin: every cell's count, top, first, second
    and negatives are the same (ties included; a unit's sum has no NaN, so no NaN here)."""
    from smartstart.disclosure._magnitude import Contributions

    data = pd.DataFrame(rows, columns=["a", "b", "v"]).assign(row=lambda d: range(len(d)))
    for by in (["a"], ["a", "b"]):
        rows_, units = (Contributions.of(data, by, "v", 2, unit) for unit in (None, "row"))
        for name in ("count", "top", "first", "second", "negative"):
            np.testing.assert_array_equal(getattr(rows_, name), getattr(units, name),
                                          err_msg=f"{by}: {name}")


def test_means_and_medians_need_contributors_and_no_dominance():
    checks = _statuses(check_means(_incomes(), ["g"], "v", statistic="median", margins=False))
    assert checks == {"contributors": "fail", "zeros": "pass", "dominance": "fail",
                      "negative": "pass"}
    with pytest.raises(ValueError):
        check_means(_incomes(), ["g"], "v", statistic="max")


def test_min_and_max_are_never_released():
    extremes = _incomes().groupby("g")["v"].agg(["min", "max"])
    check = check_min_max(extremes)
    assert (check.status, check.cells) == ("fail", 6)
    assert record("extremes", [check], kind="extremes").status == "fail"


# regressions ----------------------------------------------------------------------------------

def _design(n: int = 150, separate: bool = False) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(3)
    dummy = (np.arange(n) % 3 == 0).astype(float)
    age = rng.normal(30, 5, n)
    y = (rng.random(n) < 0.4).astype(float)
    if separate:
        y[dummy == 1] = 1.0
    exog = pd.DataFrame({"const": 1.0, "dummy": dummy, "age": age})
    return exog, pd.Series(y, name="y")


def test_regression_checks_pass_on_a_sound_model():
    exog, y = _design()
    facts = RegressionFacts(df_resid=147, exog=exog, endog=y, probabilities=np.full(150, 0.4),
                            outcome="y")
    checks = {c.rule: c for c in check_regression(facts)}
    assert {r: c.status for r, c in checks.items()} == {
        "dof": "pass", "category_cases": "pass", "separation": "pass", "convergence": "pass"}
    assert list(checks["dof"].mask.index) == ["const", "dummy", "age", "y"]


def test_regression_fails_on_dof_cases_separation_and_convergence():
    exog, y = _design(n=60, separate=True)
    facts = RegressionFacts(df_resid=8, converged=False, exog=exog, endog=y,
                            probabilities=np.where(exog["dummy"] == 1, 1.0, 0.4), outcome="y")
    checks = {c.rule: c for c in check_regression(facts)}
    assert {r: c.status for r, c in checks.items()} == {
        "dof": "fail", "category_cases": "fail", "separation": "fail", "convergence": "fail"}
    assert checks["category_cases"].details["empty"] is True
    assert checks["separation"].flagged() == [("dummy", "flag"), ("y", "flag")]
    assert checks["separation"].details == {"fitted_extremes": True, "separating": 1}


def test_a_statsmodels_like_result_is_read_without_refitting():
    exog, y = _design(n=3)
    fitted = SimpleNamespace(
        df_resid=0.0, mle_retvals={"converged": True}, predict=lambda: np.array([1.0, 0.3, 0.3]),
        model=SimpleNamespace(exog=exog.to_numpy(), endog=y.to_numpy(), cdf=lambda x: x,
                              exog_names=list(exog.columns), endog_names="y"))
    statuses = _statuses(check_regression(fitted, Settings()))
    assert statuses == {"dof": "fail", "category_cases": "fail", "separation": "fail",
                        "convergence": "pass"}


def test_checks_computed_elsewhere_are_taken_as_given():
    computed = SimpleNamespace(residual_dof=200, converged=True, min_cell=4, separation=True,
                               separation_terms=("teen_mother",))
    checks = {c.rule: c for c in check_regression(computed)}
    assert checks["category_cases"].status == "fail"
    assert checks["category_cases"].flagged() == [("outcome", "flag")]
    assert checks["separation"].flagged() == [("teen_mother", "flag")]
    plain = _statuses(check_regression(RegressionFacts(df_resid=40)))
    assert plain == {"dof": "pass", "category_cases": "review", "separation": "review",
                     "convergence": "pass"}


# linking keys ---------------------------------------------------------------------------------

def test_linking_keys_are_found_by_name_and_by_value():
    frame = pd.DataFrame({"WPOBRIN_crypt": ["AB12CD34"], "n": [12]})
    assert check_linking_keys(frame).mask.to_numpy().tolist() == [[True, False]]
    values = pd.DataFrame({"who": ["012345678", "07840101"], "n": [12, 123456789],
                           "euro": [123456789.0, 5.0], "hh": ["201212345678", "x"]})
    mask = check_linking_keys(values).mask
    assert mask.to_numpy().tolist() == [[True, False, False, True], [False, True, False, False]]
    keyed = pd.DataFrame({"n": [12]}, index=pd.Index(["000000001"], name="RINPERSOON"))
    assert check_linking_keys(keyed).status == "fail"
    assert check_linking_keys(pd.DataFrame({"buurt": ["07840101"], "n": [30]})).status == "pass"
    # a person's number of another making, by the column's whole name
    for name in ("person", "Persoon", "client_id", "id", "BSN", "klantnummer"):
        assert check_linking_keys(pd.DataFrame({name: [1, 2], "n": [30, 40]})).status == "fail"
    for name in ("persons", "treated_persons", "idle", "clients", "width"):
        assert check_linking_keys(pd.DataFrame({name: [1, 2]})).status == "pass", name


@pytest.mark.parametrize("dtype", ["int64", "Int64", "uint64", "object"])
def test_a_key_in_an_integer_column_is_found_at_the_edges_and_beside_a_blank(dtype):
    """Whole integer columns are read at once; the cells found are those the rule names (9 to
    16 digits, either sign), also in a nullable column with a blank (read cell by cell,
    pandas handed such a column's numbers over as floats and the key was missed)."""
    values = [10 ** 8 - 1, 10 ** 8, 10 ** 16 - 1, 10 ** 16, 2 ** 53 + 1, 123]
    signed = [*values, -(10 ** 8), -(2 ** 63)] if dtype != "uint64" else values
    keys = [False, True, True, False, True, False, True, False][:len(signed)]
    frame = pd.DataFrame({"n": pd.Series(signed, dtype=dtype)})
    assert check_linking_keys(frame).mask["n"].tolist() == keys
    if dtype == "Int64":
        blank = pd.DataFrame({"n": pd.array([None, 123456789], dtype="Int64")})
        assert check_linking_keys(blank).mask["n"].tolist() == [False, True]


# tables ---------------------------------------------------------------------------------------

def test_a_table_carries_every_margin_and_its_relations():
    table = Table.from_array(np.arange(24).reshape(2, 3, 4))
    assert table.shape == (3, 4, 5)
    assert table.values[-1, -1, -1] == 276 and table.values[0, -1, 2] == 2 + 6 + 10
    assert np.abs(table.structure @ table.values.ravel()).max() == 0
    assert table.structure.shape == (4 * 5 + 3 * 5 + 3 * 4, 60)
    with pytest.raises(ValueError):
        Table(np.ones((3, 3)), ("a", "b"), (("x", "y"), ("u", "v")))


def test_a_pandas_crosstab_with_margins_converts_and_its_totals_are_checked():
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"g": rng.choice(["a", "b"], 80), "h": rng.choice(["x", "y", "z"], 80),
                         "k": rng.choice(["u", "w"], 80)})
    two = pd.crosstab(data.g, data.h, margins=True)
    assert np.array_equal(Table.from_frame(two).to_frame().to_numpy(), two.to_numpy())
    three = Table.from_frame(pd.crosstab([data.g, data.h], data.k, margins=True))
    assert three.names == ("g", "h", "k") and three.shape == (3, 4, 3)
    assert np.array_equal(three.interior, Table.from_data(data, ["g", "h", "k"]).interior)
    bad = two.copy()
    bad.loc["All", "x"] += 1
    with pytest.raises(ValueError):
        Table.from_frame(bad)


def test_a_series_with_a_multiindex_or_a_total_row_converts():
    long = pd.Series([5, 20, 12, 30], index=pd.MultiIndex.from_product(
        [["a", "b"], ["x", "y"]], names=["g", "h"]))
    table = Table.from_frame(long)
    assert table.shape == (3, 3) and table.values[-1].tolist() == [17, 50, 67]
    one = Table.from_frame(pd.Series([3, 20, 23], index=["a", "b", "All"], name="n"))
    assert one.values.tolist() == [3, 20, 23] and one.labels == (("a", "b"),)
    assert protect_counts(pd.Series([3, 20, 23], index=["a", "b", "All"])).labels.tolist() == [
        "<10", "x", "23"]


# the attacker ---------------------------------------------------------------------------------

def test_the_attacker_recovers_a_lone_suppressed_cell_from_the_totals():
    table = _table()
    alone = np.zeros(table.shape, dtype=bool)
    alone[0, 0] = True
    intervals = attack(np.where(alone, np.nan, table.values), alone, table)
    assert (intervals.lower[0, 0], intervals.upper[0, 0]) == (3.0, 3.0)


def test_the_attacker_bounds_a_rectangle_by_hand():
    # 2x2 block suppressed: each cell moves by t with -3 <= t <= min(40, 22): [0, 25] for (0, 0)
    table = _table()
    hidden = np.zeros(table.shape, dtype=bool)
    hidden[np.ix_([0, 2], [0, 2])] = True
    intervals = attack(np.where(hidden, np.nan, table.values), hidden, table)
    assert intervals.lower[0, 0] == pytest.approx(0.0) and intervals.upper[0, 0] == \
        pytest.approx(25.0)
    found = intervals.to_frame()[["lower", "upper"]].to_numpy()
    np.testing.assert_allclose(found, [[0, 25], [18, 43], [0, 25], [4, 29]], atol=1e-7)
    bound = np.full(table.shape, np.inf)
    bound[0, 0] = 9.0
    assert attack(table.values, hidden, table, upper_bounds=bound).upper[0, 0] == pytest.approx(9)
    bound[0, 2] = 9.0  # (0, 2) would have to drop below 31: no table fits
    with pytest.raises(ValueError):
        attack(table.values, hidden, table, upper_bounds=bound)
    everything = attack(table.values, np.ones(table.shape, bool), table)
    assert np.isinf(everything.upper).all()


def test_a_cell_that_can_grow_with_its_total_is_unbounded():
    table = Table.from_array([31, 1])
    hidden = np.array([True, False, True])
    intervals = attack(np.where(hidden, np.nan, table.values), hidden, table)
    assert intervals.lower.tolist() == [0, 1, 1] and np.isinf(intervals.upper[[0, 2]]).all()


@pytest.mark.parametrize("seed", range(6))
def test_the_attack_equals_one_linprog_per_cell_and_bound(seed):
    """The separable LPs on HiGHS directly against the plain reference: for every hidden cell
    of random 1-, 2- and 3-way tables (with labels' bounds), its minimum and maximum by one
    ``scipy.optimize.linprog`` each; an unbounded maximum is infinite in both."""
    from scipy.optimize import linprog

    rng = np.random.default_rng(seed)
    shape = [(7,), (4, 5), (3, 3, 4)][seed % 3]
    table = Table.from_array(rng.choice([0, 2, 5, 8, 12, 40], size=shape))
    values = table.values
    inner = np.ones(values.shape, dtype=bool)  # the cells, not the margins (last on each axis)
    for axis in range(values.ndim):
        inner &= (np.arange(values.shape[axis]) < values.shape[axis] - 1).reshape(
            [-1 if a == axis else 1 for a in range(values.ndim)])
    hidden = inner & (rng.random(values.shape) < 0.5)
    hidden.ravel()[rng.integers(hidden.size)] = True  # now and then a margin too
    high = np.where(hidden & (values < 10), 9.0, np.inf)  # ``<10``
    got = attack(np.where(hidden, np.nan, values), hidden, table, upper_bounds=high)
    matrix = table.structure.tocsc()
    rhs = -(matrix[:, ~hidden.ravel()] @ values.ravel()[~hidden.ravel()])
    bounds = list(zip(np.zeros(hidden.sum()), np.where(np.isinf(high), None, high)[hidden],
                      strict=True))
    for at, j in zip(np.argwhere(hidden), range(hidden.sum()), strict=True):
        for sign, found in ((1.0, got.lower), (-1.0, got.upper)):
            c = np.zeros(hidden.sum())
            c[j] = sign
            ref = linprog(c, A_eq=matrix[:, hidden.ravel()], b_eq=rhs, bounds=bounds,
                          method="highs")
            want = sign * ref.fun if ref.status == 0 else np.inf
            assert ref.status in (0, 3)
            assert found[tuple(at)] == pytest.approx(want, abs=1e-7), (tuple(at), sign)


# protection -----------------------------------------------------------------------------------

def _primary_intervals(protected):
    intervals = protected.intervals()
    primary = protected.pattern.primary
    return intervals.lower[primary], intervals.upper[primary]


def test_small_cells_show_as_under_ten_and_reveal_nothing_more():
    protected = protect_counts(_table())
    shown = protected.to_frame(labels=True)
    assert shown.loc["a0", "b0"] == "<10" and shown.loc["a2", "b2"] == "<10"
    assert (shown == "x").to_numpy().sum() == protected.pattern.secondary.sum() == 4
    lower, upper = _primary_intervals(protected)
    assert lower.tolist() == [0, 0] and upper.tolist() == [9, 9]
    assert np.isnan(protected.to_frame().loc["a0", "b0"])
    assert protected.cells()["status"].value_counts().to_dict() == {
        "published": 10, "secondary": 4, "primary": 2}


def test_uniform_labels_and_the_protection_level():
    protected = protect_counts(_table(), labels="uniform", protection=5, cost="unity")
    lower, upper = _primary_intervals(protected)
    values = protected.table.values[protected.pattern.primary]
    # the record tells which cells are primary, so the attacker knows they are below 10
    assert (lower <= np.maximum(values - 5, 0)).all()
    assert (upper >= np.minimum(values + 5, 9)).all()
    shown = protected.to_frame(labels=True)
    assert (shown == "x").to_numpy().sum() == protected.suppressed.sum()


@pytest.mark.parametrize("method", ["optimal", "sequential", "fast"])
def test_every_method_protects_and_optimal_costs_least(method):
    cells = [[3, 25, 40, 12], [30, 12, 50, 0], [22, 31, 7, 15], [1, 44, 18, 60]]
    protected = protect_counts(_table(cells), method=method)
    optimal = protect_counts(_table(cells), method="optimal")
    assert protected.pattern.method == method
    assert optimal.pattern.cost <= protected.pattern.cost + 1e-9
    lower, upper = _primary_intervals(protected)
    assert (lower == 0).all() and (upper == 9).all()


def test_a_three_way_table_with_all_margins_is_protected():
    cells = np.array([[[4, 20], [15, 30]], [[12, 2], [25, 18]], [[40, 11], [0, 16]]])
    protected = protect_counts(Table.from_array(cells))
    lower, upper = _primary_intervals(protected)
    assert len(lower) == 2 and (lower == 0).all() and (upper == 9).all()


def test_zero_cells_are_primary_only_when_disclosive():
    cells = [[0, 25, 40], [30, 12, 50], [22, 31, 17]]
    assert protect_counts(_table(cells)).pattern.primary.sum() == 0
    protected = protect_counts(_table(cells), Settings(zeros_disclosive=True))
    assert protected.pattern.primary[0, 0] and protected.pattern.secondary.sum() >= 3


def test_rounding_to_base_five_is_applied_to_published_cells_only():
    assert round_to_base(np.array([12, 13, 0, 7.5]), 5).tolist() == [10, 15, 0, 10]
    protected = protect_counts(_table(), base=5)
    shown = protected.to_frame(labels=True)
    assert shown.loc["a1", "b1"] == "10" and shown.loc["Total", "Total"] == "220"
    assert shown.loc["a0", "b0"] == "<10"
    assert np.nanmax(protected.published % 5) == 0


def test_magnitude_tables_suppress_dominated_cells_and_protect_them():
    protected = protect_magnitude(_incomes(), ["g", "h"], "v")
    primary = protected.pattern.primary
    assert primary[0, 0] and protected.labels[0, 0] == "x"
    intervals = protected.intervals()
    need = protected.pattern.upper_level[primary]
    assert (intervals.upper[primary] >= protected.table.values[primary] + need - 1e-6).all()
    assert (intervals.lower[primary] <= protected.table.values[primary]
            - protected.pattern.lower_level[primary] + 1e-6).all()
    with pytest.raises(ValueError):
        protect_magnitude(pd.DataFrame({"g": ["a", "b"], "v": [-1.0, 2.0]}), ["g"], "v")


def test_the_engine_takes_explicit_levels():
    table = _table()
    primary = np.zeros(table.shape, dtype=bool)
    primary[0, 0] = True
    pattern = find_pattern(table.values, table.structure, primary, 2.0, 2.0, method="optimal")
    # the cheapest rectangle through (a0, b0): b1 (25) + a1 (30) + their crossing (12)
    assert np.argwhere(pattern.secondary).tolist() == [[0, 1], [1, 0], [1, 1]]
    assert pattern.cost == 67


# the record -----------------------------------------------------------------------------------

def test_the_record_lists_rules_and_suppressed_cells_and_serialises():
    protected = protect_counts(_table())
    keys = check_linking_keys(protected.to_frame())
    rec = record("persons_by_a_b", [keys], protected=protected)
    assert rec.status == "pass" and rec.resolved == ("threshold",)
    data = json.loads(json.dumps(rec.to_dict()))
    assert [c["reason"] for c in data["suppressed"]].count("primary") == 2
    first = data["suppressed"][0]
    assert (first["cell"], first["reason"], first["lower"], first["upper"]) == (
        ["a0", "b0"], "primary", 0.0, 9.0)
    assert [c["status"] for c in data["checks"]] == ["pass", "pass", "pass"]
    assert data["protection"] == {"level": 10.0, "labels": "small", "method": "optimal",
                                  "rounding_base": None, "secondary": 4}
    detail = json.loads(json.dumps(rec.to_dict(detail=True)))
    assert detail["suppressed"][0]["rules"] == ["threshold"]
    assert [c["status"] for c in detail["checks"]] == ["pass", "fail", "pass"]
    assert detail["checks"][1]["flagged"] == [["a0", "b0"], ["a2", "b2"]]
    assert rec.to_frame()["status"].tolist() == ["pass", "fail", "pass"]
    unprotected = record("raw", check_counts(_table()))
    assert unprotected.status == "fail" and unprotected.suppressed == ()


# purity and the one place for suppression -----------------------------------------------------

def test_the_exported_record_holds_no_value_of_a_suppressed_cell():
    cells = [[0, 25, 40], [30, 12, 50], [22, 31, 3]]  # an empty cell, disclosive here
    protected = protect_counts(_table(cells), Settings(zeros_disclosive=True))
    exported = record("t", protected=protected).to_dict()
    assert {c["status"] for c in exported["checks"]} == {"pass"}  # the empty cell is hidden
    primary = [(c["lower"], c["upper"]) for c in exported["suppressed"]
               if c["reason"] == "primary"]
    assert primary == [(0.0, 9.0), (0.0, 9.0)]
    public = json.dumps(exported)
    for key in ("cost", "flagged", "rules", "details", "summary"):
        assert f'"{key}"' not in public
    rounded = record("t", protected=protect_counts(_table(cells), base=5)).to_dict()
    assert {c["lower"] for c in rounded["suppressed"]} == {None}


def test_public_functions_do_not_modify_their_input():
    data = _incomes()
    before = data.copy()
    table = pd.crosstab(data.g, data.h, margins=True)
    table_before = table.copy()
    check_magnitude(data, ["g", "h"], "v")
    protect_magnitude(data, ["g", "h"], "v")
    check_counts(table)
    protect_counts(table)
    check_linking_keys(table)
    pd.testing.assert_frame_equal(data, before)
    pd.testing.assert_frame_equal(table, table_before)
    values = np.array(COUNTS, dtype=float)
    Table.from_array(values)
    assert values.tolist() == COUNTS
    exog, y = _design()
    exog_before, y_before = exog.copy(), y.copy()
    check_regression(RegressionFacts(df_resid=147, exog=exog, endog=y))
    pd.testing.assert_frame_equal(exog, exog_before)
    pd.testing.assert_series_equal(y, y_before)
    numerator, denominator = pd.DataFrame({"p": [5, 50]}), pd.Series([100, 60])
    check_shares(numerator, denominator)
    check_clusters(denominator, numerator)
    check_areas(numerator)
    assert numerator["p"].tolist() == [5, 50] and denominator.tolist() == [100, 60]
    published = _table().values.copy()
    hidden = np.zeros(published.shape, dtype=bool)
    hidden[0, 0] = True
    attack(published, hidden, _table())
    assert np.array_equal(published, _table().values) and hidden.sum() == 1


def test_no_module_outside_disclosure_writes_suppression_labels():
    label = re.compile(r"""["']<\s*(\d+|\{[^}]*\})["']""")  # "<10", f"<{min_cell}"
    offenders = [str(p.relative_to(SRC)) for p in SRC.rglob("*.py")
                 if "disclosure" not in p.parts and label.search(p.read_text("utf-8"))]
    assert offenders == []


def test_the_optimal_pattern_is_not_cut_off_by_the_solver_s_presolve():
    """A table whose joint model the HiGHS of scipy 1.16 presolved to a wrong optimum (441;
    the property test found it): optimal is the cheapest, 422, as sequential's pattern shows
    is reachable."""
    table = Table.from_array(np.array([[18, 218, 286, 21], [2, 87, 1, 0], [12, 19, 4, 0]],
                                      dtype=float))
    costs = {m: protect_counts(table, labels="small", method=m).pattern.cost
             for m in ("optimal", "sequential")}
    assert costs == {"optimal": 422.0, "sequential": 422.0}


def _cheapest_by_enumeration(table: Table, pattern) -> float:
    """The cheapest set of secondary cells that leaves every primary cell's levels unreachable
    for the attacker, found by trying sets in order of cost (the attacker's LPs decide)."""
    values = table.values
    low, high = pattern.lower_bounds, pattern.upper_bounds
    spare = np.flatnonzero((~pattern.primary & (values >= low) & (values <= high)).ravel())
    prices = np.maximum(values.ravel()[spare], 1.0)
    picks = sorted(range(1 << len(spare)), key=lambda b: sum(
        prices[i] for i in range(len(spare)) if b >> i & 1))
    wanted = pattern.primary & ((pattern.upper_level > 0) | (pattern.lower_level > 0))
    for pick in picks:
        hidden = pattern.primary.ravel().copy()
        hidden[[spare[i] for i in range(len(spare)) if pick >> i & 1]] = True
        hidden = hidden.reshape(values.shape)
        found = attack(table, hidden, lower_bounds=low, upper_bounds=high, cells=wanted)
        if ((found.upper >= values + pattern.upper_level - 1e-6)
                & (found.lower <= values - pattern.lower_level + 1e-6))[wanted].all():
            return float(sum(prices[i] for i in range(len(spare)) if pick >> i & 1))
    raise AssertionError("no pattern protects every primary cell")


def test_the_optimal_pattern_is_the_cheapest_the_attacker_accepts():
    """A table the cost property found (CI, 2026-12-02): stated in cells, the joint model's
    optimum came back as 375 although 325 protects (and sequential found 368). The reference
    tries every cheaper set of cells against the attacker."""
    table = Table.from_array(np.array([[5, 9, 4, 5], [1, 1, 0, 7], [6, 8, 0, 29],
                                       [6, 134, 139, 0]], dtype=float))
    optimal = protect_counts(table, labels="small", method="optimal").pattern
    sequential = protect_counts(table, labels="small", method="sequential").pattern
    assert optimal.cost == _cheapest_by_enumeration(table, optimal) == 325.0
    assert optimal.cost <= sequential.cost == 368.0


def test_the_optimal_pattern_of_a_five_by_four_table_is_not_cut_off_without_presolve():
    """The pinned HiGHS without presolve returned 424 for this table as its optimum; 350
    protects every primary cell (the attacker's LPs say so), and sequential costs 424."""
    table = Table.from_array(np.array([[8, 4, 3, 178], [0, 71, 9, 261], [249, 7, 190, 0],
                                       [2, 16, 271, 23], [50, 2, 74, 4]], dtype=float))
    optimal = protect_counts(table, labels="small", method="optimal")
    pattern = optimal.pattern
    wanted = pattern.primary & ((pattern.upper_level > 0) | (pattern.lower_level > 0))
    found = attack(table, pattern.suppressed, lower_bounds=pattern.lower_bounds,
                   upper_bounds=pattern.upper_bounds, cells=wanted)
    assert ((found.upper >= table.values + pattern.upper_level - 1e-6)
            & (found.lower <= table.values - pattern.lower_level + 1e-6))[wanted].all()
    assert pattern.cost == 350.0


def test_the_optimal_pattern_of_a_three_by_four_table_is_not_cut_off_by_presolve():
    """Found by the cost property in CI (2026-12-02, both scipy versions): with presolve the
    joint model came back as 465 although 463 protects (sequential's pattern)."""
    table = Table.from_array(np.array([[379, 5, 320, 84], [400, 0, 288, 30], [101, 5, 61, 7]],
                                      dtype=float))
    costs = {m: protect_counts(table, labels="small", method=m).pattern.cost
             for m in ("optimal", "sequential")}
    assert costs == {"optimal": 463.0, "sequential": 463.0}
