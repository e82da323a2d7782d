"""Differencing between overlapping groups of children (the factors x outcome LP) and merging of
small audit groups; the leaks a review found in the demo bundle stay closed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartstart.disclosure import (
    check_groups,
    cube_counts,
    merge_small_groups,
    withhold_groups,
)
from smartstart.disclosure._groups import cube_constraints, narrowed_cells


def _children(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 3000
    a, b, c = (rng.random(n) < p for p in (0.2, 0.3, 0.25))
    risk = 0.02 + 0.25 * (a & b)
    return pd.DataFrame({"a": a, "b": b, "c": c, "y": rng.random(n) < risk})


def _group(data: pd.DataFrame, names: str) -> dict:
    inside = data[names.split("+")].all(axis=1) if names else pd.Series(True, index=data.index)
    return {"factors": names, "n": int(inside.sum()), "events": int(data.loc[inside, "y"].sum())}


def test_the_constraints_hold_for_the_true_cube():
    data = _children()
    groups = pd.DataFrame([_group(data, g) for g in ("", "a", "a+b", "b+c", "a+b+c")])
    a, b = cube_constraints(groups, ["a", "b", "c"])
    np.testing.assert_array_equal(a @ cube_counts(data, ["a", "b", "c"], "y"), b)


def test_a_factor_and_a_combination_inside_it_give_a_small_group_away():
    # a and b: 100 children, 30 events; a without b: 50 children, 4 events; the rest 500, 10
    rng = np.random.default_rng(0)
    a = np.r_[np.ones(150, bool), np.zeros(500, bool)]
    b = np.r_[np.ones(100, bool), np.zeros(550, bool)]
    y = np.r_[np.ones(30, bool), np.zeros(70, bool), np.ones(4, bool), np.zeros(46, bool),
              np.ones(10, bool), np.zeros(490, bool)]
    data = pd.DataFrame({"a": a, "b": b, "c": rng.random(650) < 0.5, "y": y})
    cube = cube_counts(data, ["a", "b", "c"], "y")
    leaky = pd.DataFrame([_group(data, ""), _group(data, "a"), _group(data, "a+b")])
    assert check_groups(leaky, ["a", "b", "c"], cube).status == "fail"  # a minus a+b: 4 events
    assert check_groups(leaky, ["a", "b", "c"]).status == "fail"  # visible from the bundle too
    safe = pd.DataFrame([_group(data, ""), _group(data, "a+b")])
    assert check_groups(safe, ["a", "b", "c"], cube).status == "pass"


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_withheld_groups_leave_no_small_cell_narrowed(seed):
    data = _children(seed)
    cube = cube_counts(data, ["a", "b", "c"], "y")
    candidates = pd.DataFrame([_group(data, g) for g in
                               ("a+b", "a+c", "b+c", "a+b+c", "a", "b", "c")])
    known = pd.DataFrame([_group(data, "")])
    kept, withheld = withhold_groups(candidates, known, ["a", "b", "c"], cube)
    assert withheld + len(kept) == len(candidates)
    everything = pd.concat([known, kept], ignore_index=True)
    assert len(narrowed_cells(everything, ["a", "b", "c"], cube)) == 0
    # the rows kept are the best-ranked ones that could be kept, in their order
    assert list(kept.index) == sorted(kept.index)


def test_small_audit_groups_are_merged_with_the_largest():
    groups = pd.Series(["4"] * 50 + ["5"] * 400 + ["6"] * 200 + [None] * 5)
    outcome = pd.Series([True] * 3 + [False] * 47 + [True] * 20 + [False] * 380
                        + [True] * 30 + [False] * 170 + [False] * 5)
    merged = merge_small_groups(groups, outcome)
    assert merged.isna().sum() == 5
    counts = pd.crosstab(merged, outcome)
    assert set(counts.index) == {"6", "overig"}  # 4 (3 events) joins 5, the largest
    assert counts.loc["overig", True] == 23 and counts.loc["6", True] == 30
    assert (counts >= 10).all().all()


def test_settled_intervals_equal_the_exact_ones_capped():
    """The few-LP path (sums settle most cells at 0 and at the cap) gives the interval of
    every cell as one LP per cell and bound does, the largest value capped."""
    import itertools

    from smartstart.disclosure._groups import cell_intervals, cube_constraints

    rng = np.random.default_rng(7)
    for _ in range(25):
        factors = [f"f{i}" for i in range(int(rng.integers(2, 5)))]
        n = int(rng.integers(30, 300))
        data = pd.DataFrame({f: rng.random(n) < rng.uniform(0.1, 0.6) for f in factors})
        outcome = rng.random(n) < 0.1
        rows = [{"factors": "", "n": n, "events": int(outcome.sum())}]
        for r in range(1, len(factors) + 1):
            for combo in itertools.combinations(factors, r):
                if rng.random() < 0.6:
                    inside = data[list(combo)].all(axis=1).to_numpy()
                    rows.append({"factors": "+".join(combo), "n": int(inside.sum()),
                                 "events": int((inside & outcome).sum())})
        a, b = cube_constraints(pd.DataFrame(rows), factors)
        low, high = cell_intervals(a, b)
        low_cap, high_cap = cell_intervals(a, b, cap=10.0)
        np.testing.assert_allclose(low_cap, low, atol=1e-6)
        np.testing.assert_allclose(high_cap, np.minimum(high, 10.0), atol=1e-6)
