"""ingest: formats, versions, the store and its manifest, re-runs and bounded chunks."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from smartstart.sources import IngestReport, _readers, ingest, load_catalog, parse_pins

PERSONS = "Bevolking/GBAPERSOONTAB/2022/GBAPERSOON2022TABV1"
ADDRESSES = "Bevolking/GBAADRESOBJECTBUS/GBAADRESOBJECT2022BUSV1"


def _labels(table: str, columns: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    specs = load_catalog().table(table).columns
    return {name: dict(specs[name].codes) for name in columns if specs[name].codes}


def _as_labels(table: str, columns: dict[str, list[str]]) -> dict[str, list[str]]:
    """The columns as a CBS label-coded CSV has them: value labels instead of codes."""
    labels = _labels(table, columns)
    return {name: [labels.get(name, {}).get(v.strip(), v) for v in values]
            for name, values in columns.items()}


def _write(source, fmt: str, relative: str, columns: dict[str, list[str]], table: str) -> Path:
    if fmt in ("sav", "sav-compressed"):
        return source.sav(relative + ".sav", columns, labels=_labels(table, columns),
                          compress=fmt == "sav-compressed")
    if fmt == "csv":
        return source.csv(relative + ".csv", columns)
    if fmt == "csv-labels":
        return source.csv(relative + ".csv", _as_labels(table, columns))
    return source.parquet(relative + ".parquet", columns)


def _store_table(store: Path, table: str, year: int) -> pa.Table:
    return pq.read_table(store / table / f"{year}.parquet")


@pytest.mark.parametrize("fmt", ["sav", "sav-compressed", "csv", "csv-labels", "parquet"])
def test_every_format_gives_the_same_store(fmt, ingest_source, ingest_persons, ingest_addresses,
                                           tmp_path):
    _write(ingest_source, fmt, PERSONS, ingest_persons, "GBAPERSOONTAB")
    _write(ingest_source, fmt, ADDRESSES, ingest_addresses, "GBAADRESOBJECTBUS")
    report = ingest(ingest_source.root, tmp_path / "store")

    reference = tmp_path / "reference"
    reference_source = type(ingest_source)(tmp_path / "reference_source")
    reference_source.sav(PERSONS + ".sav", ingest_persons)
    reference_source.sav(ADDRESSES + ".sav", ingest_addresses)
    ingest(reference_source.root, reference)
    for table in ("GBAPERSOONTAB", "GBAADRESOBJECTBUS"):
        assert _store_table(tmp_path / "store", table, 2022).equals(
            _store_table(reference, table, 2022))
        assert report.entry(table, 2022).rows_written == 6
        assert report.entry(table, 2022).format == fmt.split("-")[0]
    counts = report.entry("GBAPERSOONTAB", 2022).columns
    mapped = (counts["RINPERSOONS"]["labels_mapped"], counts["GBAGESLACHT"]["labels_mapped"])
    assert mapped == ((6, 5) if fmt == "csv-labels" else (0, 0))


def test_store_types_and_values(ingest_source, ingest_persons, ingest_addresses, tmp_path):
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    ingest_source.sav(ADDRESSES + ".sav", ingest_addresses)
    ingest(ingest_source.root, tmp_path / "store")

    persons = _store_table(tmp_path / "store", "GBAPERSOONTAB", 2022)
    catalog_order = list(load_catalog().table("GBAPERSOONTAB").columns)
    assert persons.column_names == catalog_order
    assert persons.schema.field("RINPERSOON").type == pa.string()
    assert persons.schema.field("GBAGEBOORTEJAAR").type == pa.int64()
    assert persons.column("RINPERSOON").to_pylist()[2] == "000012345"
    assert persons.column("GBAGESLACHT").to_pylist() == ["1", "2", None, "1", "2", "2"]
    assert persons.column("GBAGEBOORTEJAAR").to_pylist() == [1985, 1990, None, 2001, 2010, 2015]

    addresses = _store_table(tmp_path / "store", "GBAADRESOBJECTBUS", 2022)
    assert addresses.schema.field("GBADATUMAANVANGADRESHOUDING").type == pa.date32()
    ends = addresses.column("GBADATUMEINDEADRESHOUDING").to_pylist()
    assert [d.isoformat() if d else None for d in ends] == [
        "2050-12-31", "2050-12-31", "2021-12-31", "2050-12-31", None, "2019-01-01"]


def test_newest_version_by_number_and_pins(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav("GBAPERSOON2022TABV9.sav", ingest_persons)
    fewer = {name: values[:2] for name, values in ingest_persons.items()}
    ingest_source.sav("GBAPERSOON2022TABV10.sav", fewer)

    newest = ingest(ingest_source.root, tmp_path / "newest").entry("GBAPERSOONTAB", 2022)
    assert (newest.version, newest.rows_written) == (10, 2)

    pinned = ingest(ingest_source.root, tmp_path / "pinned",
                    pins=parse_pins(["gbapersoontab:2022=V9"])).entry("GBAPERSOONTAB", 2022)
    assert (pinned.version, pinned.rows_written) == (9, 6)


def test_parse_pins():
    values = ["GBAPERSOONTAB:2022=1", " INHATAB : 2020 = V12 "]
    assert parse_pins(values) == {("GBAPERSOONTAB", 2022): 1, ("INHATAB", 2020): 12}
    assert values == ["GBAPERSOONTAB:2022=1", " INHATAB : 2020 = V12 "]


def test_manifest_describes_each_table(ingest_source, ingest_persons, tmp_path):
    source = ingest_source.sav(PERSONS + ".sav", {**ingest_persons, "EXTRA": ["x"] * 6})
    (ingest_source.root / "notes.txt").write_text("not a CBS file")
    report = ingest(ingest_source.root, tmp_path / "store")

    manifest = json.loads((tmp_path / "store" / "manifest.json").read_text("utf-8"))
    (entry,) = manifest["entries"]
    assert entry["source"] == PERSONS + ".sav"
    assert entry["store_path"] == "GBAPERSOONTAB/2022.parquet"
    assert entry["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert (entry["size_bytes"], entry["mtime_ns"]) == (source.stat().st_size,
                                                      source.stat().st_mtime_ns)
    assert (entry["rows_read"], entry["rows_written"], entry["rows_dropped"]) == (6, 6, {})
    assert entry["dropped_columns"] == ["EXTRA"]
    assert entry["columns"]["GBAGESLACHT"]["missing_code_nulls"] == 1
    assert {"catalog_sha256", "smartstart_version", "started_at", "finished_at"} <= set(entry)
    assert report.unknown_files == ("notes.txt",)
    assert isinstance(report, IngestReport)
    assert report.to_frame()["status"].tolist() == ["ingested"]


def test_rerun_skips_unchanged_files(ingest_source, ingest_persons, ingest_addresses, tmp_path):
    persons = ingest_source.sav(PERSONS + ".sav", ingest_persons)
    addresses = ingest_source.sav(ADDRESSES + ".sav", ingest_addresses)
    store = tmp_path / "store"
    first = ingest(ingest_source.root, store)
    assert [e.status for e in first.entries] == ["ingested", "ingested"]

    second = ingest(ingest_source.root, store)
    assert [e.status for e in second.entries] == ["skipped", "skipped"]
    assert second.entries == tuple(e.model_copy(update={"status": "skipped"})
                                   for e in first.entries)

    stat = persons.stat()
    os.utime(persons, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    ingest_source.sav(ADDRESSES + ".sav", {k: v[:3] for k, v in ingest_addresses.items()})
    third = ingest(ingest_source.root, store)
    assert third.entry("GBAPERSOONTAB", 2022).status == "skipped"
    assert third.entry("GBAPERSOONTAB", 2022).mtime_ns == persons.stat().st_mtime_ns
    assert third.entry("GBAADRESOBJECTBUS", 2022).status == "ingested"
    assert third.entry("GBAADRESOBJECTBUS", 2022).rows_written == 3
    assert addresses.exists()


def test_null_mode_result_is_redone_in_error_mode(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav(PERSONS + ".sav", {**ingest_persons, "GBAGESLACHT": ["7"] * 6})
    store = tmp_path / "store"
    first = ingest(ingest_source.root, store, unknown_codes="null")
    assert first.entry("GBAPERSOONTAB", 2022).columns["GBAGESLACHT"]["unknown_codes_nulled"] == 6
    from smartstart.sources import SourceError

    with pytest.raises(SourceError):
        ingest(ingest_source.root, store)


@pytest.mark.parametrize("fmt", ["sav", "sav-compressed", "csv", "parquet"])
def test_files_larger_than_a_chunk_are_written_in_row_groups(fmt, ingest_source, tmp_path,
                                                             monkeypatch):
    monkeypatch.setattr(_readers, "_SAV_STEP_ROWS", 300)
    rows = 2_500
    columns = {
        "RINPERSOONS": ["R"] * rows,
        "RINPERSOON": [f"{i:09d}" for i in range(rows)],
        "GBADATUMAANVANGADRESHOUDING": ["20190101"] * rows,
        "GBADATUMEINDEADRESHOUDING": ["88888888"] * rows,
        "SOORTOBJECTNUMMER": ["VBO"] * rows,
        "RINOBJECTNUMMER": [f"{i:016d}" for i in range(rows)],
    }
    _write(ingest_source, fmt, ADDRESSES, columns, "GBAADRESOBJECTBUS")
    report = ingest(ingest_source.root, tmp_path / "store", chunk_rows=1_000)

    entry = report.entry("GBAADRESOBJECTBUS", 2022)
    assert (entry.rows_read, entry.rows_written, entry.row_groups) == (rows, rows, 3)
    stored = pq.ParquetFile(tmp_path / "store" / "GBAADRESOBJECTBUS" / "2022.parquet")
    assert [stored.metadata.row_group(i).num_rows for i in range(3)] == [1_000, 1_000, 500]
    assert entry.columns["GBADATUMEINDEADRESHOUDING"]["open_ends_normalised"] == rows
    assert stored.read(columns=["RINPERSOON"]).column(0).to_pylist() == columns["RINPERSOON"]


def test_ingest_does_not_modify_its_input(ingest_source, ingest_persons, tmp_path):
    path = ingest_source.sav(PERSONS + ".sav", ingest_persons)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    pins = {("GBAPERSOONTAB", 2022): 1}
    ingest(ingest_source.root, tmp_path / "store", pins=pins)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
    assert pins == {("GBAPERSOONTAB", 2022): 1}
    assert sorted(p.name for p in ingest_source.root.rglob("*")) == sorted(
        ["Bevolking", "GBAPERSOONTAB", "2022", "GBAPERSOON2022TABV1.sav"])
