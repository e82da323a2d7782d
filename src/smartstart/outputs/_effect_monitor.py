"""The effect monitor through the gate: per outcome, the units at risk, those with the outcome
and the rate per buurt of the pilot's municipalities and year (``effect_monitor_<outcome>``),
and the same for the groups per year (``effect_series_<outcome>``): the treated buurten, the
rest of the municipality, and the comparison buurten elsewhere in the pool.

Disclosure, as for the areas (issue 14), per year:

- primary (the Kansenkaart rule): ``n`` below ``min_cell`` hides the buurt-year (``<10``); the
  events when they or ``n - events`` are below ``min_cell`` (the rate with them);
- secondary, per year and group (treated, rest): a group with a hidden cell hides at least two,
  one of them not primary (the smallest shown), and enough that the group's total (the
  series) does not narrow a small one (``disclosure._within``: an ``x`` is at least
  10); the municipality's total is the sum of the two groups;
- the register (``disclosure._register``) proves it: every count is declared as person-years
  of a year and a buurt (the series: of a group, each buurt declared within its group and
  each group within its buurten), and while a small hidden cell is narrowed by all published
  counts together, the smallest shown cell of its year and group is hidden too.

Different years are different person-years, so no year adds up to another; the panel's
multi-year totals are never published. The units at risk are the same for every outcome, and
so is their suppression (it depends on ``n`` only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smartstart.analyses._common import wilson
from smartstart.disclosure import (
    Published,
    Rules,
    attack_register,
    protect_frame,
    register_of,
)
from smartstart.disclosure._options import settings_of
from smartstart.disclosure._statements import declare, level_text
from smartstart.disclosure._within import secondary_within

#: decimals of every published rate and interval (0.1 percentage point)
RATE_DECIMALS = 3
#: the groups of the series (typed; their words: report/text.yaml ``effect_group_*``)
TREATED, REST, ELSEWHERE = "treated", "rest", "elsewhere"
UNIT = "person_year"
COUNTS = ("n", "events")


def event_variable(outcome: str) -> str:
    return f"event_{outcome}"


def monitor_tables(panel: pd.DataFrame, outcome: str, treated: tuple[str, ...],
                   municipalities: tuple[str, ...], settings, others: list[Published] = (),
                   elsewhere: tuple[str, ...] | None = None) -> tuple[Published, Published]:
    """The monitor and the series of one outcome (``panel``: that outcome's rows), protected
    together and proven by the register with ``others`` (outputs already published).
    ``elsewhere``: the comparison buurten outside the municipalities that the evaluation uses
    (None: every buurt of the panel outside them)."""
    s = settings_of(settings)
    local = panel[panel["gemeente"].isin(municipalities)].copy()
    local["group"] = np.where(local["area"].isin(treated), TREATED, REST)
    local = local.sort_values(["year", "group", "area"]).reset_index(drop=True)
    outside = ~panel["gemeente"].isin(municipalities)
    if elsewhere is not None:
        panel = panel[~outside | panel["area"].isin(elsewhere)]
    series = _series(panel, treated, municipalities)
    hidden, primary = _masks(local, s)
    extra = pd.DataFrame(False, index=series.index, columns=list(COUNTS))
    while True:
        monitor = _published_monitor(local, hidden, primary, outcome, s)
        published = _published_series(series, outcome, local, s, extra)
        narrowed = _narrowed([*others, monitor, published], s, monitor.record.name)
        if not narrowed:
            return monitor, published
        wider = _widen(local, series, hidden, extra, narrowed, monitor.record.name)
        if wider[0].equals(hidden) and wider[1].equals(extra):
            raise AssertionError(f"{monitor.record.name}: a small cell stays narrowed with "
                                 "every cell of its year and group hidden")
        hidden, extra = wider


def _series(panel: pd.DataFrame, treated: tuple[str, ...],
            municipalities: tuple[str, ...]) -> pd.DataFrame:
    group = np.where(panel["area"].isin(treated), TREATED,
                     np.where(panel["gemeente"].isin(municipalities), REST, ELSEWHERE))
    frame = panel.assign(group=group).groupby(["year", "group"], as_index=False)[
        list(COUNTS)].sum()
    order = {TREATED: 0, REST: 1, ELSEWHERE: 2}
    return frame.sort_values(["year", "group"], key=lambda c: c.map(order) if c.name == "group"
                             else c).reset_index(drop=True)


def _masks(local: pd.DataFrame, s) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cells to hide and cells below the threshold (primary), with the secondary per year and
    group: the units at risk first (the same for every outcome), then the events."""
    n, events = local["n"].astype(float), local["events"].astype(float)
    primary = pd.DataFrame({"n": n < s.min_cell, "events": events < s.min_cell})
    hidden = primary.copy()
    groups = local["year"].astype(str) + "/" + local["group"]
    hidden["n"] = secondary_within(n, hidden["n"], primary["n"], groups, s.min_cell)
    hidden["events"] = primary["events"] | (n - events < s.min_cell) | hidden["n"]
    hidden["events"] = secondary_within(events, hidden["events"], primary["events"], groups,
                                  s.min_cell)
    return hidden, primary


def _widen(local: pd.DataFrame, series: pd.DataFrame, hidden: pd.DataFrame,
           extra: pd.DataFrame, narrowed: list, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per narrowed cell, its year and group: hide the smallest shown buurt; when every buurt
    is hidden, the group's total in the series too."""
    out, totals = hidden.copy(), extra.copy()
    for finding in narrowed:
        st = finding.statement
        if st.column not in COUNTS:
            continue
        rows = local if st.output == name else series
        year, group = rows["year"].iloc[st.row], rows["group"].iloc[st.row]
        same = (local["year"] == year) & (local["group"] == group) & ~out[st.column]
        if same.any():
            out.loc[local.loc[same, st.column].idxmin(), st.column] = True
        else:
            totals.loc[(series["year"] == year) & (series["group"] == group), st.column] = True
        out["events"] |= out["n"]
        totals["events"] |= totals["n"]
    return out, totals


def _narrowed(tables: list[Published], s, name: str) -> list:
    statements = register_of(((p.record.name, p.frame, p.rules.cells,
                               {(r, c): label for r, c, label in p.record.shown})
                              for p in tables if p.rules.cells), s)
    from smartstart.features import identical_levels, nested_levels

    found = attack_register(statements, identical_levels(), s, nested_levels())
    return [f for f in found if f.narrowed and f.statement.output == name] or [
        f for f in found if f.narrowed]


def _rates(frame: pd.DataFrame) -> pd.DataFrame:
    hits, n = frame["events"].to_numpy(float), frame["n"].to_numpy(float)
    ok = np.isfinite(hits) & np.isfinite(n) & (n > 0)
    low, high = wilson(np.where(ok, hits, 0), np.where(ok, n, 1))
    rate = np.divide(hits, n, out=np.full(len(n), np.nan), where=ok)

    def rounded(values) -> np.ndarray:
        return np.where(ok, np.round(np.asarray(values, float), RATE_DECIMALS), np.nan)

    return frame.assign(rate=rounded(rate), rate_low=rounded(low), rate_high=rounded(high))


def _rules(cells: dict) -> Rules:
    rates = ("rate", "rate_low", "rate_high")
    return Rules(counts=COUNTS, shares=(("events", "n"),),
                 derived=tuple((c, COUNTS) for c in rates),
                 precision=tuple((c, RATE_DECIMALS) for c in rates), cells=cells)


def _published_monitor(local: pd.DataFrame, hidden: pd.DataFrame, primary: pd.DataFrame,
                       outcome: str, s) -> Published:
    frame = _rates(local[["year", "area", "wijk", "group", "n", "events"]].astype(
        {"n": float, "events": float}))
    where = (("year", "in", ("@year",)), ("buurt", "in", ("@area",)))
    cells = declare(UNIT, (), {"n": where,
                               "events": (*where, (event_variable(outcome), "in", ("1",)))})
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    mask[["n", "events"]] = hidden[["n", "events"]].to_numpy()
    published = protect_frame(f"effect_monitor_{outcome}", frame, _rules(cells), settings=s,
                              kind="shares", hide=mask)
    return published


def _published_series(series: pd.DataFrame, outcome: str, local: pd.DataFrame, s,
                      extra: pd.DataFrame | None = None) -> Published:
    frame = _rates(series.astype({"n": float, "events": float}))
    small = pd.DataFrame({"n": frame["n"] < s.min_cell,
                          "events": (frame["events"] < s.min_cell)
                          | (frame["n"] - frame["events"] < s.min_cell)})
    if extra is not None:
        small |= extra.to_numpy()
    small["events"] |= small["n"]
    where = (("year", "in", ("@year",)), ("effect_group", "in", ("@group",)))
    # spelled as the register spells a row's value (``level_text``: "07840101" -> "7840101")
    members = {g: tuple(sorted({level_text(a) for a in local.loc[local["group"] == g, "area"]}))
               for g in (TREATED, REST)}
    within = [(("buurt", "in", (b,)), ("effect_group", "in", (g,)))
              for g, areas in members.items() for b in areas]
    within += [(("effect_group", "in", (g,)), ("buurt", "in", areas))
               for g, areas in members.items() if areas]
    everywhere = tuple(sorted({b for areas in members.values() for b in areas}))
    if everywhere:
        within.append((("effect_group", "in", (ELSEWHERE,)), ("buurt", "not", everywhere)))
    cells = declare(UNIT, (), {"n": where,
                               "events": (*where, (event_variable(outcome), "in", ("1",)))},
                    within=within)
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    mask[["n", "events"]] = small.to_numpy()
    published = protect_frame(f"effect_series_{outcome}", frame, _rules(cells), settings=s,
                              kind="shares", hide=mask)
    return published
