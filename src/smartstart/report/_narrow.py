"""A chart laid out again for a phone (issue 17: readable at 390 px, not shrunk).

``narrow`` takes the Vega-Lite specification of any of the report's charts and returns the same
chart, with the same data, laid out for a narrow screen: ``WIDTH`` CSS px in all (a 390 px
phone less the page's and the figure's margins), so that the report shows it at its own size
and its 12 px labels stay 12 px. Only the layout changes:

- the categories of a vertical list (bars, dots, odds ratios) are written above their row
  across the chart's full width, wrapped at ``WRAP`` characters, instead of beside it;
- fewer ticks on a numeric x axis, every other label on a crowded discrete one;
- legends below the chart, one entry a line; long axis titles wrapped;
- room on the right for the value written at the end of a bar.

Every change is a size, a config setting or a label expression: the data (``datasets`` and inline
``values``) and the encodings stay as they are, so ``smartstart check`` can hold the narrow chart
to the same table as the wide one."""

from __future__ import annotations

import copy
import json
import re
import textwrap
from collections.abc import Iterator

#: the chart's whole width in CSS px: 390 less 2 x 1 rem (page) and 2 x (.5 rem + 1 px) (figure)
WIDTH = 330
#: characters of a category label on one line (DejaVu Sans at 12 px: about 7 px a character)
WRAP = 46
#: an axis title longer than this is wrapped
TITLE_WRAP = 36
LINE = 15  # px per line of a label
MARK = 14  # px of a bar's thickness, and the room a dot with its interval takes
GAP = 9  # px between a row's mark and the next row's label
VALUES = 56  # px right of the plot for the value written at the end of a bar
#: where a label too long for a line breaks: the last space within WRAP characters, as long as
#: more than WRAP characters are left (the same pattern in Vega's expression and in Python)
BREAK = rf"(?=.{{{WRAP + 1},}})(.{{1,{WRAP}}})\s+"


def narrow(spec: dict) -> dict:
    """The chart of ``spec`` laid out ``WIDTH`` px wide; ``spec`` itself is not changed."""
    out = copy.deepcopy(spec)
    for layer in out.get("layer", ()):
        layer.pop("width", None)
        layer.pop("height", None)
    out["width"] = WIDTH
    out["autosize"] = {"type": "fit-x", "contains": "padding"}
    config = out.setdefault("config", {})
    config["axisXQuantitative"] = {"tickCount": 3}
    config["axisXDiscrete"] = {"labelOverlap": "parity"}
    config["legend"] = {**config.get("legend", {}), "orient": "bottom", "direction": "vertical",
                        "labelLimit": WIDTH - 30}
    _limit_labels(out, WIDTH - 30)
    _wrap_titles(out)
    rows = [str(v) for v in _categories(out)]
    if rows:
        lines = max(len(wrap(r)) for r in rows)
        out["height"] = {"step": lines * LINE + MARK + 3 + GAP}
        config["axisYDiscrete"] = _labels_above(lines)
        config["bar"] = {**config.get("bar", {}), "discreteBandSize": MARK}
    if any(_mark(layer) == "text" for layer in [out, *out.get("layer", ())]):
        config["padding"] = {"left": 5, "top": 5, "bottom": 5, "right": VALUES}
    return out


def wrap(label: str) -> list[str]:
    """A category label's lines, broken as the narrow chart's label expression breaks it."""
    return re.sub(BREAK, "\\1\n", label).split("\n")


def _labels_above(lines: int) -> dict:
    """A discrete y axis whose labels stand above their row, from the plot's left edge: each
    ``lines`` lines high (a shorter label padded with empty lines on top), ending just above
    the bar or dot, which sits in the middle of its row."""
    axis = {"labelAlign": "left", "labelBaseline": "top", "labelPadding": 0,
            "labelOffset": -(MARK // 2 + 3 + lines * LINE), "labelLimit": WIDTH - 10,
            "labelLineHeight": LINE, "domain": False, "ticks": False}
    if lines > 1:
        broken = f"replace(datum.label, regexp({json.dumps(BREAK)}, 'g'), '$1\\n')"
        pad = json.dumps("\u00a0\n" * (lines - 1))
        axis["labelExpr"] = (f"split(slice({pad}, 0, 2 * ({lines} - length(split({broken}, "
                             f"'\\n')))) + {broken}, '\\n')")
    return axis


def _categories(spec: dict) -> list[object]:
    """The categories of a discrete y axis (its sort order, then every value in the data)."""
    fields = [y["field"] for y in _channels(spec, "y")
              if y.get("type") in ("nominal", "ordinal") and "field" in y]
    if not fields:
        return []
    values = [v for y in _channels(spec, "y") if isinstance(y.get("sort"), list)
              for v in y["sort"]]
    rows = [row for rows in spec.get("datasets", {}).values() for row in rows]
    rows += [row for part in [spec, *spec.get("layer", ())]
             for row in part.get("data", {}).get("values", ())]
    return values + [row[f] for row in rows if isinstance(row, dict)
                     for f in fields if row.get(f) is not None]


def _channels(spec: dict, channel: str) -> Iterator[dict]:
    for part in [spec, *spec.get("layer", ())]:
        found = part.get("encoding", {}).get(channel)
        if isinstance(found, dict):
            yield found


def _mark(part: dict) -> str | None:
    mark = part.get("mark")
    return mark.get("type") if isinstance(mark, dict) else mark


def _limit_labels(spec: object, limit: int) -> None:
    """No label limit (an encoding's axis or legend) beyond ``limit``."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "labelLimit" and isinstance(value, int | float) and value > limit:
                spec[key] = limit
            elif key not in ("datasets", "data"):
                _limit_labels(value, limit)
    elif isinstance(spec, list):
        for item in spec:
            _limit_labels(item, limit)


def _wrap_titles(spec: dict) -> None:
    """An axis or legend title longer than ``TITLE_WRAP`` characters on several lines."""
    for part in [spec, *spec.get("layer", ())]:
        for channel in part.get("encoding", {}).values():
            title = channel.get("title") if isinstance(channel, dict) else None
            if isinstance(title, str) and len(title) > TITLE_WRAP:
                channel["title"] = textwrap.wrap(title, TITLE_WRAP)
