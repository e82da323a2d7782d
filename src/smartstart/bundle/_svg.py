"""The one way a chart's Vega-Lite spec becomes the report's inline SVG.

``report`` draws its charts with it and ``check`` draws them again to prove that a bundle's SVG is
the rendering of its spec, so both must use this function and nothing else.
"""

from __future__ import annotations

import re

import vl_convert


def svg_of(spec: dict, label: str, locale: str) -> str:
    """Inline SVG: ``role="img"`` and ``aria-label``, no namespace URLs, no external data.

    Raises ``ValueError`` when vl-convert refuses the spec (external data included)."""
    svg = vl_convert.vegalite_to_svg(spec, format_locale=locale, allowed_base_urls=[])
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg, count=2)
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg", f'<svg role="img" aria-label="{label}" focusable="false"', 1)
