"""Did it work (``study.analyses: [..., effect]``): the monitor and the evaluation through the gate.

Per outcome of the plan: the monitor (``effect_monitor_<outcome>``, ``effect_series_<outcome>``,
see ``_effect_monitor.py``), then the evaluation of the engine (``analyses._effect``) on the
panel of the comparison pool:

- ``effect_estimates``: each estimator's effect on the rate (percentage points) with its
  permutation interval and p-value (the headline), the cluster-robust ones beside them, and
  the placebo in time; at a stated precision (``ESTIMATE_DECIMALS``, ``P_DECIMALS``);
- ``effect_event_study``: the effect per year since the start (leads and lags) with
  permutation intervals; a year's effect rests on that year's counts of the treated buurten,
  so it is blank while the series hides them;
- ``effect_placebo``: the placebo distribution (treatment reassigned to as many comparison
  buurten) as quantiles only, never per buurt;
- ``effect_inference``: the footing: treated and comparison buurten, the permutations, the
  smallest attainable p, whether the pool is large enough, the pre-trend check, and the
  minimum detectable effect over the plan's years after the start.

Before the start (the plan's start after the last year the delivery holds the outcome): the
power before the start instead of the evaluation. ``effect_inference`` gets a row of stage
``planned`` with the minimum detectable effect of treating the plan's buurten from its start
to the plan's last year (or for ``PLANNED_YEARS``), by simulation from the observed years with
the same permutation test over the same comparison buurten; no estimates, event study or
placebo. The team learns before choosing whether the evaluation can succeed.

The comparison pool is every buurt of the pool (the region's or the delivery's) with at least
``plan.min_units`` units at risk in every year, the treated buurten apart, and only buurten
whose every count the gate would publish (``comparison_buurten``): in every year at least
``min_cell`` with the outcome and ``min_cell`` without, and, in the pilot's municipalities, no
cell hidden in the monitor. The permutation p-values, intervals and placebo quantiles are
order statistics of the comparison buurten's placebo estimates; a red team recovered hidden
buurt-years of the monitor from them (a published p of 0.001 fixes how many of 560 placebo
estimates exceed the observed one; 9 cells of 0-9 narrowed, one to 2-6). From buurten whose
counts are all publishable they can at most tell counts of 10 or more. The series' comparison
group elsewhere is the same buurten, so its total holds nothing else. Treated buurten with a
hidden cell: no evaluation (it would give their counts away).
"""

from __future__ import annotations

import math

import pandas as pd

from smartstart.disclosure import Published, Rules, protect_frame
from smartstart.disclosure._options import settings_of
from smartstart.errors import LackOfData
from smartstart.outputs._effect_monitor import (
    RATE_DECIMALS,
    TREATED,
    event_variable,
    monitor_tables,
)

#: decimals of an effect in percentage points (0.1 point: the rates are published at 0.1 %) and
#: of a p-value; an estimate is linear in the area-year rates, so its precision is what keeps a
#: hidden cell from being narrowed by the estimates (see the README)
ESTIMATE_DECIMALS = 1
P_DECIMALS = 3
RELATIVE_DECIMALS = 2
#: the placebo distribution's published quantiles
QUANTILES = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)


def effect_step(study, work, out) -> None:
    """The run's step: per outcome the monitor, then the evaluation tables."""
    plan = study.effect
    if work.effect_panel is None:
        reason, detail = work.effect_lack or ("other", "the run made no panel")
        raise LackOfData(reason, detail)  # type: ignore[arg-type]
    if plan.treated.group:  # a partner file's clients: outputs/_effect_group.py
        from smartstart.outputs._effect_group import group_step

        group_step(study, work, out)
        return
    s = settings_of(study.disclosure)
    treated = tuple(plan.treated.buurten or ())
    results, hidden_years = {}, {}
    for outcome in plan.outcomes:
        rows = work.effect_panel[work.effect_panel["outcome"] == outcome]
        used = set(analysis_panel(rows, plan)[0]["area"])
        local = set(rows.loc[rows["gemeente"].isin(study.municipalities), "area"])
        whole = _publishable(rows, s.min_cell)
        monitor, series = monitor_tables(rows, outcome, treated, study.municipalities, s,
                                         out.tables, tuple(sorted((used - local) & whole)))
        words = ("year", "buurt", "wijk", "effect_group", event_variable(outcome))
        out.add(monitor, words)
        out.add(series, words)
        hidden_years[outcome] = _hidden_treated_years(series)
        try:
            donors = comparison_buurten(rows, plan, monitor, local, s.min_cell)
        except LackOfData as lack:  # this outcome's monitor stays, its evaluation does not
            out.withheld.append((f"effect_{outcome}", f"analyse niet uitgevoerd: {lack}"))
            out.lacking.append((f"effect_{outcome}", lack.reason, lack.detail))
            continue
        if plan.start > int(rows["year"].max()):  # not started yet: power before the start
            results[outcome] = planned_outcome(rows, plan, donors)
            continue
        results[outcome] = evaluate_outcome(rows, plan, donors)
    if not results:
        reason, detail = out.lacking[-1][1:]
        raise LackOfData(reason, detail)  # type: ignore[arg-type]
    for published in evaluation_tables(results, hidden_years, plan, s):
        out.add(published, ("effect_group",))


def analysis_panel(rows: pd.DataFrame, plan) -> tuple[pd.DataFrame, list[str]]:
    """The engine's panel (area, year, n, events): the treated buurten and every buurt of the
    pool with at least ``plan.min_units`` units in every year; the treated buurten that lack
    units in a year (the evaluation cannot use them)."""
    years = rows["year"].nunique()
    treated = set(plan.treated.buurten or ())
    lacking = sorted(treated - set(rows.loc[rows["n"] > 0].groupby("area")["year"].nunique()
                                   .loc[lambda c: c == years].index))
    enough = rows[rows["n"] >= plan.min_units].groupby("area")["year"].nunique()
    keep = (set(enough[enough == years].index) | treated) - set(lacking)
    panel = rows[rows["area"].isin(keep)][["area", "year", "n", "events"]]
    return panel.reset_index(drop=True), lacking


def _publishable(rows: pd.DataFrame, min_cell: int) -> set[str]:
    """Buurten whose every year has at least ``min_cell`` units with the outcome and
    ``min_cell`` without (the counts the monitor publishes without suppression)."""
    years = rows["year"].nunique()
    fine = (rows["events"] >= min_cell) & (rows["n"] - rows["events"] >= min_cell)
    per = fine.groupby(rows["area"]).agg(["sum", "size"])
    return set(per.index[(per["sum"] == years) & (per["size"] == years)])


def comparison_buurten(rows: pd.DataFrame, plan, monitor: Published, local: set[str],
                       min_cell: int) -> set[str]:
    """The comparison buurten (see the module's docstring): of the analysis panel, not
    treated, every count publishable, and in the pilot's municipalities no cell the monitor
    hides (a hidden ``x`` pinned by the p-values would give its group's small cell back).
    Raises LackOfData when a treated buurt has a hidden cell."""
    frame = monitor.frame
    blank = frame[["n", "events"]].isna().any(axis=1)
    hidden = set(frame.loc[blank, "area"])
    treated = set(plan.treated.buurten or ())
    if treated & hidden:
        raise LackOfData("other", "the treated buurten have counts too small to publish in "
                         "some year (" + ", ".join(sorted(treated & hidden)) + "); an "
                         "evaluation would give them away")
    used = set(analysis_panel(rows, plan)[0]["area"])
    return (used - treated) & _publishable(rows, min_cell) - (hidden & local)


def evaluate_outcome(rows: pd.DataFrame, plan, donors: set[str] | None = None) -> dict:
    """The engine's evaluation and minimum detectable effect of one outcome's panel;
    ``donors``: the comparison buurten (None: every one of the analysis panel)."""
    from smartstart.analyses._effect import EffectSpec, evaluate
    from smartstart.analyses._effect_panel import EffectInputError

    panel, lacking = analysis_panel(rows, plan)
    if lacking:
        raise LackOfData("other", "treated buurten without residents of the plan's ages in "
                         "every year: " + ", ".join(lacking))
    if donors is not None:
        keep = set(donors) | set(plan.treated.buurten or ())
        panel = panel[panel["area"].isin(keep)].reset_index(drop=True)
    treated = list(plan.treated.buurten)
    spec = EffectSpec(estimator=plan.estimator, alternative=plan.alternative, alpha=plan.alpha,
                      permutations=plan.permutations, placebo_shift=plan.placebo_shift,
                      synthetic=plan.synthetic)
    try:
        result = evaluate(panel, treated, plan.start, spec)
    except EffectInputError as error:  # every reason the input cannot be evaluated, named
        raise LackOfData("other", str(error)) from None
    return {"result": result, "mde": _mde(panel, treated, plan, spec)}


#: the years a planned evaluation follows after the start when the plan names no last year
PLANNED_YEARS = 3


def planned_years(plan) -> int:
    """How many years the evaluation will follow from the start: to the plan's last year, or
    ``PLANNED_YEARS``."""
    return plan.years[1] - plan.start + 1 if plan.years is not None else PLANNED_YEARS


def planned_outcome(rows: pd.DataFrame, plan, donors: set[str]) -> dict:
    """Power before the start (the plan starts after the delivery's last year): the minimum
    detectable effect of treating the plan's buurten from its start for its planned years,
    by simulation from the observed years with the permutation test over ``donors``."""
    from smartstart.analyses._effect import EffectSpec, minimum_detectable_effect
    from smartstart.analyses._effect_panel import EffectInputError

    panel, lacking = analysis_panel(rows, plan)
    if lacking:
        raise LackOfData("other", "candidate buurten without residents of the plan's ages in "
                         "every year: " + ", ".join(lacking))
    keep = set(donors) | set(plan.treated.buurten or ())
    panel = panel[panel["area"].isin(keep)].reset_index(drop=True)
    spec = EffectSpec(estimator=plan.estimator, alternative=plan.alternative, alpha=plan.alpha,
                      permutations=plan.permutations, placebo_shift=plan.placebo_shift,
                      synthetic=False)
    try:
        mde = minimum_detectable_effect(panel, list(plan.treated.buurten), plan.start,
                                        planned_years(plan), spec)
    except EffectInputError as error:  # every reason the input cannot be evaluated, named
        raise LackOfData("other", str(error)) from None
    return {"planned": mde, "donors": len(set(donors)),
            "observed": (int(panel["year"].min()), int(panel["year"].max()))}


def _mde(panel: pd.DataFrame, treated: list[str], plan, spec):
    """The minimum detectable effect over the plan's years after the start, from the years
    before it (None when those years cannot give one: too few of them, too few donors)."""
    from smartstart.analyses._effect import minimum_detectable_effect
    from smartstart.analyses._effect_panel import EffectInputError

    after = int(panel["year"].max()) - plan.start + 1
    pre = panel[panel["year"] < plan.start]
    try:
        return minimum_detectable_effect(pre, treated, plan.start, after, spec)
    except EffectInputError:
        return None


def _hidden_treated_years(series: Published) -> set[int]:
    """Years whose treated group's counts the series does not publish."""
    frame = series.frame
    mine = frame[frame["group"] == TREATED]
    return set(mine.loc[mine[["n", "events"]].isna().any(axis=1), "year"].astype(int))


def evaluation_tables(results: dict, hidden_years: dict, plan, s) -> list[Published]:
    estimates, events, placebo, inference = [], [], [], []
    for outcome, found in results.items():
        if "planned" in found:  # not started yet: the power before the start only
            inference.append(_planned_row(outcome, found, plan))
            continue
        result = found["result"]
        estimates += _estimate_rows(outcome, result)
        events += _event_rows(outcome, result, plan.start, hidden_years.get(outcome, set()))
        placebo += [{"outcome": outcome, "quantile": q, "value": v}
                    for q, v in sorted(result.placebo_quantiles.items())]
        inference.append(_inference_row(outcome, result, found["mde"], plan))
    precise = (("estimate", ESTIMATE_DECIMALS), ("ci_low", ESTIMATE_DECIMALS),
               ("ci_high", ESTIMATE_DECIMALS), ("ci_cluster_low", ESTIMATE_DECIMALS),
               ("ci_cluster_high", ESTIMATE_DECIMALS), ("p_value", P_DECIMALS),
               ("p_cluster", P_DECIMALS), ("relative", RELATIVE_DECIMALS))
    tables = []
    if estimates:
        tables += [_publish("effect_estimates", pd.DataFrame(estimates), precise, s),
                   _publish("effect_event_study", pd.DataFrame(events), precise, s),
                   _publish("effect_placebo", pd.DataFrame(placebo),
                            (("value", ESTIMATE_DECIMALS),), s)]
    return [*tables, _publish("effect_inference", pd.DataFrame(inference),
                              (("smallest_p", P_DECIMALS), ("pretrend_p", P_DECIMALS),
                               ("pretrend_p_cluster", P_DECIMALS), ("mde", ESTIMATE_DECIMALS),
                               ("mde_relative", RELATIVE_DECIMALS),
                               ("baseline", RATE_DECIMALS)), s)]


def _publish(name: str, frame: pd.DataFrame, precision: tuple, s,
             counts: tuple[str, ...] = (), cells: dict | None = None) -> Published:
    """A table of statistics at their stated precision (and ``counts``, declared by
    ``cells``, under the threshold) through the gate."""
    stated = tuple((c, d) for c, d in precision if c in frame.columns)
    for column, digits in stated:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").round(digits)
    return protect_frame(name, frame, Rules(counts=counts, precision=stated, cells=cells),
                         settings=s, kind="table")


def _estimate_rows(outcome: str, result) -> list[dict]:
    rows = []
    baseline = result.baseline
    methods = [*result.estimates, *([result.placebo_time] if result.placebo_time else [])]
    for e in methods:
        rows.append({"outcome": outcome, "method": e.method,
                     "headline": e.method == result.headline.method,
                     "estimate": e.estimate, "ci_low": e.ci[0], "ci_high": e.ci[1],
                     "p_value": e.p_value, "p_cluster": e.p_cluster,
                     "ci_cluster_low": e.ci_cluster[0], "ci_cluster_high": e.ci_cluster[1],
                     "relative": e.estimate / baseline if baseline > 0 else math.nan})
    return rows


def _event_rows(outcome: str, result, start: int, hidden: set[int]) -> list[dict]:
    rows = []
    for r in result.event_study.itertuples(index=False):
        blank = (start + int(r.event_time)) in hidden
        values = [math.nan if blank else v for v in (r.estimate, r.ci_low, r.ci_high,
                                                     r.p_value)]
        rows.append({"outcome": outcome, "event_time": int(r.event_time),
                     "year": start + int(r.event_time),
                     **dict(zip(("estimate", "ci_low", "ci_high", "p_value"), values,
                                strict=True))})
    # the reference year (event time -1) is 0 by construction
    rows.append({"outcome": outcome, "event_time": -1, "year": start - 1, "estimate": 0.0,
                 "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan})
    return sorted(rows, key=lambda r: r["event_time"])


def unit_of(outcome: str) -> str:
    """``person`` (a person's own events) or ``household`` (also their household's on
    1 January): what the report says the outcome counts."""
    from smartstart.features._library import library

    return str(library().outcomes[outcome].unit)


def _inference_row(outcome: str, result, mde, plan) -> dict:
    inf, pre = result.inference, result.pretrend
    status = getattr(inf.status, "value", inf.status)
    row = {"outcome": outcome, "unit": unit_of(outcome), "estimator": plan.estimator,
           "treated_areas": result.treated,
           "comparison_areas": result.donors, "assignments": inf.assignments,
           "distinct": inf.distinct, "exhaustive": bool(inf.exhaustive),
           "smallest_p": inf.min_p, "pool_status": str(status), "alternative": inf.alternative,
           "alpha": inf.alpha, "pretrend_leads": pre.leads, "pretrend_p": pre.p_permutation,
           "pretrend_p_cluster": pre.p_cluster, "first_year": min(result.years),
           "last_year": max(result.years), "start": plan.start,
           "mde": math.nan, "mde_relative": math.nan, "stage": "evaluated",
           "planned_last_year": math.nan}
    if mde is not None:  # signed: negative is a reduction; relative to the expected rate
        row["mde"], row["mde_relative"] = float(mde.mde), float(mde.relative)
    return row


def _planned_row(outcome: str, found: dict, plan) -> dict:
    """The inference row of an evaluation not started yet: its footing and the MDE over the
    planned years (``baseline``: the candidates' expected rate, a share)."""
    mde = found["planned"]
    inf = mde.inference
    return {"outcome": outcome, "unit": unit_of(outcome), "estimator": plan.estimator,
            "treated_areas": len(plan.treated.buurten), "comparison_areas": found["donors"],
            "assignments": inf.assignments, "distinct": inf.distinct,
            "exhaustive": bool(inf.exhaustive), "smallest_p": inf.min_p,
            "pool_status": str(getattr(inf.status, "value", inf.status)),
            "alternative": inf.alternative, "alpha": inf.alpha, "pretrend_leads": 0,
            "pretrend_p": math.nan, "pretrend_p_cluster": math.nan,
            "first_year": found["observed"][0], "last_year": found["observed"][1],
            "start": plan.start, "mde": float(mde.mde), "mde_relative": float(mde.relative),
            "stage": "planned", "planned_last_year": plan.start + planned_years(plan) - 1,
            "baseline": mde.baseline / 100}
