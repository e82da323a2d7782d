"""Section "Werkt het?": the monitor's time series (treated buurten, the rest of the
municipality, comparison buurten elsewhere) with the start marked, the rate per buurt and year,
the effect with its permutation interval and p-value, the event study, the placebo's quantiles,
the minimum detectable effect, and in plain words what can and cannot be concluded.

Everything is read from the bundle's published tables (``effect_*``) and the plan in the
manifest; a hidden cell stays hidden (its label is shown).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from smartstart.report import _charts as charts
from smartstart.report._source import Source, data_table
from smartstart.report._text import interval, missing, number, percent, t, texts
from smartstart.report._types import Bullets, DataTable, Figures, Lang, Part, Text

GROUPS = ("treated", "rest", "elsewhere")
COLORS = (charts.ORANGE, charts.BLUE, charts.GREY)
#: a treated group's series (outputs/_effect_group.py), in the same colours
GROUP_SERIES = ("clients", "others")


def _plan(src: Source) -> dict:
    return src.pilot.get("effect") or {}


def is_group(src: Source) -> bool:
    """The plan's treated are a group of persons (a partner file), not buurten."""
    return bool((_plan(src).get("treated") or {}).get("partner_file"))


def is_planned(src: Source) -> bool:
    """The evaluation has not started: the bundle holds the monitor and the power before the
    start (``effect_inference`` rows of stage ``planned``), no estimates."""
    inference = src.table("effect_inference")
    return (inference is not None and inference.has("stage") and not src.has("effect_estimates")
            and bool((inference.frame["stage"] == "planned").all()))


def _k(src: Source, key: str) -> str:
    """The text key for this plan: ``key_group`` (text_effect_group.yaml) for a treated
    group, ``key_planned`` (text_effect_planned.yaml) before the start, where they exist."""
    for suffix, applies in (("_group", is_group), ("_planned", is_planned)):
        if f"{key}{suffix}" in texts() and applies(src):
            return f"{key}{suffix}"
    return key


def _household(src: Source, lang: Lang) -> str:
    treated = _plan(src).get("treated") or {}
    return t("effect_monitor_household_group", lang) if treated.get("household", True) else ""


def _outcomes(src: Source) -> list[str]:
    return [str(o) for o in _plan(src).get("outcomes") or ()]


def _words(src: Source, outcome: str, lang: Lang) -> dict:
    """The outcome's words: the pilot's outcome's when it is the same, else its name."""
    pilot = src.pilot.get("outcome") or {}
    if isinstance(pilot, dict) and pilot.get("name") == outcome:
        return {"outcome": str(pilot.get(lang) or outcome),
                "outcome_short": str(pilot.get(f"{lang}_short") or outcome)}
    words = (src.pilot.get("effect_words") or {}).get(outcome)
    if isinstance(words, dict) and words.get(lang):
        return {"outcome": str(words[lang]),
                "outcome_short": str(words.get(f"{lang}_short") or words[lang])}
    return {"outcome": outcome.replace("_", " "), "outcome_short": outcome.replace("_", " ")}


def _buurt(code: object, lang: Lang, src: Source | None = None) -> str:
    """A buurt's name from the bundle's labels (a boundaries file names them), else its code
    ("buurt 07840101")."""
    if src is not None:
        words = src.bundle.labels()
        if words is not None and len(words):
            named = words[(words["variable"] == "buurt") & (words["level"] == str(code))]
            if len(named) and str(named[f"label_{lang}"].iloc[0]).strip():
                return str(named[f"label_{lang}"].iloc[0])
    return t("effect_buurt", lang, code=code)


def monitor(src: Source, lang: Lang) -> Part | None:
    """The time series per outcome, each with its data and the rate per buurt and year."""
    plan = _plan(src)
    outcomes = [o for o in _outcomes(src) if src.has(f"effect_series_{o}")]
    if not outcomes:
        return None
    words = _words(src, outcomes[0], lang)
    ages = plan.get("ages") or (0, 17)
    part = Part(t("effect_monitor_title", lang, **words), "werkt-het-monitor")
    population = (src.pilot.get("population_words") or {}).get(f"{lang}_short") or ""
    treated = plan.get("treated") or {}
    part.paragraphs.append(t(_k(src, "effect_monitor_text"), lang, population=population,
                             ages=f"{ages[0]}–{ages[1]}", start=plan.get("start"),
                             treated=", ".join(_buurt(b, lang, src) for b in
                                               treated.get("buurten") or ()),
                             partner=treated.get("partner_file") or "",
                             household=_household(src, lang), **words))
    for outcome in outcomes:
        if ((src.pilot.get("effect_words") or {}).get(outcome) or {}).get("unit") == "household":
            part.blocks.append(Text(t("effect_household_note", lang,
                                      **_words(src, outcome, lang))))
        part.blocks.append(_series_figure(src, outcome, int(plan.get("start")), lang))
        if src.has(f"effect_monitor_{outcome}"):
            part.blocks.append(_buurten_table(src, outcome, lang))
    part.blocks.append(Text(t(_k(src, "effect_hidden_note"), lang)))
    return part


def _series_figure(src: Source, outcome: str, start: int, lang: Lang):
    import altair as alt  # deferred: altair takes seconds to import

    name = f"effect_series_{outcome}"
    table = src.require(name, "year", "group", "n", "events", "rate")
    frame = table.frame
    words = _words(src, outcome, lang)
    groups = GROUP_SERIES if is_group(src) else GROUPS
    labels = {g: t(_k(src, f"effect_group_{g}"), lang) for g in groups}
    shown = frame[frame["rate"].notna()].assign(label=lambda d: d["group"].map(labels))
    names = [labels[g] for g in groups if g in set(frame["group"])]
    color = alt.Color("label:N", sort=names, title=None,
                      scale=alt.Scale(domain=names, range=list(COLORS[:len(names)])),
                      legend=alt.Legend(labelLimit=400))
    x = alt.X("year:O", title=t("effect_axis_year", lang))
    lines = alt.Chart(shown).mark_line(point=alt.OverlayMarkDef(filled=True, size=50)).encode(
        x=x, y=alt.Y("rate:Q", title=t("effect_axis_rate", lang, **words),
                     axis=alt.Axis(format=".1%")), color=color)
    layers = [lines]
    if start in set(frame["year"].astype(int)):  # before the start: no line to draw
        layers.append(alt.Chart(pd.DataFrame({"year": [start]})).mark_rule(
            color=charts.GREY, strokeDash=[4, 3], strokeWidth=2).encode(x=alt.X("year:O")))
    chart = alt.layer(*layers).properties(width=charts.WIDTH - 80, height=260)
    caption = t(_k(src, "effect_monitor_caption"), lang, **words)
    rows = [i for i in range(len(frame))]
    columns = ((t("effect_year", lang), "year", "text"), (t("effect_group", lang), "group", "text"),
               (t("effect_n", lang), "n", "int"),
               (t("effect_events", lang, **words), "events", "int"),
               (t("effect_rate", lang), "rate", "pct1"))
    data = data_table(table, caption, columns, rows)
    body = tuple((r[0], labels.get(r[1], r[1]), *r[2:]) for r in data.rows)
    figure = charts.figure(f"fig-effect-series-{outcome}", caption, caption, chart,
                           replace(data, rows=body), lang)
    return replace(figure, source=name)


def _buurten_table(src: Source, outcome: str, lang: Lang) -> DataTable:
    """Buurten x years: the rate as published (hidden cells keep their label)."""
    table = src.require(f"effect_monitor_{outcome}", "year", "area", "group", "rate")
    frame = table.frame
    years = sorted(frame["year"].astype(int).unique())
    order = frame.sort_values(["group", "area"], key=lambda c: c.map(
        {"treated": 0, "rest": 1}) if c.name == "group" else c)[["area", "group"]]
    rows = []
    for area, group in order.drop_duplicates().itertuples(index=False):
        name = _buurt(area, lang, src)
        label = t("effect_treated_mark", lang, name=name) if group == "treated" else name
        cells = []
        for year in years:
            at = frame.index[(frame["area"] == area) & (frame["year"].astype(int) == year)]
            position = frame.index.get_loc(at[0]) if len(at) else None
            cells.append(table.show(position, "rate", "pct") if position is not None else "")
        rows.append((label, *cells))
    words = _words(src, outcome, lang)
    return DataTable(t("effect_buurten_caption", lang, **words),
                     (t("effect_area", lang), *map(str, years)), tuple(rows),
                     (False, *([True] * len(years))))


def _pp(value: object, lang: Lang) -> str:
    """Percentage points at their published precision (0.1)."""
    return number(float(value), lang, 1) if not missing(value) else "–"


def _p(value: object, lang: Lang) -> str:
    return number(float(value), lang, 3) if not missing(value) else "–"


def estimate(src: Source, lang: Lang) -> Part | None:
    """Per outcome: the effect, its footing, what can be concluded and the placebo's
    quantiles; then the plan."""
    estimates = src.require("effect_estimates", "outcome", "method", "headline", "estimate",
                            "ci_low", "ci_high", "p_value").frame
    inference = src.table("effect_inference")
    outcomes = [o for o in _outcomes(src) if o in set(estimates["outcome"])] or list(
        dict.fromkeys(estimates["outcome"].astype(str)))
    part = None
    for outcome in outcomes:
        words = _words(src, outcome, lang)
        mine = estimates[estimates["outcome"] == outcome]
        head = mine[mine["headline"].astype(bool)].iloc[0]
        info = (inference.frame[inference.frame["outcome"] == outcome].iloc[0]
                if inference is not None else pd.Series(dtype=object))
        text = t(_k(src, "effect_estimate_text"), lang,
                 treated_n=info.get("treated_areas", "?"),
                 assignments=number(info.get("assignments", 0), lang),
                 treated_persons=_count(inference, outcome, "treated_persons", lang),
                 households=_count(inference, outcome, "treated_households", lang),
                 comparison=_count(inference, outcome, "comparison_persons", lang), **words)
        if part is None:
            part = Part(t("effect_estimate_title", lang, **words) if len(outcomes) == 1
                        else t("s7_title", lang), "werkt-het-effect")
        if len(outcomes) > 1:
            part.blocks.append(Text(t("effect_estimate_title", lang, **words)))
        part.blocks.append(Text(text))
        part.blocks.append(Figures(tuple(_figures(head, mine, info, src, lang))))
        part.blocks.append(_estimates_table(mine, src, lang))
        part.blocks.append(Bullets(tuple(_conclusions(head, mine, info, src, lang, words)),
                                   t("effect_conclusion_intro", lang)))
        if is_group(src) and inference is not None:
            part.blocks.append(_counted_table(inference, outcome, lang))
        if src.has("effect_placebo"):
            part.blocks.append(_placebo_table(src, outcome, lang))
    if part is not None:
        part.blocks.append(Text(_plan_text(src, lang)))
    return part


def _figures(head: pd.Series, mine: pd.DataFrame, info: pd.Series, src: Source,
             lang: Lang) -> list[tuple[str, str, str]]:
    ci = interval(head["ci_low"], head["ci_high"], lang, "num", 1)
    items = [(t("effect_term_estimate", lang),
              t("effect_term_estimate_is", lang, estimate=_pp(head["estimate"], lang)),
              t(_k(src, "effect_term_estimate_why"), lang, ci=ci,
                relative=_relative(head.get("relative"), lang))),
             (t("effect_term_p", lang), _p(head["p_value"], lang),
              t(_k(src, "effect_term_p_why"), lang,
                comparison_n=info.get("comparison_areas", "?"),
                smallest=_p(info.get("smallest_p"), lang),
                households=_count(src.table("effect_inference"), str(head.get("outcome", "")),
                                  "treated_households", lang) if is_group(src) else ""))]
    mde = info.get("mde")
    items.append((t("effect_term_mde", lang),
                  t(_k(src, "effect_term_mde_is"), lang, mde=_pp(mde, lang),
                    relative=_relative(info.get("mde_relative"), lang))
                  if not missing(mde) else t("effect_term_mde_none", lang),
                  t("effect_term_mde_why", lang)))
    if not missing(info.get("pretrend_p")):
        items.append((t(_k(src, "effect_term_pretrend"), lang),
                      f"p = {_p(info['pretrend_p'], lang)}",
                      t(_k(src, "effect_term_pretrend_is"), lang)))
    placebo = mine[mine["method"] == "placebo_time"]
    if len(placebo):
        row = placebo.iloc[0]
        items.append((t("effect_term_placebo_time", lang,
                        shift=_plan(src).get("placebo_shift", 2)),
                      t("effect_term_estimate_is", lang, estimate=_pp(row["estimate"], lang)),
                      t("effect_term_placebo_time_why", lang,
                        ci=interval(row["ci_low"], row["ci_high"], lang, "num", 1),
                        p=_p(row["p_value"], lang))))
    cluster = mine[(mine["method"] == "twfe") & mine["p_cluster"].notna()] if (
        "p_cluster" in mine.columns) else mine.iloc[0:0]
    if len(cluster):
        row = cluster.iloc[0]
        items.append((t("effect_term_cluster", lang),
                      f"p = {_p(row['p_cluster'], lang)}",
                      t("effect_term_cluster_why", lang,
                        ci=interval(row.get("ci_cluster_low"), row.get("ci_cluster_high"),
                                    lang, "num", 1))))
    return items


def _relative(value: object, lang: Lang) -> str:
    return percent(abs(float(value)), lang, 0) if not missing(value) else "–"


def _estimates_table(mine: pd.DataFrame, src: Source, lang: Lang) -> DataTable:
    rows = tuple((_method(r["method"], lang), _pp(r["estimate"], lang),
                  interval(r["ci_low"], r["ci_high"], lang, "num", 1), _p(r["p_value"], lang))
                 for _, r in mine.iterrows())
    return DataTable(t(_k(src, "effect_estimates_caption"), lang),
                     (t("effect_method", lang), t("effect_pp", lang), t("ci", lang),
                      t("effect_p", lang)), rows, (False, True, True, True))


def _method(name: object, lang: Lang) -> str:
    key = f"effect_method_{name}"
    try:
        return t(key, lang)
    except KeyError:
        return str(name)


def _conclusions(head: pd.Series, mine: pd.DataFrame, info: pd.Series, src: Source,
                 lang: Lang, words: dict) -> list[str]:
    alpha = float(info.get("alpha", 0.05)) if not missing(info.get("alpha")) else 0.05
    p = float(head["p_value"]) if not missing(head["p_value"]) else float("nan")
    status = str(info.get("pool_status", "ok"))
    said = []
    if is_group(src) and status == "too_small":  # no p-value: clustered with too few
        said.append(t("effect_says_no_p_group", lang, estimate=_pp(head["estimate"], lang)))
    elif p < alpha and float(head["estimate"]) < 0:
        said.append(t(_k(src, "effect_says_down"), lang, p=_p(p, lang), **words))
    elif p < alpha:
        said.append(t(_k(src, "effect_says_up"), lang, p=_p(p, lang), **words))
    else:
        said.append(t("effect_says_nothing", lang, p=_p(p, lang), **words))
    if status == "too_small" and not is_group(src):
        said.append(t("effect_says_pool_too_small", lang,
                      smallest=_p(info.get("smallest_p"), lang)))
    elif status == "coarse":
        said.append(t(_k(src, "effect_says_pool_coarse"), lang))
    if not missing(info.get("mde")):
        said.append(t(_k(src, "effect_says_mde"), lang,
                      treated_n=info.get("treated_areas", "?"),
                      households=_count(src.table("effect_inference"),
                                        str(head.get("outcome", "")), "treated_households",
                                        lang) if is_group(src) else "",
                      relative=_relative(info.get("mde_relative"), lang),
                      mde=_pp(info.get("mde"), lang)))
    pre = info.get("pretrend_p")
    if not missing(pre):
        key = "effect_says_pretrend_bad" if float(pre) < alpha else "effect_says_pretrend_ok"
        said.append(t(_k(src, key), lang, p=_p(pre, lang)))
    placebo = mine[mine["method"] == "placebo_time"]
    if len(placebo) and float(placebo.iloc[0]["p_value"]) < alpha:
        said.append(t("effect_says_placebo_bad", lang, p=_p(placebo.iloc[0]["p_value"], lang)))
    said.append(t(_k(src, "effect_says_caution"), lang))
    return said


def _count(table, outcome: str, column: str, lang: Lang) -> str:
    """A count of ``effect_inference`` for the outcome as published (a hidden one by its
    label), or "?" when the table or column is absent."""
    if table is None or not table.has("outcome", column):
        return "?"
    rows = [table.frame.index.get_loc(i) for i in
            table.frame.index[table.frame["outcome"].astype(str) == outcome]]
    return table.show(rows[0], column, "int") if rows else "?"


#: the rows of the group's "who counts" table (effect_inference's person counts)
COUNTED = ("treated_persons", "treated_households", "comparison_persons", "started_before",
           "no_year_before", "partner_rows", "partner_unlinked")


def _counted_table(inference, outcome: str, lang: Lang) -> DataTable:
    rows = tuple((t(f"effect_counted_{c}", lang), _count(inference, outcome, c, lang))
                 for c in COUNTED if inference.has(c))
    return DataTable(t("effect_counted_caption_group", lang),
                     (t("effect_counted_what", lang), t("effect_counted_number", lang)), rows,
                     (False, True))


def _placebo_table(src: Source, outcome: str, lang: Lang) -> DataTable:
    frame = src.require("effect_placebo", "outcome", "quantile", "value").frame
    mine = frame[frame["outcome"] == outcome]
    rows = tuple((number(float(r["quantile"]), lang, 3), _pp(r["value"], lang))
                 for _, r in mine.iterrows())
    return DataTable(t("effect_placebo_caption", lang),
                     (t("effect_quantile", lang), t("effect_value", lang)), rows, (False, True))


def _plan_text(src: Source, lang: Lang) -> str:
    plan = _plan(src)
    population = (src.pilot.get("population_words") or {}).get(f"{lang}_short") or ""
    if is_group(src):
        treated = plan.get("treated") or {}
        return t("effect_plan_text_group", lang, start=plan.get("start"),
                 partner=treated.get("partner_file"), household=_household(src, lang),
                 start_column=treated.get("start_column", "startdatum"),
                 population=population, method=_method(plan.get("estimator"), lang),
                 hash=plan.get("plan_sha256", "–"))
    return t("effect_plan_text", lang, start=plan.get("start"),
             treated=", ".join(_buurt(b, lang, src) for b in
                               (plan.get("treated") or {}).get("buurten") or ()),
             pool=t(f"effect_pool_{plan.get('pool', 'region')}", lang),
             min_units=plan.get("min_units"), population=population,
             method=_method(plan.get("estimator"), lang),
             permutations=number(plan.get("permutations", 0), lang),
             hash=plan.get("plan_sha256", "–"))


def power(src: Source, lang: Lang) -> Part | None:
    """Before the start: per outcome the minimum detectable effect of the planned evaluation,
    its footing, and what it means for the choice of buurten."""
    if not is_planned(src):
        return None
    table = src.require("effect_inference", "outcome", "mde", "mde_relative", "start",
                        "planned_last_year", "first_year", "last_year", "comparison_areas")
    frame = table.frame
    part = Part(t("effect_power_title", lang), "werkt-het-vooraf")
    population = (src.pilot.get("population_words") or {}).get(f"{lang}_short") or ""
    for index in range(len(frame)):
        row = frame.iloc[index]
        words = _words(src, str(row["outcome"]), lang)
        years = {"first": int(row["first_year"]), "last": int(row["last_year"]),
                 "start": int(row["start"]), "end": int(row["planned_last_year"])}
        if len(frame) > 1:
            part.blocks.append(Text(t("effect_estimate_title", lang, **words)))
        part.blocks.append(Text(t("effect_power_text", lang,
                                  comparison_n=int(row["comparison_areas"]), **years)))
        items = [(t("effect_term_mde", lang),
                  t("effect_term_mde_is", lang, mde=_pp(row["mde"], lang),
                    relative=_relative(row["mde_relative"], lang)),
                  t("effect_power_mde_why", lang))]
        if table.has("baseline") and not missing(row.get("baseline")):
            items.append((t("effect_power_baseline", lang), table.show(index, "baseline", "pct1"),
                          t("effect_power_baseline_why", lang, **years, **words)))
        items.append((t("effect_power_smallest_p", lang), _p(row.get("smallest_p"), lang),
                      t("effect_power_smallest_p_why", lang,
                        treated_n=row.get("treated_areas", "?"),
                        comparison_n=int(row["comparison_areas"]),
                        assignments=number(row.get("assignments", 0), lang))))
        part.blocks.append(Figures(tuple(items)))
        part.blocks.append(Bullets(tuple(power_says(row, lang, words, population)),
                                   t("effect_conclusion_intro", lang)))
    part.blocks.append(Text(_plan_text(src, lang)))
    return part


def power_says(row: pd.Series, lang: Lang, words: dict, population: str) -> list[str]:
    """What the power before the start means, from the published row."""
    said = []
    if not missing(row.get("mde")):
        said.append(t("effect_power_says", lang, relative=_relative(row["mde_relative"], lang),
                      mde=_pp(row["mde"], lang), end=int(row["planned_last_year"]), **words))
        if not missing(row.get("mde_relative")) and abs(float(row["mde_relative"])) >= 0.5:
            said.append(t("effect_power_says_large", lang))
    else:
        said.append(t("effect_term_mde_none", lang))
    status = str(row.get("pool_status", "ok"))
    if status == "too_small":
        said.append(t("effect_says_pool_too_small", lang,
                      smallest=_p(row.get("smallest_p"), lang)))
    elif status == "coarse":
        said.append(t("effect_says_pool_coarse", lang))
    said.append(t("effect_power_caution", lang, population=population))
    return said


def event_study(src: Source, lang: Lang) -> Part | None:
    """Per outcome: the effect per year since the start, with the start marked."""
    table = src.require("effect_event_study", "outcome", "event_time", "estimate",
                        "ci_low", "ci_high", *(() if is_group(src) else ("year",)))
    frame = table.frame
    outcomes = [o for o in _outcomes(src) if o in set(frame["outcome"])] or list(
        dict.fromkeys(frame["outcome"].astype(str)))
    part = Part(t("effect_events_title", lang), "werkt-het-per-jaar",
                [t(_k(src, "effect_events_text"), lang)])
    for outcome in outcomes:
        part.blocks.append(_event_figure(src, table, outcome, lang))
        if frame.loc[frame["outcome"] == outcome, "estimate"].isna().any():
            part.blocks.append(Text(t(_k(src, "effect_events_hidden"), lang)))
    return part


def _event_figure(src: Source, table, outcome: str, lang: Lang):
    import altair as alt  # deferred: altair takes seconds to import

    frame = table.frame
    words = _words(src, outcome, lang)
    mine = frame[frame["outcome"] == outcome]
    start = int(_plan(src).get("start"))
    shown = mine[mine["estimate"].notna()]
    # a group's starts are staggered: its axis is the years since each one's own start
    axis = "event_time" if is_group(src) else "year"
    x = alt.X(f"{axis}:O", title=t("effect_axis_event_time" if is_group(src)
                                   else "effect_axis_year", lang))
    y = alt.Y("estimate:Q", title=t("effect_pp", lang))
    bars = alt.Chart(shown.dropna(subset=["ci_low", "ci_high"])).mark_rule(
        strokeWidth=2, color=charts.BLUE).encode(x=x, y=alt.Y("ci_low:Q"), y2="ci_high:Q")
    points = alt.Chart(shown).mark_point(filled=True, size=70, color=charts.BLUE,
                                         opacity=1).encode(x=x, y=y)
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(
        color=charts.GREY).encode(y=alt.Y("zero:Q"))
    marker = alt.Chart(pd.DataFrame({axis: [0 if is_group(src) else start]})).mark_rule(
        color=charts.GREY, strokeDash=[4, 3], strokeWidth=2).encode(x=alt.X(f"{axis}:O"))
    chart = alt.layer(zero, marker, bars, points).properties(width=charts.WIDTH - 80,
                                                             height=260)
    caption = t("effect_events_caption", lang, **words)
    rows = [frame.index.get_loc(i) for i in mine.index]
    first = ((t("effect_axis_event_time", lang), "event_time", "text") if is_group(src)
             else (t("effect_year", lang), "year", "text"))
    data = data_table(table, caption, (first,
                                       (t("effect_pp", lang), "estimate", "num1"),
                                       (t("ci", lang), "ci_low", "num1"),
                                       ("", "ci_high", "num1")), rows)
    body = tuple((r[0], r[1], f"{r[2]} – {r[3]}".strip(" –")) for r in data.rows)
    data = DataTable(caption, data.columns[:3], body, (False, True, True))
    return charts.figure(f"fig-effect-events-{outcome}", caption, caption, chart, data, lang)
