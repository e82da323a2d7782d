"""The report: one self-contained HTML file made from a bundle, and from nothing else.

    write_report(Path("results/bundle"), Path("rapport.html"))            # Dutch
    write_report(Path("results/bundle"), Path("report.html"), lang="en")  # English

The bundle is verified first (``read_bundle`` refuses one whose checksums do not match). Charts
are rendered offline to inline SVG; styles are inline; the file loads nothing. Sections follow
the method (``_sections.OUTLINE`` maps bundle outputs to sections); a section whose outputs are
absent says so. Suppressed cells are shown as the disclosure log says (``<10``, ``x``).
"""

from smartstart.report._bundle_charts import ChartFile, bundle_charts
from smartstart.report._render import (
    TeamNotes,
    report_context,
    report_html,
    style,
    write_html,
    write_report,
)
from smartstart.report._types import TeamNote

__all__ = ["ChartFile", "TeamNote", "TeamNotes", "bundle_charts", "report_context",
           "report_html", "style", "write_html", "write_report"]
