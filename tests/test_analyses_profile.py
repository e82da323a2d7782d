"""Profile and duration breakdown: hand-checked numbers, the planted food-bank pattern, no
mutation. References: statsmodels (Wilson interval, z-test), scipy (t interval, Welch test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from smartstart.analyses import DurationSpec, ProfileSpec, duration_breakdown, profile

TOL = 1e-10


def small_table(repeat: int = 10) -> pd.DataFrame:
    base = pd.DataFrame({
        "target_group": [True] * 4 + [False] * 6,
        "flag": [True, True, True, False, True, False, False, False, False, False],
        "income": [10, 12, 14, 16, 20, 22, 24, 26, 28, 30],
        "kind": ["1", "1", "3", "3", "1", "1", "1", "1", "3", None],
    })
    return pd.concat([base] * repeat, ignore_index=True)


SPEC = ProfileSpec(unit="household", factors=("flag", "income", "kind"))


def test_shares_against_statsmodels():
    row = profile(small_table(), SPEC).to_frame().query("factor == 'flag'").iloc[0]
    for group, (count, n) in {"target": (30, 40), "rest": (10, 60), "all": (40, 100)}.items():
        low, high = proportion_confint(count, n, method="wilson")
        assert row[f"count_{group}"] == count and row[f"n_{group}"] == n
        assert row[f"value_{group}"] == pytest.approx(count / n, abs=TOL)
        assert row[f"ci_low_{group}"] == pytest.approx(low, abs=TOL)
        assert row[f"ci_high_{group}"] == pytest.approx(high, abs=TOL)
    p1, p2 = 0.75, 1 / 6
    assert row["smd_rest"] == pytest.approx((p1 - p2) / np.sqrt((p1 * (1 - p1) + p2 * (1 - p2))
                                                                / 2), abs=TOL)
    assert row["smd_all"] == pytest.approx((p1 - 0.4) / np.sqrt((p1 * (1 - p1) + 0.24) / 2),
                                           abs=TOL)
    _, p = proportions_ztest([30, 10], [40, 60])
    assert row["p_rest"] == pytest.approx(p, abs=TOL)
    assert row["direction"] == "higher"


def test_means_against_scipy():
    table = small_table()
    row = profile(table, SPEC).to_frame().query("factor == 'income'").iloc[0]
    target = table.loc[table["target_group"], "income"].to_numpy(float)
    rest = table.loc[~table["target_group"], "income"].to_numpy(float)
    everyone = table["income"].to_numpy(float)
    for group, x in {"target": target, "rest": rest, "all": everyone}.items():
        low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert row[f"n_{group}"] == len(x)
        assert row[f"value_{group}"] == pytest.approx(x.mean(), abs=TOL)
        assert row[f"sd_{group}"] == pytest.approx(x.std(ddof=1), abs=TOL)
        assert (row[f"ci_low_{group}"], row[f"ci_high_{group}"]) == pytest.approx((low, high),
                                                                                   abs=TOL)
    smd = (target.mean() - rest.mean()) / np.sqrt((target.var(ddof=1) + rest.var(ddof=1)) / 2)
    assert row["smd_rest"] == pytest.approx(smd, abs=TOL)
    assert row["p_rest"] == pytest.approx(stats.ttest_ind(target, rest, equal_var=False).pvalue,
                                          abs=TOL)
    assert row["direction"] == "lower"


def test_category_levels_count_known_values_and_missing():
    got = profile(small_table(), SPEC).to_frame().query("factor == 'kind'").set_index("level")
    assert list(got.index) == ["1", "3"]
    assert got.loc["1", "count_target"] == 20 and got.loc["1", "n_target"] == 40
    assert got.loc["1", "count_rest"] == 40 and got.loc["1", "n_rest"] == 50
    assert got.loc["3", "missing_rest"] == 10 and got.loc["3", "missing_target"] == 0
    assert got.loc["1", "direction"] == "lower" and got.loc["3", "direction"] == "higher"


def test_small_differences_are_similar():
    table = small_table(1)
    got = profile(table, SPEC).to_frame().set_index("factor")
    # n = 4 vs 6: shares of 3/4 vs 1/6 are not clear (z-test p = 0.065); incomes that do not
    # overlap are
    assert (got.loc[["flag", "kind"], "direction"] == "similar").all()
    assert got.loc["income", "direction"] == "lower"
    phrases = profile(small_table(), SPEC).phrases("nl")
    assert len(phrases) == 4  # flag, income, two levels of kind


def test_a_factor_the_target_group_is_defined_by_is_no_similar():
    """All of the target group and none of the rest (the factor that defines the group, an
    outsider's pilot): no variance in either group, so no standardised difference, but not
    "about as often" either: the direction follows the difference (z-test p from statsmodels)."""
    table = small_table().assign(defining=lambda f: f["target_group"],
                                 constant=lambda f: f["income"] * 0 + 1.0)
    spec = ProfileSpec(unit="household", factors=("defining", "constant"))
    rows = profile(table, spec).to_frame().set_index("factor")
    row = rows.loc["defining"]
    assert (row["value_target"], row["value_rest"]) == (1.0, 0.0)
    assert np.isnan(row["smd_rest"]) and row["direction"] == "higher"
    _, p = proportions_ztest([40, 0], [40, 60])
    assert row["p_rest"] == pytest.approx(p, abs=TOL) and p < 0.05
    same = rows.loc["constant"]  # no variance and no difference: similar, smd 0
    assert same["smd_rest"] == 0.0 and same["direction"] == "similar"


def test_empty_target_group_gives_no_numbers():
    table = small_table().assign(target_group=False)
    got = profile(table, SPEC).to_frame()
    assert (got["n_target"] == 0).all() and got["value_target"].isna().all()
    assert got["smd_rest"].isna().all() and (got["direction"] == "similar").all()


def test_profile_does_not_modify_its_input():
    table = small_table()
    before = table.copy(deep=True)
    profile(table, SPEC)
    profile(table, ProfileSpec(unit="household", factors=None))
    pd.testing.assert_frame_equal(table, before)


# --- durations ---------------------------------------------------------------------------------

DAYS = [0, 100, 182, 183, 200, 365, 366, 400, None]


@pytest.mark.parametrize(("values", "unit"), [
    (DAYS, "days"),
    ([None if d is None else d / (365.25 / 12) for d in DAYS], "months"),
    (pd.to_timedelta([np.nan if d is None else d for d in DAYS], unit="D"), "days"),
])
def test_duration_bands(values, unit):
    table = pd.DataFrame({"duration": values})
    before = table.copy(deep=True)
    got = duration_breakdown(table, DurationSpec(unit=unit))
    frame = got.to_frame().set_index("band")
    assert list(frame["count"]) == [3, 3, 2]
    assert (frame["n"] == 8).all() and got.n_missing == 1
    low, high = proportion_confint(3, 8, method="wilson")
    assert frame.loc["lt_6m", "ci_low"] == pytest.approx(low, abs=TOL)
    assert frame.loc["lt_6m", "ci_high"] == pytest.approx(high, abs=TOL)
    pd.testing.assert_frame_equal(table, before)


def test_negative_duration_is_refused():
    with pytest.raises(ValueError):
        duration_breakdown(pd.DataFrame({"duration": [10, -1]}))


# --- the planted food-bank pattern -------------------------------------------------------------

@pytest.fixture(scope="module")
def households(demo_world):
    """The demo municipality (SynthSpec seed 1), household table."""
    return demo_world[0].households


def test_household_profile_counts_and_planted_directions(households):
    before = households.copy(deep=True)
    result = profile(households, ProfileSpec(unit="household"))
    pd.testing.assert_frame_equal(households, before)
    got = result.to_frame()
    target = households["target_group"]
    assert result.n == {"target": int(target.sum()), "rest": int((~target).sum()),
                        "all": len(households)}
    assert (got["n_target"] + got["n_rest"] == got["n_all"]).all()
    assert (got["n_all"] + got["missing_all"] == len(households)).all()
    single = got.query("factor == 'household_type' and level == '6'").iloc[0]
    assert single["count_target"] == int((households.loc[target, "household_type"] == "6").sum())
    by = got.assign(level=got["level"].fillna("")).set_index(["factor", "level"])["direction"]
    # the seed's clients: more often single parents, rent allowance, benefits; lower income
    assert by[("household_type", "6")] == "higher"
    assert by[("rent_allowance", "")] == "higher"
    assert by[("tenure", "1")] == "lower"
    assert by[("disposable_income", "")] == "lower"
    assert by[("main_benefit", "0")] == "lower"
    assert "wijk" in set(got["factor"]) and "target_group" not in set(got["factor"])


def test_a_level_that_is_an_absence_reads_without_a_double_negative():
    target = np.r_[np.ones(100, bool), np.zeros(400, bool)]
    benefit = np.r_[["3"] * 80 + ["0"] * 20, ["3"] * 80 + ["0"] * 320]
    table = pd.DataFrame({"target_group": target, "main_benefit": benefit})
    result = profile(table, ProfileSpec(factors=("main_benefit",)))
    phrases = dict(zip(result.table["level"], result.table["phrase_nl"], strict=True))
    assert phrases["0"] == "minder vaak zonder uitkering"
    assert phrases["3"] == "vaker bijstandsuitkering"
    english = dict(zip(result.table["level"], result.table["phrase_en"], strict=True))
    assert english["0"].startswith("less often without")


def test_a_category_held_as_text_gives_the_same_profile_as_python_strings():
    """The work tables hold their codes as TEXT (Arrow strings); the profile counts them as
    they are, without a Python object per value: the same table as from object columns."""
    from smartstart._frames import TEXT

    rng = np.random.default_rng(7)
    n = 2_000
    table = pd.DataFrame({"target": rng.random(n) < 0.3,
                          "place": rng.choice(["0784", "0855", "1719", None], n),
                          "kind": rng.choice(["paar", "eenouder", "alleen"], n)})
    spec = ProfileSpec(target="target", factors=("place", "kind"))
    as_objects = profile(table, spec).table
    as_text = profile(table.astype({"place": TEXT, "kind": TEXT}), spec).table
    pd.testing.assert_frame_equal(as_text, as_objects)
    assert as_objects["level"].tolist() == ["0784", "0855", "1719", "alleen", "eenouder", "paar"]
    assert as_objects.loc[0, "missing_all"] == (table["place"].isna()).sum()


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.sampled_from(["0784", "0855", "é", "Z", "a b", "ß", "", None]),
                       min_size=1, max_size=60),
       seed=st.integers(0, 2**16), as_text=st.booleans())
def test_category_levels_against_a_count_of_python_strings(values, seed, as_text):
    """Each level's count per group, the missing and the levels' order (Python's sorted) as a
    plain count gives them, whether the column is TEXT or Python strings."""
    from collections import Counter

    from smartstart._frames import TEXT

    target = np.random.default_rng(seed).random(len(values)) < 0.4
    table = pd.DataFrame({"target": target, "place": pd.Series(values, dtype=object)})
    if as_text:
        table = table.astype({"place": TEXT})
    got = profile(table, ProfileSpec(target="target", factors=("place",))).table
    known = sorted({v for v in values if v is not None})
    if not known:  # nothing known: no level, no row
        assert got.empty
        return
    assert got["level"].tolist() == known
    for group, mask in {"target": target, "rest": ~target,
                        "all": np.ones(len(values), bool)}.items():
        counted = Counter(v for v, m in zip(values, mask, strict=True) if m and v is not None)
        missing = sum(1 for v, m in zip(values, mask, strict=True) if m and v is None)
        assert got[f"count_{group}"].tolist() == [counted[k] for k in known]
        assert set(got[f"n_{group}"]) <= {sum(counted.values())}
        assert set(got[f"missing_{group}"]) <= {missing}
