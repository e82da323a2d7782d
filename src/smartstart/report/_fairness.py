"""Section 3, continued: the fairness audit (largest gaps, flagged disparities, proxies, the
three-step bias analysis) and the model card."""

from __future__ import annotations

import numpy as np
import pandas as pd

from smartstart.report._cells import fmt
from smartstart.report._markdown import to_html
from smartstart.report._source import Source, data_table, label_column
from smartstart.report._text import missing, t, term
from smartstart.report._types import Bullets, DataTable, Html, Lang, Part

METRICS = {"selection_rate": "pct1", "tpr": "pct1", "fpr": "pct1", "ppv": "pct1",
           "calibration": "num2", "auc": "num2"}
MIN_EVENTS = 10
TOP_GAPS = 5
TOP_DISPARITIES = 12


def fairness(src: Source, lang: Lang) -> Part:
    table = src.require("fairness_metrics", "attribute", "group")
    part = Part(t("fair_title", lang), "eerlijkheid", [t("fair_text", lang)])
    gaps = largest_gaps(table.frame)
    names = _group_names(table.frame, lang)
    part.blocks.append(DataTable(
        t("gaps_caption", lang),
        (t("factor", lang), t("metric", lang), t("high_group", lang), t("value", lang),
         t("low_group", lang), t("value", lang), t("ratio", lang)),
        tuple((term("attributes", g.attribute, lang), term("metrics", g.metric, lang),
               names.get((g.attribute, str(g.high_group)), str(g.high_group)),
               fmt(g.high, METRICS[g.metric], lang),
               names.get((g.attribute, str(g.low_group)), str(g.low_group)),
               fmt(g.low, METRICS[g.metric], lang), fmt(g.ratio, "num2", lang))
              for g in gaps.itertuples()),
        (False, False, False, True, False, True, True)))
    disparities = src.table("fairness_disparities")
    if disparities is not None:
        part.blocks.append(_disparities(disparities.frame, names, lang))
    proxies = src.table("fairness_proxies")
    if proxies is not None and proxies.has("auc"):
        proxies = proxies.assign(label=[term("attributes", a, lang)
                                        for a in proxies.frame["attribute"]])
        part.blocks.append(data_table(proxies, t("proxy_caption", lang), [
            (t("factor", lang), "label", "text"), ("AUC", "auc", "num2"),
            (t("flagged", lang), "flagged", "bool")]))
    part.blocks.append(_bias_steps(src, lang))
    return part


def largest_gaps(metrics: pd.DataFrame, n: int = TOP_GAPS) -> pd.DataFrame:
    """Per attribute and metric the widest ratio between two reliable groups, widest first."""
    rows = metrics.dropna(subset=["group"])
    if "events" in rows.columns:
        rows = rows[rows["events"] >= MIN_EVENTS]
    out = []
    for metric in (m for m in METRICS if m in rows.columns):
        for attribute, part in rows.groupby("attribute", sort=True):
            values = part[["group", metric]].dropna()
            if len(values) < 2 or values[metric].min() <= 0:
                continue
            high = values.loc[values[metric].idxmax()]
            low = values.loc[values[metric].idxmin()]
            out.append({"attribute": attribute, "metric": metric, "high_group": high["group"],
                        "high": high[metric], "low_group": low["group"], "low": low[metric],
                        "ratio": high[metric] / low[metric]})
    frame = pd.DataFrame(out, columns=["attribute", "metric", "high_group", "high",
                                       "low_group", "low", "ratio"])
    return frame.sort_values("ratio", ascending=False, ignore_index=True).head(n)


def flagged_disparities(disparities: pd.DataFrame) -> pd.DataFrame:
    """Reliable ratios outside the bounds, widest (on a log scale) first."""
    rows = disparities
    for column in ("outside", "reliable"):
        if column in rows.columns:
            rows = rows[rows[column].astype(bool)]
    rows = rows[rows["metric"].isin(METRICS)].dropna(subset=["ratio"])
    width = np.abs(np.log(rows["ratio"].where(rows["ratio"] > 0)))
    return rows.reindex(width.sort_values(ascending=False).index)


def _disparities(frame: pd.DataFrame, names: dict, lang: Lang) -> object:
    rows = flagged_disparities(frame)
    if rows.empty:
        return Bullets((t("none_flagged", lang),))
    body = tuple((term("attributes", r.attribute, lang),
                  names.get((r.attribute, str(r.group)), str(r.group)),
                  names.get((r.attribute, str(r.reference)), str(r.reference)),
                  term("metrics", r.metric, lang),
                  _value(r.value, r.metric, lang), _value(r.reference_value, r.metric, lang),
                  fmt(r.ratio, "num2", lang))
                 for r in rows.head(TOP_DISPARITIES).itertuples())
    head = (t("factor", lang), t("group", lang), t("reference", lang), t("metric", lang),
            t("value_group", lang), t("value_reference", lang), t("ratio", lang))
    return DataTable(t("disp_caption", lang), head, body,
                     (False, False, False, False, True, True, True))


def _value(value: object, metric: str, lang: Lang) -> str:
    return "–" if missing(value) else fmt(value, METRICS[metric], lang)


def _bias_steps(src: Source, lang: Lang) -> Part:
    disparities = src.table("fairness_disparities")
    flagged = (flagged_disparities(disparities.frame) if disparities is not None
               else pd.DataFrame(columns=["attribute"]))
    attributes = ", ".join(term("attributes", a, lang)
                           for a in sorted(flagged["attribute"].unique())) or "–"
    proxies = src.table("fairness_proxies")
    n_proxies = (int(proxies.frame["flagged"].astype(bool).sum())
                 if proxies is not None and proxies.has("flagged") else 0)
    steps = (t("bias_detect", lang, n=len(flagged), attributes=attributes, proxies=n_proxies),
             t("bias_justify", lang), t("bias_accept", lang))
    return Part(t("bias_title", lang), "biasanalyse", blocks=[Bullets(steps, ordered=True)])


def model_card(src: Source, lang: Lang) -> Part:
    text = src.text(f"model_card_{lang}") or src.text("model_card_nl")
    if text is None:
        raise KeyError(f"model_card_{lang}")
    return Part(t("card_title", lang), "modelkaart", blocks=[Html(to_html(text, top=4))])


def _group_names(metrics: pd.DataFrame, lang: Lang) -> dict[tuple[str, str], str]:
    """Each group in words: its label in the bundle, else (an age band without one) the
    report's own words ("0 tot 4 jaar"), never a bare code where words exist."""
    labels = label_column(metrics, lang, "group")
    return {(str(a), str(g)): (term("age_band_groups", g, lang)
                               if str(a) == "age_band" and str(label) == str(g) else str(label))
            for a, g, label in zip(metrics["attribute"], metrics["group"], labels, strict=True)}

