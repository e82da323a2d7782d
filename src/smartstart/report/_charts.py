"""Charts: Altair specifications rendered offline to inline SVG by vl-convert (no browser, no
network: external data is refused). Each chart comes with a table of its data (the WCAG text
alternative), assembled by the section builders.

Each chart is drawn twice, wide (``WIDTH``) and laid out for a phone (``_narrow``), from the
same specification and data.

A chart is rendered once per process: the run draws the bundle's charts (nl and en) and the
demo's report draws the Dutch ones again from the same specifications, which then come from
the cache (keyed by the specification itself, so a changed table is a new chart)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd

from smartstart.bundle import svg_of
from smartstart.report._narrow import narrow
from smartstart.report._types import DataTable, Figure, Lang

if TYPE_CHECKING:  # altair takes seconds to import: only a run that draws a chart does
    import altair as alt

WIDTH = 520
BLUE, ORANGE, GREY = "#1f5f8b", "#b35806", "#595959"
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
LOCALES = {"nl": "nl-NL", "en": "en-GB"}


def figure(id: str, caption: str, label: str, chart: alt.TopLevelMixin, table: DataTable,
           lang: Lang, note: str = "") -> Figure:
    """A chart as a figure: caption, SVG with role and label, its data table and its spec,
    and the same chart laid out for a phone (``narrow``: its SVG and spec)."""
    spec = _spec(chart)
    small = narrow(spec)
    return Figure(id, caption, label, _svg(json.dumps(spec), label, LOCALES[lang]), table,
                  note, spec, narrow_svg=_svg(json.dumps(small), label, LOCALES[lang]),
                  narrow_spec=small)


def render(chart: alt.TopLevelMixin, label: str, lang: Lang) -> str:
    """Inline SVG: ``role="img"`` and ``aria-label``, no namespace URLs, no fixed size."""
    return _svg(json.dumps(_spec(chart)), label, LOCALES[lang])


def _spec(chart: alt.TopLevelMixin) -> dict:
    """The styled chart's Vega-Lite spec, not validated against the schema here: that took a
    run a second and a half of the demo's charts; the test suite validates every chart the
    demo's report and bundle draw (``test_every_chart_is_valid_vega_lite``)."""
    return _style(chart).to_dict(validate=False)


def _svg(spec: str, label: str, locale: str) -> str:
    return svg_of(json.loads(spec), label, locale)


def _style(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT, background="white").configure_axis(
        labelFontSize=12, titleFontSize=12, labelLimit=460, labelColor="#222",
        titleColor="#222").configure_legend(labelFontSize=12, titleFontSize=12,
                                            orient="bottom").configure_view(stroke=None)


def bars(data: pd.DataFrame, category: str, value: str, title: str, fmt: str = ",.0f",
         color: str = BLUE) -> alt.Chart:
    """Horizontal bars in the data's order, each labelled with its value."""
    import altair as alt

    order = list(data[category])
    base = alt.Chart(data).encode(
        y=alt.Y(f"{category}:N", sort=order, title=None),
        x=alt.X(f"{value}:Q", title=title, axis=alt.Axis(format=fmt)))
    text = base.mark_text(align="left", dx=4, fontSize=11, color="#222").encode(
        text=alt.Text(f"{value}:Q", format=fmt))
    return (base.mark_bar(color=color) + text).properties(width=WIDTH - 120)


def dots(data: pd.DataFrame, category: str, series: str, value: str, title: str,
         fmt: str = ".0%", low: str | None = None, high: str | None = None,
         colors: tuple[str, ...] = (ORANGE, BLUE)) -> alt.LayerChart:
    """A dot per category and series (e.g. target group and municipality), with an interval
    on the series that has bounds; categories in the data's order."""
    import altair as alt

    order = list(dict.fromkeys(data[category]))
    names = list(dict.fromkeys(data[series]))
    y = alt.Y(f"{category}:N", sort=order, title=None)
    color = alt.Color(f"{series}:N", sort=names, title=None,
                      scale=alt.Scale(domain=names, range=list(colors[:len(names)])))
    shape = alt.Shape(f"{series}:N", sort=names, title=None,
                      scale=alt.Scale(domain=names, range=["circle", "diamond", "square"]))
    x = alt.X(f"{value}:Q", title=title, axis=alt.Axis(format=fmt))
    points = alt.Chart(data).mark_point(filled=True, size=70, opacity=1).encode(
        y=y, x=x, color=color, shape=shape)
    layers = [points]
    if low and high:
        bounded = data.dropna(subset=[low, high])
        layers.insert(0, alt.Chart(bounded).mark_rule(strokeWidth=2).encode(
            y=y, x=alt.X(f"{low}:Q"), x2=f"{high}:Q", color=color))
    height = max(60, 24 * len(order))
    return alt.layer(*layers).properties(width=WIDTH - 200, height=height)


def odds(data: pd.DataFrame, category: str, title: str) -> alt.LayerChart:
    """Odds ratios (columns ``odds_ratio``, ``or_low``, ``or_high``) on a log scale, line at 1."""
    import altair as alt

    order = list(data[category])
    y = alt.Y(f"{category}:N", sort=order, title=None)
    scale = alt.Scale(type="log", nice=False, padding=10)
    x = alt.X("odds_ratio:Q", title=title, scale=scale, axis=alt.Axis(format="~r"))
    rule = alt.Chart(data).mark_rule(strokeWidth=2, color=BLUE).encode(
        y=y, x=alt.X("or_low:Q", scale=scale), x2="or_high:Q")
    point = alt.Chart(data).mark_point(filled=True, size=80, color=BLUE, opacity=1).encode(
        y=y, x=x)
    one = alt.Chart(pd.DataFrame({"one": [1.0]})).mark_rule(color=GREY, strokeDash=[4, 3]
                                                            ).encode(x=alt.X("one:Q"))
    height = max(60, 28 * len(order))
    return alt.layer(one, rule, point).properties(width=WIDTH - 200, height=height)


def calibration(data: pd.DataFrame, x_title: str, y_title: str) -> alt.LayerChart:
    """Observed against predicted per group, with the diagonal of perfect calibration."""
    import altair as alt

    top = float(max(data["observed"].max(), data["predicted"].max()) * 1.05) or 1.0
    scale = alt.Scale(domain=[0, top], nice=False)
    diagonal = alt.Chart(pd.DataFrame({"a": [0.0, top], "b": [0.0, top]})).mark_line(
        color=GREY, strokeDash=[4, 3]).encode(x=alt.X("a:Q", scale=scale),
                                              y=alt.Y("b:Q", scale=scale))
    axis = alt.Axis(format=".1%")
    line = alt.Chart(data).mark_line(point=alt.OverlayMarkDef(filled=True, size=60),
                                     color=BLUE).encode(
        x=alt.X("predicted:Q", title=x_title, scale=scale, axis=axis),
        y=alt.Y("observed:Q", title=y_title, scale=scale, axis=axis))
    return alt.layer(diagonal, line).properties(width=320, height=320)
