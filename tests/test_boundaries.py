"""The wijk- en buurtkaart reader (``sources._boundaries``) and synth's GeoPackage
(``synth._boundaries``): read back against what was written (codes, names, geometry with
stated tolerances), the real CBS layouts of two eras, every problem at once, and points
assigned to the buurt they were planted in."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely

from smartstart.sources import SourceError
from smartstart.sources._boundaries import CREDIT, assign_buurten, read_boundaries
from smartstart.sources._regions import load_regions
from smartstart.synth._area import make_areas
from smartstart.synth._boundaries import (
    CENTRES,
    buurt_polygons,
    names,
    wijk_polygons,
    write_boundaries,
)

TOLERANCE = 10.0  # metres: the reader's simplification (boundaries.yaml simplify_metres)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Synth's GeoPackage of the demo municipality (0784) and Tilburg (0855)."""
    demo = make_areas(np.random.default_rng([1, 0]), "0784", 11_346)
    other = make_areas(np.random.default_rng([1, 1]), "0855", 2_000)
    path = tmp_path_factory.mktemp("geo") / "wijkenbuurten_synthetisch.gpkg"
    write_boundaries(path, [(demo, "Gilze en Rijen"), (other, "Tilburg")])
    return path, demo, other


# -- synth's file ------------------------------------------------------------------------------

def test_synths_file_reads_back_with_its_codes_names_and_shapes(synthetic):
    path, demo, _ = synthetic
    read = read_boundaries(path, ["0784"])
    assert set(read.areas["buurt"]) == {str(b) for b in demo.bc}  # 0855 is not read
    assert set(read.areas["wijk"]) == {str(w) for w in demo.wc}
    assert set(read.areas["gemeente"]) == {"0784"}
    assert read.names("buurt") == {c: n for c, n in names(demo).items() if len(c) == 8}
    assert read.synthetic and read.credit == "synthetische grenzen"
    planted = buurt_polygons(demo)
    for code, area in read.areas["buurt"].items():
        # as written (1 m grid), and the map's shape within the simplification's tolerance
        assert shapely.symmetric_difference(area.geometry, planted[code]).area < 1.0
        assert shapely.hausdorff_distance(area.shape, planted[code]) <= TOLERANCE + 1e-6


def test_synths_buurten_tessellate_their_wijken_and_the_municipality(synthetic):
    _, demo, other = synthetic
    for areas in (demo, other):
        buurten, wijken = buurt_polygons(areas), wijk_polygons(areas)
        whole = shapely.union_all(list(buurten.values()))
        # no overlaps: the parts' areas add up to the union's (0.01 %)
        assert sum(p.area for p in buurten.values()) == pytest.approx(whole.area, rel=1e-4)
        for wijk, shape in wijken.items():
            union = shapely.union_all([p for b, p in buurten.items() if b.startswith(wijk)])
            assert shapely.symmetric_difference(union, shape).area < 1.0
        # near the real place: the centre within 3 km of the municipality's real centre
        assert shapely.Point(CENTRES[areas.gem]).distance(whole) < 3_000
    # neighbours never overlap
    assert shapely.intersection(shapely.union_all(list(buurt_polygons(demo).values())),
                                shapely.union_all(list(buurt_polygons(other).values()))
                                ).area < 1.0


def test_the_region_and_invented_codes_get_boundaries_too(tmp_path):
    areas = make_areas(np.random.default_rng([3, 2]), "0004", 25_000)
    polygons = buurt_polygons(areas)
    assert set(polygons) == {str(b) for b in areas.bc}
    assert all(p.is_valid and p.area > 0 for p in polygons.values())
    region = load_regions()["hart_van_brabant"].municipalities
    places = [(make_areas(np.random.default_rng([1, i]), code, 2_000), name)
              for i, (code, name) in enumerate(region.items())]
    read = read_boundaries(write_boundaries(tmp_path / "region.gpkg", places), list(region))
    assert read.names("gemeente") == region
    shapes = [a.geometry for a in read.areas["gemeente"].values()]
    # nine municipalities side by side: none overlaps another (0.01 %)
    assert sum(s.area for s in shapes) == pytest.approx(shapely.union_all(shapes).area,
                                                        rel=1e-4)


# -- a file in the real CBS layout -------------------------------------------------------------

def _square(x: float, y: float, size: float = 1_000.0):
    return shapely.box(x, y, x + size, y + size)


#: two buurten of wijk 078401, one of 078402, a water-only buurt, and one of Tilburg
PLANTED = {
    "07840101": ("Centrum-Noord", _square(120_000, 397_000), "NEE"),
    "07840102": ("Centrum-Zuid", _square(120_000, 396_000), "NEE"),
    "07840201": ("Molenakker", _square(121_000, 396_000, 2_000), "NEE"),
    "07849999": ("Groot binnenwater", _square(119_000, 396_000), "JA"),
    "08550101": ("Binnenstad", _square(133_000, 397_000), "NEE"),
}


def write_cbs(path: Path, *, era: str = "2022", crs: str = "EPSG:28992",
              drop: tuple[str, ...] = (), layers: tuple[str, ...] = ("buurt", "wijk", "gemeente"),
              buurten: dict | None = None) -> Path:
    """A GeoPackage as CBS writes it: ``era`` 2022 (layers buurten/wijken/gemeenten, columns
    buurtcode, buurtnaam, ...) or 2020 (cbs_buurten_2020, BU_CODE, BU_NAAM, WATER, ...)."""
    buurten = PLANTED if buurten is None else buurten
    new = era == "2022"
    wijk_shapes: dict[str, list] = {}
    for code, (_, shape, water) in buurten.items():
        wijk_shapes.setdefault(code[:6], []).append((shape, water))
    rows = {
        "buurt": [(shape, {"buurtcode": f"BU{c}", "buurtnaam": n, "wijkcode": f"WK{c[:6]}",
                           "gemeentecode": f"GM{c[:4]}", "water": w})
                  for c, (n, shape, w) in buurten.items()],
        "wijk": [(shapely.union_all([s for s, _ in parts]),
                  {"wijkcode": f"WK{w}", "wijknaam": f"Wijk {w[-2:]} {w[:4]}",
                   "gemeentecode": f"GM{w[:4]}",
                   "water": "JA" if all(x == "JA" for _, x in parts) else "NEE"})
                 for w, parts in wijk_shapes.items()],
        "gemeente": [(shapely.union_all([s for c, (_, s, _) in buurten.items() if c[:4] == g]),
                      {"gemeentecode": f"GM{g}", "gemeentenaam": g, "water": "NEE"})
                     for g in sorted({c[:4] for c in buurten})],
    }
    old_names = {"buurtcode": "BU_CODE", "buurtnaam": "BU_NAAM", "wijkcode": "WK_CODE",
                 "wijknaam": "WK_NAAM", "gemeentecode": "GM_CODE", "gemeentenaam": "GM_NAAM",
                 "water": "WATER"}
    layer_names = ({"buurt": "buurten", "wijk": "wijken", "gemeente": "gemeenten"} if new else
                   {"buurt": "cbs_buurten_2020", "wijk": "cbs_wijken_2020",
                    "gemeente": "gemeente_2020"})
    first = True
    for level in layers:
        items = rows[level]
        columns = [c for c in items[0][1] if c not in drop]
        geometry = shapely.to_wkb(shapely.multipolygons(
            [shapely.get_parts(g) for g, _ in items]))
        fields = [np.array([values[c] for _, values in items], dtype=object) for c in columns]
        spelled = columns if new else [old_names[c] for c in columns]
        pyogrio.raw.write(path, geometry, fields, spelled, layer=layer_names[level],
                          driver="GPKG", crs=crs, geometry_type="MultiPolygon",
                          append=not first)
        first = False
    return path


@pytest.mark.parametrize("era", ["2022", "2020"])
def test_a_file_in_the_cbs_layout_reads_the_pilots_municipality_only(tmp_path, era):
    name = "wijkenbuurten_2023_v1.gpkg" if era == "2022" else "WijkBuurtkaart_2020_v3.gpkg"
    read = read_boundaries(write_cbs(tmp_path / name, era=era), ["784"])
    assert read.names("buurt") == {"07840101": "Centrum-Noord", "07840102": "Centrum-Zuid",
                                   "07840201": "Molenakker"}  # no water, no Tilburg
    assert read.water["buurt"] == 1
    assert set(read.areas["wijk"]) == {"078401", "078402"}
    assert read.names("wijk")["078401"] == "Wijk 01 0784"
    assert read.credit == f"{CREDIT}, {2023 if era == '2022' else 2020}"
    assert not read.synthetic
    assert read.missing("buurt", ["07840101", "07840301"]) == ["07840301"]
    assert read.areas["buurt"]["07840201"].geometry.area == pytest.approx(4e6)


def test_without_a_municipality_layer_the_outline_is_the_union_of_the_wijken(tmp_path):
    read = read_boundaries(write_cbs(tmp_path / "w.gpkg", layers=("buurt", "wijk")), ["0784"])
    assert read.areas["gemeente"]["0784"].geometry.area == pytest.approx(6e6)
    # named from the region catalog: a name is words, never a bare code
    assert read.names("gemeente") == {"0784": "Gilze en Rijen"}


# -- errors ------------------------------------------------------------------------------------

def _problems(path: Path, municipalities=("0784",)) -> SourceError:
    with pytest.raises(SourceError) as caught:
        read_boundaries(path, municipalities)
    return caught.value


def test_a_wrong_crs_is_named_with_what_to_do(tmp_path):
    error = _problems(write_cbs(tmp_path / "wgs.gpkg", crs="EPSG:4326"))
    assert set(error.kinds) == {"crs"} and len(error.problems) == 3  # each layer
    problem = error.problems[0]
    assert "wgs.gpkg" in problem.file and "layer" in problem.file
    assert "EPSG:28992" in problem.message and "EPSG:4326" in problem.message
    assert problem.hint


def test_a_missing_layer_and_a_missing_column_are_reported_at_once(tmp_path):
    path = write_cbs(tmp_path / "bad.gpkg", layers=("buurt",), drop=("buurtnaam",))
    error = _problems(path)
    assert sorted(error.kinds) == ["missing_column", "missing_layer"]
    column = next(p for p in error.problems if p.kind == "missing_column")
    assert column.column.startswith("buurtnaam") and "buurten" in column.file
    layer = next(p for p in error.problems if p.kind == "missing_layer")
    assert "wijken" in layer.message and "buurten" in layer.message  # expected, and found


def test_an_unknown_municipality_is_named(tmp_path):
    error = _problems(write_cbs(tmp_path / "k.gpkg"), ("0784", "0797"))
    assert error.kinds == ["unknown_municipality"]
    assert "GM0797" in error.problems[0].message and error.problems[0].count == 1


def test_a_file_that_is_not_there_or_not_a_geopackage(tmp_path):
    assert _problems(tmp_path / "absent.gpkg").kinds == ["invalid"]
    (tmp_path / "text.gpkg").write_text("not a GeoPackage", "utf-8")
    assert _problems(tmp_path / "text.gpkg").kinds == ["unreadable"]


# -- points ------------------------------------------------------------------------------------

def test_points_go_to_the_buurt_they_were_planted_in(synthetic):
    path, demo, _ = synthetic
    read = read_boundaries(path, ["0784"])
    rng = np.random.default_rng(7)
    planted = buurt_polygons(demo)
    xs, ys, truth = [], [], []
    for code, polygon in planted.items():
        x0, y0, x1, y1 = polygon.bounds
        x, y = rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400)
        inside = shapely.contains_xy(polygon, x, y)
        xs += list(x[inside][:20])
        ys += list(y[inside][:20])
        truth += [code] * len(x[inside][:20])
    # outside every buurt, and a missing coordinate
    xs += [50_000.0, np.nan]
    ys += [500_000.0, 400_000.0]
    x, y = np.array(xs), np.array(ys)
    before = x.copy()
    got = assign_buurten(read, x, y)
    assert list(got[:-2]) == truth and len(truth) > 15 * len(planted)
    assert got[-2] is None and got[-1] is None
    np.testing.assert_array_equal(x, before)  # the input is not modified


def test_a_point_on_a_border_goes_to_the_lowest_code(tmp_path):
    read = read_boundaries(write_cbs(tmp_path / "b.gpkg"), ["0784"])
    # 07840101 and 07840102 share the line y = 397,000
    assert list(assign_buurten(read, [120_500.0], [397_000.0])) == ["07840101"]
    with pytest.raises(ValueError):
        assign_buurten(read, [1.0, 2.0], [1.0])
