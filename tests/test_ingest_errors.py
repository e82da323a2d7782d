"""ingest: every bad input is a SourceError that names the file, and leaves nothing half-written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smartstart.cli import app
from smartstart.sources import SourceError, ingest
from smartstart.sources._store import ParquetSink

PERSONS = "Bevolking/GBAPERSOONTAB/2022/GBAPERSOON2022TABV1"


def _store_files(store: Path, table: str = "GBAPERSOONTAB") -> list[str]:
    """Everything in the store for ``table``, temporary files included."""
    folder = store / table
    files = sorted(p.name for p in folder.rglob("*")) if folder.exists() else []
    return files + sorted(p.name for p in store.glob(".*.tmp")) if store.exists() else files


def _fails(source: Path, store: Path, **options) -> SourceError:
    with pytest.raises(SourceError) as caught:
        ingest(source, store, **options)
    return caught.value


def _large_persons(rows: int) -> dict[str, list[str]]:
    codes = {"GBAGESLACHT": "1", "GBAGENERATIE": "0", "GBAGEBOORTELANDNL": "1"}
    columns = {"RINPERSOONS": ["R"] * rows, "RINPERSOON": [f"{i:09d}" for i in range(rows)],
               "GBAGEBOORTEJAAR": ["1990"] * rows, "GBAGEBOORTEMAAND": ["01"] * rows,
               "GBAGEBOORTEDAG": ["01"] * rows}
    columns.update({name: [code] * rows for name, code in codes.items()})
    for name in ("GBAHERKOMSTGROEPERING", "GBAGEBOORTELAND", "GBAGEBOORTELANDMOEDER",
                 "GBAGEBOORTELANDVADER"):
        columns[name] = ["6030"] * rows
    return columns


def test_missing_required_column(ingest_source, ingest_persons, tmp_path):
    del ingest_persons["GBAGESLACHT"]
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    error = _fails(ingest_source.root, tmp_path / "store")
    assert "GBAGESLACHT" in str(error) and "GBAPERSOON2022TABV1.sav" in str(error)
    assert _store_files(tmp_path / "store") == []


def test_old_column_name_in_a_new_year_is_missing(ingest_source, tmp_path):
    ingest_source.sav("HOOGSTEOPL2020TABV1.sav", {
        "RINPERSOONS": ["R"], "RINPERSOON": ["000000001"], "GEWICHTHOOGSTEOPL": [1.0],
        "OPLNIVSOI2016AGG4HBMETNIRWO": ["2121"]})
    error = _fails(ingest_source.root, tmp_path / "store")
    assert "OPLNIVSOI2021AGG4HBmetNIRWO" in str(error)


def test_unknown_code_is_an_error_by_default(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav(PERSONS + ".sav", {**ingest_persons,
                                         "GBAGESLACHT": ["1", "7", "7", "X", "2", "-"]})
    error = _fails(ingest_source.root, tmp_path / "store")
    assert "GBAGESLACHT" in str(error) and "GBAPERSOON2022TABV1.sav" in str(error)
    assert "'7' (2x)" in str(error)
    assert _store_files(tmp_path / "store") == []


def test_text_file_renamed_to_sav(ingest_source, tmp_path):
    ingest_source.path(PERSONS + ".sav").write_text("RINPERSOONS;RINPERSOON\nR;000000001\n")
    error = _fails(ingest_source.root, tmp_path / "store")
    assert "GBAPERSOON2022TABV1.sav" in str(error)
    assert _store_files(tmp_path / "store") == []


@pytest.mark.parametrize("compress", [False, True])
def test_truncated_sav_fails_on_a_later_chunk_and_leaves_nothing(compress, ingest_source,
                                                                  tmp_path, monkeypatch):
    path = ingest_source.sav(PERSONS + ".sav", _large_persons(3_000), compress=compress)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    written = []
    write = ParquetSink.write
    monkeypatch.setattr(ParquetSink, "write", lambda self, table: (written.append(table.num_rows),
                                                                   write(self, table)))
    error = _fails(ingest_source.root, tmp_path / "store", chunk_rows=500)
    assert "GBAPERSOON2022TABV1.sav" in str(error)
    assert written[:3] == [500, 500, 500]
    assert _store_files(tmp_path / "store") == []
    assert not (tmp_path / "store" / "manifest.json").exists()


def test_csv_with_comma_separator(ingest_source, ingest_persons, tmp_path):
    ingest_source.csv(PERSONS + ".csv", ingest_persons, delimiter=",")
    error = _fails(ingest_source.root, tmp_path / "store")
    assert "GBAPERSOON2022TABV1.csv" in str(error) and "';'" in str(error)
    assert _store_files(tmp_path / "store") == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_csv_in_utf8(encoding, ingest_source, ingest_persons, tmp_path):
    columns = {**ingest_persons, "NOTE": ["België", "", "", "", "", ""]}
    ingest_source.csv(PERSONS + ".csv", columns, encoding=encoding)
    error = _fails(ingest_source.root, tmp_path / "store")
    assert "GBAPERSOON2022TABV1.csv" in str(error) and "Latin-1" in str(error)
    assert _store_files(tmp_path / "store") == []


def test_csv_with_a_ragged_row(ingest_source, ingest_persons, tmp_path):
    path = ingest_source.csv(PERSONS + ".csv", ingest_persons)
    with open(path, "a", encoding="latin-1") as handle:
        handle.write("R;000000009;1\n")
    error = _fails(ingest_source.root, tmp_path / "store")
    assert "GBAPERSOON2022TABV1.csv" in str(error)
    assert _store_files(tmp_path / "store") == []


def test_two_files_claiming_the_same_table_and_version(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    ingest_source.csv(PERSONS + ".csv", ingest_persons)
    error = _fails(ingest_source.root, tmp_path / "store")
    assert "GBAPERSOON2022TABV1.csv" in str(error) and "GBAPERSOON2022TABV1.sav" in str(error)
    assert _store_files(tmp_path / "store") == []


def test_non_numbers_in_a_number_column(ingest_source, ingest_persons, tmp_path):
    ingest_source.csv(PERSONS + ".csv", {**ingest_persons,
                                         "GBAGEBOORTEJAAR": ["1985", "199O", "----", "2001",
                                                             "2010", "2015"]})
    error = _fails(ingest_source.root, tmp_path / "store")
    assert "GBAGEBOORTEJAAR" in str(error) and "'199O'" in str(error)
    assert _store_files(tmp_path / "store") == []


def test_a_failing_table_keeps_the_complete_ones(ingest_source, ingest_persons, ingest_addresses,
                                                 tmp_path):
    ingest_source.sav("GBAADRESOBJECT2022BUSV1.sav", ingest_addresses)
    ingest_source.sav(PERSONS + ".sav", {**ingest_persons, "GBAGESLACHT": ["9"] * 6})
    _fails(ingest_source.root, tmp_path / "store")
    manifest = json.loads((tmp_path / "store" / "manifest.json").read_text("utf-8"))
    assert [(e["table"], e["year"]) for e in manifest["entries"]] == [("GBAADRESOBJECTBUS", 2022)]
    assert _store_files(tmp_path / "store", "GBAADRESOBJECTBUS") == ["2022.parquet"]
    assert _store_files(tmp_path / "store") == []


def test_a_failing_new_version_keeps_the_previous_table(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav("GBAPERSOON2022TABV1.sav", ingest_persons)
    store = tmp_path / "store"
    ingest(ingest_source.root, store)
    before = (store / "GBAPERSOONTAB" / "2022.parquet").read_bytes()
    ingest_source.sav("GBAPERSOON2022TABV2.sav", {**ingest_persons, "GBAGESLACHT": ["9"] * 6})
    _fails(ingest_source.root, store)
    assert (store / "GBAPERSOONTAB" / "2022.parquet").read_bytes() == before
    manifest = json.loads((store / "manifest.json").read_text("utf-8"))
    assert [e["version"] for e in manifest["entries"]] == [1]
    assert _store_files(store) == ["2022.parquet"]


def test_bad_options(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    for options in ({"unknown_codes": "ignore"}, {"chunk_rows": 0},
                    {"pins": {("GBAPERSOONTAB", 2022): 3}}, {"pins": {("NOSUCHTAB", 2022): 1}}):
        _fails(ingest_source.root, tmp_path / "store", **options)
    _fails(tmp_path / "does-not-exist", tmp_path / "store")
    assert _store_files(tmp_path / "store") == []


def test_cli_exits_with_1_on_bad_input(ingest_source, ingest_persons, tmp_path):
    ingest_source.csv(PERSONS + ".csv", ingest_persons, delimiter=",")
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["ingest", str(ingest_source.root), "--store", str(store)])
    assert result.exit_code == 1
    assert "GBAPERSOON2022TABV1.csv" in result.output
    assert _store_files(store) == []


def test_cli_ingests_and_pins(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav("GBAPERSOON2022TABV1.sav", ingest_persons)
    ingest_source.sav("GBAPERSOON2022TABV2.sav", ingest_persons)
    store = tmp_path / "store"
    result = CliRunner().invoke(app, ["ingest", str(ingest_source.root), "--store", str(store),
                                      "--pin", "GBAPERSOONTAB:2022=1", "--chunk-rows", "2"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((store / "manifest.json").read_text("utf-8"))
    assert [(e["version"], e["row_groups"]) for e in manifest["entries"]] == [(1, 3)]
    bad_pin = CliRunner().invoke(app, ["ingest", str(ingest_source.root), "--store", str(store),
                                       "--pin", "GBAPERSOONTAB-2022"])
    assert bad_pin.exit_code == 1
