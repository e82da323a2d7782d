"""The register (issue 12): every published count of every output as one attacker LP.

Checked against independent references: the LP over the full joint table of all variables
(built here by brute force, no junction tree) and scipy's MILP over the same joint (the
integer attacker), on generated microdata; and the planted truth (the true count always lies
in the attacker's interval). Then the routes: a table that gives a small cell of another
table back fails ``smartstart check`` and is withheld by the run.
"""

from __future__ import annotations

import itertools
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import LinearConstraint, linprog, milp
from test_run_bundle import _rewrite_checksums, demo  # noqa: F401 - the shared demo

from smartstart import analyses as A
from smartstart.bundle import check_bundle
from smartstart.disclosure import Rules, Settings, attack_register, protect_frame, too_narrow
from smartstart.disclosure._statements import KNOWN, Statement, declare, yes
from smartstart.outputs import Outputs, _register
from smartstart.outputs._compare import publish_comparison

CBS = Settings()
VARIABLES = {"target": ["0", "1"], "f": ["a", "b", "c", None], "g": ["0", "1"],
             "h": ["x", "y"]}


# --- places within places ------------------------------------------------------------------

def _places(wijk_codes: tuple[str, str, str]) -> list[Statement]:
    """Households in two municipalities (784: 30, 785: 20, and others: no total is given);
    wijk 1 small and blank, wijk 2 has 25 and wijk 3 has 20 households."""
    def count(row, conds, value, upper=float("inf")):
        return Statement("t", row, "n", "household", ((1, conds),), value, upper)

    one, two, three = wijk_codes
    return [count(1, (("gemeente", "in", ("784",)),), 30.0),
            count(2, (("gemeente", "in", ("785",)),), 20.0),
            count(3, (("wijk", "in", (one,)),), None, 9.0),
            count(4, (("wijk", "in", (two,)),), 25.0), count(5, (("wijk", "in", (three,)),), 20.0)]


def test_the_attacker_knows_a_wijk_lies_in_the_municipality_its_code_names():
    # 78401 and 78402 lie in 784 (30 households): wijk 78401 has at most 5, under its <10
    found = {f.statement.row: f for f in attack_register(_places(("78401", "78402", "78501")))}
    assert (found[3].lower, found[3].upper, found[3].narrowed) == (0, 5, True)
    # codes that name no municipality tell the attacker nothing more: 0 to 9, not narrowed
    found = {f.statement.row: f for f in attack_register(_places(("a", "b", "c")))}
    assert (found[3].lower, found[3].upper, found[3].narrowed) == (0, 9, False)
    # counts that contradict the codes (wijk 78501 counted in 784): the LP without them
    odd = [*_places(("78401", "78402", "78501")), Statement(
        "u", 0, "n", "household", ((1, (("wijk", "in", ("78501",)),
                                        ("gemeente", "in", ("784",)))),), 3.0)]
    assert {f.statement.row: f.upper for f in attack_register(odd)}[3] == 9


# --- the register against the full joint LP and MILP ----------------------------------------

@st.composite
def worlds(draw):
    """Microdata over four variables (f with missing values) and statements about it: random
    conjunctions, some published, small ones blank with ``<10``, some blank with ``x``."""
    n = draw(st.integers(20, 120))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    units = pd.DataFrame({v: rng.choice(np.array(levels, dtype=object), size=n,
                                        p=_skew(rng, len(levels)))
                          for v, levels in VARIABLES.items()})
    statements = [Statement("all", 0, "n", "unit", ((1, ()),), float(n))]
    for k in range(draw(st.integers(3, 14))):
        chosen = draw(st.lists(st.sampled_from(sorted(VARIABLES)), min_size=1, max_size=3,
                               unique=True))
        conds = []
        for var in chosen:
            values = [v for v in VARIABLES[var] if v is not None]
            value = draw(st.sampled_from([*values, KNOWN] if var == "f" else values))
            conds.append((var, "in", (value,)))
        true = float(_count(units, conds))
        hidden = draw(st.sampled_from(["published", "small", "x"]))
        if hidden == "small" and true < CBS.min_cell:
            statements.append(Statement("t", k, "c", "unit", ((1, tuple(conds)),), None,
                                        float(CBS.min_cell - 1)))
        elif hidden == "x":
            statements.append(Statement("t", k, "c", "unit", ((1, tuple(conds)),), None))
        else:
            statements.append(Statement("t", k, "c", "unit", ((1, tuple(conds)),), true))
    return units, statements


def _skew(rng, k: int) -> np.ndarray:
    p = rng.dirichlet(np.full(k, 0.7))
    return p / p.sum()


def _count(units: pd.DataFrame, conds) -> int:
    mask = np.ones(len(units), dtype=bool)
    for var, _, (value,) in conds:
        mask &= units[var].notna().to_numpy() if value == KNOWN else (
            units[var] == value).to_numpy()
    return int(mask.sum())


def _joint(statements: list[Statement]):
    """Every cell of the joint table of all variables (f: its levels, "other", missing)."""
    domains = {"target": ["0", "1", "~"], "f": ["a", "b", "c", "~", None],
               "g": ["0", "1", "~"], "h": ["x", "y", "~"]}
    cells = list(itertools.product(*domains.values()))

    def row(terms) -> np.ndarray:
        out = np.zeros(len(cells))
        for sign, conds in terms:
            for i, cell in enumerate(cells):
                values = dict(zip(domains, cell, strict=True))
                if all((values[v] is not None) if val == KNOWN else values[v] == val
                       for v, _, (val,) in conds):
                    out[i] += sign
        return out

    known = [s for s in statements if s.value is not None]
    blank = [s for s in statements if s.value is None]
    a_eq = np.array([row(s.terms) for s in known])
    b_eq = np.array([s.value for s in known])
    small = [s for s in blank if np.isfinite(s.upper)]
    a_ub = np.array([row(s.terms) for s in small]) if small else np.zeros((0, len(cells)))
    return cells, row, a_eq, b_eq, a_ub, np.array([s.upper for s in small])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_register_bounds_are_the_full_joint_lp_and_hold_the_truth(world):
    units, statements = world
    found = attack_register(statements, {}, CBS)
    cells, row, a_eq, b_eq, a_ub, b_ub = _joint(statements)
    small = [s for s in statements if s.value is None and np.isfinite(s.upper)]
    assert [f.statement for f in found] == small
    for finding in found:
        c = row(finding.statement.terms)
        bounds = []
        for sign in (1, -1):
            lp = linprog(sign * c, A_eq=a_eq, b_eq=b_eq, A_ub=a_ub if len(b_ub) else None,
                         b_ub=b_ub if len(b_ub) else None, bounds=(0, None), method="highs")
            assert lp.status == 0
            bounds.append(sign * lp.fun)
        # the junction tree's LP is the joint LP (to the solver's tolerance), rounded inwards
        assert finding.lower == np.ceil(bounds[0] - 1e-6)
        assert finding.upper == np.floor(bounds[1] + 1e-6)
        true = _count(units, finding.statement.terms[0][1])
        assert finding.lower <= true <= finding.upper
        # the integer attacker may be sharper than the LP, never looser
        constraints = [LinearConstraint(a_eq, b_eq, b_eq)]
        if len(b_ub):
            constraints.append(LinearConstraint(a_ub, -np.inf, b_ub))
        low = milp(c, constraints=constraints, integrality=np.ones(len(cells)))
        high = milp(-c, constraints=constraints, integrality=np.ones(len(cells)))
        assert finding.lower - 1e-6 <= low.fun <= true <= -high.fun <= finding.upper + 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_counts_outside_binding_cannot_end_a_narrowing_and_only_bounds_those_named(world):
    # every statement its own output: left out one at a time and attacked again from scratch
    _, statements = world
    statements = [replace(s, output=f"o{i}") for i, s in enumerate(statements)]
    found = attack_register(statements, {}, CBS)
    some = frozenset(f.statement.where for f in found[::2])
    assert [(f.statement, f.lower, f.upper) for f in
            attack_register(statements, {}, CBS, only=some)] == [
        (f.statement, f.lower, f.upper) for f in found if f.statement.where in some]
    for finding in (f for f in found if f.narrowed):
        assert finding.binding is not None and finding.statement.output in finding.binding
        for i, other in enumerate(statements):
            if other.output in finding.binding:
                continue
            again = attack_register(statements[:i] + statements[i + 1:], {}, CBS,
                                    only=frozenset({finding.statement.where}))
            assert [g.narrowed for g in again] == [True], (finding, other)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_without_an_output_only_the_narrowed_and_those_pinned_at_zero_can_be_narrowed(world):
    """What lets the run stop after a try that ends the narrowing (``register_together``):
    leaving an output out only widens the other counts' intervals, so afterwards only counts
    that were narrowed, or pinned at 0 (not narrowed while 0), can be narrowed. Each output of
    a random register left out in turn and attacked again from scratch."""
    _, statements = world
    statements = [replace(s, output=f"o{i % 3}") for i, s in enumerate(statements)]
    found = attack_register(statements, {}, CBS)
    again = {f.statement.where for f in found if f.narrowed or f.upper <= 0}
    for name in sorted({s.output for s in statements}):
        rest = [s for s in statements if s.output != name]
        assert {f.statement.where for f in attack_register(rest, {}, CBS) if f.narrowed} <= again


def test_a_pinned_small_cell_is_found():
    """Two tables: one hides a small count, the other states its complement."""
    inside = ((1, (yes("target"), ("f", "in", ("b",)))),)
    statements = [
        Statement("all", 0, "n", "unit", ((1, (yes("target"), ("f", "in", (KNOWN,)))),), 40.0),
        Statement("profile", 1, "count", "unit", inside, None, 9.0),
        Statement("other", 0, "count", "unit",
                  ((1, (yes("target"), ("f", "in", (KNOWN,)))), (-1, inside[0][1])), 35.0)]
    (finding,) = attack_register(statements, {}, CBS)
    assert (finding.lower, finding.upper, finding.narrowed) == (5.0, 5.0, True)
    # without the second table the cell keeps its label's interval
    (alone,) = attack_register(statements[:2], {}, CBS)
    assert (alone.lower, alone.upper, alone.narrowed) == (0.0, 9.0, False)


def test_a_true_zero_under_a_small_label_is_no_disclosure():
    """A rest of the group next to a small total is labelled <10 with it; pinned at 0 it is a
    true zero, which tells no small count unless zeros are disclosive."""
    statements = [
        Statement("a", 0, "n", "unit", ((1, (yes("target"),)),), 20.0),
        Statement("a", 1, "count", "unit", ((1, (yes("target"), yes("type", "1"))),), 20.0),
        Statement("b", 0, "rest", "unit", ((1, (yes("target"), ("type", "not", ("1",)))),),
                  None, 9.0)]
    (finding,) = attack_register(statements, {}, CBS)
    assert (finding.lower, finding.upper, finding.narrowed) == (0.0, 0.0, False)
    zeros = Settings(zeros_disclosive=True)
    assert attack_register(statements, {}, zeros)[0].narrowed


def test_identical_variables_are_one_variable():
    """rent_allowance is tenure level 3 (same_as): one output hides one, another publishes
    the other (24 - 15 = 9 in the attacker's report)."""
    same = {("rent_allowance", "True"): ("tenure", "3"),
            ("rent_allowance", "Total"): ("tenure", "Total")}
    statements = [
        Statement("a", 0, "n", "unit", ((1, (("tenure", "in", (KNOWN,)),)),), 24.0),
        Statement("a", 1, "count", "unit", ((1, (("tenure", "in", ("3",)),)),), None, 9.0),
        Statement("b", 0, "count", "unit", ((1, (("rent_allowance", "in", ("1",)),)),), 9.0)]
    assert attack_register(statements, same, CBS)[0].narrowed
    assert not attack_register(statements, {}, CBS)[0].narrowed


def test_nested_levels_are_known():
    """Residential youth care is youth care (factors.yaml ``within``): 15 children in youth
    care, 14 of them residential, so one in youth care but not residential; without the
    nesting the 14 could be partly outside youth care and the cell keeps [0, 9] (with it, at
    most one: [0, 1], as one child could lack a residential-care record)."""
    res, prior = "residential_care_12m", "prior_youth_care"
    statements = [
        Statement("a", 0, "n", "unit", ((1, ()),), 100.0),
        Statement("a", 1, "count", "unit", ((1, (yes(prior),)),), 15.0),
        Statement("b", 0, "count", "unit", ((1, (yes(res),)),), 14.0),
        Statement("c", 0, "count", "unit", ((1, (yes(prior), yes(res, "0"))),), None, 9.0)]
    loose = attack_register(statements, {}, CBS)[0]
    assert (loose.lower, loose.upper, loose.narrowed) == (0.0, 9.0, False)
    within = {(res, "True"): (prior, "True")}
    tight = attack_register(statements, {}, CBS, within)[0]
    assert (tight.lower, tight.upper, tight.narrowed) == (0.0, 1.0, True)
    from smartstart.features import nested_levels
    assert nested_levels()[(res, "True")] == (prior, "True")


# --- the run: the last output that narrows a small cell is withheld ---------------------------

def _households(seed: int = 5) -> pd.DataFrame:
    """300 households, 40 in the target group: tenure 1 (20), 2 (6), 3 (14) in it."""
    rng = np.random.default_rng(seed)
    tenure = np.r_[["1"] * 20, ["2"] * 6, ["3"] * 14, rng.choice(["1", "2", "3"], 260)]
    return pd.DataFrame({"target_group": np.r_[np.ones(40, bool), np.zeros(260, bool)],
                         "tenure": tenure})


def _by_level(households: pd.DataFrame):
    """A second output: the target group's households per tenure level, levels 1 and 3 only
    (each at least 10, so it passes alone)."""
    inside = households[households["target_group"]]
    counts = inside["tenure"].value_counts().reindex(["1", "3"])
    frame = pd.DataFrame({"tenure": counts.index, "count": counts.to_numpy(dtype=float)})
    cells = declare("household", ("value", "tenure", "tenure"),
                    {"count": (yes("target_group"),)})
    return protect_frame("by_level", frame, Rules(counts=("count",), cells=cells),
                         settings=CBS)


def test_the_run_withholds_the_output_that_gives_a_small_cell_back():
    households = _households()
    spec = A.ProfileSpec(unit="household", factors=("tenure",))
    profile = publish_comparison("profile_households", A.profile(households, spec).table,
                                 households, "target_group", CBS)
    assert profile.record.status == "pass"
    hidden = profile.frame.loc[profile.frame["level"].astype(str) == "2", "count_target"]
    assert hidden.isna().all()  # 6: suppressed, with secondary cells
    second = _by_level(households)
    assert second.record.status == "pass"
    # a third output about the same households, later, that narrows nothing itself
    bands = pd.DataFrame({"band": ["short", "long"], "count": [25.0, 15.0]})
    third = protect_frame("by_band", bands, Rules(counts=("count",), cells=declare(
        "household", ("value", "band", "duration"), {"count": (yes("target_group"),)})),
        settings=CBS)
    out = Outputs()
    out.add(profile)
    out.add(second)
    out.add(third)
    out.texts["note_nl"] = ("Over de woningen van de doelgroep.", ("by_level",))
    out.texts["other_nl"] = ("Over de doelgroep.", ("profile_households",))
    _register(out, CBS)
    # the output whose absence ends the narrowing goes, not simply the last one
    assert [p.record.name for p in out.tables] == ["profile_households", "by_band"]
    assert ("by_level", "register") in out.withheld
    # a text that rests on the withheld output goes with it; the others stay
    assert list(out.texts) == ["other_nl"] and ("note_nl", "register") in out.withheld


def _three_outputs():
    """The profile with a small blank count, the output that gives it back, and one about the
    same households that narrows nothing."""
    households = _households()
    spec = A.ProfileSpec(unit="household", factors=("tenure",))
    profile = publish_comparison("profile_households", A.profile(households, spec).table,
                                 households, "target_group", CBS)
    bands = pd.DataFrame({"band": ["short", "long"], "count": [25.0, 15.0]})
    third = protect_frame("by_band", bands, Rules(counts=("count",), cells=declare(
        "household", ("value", "band", "duration"), {"count": (yes("target_group"),)})),
        settings=CBS)
    return [profile, _by_level(households), third]


def test_only_the_outputs_that_bind_a_narrowed_bound_can_end_it():
    # the reference: each output left out in turn, attacked again from scratch
    import smartstart.outputs as O

    tables = _three_outputs()
    narrowed = O._narrowed([(None, p) for p in tables], CBS)
    assert narrowed and all(f.binding is not None for f in narrowed)
    binding = frozenset.intersection(*(f.binding for f in narrowed))
    assert "by_band" not in binding and "by_level" in binding
    ends = {p.record.name for p in tables
            if not O._narrowed([(None, q) for q in tables if q is not p], CBS)}
    assert ends == {"by_level", "profile_households"} and ends <= binding
    for p in tables:
        if p.record.name in binding:
            continue
        without = O._narrowed([(None, q) for q in tables if q is not p], CBS)
        # the bounds of every narrowed count stay where they were
        assert {(f.statement.where, f.lower, f.upper) for f in without} == {
            (f.statement.where, f.lower, f.upper) for f in narrowed}


def test_the_run_tries_only_the_outputs_that_bind(monkeypatch):
    import smartstart.outputs as O

    tried: list[tuple[set[str], frozenset[str] | None]] = []
    real = O._findings

    def counted(held, *args, **kwargs):
        found = real(held, *args, **kwargs)
        only = kwargs.get("only", args[3] if len(args) > 3 else None)
        tried.append(({p.record.name for _, p in held}, only))
        return found

    monkeypatch.setattr(O, "_findings", counted)
    out = Outputs()
    for p in _three_outputs():
        out.add(p)
    narrowed = {f.statement.where for f in O._narrowed([(None, p) for p in out.tables], CBS)}
    tried.clear()
    _register(out, CBS)
    assert [p.record.name for p in out.tables] == ["profile_households", "by_band"]
    # all three, then without by_level (by_band, the last, binds nothing: not tried) for the
    # narrowed counts only (and any pinned at 0); that ends the narrowing, so the two left are
    # not attacked whole again
    assert [names for names, _ in tried] == [{"profile_households", "by_level", "by_band"},
                                            {"profile_households", "by_band"}]
    assert tried[0][1] is None
    assert tried[1][1] is not None and narrowed <= tried[1][1]
    # and nothing the run kept is narrowed: the whole attack it no longer makes says so
    assert not O._narrowed([(None, p) for p in out.tables], CBS)


# --- smartstart check: a table added to a bundle that gives a small cell back -----------------

def _add_table(root: Path, name: str, frame: pd.DataFrame, rules: dict) -> None:
    frame.to_parquet(root / "tables" / f"{name}.parquet")
    frame.to_csv(root / "tables" / f"{name}.csv")
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    manifest["outputs"].append({"name": name, "kind": "table", "title_nl": name,
                                "title_en": name, "files": [f"tables/{name}.csv",
                                                            f"tables/{name}.parquet"],
                                "variables": [], "rules": rules})
    for kind, ext in (("table_csv", "csv"), ("table_parquet", "parquet")):
        manifest["files"].append({"path": f"tables/{name}.{ext}", "kind": kind,
                                  "output": name, "sha256": ""})
    (root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    log = json.loads((root / "disclosure_log.json").read_text("utf-8"))
    verdict = next(o for o in log["outputs"] if o["name"] == "match")
    log["outputs"].append({**verdict, "name": name, "suppressed": [], "shown": []})
    (root / "disclosure_log.json").write_text(json.dumps(log), "utf-8")
    variables = pd.read_csv(root / "variables.csv")
    variables.to_csv(root / "variables.csv", index=False)
    _rewrite_checksums(root)


def _small_cell(root: Path) -> tuple[str, str, str, str]:
    """A small blank count of the demo's profile: (factor, type, level, column)."""
    log = json.loads((root / "disclosure_log.json").read_text("utf-8"))
    shown = next(o for o in log["outputs"] if o["name"] == "profile_households")["shown"]
    row, column, _ = next(s for s in shown if s[2].startswith("<")
                          and s[1] == "count_target")
    frame = pd.read_parquet(root / "tables" / "profile_households.parquet")
    return (str(frame.loc[row, "factor"]), str(frame.loc[row, "type"]),
            str(frame.loc[row, "level"]), column)


def test_check_finds_a_table_that_gives_a_small_cell_back(demo, tmp_path):  # noqa: F811
    root = Path(shutil.copytree(demo / "bundle", tmp_path / "bundle"))
    assert check_bundle(root)[0] == []
    factor, kind, level, _ = _small_cell(root)
    households = pd.read_parquet(demo / "work" / "households.parquet")
    inside = households[households["target_group"].astype(bool)]
    value = inside[factor].astype(str) == ("True" if kind == "binary" else level)
    # the target group's households with a known value but not this one: at least 10
    rest = float(inside[factor].notna().sum() - value.sum())
    assert rest >= CBS.min_cell
    level_value = "1" if kind == "binary" else level
    cells = declare("household", (), {"count": [
        (1, (yes("target_group"), (factor, "in", (KNOWN,)))),
        (-1, (yes("target_group"), (factor, "in", (level_value,))))]})
    _add_table(root, "extra", pd.DataFrame({"count": [rest]}),
               Rules(counts=("count",), cells=cells).to_dict())
    kinds = {(p.where, p.kind) for p in check_bundle(root)[0]}
    assert ("profile_households", "register") in kinds


def test_check_wants_exact_counts_declared(demo, tmp_path):  # noqa: F811
    root = Path(shutil.copytree(demo / "bundle", tmp_path / "bundle"))
    _add_table(root, "extra", pd.DataFrame({"count": [41.0]}),
               Rules(counts=("count",)).to_dict())
    kinds = {(p.where, p.kind) for p in check_bundle(root)[0]}
    assert ("extra", "rules_missing") in kinds


@pytest.mark.parametrize("lower,upper,narrow", [(0, 9, False), (1, 9, False), (2, 9, True),
                                                 (0, 8, True)])
def test_too_narrow_is_the_rule_the_register_applies(lower, upper, narrow):
    assert bool(too_narrow(lower, upper, CBS)) is narrow


def test_check_refuses_a_bundle_of_an_older_version(demo, tmp_path):  # noqa: F811
    root = Path(shutil.copytree(demo / "bundle", tmp_path / "bundle"))
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    manifest["bundle_version"] = 2
    (root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    _rewrite_checksums(root)
    assert ("manifest.json", "version") in {(p.where, p.kind) for p in check_bundle(root)[0]}


def test_a_merged_group_counts_every_value_no_other_row_names():
    """Fairness groups too small on their own are merged into overig: its count is of every
    value the other rows of the attribute do not name (and the missing), not of a level
    called overig (the register found the published counts contradictory before)."""
    from smartstart.disclosure._statements import statements_of

    frame = pd.DataFrame({"attribute": ["sex", "household_type", "household_type"],
                          "group": ["overig", "5", "overig"], "n": [100.0, 60.0, 40.0]})
    cells = declare("child", ("pair", "attribute", "group"), {"n": ()}, merged="overig")
    found = statements_of("fairness", frame, cells)
    assert [s.terms[0][1] for s in found] == [(("sex", "not", ()),),
                                              (("household_type", "in", ("5",)),),
                                              (("household_type", "not", ("5",)),)]


def test_the_model_checks_state_the_threshold_not_the_fewest_cases():
    """risk_checks says the fewest children of a predictor level x outcome is at least
    min_cell, not its value (17 there was a bound that narrowed a fairness cell to [0, 2])."""
    from smartstart.analyses import risk_model
    from smartstart.analyses._risk import RiskSpec
    from smartstart.outputs._risk import publish_model

    rng = np.random.default_rng(11)
    n = 4000
    frame = pd.DataFrame({"young_mother": rng.random(n) < 0.25,
                          "single_parent": rng.random(n) < 0.3})
    frame["outcome"] = rng.random(n) < 0.05 + 0.05 * frame["young_mother"]
    risk = risk_model(frame, RiskSpec(predictors=("young_mother", "single_parent")))
    assert risk.checks.min_cell > CBS.min_cell
    checks = next(p for p in publish_model(risk, CBS) if p.record.name == "risk_checks")
    stated = checks.frame.set_index("check")["value"]
    assert stated["min_cell"] == str(CBS.min_cell) and checks.record.status == "pass"
