"""Section 3, the risk model: odds ratios, performance and calibration, high-risk combinations
and the profile of the high-risk group."""

from __future__ import annotations

import pandas as pd

from smartstart.report import _charts as charts
from smartstart.report._pilot import _figure, _long, _share_table, clear_differences
from smartstart.report._source import Source, data_table, label_column
from smartstart.report._text import interval, missing, number, t
from smartstart.report._types import Bullets, DataTable, Figures, Lang, Part, Text

TOP_COMBINATIONS = 10


def factor_labels(src: Source, lang: Lang) -> dict[str, str]:
    """Factor name -> label: the bundle's ``labels.csv`` (the library's words), else the
    profiles in the bundle (rows of a whole factor, bundles made before labels.csv)."""
    words = src.bundle.labels()
    whole = words[words["level"] == ""]
    labels: dict[str, str] = dict(zip(whole["variable"], whole[f"label_{lang}"], strict=True))
    for name in ("high_risk_profile", "profile_households"):
        table = src.table(name)
        if table is None or not table.has("factor", f"label_{lang}"):
            continue
        frame = table.frame
        whole = frame["level"].map(missing) if "level" in frame.columns else True
        for factor, label in zip(frame.loc[whole, "factor"], frame.loc[whole, f"label_{lang}"],
                                 strict=True):
            labels.setdefault(str(factor), str(label))
    return labels


def odds_ratios(src: Source, lang: Lang) -> Part:
    table = src.require("risk_coefficients", "term", "odds_ratio", "or_low", "or_high")
    part = Part(t("or_title", lang), "oddsratios", [t("or_text", lang), *_not_used(src, lang)])
    labels = factor_labels(src, lang)
    names = table.frame.get("factor", table.frame["term"]).astype(str)
    fallback = [labels.get(n, n) for n in names]
    shown = label_column(table.frame.assign(fallback=fallback), lang, "fallback")
    table = table.assign(label=shown)
    keep = [i for i, term in enumerate(table.frame["term"]) if term != "const"]
    rows = table.frame.iloc[keep].dropna(subset=["odds_ratio", "or_low", "or_high"])
    caption = t("or_caption", lang)
    columns = [(t("factor", lang), "label", "text"), ("OR", "odds_ratio", "num2"),
               (t("or_p", lang), "p_value", "p"), (t("or_n", lang), "n", "int"),
               (t("events", lang), "events", "int")]
    data = data_table(table, caption, columns, keep)
    spans = [table.span(i, "or_low", "or_high") for i in keep]
    data = DataTable(caption, (*data.columns[:2], t("ci", lang), *data.columns[2:]),
                     tuple((*r[:2], s, *r[2:]) for r, s in zip(data.rows, spans, strict=True)),
                     (False, True, True, True, True, True))
    chart = charts.odds(rows, "label", "Odds ratio")
    part.blocks.append(_figure("fig-oddsratios", caption, chart, data, lang, table.withheld))
    return part


def _not_used(src: Source, lang: Lang) -> list[str]:
    """The model's predictors (or levels) left out here and why, from the published checks."""
    table = src.table("risk_checks")
    if table is None or not table.has("check", f"note_{lang}"):
        return []
    frame = table.frame
    rows = frame["check"].astype(str).isin(("not_used", "level_not_used"))
    notes = [str(n) for n in frame.loc[rows, f"note_{lang}"] if not missing(n) and str(n)]
    return [t("or_not_used", lang, notes="; ".join(notes))] if notes else []


def performance(src: Source, lang: Lang) -> Part:
    table = src.require("risk_performance", "metric", "value")
    values = dict(zip(table.frame["metric"].astype(str), table.frame["value"], strict=True))
    part = Part(t("perf_title", lang), "prestaties")
    items = []
    if not missing(values.get("auc_cv")):
        ci = interval(values.get("auc_cv_low"), values.get("auc_cv_high"), lang)
        items.append((t("auc", lang), f"{number(values['auc_cv'], lang, 2)} {ci}".strip(),
                      t("auc_text", lang)))
    if not missing(values.get("brier_cv")):
        null = values.get("brier_null")
        items.append((t("brier", lang), number(values["brier_cv"], lang, 4),
                      t("brier_text", lang, null="–" if missing(null) else number(null, lang, 4))))
    if not missing(values.get("calibration_slope")):
        items.append((t("slope", lang), number(values["calibration_slope"], lang, 2),
                      t("slope_text", lang)))
    part.blocks.append(Figures(tuple(items)))
    return part


def calibration(src: Source, lang: Lang) -> Part:
    table = src.require("risk_calibration", "observed", "predicted")
    part = Part(t("calib_title", lang), "kalibratie", [t("calib_text", lang)])
    caption = t("calib_caption", lang)
    columns = [(t("decile", lang), "group", "text"), (t("children", lang), "n", "int"),
               (t("events", lang), "events", "int"), (t("observed", lang), "observed", "pct1"),
               (t("predicted", lang), "predicted", "pct1")]
    columns = [c for c in columns if table.has(c[1])]
    chart = charts.calibration(table.frame.dropna(subset=["observed", "predicted"]),
                               t("predicted", lang), t("observed", lang))
    part.blocks.append(_figure("fig-kalibratie", caption, chart,
                               data_table(table, caption, columns), lang, table.withheld))
    return part


def combinations(src: Source, lang: Lang) -> Part:
    table = src.require("combinations", "risk", "n")
    part = Part(t("comb_title", lang), "combinaties", [t("comb_text", lang)])
    table = table.assign(label=label_column(table.frame, lang, "combination"))
    order = table.frame.sort_values("rank") if "rank" in table.frame else table.frame
    # the analysis's best TOP_COMBINATIONS, shown as the caption says: the highest risk first
    # (a hidden risk last)
    top = order.iloc[:TOP_COMBINATIONS]
    top = top.sort_values("risk", ascending=False, kind="stable", na_position="last")
    rows = [table.frame.index.get_loc(i) for i in top.index]
    caption = t("comb_caption", lang)
    body = tuple((table.show(r, "label"), table.show(r, "n", "int"),
                  table.show(r, "events", "int"),
                  _with_ci(table, r, "risk", "ci_low", "ci_high", "pct1"),
                  _with_ci(table, r, "lift", "lift_low", "lift_high", "num1"),
                  table.show(r, "confirmed", "bool")) for r in rows)
    head = (t("combination", lang), t("children", lang), t("events", lang),
            f"{t('risk', lang)} ({t('ci', lang)})", f"{t('lift', lang)} ({t('ci', lang)})",
            t("confirmed", lang))
    part.blocks.append(DataTable(caption, head, body,
                                 (False, True, True, True, True, False)))
    return part


def high_risk(src: Source, lang: Lang) -> Part:
    """The high-risk group's clear differences (chart, table, phrases); audit-only attributes
    (the table's ``audit_only`` rows) never among them: shown apart, marked as a check of
    equal treatment, and only beside at least one other trait of the group."""
    table = src.require("high_risk_profile", "statistic", "value_target", "value_all",
                        "direction", "smd_rest")
    part = Part(t("hr_title", lang), "hoogrisicogroep",
                [t("hr_text", lang, group=_best_group(src, lang))])
    table = table.assign(label=label_column(table.frame, lang, "factor"))
    frame = table.frame
    audit = (frame["audit_only"].fillna(False).astype(bool) if "audit_only" in frame
             else pd.Series(False, index=frame.index))
    clear = clear_differences(frame[~audit])
    if clear.empty:
        part.paragraphs.append(t("no_differences", lang))
        return part
    group, everyone = t("hr_group", lang), t("all_children", lang)
    shares = clear[clear["statistic"] == "share"]
    if len(shares):
        caption = t("hr_caption", lang)
        chart = charts.dots(_long(shares, group, everyone), "label", "series", "value",
                            t("share", lang), low="low", high="high")
        data = _share_table(src, table, shares, caption, lang, target=group, everyone=everyone)
        part.blocks.append(_figure("fig-hoogrisicogroep", caption, chart, data, lang,
                                   table.withheld))
    phrases = list(dict.fromkeys(clear.get(f"phrase_{lang}", pd.Series(dtype=str)).dropna()))
    if phrases:
        part.blocks.append(Bullets(tuple(phrases)))
    checked = frame[audit & (frame["statistic"] == "share")]
    if len(checked):
        part.blocks.append(Text(t("hr_audit_text", lang)))
        part.blocks.append(_share_table(src, table, checked, t("hr_audit_caption", lang), lang,
                                        target=group, everyone=everyone))
    return part


def _with_ci(table, row: int, value: str, low: str, high: str, kind: str) -> str:
    return f"{table.show(row, value, kind)} {table.span(row, low, high, kind)}".strip()


def _best_group(src: Source, lang: Lang) -> str:
    table = src.table("combinations")
    if table is None or not len(table):
        return "–"
    frame = table.frame.sort_values("rank") if "rank" in table.frame else table.frame
    if "confirmed" in frame:
        confirmed = frame[frame["confirmed"].astype(bool)]
        frame = confirmed if len(confirmed) else frame
    return str(label_column(frame, lang, "combination").iloc[0])
