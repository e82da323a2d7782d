"""ingest on a delivery smartstart has never seen: every problem at once, nothing silent.

One test per class of bad input (issue 11): statuses and counts are compared, not sentences.
"""

from __future__ import annotations

import errno
import json
import os
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from smartstart.cli import app
from smartstart.linking import link
from smartstart.pilot import Study
from smartstart.sources import SourceError, _plan, delivered_years, ingest, load_catalog
from smartstart.sources._catalog import Catalog
from smartstart.sources._store import ParquetSink

PERSONS = "Bevolking/GBAPERSOONTAB/2022/GBAPERSOON2022TABV1"
ADDRESSES = "Bevolking/GBAADRESOBJECTBUS/GBAADRESOBJECT2022BUSV1"
HOUSEHOLDS = "Bevolking/GBAHUISHOUDENSBUS/GBAHUISHOUDENS2022BUSV1"


def _fails(source: Path, store: Path | None, **options) -> SourceError:
    with pytest.raises(SourceError) as caught:
        ingest(source, store, **options)
    return caught.value


def _where(error: SourceError) -> list[tuple[str, str, str]]:
    """(kind, file name, column) of every problem, sorted."""
    return sorted((p.kind, Path(p.file).name, p.column) for p in error.problems)


def _manifest(store: Path) -> dict:
    return json.loads((store / "manifest.json").read_text("utf-8"))


def _entry(store: Path, table: str) -> dict:
    (entry,) = [e for e in _manifest(store)["entries"] if e["table"] == table]
    return entry


def _everything(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) \
        if folder.exists() else []


def _households(rows: int = 3) -> dict[str, list[str]]:
    return {"RINPERSOONS": ["R"] * rows,
            "RINPERSOON": [f"{i:09d}" for i in range(1, rows + 1)],
            "DATUMAANVANGHH": ["20200101"] * rows, "DATUMEINDEHH": ["88888888"] * rows,
            "HUISHOUDNR": ["000000000001"] * rows, "TYPHH": ["5"] * rows,
            "PLHH": ["1"] * rows, "REFPERSOONHH": ["0"] * rows, "AANTALPERSHH": ["3"] * rows,
            "AANTALKINDHH": ["1"] * rows, "GEBJAARJONGSTEKINDHH": ["2015"] * rows}


def _areas(year: int, rows: int = 2) -> dict[str, list[str]]:
    return {"SOORTOBJECTNUMMER": ["VBO"] * rows,
            "RINOBJECTNUMMER": [f"{i:016d}" for i in range(1, rows + 1)],
            f"gem{year}": ["0784"] * rows, f"wc{year}": ["078401"] * rows,
            f"bc{year}": ["07840101"] * rows}


# --- 3. one pass, every problem ---------------------------------------------------------------

def test_every_missing_column_of_every_file_in_one_error(ingest_source, ingest_persons,
                                                        ingest_addresses, tmp_path):
    for name in ("GBAGESLACHT", "GBAGENERATIE", "GBAGEBOORTELAND"):
        del ingest_persons[name]
    del ingest_addresses["SOORTOBJECTNUMMER"]
    households = _households()
    del households["TYPHH"]
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    ingest_source.csv(ADDRESSES + ".csv", ingest_addresses)
    ingest_source.parquet(HOUSEHOLDS + ".parquet", households)
    error = _fails(ingest_source.root, tmp_path / "store")
    assert _where(error) == [
        ("missing_column", "GBAADRESOBJECT2022BUSV1.csv", "SOORTOBJECTNUMMER"),
        ("missing_column", "GBAHUISHOUDENS2022BUSV1.parquet", "TYPHH"),
        ("missing_column", "GBAPERSOON2022TABV1.sav", "GBAGEBOORTELAND"),
        ("missing_column", "GBAPERSOON2022TABV1.sav", "GBAGENERATIE"),
        ("missing_column", "GBAPERSOON2022TABV1.sav", "GBAGESLACHT"),
    ]
    assert all(p.hint for p in error.problems)
    assert not (tmp_path / "store").exists()  # nothing stored: not even an empty store folder


def test_problems_of_different_kinds_in_one_error_and_the_sound_files_stored(
        ingest_source, ingest_persons, ingest_addresses, tmp_path):
    del ingest_persons["GBAGESLACHT"]
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    ingest_source.sav(HOUSEHOLDS + ".sav", {**_households(), "TYPHH": ["5", "77", "77"]})
    ingest_source.sav("HOOGSTEOPL2020TABV1.sav", {
        "RINPERSOONS": ["R", "R"], "RINPERSOON": ["000000001", "000000002"],
        "GEWICHTHOOGSTEOPL": ["1.0", "zwaar"], "OPLNIVSOI2021AGG4HBmetNIRWO": ["2121", "3111"]})
    ingest_source.sav(ADDRESSES + ".sav", ingest_addresses)
    store = tmp_path / "store"
    error = _fails(ingest_source.root, store)
    assert _where(error) == [
        ("bad_values", "HOOGSTEOPL2020TABV1.sav", "GEWICHTHOOGSTEOPL"),
        ("missing_column", "GBAPERSOON2022TABV1.sav", "GBAGESLACHT"),
        ("unknown_codes", "GBAHUISHOUDENS2022BUSV1.sav", "TYPHH"),
    ]
    assert {p.column: p.count for p in error.problems if p.count} == {
        "GEWICHTHOOGSTEOPL": 1, "TYPHH": 2}
    assert delivered_years(store, "GBAADRESOBJECTBUS") == [2022]
    assert delivered_years(store, "GBAHUISHOUDENSBUS") == []
    assert [p for p in _everything(store) if p.endswith(".tmp")] == []


def test_a_file_with_a_missing_column_still_has_its_values_checked(ingest_source, tmp_path):
    households = {**_households(), "TYPHH": ["5", "77", "77"], "PLHH": ["1", "1", "99"]}
    del households["HUISHOUDNR"]
    ingest_source.sav(HOUSEHOLDS + ".sav", households)
    error = _fails(ingest_source.root, tmp_path / "store", check=True)
    assert [(p.kind, p.column, p.count) for p in error.problems] == [
        ("missing_column", "HUISHOUDNR", None), ("unknown_codes", "TYPHH", 2),
        ("unknown_codes", "PLHH", 1)]


def test_cli_lists_every_problem_and_exits_1(ingest_source, ingest_persons, tmp_path):
    del ingest_persons["GBAGESLACHT"]
    del ingest_persons["GBAGENERATIE"]
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    result = CliRunner().invoke(app, ["ingest", str(ingest_source.root), "--store",
                                      str(tmp_path / "store")])
    assert result.exit_code == 1
    assert "missing_column" in result.output and "Traceback" not in result.output
    assert "GBAGESLACHT" in result.output and "GBAGENERATIE" in result.output


# --- 3. --check -------------------------------------------------------------------------------

def test_check_reads_every_value_and_writes_nothing(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    ingest_source.sav(HOUSEHOLDS + ".sav", {**_households(), "TYPHH": ["5", "77", "77"]})
    store = tmp_path / "store"
    error = _fails(ingest_source.root, store, check=True)
    assert _where(error) == [("unknown_codes", "GBAHUISHOUDENS2022BUSV1.sav", "TYPHH")]
    assert not store.exists()

    ingest_source.sav(HOUSEHOLDS + ".sav", _households())
    report = ingest(ingest_source.root, None, check=True)
    assert [(e.table, e.status, e.rows_written) for e in report.entries] == [
        ("GBAHUISHOUDENSBUS", "checked", 3), ("GBAPERSOONTAB", "checked", 6)]
    assert report.entry("GBAPERSOONTAB", 2022).columns["GBAGESLACHT"]["missing_code_nulls"] == 1
    before = _everything(ingest_source.root)
    cli = CliRunner().invoke(app, ["ingest", str(ingest_source.root), "--check"])
    assert cli.exit_code == 0, cli.output
    assert _everything(ingest_source.root) == before
    assert not store.exists()


def test_check_leaves_an_existing_store_alone(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    store = tmp_path / "store"
    ingest(ingest_source.root, store)
    before = {p: (store / p).read_bytes() for p in _everything(store) if (store / p).is_file()}
    ingest_source.sav(PERSONS.replace("V1", "V2") + ".sav",
                      {**ingest_persons, "GBAGESLACHT": ["9"] * 6})
    cli = CliRunner().invoke(app, ["ingest", str(ingest_source.root), "--store", str(store),
                                   "--check"])
    assert cli.exit_code == 1
    assert {p: (store / p).read_bytes() for p in _everything(store)
            if (store / p).is_file()} == before


# --- 5. assumed code lists never block --------------------------------------------------------

def test_verified_code_list_blocks_assumed_one_is_kept_and_counted(
        ingest_source, ingest_persons, ingest_addresses, tmp_path):
    ingest_source.sav(PERSONS + ".sav", {**ingest_persons,
                                         "GBAGESLACHT": ["1", "7", "7", "2", "2", "1"]})
    soort = ["W", "W", "E", "F", "VBO", "W"]  # kinds outside the assumed list (B/H/D are in it)
    ingest_source.sav(ADDRESSES + ".sav", {**ingest_addresses, "SOORTOBJECTNUMMER": soort})
    store = tmp_path / "store"
    error = _fails(ingest_source.root, store)
    assert _where(error) == [("unknown_codes", "GBAPERSOON2022TABV1.sav", "GBAGESLACHT")]
    assert error.problems[0].count == 2

    counts = _entry(store, "GBAADRESOBJECTBUS")["columns"]["SOORTOBJECTNUMMER"]
    assert (counts["unknown_codes_kept"], counts["unknown_codes_nulled"]) == (5, 0)
    stored = pq.read_table(store / "GBAADRESOBJECTBUS" / "2022.parquet")
    assert stored.column("SOORTOBJECTNUMMER").to_pylist() == soort
    (warning,) = _entry(store, "GBAADRESOBJECTBUS")["warnings"]
    assert (warning["kind"], warning["column"], warning["count"]) == (
        "assumed_codes_kept", "SOORTOBJECTNUMMER", 5)


def test_assumed_codes_show_in_the_summary(ingest_source, ingest_addresses, tmp_path):
    ingest_source.sav(ADDRESSES + ".sav", {**ingest_addresses, "SOORTOBJECTNUMMER": ["W"] * 6})
    report = ingest(ingest_source.root, tmp_path / "store")
    assert report.to_frame()["unknown_codes_kept"].tolist() == [6]
    assert [(w.kind, w.count) for w in report.warnings] == [("assumed_codes_kept", 6)]
    result = CliRunner().invoke(app, ["ingest", str(ingest_source.root), "--store",
                                      str(tmp_path / "store2")])
    assert result.exit_code == 0 and "assumed_codes_kept" in result.output


def test_unknown_codes_null_refuses_a_key_column(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav(PERSONS + ".sav", {**ingest_persons,
                                         "RINPERSOONS": ["R", "X", "X", "R", "Q", "R"],
                                         "GBAGESLACHT": ["1", "7", "2", "2", "2", "1"]})
    ingest_source.sav("KOPPELPERSOONHUISHOUDEN2022V1.sav", {  # the breadwinner's key links
        "RINPERSOONS": ["R", "R"], "RINPERSOON": ["000000001", "000000002"],
        "RINPERSOONSHKW": ["R", "Z"], "RINPERSOONHKW": ["000000001", "000000001"]})
    store = tmp_path / "store"
    error = _fails(ingest_source.root, store, unknown_codes="null")
    assert _where(error) == [
        ("key_not_nullable", "GBAPERSOON2022TABV1.sav", "RINPERSOONS"),
        ("key_not_nullable", "KOPPELPERSOONHUISHOUDEN2022V1.sav", "RINPERSOONSHKW")]
    assert [p.count for p in error.problems] == [3, 1]
    assert not (store / "GBAPERSOONTAB").exists()


def _verified_outcome_catalog() -> Catalog:
    """The packaged catalog with JGDBMAATREGEL's code list marked as verified."""
    raw = load_catalog().model_dump(by_alias=True)
    raw["tables"]["JGDBESCHERMBUS"]["columns"]["JGDBMAATREGEL"]["assumed"] = False
    return Catalog.model_validate(raw)


def test_unknown_codes_null_on_an_outcome_column_says_what_it_did(ingest_source, tmp_path):
    ingest_source.sav("JGDBESCHERM2022BUSV1.sav", {
        "RINPERSOONS": ["R"] * 4, "RINPERSOON": ["000000001", "000000002", "000000003",
                                                 "000000004"],
        "JGDBGELDIGHEIDBEGINDATUM": ["20200101"] * 4, "JGDBGELDIGHEIDEINDDATUM": ["20201231"] * 4,
        "JGDBMAATREGEL": ["1", "11", "12", "2"]})
    catalog = _verified_outcome_catalog()
    error = _fails(ingest_source.root, tmp_path / "a", catalog=catalog)
    assert _where(error) == [("unknown_codes", "JGDBESCHERM2022BUSV1.sav", "JGDBMAATREGEL")]

    report = ingest(ingest_source.root, tmp_path / "b", catalog=catalog, unknown_codes="null")
    (warning,) = report.warnings
    assert (warning.kind, warning.column, warning.count) == ("outcome_nulled", "JGDBMAATREGEL", 2)
    assert report.entry("JGDBESCHERMBUS", 2022).columns["JGDBMAATREGEL"][
        "unknown_codes_nulled"] == 2

    kept = ingest(ingest_source.root, tmp_path / "c", unknown_codes="null")  # assumed list
    assert kept.entry("JGDBESCHERMBUS", 2022).columns["JGDBMAATREGEL"] == {
        **kept.entry("JGDBESCHERMBUS", 2022).columns["JGDBMAATREGEL"],
        "unknown_codes_kept": 2, "unknown_codes_nulled": 0}


# --- 7. file names as CBS writes them ---------------------------------------------------------

def test_name_variants_are_recognised(ingest_source, tmp_path):
    wsnp = {"RINPERSOONS": ["R"], "RINPERSOON": ["000000001"], "Wsnpdatumtoelaat": ["20190101"],
            "Wsnpdatumbeein": [""], "Wsnpsrtbeein": ["1"]}
    ingest_source.sav("Financien/WSNPPERSBUS/WSNPPERSBUS2020V1.sav", wsnp)
    ingest_source.sav("Financien/WSNPPERSBUS/WSNPPERS2021BUSV1.sav", wsnp)
    ingest_source.sav("SociaalEconomischeStatus/SECMBUS/SECM2021BUSV2.SAV", {
        "RINPERSOONS": ["R"], "RINPERSOON": ["000000001"], "AANVSECM": ["20190101"],
        "EINDSECM": ["20501231"], "SECM": ["11"], "XKOPPELBIJSTANDSECM": [""],
        "XKOPPELWERKLUITKSECM": [""], "XKOPPELZIEKTEAOSECM": [""]})
    report = ingest(ingest_source.root, tmp_path / "store")
    assert [(e.table, e.year, e.version) for e in report.entries] == [
        ("SECMBUS", 2021, 2), ("WSNPPERSBUS", 2020, 1), ("WSNPPERSBUS", 2021, 1)]
    assert report.warnings == () and report.unknown_files == ()


def test_vslgwb_year_comes_from_its_columns(ingest_source, tmp_path):
    ingest_source.sav("BouwenWonen/VSLGWBTAB/VSLGWB2020TAB03V1.sav", _areas(2019))
    many = {**_areas(2021), **_areas(2022)}
    ingest_source.sav("BouwenWonen/VSLGWBTAB/VSLGWB2022TAB03V1.sav", many)
    store = tmp_path / "store"
    report = ingest(ingest_source.root, store)
    assert [(e.table, e.year, e.name_year) for e in report.entries] == [
        ("VSLGWBTAB", 2019, 2020), ("VSLGWBTAB", 2022, None)]
    assert [(w.kind, w.file) for w in report.warnings] == [
        ("year_from_columns", "BouwenWonen/VSLGWBTAB/VSLGWB2020TAB03V1.sav")]
    assert delivered_years(store, "VSLGWBTAB") == [2019, 2022]
    assert pq.read_table(store / "VSLGWBTAB" / "2019.parquet").column("gem").to_pylist() == [
        "0784", "0784"]


def test_vslgwb_without_its_year_is_a_problem(ingest_source, tmp_path):
    ingest_source.sav("VSLGWB2020TAB03V1.sav", {**_areas(2017), **_areas(2018)})
    error = _fails(ingest_source.root, tmp_path / "store")
    assert _where(error) == [("year", "VSLGWB2020TAB03V1.sav", "gem{year}")]


def test_unrecognised_file_in_a_theme_folder_is_a_warning(ingest_source, ingest_persons,
                                                          tmp_path):
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    ingest_source.sav("Bevolking/GBAPERSOONTAB/2022/GBAPERSOON_2022_TAB_V1.sav", ingest_persons)
    ingest_source.sav("InkomenBestedingen/INHATAB/INHA2022TABV1 kopie.csv", ingest_persons)
    ingest_source.path("Bevolking/GBAPERSOONTAB/codeboek.pdf").write_bytes(b"%PDF")
    (ingest_source.root / "notes.txt").write_text("not a CBS file")
    store = tmp_path / "store"
    report = ingest(ingest_source.root, store)
    expected = [("unrecognised_file", "Bevolking/GBAPERSOONTAB/2022/GBAPERSOON_2022_TAB_V1.sav"),
                ("unrecognised_file", "InkomenBestedingen/INHATAB/INHA2022TABV1 kopie.csv")]
    assert [(w.kind, w.file) for w in report.warnings] == expected
    assert [(w["kind"], w["file"]) for w in _manifest(store)["warnings"]] == expected
    assert len(report.unknown_files) == 4
    result = CliRunner().invoke(app, ["ingest", str(ingest_source.root), "--check"])
    assert result.exit_code == 0 and result.output.count("unrecognised_file") == 2


# --- 2. duplicate keys ------------------------------------------------------------------------

def test_duplicate_person_is_an_error_with_its_count(ingest_source, ingest_persons, tmp_path):
    doubled = {name: values + values[:2] for name, values in ingest_persons.items()}
    ingest_source.sav(PERSONS + ".sav", doubled)
    error = _fails(ingest_source.root, tmp_path / "store")
    assert _where(error) == [("duplicate_keys", "GBAPERSOON2022TABV1.sav",
                              "RINPERSOONS+RINPERSOON")]
    assert error.problems[0].count == 2
    assert not (tmp_path / "store" / "GBAPERSOONTAB").exists()


def test_duplicate_spell_is_the_same_key_and_start(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav(PERSONS + ".sav", ingest_persons)  # stored: the store has a manifest
    households = _households(4)
    households["RINPERSOON"][3] = None  # a row without a key is no duplicate
    households["RINPERSOON"][:3] = ["000000001"] * 3
    households["DATUMAANVANGHH"] = ["20200101", "20210101", "20200101", "20200101"]
    ingest_source.parquet("GBAHUISHOUDENS2022BUSV1.parquet", households)
    error = _fails(ingest_source.root, tmp_path / "store")
    assert [(p.kind, p.count) for p in error.problems] == [("duplicate_keys", 1)]
    # a run on the store says why the table is not there (helper-39: it said only "lacks")
    refused = _manifest(tmp_path / "store")["refused"]
    assert [(r["table"], r["file"]) for r in refused] == [
        ("GBAHUISHOUDENSBUS", "GBAHUISHOUDENS2022BUSV1.parquet")]
    with pytest.raises(SourceError, match=r"did not store GBAHUISHOUDENS2022BUSV1\.parquet "
                                          r"\(.*more than once"):
        link(tmp_path / "store", Study(name="t", gemeente="0784", peildatum=date(2022, 1, 1)))
    households["DATUMAANVANGHH"] = ["20200101", "20210101", "20220101", "20200101"]
    ingest_source.parquet("GBAHUISHOUDENS2022BUSV1.parquet", households)
    assert ingest(ingest_source.root, tmp_path / "store").entry(
        "GBAHUISHOUDENSBUS", 2022).rows_written == 4


# --- 2. a store that cannot be written --------------------------------------------------------

@pytest.mark.parametrize("code", [errno.EROFS, errno.ENOSPC])
def test_unwritable_store_is_a_one_line_error(code, ingest_source, ingest_persons, tmp_path,
                                              monkeypatch):
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    ingest_source.sav(ADDRESSES.replace("2022", "2021") + ".sav", {
        "RINPERSOONS": ["R"], "RINPERSOON": ["000000001"],
        "GBADATUMAANVANGADRESHOUDING": ["20190101"], "GBADATUMEINDEADRESHOUDING": ["88888888"],
        "SOORTOBJECTNUMMER": ["VBO"], "RINOBJECTNUMMER": ["0000000000000001"]})

    def full(self, table):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(ParquetSink, "write", full)
    store = tmp_path / "store"
    error = _fails(ingest_source.root, store)
    assert [p.kind for p in error.problems] == ["not_writable"]
    result = CliRunner().invoke(app, ["ingest", str(ingest_source.root), "--store", str(store)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) <= 2
    assert [p for p in _everything(store) if p != "manifest.json"] == []


def test_a_source_file_that_vanishes_is_not_a_store_error(ingest_source, ingest_persons,
                                                         tmp_path, monkeypatch):
    path = ingest_source.sav(PERSONS + ".sav", ingest_persons)
    open_reader = _plan.open_reader

    def then_gone(file):
        reader = open_reader(file)
        path.unlink()  # removed by another program between reading the header and the rows
        return reader

    monkeypatch.setattr(_plan, "open_reader", then_gone)
    error = _fails(ingest_source.root, tmp_path / "store")
    assert [p.kind for p in error.problems] == ["unreadable"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_store_folder(ingest_source, ingest_persons, tmp_path):
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    store = tmp_path / "store"
    store.mkdir()
    store.chmod(0o555)
    try:
        result = CliRunner().invoke(app, ["ingest", str(ingest_source.root), "--store",
                                          str(store)])
    finally:
        store.chmod(0o755)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert _everything(store) == []


# --- what is not an error ---------------------------------------------------------------------

def test_optional_tables_absent_is_not_an_error(ingest_source, ingest_persons, ingest_addresses,
                                                tmp_path):
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    ingest_source.sav(ADDRESSES + ".sav", ingest_addresses)
    ingest_source.sav(HOUSEHOLDS + ".sav", _households())
    ingest_source.sav("BouwenWonen/VSLGWBTAB/VSLGWB2022TAB03V1.sav", _areas(2022))
    report = ingest(ingest_source.root, tmp_path / "store")
    assert {e.status for e in report.entries} == {"ingested"} and report.warnings == ()
    assert {e.table for e in report.entries}.isdisjoint(
        {"HALTBUS", "VSVTAB", "WMOBUS", "INPATAB", "INSCHRWPOTAB", "EIGENDOMTAB"})


def test_absent_optional_columns_are_null_and_warned(ingest_source, ingest_persons, tmp_path):
    del ingest_persons["GBAGEBOORTELANDMOEDER"]
    del ingest_persons["GBAGEBOORTELANDVADER"]
    ingest_source.sav(PERSONS + ".sav", ingest_persons)
    report = ingest(ingest_source.root, tmp_path / "store")
    entry = report.entry("GBAPERSOONTAB", 2022)
    assert entry.absent_columns == ("GBAGEBOORTELANDMOEDER", "GBAGEBOORTELANDVADER")
    assert [(w.kind, w.count) for w in report.warnings] == [("absent_columns", 2)]
    stored = pq.read_table(tmp_path / "store" / "GBAPERSOONTAB" / "2022.parquet")
    assert stored.column("GBAGEBOORTELANDMOEDER").null_count == 6


def test_delivered_years_lists_the_years_of_a_table(ingest_source, tmp_path):
    for year in (2019, 2021, 2022):
        ingest_source.sav(f"INHA{year}TABV1.sav", {
            "RINPERSOONSHKW": ["R"], "RINPERSOONHKW": ["000000001"], "INHBESTINKH": [1.0],
            "INHP100HBEST": [50.0], "INHARMSOC": [120.0], "INHEHALGR": ["1"], "INHUAF": [0.0],
            "INHUAFTYP": ["0"], "INHBBIHJ": ["11"]})
    store = tmp_path / "store"
    ingest(ingest_source.root, store)
    assert delivered_years(store, "INHATAB") == [2019, 2021, 2022]
    assert delivered_years(store, "SECMBUS") == []
    assert delivered_years(tmp_path / "no-store", "INHATAB") == []
