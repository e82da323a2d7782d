"""From the store to a run's work tables (``pipeline``'s first step): link, build the factor
tables, write them without CBS keys (and the effect panel), and let DuckDB and the frames go
before the analyses read the work tables."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console

from smartstart.features import FeatureTables, build_features
from smartstart.features._panel import write_panel
from smartstart.linking import Linked, link, sql_text
from smartstart.linking._schools import school_branches
from smartstart.pilot import Pilot

KEYS = ("RINPERSOONS", "RINPERSOON", "household_id")


def link_to_work(pilot: Pilot, console: Console, partners: dict[str, Path],
                  work: Path) -> tuple[Linked, FeatureTables]:
    """Link, build the factor tables and write the run's work tables (and the effect panel);
    returns the linking with its connection closed and the factor tables without their rows
    (``FeatureTables.counted``): the analyses read the work tables, and a national run's
    DuckDB tables and frames would otherwise stay in memory beside them."""
    study, paths = pilot.study, pilot.paths
    made = not paths.output.exists()  # DuckDB's spill folder is made in it
    paths.output.mkdir(parents=True, exist_ok=True)
    linked: Linked | None = None
    try:
        with console.status("koppelen en kenmerken berekenen") as status:
            linked = link(paths.store, study, partners or None, spill=paths.output,
                          on_step=_step_said(console, status), memory_gib=paths.memory_gib)
            tables = build_features(linked.db, study)
            # schools per buurt (issue 14): the pupils' schools joined to the user's locations
            schools = (school_branches(linked.db, paths.schools, paths.boundaries)
                       if paths.schools is not None and "areas" in study.analyses else None)
        _write_atomically(work, linked, tables, schools)
        if "effect" in study.analyses:  # the effect monitor's area x year counts (issue 15)
            treated = study.effect.treated
            with linked.db.translated("the effect panel"):
                write_panel(linked.db, study, work,
                            paths.partner_files.get(treated.partner_file or ""))
    except BaseException:  # a stopped run leaves no output folder it made
        if linked is not None:  # closed first: DuckDB's open spill files are in that folder
            linked.db.close()  # (link closes its own when it fails)
        if made:
            shutil.rmtree(paths.output, ignore_errors=True)
        raise
    linked.db.close()
    return linked, tables.counted()


def _step_said(console: Console, status) -> Callable[[str], None]:
    """Each linking step as it is done, with the time so far: in the spinner's line on a
    terminal, else a line of its own (a national run links for minutes; helper-44 saw only a
    spinner, and in a log nothing until the end)."""
    started = time.perf_counter()

    def said(step: str) -> None:
        seconds = time.perf_counter() - started
        line = f"koppelen en kenmerken berekenen: {step} klaar ({seconds:.0f} s)"
        if console.is_terminal:
            status.update(line)
        else:  # one line each in a log, however long
            console.print(line, soft_wrap=True)
    return said


def _text(keys: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A column of keys as Arrow text (TEXT's own array, not copied; or Python strings)."""
    return pa.array(keys).cast(pa.large_string())


def without_keys(tables: FeatureTables) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace CBS keys by a run-local household number (1, 2, ... in the order of the keys);
    persons get none. Vectorised in Arrow: a dict of every key took about 1 GB at 7.7 M
    households, and pandas' index of the keys held them as Python objects (3 GiB at 26.5 M
    persons)."""
    keys = _text(tables.households["household_id"])
    order = pc.take(keys, pc.sort_indices(keys))
    if isinstance(order, pa.ChunkedArray):
        order = order.combine_chunks()

    def numbered(frame: pd.DataFrame) -> pd.DataFrame:
        at = pc.index_in(_text(frame["household_id"]), value_set=order)
        found = pc.fill_null(at, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        number = pd.Series(found + 1, index=frame.index)
        # the other columns as they are, not copied (drop + assign copied the whole table
        # twice: 2 GiB each at 26.5 M persons); numpy columns are joined into one block
        kept = {c: frame[c] for c in frame.columns if c not in KEYS}
        kept["household"] = number.where(found >= 0) if (found < 0).any() else number
        return pd.DataFrame(kept, copy=False)

    return numbered(tables.households), numbered(tables.children)


#: rows per row group of the work tables: a region's section reads the row groups of its
#: municipality only (``by_place``; parquet keeps each group's lowest and highest code)
ROW_GROUP = 16_384


def by_place(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows by municipality, each municipality's rows in the order they had: a section of
    a national run read all 7.7 M households to find its own (0.5 s of its 1 s), and its rows
    are the same rows in the same order as when the municipality runs alone."""
    if "gemeente" not in frame or frame["gemeente"].is_monotonic_increasing:  # as
        # build_features orders them (or a library without the factor): no copy
        return frame
    return frame.sort_values("gemeente", kind="stable", ignore_index=True)


def _write_atomically(work: Path, linked: Linked, tables: FeatureTables,
                      schools: pd.DataFrame | None = None) -> None:
    staging = work.with_name(work.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        households, children = without_keys(tables)
        by_place(households).to_parquet(staging / "households.parquet", index=False,
                                        row_group_size=ROW_GROUP)
        by_place(children).to_parquet(staging / "children.parquet", index=False,
                                      row_group_size=ROW_GROUP)
        linked.attrition.to_csv(staging / "attrition.csv", index=False)
        linked.attrition.to_parquet(staging / "attrition.parquet", index=False)
        if schools is not None:  # branches by a run-local number: no school key
            schools.to_parquet(staging / "schools.parquet", index=False)
        # residents per area by their own address (counts only): the areas analysis
        linked.db.frame(sql_text("residents_per_area")).to_parquet(
            staging / "residents.parquet", index=False)
        if linked.match is not None:
            linked.match.to_csv(staging / "match.csv", index=False)
            linked.match.to_parquet(staging / "match.parquet", index=False)
            durations = linked.durations()
            durations[["days"]].to_parquet(staging / "durations.parquet", index=False)
        shutil.rmtree(work, ignore_errors=True)
        staging.rename(work)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
