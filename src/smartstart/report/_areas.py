"""Section "Waar beginnen we?": the areas ranked by the pilot's measure with raw and shrunk
rates and their intervals, the chosen areas with why, the near misses that cannot be told
apart, and the caution that an area measure describes places, not people.

Areas are named by their code ("buurt 07840101") until a boundaries file gives their names
(``labels.csv``); the map is ``_map.py``'s.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from smartstart.report import _charts as charts
from smartstart.report._map import map_blocks
from smartstart.report._pilot import whole
from smartstart.report._risk import factor_labels
from smartstart.report._source import Source
from smartstart.report._text import interval, missing, number, percent, t, term
from smartstart.report._types import Bullets, DataTable, Lang, Part, Text

#: the measure's table and its columns: (output, n, events, rate prefix)
MEASURES = {"outcome": ("areas_children", "children", "outcome_events", "outcome"),
            "target_group": ("areas_households", "households", "target_households", "target")}
RANKED = "chosen", "near_miss", "eligible", "too_few", "few_schools"
#: the counts each area's row shows beside the measure: (output, column, header key); a table
#: the bundle lacks (no school-location file) is left out
CONTEXT = (("areas_residents", "residents", "areas_residents"),
           ("areas_households", "households", "areas_n_target_group"),
           ("areas_children", "children", "areas_n_outcome"),
           ("areas_schools", "schools", "areas_schools"))


def _config(src: Source) -> dict:
    areas = src.pilot.get("areas") or {}
    level = areas.get("level", "buurt")
    words = src.bundle.labels()
    named = words[(words["variable"] == level) & (words["level"] != "")]
    return {"level": level, "measure": areas.get("measure", "outcome"),
            "select": areas.get("select") or {},
            # what an area is compared with: the municipality, the region or all of them
            "whole": whole(src),
            # the library's names of the level's codes (municipalities), from labels.csv
            "names": {lang: dict(zip(named["level"], named[f"label_{lang}"], strict=True))
                      for lang in ("nl", "en")}}


def _measure(src: Source, cfg: dict, lang: Lang) -> str:
    outcome = src.pilot.get("outcome") or {}
    words = outcome.get(lang) if isinstance(outcome, dict) else None
    return t(f"areas_measure_{cfg['measure']}", lang,
             outcome=str(words or t("outcome_default", lang)))


def _name(cfg: dict, code: object, lang: Lang) -> str:
    """An area's name from the bundle's labels, else its level and code ("buurt 07840101")."""
    known = cfg["names"][lang].get(str(code))
    return known or t(f"areas_{cfg['level']}", lang, code=code)


def _rank(row: pd.Series, lang: Lang) -> str:
    low, high = int(row["rank_low"]), int(row["rank_high"])
    return f"{int(row['rank'])} ({low}–{high})" if low != high else str(int(row["rank"]))


def ranking(src: Source, lang: Lang) -> Part | None:
    cfg = _config(src)
    name, n, events, prefix = MEASURES[cfg["measure"]]
    table = src.require(name, "area", n, events, "shrunk", "rank", "status")
    frame = table.frame
    ranked = frame[frame["status"].isin(RANKED) & frame["rank"].notna()].sort_values("rank")
    words = {"measure": _measure(src, cfg, lang),
             "level": t(f"areas_level_{cfg['level']}", lang),
             "whole_of": term("whole_of", cfg["whole"], lang)}
    part = Part(t("areas_ranking_title", lang, **words), "gebieden-rangorde",
                [t("areas_ranking_text", lang, **words)])
    part.blocks.extend(map_blocks(src, cfg, lang, words))  # the map, or why there is none
    if ranked.empty:
        part.paragraphs.append(t("areas_none_ranked", lang, **words))
    else:
        part.paragraphs.append(t("areas_ranked_of", lang, ranked=len(ranked), total=len(frame),
                                 **words))
        part.blocks.append(_chart(ranked, cfg, prefix, lang, words))
    rest = frame.drop(index=ranked.index)
    context = _context(src)
    rows = [_row(table, frame.index.get_loc(i), cfg, events, prefix, lang, context)
            for i in (*ranked.index, *rest.index)]
    caption = t("areas_table_caption", lang, **words)
    head = (t(f"areas_level_{cfg['level']}_one", lang),
            *(t(key, lang) for _, _, key in context),
            t(f"areas_events_{cfg['measure']}", lang), t("areas_raw", lang),
            t("areas_shrunk", lang), t("areas_rank", lang), t("areas_status", lang))
    part.blocks.append(DataTable(caption, head, tuple(rows),
                                 (False, *([True] * (len(context) + 5)), False)))
    part.blocks.append(Text(t("areas_shrunk_explained", lang)))
    return part


def _context(src: Source) -> list[tuple[object, str, str]]:
    """(table, column, header key) of the counts shown beside the measure, when published."""
    out = []
    for name, column, key in CONTEXT:
        table = src.table(name)
        if table is not None and table.has("area", column):
            out.append((table, column, key))
    return out


def _counts(context, area: object) -> list[str]:
    """The area's cell of each context count, as published (a hidden one by its label)."""
    cells = []
    for table, column, _ in context:
        where = list(table.frame["area"].astype(str)).index(str(area)) if str(area) in set(
            table.frame["area"].astype(str)) else None
        cells.append("" if where is None else table.show(where, column, "int"))
    return cells


def _row(table, position: int, cfg: dict, events: str, prefix: str, lang: Lang,
         context) -> tuple[str, ...]:
    row = table.frame.iloc[position]
    status = str(row["status"])
    raw = table.show(position, f"{prefix}_rate", "pct1")
    shrunk = table.show(position, "shrunk", "pct1")
    return (_name(cfg, row["area"], lang), *_counts(context, row["area"]),
            table.show(position, events, "int"),
            f"{raw} {table.span(position, f'{prefix}_low', f'{prefix}_high', 'pct1')}".strip(),
            f"{shrunk} {table.span(position, 'shrunk_low', 'shrunk_high', 'pct1')}".strip(),
            _rank(row, lang) if not missing(row["rank"]) else table.show(position, "rank"),
            t(f"areas_status_{status}", lang))


def _chart(ranked: pd.DataFrame, cfg: dict, prefix: str, lang: Lang, words: dict):
    labels = [_name(cfg, a, lang) for a in ranked["area"]]
    # the chart draws the expected figure's interval only (two intervals on one line would
    # hide each other); the table under it holds both
    raw = pd.DataFrame({"label": labels, "series": t("areas_raw", lang),
                        "value": ranked[f"{prefix}_rate"].to_numpy(), "low": float("nan"),
                        "high": float("nan")})
    shrunk = pd.DataFrame({"label": labels, "series": t("areas_shrunk", lang),
                           "value": ranked["shrunk"].to_numpy(),
                           "low": ranked["shrunk_low"].to_numpy(),
                           "high": ranked["shrunk_high"].to_numpy()})
    data = pd.concat([shrunk, raw], ignore_index=True)
    chart = charts.dots(data, "label", "series", "value", t("areas_axis", lang, **words),
                        fmt=".1%", low="low", high="high")
    caption = t("areas_chart_caption", lang, **words)
    bounds = pd.concat([shrunk[["low", "high"]], pd.DataFrame({
        "low": ranked[f"{prefix}_low"].to_numpy(), "high": ranked[f"{prefix}_high"].to_numpy()})],
        ignore_index=True)
    rows = tuple((r["label"], percent(r["value"], lang, 1),
                  interval(b["low"], b["high"], lang, "pct", 1), str(r["series"]))
                 for (_, r), (_, b) in zip(data.iterrows(), bounds.iterrows(), strict=True))
    table = DataTable(caption, (t(f"areas_level_{cfg['level']}_one", lang), t("areas_rate", lang),
                                t("ci", lang), t("areas_kind", lang)), rows,
                      (False, True, True, False))
    figure = charts.figure("fig-gebieden", caption, caption, chart, table, lang)
    # drawn from the measure's table (households for the target group's share)
    return replace(figure, source=MEASURES[cfg["measure"]][0])


def choice(src: Source, lang: Lang) -> Part | None:
    cfg = _config(src)
    name, *_ = MEASURES[cfg["measure"]]
    frame = src.require(name, "area", "status", "rank", "rank_low", "rank_high").frame
    chosen = frame[frame["status"] == "chosen"].sort_values("rank")
    near = frame[frame["status"] == "near_miss"].sort_values("rank")
    part = Part(t("areas_choice_title", lang), "gebieden-keuze", [_rule(cfg, lang)])
    if chosen.empty:
        part.paragraphs.append(t("areas_none_chosen", lang))
        return part
    context = _context(src)
    part.blocks.append(Bullets(tuple(_why(r, cfg, lang, context) for _, r in chosen.iterrows()),
                               t("areas_chosen_intro", lang)))
    apart = _not_apart(pd.concat([chosen, near]), cfg, lang)
    if not near.empty:
        last = chosen.iloc[-1]
        part.blocks.append(Bullets(tuple(t("areas_near_miss", lang, area=_name(
            cfg, r["area"], lang), last=_name(cfg, last["area"], lang))
            for _, r in near.iterrows()), t("areas_near_intro", lang)))
    if apart:
        part.blocks.append(Bullets(tuple(apart), t("areas_apart_intro", lang)))
    passed = _passed_over(frame, chosen, cfg, lang, context)
    if passed:
        part.blocks.append(Bullets(tuple(passed), t("areas_passed_intro", lang)))
    part.blocks.append(Text(t("areas_caution", lang)))
    return part


def _rule(cfg: dict, lang: Lang) -> str:
    select = cfg["select"]
    top, above = select.get("top"), bool(select.get("above_municipality"))
    level = t(f"areas_level_{cfg['level']}", lang)
    if above:
        text = t("areas_rule_above", lang, level=level,
                 whole_of=term("whole_of", cfg["whole"], lang))
        if top:
            text += " " + t("areas_rule_above_top", lang, top=top)
    else:
        text = t("areas_rule_top", lang, top=top or 3, level=level)
    minimum = int(select.get("min_children") or 0)
    if minimum:
        text += " " + t(f"areas_rule_min_{cfg['measure']}", lang, n=number(minimum, lang))
    schools = int(select.get("min_schools") or 0)
    if schools:
        text += " " + t("areas_rule_min_schools", lang, n=number(schools, lang))
    return text


def _why(row: pd.Series, cfg: dict, lang: Lang, context=()) -> str:
    key = "areas_why_above" if cfg["select"].get("above_municipality") else "areas_why_top"
    text = t(key, lang, area=_name(cfg, row["area"], lang),
             rate=percent(row["shrunk"], lang, 1),
             ci=interval(row["shrunk_low"], row["shrunk_high"], lang, "pct", 1),
             rank=_rank(row, lang), whole_of=term("whole_of", cfg["whole"], lang))
    counts = [t(f"{key}_count", lang, n=cell) for (_, _, key), cell
              in zip(context, _counts(context, row["area"]), strict=True) if cell]
    if counts:
        text += " " + t("areas_why_counts", lang, counts=", ".join(counts))
    schools = int(cfg["select"].get("min_schools") or 0)
    if schools:
        text += " " + t("areas_why_schools", lang, n=number(schools, lang))
    return text


def _passed_over(frame: pd.DataFrame, chosen: pd.DataFrame, cfg: dict, lang: Lang,
                 context) -> list[str]:
    """Areas the rule left out (too few children or schools) that rank above the last chosen
    one or within the rule's top, with their counts: why a high figure was not chosen."""
    top = cfg["select"].get("top") or 3
    last = max(chosen["rank"].max(), top)
    left = frame[frame["status"].isin(("too_few", "few_schools")) & (frame["rank"] <= last)]
    out = []
    for _, row in left.sort_values("rank").iterrows():
        counts = [t(f"{key}_count", lang, n=cell) for (_, _, key), cell
                  in zip(context, _counts(context, row["area"]), strict=True) if cell]
        out.append(t(f"areas_passed_{row['status']}", lang, area=_name(cfg, row["area"], lang),
                     rank=_rank(row, lang), counts=", ".join(counts)))
    return out


def _not_apart(rows: pd.DataFrame, cfg: dict, lang: Lang) -> list[str]:
    """A plain sentence per pair of neighbours in the ranking whose rank intervals overlap."""
    rows = rows.sort_values("rank")
    out = []
    for (_, a), (_, b) in zip(rows.iloc[:-1].iterrows(), rows.iloc[1:].iterrows(), strict=True):
        if a["rank_high"] >= b["rank_low"]:
            out.append(t("areas_not_apart", lang, a=_name(cfg, a["area"], lang),
                         b=_name(cfg, b["area"], lang)))
    return out


def factors(src: Source, lang: Lang) -> Part | None:
    """The main risk factors' prevalence per area (children of the population)."""
    table = src.require("areas_children", "area", "children")
    cfg = _config(src)
    frame = table.frame
    names = [c[: -len("_rate")] for c in frame.columns if c.endswith("_rate")
             and c != "outcome_rate"]
    if not names:
        return None
    labels = {**factor_labels(src, lang), HIGH_RISK: _high_risk_label(src, lang)}
    part = Part(t("areas_factors_title", lang), "gebieden-factoren",
                [t("areas_factors_text", lang)])
    head = (t(f"areas_level_{cfg['level']}_one", lang), t("areas_n_outcome", lang),
            *(labels.get(f, f) for f in names))
    rows = tuple((_name(cfg, frame["area"].iloc[i], lang),
                  table.show(i, "children", "int"),
                  *(_both(table, i, f) for f in names)) for i in range(len(frame)))
    part.blocks.append(DataTable(t("areas_factors_caption", lang), head, rows,
                                 (False, *([True] * (len(names) + 1)))))
    return part


#: the column of the high-risk combination's children in areas_children
HIGH_RISK = "high_risk"


def _both(table, i: int, factor: str) -> str:
    """The measured prevalence with the expected (shrunk) one in brackets when published."""
    raw = table.show(i, f"{factor}_rate", "pct")
    shrunk = table.value(i, f"{factor}_shrunk") if table.has(f"{factor}_shrunk") else None
    return raw if shrunk is None or missing(shrunk) else (
        f"{raw} ({table.show(i, f'{factor}_shrunk', 'pct')})")


def _high_risk_label(src: Source, lang: Lang) -> str:
    """The high-risk combination in words, from the factors the table declares it counts."""
    output = next((o for o in src.bundle.outputs if o["name"] == "areas_children"), {})
    terms = (((output.get("rules") or {}).get("cells") or {}).get("columns") or {}).get(
        HIGH_RISK) or []
    factors = [c[0] for _, conditions in terms[:1] for c in conditions]
    labels = factor_labels(src, lang)
    words = [str(labels.get(f, f)).lower() for f in factors]
    joined = (" en " if lang == "nl" else " and ").join(words)
    return t("areas_high_risk", lang, factors=joined)
