"""The bundle: only passed outputs get in, it appears atomically, and tampering is detected."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
import pytest

from smartstart.bundle import BundleWriter, CheckedTable, read_bundle, verify_files


@dataclass(frozen=True)
class Verdict:
    status: str

    def to_dict(self) -> dict:
        return {"status": self.status, "rules": [{"rule": "threshold", "status": self.status}]}


TABLE = pd.DataFrame({"huishoudens": [120, 45]}, index=pd.Index(["ja", "nee"], name="huur"))


def _write(tmp_path, *, status="pass"):
    with BundleWriter(tmp_path / "bundle", pilot={"name": "t"}, inputs={"X/2022": "ab"},
                      seed=1) as writer:
        writer.add_table(CheckedTable("huur", TABLE, Verdict(status), ("huurtoeslag",)))
        writer.add_table(CheckedTable("type", TABLE, Verdict("pass"), ("huurtoeslag", "typhh")))
        writer.add_text("toelichting", "# Toelichting\n", based_on=("huur",))
    return tmp_path / "bundle"


def test_a_bundle_round_trips(tmp_path):
    bundle = read_bundle(_write(tmp_path))
    pd.testing.assert_frame_equal(bundle.table("huur"), TABLE)
    assert [o["name"] for o in bundle.outputs] == ["huur", "type", "toelichting"]
    assert bundle.verdict("type")["status"] == "pass"
    assert bundle.manifest["inputs"] == {"X/2022": "ab"} and bundle.manifest["seed"] == 1
    assert bundle.variables.loc["typhh"].to_dict() == {"huur": 0, "type": 1}
    assert bundle.text("toelichting").startswith("# Toelichting")
    assert not (tmp_path / "bundle.partial").exists()


@pytest.mark.parametrize("status", ["fail", "review"])
def test_only_passed_outputs_get_in_and_nothing_is_left(tmp_path, status):
    with pytest.raises(ValueError):
        _write(tmp_path, status=status)
    assert list(tmp_path.iterdir()) == []


def test_a_text_must_rest_on_tables_in_the_bundle(tmp_path):
    with pytest.raises(ValueError), BundleWriter(tmp_path / "b", pilot={}) as writer:
        writer.add_text("kaart", "x", based_on=("missing",))
    assert list(tmp_path.iterdir()) == []


def test_duplicate_or_odd_names_are_refused(tmp_path):
    writer = BundleWriter(tmp_path / "b", pilot={})
    writer.add_table(CheckedTable("a", TABLE, Verdict("pass")))
    for name in ("a", "../escape", "Upper"):
        with pytest.raises(ValueError):
            writer.add_table(CheckedTable(name, TABLE, Verdict("pass")))
    writer.abort()
    assert list(tmp_path.iterdir()) == []


def test_one_changed_byte_is_found(tmp_path):
    root = _write(tmp_path)
    path = root / "tables" / "huur.csv"
    data = bytearray(path.read_bytes())
    data[-2] = ord("9") if data[-2] != ord("9") else ord("8")
    path.write_bytes(bytes(data))
    problems = verify_files(root)
    assert [(p.where, p.problem.split(":")[0]) for p in problems] == [
        ("tables/huur.csv", "checksum differs")]
    with pytest.raises(ValueError):
        read_bundle(root)


def test_added_and_removed_files_are_found(tmp_path):
    root = _write(tmp_path)
    (root / "tables" / "extra.csv").write_text("x\n1\n")
    (root / "texts" / "toelichting.md").unlink()
    where = {p.where for p in verify_files(root)}
    assert where == {"tables/extra.csv", "texts/toelichting.md"}


def test_manifest_is_json_with_timestamps(tmp_path):
    manifest = json.loads((_write(tmp_path) / "manifest.json").read_text("utf-8"))
    assert manifest["bundle_version"] == 1
    assert manifest["started_at"] <= manifest["finished_at"]
