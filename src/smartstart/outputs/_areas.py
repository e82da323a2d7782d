"""Where to start (``study.analyses: [..., areas]``): the areas of one level through the gate.

One table per unit, one row per area of the pilot's level (``buurt``, ``wijk`` or ``gemeente``,
never two levels: a buurt would be its wijk minus the other buurten):

- ``areas_residents`` (persons): the residents (the members of the households);
- ``areas_households``: households, those in the target group, the share;
- ``areas_children`` (the pilot's population): children, those with the outcome, the rate, the
  children with each main risk factor and with the high-risk combination (``high_risk``: every
  factor of the best published combination of the risk step) and their prevalence;
- ``areas_schools`` (with a school-location file): the school branches located in the area that
  pupils of the delivery attend (``schools``) and their pupils (``pupils``).

Every rate has its Wilson interval (raw) and its shrunk value with a 95 % interval beside it
(beta-binomial empirical Bayes, fitted per measure among the published areas); the ranked
measure's shrunk columns are ``shrunk``, ``shrunk_low``, ``shrunk_high``, with the rank, its
simultaneous interval and the selection status; every other share ``<prefix>_shrunk`` (and
``_low``, ``_high``). Counts of residents, households, children and schools are register
counts of every unit, not estimates: they have no interval.

Disclosure, cell by cell:

- primary: a count of persons, households or pupils below ``min_cell`` (``<10``); a share's
  numerator when the numerator or its complement (n - count) is below ``min_cell`` (the
  Kansenkaart rule: hide when n x rate or n x (1 - rate) < min_cell), its rates with it;
- secondary, per column within each wijk (buurt level) or within the municipality (wijk level):
  a group with a hidden cell hides at least two, one of them not primary (the smallest
  published), and enough that a small one reaches 9 next to the ``x`` cells (each at least
  10, see ``disclosure._within``), so that neither the wijk's total (the profile publishes
  households per wijk) nor the municipality's gives a hidden buurt back; the register
  (``outputs._register``) proves it over every output, with each buurt declared ``within``
  its wijk;
- shrunk rates, their intervals and the ranks are computed among the published areas only (the
  prior fitted on their published counts, so it carries nothing of a hidden area), at a stated
  precision (``RATE_DECIMALS``);
- ``schools`` counts establishments of a public list (DUO publishes every branch's address),
  not persons: no threshold applies to it and it is no count of the register (not in
  ``Rules.counts``). Its pupils are persons: ``pupils`` passes the gate like any count (unit
  ``pupil``, buurt within wijk).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from smartstart import analyses as A
from smartstart.analyses._areas import (
    FEW_SCHOOLS,
    HIGH_RISK,
    SelectionRule,
    area_counts,
    area_rates,
    area_schools,
    select_areas,
    shrunk_rates,
)
from smartstart.analyses._common import wilson
from smartstart.disclosure import (
    Published,
    Rules,
    attack_register,
    protect_frame,
    register_of,
)
from smartstart.disclosure._frequency import small
from smartstart.disclosure._options import settings_of
from smartstart.disclosure._statements import declare, level_text, yes
from smartstart.disclosure._within import secondary_within, unprotected
from smartstart.errors import LackOfData
from smartstart.pilot import Study

#: decimals of every published rate, share and interval (0.1 percentage point)
RATE_DECIMALS = 3
#: selection statuses (typed; their words: report/text.yaml ``areas_status_*``)
CHOSEN, NEAR_MISS, ELIGIBLE, TOO_FEW, HIDDEN = ("chosen", "near_miss", "eligible", "too_few",
                                                "hidden")
RANKED = ("shrunk", "shrunk_low", "shrunk_high", "rank", "rank_low", "rank_high")
#: the shrunk columns of a share that is not ranked: ``<prefix>_shrunk`` ...
SHRUNK = ("shrunk", "shrunk_low", "shrunk_high")
#: per unit: (table name, base column, its shares (numerator, rate prefix)); the person and
#: pupil tables only when their counts exist (households with a size, a school-location file)
UNITS = {"person": ("areas_residents", "residents", ()),
         "household": ("areas_households", "households", (("target_households", "target"),)),
         "child": ("areas_children", "children", (("outcome_events", "outcome"),)),
         "pupil": ("areas_schools", "pupils", ())}
MEASURES = {"outcome": ("child", "outcome_events"),
            "target_group": ("household", "target_households")}
#: what a count column counts beyond the row's area (the register's conditions)
CONDITIONS = {"target_households": "target_group", "outcome_events": "outcome"}
#: columns published as they are: public establishments, no count of persons
PUBLIC = {"pupil": ("schools",)}


def publish_areas(study: Study, children: pd.DataFrame, households: pd.DataFrame,
                  predictors: tuple[str, ...], draws: int = 4000, by_wijk: bool = True,
                  combination: tuple[str, ...] = (), schools: pd.DataFrame | None = None,
                  residents: pd.DataFrame | None = None) -> list[Published]:
    """Every table; ``by_wijk``: secondary suppression within each wijk (else within the
    municipality only: enough while no output publishes the wijken's counts).
    ``combination``: the factors of the high-risk group; ``schools``: one row per school
    branch (``analyses._areas.area_schools``); ``residents``: persons per area by their own
    address (``analyses._areas.area_counts``)."""
    spec, s = study.areas, settings_of(study.disclosure)
    counts = area_counts(children, households, spec.level, predictors, combination, residents)
    if len(counts) < 3:
        raise LackOfData("other", f"fewer than 3 areas of level {spec.level}")
    at_schools = _schools(counts, schools, spec.level)
    found = tuple(p for p in (*predictors, HIGH_RISK) if p in counts.columns)
    unit, events = MEASURES[spec.measure]
    out = []
    for kind, (name, base, shares) in UNITS.items():
        table = at_schools if kind == "pupil" else counts
        if kind == "pupil" and table is not None and base not in table.columns:
            out.append(_schools_only(name, table, spec.level, s))
        if table is None or base not in table.columns:
            continue
        shares = shares + tuple((p, p) for p in found) if kind == "child" else shares
        frame, hidden, unstated = _protected(table, base, shares, s, spec.level, by_wijk)
        frame = frame.assign(**{c: table[c].to_numpy() for c in PUBLIC.get(kind, ())})
        ranked = kind == unit
        for count, prefix in shares:
            if not (ranked and count == events):
                frame = _shrunk(frame, ~hidden[base] & ~hidden[count], base, count, prefix)
        if ranked:  # min_schools reads the schools per area (public: exact)
            per_area = None if at_schools is None else at_schools.set_index("area")["schools"]
            frame = _ranked(frame, ~hidden[base] & ~hidden[events], base, events, study, draws,
                            per_area)
        out.append(_published(name, frame, kind, base, shares, hidden, unstated, spec.level, s,
                              ranked=ranked, combination=combination))
    return out


def _schools(counts: pd.DataFrame, schools: pd.DataFrame | None, level: str
             ) -> pd.DataFrame | None:
    """Schools and pupils for every area of ``counts`` (0 where none), with its wijk."""
    if schools is None:
        return None
    per = area_schools(schools, level).set_index("area")
    frame = counts[["area", "wijk"]].copy()
    for column in ("schools", "pupils"):
        if column in per.columns:
            frame[column] = frame["area"].map(per[column]).fillna(0).astype(int).to_numpy()
    return frame


def _schools_only(name: str, table: pd.DataFrame, level: str, s) -> Published:
    """The schools per area without their pupils (no pupils' registrations delivered): public
    establishments only, no count of persons."""
    frame = table[["area", "wijk"] if level == "buurt" else ["area"]].assign(
        schools=table["schools"].to_numpy())
    return protect_frame(name, frame, Rules(), settings=s)


def _protected(counts: pd.DataFrame, base: str, shares: tuple[tuple[str, str], ...], s,
               level: str, by_wijk: bool) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The unit's columns (rates from the exact counts), the mask of the counts to hide and
    the mask of hidden counts published without a label (``disclosure._within.unprotected``)."""
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
        hidden[column] = secondary_within(values[column], hidden[column], primary[column],
                                          groups, s.min_cell)
    frame = counts[["area", "wijk"] if level == "buurt" else ["area"]].copy()
    for column in columns:
        frame[column] = values[column]
    for count, prefix in shares:
        frame = _rate(frame, count, base, prefix)
    return frame, hidden, unprotected(values, hidden, groups, s.min_cell)


def _rate(frame: pd.DataFrame, count: str, base: str, prefix: str) -> pd.DataFrame:
    hits, n = frame[count].to_numpy(float), frame[base].to_numpy(float)
    ok = np.isfinite(hits) & np.isfinite(n) & (n > 0)
    low, high = wilson(np.where(ok, hits, 0), np.where(ok, n, 1))
    rate = np.divide(hits, n, out=np.full(len(n), np.nan), where=ok)
    return frame.assign(**{f"{prefix}_rate": _round(rate, ok), f"{prefix}_low": _round(low, ok),
                           f"{prefix}_high": _round(high, ok)})


def _round(values: np.ndarray, ok: np.ndarray) -> np.ndarray:
    return np.where(ok, np.round(np.asarray(values, float), RATE_DECIMALS), np.nan)


def _shrunk(frame: pd.DataFrame, published: pd.Series, base: str, count: str, prefix: str
            ) -> pd.DataFrame:
    """A share's shrunk value and interval among the areas whose share is published (NaN
    elsewhere, and everywhere when fewer than 3 areas are published)."""
    columns = [f"{prefix}_{c}" for c in SHRUNK]
    frame = frame.assign(**{c: np.nan for c in columns})
    shown = frame[published]
    if len(shown) < 3:
        return frame
    counts = shown[["area", base, count]].rename(columns={base: "n", count: "events"})
    table = shrunk_rates(counts, A.AreaSpec(draws=2000))
    for column, source in zip(columns, SHRUNK, strict=True):
        frame.loc[shown.index, column] = np.round(table[source].to_numpy(float), RATE_DECIMALS)
    return frame


def _ranked(frame: pd.DataFrame, published: pd.Series, base: str, events: str, study: Study,
            draws: int, schools: pd.Series | None = None) -> pd.DataFrame:
    """Shrunk rates, ranks and the selection among the areas whose rate is published;
    ``schools``: the number of schools per area (for ``min_schools``)."""
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
    if rule.min_schools and schools is None:
        raise LackOfData("other", "study.areas.select.min_schools without school locations "
                         "(paths.schools)")
    selection = select_areas(rates, SelectionRule(
        top=top, min_n=rule.min_children, above=overall if rule.above_municipality else None,
        min_schools=rule.min_schools), schools=schools)
    table = rates.table.set_index("area")
    status = pd.Series(ELIGIBLE, index=table.index)
    ineligible = selection.ineligible
    status[ineligible["area"]] = np.where(ineligible["why"] == FEW_SCHOOLS, FEW_SCHOOLS,
                                          TOO_FEW)
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
               unstated: pd.DataFrame, level: str, s, ranked: bool,
               combination: tuple[str, ...] = ()) -> Published:
    counts = (base, *(c for c, _ in shares))
    measure = next((c for c, _ in shares if c in ("outcome_events", "target_households")), None)
    derived = [(f"{p}_{k}", (c, base)) for c, p in shares for k in ("rate", "low", "high")]
    derived += [(f"{p}_{k}", (c, base)) for c, p in shares for k in SHRUNK
                if f"{p}_{k}" in frame.columns]
    precision = [(f"{p}_{k}", RATE_DECIMALS) for _, p in shares
                 for k in ("rate", "low", "high", *SHRUNK) if f"{p}_{k}" in frame.columns]
    if ranked:
        derived += [(c, (measure, base)) for c in RANKED]
        precision += [(c, RATE_DECIMALS) for c in RANKED[:3]]
    rules = Rules(counts=counts, shares=tuple((c, base) for c, _ in shares),
                  derived=tuple(derived), precision=tuple(precision),
                  cells=_cells(frame, unit, base, shares, level, combination))
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    mask[hidden.columns] = hidden
    published = protect_frame(name, frame, rules, settings=s, kind="shares", hide=mask)
    if not unstated.to_numpy().any():
        return published
    bare = {(int(frame.index.get_loc(r)), c) for c in unstated.columns
            for r in unstated.index[unstated[c]]}
    record = replace(published.record, shown=tuple(
        x for x in published.record.shown if (x[0], x[1]) not in bare))
    return Published(published.frame, record, published.rules)


def _cells(frame: pd.DataFrame, unit: str, base: str, shares: tuple[tuple[str, str], ...],
           level: str, combination: tuple[str, ...] = ()) -> dict[str, object]:
    """Each count: the units of the row's area (and the share's condition: the high-risk
    group has every factor of its combination); each buurt within its wijk (the register
    knows the hierarchy, as an attacker does)."""
    columns: dict[str, object] = {base: ()}
    for count, _ in shares:
        if count == HIGH_RISK:
            columns[count] = tuple(yes(f) for f in combination)
        else:
            columns[count] = (yes(CONDITIONS.get(count, count)),)
    within = ()
    if level == "buurt":
        within = tuple(((level, "in", (level_text(b),)), ("wijk", "in", (level_text(w),)))
                       for b, w in zip(frame["area"], frame["wijk"], strict=True))
    return declare(unit, ("value", "area", level), columns, within=within)


def areas_step(study: Study, work, out) -> None:
    """The run's step: every table into ``out``. Secondary suppression within the municipality
    when the register, over every output published so far, proves it enough; else within each
    wijk (the register in ``outputs.publish`` proves the result again with everything)."""
    from smartstart.features import identical_levels, nested_levels, outcomes

    chosen = tuple(study.outcome.predictors or outcomes()[study.outcome.name].predictors)
    combination = high_risk_combination(out)
    schools = getattr(work, "schools", None)

    def tables(by_wijk: bool) -> list[Published]:
        return publish_areas(study, work.children, work.households, chosen, by_wijk=by_wijk,
                             combination=combination, schools=schools,
                             residents=getattr(work, "residents", None))

    def safe(p: Published) -> bool:
        statements = register_of(((q.record.name, q.frame, q.rules.cells,
                                   {(r, c): label for r, c, label in q.record.shown})
                                  for q in (*out.tables, p)), study.disclosure)
        return not any(f.narrowed for f in attack_register(
            statements, identical_levels(), study.disclosure, nested_levels()))

    level = study.areas.level
    parent = ("wijk",) if level in ("buurt", "wijk") else ()
    variables = {"areas_residents": (level, *parent),
                 "areas_households": (level, *parent, "target_group"),
                 "areas_children": (level, *parent, "outcome",
                                    *(p for p in chosen if p in work.children.columns),
                                    *combination),
                 "areas_schools": (level, *parent, "school")}
    alone, within = tables(False), []
    for k, wide in enumerate(alone):
        published = wide
        if not safe(wide):  # the wijken's counts are published: protect within each wijk
            within = within or tables(True)
            published = within[k]
        out.add(published, tuple(dict.fromkeys(variables[published.record.name])))


def high_risk_combination(out) -> tuple[str, ...]:
    """The factors of the best published combination, as the risk step's high-risk profile
    chooses it (``outputs._steps._high_risk``: significant, confirmed first); none when the
    risk step published none."""
    frame = next((p.frame for p in out.tables if p.record.name == "combinations"), None)
    if frame is None or frame.empty:
        return ()
    candidates = frame[frame["significant"].astype(bool)]
    confirmed = candidates[candidates["confirmed"].astype(bool)]
    best = (confirmed if len(confirmed) else candidates).head(1)
    return () if best.empty else tuple(str(best["factors"].iloc[0]).split("+"))
