"""Where to start (``study.analyses: [..., areas]``): the areas of one level through the gate.

Two tables, one per unit, one row per area of the pilot's level (``buurt`` or ``wijk``, never
both: a buurt would be its wijk minus the other buurten): ``areas_households`` (households, those
in the target group, the share) and ``areas_children`` (the pilot's population, those with the
outcome, the rate, the children with each main risk factor and its prevalence). The table of the
ranked measure's unit also carries the shrunk rate, its interval, the rank, its simultaneous
interval and the selection status.

Disclosure, cell by cell:

- primary: a count below ``min_cell`` (``<10``); a share's numerator when the numerator or its
  complement (n - count) is below ``min_cell`` (the Kansenkaart rule: hide when n x rate or
  n x (1 - rate) < min_cell), its rate with it;
- secondary, per column within each wijk (buurt level) or within the municipality (wijk level):
  a group with a hidden cell hides at least two, one of them not primary (the smallest
  published), so that neither the wijk's total (the profile publishes households per wijk) nor
  the municipality's gives a hidden buurt back; the register (``outputs._register``) proves it
  over every output, with each buurt declared ``within`` its wijk;
- shrunk rates, their intervals and the ranks are computed among the published areas only (the
  prior fitted on their published counts, so it carries nothing of a hidden area), at a stated
  precision (``RATE_DECIMALS``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smartstart import analyses as A
from smartstart.analyses._areas import SelectionRule, area_counts, area_rates, select_areas
from smartstart.analyses._common import wilson
from smartstart.disclosure import (
    Published,
    Rules,
    attack_register,
    label_of,
    protect_frame,
    register_of,
)
from smartstart.disclosure._frequency import small
from smartstart.disclosure._options import settings_of
from smartstart.disclosure._statements import declare, level_text, yes
from smartstart.errors import LackOfData
from smartstart.pilot import Study

#: decimals of every published rate, share and interval (0.1 percentage point)
RATE_DECIMALS = 3
#: selection statuses (typed; their words: report/text.yaml ``areas_status_*``)
CHOSEN, NEAR_MISS, ELIGIBLE, TOO_FEW, HIDDEN = ("chosen", "near_miss", "eligible", "too_few",
                                                "hidden")
RANKED = ("shrunk", "shrunk_low", "shrunk_high", "rank", "rank_low", "rank_high")
#: per unit: (table name, base column, its shares (numerator, rate prefix))
UNITS = {"household": ("areas_households", "households", (("target_households", "target"),)),
         "child": ("areas_children", "children", (("outcome_events", "outcome"),))}
MEASURES = {"outcome": ("child", "outcome_events"),
            "target_group": ("household", "target_households")}


def publish_areas(study: Study, children: pd.DataFrame, households: pd.DataFrame,
                  predictors: tuple[str, ...], draws: int = 4000, by_wijk: bool = True
                  ) -> list[Published]:
    """Both tables; ``by_wijk``: secondary suppression within each wijk (else within the
    municipality only: enough while no output publishes the wijken's counts)."""
    spec, s = study.areas, settings_of(study.disclosure)
    counts = area_counts(children, households, spec.level, predictors)
    if len(counts) < 3:
        raise LackOfData("other", f"fewer than 3 areas of level {spec.level}")
    found = tuple(p for p in predictors if p in counts.columns)
    unit, events = MEASURES[spec.measure]
    out = []
    for kind, (name, base, shares) in UNITS.items():
        shares = shares + tuple((p, p) for p in found) if kind == "child" else shares
        frame, hidden, primary = _protected(counts, base, shares, s, spec.level, by_wijk)
        if kind == unit:
            frame = _ranked(frame, ~hidden[base] & ~hidden[events], base, events, study, draws)
        out.append(_published(name, frame, kind, base, shares, hidden, primary, spec.level, s,
                              ranked=kind == unit))
    return out


def _protected(counts: pd.DataFrame, base: str, shares: tuple[tuple[str, str], ...], s,
               level: str, by_wijk: bool) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The unit's columns (rates from the exact counts), the mask of the counts to hide and
    the mask of those below the threshold (primary, labelled ``<10``)."""
    columns = [base, *(c for c, _ in shares)]
    values = counts[columns].astype(float)
    primary = pd.DataFrame(False, index=counts.index, columns=columns)
    primary[base] = small(values[[base]], s)[base]
    hidden = primary.copy()
    for count, _ in shares:
        primary[count] = values[count] < s.min_cell
        hidden[count] = primary[count] | ((values[base] - values[count]) < s.min_cell) | (
            hidden[base])
    groups = counts["wijk"] if level == "buurt" and by_wijk else pd.Series(
        "", index=counts.index)
    for column in columns:
        hidden[column] = _secondary(values[column], hidden[column], primary[column], groups)
    frame = counts[["area", "wijk"] if level == "buurt" else ["area"]].copy()
    for column in columns:
        frame[column] = values[column]
    for count, prefix in shares:
        frame = _rate(frame, count, base, prefix)
    return frame, hidden, primary


def _secondary(values: pd.Series, hidden: pd.Series, primary: pd.Series,
               groups: pd.Series) -> pd.Series:
    """Per group: none hidden, or at least two with one not primary (the smallest shown)."""
    out = hidden.copy()
    for _, index in groups.groupby(groups, sort=False).groups.items():
        while True:
            mine = out[index]
            if not mine.any() or (mine.sum() >= 2 and (mine & ~primary[index]).any()):
                break
            shown = values[index][~mine & (values[index] > 0)]
            if shown.empty:
                break
            out[shown.idxmin()] = True
    return out


def _rate(frame: pd.DataFrame, count: str, base: str, prefix: str) -> pd.DataFrame:
    hits, n = frame[count].to_numpy(float), frame[base].to_numpy(float)
    ok = np.isfinite(hits) & np.isfinite(n) & (n > 0)
    low, high = wilson(np.where(ok, hits, 0), np.where(ok, n, 1))
    rate = np.divide(hits, n, out=np.full(len(n), np.nan), where=ok)
    return frame.assign(**{f"{prefix}_rate": _round(rate, ok), f"{prefix}_low": _round(low, ok),
                           f"{prefix}_high": _round(high, ok)})


def _round(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    return np.where(ok, np.round(np.asarray(values, float), RATE_DECIMALS), np.nan)


def _ranked(frame: pd.DataFrame, published: pd.Series, base: str, events: str, study: Study,
            draws: int) -> pd.DataFrame:
    """Shrunk rates, ranks and the selection among the areas whose rate is published."""
    shown = frame[published]
    frame = frame.assign(**{c: np.nan for c in RANKED}, status=HIDDEN)
    if len(shown) < 3:
        return frame
    counts = shown[["area", base, events]].rename(columns={base: "n", events: "events"})
    rates = area_rates(counts, A.AreaSpec(draws=draws))
    rule = study.areas.select
    # the municipality's rate: every area's counts (the frame's counts are still exact here)
    overall = float(frame[events].sum() / frame[base].sum())
    top = rule.top if (rule.top or rule.above_municipality) else 3
    selection = select_areas(rates, SelectionRule(
        top=top, min_n=rule.min_children, above=overall if rule.above_municipality else None))
    table = rates.table.set_index("area")
    status = pd.Series(ELIGIBLE, index=table.index)
    status[selection.ineligible["area"]] = TOO_FEW
    status[selection.near_misses["area"]] = NEAR_MISS
    status[selection.chosen["area"]] = CHOSEN
    rows = shown.index
    for column in RANKED:
        values = table.loc[shown["area"], column].to_numpy(float)
        frame.loc[rows, column] = values if column.startswith("rank") else np.round(
            values, RATE_DECIMALS)
    frame.loc[rows, "status"] = status[shown["area"]].to_numpy()
    return frame


def _published(name: str, frame: pd.DataFrame, unit: str, base: str,
               shares: tuple[tuple[str, str], ...], hidden: pd.DataFrame,
               primary: pd.DataFrame, level: str, s, ranked: bool) -> Published:
    counts = (base, *(c for c, _ in shares))
    derived = [(f"{p}_{k}", (c, base)) for c, p in shares for k in ("rate", "low", "high")]
    if ranked:
        measure = next(c for c, _ in shares if c in ("outcome_events", "target_households"))
        derived += [(c, (measure, base)) for c in RANKED]
    precision = tuple((f"{p}_{k}", RATE_DECIMALS) for _, p in shares
                      for k in ("rate", "low", "high"))
    if ranked:
        precision += tuple((c, RATE_DECIMALS) for c in RANKED[:3])
    rules = Rules(counts=counts, shares=tuple((c, base) for c, _ in shares),
                  derived=tuple(derived), precision=precision,
                  cells=_cells(frame, unit, base, shares, level))
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    mask[hidden.columns] = hidden
    published = protect_frame(name, frame, rules, settings=s, kind="shares", hide=mask)
    return _labelled(published, hidden, primary, s)


def _cells(frame: pd.DataFrame, unit: str, base: str, shares: tuple[tuple[str, str], ...],
           level: str) -> dict[str, object]:
    """Each count: the units of the row's area (and the share's condition); each buurt
    within its wijk (the register knows the hierarchy, as an attacker does)."""
    columns: dict[str, object] = {base: ()}
    for count, _ in shares:
        condition = "target_group" if count == "target_households" else (
            "outcome" if count == "outcome_events" else count)
        columns[count] = (yes(condition),)
    within = ()
    if level == "buurt":
        within = tuple(((level, "in", (level_text(b),)), ("wijk", "in", (level_text(w),)))
                       for b, w in zip(frame["area"], frame["wijk"], strict=True))
    return declare(unit, ("value", "area", level), columns, within=within)


def _labelled(published: Published, hidden: pd.DataFrame, primary: pd.DataFrame, s
              ) -> Published:
    """A hidden count below the threshold reads ``<10``, any other hidden value ``x``."""
    from dataclasses import replace

    small_label = label_of("primary", s)
    frame = published.frame
    shown = []
    for row, column, label in published.record.shown:
        if column in primary.columns and primary[column].iloc[row] and hidden[column].iloc[row]:
            label = small_label
        shown.append((row, column, label))
    return Published(frame, replace(published.record, shown=tuple(shown)), published.rules)


def areas_step(study: Study, work, out) -> None:
    """The run's step: both tables into ``out``. Secondary suppression within the municipality
    when the register, over every output published so far, proves it enough; else within each
    wijk (the register in ``outputs.publish`` proves the result again with everything)."""
    from smartstart.features import identical_levels, nested_levels, outcomes

    chosen = tuple(study.outcome.predictors or outcomes()[study.outcome.name].predictors)
    alone = publish_areas(study, work.children, work.households, chosen, by_wijk=False)

    def safe(p: Published) -> bool:
        statements = register_of(((q.record.name, q.frame, q.rules.cells,
                                   {(r, c): label for r, c, label in q.record.shown})
                                  for q in (*out.tables, p)), study.disclosure)
        return not any(f.narrowed for f in attack_register(
            statements, identical_levels(), study.disclosure, nested_levels()))

    level = study.areas.level
    parent = ("wijk",) if level in ("buurt", "wijk") else ()
    variables = {"areas_households": (level, *parent, "target_group"),
                 "areas_children": (level, *parent, "outcome",
                                    *(p for p in chosen if p in work.children.columns))}
    within: list[Published] = []
    for k, wide in enumerate(alone):
        published = wide
        if not safe(wide):  # the wijken's counts are published: protect within each wijk
            within = within or publish_areas(study, work.children, work.households, chosen)
            published = within[k]
        out.add(published, tuple(dict.fromkeys(variables[published.record.name])))
