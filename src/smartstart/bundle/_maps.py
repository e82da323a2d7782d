"""The areas map in a bundle: the public boundaries of the published areas and what the map
shows, and ``smartstart check``'s re-check of both.

Two files per map output (kind ``map``):

- ``maps/<name>.geojson``: a FeatureCollection in RD New (EPSG:28992, whole metres) of the
  areas of the published table that have a boundary, each with exactly two properties:
  ``code`` and ``name``. Boundaries are public (Kadaster / CBS); nothing else may travel in
  this file.
- ``maps/<name>.json``: the table and column the map colours, its class bounds (each a
  published cell of that column) and per area its value and class (``null`` where the table
  publishes no value: the area is "te klein"), the areas of the table without a boundary, and
  the boundaries' credit.

The check: the files hold nothing else; the map's areas are exactly the table's areas with a
boundary (the others listed as without one); every value equals the table's cell and every
class is the one its value implies; every name is the area's name in ``labels.csv``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from smartstart.bundle._read import BundleProblem

#: classes of the map's colour scale
CLASSES = 5
#: the map's CRS, as the GeoJSON (2008) ``crs`` member names it
CRS = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}
#: RD New's valid extent (metres): a coordinate outside is no boundary of the Netherlands
RD_BOUNDS = (-7_000, 289_000, 300_000, 629_000)
SPEC_KEYS = {"table", "column", "level", "bounds", "areas", "without_boundary", "credit",
             "synthetic", "tolerance_m"}
CODE_DIGITS = {"buurt": 8, "wijk": 6, "gemeente": 4}
_TOLERANCE = 1e-9
_LETTER = re.compile(r"[^\W\d_]")


# -- building ----------------------------------------------------------------------------------

def class_bounds(values: Sequence[float]) -> list[float]:
    """Quantile class bounds of the published values: each bound is one of the values (no
    interpolated number leaves), at most CLASSES classes, fewer when values repeat."""
    finite = np.sort(np.asarray([v for v in values if _finite(v)], dtype=float))
    if len(finite) == 0:
        return []
    picks = [finite[int(round(q * (len(finite) - 1)))] for q in np.linspace(0, 1, CLASSES + 1)]
    return [float(v) for v in dict.fromkeys(picks)]


def class_of(value: float | None, bounds: Sequence[float]) -> int | None:
    """The class (0-based) of a value: ``bounds[k] <= value < bounds[k + 1]``, the last class
    closed; None for a value not published."""
    if not _finite(value) or not bounds:
        return None
    classes = max(len(bounds) - 1, 1)
    return int(min(np.searchsorted(np.asarray(bounds[1:-1]), float(value), side="right"),
                   classes - 1))


def geojson_of(features: Sequence[tuple[str, str, object]]) -> dict:
    """(code, name, shapely geometry in RD metres) -> a FeatureCollection with whole-metre
    coordinates and only ``code`` and ``name``."""
    import shapely

    out = []
    for code, name, geometry in features:
        polygons = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon"]
        rings = [[_ring(p.exterior.coords), *(_ring(r.coords) for r in p.interiors)]
                 for p in polygons]
        rings = [r for r in rings if len(r[0]) >= 4]
        out.append({"type": "Feature", "properties": {"code": str(code), "name": str(name)},
                    "geometry": {"type": "MultiPolygon", "coordinates": rings}})
    return {"type": "FeatureCollection", "crs": CRS, "features": out}


def _ring(coords) -> list[list[int]]:
    ring = [[int(round(x)), int(round(y))] for x, y, *_ in coords]
    dedup = [p for i, p in enumerate(ring) if i == 0 or p != ring[i - 1]]
    return dedup if dedup[0] == dedup[-1] else [*dedup, dedup[0]]


def map_spec(frame: pd.DataFrame, table: str, column: str, level: str,
             with_boundary: Sequence[str], *, credit: str, synthetic: bool,
             tolerance: float) -> dict:
    """What the map shows, from the published table: its areas with a boundary, each with the
    table's value of ``column`` and its class."""
    codes = [str(c) for c in frame["area"]]
    values = dict(zip(codes, pd.to_numeric(frame[column], errors="coerce"), strict=True))
    shown = [c for c in codes if c in set(with_boundary)]
    bounds = class_bounds([values[c] for c in shown])
    areas = [{"code": c, "value": float(values[c]) if _finite(values[c]) else None,
              "class": class_of(values[c], bounds)} for c in shown]
    return {"table": table, "column": column, "level": level, "bounds": bounds,
            "areas": areas, "without_boundary": sorted(set(codes) - set(shown)),
            "credit": credit, "synthetic": bool(synthetic), "tolerance_m": float(tolerance)}


def read_map(root: Path, output: Mapping) -> tuple[dict, dict]:
    """The map output's spec and GeoJSON."""
    files = [str(f) for f in output.get("files", ())]
    spec = next(f for f in files if f.endswith(".json") and not f.endswith(".geojson"))
    geo = next(f for f in files if f.endswith(".geojson"))
    return (json.loads((Path(root) / spec).read_text("utf-8")),
            json.loads((Path(root) / geo).read_text("utf-8")))


# -- checking ----------------------------------------------------------------------------------

def map_problems(root: Path, output: dict, files: dict[str, str],
                 tables: dict[str, pd.DataFrame], labels: pd.DataFrame | None
                 ) -> list[BundleProblem]:
    """The map output's files hold only what they may, and show what the table publishes."""
    name = str(output.get("name"))
    spec_path, geo_path = files.get("map_spec"), files.get("map_geojson")
    if not spec_path or not geo_path or not (root / spec_path).is_file() \
            or not (root / geo_path).is_file():
        return [BundleProblem(name, "a map needs its spec and its boundaries", "map_spec")]
    try:
        spec = json.loads((root / spec_path).read_text("utf-8"))
        geo = json.loads((root / geo_path).read_text("utf-8"))
    except (OSError, ValueError) as error:
        return [BundleProblem(name, f"unreadable: {error}", "unreadable")]
    problems = _spec_shape(spec_path, spec, output)
    if problems:
        return problems
    level = spec["level"]
    problems += _geo_shape(geo_path, geo, level)
    frame = tables.get(spec["table"])
    if frame is None or spec["column"] not in frame.columns or "area" not in frame.columns:
        return [*problems, BundleProblem(spec_path, f"drawn from {spec['table']}."
                                         f"{spec['column']}, not a table column in the bundle",
                                         "map_spec")]
    problems += _areas(spec_path, geo_path, spec, geo, frame)
    problems += _values(spec_path, spec, frame)
    problems += _names(geo_path, geo, level, labels)
    return problems


def _spec_shape(where: str, spec: object, output: dict) -> list[BundleProblem]:
    if not isinstance(spec, dict) or set(spec) != SPEC_KEYS:
        keys = sorted(spec) if isinstance(spec, dict) else type(spec).__name__
        return [BundleProblem(where, f"holds {keys}, expected exactly {sorted(SPEC_KEYS)}",
                              "map_spec")]
    bad = []
    if spec["level"] not in CODE_DIGITS:
        bad.append(f"level {spec['level']!r}")
    if list(output.get("based_on", ())) != [spec["table"]]:
        bad.append(f"based_on {output.get('based_on')} is not [{spec['table']!r}]")
    if not isinstance(spec["areas"], list) or not all(
            isinstance(a, dict) and set(a) == {"code", "value", "class"} for a in spec["areas"]):
        bad.append("areas are not {code, value, class} each")
    if not isinstance(spec["bounds"], list) or not all(_finite(b) for b in spec["bounds"]) \
            or spec["bounds"] != sorted(spec["bounds"]):
        bad.append("bounds are not ascending numbers")
    if not isinstance(spec["without_boundary"], list) or not isinstance(spec["credit"], str) \
            or not _finite(spec["tolerance_m"]) or not isinstance(spec["synthetic"], bool):
        bad.append("without_boundary, credit, synthetic or tolerance_m of the wrong type")
    return [BundleProblem(where, f"malformed: {b}", "map_spec") for b in bad]


def _geo_shape(where: str, geo: object, level: str) -> list[BundleProblem]:
    """Only a FeatureCollection of (code, name) MultiPolygons with whole-metre RD coordinates."""
    def problem(text: str) -> list[BundleProblem]:
        return [BundleProblem(where, text, "map_boundaries")]

    if not isinstance(geo, dict) or set(geo) != {"type", "crs", "features"} \
            or geo["type"] != "FeatureCollection" or geo["crs"] != CRS \
            or not isinstance(geo["features"], list):
        return problem("is not a FeatureCollection in RD New with only type, crs and features")
    code = re.compile(rf"^\d{{{CODE_DIGITS[level]}}}$")
    for i, feature in enumerate(geo["features"]):
        if not isinstance(feature, dict) or set(feature) != {"type", "properties", "geometry"} \
                or feature["type"] != "Feature":
            return problem(f"feature {i} holds more than type, properties and geometry")
        props = feature["properties"]
        if not isinstance(props, dict) or set(props) != {"code", "name"}:
            shown = sorted(props) if isinstance(props, dict) else props
            return problem(f"feature {i} has properties {shown}, expected exactly code and name")
        if not isinstance(props["code"], str) or not code.match(props["code"]):
            return problem(f"feature {i}: code {props['code']!r} is not a {level} code")
        if not isinstance(props["name"], str) or not _LETTER.search(props["name"]) \
                or len(props["name"]) > 80:
            return problem(f"feature {i}: name {props['name']!r} is not an area's name")
        if not _coordinates_ok(feature["geometry"]):
            return problem(f"feature {i}: geometry is not a MultiPolygon of whole-metre RD "
                           "coordinates")
    return []


def _coordinates_ok(geometry: object) -> bool:
    if not isinstance(geometry, dict) or set(geometry) != {"type", "coordinates"} \
            or geometry["type"] != "MultiPolygon" or not isinstance(geometry["coordinates"], list):
        return False
    x0, y0, x1, y1 = RD_BOUNDS
    for polygon in geometry["coordinates"]:
        for ring in polygon if isinstance(polygon, list) else [None]:
            if not isinstance(ring, list) or len(ring) < 4:
                return False
            for point in ring:
                if not (isinstance(point, list) and len(point) == 2
                        and all(type(v) is int for v in point)
                        and x0 <= point[0] <= x1 and y0 <= point[1] <= y1):
                    return False
    return True


def _areas(spec_path: str, geo_path: str, spec: dict, geo: dict, frame: pd.DataFrame
           ) -> list[BundleProblem]:
    table = {str(c) for c in frame["area"]}
    mapped = [str(a["code"]) for a in spec["areas"]]
    drawn = [str(f["properties"]["code"]) for f in geo["features"]]
    missing = {str(c) for c in spec["without_boundary"]}
    problems = []
    if sorted(drawn) != sorted(mapped) or len(set(drawn)) != len(drawn):
        problems.append(BundleProblem(geo_path, "its areas are not the map's areas "
                                      f"(only on the map: {sorted(set(drawn) - set(mapped))}, "
                                      f"missing: {sorted(set(mapped) - set(drawn))})",
                                      "map_areas"))
    if not set(mapped) <= table or (table - set(mapped)) != missing:
        problems.append(BundleProblem(spec_path, f"its areas are not those of {spec['table']} "
                                      f"(not in the table: {sorted(set(mapped) - table)}; "
                                      "in the table, neither mapped nor listed without a "
                                      f"boundary: {sorted(table - set(mapped) - missing)}; "
                                      "listed without a boundary but mapped or not in the "
                                      f"table: {sorted(missing - (table - set(mapped)))})",
                                      "map_areas"))
    return problems


def _values(where: str, spec: dict, frame: pd.DataFrame) -> list[BundleProblem]:
    cells = dict(zip((str(c) for c in frame["area"]),
                     pd.to_numeric(frame[spec["column"]], errors="coerce"), strict=False))
    bounds = [float(b) for b in spec["bounds"]]
    published = [float(cells[str(a["code"])]) for a in spec["areas"]
                 if str(a["code"]) in cells and _finite(cells[str(a["code"])])]
    problems = [BundleProblem(where, f"class bound {b} is not a published value of "
                              f"{spec['table']}.{spec['column']}", "map_value")
                for b in bounds if not any(_same(b, v) for v in published)]
    for area in spec["areas"]:
        code, value = str(area["code"]), area["value"]
        cell = cells.get(code)
        if cell is None:
            continue  # _areas reported it
        if (value is None) != (not _finite(cell)) or (value is not None and (
                not _finite(value) or not _same(float(value), float(cell)))):
            problems.append(BundleProblem(where, f"area {code}: the map shows {value}, the "
                                          f"table publishes {cell}", "map_value"))
        elif area["class"] != class_of(value, bounds):
            problems.append(BundleProblem(where, f"area {code}: class {area['class']}, its "
                                          f"value {value} is in class {class_of(value, bounds)}",
                                          "map_value"))
    return problems


def _names(where: str, geo: dict, level: str, labels: pd.DataFrame | None
           ) -> list[BundleProblem]:
    words = {} if labels is None else dict(zip(
        labels.loc[labels["variable"] == level, "level"],
        labels.loc[labels["variable"] == level, "label_nl"], strict=True))
    wrong = [f["properties"]["code"] for f in geo["features"]
             if words.get(f["properties"]["code"]) != f["properties"]["name"]]
    return [BundleProblem(where, f"names of {wrong[:5]} are not their names in labels.csv",
                          "map_boundaries")] if wrong else []


def _finite(value: object) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool) \
        and math.isfinite(float(value))


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_TOLERANCE, abs_tol=_TOLERANCE)


__all__ = ["CLASSES", "class_bounds", "class_of", "geojson_of", "map_problems", "map_spec",
           "read_map"]
