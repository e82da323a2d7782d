"""The school-location file the user supplies (``paths.schools``, issue 14): placed by buurt code
or by RD coordinates in the boundaries' buurten, both giving synth's planted school buurten;
bad files give every problem at once, each naming the file, the column and what to do; a pilot
asking min_schools without the file fails at load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartstart.errors import SourceError
from smartstart.pilot import load_pilot
from smartstart.sources._boundaries import assign_buurten, read_boundaries
from smartstart.sources._schools import read_school_locations
from smartstart.synth._area import make_areas
from smartstart.synth._boundaries import write_boundaries
from smartstart.synth._schools import OUTSIDE, write_school_locations


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple:
    """A synthetic municipality's areas, its wijk- en buurtkaart and its boundaries read."""
    root = tmp_path_factory.mktemp("schools")
    areas = make_areas(np.random.default_rng(5), "0784", 9000)
    gpkg = write_boundaries(root / "buurten.gpkg", [(areas, "Gilze en Rijen")])
    return root, areas, read_boundaries(gpkg, ["0784"])


def _planted(areas) -> pd.Series:
    return pd.Series(areas.bc[areas.school_buurt], index=areas.school_brin)


def _placer(boundaries):
    return lambda x, y: assign_buurten(boundaries, x, y)


def test_coordinates_and_buurt_codes_give_the_planted_buurten(world):
    root, areas, boundaries = world
    coded = read_school_locations(write_school_locations(root / "coded.csv", [areas]))
    points = read_school_locations(write_school_locations(root / "points.csv", [areas],
                                                          buurt_codes=False),
                                   _placer(boundaries))
    planted = _planted(areas)
    for read in (coded, points):
        mine = read.branches[read.branches["key"].isin(planted.index)]
        assert len(mine) == len(planted) >= 6
        assert (mine.set_index("key")["buurt"] == planted[mine["key"]]).all()
        assert read.rows == len(planted) + len(OUTSIDE) and read.without_key == 0
    # the two branches elsewhere: a code outside the pilot, or a point in no buurt read
    others = coded.branches[~coded.branches["key"].isin(planted.index)]
    assert sorted(others["buurt"]) == sorted(code for code, _, _ in OUTSIDE)
    assert points.branches.loc[~points.branches["key"].isin(planted.index), "buurt"].isna().all()


def test_the_readers_formats_agree(world, tmp_path):
    root, areas, _ = world
    frame = pd.read_csv(write_school_locations(root / "f.csv", [areas]), sep=";", dtype=str)
    frame.to_parquet(tmp_path / "f.parquet")
    frame.to_csv(tmp_path / "comma.csv", sep=",", index=False, encoding="latin-1")
    reads = [read_school_locations(p).branches for p in
             (root / "f.csv", tmp_path / "f.parquet", tmp_path / "comma.csv")]
    for other in reads[1:]:
        pd.testing.assert_frame_equal(reads[0], other)


def _write(path: Path, columns: dict) -> Path:
    pd.DataFrame(columns).to_csv(path, sep=";", index=False)
    return path


def _problems(path: Path, place=None) -> list:
    with pytest.raises(SourceError) as caught:
        read_school_locations(path, place)
    return list(caught.value.problems)


def test_a_file_without_a_key_and_without_a_place_names_both(tmp_path):
    path = _write(tmp_path / "s.csv", {"brin": ["00AA"], "postcode": ["5121AA"]})
    problems = _problems(path)
    assert [(p.kind, p.column) for p in problems] == [("missing_column", "school key"),
                                                      ("missing_column", "buurt or x/y")]
    assert all(str(path) == p.file and p.hint for p in problems)
    assert "WPOBRIN_crypt" in problems[0].message and "postcode" in problems[0].message


def test_every_bad_value_is_reported_at_once(tmp_path):
    path = _write(tmp_path / "s.csv", {
        "WPOBRIN_crypt": ["K1", "K2", "K3", "K4"],
        "buurtcode": ["BU07840101", "BU0784X", "", ""],
        "x": ["", "", "abc", "5.1"], "y": ["", "", "397000", "51.6"]})
    problems = _problems(path, place=lambda x, y: np.full(len(x), None, dtype=object))
    # the code; x not a number; x and y of the last row in degrees, not RD metres
    assert sorted((p.kind, p.column, p.count) for p in problems) == [
        ("bad_values", "buurtcode", 1), ("bad_values", "x", 1), ("bad_values", "x", 1),
        ("bad_values", "y", 1)]
    assert sum("degrees" in p.message for p in problems) == 2
    assert all(p.file == str(path) and p.hint for p in problems)


def test_coordinates_without_a_boundaries_file_say_what_to_do(tmp_path):
    path = _write(tmp_path / "s.csv", {"WPOBRIN_crypt": ["K1"], "x": ["121000"],
                                       "y": ["396000"]})
    (problem,) = _problems(path)
    assert problem.kind == "invalid" and "paths.boundaries" in problem.hint


def test_a_missing_or_unreadable_file_is_named(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        read_school_locations(tmp_path / "none.csv")
    bad = tmp_path / "s.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(SourceError) as caught:
        read_school_locations(bad)
    assert caught.value.kinds == ["unreadable"] and str(bad) in str(caught.value)


def test_empty_keys_are_counted_not_silent(tmp_path):
    path = _write(tmp_path / "s.csv", {"WPOBRIN_crypt": ["K1", "", " "],
                                       "buurtcode": ["07840101", "07840102", "7840103"]})
    read = read_school_locations(path)
    assert read.rows == 3 and read.without_key == 2
    assert list(read.branches["buurt"]) == ["07840101"]


def test_min_schools_without_a_school_file_fails_at_load(tmp_path):
    pilot = tmp_path / "pilot.yaml"
    pilot.write_text("study:\n  name: t\n  gemeente: '0784'\n  peildatum: 2020-01-01\n"
                     "  analyses: [areas]\n  areas: {select: {top: 3, min_schools: 3}}\n"
                     "paths: {store: store, output: out}\n", "utf-8")
    with pytest.raises(SourceError) as caught:
        load_pilot(pilot)
    assert "min_schools" in str(caught.value) and "paths.schools" in str(caught.value)
    pilot.write_text(pilot.read_text("utf-8").replace(
        "output: out}", "output: out, schools: s.csv}"), "utf-8")
    assert load_pilot(pilot).study.areas.select.min_schools == 3


def test_a_key_with_branches_in_two_buurten_counts_in_both_with_its_pupils_in_neither():
    from smartstart.analyses._areas import area_schools
    from smartstart.linking._schools import _branches

    found = pd.DataFrame({"key": ["A", "A", "B", "C", "D"],
                          "buurt": ["07840101", "07840102", "07840101", "08550101",
                                    "07840102"]})
    ours = found[found["buurt"].str[:4] == "0784"]
    pupils = pd.DataFrame({"key": ["A", "B", "C", "Z"], "pupils": [40, 25, 30, 12]})
    branches = _branches(ours, found, pupils)
    assert list(branches["placed"]) == [False, True, False, True]
    assert "key" not in branches.columns  # a run-local number only: no school key
    per = area_schools(branches, "buurt").set_index("area")
    # D has no pupil of the delivery: not attended, not counted
    assert per.to_dict("index") == {"07840101": {"schools": 2, "pupils": 25},
                                    "07840102": {"schools": 1, "pupils": 0}}
