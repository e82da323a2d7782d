"""The gate for result frames: protected embedded tables, blanking, re-checkable rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartstart import analyses as A
from smartstart.disclosure import (
    Rules,
    attack,
    check_nested,
    check_published,
    protect_rounded,
)
from smartstart.disclosure._protect import round_to_base
from smartstart.outputs._compare import _share_table, publish_comparison
from smartstart.outputs._flow import FLOW_BASE, publish_attrition


def _households(seed: int = 0) -> pd.DataFrame:
    """500 households, 60 in the target group; level 'c' has 3 target households."""
    rng = np.random.default_rng(seed)
    target = np.r_[np.ones(60, bool), np.zeros(440, bool)]
    kind = np.r_[["a"] * 30 + ["b"] * 27 + ["c"] * 3, rng.choice(["a", "b", "c"], 440)]
    works = np.r_[np.ones(55, bool), np.zeros(5, bool), rng.random(440) < 0.6]
    return pd.DataFrame({"household_type": kind, "adult_works": works, "target_group": target,
                         "reference_age": rng.normal(45, 10, 500).round()})


@pytest.fixture()
def published():
    data = _households()
    result = A.profile(data, A.ProfileSpec(factors=("household_type", "adult_works",
                                                     "reference_age")))
    return data, result, publish_comparison("p", result.table, data, "target_group", None)


def test_small_cells_are_suppressed_with_a_partner_and_their_statistics_blanked(published):
    data, result, pub = published
    frame = pub.frame.set_index(["factor", "level"])
    assert pub.record.status == "pass"
    assert np.isnan(frame.loc[("household_type", "c"), "count_target"])
    assert np.isnan(frame.loc[("household_type", "c"), "value_target"])
    assert pd.isna(frame.loc[("household_type", "c"), "phrase_nl"])
    # the level's total is published, so its rest count must go too (secondary)
    assert np.isnan(frame.loc[("household_type", "c"), "count_rest"])
    # and another level of the same factor, or the column total would give the cell back
    others = frame.loc[[("household_type", "a"), ("household_type", "b")], "count_target"]
    assert others.isna().sum() >= 1
    # the binary factor's "no" level (60 - 55 = 5) is a cell too: yes-count is suppressed
    works = pub.frame[pub.frame["factor"] == "adult_works"]
    assert works["count_target"].isna().all() and works["value_target"].isna().all()
    # unsuppressed cells are the analysis' own numbers
    mean = pub.frame[pub.frame["factor"] == "reference_age"]["value_target"].iloc[0]
    assert mean == pytest.approx(result.table.query("factor == 'reference_age'")[
        "value_target"].iloc[0], abs=1e-12)


def test_no_suppressed_cell_can_be_narrowed_down(published):
    _, result, _ = published
    rows = result.table[result.table["factor"] == "household_type"]
    embedded = _share_table(rows)
    from smartstart.disclosure import protect_counts

    protected = protect_counts(embedded.table)
    found = attack(np.where(protected.suppressed, np.nan, embedded.table.values),
                   protected.suppressed, embedded.table)
    primary = protected.pattern.primary
    assert primary.any()
    assert (found.lower[primary] <= 1 + 1e-9).all()
    assert (found.upper[primary] >= 9 - 1e-9).all()


def test_check_published_finds_each_kind_of_leak():
    frame = pd.DataFrame({"n": [100, 40], "count": [5.0, 20.0], "share": [0.05, 0.5]})
    rules = Rules(counts=("n", "count"), shares=(("count", "n"),),
                  derived=(("share", ("count", "n")),))
    status = {c.rule: c.status for c in check_published(frame, rules)}
    assert status["threshold"] == "fail" and status["shares"] == "fail"
    blanked = frame.assign(count=[np.nan, 20.0])
    status = {c.rule: c.status for c in check_published(blanked, rules)}
    assert status["threshold"] == "pass" and status["derived"] == "fail"
    fixed = blanked.assign(share=[np.nan, 0.5])
    assert all(c.status == "pass" for c in check_published(fixed, rules))
    keyed = fixed.assign(note=["123456789", "x"], max_income=[1.0, 2.0])
    status = {c.rule: c.status for c in check_published(keyed, rules)}
    assert status["linking_keys"] == "fail" and status["min_max"] == "fail"


def test_nested_groups_that_differ_by_a_few_are_found():
    frame = pd.DataFrame({"factors": ["a+b", "a+b+c", "a+d", "a+b+d"],
                          "n": [50, 45, 80, 20], "events": [20, 18, 30, 5]})
    check = check_nested(frame, "factors", "n", "events")
    assert check.status == "fail"
    assert check.mask["n"].tolist() == [False, True, False, False]
    kept = frame.drop(index=1)
    assert check_nested(kept, "factors", "n", "events").status == "pass"


def test_rounded_flows_and_rules_survive_the_manifest():
    frame = pd.DataFrame({"step": ["x", "y"], "rows_in": [1234, 1227], "rows_out": [1227, 3]})
    pub = protect_rounded("flow", frame, ("rows_in", "rows_out"), 10)
    assert pub.frame["rows_in"].tolist() == [1230, 1230]
    assert pub.frame["rows_out"].tolist() == [1230, 0]
    assert pub.record.status == "pass"
    again = Rules.from_dict(pub.rules.to_dict())
    assert again == pub.rules
    tampered = pub.frame.assign(rows_out=[1227, 0])
    assert {c.rule: c.status for c in check_published(tampered, again)}["threshold"] == "fail"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**6), st.integers(0, 10**4))
def test_a_flow_whose_end_is_stated_exactly_elsewhere_keeps_its_rounding(out, drop):
    # the residents with a household (a flow's rows_out) are the sum of every areas table's
    # residents; with its own rounded count as well, a drop of 13 was narrowed to 7-14
    flow = pd.DataFrame({"step": ["s"], "rows_in": [out + drop], "rows_out": [out],
                         "reason": ["r"]})
    row = publish_attrition(flow, None).frame.iloc[0]
    assert row["dropped"] == row["rows_in"] - row["rows_out"]  # no number of its own
    # an attacker who knows rows_out exactly: every drop whose rows_in rounds as published
    fits = [d for d in range(drop + 2 * FLOW_BASE)
            if round_to_base(np.array([out + d]), FLOW_BASE)[0] == row["rows_in"]]
    half = FLOW_BASE // 2
    assert drop in fits
    assert fits == list(range(max(0, int(row["rows_in"]) - half - out),
                              int(row["rows_in"]) + half - out))  # the rounding, no narrower


def test_a_step_that_changes_its_unit_drops_nothing_it_could_count():
    """Partner rows -> households and persons -> households: the difference is no number of
    anything that was lost (helper-41 read 520 -> 190 as 330 dropped), so it is empty; a step
    of one unit keeps its difference, and so does every step of a work folder written before
    the flag."""
    flow = pd.DataFrame({"step": ["inwoners met huishouden", "doelgroep: huishoudens",
                                  "huishoudens"],
                         "rows_in": [26591, 523, 26583], "rows_out": [26583, 188, 11634],
                         "reason": ["r"] * 3, "changes_unit": [False, True, True]})
    published = publish_attrition(flow, None)
    dropped = published.frame["dropped"].tolist()
    assert dropped[0] == 10 and np.isnan(dropped[1]) and np.isnan(dropped[2])
    assert published.frame["rows_in"].tolist() == [26590, 520, 26580]
    assert published.frame["rows_out"].tolist() == [26580, 190, 11630]
    assert published.record.status == "pass"
    assert "changes_unit" not in published.frame
    before = publish_attrition(flow.drop(columns="changes_unit"), None).frame
    assert before["dropped"].tolist() == [10, 330, 14950]


def test_linked_margins_are_fixed_unless_a_margin_of_their_kind_is_small():
    from smartstart.disclosure._gate import linked_margins

    none = np.zeros((3, 4), bool)
    assert linked_margins((3, 4), none).astype(int).tolist() == [
        [0, 0, 0, 1], [0, 0, 0, 1], [1, 1, 1, 1]]
    small_row_total = none.copy()
    small_row_total[0, 3] = True  # a level with 4 in all: its partner total must be free too
    assert linked_margins((3, 4), small_row_total).astype(int).tolist() == [
        [0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1]]


@pytest.mark.parametrize(("interior", "protectable"), [
    ([[0, 4], [165, 7654]], True),                            # binary factor: 4 children in all
    ([[57, 37, 34, 30, 23], [2, 1, 0, 0, 3]], True),          # separated types, many zeros
    ([[26, 0, 0], [3, 0, 31], [0, 38, 2], [0, 0, 29]], False),  # zeros give a column away
])
def test_linked_tables_protect_every_small_cell_or_withhold_them(interior, protectable):
    from smartstart.disclosure import Embedded, Settings, attack, protect_frame
    from smartstart.disclosure._gate import _narrowed, _protect

    cells = np.asarray(interior, float)
    rows, cols = cells.shape
    frame = pd.DataFrame(cells, columns=[f"c{j}" for j in range(cols)])
    places = {(i, j): [(i, f"c{j}")] for i in range(rows) for j in range(cols)}
    table = Embedded.build(cells, ("level", "group"), (list(range(rows)), list(range(cols))),
                           places)
    protected = _protect(table, Settings())
    published = protect_frame("t", frame, Rules(counts=tuple(frame.columns)), [table])
    status = {c.rule: c.status for c in published.record.checks}["protection"]
    assert status == "pass"
    assert not _narrowed(protected, Settings())
    # a table whose small cells the empty cells and totals give away is not published at all
    assert len(published.frame) == (rows if protectable else 0)
    if protectable:
        found = attack(np.where(protected.suppressed, np.nan, table.table.values),
                       protected.suppressed, table.table, protected.pattern.lower_bounds,
                       protected.pattern.upper_bounds)
        primary = protected.pattern.primary
        assert (found.lower[primary] <= 1 + 1e-9).all()
        assert (found.upper[primary] >= 9 - 1e-9).all()
        assert not protected.suppressed[-1, -1]  # the grand total stays published (linked)


def test_the_gate_does_not_modify_its_input(published):
    data, result, _ = published
    table, before = result.table.copy(deep=True), data.copy(deep=True)
    publish_comparison("p", result.table, data, "target_group", None)
    pd.testing.assert_frame_equal(result.table, table)
    pd.testing.assert_frame_equal(data, before)


def _twins(same):
    """tenure (1, 2, 3) and rent_allowance (False, True) x two types, rent_allowance True =
    tenure 3: type a has 24 households, 15 rent with allowance, so 9 do not."""
    from smartstart.disclosure import Embedded, protect_frame

    tenure = np.array([[5.0, 12], [4, 8], [15, 20]])
    rent = np.array([[9.0, 20], [15, 20]])
    frame = pd.DataFrame({"factor": ["tenure"] * 3 + ["rent_allowance"] * 2,
                          "level": ["1", "2", "3", "False", "True"],
                          "a": np.r_[tenure[:, 0], rent[:, 0]],
                          "b": np.r_[tenure[:, 1], rent[:, 1]], "n_a": 24.0, "n_b": 40.0})
    tables = []
    for name, cells, rows in (("tenure", tenure, [0, 1, 2]), ("rent_allowance", rent, [3, 4])):
        places = {(i, j): [(r, c)] for i, r in enumerate(rows) for j, c in enumerate("ab")}
        places |= {(len(rows), j): [(r, f"n_{c}") for r in rows] for j, c in enumerate("ab")}
        fixed = np.zeros((len(rows) + 1, 3), bool)
        fixed[-1, :] = True  # the types' sizes are published elsewhere
        levels = ["1", "2", "3"] if name == "tenure" else ["False", "True"]
        tables.append(Embedded.build(cells, (name, "type"), (levels, ["a", "b"]), places, fixed))
    rules = Rules(counts=("a", "b", "n_a", "n_b"))
    return protect_frame("twins", frame, rules, tables, same=same), tables


def test_identical_cells_are_one_cell_in_the_gate():
    from smartstart.disclosure._identical import Joint, identical_pairs

    same = {("rent_allowance", "True"): ("tenure", "3"),
            ("rent_allowance", "Total"): ("tenure", "Total")}
    for declared, safe in (({}, False), (same, True)):
        published, tables = _twins(declared)
        out = published.frame
        joint = Joint.of(tables, identical_pairs(tables, same))
        # a cell is hidden when a place showing it is blank; its label bounds it, unless its
        # rows are not published at all (then nothing is known of it)
        hidden, gone = [], []
        for e in tables:
            shape = e.table.shape
            hidden.append(np.zeros(shape, bool))
            gone.append(np.zeros(shape, bool))
            for position, places in e.places.items():
                hidden[-1][position] = any(r not in out.index or pd.isna(out.loc[r, c])
                                           for r, c in places)
                gone[-1][position] = all(r not in out.index for r, _ in places)
        hidden = np.concatenate([h.ravel() for h in hidden])
        gone = np.concatenate([g.ravel() for g in gone])
        primary = (joint.values > 0) & (joint.values < 10)
        low = np.where(gone | primary, 0.0, 10.0)
        high = np.where(primary & ~gone, 9.0, np.inf)
        found = attack(np.where(hidden, np.nan, joint.values), hidden, joint.structure, low, high)
        reach = (found.lower[primary & hidden] <= 1) & (found.upper[primary & hidden] >= 9)
        assert reach.all() == safe, declared
        if safe and len(out):  # one status for the twins
            twin = out.set_index(["factor", "level"])
            assert (twin.loc[("tenure", "3"), ["a", "b"]].isna()
                    == twin.loc[("rent_allowance", "True"), ["a", "b"]].isna()).all()


def _blank_one_at_a_time(frame: pd.DataFrame, rules) -> pd.DataFrame:
    """The reference: each statistic in turn, by name, with pandas (what the gate did)."""
    out = frame.copy()
    for column, bases in rules.derived:
        present = [b for b in bases if b in out.columns]
        if column not in out.columns or not present:
            continue
        gone = out[present].isna().any(axis=1)
        if gone.any():
            out[column] = out[column].astype(float)
            out.loc[gone, column] = np.nan
    return out


def test_statistics_are_blanked_where_a_count_they_rest_on_is_blank():
    """Column-wise blanking equals blanking one statistic at a time, a statistic resting on
    a statistic included (its blanks follow), on random tables."""
    from smartstart.disclosure import Rules
    from smartstart.disclosure._gate import blank_derived

    rng = np.random.default_rng(5)
    for _ in range(200):
        rows = int(rng.integers(1, 7))
        frame = pd.DataFrame({c: rng.integers(0, 40, rows).astype(float)
                              for c in ("n", "m", "mean", "sd", "share")})
        frame = frame.mask(rng.random(frame.shape) < 0.2)
        frame["n"] = frame["n"].astype("Int64") if rng.random() < 0.5 else frame["n"]
        derived = [("mean", ("n",)), ("sd", ("mean", "m")), ("share", ("x", "n", "m")),
                   ("absent", ("n",))]
        rules = Rules(derived=tuple(derived[i] for i in rng.permutation(len(derived))))
        got = blank_derived(frame, rules)
        pd.testing.assert_frame_equal(got, _blank_one_at_a_time(frame, rules))
        assert (got.isna() >= frame.isna()).all().all()


def test_a_withheld_block_leaves_no_trace_of_its_cells_in_the_log():
    """A block whose small cell no pattern can protect (its margins are published elsewhere,
    a hidden partner shows as "x", so at least 10) is dropped from the table; the log says
    which block went, not its cells and the attacker's bounds on them: from those bounds
    (both "yes" cells at most 16) an attacker read the withheld block's total, and so the
    target group's small count, off the demo's log."""
    from smartstart.disclosure import Embedded, protect_frame

    frame = pd.DataFrame({"factor": ["f", "f", "g", "g"], "level": ["yes", "no", "c", "d"],
                          "count_target": [1, 156, 60, 97], "count_rest": [15, 7650, 4000, 3665]})
    columns = ["count_target", "count_rest"]
    embedded = [Embedded.build(frame.loc[rows, columns].to_numpy(float), [name, "group"],
                               [frame["level"][rows].tolist(), ["target", "rest"]],
                               {(i, j): [(r, c)] for i, r in enumerate(rows)
                                for j, c in enumerate(columns)})
                for name, rows in (("f", [0, 1]), ("g", [2, 3]))]
    published = protect_frame("t", frame, Rules(counts=tuple(columns)), embedded)
    logged = published.record.to_dict()
    assert logged["protection"]["blocks_withheld"] == "f"
    assert logged["protection"]["rows_withheld"] == 2
    assert published.frame["factor"].tolist() == ["g", "g"]
    assert logged["suppressed"] == [] and logged["shown"] == []
    assert published.record.status == "pass"


def test_a_profile_mean_dominated_by_one_household_is_found_in_its_group_only():
    """The NK rule over a profile's mean rows (``_dominance``): one target household holding
    nearly all of a factor's sum fails that row, in the target group or in the rest, and a
    row of ordinary values passes; a group column with NULLs counts them as the rest."""
    from datetime import date

    from smartstart.analyses import ProfileSpec, profile
    from smartstart.outputs._compare import _dominance
    from smartstart.pilot import Study

    rules = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1)).disclosure
    rng = np.random.default_rng(3)
    n = 400
    target = rng.random(n) < 0.3
    table = pd.DataFrame({"target_group": pd.array(target, dtype="boolean"),
                          "in_target": rng.normal(1000, 50, n),
                          "in_rest": rng.normal(1000, 50, n),
                          "ordinary": rng.normal(1000, 50, n)})
    table.loc[np.flatnonzero(target)[0], "in_target"] = 1e9
    table.loc[np.flatnonzero(~target)[0], "in_rest"] = 1e9
    table.loc[np.flatnonzero(~target)[1], "target_group"] = pd.NA  # not in the target group
    result = profile(table, ProfileSpec(factors=("in_target", "in_rest", "ordinary")))
    rows = result.table[result.table["statistic"] == "mean"]
    failed = _dominance(rows, table, "target_group", rules)
    assert rows.loc[failed, "factor"].tolist() == ["in_target", "in_rest"]
