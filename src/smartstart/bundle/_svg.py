"""The one way a chart's Vega-Lite spec becomes the report's inline SVG.

``report`` draws its charts with it and ``check`` draws them again to prove that a bundle's SVG is
the rendering of its spec, so both must use this function and nothing else. The rendering is a
function of the spec's text and the locale alone, so a process draws each spec once (a check of
several bundles of one run, or of a bundle after the report drew it, draws none again).
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict

import vl_convert

#: drawings kept per process, by (spec text, locale): the demo's ~40 and a few bundles' more
KEPT = 512
_DRAWN: OrderedDict[tuple[str, str], str] = OrderedDict()


def svg_of(spec: dict, label: str, locale: str) -> str:
    """Inline SVG: ``role="img"`` and ``aria-label``, no namespace URLs, no external data.

    Raises ``ValueError`` when vl-convert refuses the spec (external data included)."""
    svg = _drawn(json.dumps(spec), locale)
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg", f'<svg role="img" aria-label="{label}" focusable="false"', 1)


def _drawn(spec: str, locale: str) -> str:
    key = (spec, locale)
    if key in _DRAWN:
        _DRAWN.move_to_end(key)
        return _DRAWN[key]
    # drawn from the parsed text, as before the cache (a NaN stays a number, not a parse error)
    svg = vl_convert.vegalite_to_svg(json.loads(spec), format_locale=locale,
                                     allowed_base_urls=[])
    remember([(key, re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2))])
    return _DRAWN[key]


def drawings() -> list[tuple[tuple[str, str], str]]:
    """What this process drew: ((spec text, locale), SVG), for another process of the same
    run (a chart worker's drawings are its parent's, so a check there draws none again)."""
    return list(_DRAWN.items())


def remember(drawn: list[tuple[tuple[str, str], str]]) -> None:
    """Keep drawings made by this function in another process of this run (``drawings``)."""
    for key, svg in drawn:
        _DRAWN[tuple(key)] = svg
        _DRAWN.move_to_end(tuple(key))
    while len(_DRAWN) > KEPT:
        _DRAWN.popitem(last=False)
