"""Red team, issue 15: the monitor's buurt-year counts against an attacker holding the bundle.

The series publishes each group's total per year (the treated buurten, the rest of the
municipality); the monitor publishes the buurten. A small buurt-year hidden alone would be its
group's total minus the other buurten (and the municipality's total minus the rest). The gate
hides a second cell of the group (secondary suppression), and the register (every count as
person-years of a year and a buurt, each buurt declared within its group) proves that no small
hidden cell is narrowed by all counts together; the attack is replayed here with a plain LP.
"""

from __future__ import annotations

from types import SimpleNamespace

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
    # what the labels say (the report states it): ``<10`` is 0-9, a count shown as ``x`` is 10
    # or more (the gate labels every hidden count below 10 ``<10``, whatever hid it)
    bounds = [(0, S.min_cell - 1) if label_small(monitor, int(m.index.get_loc(i)), column)
              else (S.min_cell, None)
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


@pytest.mark.parametrize("where, near", [(("07840201", 2018), None), (("07840402", 2019), None),
                                         (("07840201", 2018), ("07840101", 2018)),
                                         (("07840402", 2019), ("07840302", 2019))])
def test_a_small_buurt_year_is_not_its_groups_total_minus_the_others(where, near):
    """``near``: a buurt-year of the same group with 10 events, the smallest shown: hidden as
    the second cell, 4 + 10 = 14 would pin the small one to 0-4 (an ``x`` is at least 10);
    the red team's route on the effect bundle (buurt 07840604, 2018). The gate hides more."""
    panel = _panel({where: 4, **({near: S.min_cell} if near else {})})
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


def _estimate_attack(root, decimals: int) -> tuple[int, int]:
    """The attacker's LP over the demo's hidden small buurt-years (events), from every
    published count (the series' group totals) and the estimates that are linear in the
    area-year rates (the event study, the imputation and two-way FE effects), each known to
    lie within half a unit of its last published decimal. Returns (small cells, narrowed)."""
    from smartstart.analyses._effect_estimate import (
        event_times,
        event_twfe,
        imputation_att,
        static_twfe,
    )
    from smartstart.analyses._effect_panel import build_panel
    from smartstart.outputs._effect import analysis_panel
    from smartstart.pilot import load_pilot

    plan = load_pilot(root / "pilot.yaml").study.effect
    panel = pd.read_parquet(root / "results" / "work" / "effect_panel.parquet")
    base, _ = analysis_panel(panel[panel["outcome"] == "jeugdhulp"], plan)
    bundle = root / "results" / "bundle"
    monitor = pd.read_parquet(bundle / "tables" / "effect_monitor_jeugdhulp.parquet")

    def statistics(frame: pd.DataFrame) -> np.ndarray:
        data = build_panel(frame, list(plan.treated.buurten), plan.start)
        return np.r_[event_twfe(data, event_times(data)).coef, imputation_att(data),
                     static_twfe(data).coef[0]]

    truth = statistics(base)
    hidden = monitor[monitor["events"].isna() & monitor["area"].isin(set(base["area"]))]
    cells = [base.index[(base["year"] == y) & (base["area"] == a)][0]
             for y, a in zip(hidden["year"], hidden["area"], strict=True)]
    x0 = base.loc[cells, "events"].to_numpy(float)
    slopes = []
    for cell in cells:  # the statistics are linear in the events (n published): exact slopes
        moved = base.copy()
        moved.loc[cell, "events"] += 1
        slopes.append(statistics(moved) - truth)
    a = np.array(slopes).T
    half = 0.5 * 10.0 ** -decimals
    published = np.round(truth, decimals) - (truth - a @ x0)
    groups = hidden["year"].astype(str) + hidden["group"]
    a_eq = np.array([(groups == g).to_numpy(float) for g in groups.unique()])
    small = [r for r, c, label in _shown(bundle) if c == "events" and label.startswith("<")]
    is_small = np.isin(hidden.index, small)
    bounds = [(0, S.min_cell - 1) if s else (0, None) for s in is_small]
    narrowed = 0
    for k in np.flatnonzero(is_small):
        c = np.zeros(len(cells))
        c[k] = 1
        kw = {"A_ub": np.vstack([a, -a]), "b_ub": np.r_[published + half, half - published],
              "A_eq": a_eq, "b_eq": a_eq @ x0, "bounds": bounds}
        low, high = linprog(c, **kw).fun, -linprog(-c, **kw).fun
        narrowed += int(low > 1e-6 or high < S.min_cell - 1 - 1e-6)
    return int(is_small.sum()), narrowed


def _shown(bundle) -> list:
    import json

    log = json.loads((bundle / "disclosure_log.json").read_text("utf-8"))
    return next(o for o in log["outputs"] if o["name"] == "effect_monitor_jeugdhulp")["shown"]


def test_the_estimates_at_their_precision_narrow_no_hidden_cell(effect_demo):
    """At the published precision (0.1 percentage point) the estimates leave every small
    hidden buurt-year of the demo its whole interval; at full precision they would not."""
    from smartstart.outputs._effect import ESTIMATE_DECIMALS

    small, narrowed = _estimate_attack(effect_demo, ESTIMATE_DECIMALS)
    assert small >= 10 and narrowed == 0
    assert _estimate_attack(effect_demo, 6)[1] > 0  # the route the precision closes


def test_the_evaluation_rests_on_no_hidden_buurt_year(effect_demo):
    """The red team's route (30 Nov): the permutation p-values, intervals and placebo
    quantiles are order statistics of the comparison buurten's placebo estimates; with hidden
    buurt-years among those buurten, a p of 0.001 (an exact count of 560 placebo estimates)
    narrowed 9 hidden cells of 0-9, one to 2-6. The comparison buurten are now only buurten
    whose counts are all publishable and, in the municipality, shown
    (outputs._effect.comparison_buurten). Checked against the published monitor, and: every
    hidden buurt-year moved leaves the evaluation as it is, while the old pool (every buurt)
    moves its p-values (the negative control)."""
    from smartstart.outputs._effect import analysis_panel, comparison_buurten, evaluate_outcome
    from smartstart.pilot import load_pilot

    plan = load_pilot(effect_demo / "pilot.yaml").study.effect.model_copy(
        update={"permutations": 500})
    panel = pd.read_parquet(effect_demo / "results" / "work" / "effect_panel.parquet")
    rows = panel[panel["outcome"] == "jeugdhulp"].reset_index(drop=True)
    bundle = effect_demo / "results" / "bundle" / "tables"
    monitor = pd.read_parquet(bundle / "effect_monitor_jeugdhulp.parquet")
    local = set(monitor["area"])
    published = SimpleNamespace(frame=monitor)
    donors = comparison_buurten(rows, plan, published, local, S.min_cell)
    hidden = monitor[monitor[["n", "events"]].isna().any(axis=1)]
    assert len(hidden) >= 5 and len(donors) >= 5
    assert not donors & set(hidden["area"])  # no local comparison buurt has a hidden cell
    mine = rows[rows["area"].isin(donors)]
    assert (mine["events"] >= S.min_cell).all() and (mine["n"] - mine["events"] >= S.min_cell).all()
    inference = pd.read_parquet(bundle / "effect_inference.parquet")
    assert int(inference["comparison_areas"].iloc[0]) == len(donors)

    moved = rows.copy()
    for year, area in zip(hidden["year"], hidden["area"], strict=True):
        at = (moved["year"] == year) & (moved["area"] == area)
        moved.loc[at, "events"] = (moved.loc[at, "events"] + 5) % S.min_cell

    def numbers(frame: pd.DataFrame, pool) -> tuple:
        result = evaluate_outcome(frame, plan, pool)["result"]
        return tuple(round(v, 3) for e in result.estimates for v in (e.estimate, e.p_value,
                                                                     *e.ci))

    assert numbers(rows, donors) == numbers(moved, donors)
    used = set(analysis_panel(rows, plan)[0]["area"])
    assert numbers(rows, used) != numbers(moved, used)  # the old pool: the route was open
