"""The areas map (issue 14): the demo's bundle carries the boundaries of exactly its published
buurten and what the map shows; the report's SVG has one path per published area, coloured by
the class its published value implies (computed here independently); the areas are named;
``smartstart check`` fails a bundle whose map smuggles a number, shows an area the table does
not publish, or shows a value the table does not publish."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_boundaries import PLANTED, write_cbs
from test_run_bundle import _rewrite_checksums, demo  # noqa: F401 - the shared demo

from smartstart.bundle import check_bundle, read_bundle
from smartstart.bundle._exports import rewrite_derived
from smartstart.bundle._maps import class_bounds, class_of
from smartstart.outputs._maps import area_map
from smartstart.report._areas import ranking
from smartstart.report._map import HATCH_ID, PALETTE, SPREAD, map_blocks
from smartstart.report._source import Source
from smartstart.report._text import t
from smartstart.report._types import DataTable, Html, Text

SVG = "{http://www.w3.org/2000/svg}"
MAP = "maps/map_areas"


def _table(root: Path) -> pd.DataFrame:
    return pd.read_parquet(root / "tables" / "areas_children.parquet")


def _independent_classes(values: pd.Series) -> dict[str, int | None]:
    """Quantile classes by hand: bounds are the sorted published values at ranks
    round(q (n - 1)), q = 0, .2, ..., 1 (repeats dropped); a value's class is the number of
    inner bounds at or below it."""
    finite = sorted(float(v) for v in values if np.isfinite(v))
    picks = []
    for q in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0):
        value = finite[int(np.floor(q * (len(finite) - 1) + 0.5))]
        if value not in picks:
            picks.append(value)
    inner = picks[1:-1]
    return {code: (None if not np.isfinite(v) else sum(v >= b for b in inner))
            for code, v in values.items()}


def _svg(root: Path, lang: str = "nl") -> tuple[ET.Element, list[object]]:
    src = Source(read_bundle(root), lang)
    cfg = {"level": "buurt"}
    blocks = map_blocks(src, cfg, lang, {"measure": "m", "level": "buurten"})
    html = next(b for b in blocks if isinstance(b, Html)).markup
    # the map is the SVG with a viewBox (inline in HTML it has no xmlns: added to parse it)
    start = html.index("<svg viewBox")
    end = html.index("</svg>", start)
    markup = html[start:end + len("</svg>")].replace(
        "<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return ET.fromstring(markup), blocks


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_one_path_per_published_area_in_the_class_its_value_implies(demo, lang):  # noqa: F811
    root = demo / "bundle"
    frame = _table(root)
    svg, _ = _svg(root, lang)
    assert svg.get("role") == "img" and svg.get("aria-label") and svg.get("viewBox")
    paths = [p for p in svg.iter(f"{SVG}path") if p.get("data-area")]
    assert sorted(p.get("data-area") for p in paths) == sorted(frame["area"])  # one each
    values = pd.Series(frame["shrunk"].to_numpy(float), index=frame["area"])
    expected = _independent_classes(values)
    used = max(c for c in expected.values() if c is not None) + 1
    src = Source(read_bundle(root), lang)
    table = src.table("areas_children")
    for path in paths:
        code = path.get("data-area")
        k = expected[code]
        title = path.find(f"{SVG}title").text
        if k is None:
            assert path.get("fill") == f"url(#{HATCH_ID})" and path.get("data-class") == ""
            assert t("map_title_small", lang, name="").strip(": ") in title
        else:
            assert int(path.get("data-class")) == k
            assert path.get("fill") == PALETTE[SPREAD[used][k]]
            row = int(np.flatnonzero(frame["area"] == code)[0])
            assert table.show(row, "shrunk", "pct1") in title  # the value as published
    chosen = set(frame.loc[frame["status"] == "chosen", "area"])
    labels = [e.text for e in svg.iter(f"{SVG}text")]
    names = src.bundle.labels()
    named = dict(zip(names.loc[names["variable"] == "buurt", "level"],
                     names.loc[names["variable"] == "buurt", "label_nl"], strict=True))
    assert sorted(labels) == sorted(named[c] for c in chosen)


def test_the_areas_are_named_not_coded(demo):  # noqa: F811
    root = demo / "bundle"
    frame = _table(root)
    names = read_bundle(root).labels()
    buurten = names[names["variable"] == "buurt"].set_index("level")["label_nl"]
    assert set(frame["area"]) <= set(buurten.index)
    assert not any(n.isdigit() for n in buurten)
    table = next(b for b in ranking(Source(read_bundle(root), "nl"), "nl").blocks
                 if isinstance(b, DataTable))
    assert {r[0] for r in table.rows} == {buurten[a] for a in frame["area"]}
    spec = json.loads((root / f"{MAP}.json").read_text("utf-8"))
    assert spec["synthetic"] and spec["without_boundary"] == []
    assert spec["bounds"] == class_bounds(frame["shrunk"].tolist())


def test_class_of_matches_the_bounds():
    bounds = class_bounds([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, np.nan])
    assert bounds == [0.01, 0.02, 0.03, 0.04, 0.05, 0.06]
    assert [class_of(v, bounds) for v in (0.01, 0.019, 0.02, 0.055, 0.06)] == [0, 0, 1, 4, 4]
    assert class_of(float("nan"), bounds) is None
    assert class_bounds([0.03, 0.03, 0.03]) == [0.03] and class_of(0.03, [0.03]) == 0


# -- smartstart check --------------------------------------------------------------------------

def _tampered(results: Path, tmp_path: Path, change) -> list[str]:
    root = Path(shutil.copytree(results / "bundle", tmp_path / "bundle"))
    geo = json.loads((root / f"{MAP}.geojson").read_text("utf-8"))
    spec = json.loads((root / f"{MAP}.json").read_text("utf-8"))
    change(geo, spec)
    (root / f"{MAP}.geojson").write_text(json.dumps(geo), "utf-8")
    (root / f"{MAP}.json").write_text(json.dumps(spec), "utf-8")
    _rewrite_checksums(root)
    return [p.kind for p in check_bundle(root)[0]]


def test_the_map_as_written_is_sound(demo, tmp_path):  # noqa: F811
    assert _tampered(demo, tmp_path, lambda geo, spec: None) == []


def _smuggle_property(geo, spec):
    geo["features"][0]["properties"]["children"] = 7


def _smuggle_name(geo, spec):
    geo["features"][0]["properties"]["name"] = "17"


def _smuggle_digits(geo, spec):
    ring = geo["features"][0]["geometry"]["coordinates"][0][0]
    ring[1] = [ring[1][0] + 0.017, ring[1][1]]  # a count in the decimals


def _smuggle_member(geo, spec):
    geo["note"] = {"children_hidden": 4}


def _extra_area(geo, spec):
    feature = json.loads(json.dumps(geo["features"][0]))
    feature["properties"] = {"code": "07849901", "name": "Nergens"}
    geo["features"].append(feature)
    spec["areas"].append({"code": "07849901", "value": None, "class": None})


def _dropped_area(geo, spec):
    gone = geo["features"].pop()["properties"]["code"]
    spec["areas"] = [a for a in spec["areas"] if a["code"] != gone]


def _other_value(geo, spec):
    area = next(a for a in spec["areas"] if a["value"] is not None)
    area["value"] = round(area["value"] + 0.01, 3)


def _shown_hidden(geo, spec):
    area = next(a for a in spec["areas"] if a["value"] is None)
    area["value"], area["class"] = 0.05, 0


def _other_class(geo, spec):
    area = next(a for a in spec["areas"] if a["value"] is not None)
    area["class"] = area["class"] + 1


@pytest.mark.parametrize(("change", "kind"), [
    (_smuggle_property, "map_boundaries"), (_smuggle_name, "map_boundaries"),
    (_smuggle_digits, "map_boundaries"), (_smuggle_member, "map_boundaries"),
    (_extra_area, "map_areas"), (_dropped_area, "map_areas"),
    (_other_value, "map_value"), (_shown_hidden, "map_value"), (_other_class, "map_value")])
def test_check_fails_a_tampered_map(demo, tmp_path, change, kind):  # noqa: F811
    assert kind in _tampered(demo, tmp_path, change)


# -- without a boundaries file, and with one that lacks areas ----------------------------------

def test_without_a_boundaries_file_the_areas_keep_their_codes(demo, tmp_path):  # noqa: F811
    root = Path(shutil.copytree(demo / "bundle", tmp_path / "bundle"))
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    manifest["outputs"] = [o for o in manifest["outputs"] if o["kind"] != "map"]
    manifest["files"] = [f for f in manifest["files"] if not f["path"].startswith("maps/")]
    (root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    shutil.rmtree(root / "maps")
    labels = pd.read_csv(root / "labels.csv", dtype=str, keep_default_na=False)
    labels[~labels["variable"].isin(["buurt", "wijk"]) | (labels["level"] == "")].to_csv(
        root / "labels.csv", index=False)
    rewrite_derived(root)  # the workbook's names sheet follows labels.csv
    _rewrite_checksums(root)
    assert check_bundle(root)[0] == []
    part = ranking(Source(read_bundle(root), "nl"), "nl")
    assert not any(isinstance(b, Html) for b in part.blocks)
    assert t("areas_names_note", "nl") in [b.text for b in part.blocks if isinstance(b, Text)]
    assert area_map(SimpleNamespace(), None, []) is None


def test_areas_without_a_boundary_are_listed_and_counted(demo, tmp_path):  # noqa: F811
    frame = _table(demo / "bundle")
    # a file with two of the demo's buurten (and water): the others have no boundary
    two = dict(zip(frame["area"][:2], list(PLANTED.values())[:2], strict=True))
    path = write_cbs(tmp_path / "wijkenbuurten_2023_v1.gpkg", buurten=two)
    study = SimpleNamespace(areas=SimpleNamespace(measure="outcome", level="buurt"),
                            municipalities=("0784",))
    published = SimpleNamespace(record=SimpleNamespace(name="areas_children"), frame=frame)
    result = area_map(study, path, [published])
    assert [f["properties"]["code"] for f in result.geojson["features"]] == list(two)
    assert result.without_boundary == sorted(set(frame["area"]) - set(two))
    assert result.credit == "Kadaster / Centraal Bureau voor de Statistiek, 2023"
    labels = result.labels(pd.DataFrame(columns=["variable", "level", "label_nl", "label_en",
                                                 "type", "role", "period"]))
    assert dict(zip(labels["level"], labels["label_nl"], strict=True)) == {
        c: n for c, (n, _, _) in two.items()} | {"078401": "Wijk 01 0784"}


def test_an_area_listed_without_a_boundary_is_sound_and_counted(demo, tmp_path):  # noqa: F811
    def drop(geo, spec):
        gone = geo["features"].pop()["properties"]["code"]
        spec["areas"] = [a for a in spec["areas"] if a["code"] != gone]
        spec["without_boundary"] = [gone]

    assert _tampered(demo, tmp_path, drop) == []  # listed: sound
    src = Source(read_bundle(tmp_path / "bundle"), "nl")
    svg, blocks = _svg(tmp_path / "bundle")
    assert len([p for p in svg.iter(f"{SVG}path") if p.get("data-area")]) == len(
        _table(tmp_path / "bundle")) - 1
    spec = json.loads((tmp_path / "bundle" / f"{MAP}.json").read_text("utf-8"))
    said = [b.text for b in blocks if isinstance(b, Text)]
    assert said == [t("map_without", "nl", n=1, codes=spec["without_boundary"][0],
                      measure="m", level="buurten")]
    assert src.has("map_areas")
