"""``smartstart check``'s charts: every number in a chart's data (its datasets and inline
values) is a published cell of a table the chart is drawn from, every other number is styling
(or a guide just beyond a cell), and the SVG is what the report renders from the spec.

A chart laid out again for a phone (``layout: narrow``, ``variant_of`` the wide chart) is checked
the same way, and its data must be those of the chart it lays out (``chart_variant``)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from smartstart.bundle._read import BundleProblem
from smartstart.bundle._svg import svg_of
from smartstart.bundle._write import declared_path

#: relative tolerance of a chart's number against its table's cell
TOLERANCE = 1e-9
#: a guide may end this much beyond a published cell (the calibration chart's diagonal)
GUIDE_MARGIN = 1.05
LOCALES = {"nl": "nl-NL", "en": "en-GB"}
#: keys whose numbers are a chart's looks, not its data
STYLE = {"width", "height", "padding", "size", "opacity", "strokeWidth", "fontSize", "dx", "dy",
         "labelLimit", "labelFontSize", "titleFontSize", "continuousWidth", "continuousHeight",
         "step"}


def chart_problems(root: Path, output: dict, files: dict[str, str],
                   tables: dict[str, pd.DataFrame]) -> list[BundleProblem]:
    """A chart's data are rows of the tables it is drawn from, its other numbers are styling,
    and its SVG is the rendering of its spec."""
    name = str(output.get("name"))
    spec_path, svg_path = files.get("chart_spec"), files.get("chart_svg")
    if not spec_path or not (root / spec_path).is_file():
        return []  # declared files missing or not declared: verify_files said so
    try:
        spec = json.loads((root / spec_path).read_text("utf-8"))
    except (OSError, ValueError) as error:
        return [BundleProblem(spec_path, f"unreadable: {error}", "unreadable")]
    based_on = [b for b in output.get("based_on", ()) if isinstance(b, str)]
    frames = [tables[b] for b in based_on if b in tables]
    if not based_on or len(frames) != len(based_on):
        return [BundleProblem(name, "not drawn from tables in the bundle", "chart_table")]
    problems = []
    matrices = [_numbers(f) for f in frames]
    texts: list[dict[str, np.ndarray]] = [{} for _ in frames]
    for where, datum in _data(spec):
        if not _datum_in_tables(datum, frames, matrices, texts):
            shown = {k: v for k, v in datum.items() if _is_number(v)}
            problems.append(BundleProblem(spec_path, f"datum {where} {shown} is not a row of "
                                          f"{', '.join(based_on)}", "chart_datum"))
    for where, value in _style_numbers(spec):
        if not (where.endswith("/domain") and _guide([value], matrices)):
            problems.append(BundleProblem(spec_path, f"number {value} at {where} is neither "
                                          "styling nor a cell of its table", "chart_number"))
    if output.get("variant_of"):
        problems += _variant_problems(root, spec, spec_path, str(output["variant_of"]))
    if svg_path and (root / svg_path).is_file():
        lang = output.get("lang") or name.rsplit("_", 1)[-1]
        svg = _render(spec, str(output.get("title", "")), LOCALES.get(lang, "nl-NL"))
        if svg is None or svg != (root / svg_path).read_text("utf-8"):
            problems.append(BundleProblem(svg_path, "is not the rendering of "
                                          f"{spec_path}", "chart_svg"))
    return problems


def _variant_problems(root: Path, spec: dict, spec_path: str, wide: str
                      ) -> list[BundleProblem]:
    """A chart in another layout shows the very data of the chart it lays out."""
    path = root / str(declared_path("chart_spec", wide))
    try:
        other = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return [BundleProblem(spec_path, f"lays out {wide}, which is not in the bundle",
                              "chart_variant")]
    if _rows_of(spec) != _rows_of(other):
        return [BundleProblem(spec_path, f"its data are not those of {wide}", "chart_variant")]
    return []


def _rows_of(spec: dict) -> list[str]:
    return sorted(json.dumps(datum, sort_keys=True, default=str) for _, datum in _data(spec))


def _data(spec: object, where: str = "") -> Iterator[tuple[str, dict]]:
    """Every datum of a Vega-Lite spec: named datasets and inline ``values`` anywhere."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "datasets" and isinstance(value, dict):
                for dataset, rows in value.items():
                    yield from _rows(rows, f"{dataset}")
            elif key == "values" and isinstance(value, list):
                yield from _rows(value, f"{where}/values")
            else:
                yield from _data(value, f"{where}/{key}")
    elif isinstance(spec, list):
        for i, item in enumerate(spec):
            yield from _data(item, f"{where}[{i}]")


def _style_numbers(spec: object, where: str = "") -> Iterator[tuple[str, float]]:
    """Numbers outside the data that are not styling (config, sizes, a mark's look, a scale's
    padding): a scale's domain, a constant in an encoding, a literal text, ..."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key in ("datasets", "values", "config"):
                continue
            if key == "mark" and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k == "text"}
            if key in STYLE and _is_number(value):
                continue
            yield from _style_numbers(value, f"{where}/{key}")
    elif isinstance(spec, list):
        for item in spec:
            yield from _style_numbers(item, where)
    elif _is_number(spec):
        yield where, float(spec)


def _rows(rows: object, where: str) -> Iterator[tuple[str, dict]]:
    for i, row in enumerate(rows if isinstance(rows, list) else [rows]):
        yield f"{where}[{i}]", row if isinstance(row, dict) else {"data": row}


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _numbers(frame: pd.DataFrame) -> np.ndarray:
    """The table's cells as numbers (NaN where a cell is not one), rows x columns."""
    columns = [pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=float)
               if not pd.api.types.is_bool_dtype(frame[c]) else np.full(len(frame), np.nan)
               for c in frame.columns]
    return np.column_stack(columns) if columns else np.empty((len(frame), 0))


def _close(cells: np.ndarray, value: float) -> np.ndarray:
    return np.isclose(cells, value, rtol=TOLERANCE, atol=0) & ~np.isnan(cells)


def _datum_in_tables(datum: dict, frames: list[pd.DataFrame], matrices: list[np.ndarray],
                     texts: list[dict[str, np.ndarray]]) -> bool:
    """``texts``: per table, its columns read as text (None where blank), filled as needed
    and kept for the chart's next datum."""
    numbers = {k: float(v) for k, v in datum.items() if _is_number(v)}
    if not numbers:
        return True
    for frame, cells, text in zip(frames, matrices, texts, strict=True):
        rows = np.ones(len(frame), dtype=bool)
        for key, value in datum.items():
            if key in frame.columns and value is not None:
                if key in numbers:
                    rows &= _close(cells[:, frame.columns.get_loc(key)], numbers[key])
                else:
                    if key not in text:
                        column = frame[key]
                        text[key] = np.where(column.notna().to_numpy(),
                                             column.astype(str).to_numpy(dtype=object), None)
                    rows &= text[key] == str(value)
            elif key in numbers:
                rows &= _close(cells, numbers[key]).any(axis=1)
        if rows.any():
            return True
    return len(numbers) == len(datum) and _guide(list(numbers.values()), matrices)


def _guide(values: list[float], matrices: list[np.ndarray]) -> bool:
    """A line at 0 or 1, or a scale's end a margin beyond a published cell."""
    return all(v in (0.0, 1.0) or any(_close(c, v / GUIDE_MARGIN).any() for c in matrices)
               for v in values)


def _render(spec: dict, title: str, locale: str) -> str | None:
    """The SVG ``report`` draws from this spec, or None when vl-convert refuses the spec."""
    try:
        return svg_of(spec, title, locale)
    except ValueError:  # a spec vl-convert refuses is not a chart of the report
        return None
