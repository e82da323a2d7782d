"""Synthetic wijk- en buurtkaart: a GeoPackage in the CBS layout (layers ``buurten``, ``wijken``,
``gemeenten``; columns ``buurtcode``, ``buurtnaam``, ``wijkcode``, ``wijknaam``,
``gemeentecode``, ``gemeentenaam``, ``water``), RD New (EPSG:28992), near the real place.

Each municipality is a smooth blob around its real centre (clipped to its Voronoi cell among
the known centres, so neighbours never overlap); its wijken are a Voronoi tessellation of it,
and each wijk's buurten a Voronoi tessellation of the wijk, so a wijk is exactly the union of
its buurten and the municipality the union of its wijken. Seeds are relaxed (Lloyd) on points
denser towards the centre: buurten are smaller in the core, as in a real town. Names are made
up (the wijk holding the centre is "Centrum", a buurt is its wijk's name and its direction:
"Centrum-Noord"); the file's metadata marks it synthetic, and the reader's credit says so.

Everything is a pure function of ``Areas`` (its codes and municipality): ``buurt_polygons``
gives the same polygons the file holds (synthetic schools are placed inside buurten with it).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import shapely

from smartstart.sources._boundaries import SYNTHETIC_CREDIT, SYNTHETIC_KEY
from smartstart.synth._area import Areas

#: approximate RD New centres (metres) of the municipalities synth writes by their real code:
#: the demo municipality, its neighbours (``_area.NEIGHBOURS``) and the region Hart van Brabant
CENTRES: dict[str, tuple[float, float]] = {
    "0784": (121_500, 396_500),  # Gilze en Rijen
    "0855": (133_000, 397_500),  # Tilburg
    "0758": (112_500, 400_500),  # Breda
    "0785": (131_500, 389_000),  # Goirle
    "0824": (142_000, 400_000),  # Oisterwijk
    "0798": (136_500, 384_500),  # Hilvarenbeek
    "0867": (134_000, 411_500),  # Waalwijk
    "0809": (138_000, 405_000),  # Loon op Zand
    "0826": (114_000, 408_500),  # Oosterhout
    "0757": (122_000, 382_000),  # Baarle-Nassau
    "0796": (150_000, 411_500),  # 's-Hertogenbosch
    "0766": (125_500, 404_500),  # Dongen
    "0797": (144_500, 413_500),  # Heusden
}
#: the file synth writes in the delivery folder (the example pilots' ``paths.boundaries``)
BOUNDARIES_PATH = "Geo/wijkenbuurten_synthetisch.gpkg"
SEED = 28992
#: the GeoPackage's last_change stamp: fixed, so one seed writes the same bytes
FILE_DATE = "2000-01-01T00:00:00.000Z"
_STEMS = ("Molen", "Kerk", "Beuken", "Eiken", "Linden", "Heide", "Vlas", "Hooi", "Zand",
          "Berken", "Wilgen", "Vogel", "Bloemen", "Akker", "Dijk", "Haven", "Koren", "Hoven",
          "Vennen", "Bos", "Beek", "Kasteel", "Schans", "Lei", "Esch", "Goor")
_ENDS = ("wijk", "veld", "hoek", "kwartier", "park", "akker", "hof", "dreef")
_DIRECTIONS = ("Oost", "Noordoost", "Noord", "Noordwest", "West", "Zuidwest", "Zuid", "Zuidoost")


def centre(gem: str) -> tuple[float, float]:
    """The municipality's centre: its real one, else a place on a grid north of the known ones
    (invented codes 0001, 0004, ... of national runs)."""
    if gem in CENTRES:
        return CENTRES[gem]
    k = int(gem)
    return 20_000.0 + (k % 10) * 25_000.0, 470_000.0 + (k // 10 % 6) * 25_000.0


@cache
def _cells() -> dict[str, object]:
    """The Voronoi cell of every known centre: a municipality never crosses into another's."""
    codes = sorted(CENTRES)
    points = shapely.multipoints([CENTRES[c] for c in codes])
    box = shapely.box(-50_000, 250_000, 350_000, 700_000)
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=box))
    out = {}
    for code in codes:
        point = shapely.Point(CENTRES[code])
        out[code] = next(c for c in cells if c.contains(point))
    return out


def municipality_polygon(gem: str, n_buurten: int) -> shapely.Polygon:
    """A smooth blob around the centre, its size growing with the number of buurten; a known
    place reaches towards its neighbours (its Voronoi cell then draws the shared border)."""
    rng = np.random.default_rng([SEED, int(gem)])
    x, y = centre(gem)
    radius = float(np.clip(1_100 * np.sqrt(n_buurten), 3_000, 8_000))
    if gem in CENTRES:
        nearest = min(np.hypot(x - a, y - b) for c, (a, b) in CENTRES.items() if c != gem)
        radius = float(min(max(radius, 0.75 * nearest), 9_000))
    theta = np.linspace(0, 2 * np.pi, 72, endpoint=False)
    k = rng.integers(2, 5, 2)
    phase = rng.uniform(0, 2 * np.pi, 2)
    r = radius * (1 + 0.16 * np.sin(k[0] * theta + phase[0])
                  + 0.08 * np.sin(k[1] * theta + phase[1]))
    shape = shapely.Polygon(np.c_[x + r * np.cos(theta), y + r * np.sin(theta)])
    if gem in CENTRES:
        shape = shapely.intersection(shape, _cells()[gem])
    return shapely.set_precision(shape, 1.0)


def _sample(rng: np.random.Generator, shape, centre_xy: tuple[float, float], n: int
            ) -> np.ndarray:
    """``n`` points inside ``shape``, denser towards the town's centre."""
    minx, miny, maxx, maxy = shape.bounds
    spread = max(maxx - minx, maxy - miny) / 5
    out: list[np.ndarray] = []
    have = 0
    while have < n:
        core = rng.normal(centre_xy, spread, (n, 2))
        flat = np.c_[rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)]
        points = np.where(rng.random((n, 1)) < 0.5, core, flat)
        inside = points[shapely.contains_xy(shape, points[:, 0], points[:, 1])]
        out.append(inside)
        have += len(inside)
    return np.concatenate(out)[:n]


def _tessellate(rng: np.random.Generator, shape, k: int, sample: np.ndarray) -> list:
    """``k`` cells covering ``shape`` (Lloyd-relaxed Voronoi of seeds among ``sample``)."""
    if k <= 1:
        return [shape]
    seeds = sample[rng.choice(len(sample), k, replace=False)].astype(float)
    for _ in range(8):
        nearest = np.argmin(((sample[:, None, :] - seeds[None]) ** 2).sum(-1), axis=1)
        for j in range(k):
            if (nearest == j).any():
                seeds[j] = sample[nearest == j].mean(0)
    seeds += rng.normal(0, 1e-3, seeds.shape)  # never two equal seeds
    cells = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=shapely.buffer(shape, 1_000)))
    out = []
    for seed in seeds:
        cell = next(c for c in cells if c.intersects(shapely.Point(seed)))
        out.append(shapely.intersection(cell, shape))
    return out


@cache
def _layout(gem: str, wijken: tuple[str, ...], buurten: tuple[str, ...]) -> tuple[dict, dict]:
    rng = np.random.default_rng([SEED, int(gem), 1])
    shape = municipality_polygon(gem, len(buurten))
    middle = centre(gem)
    sample = _sample(rng, shape, middle, 6_000)
    codes = sorted({str(w) for w in wijken})
    wijk_cells = _tessellate(rng, shape, len(codes), sample)
    # the wijk nearest the centre is 01 (as in many towns): order cells by distance
    order = np.argsort([c.centroid.distance(shapely.Point(middle)) for c in wijk_cells])
    wijk_shape = {code: wijk_cells[i] for code, i in zip(codes, order, strict=True)}
    buurt_shape: dict[str, object] = {}
    for code in codes:
        mine = sorted(str(b) for b, w in zip(buurten, wijken, strict=True) if w == code)
        inside = sample[shapely.contains_xy(wijk_shape[code], sample[:, 0], sample[:, 1])]
        if len(inside) < 20 * len(mine):
            inside = _sample(rng, wijk_shape[code], middle, 40 * len(mine))
        cells = _tessellate(rng, wijk_shape[code], len(mine), inside)
        buurt_shape.update(zip(mine, cells, strict=True))
    buurt_shape = _coverage(buurt_shape)
    wijk_union = {code: shapely.union_all([buurt_shape[b] for b in buurt_shape
                                           if b.startswith(code)]) for code in codes}
    return wijk_union, buurt_shape


def _coverage(shapes: dict[str, object]) -> dict[str, object]:
    """The same areas as an exact coverage: every border noded once, so neighbours share it
    vertex for vertex (as in the CBS file; no slivers between a wijk's buurten and the next
    wijk's)."""
    lines = shapely.union_all([shapely.boundary(g) for g in shapes.values()])
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(lines)))
    codes = list(shapes)
    tree = shapely.STRtree(list(shapes.values()))
    owned: dict[str, list] = {c: [] for c in codes}
    for face in faces:
        inside = tree.query(face.point_on_surface(), predicate="intersects")
        if len(inside):
            owned[codes[int(min(inside))]].append(face)
    return {c: shapely.union_all(parts) if len(parts) > 1 else parts[0]
            for c, parts in owned.items()}


def _of(areas: Areas) -> tuple[dict, dict]:
    return _layout(str(areas.gem), tuple(str(w) for w in areas.wc),
                   tuple(str(b) for b in areas.bc))


def buurt_polygons(areas: Areas) -> dict[str, shapely.Polygon]:
    """Each synthetic buurt's polygon (RD New metres) by its 8-digit code, as in the file."""
    return dict(_of(areas)[1])


def wijk_polygons(areas: Areas) -> dict[str, shapely.Polygon]:
    """Each synthetic wijk's polygon: the union of its buurten."""
    return dict(_of(areas)[0])


def names(areas: Areas) -> dict[str, str]:
    """Made-up names of the wijken and buurten (code -> name): the wijk nearest the centre is
    "Centrum", a buurt is its wijk's name and its direction from the wijk's middle."""
    rng = np.random.default_rng([SEED, int(areas.gem), 2])
    wijken, buurten = _of(areas)
    stems, ends = rng.permutation(_STEMS), rng.permutation(_ENDS)
    out: dict[str, str] = {}
    for i, code in enumerate(sorted(wijken)):
        out[code] = "Centrum" if i == 0 else f"{stems[i % len(stems)]}{ends[i % len(ends)]}"
    for code in sorted(wijken):
        mine = sorted(b for b in buurten if b.startswith(code))
        if len(mine) == 1:
            out[mine[0]] = out[code]
            continue
        middle = wijken[code].centroid
        for b in mine:
            c = buurten[b].centroid
            angle = np.degrees(np.arctan2(c.y - middle.y, c.x - middle.x)) % 360
            name = f"{out[code]}-{_DIRECTIONS[int(((angle + 22.5) % 360) // 45)]}"
            while name in out.values():
                name += " II" if not name.endswith("I") else "I"
            out[b] = name
    return out


def write_boundaries(path: Path, municipalities: Sequence[tuple[Areas, str]]) -> Path:
    """The GeoPackage of every (areas, municipality name): layers buurten, wijken, gemeenten
    in the CBS wijk- en buurtkaart's columns, marked synthetic in its metadata."""
    import pyogrio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    tmp.unlink(missing_ok=True)
    rows: dict[str, list[tuple]] = {"buurten": [], "wijken": [], "gemeenten": []}
    for areas, gem_name in municipalities:
        wijken, buurten = _of(areas)
        named = names(areas)
        gm = f"GM{areas.gem}"
        for code, shape in sorted(buurten.items()):
            rows["buurten"].append((shape, (f"BU{code}", named[code], f"WK{code[:6]}", gm,
                                            gem_name, "NEE")))
        for code, shape in sorted(wijken.items()):
            rows["wijken"].append((shape, (f"WK{code}", named[code], gm, gem_name, "NEE")))
        rows["gemeenten"].append((shapely.union_all(list(wijken.values())),
                                  (gm, gem_name, "NEE")))
    columns = {"buurten": ("buurtcode", "buurtnaam", "wijkcode", "gemeentecode",
                           "gemeentenaam", "water"),
               "wijken": ("wijkcode", "wijknaam", "gemeentecode", "gemeentenaam", "water"),
               "gemeenten": ("gemeentecode", "gemeentenaam", "water")}
    before = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": FILE_DATE})  # the same bytes per seed
    try:
        for layer, items in rows.items():
            geometry = shapely.to_wkb(np.array([_multipolygon(g) for g, _ in items]))
            fields = [np.array([v[i] for _, v in items], dtype=object)
                      for i in range(len(columns[layer]))]
            pyogrio.raw.write(tmp, geometry, fields, list(columns[layer]), layer=layer,
                              driver="GPKG", crs="EPSG:28992", geometry_type="MultiPolygon",
                              dataset_metadata={SYNTHETIC_KEY: SYNTHETIC_CREDIT}
                              if layer == "buurten" else None, append=layer != "buurten")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})
    tmp.replace(path)
    return path


def _multipolygon(geometry) -> shapely.MultiPolygon:
    return shapely.MultiPolygon([p for p in shapely.get_parts(geometry)
                                 if p.geom_type == "Polygon"])


__all__ = ["BOUNDARIES_PATH", "CENTRES", "buurt_polygons", "centre", "municipality_polygon",
           "names", "wijk_polygons", "write_boundaries"]
