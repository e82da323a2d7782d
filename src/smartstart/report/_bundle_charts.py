"""The report's charts as bundle artefacts: each chart's Vega-Lite specification (its data inline,
taken from the published table it is drawn from) and the SVG rendered from it, so a checker sees
every chart that may leave next to the table it shows. Each chart is there twice: as the report
draws it wide, and laid out for a phone (``<name>_smal_<lang>``, layout ``narrow``: the same data
in another layout, shown by the report below 600 px)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smartstart.bundle import read_bundle
from smartstart.bundle._svg import drawings, svg_of
from smartstart.report._sections import OUTLINE
from smartstart.report._source import Source
from smartstart.report._types import Figure, Lang


@dataclass(frozen=True)
class ChartFile:
    name: str
    spec: dict
    svg: str
    based_on: tuple[str, ...]
    title: str
    #: "wide", or "narrow": the chart ``variant_of`` (a chart's name) laid out for a phone
    layout: str = "wide"
    variant_of: str = ""


def bundle_charts(root: Path, lang: Lang = "nl") -> list[ChartFile]:
    """Every chart the report draws from the bundle at ``root`` (checksums not yet written)."""
    src = Source(read_bundle(root, verify=False), lang)
    charts = []
    for section in OUTLINE:
        for part in section.parts:
            need = part.needs.format(lang=lang)
            if not src.has(need):
                continue
            try:
                built = part.build(src, lang)
            except KeyError:
                continue
            for block in built.blocks if built is not None else ():
                if isinstance(block, Figure):
                    charts += _files(block, (block.source or need,), lang)
    return charts


def _files(figure: Figure, based_on: tuple[str, ...], lang: Lang) -> list[ChartFile]:
    """A figure's chart, and its narrow layout when it has one."""
    base = figure.id.removeprefix("fig-")
    wide = ChartFile(f"{base}_{lang}", figure.spec, figure.svg, based_on, figure.caption)
    if not figure.narrow_spec:
        return [wide]
    return [wide, ChartFile(f"{base}_smal_{lang}", figure.narrow_spec, figure.narrow_svg,
                            based_on, figure.caption, "narrow", wide.name)]


def warm() -> None:
    """Import the charts' libraries and start the renderer (a chart worker does this while
    its run links and analyses)."""
    import altair  # noqa: F401 - the specs' library, imported here once

    svg_of({"mark": "point", "data": {"values": [{"x": 1}]},
            "encoding": {"x": {"field": "x", "type": "quantitative"}}}, "", "nl-NL")


def charts_drawn(root: Path, lang: Lang) -> tuple[list[ChartFile], list]:
    """``bundle_charts`` in a chart worker: the charts and the worker's drawings (its parent
    keeps them, ``bundle._svg.remember``)."""
    return bundle_charts(root, lang), drawings()
