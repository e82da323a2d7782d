"""A national run's memory (issue 18, helper-44: ``gemeenten: all`` held every DuckDB table
and frame of 2.9 M persons in one process, 6.6-7.1 GiB): DuckDB is bounded by
``paths.memory_gib`` and spills into the run's output, a bound too small for a step is a clear
error, the linking's progress shows without a terminal, and text columns are held as Arrow
strings."""

from __future__ import annotations

import io
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from run_variants import pilot

from smartstart._frames import TEXT, compact, compact_arrow
from smartstart._to_work import without_keys
from smartstart._usage import UsageError
from smartstart.features import build_features
from smartstart.linking import Database, StudyDates, link
from smartstart.linking._link import EVER_HERE
from smartstart.pilot import Study, load_pilot
from smartstart.pipeline import run_pilot

STUDY = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1))


def test_duckdb_is_bounded_and_spills_into_the_given_folder(run_world, tmp_path):
    linked = link(run_world / "store", STUDY, spill=tmp_path, memory_gib=0.5)
    (limit, folder), = linked.db.con.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchall()
    assert limit == "512.0 MiB"
    assert folder.startswith(tmp_path.as_posix() + "/smartstart-duckdb-")
    # the histories no later step reads are freed; what the factors read is there
    tables = {t for (t,) in linked.db.con.execute("SHOW TABLES").fetchall()}
    assert not tables & {"address_history", "household_history", "status_history",
                         "address_on_date", "household_on_date", "objects"}
    assert {"residents", "persons_on_date", "income", "status_on_date", "mothers"} <= tables
    build_features(linked.db, STUDY)
    # half of it beside the work frames: DuckDB gives back what it held above that
    assert linked.db.con.execute("SELECT current_setting('memory_limit')").fetchall() == [
        ("256.0 MiB",)]
    linked.db.close()
    assert not list(tmp_path.glob("smartstart-duckdb-*"))  # DuckDB removes its spill folder
    assert linked.attrition["step"].iloc[0] == EVER_HERE  # still read


def test_a_bound_too_small_for_a_step_names_the_setting(run_world, tmp_path):
    # 20 MiB: less than one factor query of 600 households needs at once
    with pytest.raises(UsageError, match=r"more than the 0.02 GiB .*paths.memory_gib") as error:
        linked = link(run_world / "store", STUDY, spill=tmp_path, memory_gib=0.02)
        build_features(linked.db, STUDY)
    assert "linking: the table " in str(error.value)


def test_the_linking_steps_show_without_a_terminal_and_no_spill_folder_stays(run_world,
                                                                             tmp_path):
    path = pilot(run_world, "memory_pilot.yaml", analyses=["profile"])
    loaded = load_pilot(path)
    loaded = loaded.model_copy(update={"paths": loaded.paths.model_copy(
        update={"output": tmp_path / "out"})})
    out = io.StringIO()
    result = run_pilot(loaded, Console(file=out, force_terminal=False, width=200))
    said = out.getvalue()
    # each step as it is done, in order, before the run's summary
    for step in ("adres op peildatum", "inwoners met huishouden", "huishoudens"):
        assert f"koppelen en kenmerken berekenen: {step} klaar (" in said
    assert said.index("inwoners op peildatum klaar") < said.index("klaar in ")
    assert not list((tmp_path / "out").glob("smartstart-duckdb-*"))
    assert result.households > 0 and result.children > 0  # counted, though the rows are let go


def test_compact_holds_text_as_arrow_strings_with_the_same_values():
    frame = pd.DataFrame({"gemeente": ["0784", None, "0785"], "n": [1, 2, 3],
                          "mixed": ["a", 1, None], "flag": [True, False, None]})
    held = compact(frame)
    assert held["gemeente"].dtype == TEXT and held["n"].dtype == np.int64
    assert held["mixed"].dtype == object and held["flag"].dtype == object  # not text: as is
    assert held["gemeente"].isna().tolist() == [False, True, False]
    assert held["gemeente"].eq("0784").tolist() == [True, False, False]
    assert held.drop(columns="gemeente").equals(frame.drop(columns="gemeente"))


_KINDS = {"text": (pa.string(), st.text("abé0 ", max_size=4)),
          "integer": (pa.int32(), st.integers(-5, 5)), "big": (pa.int64(), st.integers(0, 9)),
          "flag": (pa.bool_(), st.booleans()), "number": (pa.float64(), st.floats(-1, 1)),
          "day": (pa.date32(), st.dates())}


@st.composite
def _results(draw):
    """A query result of 0-20 rows: columns of each kind, with or without NULLs (or all)."""
    rows = draw(st.integers(0, 20))
    kinds = draw(st.lists(st.sampled_from(sorted(_KINDS)), min_size=1, max_size=6))
    columns = {}
    for n, kind in enumerate(kinds):
        kind_type, values = _KINDS[kind]
        cells = draw(st.lists(st.none() | values if draw(st.booleans()) else values,
                              min_size=rows, max_size=rows))
        columns[f"{kind}{n}"] = pa.array(cells, type=kind_type)
    return pa.table(columns)


@settings(max_examples=150, deadline=None)
@given(_results())
def test_compact_arrow_gives_compact_of_duckdbs_frame(result):
    """The household and child tables are fetched as Arrow (``Database.compact_frame``): the
    frame must be the one ``compact(.df())`` gave (same dtypes, including DuckDB's Int32 or
    int32 by whether a NULL occurs, and object for a text column without a value)."""
    con = duckdb.connect()
    con.register("result", result)
    expected = compact(con.sql("SELECT * FROM result").df())
    got = compact_arrow(con.sql("SELECT * FROM result").to_arrow_table(),
                        lambda rest: con.from_arrow(rest).df())
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert list(got.columns) == result.column_names


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text("0123456789é", min_size=1, max_size=4), unique=True, max_size=25),
       st.lists(st.integers(0, 30), max_size=30), st.booleans())
def test_without_keys_numbers_households_in_the_order_of_their_keys(ids, picks, as_text):
    """Reference: a dict from each household key, in sorted order, to 1, 2, ...; a child of a
    household that is not in the table gets no number (NaN). The keys go, the rest stays."""
    households = pd.DataFrame({"household_id": pd.Series(ids, dtype=TEXT if as_text else object),
                               "size": np.arange(len(ids))})
    pool = ids + ["not a household"]
    children = pd.DataFrame({"RINPERSOONS": "R", "RINPERSOON": [str(i) for i in range(len(picks))],
                             "household_id": [pool[i % len(pool)] for i in picks],
                             "age": np.arange(len(picks))})

    class Tables:
        pass

    tables = Tables()
    tables.households, tables.children = households, children
    got_households, got_children = without_keys(tables)
    number = {key: n for n, key in enumerate(sorted(ids), start=1)}
    assert got_households["household"].tolist() == [number[k] for k in ids]
    assert got_households["size"].tolist() == list(range(len(ids)))
    expected = [number.get(k, np.nan) for k in children["household_id"]]
    assert got_children["household"].astype(float).tolist() == pytest.approx(expected, nan_ok=True)
    assert list(got_children.columns) == ["age", "household"]


@pytest.mark.parametrize(("error", "said"), [
    # DuckDB stops at max_temp_directory_size (90 % of the free disk) with an out-of-memory
    # error: the disk is short, not the memory (helper-45)
    (duckdb.OutOfMemoryException("Out of Memory Error: failed to offload data block: could "
                                 "not write, max_temp_directory_size (10 GiB) exceeded"),
     r"spill folder in .*free that much disk"),
    (duckdb.IOException("IO Error: Could not write file \"x.tmp\": No space left on device"),
     r"spill folder in .*free that much disk"),
    (duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block"),
     r"needed more than the 4 GiB .*paths.memory_gib 4.*paths.memory_gib: 8"),
    (duckdb.IOException('IO Error: Failed to create directory "/o/smartstart-duckdb-1-0": '
                        "Permission denied"), r"could not use its spill folder .*writable"),
])
def test_duckdbs_memory_and_disk_errors_say_which_and_what_to_do(run_world, tmp_path, error,
                                                                 said):
    db = Database(run_world / "store", StudyDates.of(STUDY), spill=tmp_path)
    with pytest.raises(UsageError, match=said), db.translated("the table residents"):
        raise error


def test_after_the_frames_a_memory_error_names_the_bound_then_in_force(run_world, tmp_path):
    db = Database(run_world / "store", StudyDates.of(STUDY), spill=tmp_path, memory_gib=3)
    db.beside_frames()
    with pytest.raises(UsageError, match=r"more than the 1.5 GiB .*memory_gib 3, half .*"
                                         r"paths.memory_gib: 6"), db.translated("a query"):
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to pin block")
    db.close()


def test_the_pilots_default_memory_is_the_linkings():
    from smartstart.linking import MEMORY_GIB
    from smartstart.pilot import Paths

    assert Paths.model_fields["memory_gib"].default == MEMORY_GIB


def test_a_store_file_that_cannot_be_read_keeps_its_own_error(run_world, tmp_path):
    db = Database(run_world / "store", StudyDates.of(STUDY), spill=tmp_path)
    with pytest.raises(duckdb.IOException, match="No files found"), db.translated("x"):
        raise duckdb.IOException('IO Error: No files found that match the pattern "a.parquet"')
