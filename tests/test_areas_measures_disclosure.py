"""Red team on every count column the areas tables publish beside the original ones (issue 14):
residents (``areas_residents``, persons), the high-risk combination's children
(``areas_children.high_risk``) and the pupils of each buurt's schools (``areas_schools``).

Two wijken of three buurten; in one buurt each new count is small (below ``min_cell``) while
another output publishes that count per wijk (the attacker's route: the wijk minus its other
buurten). With the gate the attacker's LP over every published count (the register) must keep
the small count's interval at [<= 1, >= min_cell - 1]; a naive table that blanks only the small
cell lets the attacker bound it by its true value (the negative control). The school count
itself is public (no threshold) and stays published.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from smartstart.disclosure import Rules, Settings, attack_register, protect_frame, register_of
from smartstart.disclosure._statements import declare, yes
from smartstart.features import identical_levels, nested_levels
from smartstart.outputs import Outputs, _register
from smartstart.outputs._areas import areas_step
from smartstart.pilot import Study

CBS = Settings()
SMALL = "07840101"
#: buurt -> (households, children, of which with the outcome, residents, of which the
#: combination's children, pupils of its schools)
WORLD = {"07840101": (200, 180, 20, 6, 4, 7), "07840102": (300, 260, 20, 700, 30, 300),
         "07840103": (250, 240, 30, 620, 25, 410), "07840201": (400, 380, 40, 980, 40, 220),
         "07840202": (150, 140, 15, 400, 15, 180), "07840203": (350, 330, 25, 900, 35, 260)}
COMBINATION = ("young_mother", "single_parent")
#: per new count: (table, column, unit, the register's conditions)
COLUMNS = {"residents": ("areas_residents", "residents", "person", ()),
           "high_risk": ("areas_children", "high_risk", "child",
                         tuple(yes(f) for f in COMBINATION)),
           "pupils": ("areas_schools", "pupils", "pupil", ())}


def _world() -> SimpleNamespace:
    households, children, residents, schools = [], [], [], []
    for buurt, (n_h, n_c, events, persons, combo, pupils) in WORLD.items():
        wijk = buurt[:6]
        households.append(pd.DataFrame({"wijk": wijk, "buurt": buurt,
                                        "target_group": np.arange(n_h) < 40}))
        both = np.arange(n_c) < combo
        children.append(pd.DataFrame({"wijk": wijk, "buurt": buurt,
                                      "outcome": np.arange(n_c) % 9 < events * 9 / n_c,
                                      "young_mother": both | (np.arange(n_c) % 4 == 1),
                                      "single_parent": both | (np.arange(n_c) % 4 == 2)}))
        residents.append({"gemeente": "0784", "wijk": wijk, "buurt": buurt,
                          "residents": persons})
        schools.append({"buurt": buurt, "wijk": wijk, "gemeente": "0784", "pupils": pupils,
                        "placed": True})
    return SimpleNamespace(households=pd.concat(households, ignore_index=True),
                           children=pd.concat(children, ignore_index=True),
                           residents=pd.DataFrame(residents), schools=pd.DataFrame(schools))


def _study() -> Study:
    return Study(name="t", gemeente="0784", peildatum="2020-01-01", analyses=("areas",),
                 areas={"level": "buurt", "measure": "outcome"},
                 outcome={"predictors": COMBINATION})


def _combinations() -> SimpleNamespace:
    """The risk step's published combinations as the areas step reads them (not a count
    table of the register: its counts are not about areas)."""
    frame = pd.DataFrame({"factors": ["+".join(COMBINATION)], "significant": [True],
                          "confirmed": [True]})
    return SimpleNamespace(record=SimpleNamespace(name="combinations", status="pass",
                                                  shown=(), checks=()),
                           frame=frame, rules=Rules())


def _wijk_totals(world: SimpleNamespace, name: str):
    """Another output that publishes the column's count per wijk (the attacker's route)."""
    table, column, unit, conditions = COLUMNS[name]
    if name == "residents":
        totals = world.residents.groupby("wijk")["residents"].sum()
    elif name == "pupils":
        totals = world.schools.groupby("wijk")["pupils"].sum()
    else:
        c = world.children
        totals = (c["young_mother"] & c["single_parent"]).groupby(c["wijk"]).sum()
    frame = pd.DataFrame({"wijk": totals.index, column: totals.to_numpy(float)})
    rules = Rules(counts=(column,),
                  cells=declare(unit, ("value", "wijk", "wijk"), {column: conditions}))
    return protect_frame(f"{name}_per_wijk", frame, rules, settings=CBS)


def _run(world: SimpleNamespace, name: str) -> Outputs:
    out = Outputs()
    out.tables.append(_combinations())
    assert out.add(_wijk_totals(world, name))
    areas_step(_study(), world, out)
    _register(out, CBS)
    return out


def _findings(tables) -> list:
    statements = register_of(((p.record.name, p.frame, p.rules.cells,
                               {(r, c): label for r, c, label in p.record.shown})
                              for p in tables), CBS)
    return attack_register(statements, identical_levels(), CBS, nested_levels())


def _table(out: Outputs, name: str):
    return next(p for p in out.tables if p.record.name == name)


@pytest.mark.parametrize("name", list(COLUMNS))
def test_a_small_buurt_count_is_not_its_wijk_minus_the_other_buurten(name):
    table, column, _, _ = COLUMNS[name]
    out = _run(_world(), name)
    assert table in out.names()  # published, not withheld by the register
    published = _table(out, table)
    row = int(np.flatnonzero(published.frame["area"] == SMALL)[0])
    assert np.isnan(published.frame.loc[row, column])
    # the route is open: the wijk's count is published
    assert _table(out, f"{name}_per_wijk").frame[column].notna().all()
    found = _findings(out.tables)
    mine = [f for f in found if f.statement.output == table and f.statement.row == row
            and f.statement.column == column]
    assert mine and not mine[0].narrowed
    assert mine[0].lower <= 1 and mine[0].upper >= CBS.min_cell - 1
    assert not any(f.narrowed for f in found)
    # a second buurt of the wijk is hidden with it (secondary suppression)
    wijk = published.frame["wijk"] == published.frame.loc[row, "wijk"]
    assert published.frame.loc[wijk, column].isna().sum() >= 2


@pytest.mark.parametrize("name", list(COLUMNS))
def test_without_secondary_suppression_the_wijk_gives_the_buurt_back(name):
    """The negative control: only the small cell blank, the other buurten published."""
    table, column, _, _ = COLUMNS[name]
    world = _world()
    out = _run(world, name)
    published = _table(out, table)
    frame = published.frame.copy()
    index = {"residents": 3, "high_risk": 4, "pupils": 5}[name]
    truth = pd.Series({b: v[index] for b, v in WORLD.items()}, dtype=float)
    small = frame["area"] == SMALL
    frame[column] = np.where(small, np.nan, frame["area"].map(truth))
    row = int(np.flatnonzero(small)[0])
    naive = SimpleNamespace(record=SimpleNamespace(
        name="naive", shown=((row, column, "<10"),)), frame=frame, rules=published.rules)
    found = [f for f in _findings([_table(out, f"{name}_per_wijk"), naive])
             if f.statement.output == "naive"]
    assert found and found[0].narrowed
    assert found[0].upper == truth[SMALL]  # its true value is the attacker's bound


def test_schools_are_public_and_stay_published():
    out = _run(_world(), "pupils")
    frame = _table(out, "areas_schools").frame
    assert frame["schools"].notna().all() and (frame["schools"] == 1).all()
    rules = _table(out, "areas_schools").rules
    assert "schools" not in rules.counts and "pupils" in rules.counts
    assert rules.cells["unit"] == "pupil"


def test_without_pupils_registrations_every_branch_counts_and_the_rule_still_works():
    """A delivery without INSCHRWPOTAB: the branches of the file are counted (public), no
    pupils are published, and min_schools still selects on them."""
    world = _world()
    world.schools = pd.concat([world.schools.assign(pupils=np.nan),
                               world.schools[world.schools["buurt"] == "07840103"]
                               .assign(pupils=np.nan)], ignore_index=True)
    study = Study(name="t", gemeente="0784", peildatum="2020-01-01", analyses=("areas",),
                  areas={"level": "buurt", "measure": "target_group",
                         "select": {"top": 3, "min_schools": 2}})
    out = Outputs()
    areas_step(study, world, out)
    schools = _table(out, "areas_schools")
    assert list(schools.frame.columns) == ["area", "wijk", "schools"]
    assert dict(zip(schools.frame["area"], schools.frame["schools"], strict=True)) == {
        b: 2 if b == "07840103" else 1 for b in WORLD}
    households = _table(out, "areas_households").frame
    assert set(households.loc[households["status"] == "chosen", "area"]) == {"07840103"}
    assert set(households.loc[households["status"] == "few_schools", "area"]) == set(
        households.loc[households["shrunk"].notna(), "area"]) - {"07840103"}
