"""Sections 1 and 2: the pilot and its data (attrition, match rate); the target group against
the municipality (profile, plain-language differences, duration)."""

from __future__ import annotations

import pandas as pd

from smartstart.report import _charts as charts
from smartstart.report._source import Source, data_table, label_column
from smartstart.report._text import missing, number, percent, t, term
from smartstart.report._types import Bullets, DataTable, Figures, Lang, Part

TOP_DIFFERENCES = 12


def attrition(src: Source, lang: Lang) -> Part:
    table = src.require("attrition", "step", "rows_in", "rows_out")
    part = Part(t("attrition_title", lang), "verloop", [t("attrition_text", lang)])
    # the English words where the run wrote them (a bundle of an older run: its Dutch); the
    # chart reads them from the table's own column, so that check finds every datum in it
    english = lang == "en" and table.has("step_en", "reason_en") and bool(
        table.frame["step_en"].fillna("").astype(str).str.len().gt(0).all())
    step, reason = ("step_en", "reason_en") if english else ("step", "reason")
    columns = [(t("attrition_step", lang), step, "text"),
               (t("attrition_in", lang), "rows_in", "int"),
               (t("attrition_out", lang), "rows_out", "int"),
               (t("attrition_dropped", lang), "dropped", "int"),
               (t("attrition_reason", lang), reason, "text")]
    columns = [c for c in columns if table.has(c[1])]
    caption = t("attrition_caption", lang)
    frame = table.frame.dropna(subset=["rows_out"])
    chart = charts.bars(frame.assign(**{step: frame[step].astype(str)}), step, "rows_out",
                        t("attrition_out", lang))
    part.blocks.append(_figure("fig-verloop", caption, chart, data_table(table, caption, columns),
                               lang, table.withheld))
    return part


def match(src: Source, lang: Lang) -> Part:
    """The match of each partner file: its rate and its rows by link status. One partner file
    as always; several: one block per file, named (``partner``), in the pilot's order."""
    table = src.require("match", "status", "count")
    part = Part(t("match_title", lang), "koppeling")
    table = table.assign(shown=[term("status", s, lang) for s in table.frame["status"]])
    partners = (list(dict.fromkeys(table.frame["partner"].astype(str)))
                if table.has("partner") else [])
    if len(partners) <= 1:  # the rows outside the municipality, the region or all of them
        where = term("whole_of", whole(src), lang)
        _match_block(part, table, list(range(len(table))), lang, None, "fig-koppeling",
                     whole_of=where)
        return part
    part.paragraphs.append(t("match_partners_text", lang, n=len(partners)))
    column = table.frame["partner"].astype(str).to_numpy()
    for k, partner in enumerate(partners, start=1):
        rows = [i for i in range(len(table)) if column[i] == partner]
        _match_block(part, table, rows, lang, partner, f"fig-koppeling-{k}")
    return part


def _match_block(part: Part, table, rows: list[int], lang: Lang, partner: str | None,
                 id: str, **words: str) -> None:
    """One partner file's rate (when published), chart and data table; ``partner`` None: the
    only partner file, in the words of one, with ``words`` (``whole_of``: the place its rows
    fell outside of)."""
    frame = table.frame.iloc[rows]
    counts = dict(zip(frame["status"].astype(str), frame["count"], strict=True))
    rate = match_rate(counts)
    named = {} if partner is None else {"partner": partner}
    suffix = "" if partner is None else "_partner"
    if rate is not None:
        target, total = counts["doelgroep"], rate[1]
        part.blocks.append(Figures(((t("match_rate" + suffix, lang, **named),
                                     percent(rate[0], lang, 1),
                                     t("match_rate_text" + suffix, lang,
                                       target=number(target, lang),
                                       total=number(total, lang), **named, **words)),)))
    caption = t("match_caption" + suffix, lang, **named)
    shown = frame[(frame["status"] != "totaal") & ~frame["count"].map(missing)]
    chart = charts.bars(shown, "shown", "count", t("count", lang))
    columns = [(t("match_status", lang), "shown", "text"), (t("count", lang), "count", "int")]
    withheld = any(missing(v) for v in frame["count"])
    part.blocks.append(_figure(id, caption, chart, data_table(table, caption, columns, rows),
                               lang, withheld if partner is not None else table.withheld))


def match_rate(counts: dict[str, float]) -> tuple[float, float] | None:
    """(share of the partner file in the target group, partner rows), if both are published."""
    target = counts.get("doelgroep")
    total = counts.get("totaal")
    if total is None:
        parts = [v for k, v in counts.items() if k != "totaal"]
        total = None if any(missing(v) for v in parts) else sum(parts)
    if missing(target) or missing(total) or not total:
        return None
    return float(target) / float(total), float(total)


def profile(src: Source, lang: Lang) -> Part:
    table = src.require("profile_households", "statistic", "value_target", "value_all",
                        "direction", "smd_rest")
    where, label = term("whole", whole(src), lang), term("whole_label", whole(src), lang)
    part = Part(t("profile_title", lang), "profiel", [t("profile_text", lang, whole=where)])
    table = table.assign(label=label_column(table.frame, lang, "factor"))
    frame = table.frame
    clear = clear_differences(frame)
    shares = clear[clear["statistic"] == "share"]
    if clear.empty:
        part.paragraphs.append(t("no_differences", lang))
        return part
    caption = t("profile_caption", lang, whole=where)
    if not shares.empty:
        chart = charts.dots(_long(shares, t("target", lang), label), "label",
                            "series", "value", t("share", lang), low="low", high="high")
        part.blocks.append(_figure("fig-profiel", caption, chart,
                                   _share_table(src, table, shares, caption, lang,
                                                everyone=label), lang, table.withheld))
    means = clear[clear["statistic"] == "mean"]
    if not means.empty:
        part.blocks.append(_share_table(src, table, means, t("means_caption", lang, whole=where),
                                        lang, kind="auto", everyone=label))
    phrases = list(dict.fromkeys(clear[f"phrase_{lang}"].dropna())) if (
        f"phrase_{lang}" in clear.columns) else []
    if phrases:
        part.blocks.append(Bullets(tuple(phrases), t("phrases_intro", lang)))
    return part


def clear_differences(frame: pd.DataFrame, limit: int = TOP_DIFFERENCES) -> pd.DataFrame:
    """Rows with a clear difference (direction not "similar"), largest |SMD| first."""
    rows = frame[frame["direction"].isin(["higher", "lower"])]
    rows = rows.reindex(rows["smd_rest"].abs().sort_values(ascending=False).index)
    return rows.head(limit)


def duration(src: Source, lang: Lang) -> Part:
    table = src.require("duration", "share")
    part = Part(t("duration_title", lang), "duur", [t("duration_text", lang)])
    table = table.assign(label=label_column(table.frame, lang, "band"))
    frame = table.frame
    caption = t("duration_caption", lang)
    chart = charts.bars(frame.dropna(subset=["share"]), "label", "share", t("share", lang),
                        fmt=".0%", color=charts.ORANGE)
    rows = DataTable(caption, (t("duration_band", lang), t("count", lang), t("share", lang),
                               t("ci", lang)),
                     tuple((table.show(i, "label"), table.show(i, "count", "int"),
                            table.show(i, "share", "pct"),
                            table.span(i, "ci_low", "ci_high", "pct")) for i in range(len(table))),
                     (False, True, True, True))
    part.blocks.append(_figure("fig-duur", caption, chart, rows, lang, table.withheld))
    return part


def _long(rows: pd.DataFrame, target: str, everyone: str) -> pd.DataFrame:
    mine = pd.DataFrame({"label": rows["label"], "series": target, "value": rows["value_target"],
                         "low": rows.get("ci_low_target"), "high": rows.get("ci_high_target")})
    all_ = pd.DataFrame({"label": rows["label"], "series": everyone, "value": rows["value_all"]})
    return pd.concat([mine, all_], ignore_index=True).dropna(subset=["value"])


def whole(src: Source) -> str:
    """What the target group is compared with (a key of text.yaml's ``whole``): ``one``
    municipality (a municipality's own run or its section of a region run), a ``region`` (a
    list or a named region), or ``all`` the delivery's municipalities (``gemeenten: all``)."""
    pilot = src.pilot
    codes = pilot.get("gemeenten")
    if pilot.get("all_of_store") or codes in (["all"], "all"):
        return "all"
    several = isinstance(codes, list | tuple) and len(codes) > 1
    return "region" if several or pilot.get("regio") else "one"


def _share_table(src: Source, table, rows: pd.DataFrame, caption: str, lang: Lang,
                 kind: str = "pct", target: str | None = None, everyone: str | None = None
                 ) -> DataTable:
    """Label, target group's value and CI, everyone's value, for the chosen rows."""
    positions = [table.frame.index.get_loc(i) for i in rows.index]
    head = (t("factor", lang), target or t("target", lang), t("ci", lang),
            everyone or t("municipality", lang))
    body = tuple((str(rows.loc[i, "label"]), table.show(p, "value_target", kind),
                  table.span(p, "ci_low_target", "ci_high_target", kind),
                  table.show(p, "value_all", kind))
                 for i, p in zip(rows.index, positions, strict=True))
    return DataTable(caption, head, body, (False, True, True, True))


def _figure(id: str, caption: str, chart, table: DataTable, lang: Lang, withheld: bool):
    return charts.figure(id, caption, caption, chart, table, lang,
                         t("chart_withheld", lang) if withheld else "")
