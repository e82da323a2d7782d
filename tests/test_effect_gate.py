"""Red team, issue 15: the monitor's buurt-year counts against an attacker holding the bundle.

The series publishes each group's total per year (the treated buurten, the rest of the
municipality); the monitor publishes the buurten. A small buurt-year hidden alone would be its
group's total minus the other buurten (and the municipality's total minus the rest). The gate
hides a second cell of the group (secondary suppression), and the register (every count as
person-years of a year and a buurt, each buurt declared within its group) proves that no small
hidden cell is narrowed by all counts together; the attack is replayed here with a plain LP.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from smartstart.disclosure import attack_register, register_of
from smartstart.outputs import _effect_monitor as M
from smartstart.pilot import DisclosureSettings

S = DisclosureSettings()
TREATED = ("07840101", "07840201", "07840301")
REST = ("07840102", "07840202", "07840302", "07840401", "07840402")


def _panel(small: dict[tuple[str, int], int], seed: int = 0) -> pd.DataFrame:
    """Three years, eight buurten of 0784 and two of a neighbour; events of 30-60 per
    buurt-year except the ``small`` ones (buurt, year) -> events."""
    rng = np.random.default_rng(seed)
    rows = []
    for year in (2017, 2018, 2019):
        for area in (*TREATED, *REST, "08550101", "08550102"):
            n = int(rng.integers(300, 500))
            events = small.get((area, year), int(rng.integers(30, 60)))
            rows.append({"outcome": "jeugdhulp", "year": year, "gemeente": area[:4],
                         "wijk": area[:6], "area": area, "n": n, "events": events})
    return pd.DataFrame(rows)


def _attack(tables, target: tuple[int, str]) -> tuple[float, float]:
    """The attacker's interval of one monitor cell (row, column) from every published count:
    per year, the buurten's counts sum to their group's total in the series."""
    monitor, series = tables
    m, s = monitor.frame, series.frame
    row, column = target
    year, group = m["year"].iloc[row], m["group"].iloc[row]
    cells = m[(m["year"] == year) & (m["group"] == group)]
    total = s[(s["year"] == year) & (s["group"] == group)][column].iloc[0]
    known = cells[column].notna()
    rest = float(total - cells.loc[known, column].sum())
    hidden = list(cells.index[~known])
    bounds = [(0, S.min_cell - 1) if label_small(monitor, int(m.index.get_loc(i)), column)
              else (0, None)
              for i in hidden]
    k = hidden.index(m.index[row])
    c = np.zeros(len(hidden))
    c[k] = 1
    low = linprog(c, A_eq=np.ones((1, len(hidden))), b_eq=[rest], bounds=bounds).fun
    high = -linprog(-c, A_eq=np.ones((1, len(hidden))), b_eq=[rest], bounds=bounds).fun
    return low, high


def label_small(published, row: int, column: str) -> bool:
    return any(r == row and c == column and label.startswith("<")
               for r, c, label in published.record.shown)


@pytest.mark.parametrize("where", [("07840201", 2018), ("07840402", 2019)])
def test_a_small_buurt_year_is_not_its_groups_total_minus_the_others(where):
    panel = _panel({where: 4})
    monitor, series = M.monitor_tables(panel, "jeugdhulp", TREATED, ("0784",), S)
    m = monitor.frame
    row = int(np.flatnonzero((m["area"] == where[0]) & (m["year"] == where[1]))[0])
    assert np.isnan(m["events"].iloc[row]) and label_small(monitor, row, "events")
    group = m[(m["year"] == where[1]) & (m["group"] == m["group"].iloc[row])]
    assert group["events"].isna().sum() >= 2  # a second cell hides with it
    low, high = _attack((monitor, series), (row, "events"))
    assert low <= 0 + 1e-9 and high >= S.min_cell - 1 - 1e-9  # nothing beyond "<10"
    # the years that have no small cell are published whole
    other = m[m["year"] != where[1]]
    assert other[["n", "events"]].notna().all().all()
    assert monitor.record.status == series.record.status == "pass"


def test_hidden_alone_the_small_cell_is_its_groups_total_minus_the_others():
    """The route the gate closes: primary suppression only, the series gives the cell back
    exactly (the register finds it, and so does the plain LP)."""
    where = ("07840201", 2018)
    panel = _panel({where: 4})
    local = panel[panel["gemeente"] == "0784"].copy()
    local["group"] = np.where(local["area"].isin(TREATED), M.TREATED, M.REST)
    local = local.sort_values(["year", "group", "area"]).reset_index(drop=True)
    primary = pd.DataFrame({"n": local["n"] < S.min_cell, "events": local["events"] < S.min_cell})
    naive = M._published_monitor(local, primary, primary, "jeugdhulp", S)
    series = M._published_series(M._series(panel, TREATED, ("0784",)), "jeugdhulp", local, S)
    row = int(np.flatnonzero((local["area"] == where[0]) & (local["year"] == where[1]))[0])
    assert _attack((naive, series), (row, "events")) == pytest.approx((4, 4))
    statements = register_of(((p.record.name, p.frame, p.rules.cells,
                               {(r, c): label for r, c, label in p.record.shown})
                              for p in (naive, series)), S)
    narrowed = [f for f in attack_register(statements, {}, S) if f.narrowed]
    assert [(f.statement.row, f.statement.column) for f in narrowed] == [(row, "events")]
    assert (narrowed[0].lower, narrowed[0].upper) == pytest.approx((4, 4))
    # the gate's own tables: the register finds nothing
    monitor, series = M.monitor_tables(panel, "jeugdhulp", TREATED, ("0784",), S)
    statements = register_of(((p.record.name, p.frame, p.rules.cells,
                               {(r, c): label for r, c, label in p.record.shown})
                              for p in (monitor, series)), S)
    assert not [f for f in attack_register(statements, {}, S) if f.narrowed]


def test_the_units_at_risk_hide_alike_for_every_outcome():
    """n is the same for every outcome of the plan; so is its suppression (else one outcome's
    monitor would publish what another's hides)."""
    panel = _panel({})
    panel.loc[(panel["area"] == "07840302") & (panel["year"] == 2017), "n"] = 7
    panel.loc[(panel["area"] == "07840302") & (panel["year"] == 2017), "events"] = 0
    other = panel.assign(outcome="halt", events=(panel["events"] // 6))
    a, _ = M.monitor_tables(panel, "jeugdhulp", TREATED, ("0784",), S)
    b, _ = M.monitor_tables(other, "halt", TREATED, ("0784",), S)
    assert a.frame["n"].isna().sum() >= 2
    assert a.frame["n"].isna().equals(b.frame["n"].isna())
    assert not a.frame.equals(b.frame)


def test_a_group_of_small_cells_hides_its_total_too():
    """Every buurt of the rest has 8 events in 2018 (each <10): their published total (40)
    bounds each from below by 40 - 4 x 9 = 4, so the series hides the rest's 2018 total too,
    and the register finds nothing."""
    panel = _panel({(area, 2018): 8 for area in REST})
    monitor, series = M.monitor_tables(panel, "jeugdhulp", TREATED, ("0784",), S)
    s = series.frame
    rest = s[(s["year"] == 2018) & (s["group"] == M.REST)]
    assert rest["events"].isna().all()
    assert s[(s["year"] != 2018)]["events"].notna().all()
    statements = register_of(((p.record.name, p.frame, p.rules.cells,
                               {(r, c): label for r, c, label in p.record.shown})
                              for p in (monitor, series)), S)
    assert not [f for f in attack_register(statements, {}, S) if f.narrowed]
