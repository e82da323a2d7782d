"""The bundle: only passed outputs get in, it appears atomically, and tampering is detected."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pandas as pd
import pytest

from smartstart.bundle import BundleWriter, CheckedTable, check_bundle, read_bundle, verify_files
from smartstart.bundle._write import sha256


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
    assert [(p.where, p.kind) for p in problems] == [("tables/huur.csv", "hash")]
    with pytest.raises(ValueError):
        read_bundle(root)


def test_added_and_removed_files_are_found(tmp_path):
    root = _write(tmp_path)
    (root / "tables" / "extra.csv").write_text("x\n1\n")
    (root / "texts" / "toelichting.md").unlink()
    found = {(p.where, p.kind) for p in verify_files(root)}
    assert found == {("tables/extra.csv", "undeclared"), ("texts/toelichting.md", "missing")}


def test_manifest_is_json_with_timestamps(tmp_path):
    manifest = json.loads((_write(tmp_path) / "manifest.json").read_text("utf-8"))
    assert manifest["bundle_version"] == 3
    assert manifest["started_at"] <= manifest["finished_at"]


def test_the_manifest_declares_every_file_with_its_kind_and_hash(tmp_path):
    root = _write(tmp_path)
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    declared = {f["path"]: (f["kind"], f["output"]) for f in manifest["files"]}
    assert declared == {
        "tables/huur.csv": ("table_csv", "huur"), "tables/huur.parquet": ("table_parquet", "huur"),
        "tables/type.csv": ("table_csv", "type"), "tables/type.parquet": ("table_parquet", "type"),
        "texts/toelichting.md": ("text", "toelichting"),
        "disclosure_log.json": ("log", None), "variables.csv": ("variables", None),
        "exports/tabellen.xlsx": ("workbook", None),
        "exports/csv/huur.csv": ("table_csv_nl", "huur"),
        "exports/csv/type.csv": ("table_csv_nl", "type"),
        "exports/en/tables.xlsx": ("workbook_en", None),
        "exports/en/csv/huur.csv": ("table_csv_en", "huur"),
        "exports/en/csv/type.csv": ("table_csv_en", "type")}
    assert all(f["sha256"] == sha256(root / f["path"]) for f in manifest["files"])
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    assert present - set(declared) == {"manifest.json", "checksums.sha256"}
    assert check_bundle(root) == ([], 2)


def test_checksums_are_no_authority(tmp_path):
    root = _write(tmp_path)
    (root / "tables" / "extra.csv").write_text("x\n1\n")
    with open(root / "checksums.sha256", "a", encoding="utf-8") as listing:
        listing.write(f"{sha256(root / 'tables' / 'extra.csv')}  tables/extra.csv\n")
    assert [(p.where, p.kind) for p in verify_files(root)] == [("tables/extra.csv", "undeclared")]
    # a declaration of the wrong kind or place does not help either
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    manifest["files"].append({"path": "tables/extra.csv", "kind": "log", "output": None,
                              "sha256": sha256(root / "tables" / "extra.csv")})
    (root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    assert {(p.where, p.kind) for p in verify_files(root)} == {
        ("tables/extra.csv", "declaration"), ("manifest.json", "checksums")}


def test_a_file_declared_for_an_output_of_another_kind_is_found(tmp_path):
    root = _write(tmp_path)
    (root / "texts" / "huur.md").write_text("3 huishoudens\n", "utf-8")
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    manifest["files"].append({"path": "texts/huur.md", "kind": "text", "output": "huur",
                              "sha256": sha256(root / "texts" / "huur.md")})
    (root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    found = {(p.where, p.kind) for p in verify_files(root)}
    assert ("texts/huur.md", "declaration") in found
