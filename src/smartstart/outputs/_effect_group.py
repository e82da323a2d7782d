"""Did it work, for a treated group (a partner file's clients, each from their own start):
the monitor and the evaluation through the gate (``outputs/_effect.py`` for treated buurten).

Per outcome of the plan:

- ``effect_series_<outcome>``: per calendar year, the person-years at risk (``n``), those with
  the outcome (``events``) and the rate of two groups of the pilot's municipalities: the
  clients from their start on (``clients``; from the plan's start, before it the group is
  empty by design and has no row) and everyone else of the plan's ages, the clients' own
  years before their start among them (``others``). As the buurten monitor's series: ``n``
  below ``min_cell`` hides a cell, the events when they or ``n - events`` are below it. The
  clients' totals over the years count as known: the headline estimate is their mean outcome
  minus a model's expectation, and with the expectation (a red team read it from a published
  baseline) it gave the clients' events over all years exactly, and with them a hidden year's
  (7 of 33 in 2016). So within the clients' row a hidden count hides more years, until the
  hidden ones' slack protects a small one (``secondary_within``, as within a wijk), for the
  person-years, the events and those without. No baseline is published, and no ratio to it:
  the estimate and the minimum detectable effect, each published also over the baseline, gave
  it back (a red team read it to 0.4 percentage points from the two ratios, and the headline
  estimate finer than its published 0.1). The municipality's
  total is not published here (as in the buurten series); every count is declared to the
  register (person-years of a year and a group), which proves the cells over every output of
  the run and withholds what all of them together narrow.
- ``effect_estimates``: the imputation estimate (percentage points) with its interval and
  p-value from standard errors clustered by household (the headline: with many treated
  households they hold), and the placebo in time; at the precision of the buurten evaluation.
- ``effect_event_study``: the effect per year since the start (event time 0, 1, ...) and the
  leads before it (-1, -2, -3; the pre-trend check's coefficients); a row is blank while its
  person-years, their events or non-events are below ``min_cell``.
- ``effect_inference``: what it rests on: treated persons and households (the clusters), the
  comparison persons, the status (``too_small`` below 20 treated households: no p-value or
  interval; ``coarse`` below 50), the pre-trend test, the minimum detectable effect, and the
  persons left out (counted, small counts as ``<10``).

An outcome whose treated persons, households, events or non-events are below ``min_cell`` gets
no evaluation (its series stays, as far as the gate lets it): a mean over fewer than
``min_cell`` persons comes close to their own values.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from smartstart.disclosure import Published, protect_frame
from smartstart.disclosure._options import settings_of
from smartstart.disclosure._statements import declare
from smartstart.disclosure._within import secondary_within
from smartstart.errors import LackOfData
from smartstart.outputs._effect_monitor import (
    UNIT,
    _rates,
    _rules,
    event_variable,
)

#: the series' groups (their words: report/text.yaml ``effect_group_*``)
CLIENTS, OTHERS = "clients", "others"
GROUPS = (CLIENTS, OTHERS)
#: the person counts of effect_inference (each under the threshold like any count)
PERSON_COUNTS = ("treated_persons", "treated_households", "comparison_persons",
                 "started_before", "no_year_before", "partner_rows", "partner_unlinked")


def group_step(study, work, out) -> None:
    """The run's step for a treated group: per outcome the series, then the evaluation."""
    from smartstart.analyses._effect_group import GroupSpec, evaluate_group, prepared
    from smartstart.analyses._effect_panel import EffectInputError

    plan = study.effect
    s = settings_of(study.disclosure)
    panel = work.effect_panel
    clients = panel.attrs.get("clients") or {}
    spec = GroupSpec(alternative=plan.alternative, alpha=plan.alpha,
                     placebo_shift=plan.placebo_shift)
    results = {}
    for outcome in plan.outcomes:
        rows = panel[panel["outcome"] == outcome].reset_index(drop=True)
        frame, _ = prepared(rows, plan.start)
        series = group_series(frame, outcome, plan.start, s)
        out.add(series, ("year", "effect_group", event_variable(outcome)))
        try:
            result = evaluate_group(rows, plan.start, spec)
            _enough(result, s.min_cell)
        except (EffectInputError, LackOfData) as error:  # this outcome's series stays
            lack = error if isinstance(error, LackOfData) else LackOfData("other", str(error))
            out.withheld.append((f"effect_{outcome}", f"analyse niet uitgevoerd: {lack}"))
            out.lacking.append((f"effect_{outcome}", lack.reason, lack.detail))
            continue
        results[outcome] = result
    if not results:
        reason, detail = out.lacking[-1][1:]
        raise LackOfData(reason, detail)  # type: ignore[arg-type]
    for published in group_tables(results, plan, clients, s):
        out.add(published, ("effect_group",))


def _enough(result, min_cell: int) -> None:
    """LackOfData when the treated are too few to publish a mean over them."""
    small = {"treated persons": result.treated_persons,
             "treated households": result.treated_households,
             "treated person-years with the outcome": result.treated_events,
             "treated person-years without it": result.treated_obs - result.treated_events}
    under = [f"{name} ({count})" for name, count in small.items() if count < min_cell]
    if under:
        raise LackOfData("other", "too few to publish an effect of the group (below "
                         f"{min_cell}): " + ", ".join(under))


def group_series(frame: pd.DataFrame, outcome: str, start: int, settings) -> Published:
    """The series of one outcome (``frame``: the engine's prepared person-years), protected
    (see the module's docstring)."""
    s = settings_of(settings)
    group = np.where(frame["treated"], CLIENTS, OTHERS)
    counts = (frame.assign(group=group).groupby(["year", "group"])["event"]
              .agg(n="size", events="sum").reset_index())
    every = pd.MultiIndex.from_product([sorted(counts["year"].unique()), GROUPS],
                                       names=["year", "group"]).to_frame(index=False)
    every = every[(every["group"] != CLIENTS) | (every["year"] >= start)]
    counts = (every.merge(counts, on=["year", "group"], how="left").fillna(0)
              .astype({"year": int, "n": float, "events": float}))
    counts = counts.sort_values(["year", "group"], key=lambda c: c.map(
        {g: i for i, g in enumerate(GROUPS)}) if c.name == "group" else c,
                                ).reset_index(drop=True)
    n, events = counts["n"], counts["events"]
    non = n - events
    # the clients' years are one group (their totals count as known), every other row its own
    row = pd.Series(np.where(counts["group"] == CLIENTS, CLIENTS,
                             counts.index.astype(str)), index=counts.index)
    hidden_n = secondary_within(n, n < s.min_cell, n < s.min_cell, row, s.min_cell)
    hidden_events = (events < s.min_cell) | (non < s.min_cell) | hidden_n
    hidden_events = secondary_within(events, hidden_events, events < s.min_cell, row,
                                     s.min_cell)
    hidden_events = secondary_within(non, hidden_events, non < s.min_cell, row, s.min_cell)
    published = _rates(counts[["year", "group", "n", "events"]])
    where = (("year", "in", ("@year",)), ("effect_group", "in", ("@group",)))
    cells = declare(UNIT, (), {"n": where,
                               "events": (*where, (event_variable(outcome), "in", ("1",)))})
    mask = pd.DataFrame(False, index=published.index, columns=published.columns)
    mask["n"], mask["events"] = hidden_n.to_numpy(), hidden_events.to_numpy()
    return protect_frame(f"effect_series_{outcome}", published, _rules(cells), settings=s,
                         kind="shares", hide=mask)


def group_tables(results: dict, plan, clients: dict, s) -> list[Published]:
    from smartstart.outputs._effect import ESTIMATE_DECIMALS, P_DECIMALS, _publish

    estimates, events, inference = [], [], []
    for outcome, result in results.items():
        for e in (result.headline, *([result.placebo_time] if result.placebo_time else [])):
            estimates.append({"outcome": outcome, "method": e.method,
                              "headline": e.method == result.headline.method,
                              "estimate": e.estimate, "ci_low": e.ci[0], "ci_high": e.ci[1],
                              "p_value": e.p_value})
        events += _event_rows(outcome, result, s.min_cell)
        inference.append(_inference_row(outcome, result, plan, clients))
    precise = (("estimate", ESTIMATE_DECIMALS), ("ci_low", ESTIMATE_DECIMALS),
               ("ci_high", ESTIMATE_DECIMALS), ("p_value", P_DECIMALS))
    return [_publish("effect_estimates", pd.DataFrame(estimates), precise, s),
            _publish("effect_event_study", pd.DataFrame(events), precise, s),
            _publish("effect_inference", pd.DataFrame(inference),
                     (("pretrend_p", P_DECIMALS), ("mde", ESTIMATE_DECIMALS)), s,
                     counts=PERSON_COUNTS, cells=_person_cells(plan))]


def _person_cells(plan) -> dict:
    """What effect_inference's counts count, for the register: persons (clients or not, of
    the outcome's panel, left out by reason), the clients' households, the partner file's
    rows. No other output counts these sets; declared, they are still joined with every
    other statement of the run."""
    outcome = ("effect_outcome", "in", ("@outcome",))
    client = ("effect_client", "in", ("1",))
    partner = ("effect_partner_file", "in", (str(plan.treated.partner_file),))
    return declare("person", (), {
        "treated_persons": (outcome, client, ("effect_counted", "in", ("1",))),
        "treated_households": (outcome, ("effect_client_household", "in", ("1",))),
        "comparison_persons": (outcome, ("effect_client", "in", ("0",))),
        "started_before": (outcome, client, ("effect_counted", "in", ("started_before",))),
        "no_year_before": (outcome, client, ("effect_counted", "in", ("no_year_before",))),
        "partner_rows": (partner,),
        "partner_unlinked": (partner, ("effect_partner_key", "in", ("0",)))})


def _event_rows(outcome: str, result, min_cell: int) -> list[dict]:
    rows = []
    for frame in (result.leads, result.horizons):
        for r in frame.itertuples(index=False):
            small = min(r.n, r.events, r.n - r.events) < min_cell
            values = (r.estimate, r.ci_low, r.ci_high, r.p_value)
            rows.append({"outcome": outcome, "event_time": int(r.event_time),
                         **dict(zip(("estimate", "ci_low", "ci_high", "p_value"),
                                    [math.nan if small else float(v) for v in values],
                                    strict=True))})
    return sorted(rows, key=lambda r: r["event_time"])


def _inference_row(outcome: str, result, plan, clients: dict) -> dict:
    from smartstart.outputs._effect import unit_of

    return {"outcome": outcome, "unit": unit_of(outcome), "estimator": "imputation",
            "inference": "cluster",
            "treated_persons": result.treated_persons,
            "treated_households": result.treated_households,
            "comparison_persons": result.comparison_persons,
            "pool_status": result.status, "alternative": plan.alternative,
            "alpha": plan.alpha, "pretrend_leads": result.pretrend.leads,
            "pretrend_p": result.pretrend.p_cluster, "first_year": min(result.years),
            "last_year": max(result.years), "start": plan.start,
            "mde": result.mde,  # and no ratio to the baseline: see the module's docstring
            "started_before": result.dropped["started_before"],
            "no_year_before": result.dropped["no_year_before"],
            "partner_rows": int(clients.get("rows", 0)),
            "partner_unlinked": int(clients.get("unlinked", 0))}
