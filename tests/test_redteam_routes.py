"""Red team, issue 12: two routes an attacker holding only the bundle used to recover
suppressed counts, replayed on small generated populations (target groups of 3, 9 and 14
households).

1. The same variable twice: ``rent_allowance`` is tenure level 3 ("rented with allowance").
   Protected per factor, one copy was suppressed (true 9) and the other published (15 of 24):
   24 - 15 = 9. The attacker here uses the factor definitions' identities as equality
   constraints in its LP over every count the profile publishes.
2. Denominators of means: the n of one mean minus the n of another counts the few households
   missing one of them (94 - 92 = 2).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from smartstart import analyses as A
from smartstart.outputs._compare import publish_comparison

MIN_CELL = 10
GROUPS = ("target", "rest", "all")
#: what the attacker knows from the factor definitions (and the README): the same variable
SAME = {("rent_allowance", "True"): ("tenure", "3")}


def _population(target: int, rented: int, seed: int, households: int = 400) -> pd.DataFrame:
    """``households`` with tenure 1/2/3 (3: rented with allowance, ``rent_allowance`` the same
    variable), a few without an income record; ``target`` of them in the target group, of
    whom ``rented`` rent with allowance. Numbers with a few more missing than others: the age
    of the youngest child (households with children), the mother's age at her first child
    (two of those fewer in the target group), disposable income (six fewer than tenure)."""
    rng = np.random.default_rng(seed)
    in_target = np.r_[np.ones(target, bool), np.zeros(households - target, bool)]
    tenure = np.r_[["3"] * rented, rng.choice(["1", "2"], target - rented),
                   rng.choice(["1", "2", "3"], households - target, p=[0.5, 0.3, 0.2])]
    tenure = pd.Series(tenure, dtype="object")
    tenure[rng.choice(np.arange(target, households), 25, replace=False)] = None
    rent = tenure.map(lambda v: None if v is None else v == "3").astype("boolean")
    children = rng.random(households) < 0.4
    children[:target] = True
    youngest = np.where(children, rng.integers(0, 18, households), np.nan)
    mother = youngest.copy()
    mother[[0, 1]] = np.nan  # two households of the target group without a mother's age
    mother[np.flatnonzero(~np.isnan(mother[target:]))[:3] + target] = np.nan
    income = rng.normal(25_000, 8_000, households).round()
    income[tenure.isna().to_numpy()] = np.nan
    income[rng.choice(np.flatnonzero(tenure.notna().to_numpy()), 6, replace=False)] = np.nan
    return pd.DataFrame({"tenure": tenure, "rent_allowance": rent,
                         "age_youngest_child": youngest, "mother_age_first_child": mother,
                         "disposable_income": income, "target_group": in_target})


def _publish(data: pd.DataFrame):
    spec = A.ProfileSpec(factors=("tenure", "rent_allowance", "age_youngest_child",
                                  "mother_age_first_child", "disposable_income"))
    result = A.profile(data, spec)
    return publish_comparison("profile_households", result.table, data, "target_group", None)


#: (target group, of whom rented with allowance, seed, households): 24 with 15 is the issue's
#: case (the rest, 9, was recoverable); 14 with 10 among 45 households published one copy
CASES = [(3, 2, 0, 400), (9, 6, 1, 400), (14, 11, 2, 400), (14, 5, 3, 400), (14, 10, 0, 45),
         (24, 15, 4, 400), (24, 9, 5, 400)]


def _row(frame: pd.DataFrame, factor: str, level: str | None) -> pd.Series:
    rows = frame[(frame["factor"] == factor) & (
        frame["level"].isna() if level is None else frame["level"].astype(str) == level)]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize(("target", "rented", "seed", "households"), CASES)
def test_identical_rows_have_one_suppression_status(target, rented, seed, households):
    published = _publish(_population(target, rented, seed, households))
    assert published.record.status == "pass"
    frame = published.frame
    if not {"tenure", "rent_allowance"} <= set(frame["factor"]):
        return  # a withheld block: nothing published twice
    twin, copy = _row(frame, "rent_allowance", None), _row(frame, "tenure", "3")
    for column in [f"{k}_{g}" for g in GROUPS for k in ("count", "n")]:
        assert pd.isna(twin[column]) == pd.isna(copy[column]), column


def _attacker(frame: pd.DataFrame, shown: dict) -> tuple[dict, dict]:
    """The LP over tenure x group and rent_allowance x group (all margins), with
    rent_allowance yes = tenure 3 and both totals equal; published cells fixed, ``<10`` at
    most 9, ``x`` at least 10. Returns {cell: (low, high)} for the unknown cells and a
    {cell: published or None}."""
    tenure = frame[frame["factor"] == "tenure"]
    twin = _row(frame, "rent_allowance", None)
    levels = [str(v) for v in tenure["level"]]
    names: list[tuple] = []
    known: dict[tuple, float | None] = {}
    bounds: dict[tuple, tuple[float, float]] = {}

    def cell(key, value, row=None, column=None):
        names.append(key)
        known[key] = None if pd.isna(value) else float(value)
        label = shown.get((row, column))
        bounds[key] = (0.0, MIN_CELL - 1.0) if label == f"<{MIN_CELL}" else (
            (float(MIN_CELL), np.inf) if label == "x" else (0.0, np.inf))

    for index, level in zip(tenure.index, levels, strict=True):
        for g in GROUPS:
            cell(("tenure", level, g), tenure.loc[index, f"count_{g}"], index, f"count_{g}")
    for g in GROUPS:
        cell(("tenure", "n", g), tenure[f"n_{g}"].iloc[0], tenure.index[0], f"n_{g}")
        cell(("rent", "yes", g), twin[f"count_{g}"], twin.name, f"count_{g}")
        cell(("rent", "no", g), np.nan)
        cell(("rent", "n", g), twin[f"n_{g}"], twin.name, f"n_{g}")
    at = {k: i for i, k in enumerate(names)}
    rows, rhs = [], []

    def equal(plus, minus):
        row = np.zeros(len(names))
        row[[at[k] for k in plus]] = 1.0
        row[[at[k] for k in minus]] -= 1.0
        rows.append(row)
        rhs.append(0.0)

    for factor, lv in (("tenure", levels), ("rent", ["yes", "no"])):
        for level in (*lv, "n"):
            equal([(factor, level, "target"), (factor, level, "rest")], [(factor, level, "all")])
        for g in GROUPS:
            equal([(factor, level, g) for level in lv], [(factor, "n", g)])
    for g in GROUPS:  # the factor definitions: the same variable twice
        equal([("rent", "yes", g)], [("tenure", "3", g)])
        equal([("rent", "n", g)], [("tenure", "n", g)])
    box = [(v, v) if v is not None else bounds[k] for k, v in known.items()]
    found = {}
    for key, value in known.items():
        if value is not None:
            continue
        c = np.zeros(len(names))
        c[at[key]] = 1.0
        low = linprog(c, A_eq=np.array(rows), b_eq=rhs, bounds=box, method="highs")
        high = linprog(-c, A_eq=np.array(rows), b_eq=rhs, bounds=box, method="highs")
        assert low.status == 0
        found[key] = (low.fun, -high.fun if high.status == 0 else np.inf)
    return found, known


def _truth(data: pd.DataFrame) -> dict[tuple, int]:
    target = data["target_group"].to_numpy(bool)
    masks = {"target": target, "rest": ~target, "all": np.ones(len(data), bool)}
    truth = {}
    for g, mask in masks.items():
        tenure = data.loc[mask, "tenure"]
        for level in ("1", "2", "3"):
            truth[("tenure", level, g)] = int((tenure == level).sum())
        truth[("tenure", "n", g)] = int(tenure.notna().sum())
        rent = data.loc[mask, "rent_allowance"]
        truth[("rent", "yes", g)] = int((rent == True).sum())  # noqa: E712
        truth[("rent", "no", g)] = int((rent == False).sum())  # noqa: E712
        truth[("rent", "n", g)] = int(rent.notna().sum())
    return truth


@pytest.mark.parametrize(("target", "rented", "seed", "households"), CASES)
def test_a_suppressed_cell_stays_hidden_when_the_twins_are_known_equal(target, rented, seed,
                                                                       households):
    data = _population(target, rented, seed, households)
    published = _publish(data)
    frame = published.frame
    if not {"tenure", "rent_allowance"} <= set(frame["factor"]):
        return
    shown = {(frame.index[row], column): label
             for row, column, label in published.record.shown}
    found, _ = _attacker(frame, shown)
    truth = _truth(data)
    for key, (low, high) in found.items():
        if 1 <= truth[key] < MIN_CELL:  # a small count: the attacker must not get closer
            assert low <= 1 + 1e-6 and high >= MIN_CELL - 1 - 1e-6, (key, truth[key], low, high)


def _published_ns(frame: pd.DataFrame) -> dict[str, list[tuple[str, float]]]:
    return {g: [(str(f), float(v)) for f, v, s in zip(frame["factor"], frame[f"n_{g}"],
                                                       frame["statistic"], strict=True)
                if pd.notna(v)] for g in GROUPS}


@pytest.mark.parametrize(("target", "rented", "seed", "households"), CASES)
def test_no_two_published_n_of_means_differ_by_a_few(target, rented, seed, households):
    frame = _publish(_population(target, rented, seed, households)).frame
    means = set(frame.loc[frame["statistic"] == "mean", "factor"])
    for g, ns in _published_ns(frame).items():
        for a, n_a in ns:
            for b, n_b in ns:
                if a in means and a != b:
                    assert not 1 <= abs(n_a - n_b) < MIN_CELL, (g, a, n_a, b, n_b)


def test_the_factor_definitions_declare_the_twins():
    from smartstart.features import identical_levels

    same = identical_levels()
    for key, twin in SAME.items():
        assert same[key] == twin
    assert same[("single_parent", "True")] == ("household_type", "6")


def test_the_denominators_rule_travels_with_the_output_and_catches_a_leak():
    from smartstart.disclosure import Rules, check_published

    published = _publish(_population(14, 11, 2))
    rules = Rules.from_dict(published.rules.to_dict())
    assert rules == published.rules and rules.denominators is not None
    status = {c.rule: c.status for c in check_published(published.frame, rules)}
    assert status["denominators"] == "pass"
    leaky = published.frame.copy()
    row = leaky.index[leaky["factor"] == "mother_age_first_child"][0]
    other = leaky.index[leaky["factor"] == "age_youngest_child"][0]
    leaky.loc[row, "n_target"] = leaky.loc[other, "n_target"] - 2
    status = {c.rule: c.status for c in check_published(leaky, rules)}
    assert status["denominators"] == "fail"
