"""synth -> ingest round trip: the store holds exactly what truth.json says was planted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from smartstart.sources import ingest
from smartstart.synth import SynthSpec, generate

FORMATS = ["sav", "csv", "csv-labels", "parquet"]
HOUSEHOLDS = 700


@pytest.fixture(scope="module", params=FORMATS)
def delivered(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"synth-{request.param}")
    source, store = root / "cbs", root / "store"
    generate(source, SynthSpec(households=HOUSEHOLDS, seed=7, fmt=request.param))
    report = ingest(source, store)
    truth = json.loads((source / "truth.json").read_text("utf-8"))
    manifest = json.loads((store / "manifest.json").read_text("utf-8"))
    return source, store, truth, manifest, report


def _newest(truth: dict) -> list[tuple[str, dict]]:
    newest = {k: v["newest"] for k, v in truth["versions"].items()}
    return [(rel, f) for rel, f in truth["files"].items()
            if f["version"] == newest[f"{f['table']} {f['year']}"]]


def _entry(manifest: dict, table: str, year: int) -> dict:
    hits = [e for e in manifest["entries"] if e["table"] == table and e["year"] == year]
    assert len(hits) == 1, (table, year)
    return hits[0]


def test_every_newest_file_is_ingested_with_its_rows(delivered):
    _, store, truth, manifest, _ = delivered
    newest = _newest(truth)
    assert len(manifest["entries"]) == len(newest)
    for rel, planted in newest:
        entry = _entry(manifest, planted["table"], planted["year"])
        assert entry["version"] == planted["version"]
        assert Path(entry["source"]).as_posix() == rel
        assert entry["rows_read"] == entry["rows_written"] == planted["rows"]
        assert pq.read_metadata(store / entry["store_path"]).num_rows == planted["rows"]


def test_code_distributions_match_planted(delivered):
    _, store, truth, manifest, _ = delivered
    for _, planted in _newest(truth):
        entry = _entry(manifest, planted["table"], planted["year"])
        table = pq.read_table(store / entry["store_path"])
        for column, counts in planted["codes"].items():
            got = pc.value_counts(table[column].drop_null()).to_pylist()
            assert {d["values"]: d["counts"] for d in got} == counts, (entry["source"], column)


def test_dirt_is_counted_exactly(delivered):
    _, _, truth, manifest, _ = delivered
    checked = 0
    for _, planted in _newest(truth):
        cols = _entry(manifest, planted["table"], planted["year"])["columns"]
        for column, n in planted["missing"].items():
            assert cols[column]["missing_code_nulls"] + cols[column]["empty_nulls"] == n
            checked += n
        for column, n in planted["impossible_dates"].items():
            assert cols[column]["impossible_dates"] == n
            checked += n
        for column, n in planted["open_end_aliases"].items():
            assert cols[column]["open_ends_normalised"] == n
        for column, n in planted["padded"].items():
            assert cols[column]["padded_codes"] == n
    assert checked > 0


def test_keys_have_the_catalog_width_so_ingest_does_not_warn_of_lost_zeros(delivered):
    """synth wrote 12-digit object numbers where the catalog has 16: every synthetic ingest
    warned that all of them had lost their leading zeros (helper-41)."""
    _, _, _, _, report = delivered
    assert [w.message for w in report.warnings if w.kind == "keys_zero_padded"] == []


def test_impossible_dates_are_null_and_open_ends_are_2050(delivered):
    _, store, truth, manifest, _ = delivered
    entry = _entry(manifest, "GBAADRESOBJECTBUS", truth["spec"]["last_year"])
    ends = pq.read_table(store / entry["store_path"])["GBADATUMEINDEADRESHOUDING"]
    planted = truth["files"][entry["source"].replace("\\", "/")]["impossible_dates"]
    assert ends.null_count == planted["GBADATUMEINDEADRESHOUDING"] > 0
    assert pc.max(ends).as_py().isoformat() == "2050-12-31"


def test_older_version_is_delivered_but_not_chosen(delivered):
    source, _, truth, manifest, _ = delivered
    last = truth["spec"]["last_year"]
    assert truth["versions"][f"GBAPERSOONTAB {last}"] == {"delivered": [1, 2], "newest": 2}
    assert _entry(manifest, "GBAPERSOONTAB", last)["version"] == 2


def test_legacy_file_name_and_old_column_spelling_are_read(delivered):
    _, store, truth, manifest, _ = delivered
    first = truth["spec"]["first_year"]
    entry = _entry(manifest, "HOOGSTEOPLTAB", first)
    assert " HOOGSTEOPLTAB " in entry["source"]
    table = pq.read_table(store / entry["store_path"])
    assert table["OPLNIVSOI2021AGG4HBmetNIRWO"].drop_null().length() > 0


def test_same_seed_same_data(tmp_path):
    def digest(folder: Path) -> dict[str, str]:
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*.parquet"))}

    generate(tmp_path / "a", SynthSpec(households=300, seed=3, fmt="parquet"))
    generate(tmp_path / "b", SynthSpec(households=300, seed=3, fmt="parquet"))
    generate(tmp_path / "c", SynthSpec(households=300, seed=4, fmt="parquet"))
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_every_address_object_is_in_vslgwb_with_the_same_type(delivered):
    _, store, truth, manifest, _ = delivered
    last = truth["spec"]["last_year"]
    spells = pq.read_table(store / _entry(manifest, "GBAADRESOBJECTBUS", last)["store_path"])
    objects = pq.read_table(store / _entry(manifest, "VSLGWBTAB", last)["store_path"])
    joined = spells.join(objects, ["RINOBJECTNUMMER"], join_type="left outer",
                         right_suffix="_vslgwb")
    assert joined.num_rows == spells.num_rows
    assert joined["gem"].null_count == 0
    assert pc.all(pc.equal(joined["SOORTOBJECTNUMMER"],
                           joined["SOORTOBJECTNUMMER_vslgwb"])).as_py()


def test_demo_size_plants_the_seed_food_bank_types(demo_run, planted_three_four):
    # the demo's own delivery (SynthSpec at the demo size, seed 1), synthesised once per session
    five = json.loads((demo_run / "cbs" / "truth.json").read_text("utf-8"))["demo"]["foodbank"]
    assert {k: v["households"] for k, v in five["types"].items()} == {
        "1": 35, "2": 38, "3": 26, "4": 30, "5": 62}
    # seed 1 at the demo size with types 2, 3 and 5 only (the planted typology test's world)
    root, _ = planted_three_four
    whole = json.loads((root / "seed1_235" / "cbs" / "truth.json").read_text("utf-8"))
    assert (whole["spec"]["households"], whole["spec"]["seed"]) == (11_346, 1)
    three = whole["demo"]
    assert {k: v["households"] for k, v in three["foodbank"]["types"].items()} == {
        "2": 38, "3": 26, "5": 62}
