"""The report's charts as bundle artefacts: each chart's Vega-Lite specification (its data inline,
taken from the published table it is drawn from) and the SVG rendered from it, so a checker sees
every chart that may leave next to the table it shows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smartstart.bundle import read_bundle
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
                    name = f"{block.id.removeprefix('fig-')}_{lang}"
                    charts.append(ChartFile(name, block.spec, block.svg,
                                            (block.source or need,), block.caption))
    return charts
