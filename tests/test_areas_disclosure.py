"""The areas tables through the gate (issue 14): red team on a small planted world.

Two wijken of three buurten each; one buurt has few households in the target group and few
children with the outcome. The household profile publishes the target group per wijk (as the
demo's does), so a naive buurt table gives the small buurt back as its wijk minus the other
buurten. The attacker's LP over every published count (the register, checked against a
brute-force joint LP and MILP in tests/test_register.py) must keep each small hidden count's
interval at [<= 1, >= min_cell - 1]; without the secondary suppression it pins the count down.
The shrunk rates are a function of the published counts only (the prior is fitted on them), so
a hidden buurt's count can change without changing anything the areas tables publish.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from smartstart import analyses as A
from smartstart.analyses._areas import AreaSpec, area_rates
from smartstart.disclosure import Settings, attack_register, register_of
from smartstart.features import identical_levels, nested_levels
from smartstart.outputs import Outputs, _register
from smartstart.outputs._areas import RATE_DECIMALS, areas_step
from smartstart.outputs._compare import publish_comparison
from smartstart.pilot import Study

CBS = Settings()
#: buurt -> (households, of which in the target group, children, of which with the outcome)
WORLD = {"07840101": (200, 6, 180, 4), "07840102": (300, 25, 260, 20),
         "07840103": (250, 30, 240, 30), "07840201": (400, 40, 380, 40),
         "07840202": (150, 12, 140, 15), "07840203": (350, 35, 330, 25)}
SMALL = "07840101"


def _world(world: dict = WORLD) -> SimpleNamespace:
    households, children = [], []
    for buurt, (n_h, target, n_c, events) in world.items():
        wijk = buurt[:6]
        households.append(pd.DataFrame({"wijk": wijk, "buurt": buurt,
                                        "target_group": np.arange(n_h) < target}))
        children.append(pd.DataFrame({"wijk": wijk, "buurt": buurt,
                                      "outcome": np.arange(n_c) < events,
                                      "single_parent": np.arange(n_c) % 3 == 0}))
    h = pd.concat(households, ignore_index=True)
    return SimpleNamespace(households=h, children=pd.concat(children, ignore_index=True))


def _study(**areas) -> Study:
    return Study(name="t", gemeente="0784", peildatum="2020-01-01", analyses=("areas",),
                 areas={"level": "buurt", "measure": "outcome", **areas},
                 outcome={"predictors": ("single_parent",)})


def _run(world: SimpleNamespace, study: Study) -> Outputs:
    out = Outputs()
    spec = A.ProfileSpec(unit="household", factors=("wijk",))
    out.add(publish_comparison("profile_households", A.profile(world.households, spec).table,
                               world.households, "target_group", CBS))
    areas_step(study, world, out)
    _register(out, CBS)
    return out


def _findings(tables) -> list:
    statements = register_of(((p.record.name, p.frame, p.rules.cells,
                               {(r, c): label for r, c, label in p.record.shown})
                              for p in tables), CBS)
    return attack_register(statements, identical_levels(), CBS, nested_levels())


def _table(out: Outputs, name: str):
    return next(p for p in out.tables if p.record.name == name)


def test_a_small_buurt_is_not_its_wijk_minus_the_other_buurten():
    out = _run(_world(), _study())
    assert {"areas_households", "areas_children"} <= out.names()  # not withheld
    households = _table(out, "areas_households")
    row = households.frame.index[households.frame["area"] == SMALL][0]
    assert np.isnan(households.frame.loc[row, "target_households"])
    # the wijk's count is published by the profile (the attacker's route)
    profile = _table(out, "profile_households").frame
    assert profile.loc[profile["level"].astype(str) == "078401", "count_target"].notna().all()
    found = _findings(out.tables)
    mine = [f for f in found if f.statement.output == "areas_households"
            and f.statement.row == row and f.statement.column == "target_households"]
    assert mine and not mine[0].narrowed
    assert mine[0].lower <= 1 and mine[0].upper >= CBS.min_cell - 1
    assert not any(f.narrowed for f in found)
    assert all(p.record.status == "pass" for p in out.tables)


def test_without_secondary_suppression_the_wijk_gives_the_buurt_back():
    """The negative control: only the small cell blank, the other buurten published."""
    world = _world()
    out = _run(world, _study())
    households = _table(out, "areas_households")
    frame = households.frame.copy()
    truth = world.households.groupby("buurt")["target_group"].sum()
    small = frame["area"] == SMALL
    frame["target_households"] = np.where(small, np.nan, frame["area"].map(truth))
    row = int(np.flatnonzero(small)[0])
    naive = SimpleNamespace(record=SimpleNamespace(
        name="naive", shown=((row, "target_households", "<10"),)), frame=frame,
        rules=households.rules)
    found = [f for f in _findings([_table(out, "profile_households"), naive])
             if f.statement.output == "naive"]
    assert found and found[0].narrowed
    assert found[0].lower == found[0].upper == truth[SMALL]  # pinned: 6 exactly


def test_shrunk_rates_rest_on_the_published_counts_only():
    out = _run(_world(), _study(select={"top": 2}))
    children = _table(out, "areas_children").frame
    shown = children[children["outcome_events"].notna()]
    assert len(shown) >= 3 and children["shrunk"].notna().sum() == len(shown)
    counts = shown[["area", "children", "outcome_events"]].rename(
        columns={"children": "n", "outcome_events": "events"})
    again = area_rates(counts, AreaSpec()).table
    assert np.allclose(shown["shrunk"], again["shrunk"].round(RATE_DECIMALS), atol=1e-12)
    # published at the stated precision
    assert np.allclose(shown["shrunk"] * 10**RATE_DECIMALS,
                       np.round(shown["shrunk"] * 10**RATE_DECIMALS))
    # a hidden buurt's events changed within its label: the areas tables do not change
    changed = dict(WORLD)
    changed[SMALL] = (*WORLD[SMALL][:3], 8)
    other = _run(_world(changed), _study(select={"top": 2}))
    for name in ("areas_children", "areas_households"):
        pd.testing.assert_frame_equal(_table(out, name).frame, _table(other, name).frame)


def test_the_kansenkaart_rule_hides_a_rate_near_100_percent():
    world = dict(WORLD)
    world["07840202"] = (150, 12, 140, 135)  # 5 children without the outcome
    out = _run(_world(world), _study())
    children = _table(out, "areas_children").frame.set_index("area")
    assert np.isnan(children.loc["07840202", "outcome_events"])
    assert np.isnan(children.loc["07840202", "outcome_rate"])
    assert np.isnan(children.loc["07840202", "shrunk"])


def test_the_input_is_not_modified():
    world = _world()
    before = (world.households.copy(), world.children.copy())
    _run(world, _study())
    pd.testing.assert_frame_equal(world.households, before[0])
    pd.testing.assert_frame_equal(world.children, before[1])


def test_above_the_municipality_chooses_only_intervals_above_its_rate():
    high = dict(WORLD)
    high["07840201"] = (400, 40, 380, 90)  # 24 %: clearly above the municipality
    world = _world(high)
    out = _run(world, _study(select={"above_municipality": True}))
    children = _table(out, "areas_children").frame
    overall = world.children["outcome"].mean()
    chosen = children[children["status"] == "chosen"]
    assert list(chosen["area"]) == ["07840201"] and (chosen["shrunk_low"] > overall).all()
    ranked = children[children["shrunk"].notna()]
    assert set(chosen["area"]) == set(ranked.loc[ranked["shrunk_low"] > overall, "area"])


def test_the_target_groups_share_is_ranked_in_the_household_table():
    out = _run(_world(), _study(measure="target_group", select={"top": 2}))
    households = _table(out, "areas_households").frame
    children = _table(out, "areas_children").frame
    assert "shrunk" in households and "shrunk" not in children
    ranked = households[households["shrunk"].notna()]
    assert len(ranked) == households["target_households"].notna().sum() >= 3
    assert (households["status"] == "chosen").sum() == 2
    # ranks follow the shrunk share, 1 the highest; equal shares share the lower rank (1, 3, 3).
    # Here the hidden complements leave 3 areas (12 %, 10 %, 10 % of 250-400 households), within
    # binomial noise of each other: the prior pools them completely, every shrunk share is the
    # same, and so is every rank (float noise once ranked them 1, 3, 2)
    order = ranked.sort_values(["shrunk", "rank"], ascending=[False, True], kind="stable")
    assert order["rank"].is_monotonic_increasing and order["rank"].max() == len(ranked)
    assert ranked["shrunk"].nunique() == 1 and set(ranked["rank"]) == {len(ranked)}


def _plain_attack(published, world: SimpleNamespace, column: str, unit: str,
                  wijken: bool) -> list:
    """An attacker independent of the register: a plain LP per small hidden count, knowing
    the municipality's total, every wijk's total when ``wijken`` (the profile publishes the
    target group per wijk; nothing publishes the outcome per wijk), and each hidden count's
    label (``<10``: 0-9; ``x``: 10 or more, as the report says). Returns (area, lower, upper)
    per ``<10`` cell."""
    from scipy.optimize import linprog

    frame = published.frame.reset_index(drop=True)
    labels = {(r, c): label for r, c, label in published.record.shown}
    source = world.households if unit == "household" else world.children
    truth = source.groupby("buurt")[{"target_households": "target_group",
                                     "outcome_events": "outcome"}[column]].sum()
    hidden = [r for r in range(len(frame)) if np.isnan(frame.loc[r, column])]
    # a blank without a label states nothing: 0 or more
    bounds = [(0, CBS.min_cell - 1) if labels.get((r, column), "").startswith("<")
              else (CBS.min_cell, None) if (r, column) in labels else (0, None) for r in hidden]
    rows, rhs = [], []
    groups = [frame["wijk"] == w for w in frame["wijk"].unique()] if wijken else []
    for group in [*groups, frame["wijk"].notna()]:
        total = float(truth[frame.loc[group, "area"]].sum())
        rows.append([1.0 if group[r] else 0.0 for r in hidden])
        rhs.append(total - float(frame.loc[group, column].sum()))  # shown cells (NaN: 0)
    out = []
    for k, r in enumerate(hidden):
        if not labels.get((r, column), "").startswith("<"):
            continue
        c = np.zeros(len(hidden))
        c[k] = 1
        low = linprog(c, A_eq=rows, b_eq=rhs, bounds=bounds).fun
        high = -linprog(-c, A_eq=rows, b_eq=rhs, bounds=bounds).fun
        out.append((frame.loc[r, "area"], low, high))
    return out


def test_a_small_buurt_next_to_a_near_threshold_one_keeps_its_whole_range():
    """The red team's route: the small buurt (6 households of the target group) hidden with
    the smallest other of its wijk (11) tells the attacker, from the wijk's total, 6 + 11 = 17;
    an ``x`` is at least 10, so the small one would be 0-7, not 0-9. The gate hides until the
    hidden cells' slack reaches 9 (``outputs._areas._secondary``); a plain LP finds nothing."""
    world = _world({**WORLD, "07840102": (300, 11, 260, 20)})
    out = _run(world, _study())
    found = _plain_attack(_table(out, "areas_households"), world, "target_households",
                          "household", wijken=True)
    assert [area for area, _, _ in found] == [SMALL]
    assert all(low <= 1 + 1e-9 and high >= CBS.min_cell - 1 - 1e-9 for _, low, high in found)
    found = _plain_attack(_table(out, "areas_children"), world, "outcome_events", "child",
                          wijken=False)
    assert SMALL in [area for area, _, _ in found]
    assert all(low <= 1 + 1e-9 and high >= CBS.min_cell - 1 - 1e-9 for _, low, high in found)


def test_a_wijk_no_suppression_protects_is_published_without_labels():
    """Wijk 078401 with 6, 10 and 2 households of the target group (18 in the profile): even
    with all three hidden, '<10', 'x' (at least 10) and '<10' would say the small ones are at
    most 8 together. The gate publishes them blank without a label (nothing stated but the
    wijk's total); the other wijk keeps its labels; the plain LP and the register find
    nothing."""
    world = _world({**WORLD, "07840101": (200, 6, 180, 4), "07840102": (300, 10, 260, 20),
                    "07840103": (250, 2, 240, 30)})
    out = _run(world, _study())
    households = _table(out, "areas_households")
    frame = households.frame.reset_index(drop=True)
    labelled = {r for r, c, _ in households.record.shown if c == "target_households"}
    wijk = frame.index[frame["wijk"] == "078401"]
    assert frame.loc[wijk, "target_households"].isna().all()
    assert not labelled & set(wijk)
    assert _plain_attack(households, world, "target_households", "household",
                         wijken=True) == []  # no '<10' left in 078401, none narrowed elsewhere
    assert not any(f.narrowed for f in _findings(out.tables))
    assert "areas_households" in out.names()
