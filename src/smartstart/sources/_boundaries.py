"""The CBS wijk- en buurtkaart (a GeoPackage the user supplies, read offline): the buurten,
wijken and municipalities of the pilot's municipalities with their names, and the buurt of a
point.

The layout (layer and column names of the known years) is data: ``boundaries.yaml``. Only the
pilot's municipalities are read (an OGR ``where`` on the code's prefix); coordinates must be RD
New (EPSG:28992); water-only areas are left out; codes become smartstart's codes (BU07840101 ->
07840101, WK078401 -> 078401, GM0784 -> 0784). Every problem of the file is reported at once,
each naming the file, the layer, the column, what was expected and what to do.

``read_boundaries(path, municipalities)`` returns ``Boundaries``; ``assign_buurten(boundaries,
x, y)`` gives the buurt code of RD points (an STRtree point-in-polygon).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import numpy as np

from smartstart._yaml import safe_load
from smartstart.sources.errors import Problem, SourceError

Level = Literal["buurt", "wijk", "gemeente"]
LEVELS: tuple[Level, ...] = ("buurt", "wijk", "gemeente")
#: the credit CBS asks for (its year appended when the file names one)
CREDIT = "Kadaster / Centraal Bureau voor de Statistiek"
#: the credit of synth's boundaries (``synth._boundaries``), recognised by the file's metadata
SYNTHETIC_CREDIT = "synthetische grenzen"
SYNTHETIC_KEY = "smartstart_synthetic"
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")
_GET = ("the CBS wijk- en buurtkaart GeoPackage of your peildatum's year (www.cbs.nl, "
        "'Wijk- en buurtkaart <year>', file wijkenbuurten_<year>_v<n>.gpkg)")


@dataclass(frozen=True)
class Area:
    """One area: smartstart's code, its name (the code when the file names none), its geometry
    as read (for points) and simplified (for maps), in RD New metres."""

    code: str
    name: str
    level: Level
    geometry: object
    shape: object


@dataclass(frozen=True)
class Boundaries:
    """The areas of the pilot's municipalities, per level, by code."""

    file: Path
    municipalities: tuple[str, ...]
    areas: Mapping[str, Mapping[str, Area]]
    credit: str
    year: int | None = None
    synthetic: bool = False
    #: metres: the simplification of ``Area.shape``
    tolerance: float = 0.0
    #: water-only areas left out, per level
    water: Mapping[str, int] = field(default_factory=dict)
    #: the layer read per level
    layers: Mapping[str, str] = field(default_factory=dict)

    def names(self, level: str) -> dict[str, str]:
        """Code -> name of every area of ``level``."""
        return {c: a.name for c, a in self.areas.get(level, {}).items()}

    def missing(self, level: str, codes: Iterable[object]) -> list[str]:
        """The codes (of areas in the data) that have no boundary in the file, sorted."""
        known = self.areas.get(level, {})
        return sorted({str(c) for c in codes} - set(known))


# -- layout ------------------------------------------------------------------------------------

@cache
def layout() -> dict:
    """``boundaries.yaml``: layers and columns per level, the water column, the CRS."""
    text = resources.files("smartstart.sources").joinpath("boundaries.yaml").read_text("utf-8")
    return safe_load(text)


def _layer_pattern(name: str) -> re.Pattern[str]:
    text = re.escape(name.casefold()).replace(r"\{year\}", r"\d{4}").replace(r"\{v\}", r"\d+")
    return re.compile(f"^{text}$")


def find_layer(layers: Sequence[str], level: str) -> str | None:
    """The file's layer of ``level``: the first spelling of the layout that one matches."""
    for spelling in layout()["levels"][level]["layers"]:
        pattern = _layer_pattern(spelling)
        for layer in layers:
            if pattern.match(layer.casefold()):
                return layer
    return None


def _column(fields: Sequence[str], spellings: Sequence[str]) -> str | None:
    by_lower = {f.casefold(): f for f in fields}
    return next((by_lower[s.casefold()] for s in spellings if s.casefold() in by_lower), None)


# -- reading -----------------------------------------------------------------------------------

def read_boundaries(path: Path, municipalities: Sequence[str], *,
                    tolerance: float | None = None) -> Boundaries:
    """The buurten, wijken and municipalities of ``municipalities`` (4-digit CBS codes) in the
    wijk- en buurtkaart at ``path``, simplified by ``tolerance`` metres for maps (default: the
    layout's ``simplify_metres``). Raises ``SourceError`` with every problem of the file."""
    path = Path(path)
    codes = tuple(dict.fromkeys(str(c).zfill(4) for c in municipalities))
    tolerance = float(layout()["simplify_metres"] if tolerance is None else tolerance)
    if not path.is_file():
        raise SourceError(f"{path}: the boundaries file does not exist",
                          hint=f"set paths.boundaries to {_GET}, or leave it out (the areas "
                               "are then named by their codes and the report has no map)",
                          kind="invalid")
    bad = [c for c in codes if not (len(c) == 4 and c.isdigit())]
    if bad or not codes:
        raise SourceError(f"municipality codes must be 4 digits, got {bad or 'none'}")
    stat = path.stat()
    # read once per run (the check before linking, schools to buurt, the map): the same file,
    # unchanged, gives the same (read-only) result
    return _read(path.resolve(), stat.st_mtime_ns, stat.st_size, codes, tolerance)


@lru_cache(maxsize=4)
def _read(path: Path, _mtime: int, _size: int, codes: tuple[str, ...], tolerance: float
          ) -> Boundaries:
    import pyogrio

    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as error:  # noqa: BLE001 - GDAL's errors vary by driver and damage
        raise SourceError(f"{path}: cannot be read as a GeoPackage ({error})",
                          hint=f"supply {_GET}", kind="unreadable") from error
    problems: list[Problem] = []
    found: dict[str, str] = {}
    for level in LEVELS:
        layer = find_layer(layers, level)
        if layer is not None:
            found[level] = layer
        elif layout()["levels"][level]["required"]:
            problems.append(_missing_layer(path, level, layers))
    read: dict[str, _Read] = {}
    for level, layer in found.items():
        result = _read_level(path, layer, level, codes, problems)
        if result is not None:
            read[level] = result
    if "buurt" in read:
        problems += _unknown_municipalities(path, found["buurt"], codes, read["buurt"])
    if problems:
        raise SourceError(f"{path}: {len(problems)} problem(s) in the boundaries file",
                          problems=problems)
    return _boundaries(path, codes, read, found, tolerance,
                       pyogrio.read_info(path, layer=found["buurt"]))


@dataclass
class _Read:
    codes: list[str]
    names: list[str]
    geometry: np.ndarray
    water: int


def _missing_layer(path: Path, level: str, layers: Sequence[str]) -> Problem:
    spellings = ", ".join(str(s) for s in layout()["levels"][level]["layers"])
    return Problem("missing_layer", str(path), "",
                   f"no layer of the {level} level (expected one of: {spellings}; the file has: "
                   f"{', '.join(layers) or 'no layers'})",
                   hint=f"supply {_GET}; a layer under another name can be added to "
                        "smartstart/sources/boundaries.yaml")


def _read_level(path: Path, layer: str, level: str, codes: tuple[str, ...],
                problems: list[Problem]) -> _Read | None:
    import pyogrio

    spec = layout()["levels"][level]
    info = pyogrio.read_info(path, layer=layer)
    where = f"{path}, layer {layer}"
    crs = str(info.get("crs") or "")
    if crs.upper() != layout()["crs"]:
        problems.append(Problem(
            "crs", where, "", f"coordinates are in {crs or 'an unknown system'}, expected "
            f"RD New ({layout()['crs']})",
            hint="use the wijk- en buurtkaart as CBS publishes it (RD New), or reproject the "
                 "file to EPSG:28992 (e.g. ogr2ogr -t_srs EPSG:28992)"))
    fields = [str(f) for f in info["fields"]]
    code_col = _column(fields, spec["code"]["columns"])
    name_col = _column(fields, spec["name"])
    water_col = _column(fields, layout()["water"]["columns"])
    if code_col is None:
        problems.append(Problem(
            "missing_column", where, " or ".join(spec["code"]["columns"]),
            f"no column with the {level} code (expected {spec['code']['columns'][0]}, values "
            f"like {spec['code']['prefix']}{'0784'.ljust(spec['code']['digits'], '1')})",
            hint=f"supply {_GET}; a column under another name can be added to "
                 "smartstart/sources/boundaries.yaml"))
    if name_col is None and level != "gemeente":
        problems.append(Problem(
            "missing_column", where, " or ".join(spec["name"]),
            f"no column with the {level}'s name (expected {spec['name'][0]})",
            hint=f"supply {_GET}"))
    if code_col is None or any(p.kind == "crs" and p.file == where for p in problems):
        return None
    prefix = spec["code"]["prefix"]
    clause = " OR ".join(f"\"{code_col}\" LIKE '{prefix}{c}%'" for c in codes)
    columns = [c for c in (code_col, name_col, water_col) if c is not None]
    _, _, wkb, values = pyogrio.raw.read(path, layer=layer, columns=columns, where=clause)
    data = dict(zip(columns, values, strict=True))
    return _rows(path, layer, level, data, wkb, code_col, name_col, water_col, problems)


def _rows(path: Path, layer: str, level: str, data: dict, wkb: np.ndarray, code_col: str,
          name_col: str | None, water_col: str | None, problems: list[Problem]) -> _Read:
    import shapely

    spec = layout()["levels"][level]["code"]
    raw = np.array([str(v).strip() if v is not None else "" for v in data[code_col]], object)
    water_values = {str(v).casefold() for v in layout()["water"]["water_values"]}
    water = (np.array([str(v).strip().casefold() in water_values for v in data[water_col]],
                      dtype=bool) if water_col else np.zeros(len(raw), bool))
    pattern = re.compile(rf"^{spec['prefix']}(\d{{{spec['digits']}}})$", re.IGNORECASE)
    matched = [pattern.match(v) for v in raw]
    bad = [v for v, m in zip(raw, matched, strict=True) if m is None]
    if bad:
        problems.append(Problem(
            "bad_values", f"{path}, layer {layer}", code_col,
            f"{len(bad)} code(s) not of the form {spec['prefix']} + {spec['digits']} digits "
            f"(e.g. {bad[0]!r})", hint=f"supply {_GET}", count=len(bad)))
    keep = np.array([m is not None for m in matched], dtype=bool) & ~water  # empty: no rows
    geometry = shapely.make_valid(shapely.from_wkb(wkb[keep]))
    names = (data[name_col][keep] if name_col else raw[keep])
    codes = [m.group(1) for m, k in zip(matched, keep, strict=True) if k]
    return _Read(codes, [str(n).strip() if n else c for n, c in zip(names, codes, strict=True)],
                 geometry, int(water.sum()))


def _unknown_municipalities(path: Path, layer: str, codes: tuple[str, ...], buurten: _Read
                            ) -> list[Problem]:
    present = {c[:4] for c in buurten.codes}
    unknown = [c for c in codes if c not in present]
    if not unknown:
        return []
    return [Problem("unknown_municipality", f"{path}, layer {layer}", "",
                    f"no buurten of municipality {', '.join('GM' + c for c in unknown)}",
                    hint="check the pilot's municipality codes (study.gemeente, gemeenten or "
                         "regio) and use the wijk- en buurtkaart of the year of the peildatum "
                         "(municipalities merge and get new codes)",
                    count=len(unknown))]


def _boundaries(path: Path, codes: tuple[str, ...], read: dict[str, _Read],
                found: dict[str, str], tolerance: float, info: dict) -> Boundaries:
    import shapely

    areas: dict[str, Mapping[str, Area]] = {}
    for level, rows in read.items():
        merged = _merge(rows)
        simplified = _simplify(list(merged.values()), tolerance)
        names = dict(zip(rows.codes, rows.names, strict=True))
        if level == "gemeente":
            names = {c: _municipality_name(c, n) for c, n in names.items()}
        areas[level] = MappingProxyType({
            c: Area(c, names[c], level, g, s)  # type: ignore[arg-type]
            for (c, g), s in zip(sorted(merged.items()), simplified, strict=True)})
    if "gemeente" not in areas:  # the outline is the union of the wijken
        wijken = areas.get("wijk", {})
        outlines = {}
        for code in codes:
            parts = [a.geometry for c, a in wijken.items() if c.startswith(code)]
            if parts:
                union = shapely.union_all(parts)
                outlines[code] = Area(code, _municipality_name(code, code), "gemeente",
                                      union, _simplify([union], tolerance)[0])
        areas["gemeente"] = MappingProxyType(outlines)
    metadata = {str(k): str(v) for k, v in (info.get("dataset_metadata") or {}).items()}
    synthetic = SYNTHETIC_KEY in metadata
    year = _year([path.stem, *found.values()])
    credit = SYNTHETIC_CREDIT if synthetic else (f"{CREDIT}, {year}" if year else CREDIT)
    return Boundaries(path, codes, MappingProxyType(areas), credit, year, synthetic, tolerance,
                      MappingProxyType({lv: r.water for lv, r in read.items()}),
                      MappingProxyType(dict(found)))


def _municipality_name(code: str, name: str) -> str:
    """A municipality without a name in the file: its name in the region catalog, else
    "gemeente 0784" (a name is words, never a bare code)."""
    if name and name != code:
        return name
    from smartstart.sources._regions import municipality_names

    return municipality_names().get(code, f"gemeente {code}")


def _merge(rows: _Read) -> dict[str, object]:
    """One geometry per code (a file may split an area over several rows), sorted by code."""
    import shapely

    parts: dict[str, list] = {}
    for code, geometry in zip(rows.codes, rows.geometry, strict=True):
        parts.setdefault(code, []).append(geometry)
    return {c: (g[0] if len(g) == 1 else shapely.union_all(g)) for c, g in sorted(parts.items())}


def _simplify(geometries: list, tolerance: float) -> list:
    """Simplified for maps: as a coverage (shared borders stay shared), else one by one."""
    import shapely

    if tolerance <= 0 or not geometries:
        return list(geometries)
    array = np.asarray(geometries, dtype=object)
    try:
        out = shapely.coverage_simplify(array, tolerance)
    except Exception:  # noqa: BLE001 - not a valid coverage (overlaps): simplify one by one
        out = shapely.simplify(array, tolerance, preserve_topology=True)
    return list(shapely.make_valid(out))


def _year(texts: Iterable[str]) -> int | None:
    for text in texts:
        match = _YEAR.search(text)
        if match:
            return int(match.group(1))
    return None


# -- points ------------------------------------------------------------------------------------

def assign_buurten(boundaries: Boundaries, x: Sequence[float] | np.ndarray,
                   y: Sequence[float] | np.ndarray) -> np.ndarray:
    """The buurt code of each point (RD New metres): an object array of codes, ``None`` where
    no buurt of the file holds the point (outside the municipalities read, water, a missing
    coordinate). A point on a border between buurten goes to the lowest code."""
    import shapely

    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xs.shape != ys.shape or xs.ndim != 1:
        raise ValueError(f"x and y must be 1-d and of one length (got {xs.shape}, {ys.shape})")
    buurten = sorted(boundaries.areas.get("buurt", {}).values(), key=lambda a: a.code)
    out = np.full(len(xs), None, dtype=object)
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not buurten or not ok.any():
        return out
    codes = np.array([a.code for a in buurten], dtype=object)
    tree = shapely.STRtree([a.geometry for a in buurten])
    where = np.flatnonzero(ok)
    points = shapely.points(xs[where], ys[where])
    point, area = tree.query(points, predicate="intersects")
    order = np.lexsort((area, point))
    first = np.unique(point[order], return_index=True)[1]
    out[where[point[order][first]]] = codes[area[order][first]]
    return out


__all__ = ["CREDIT", "LEVELS", "SYNTHETIC_CREDIT", "Area", "Boundaries", "Level",
           "assign_buurten", "find_layer", "layout", "read_boundaries"]
