"""DuckDB over the parquet store: views per table, SQL files, bound parameters, attrition."""

from __future__ import annotations

import copy
import itertools
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

from smartstart._frames import compact_arrow
from smartstart._usage import UsageError
from smartstart.linking._dates import StudyDates
from smartstart.sources._catalog import CORE, load_catalog
from smartstart.sources._layout import layout_parts, parts_source, path_literal
from smartstart.sources._store import read_manifest, store_refused
from smartstart.sources.errors import SourceError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def sql_text(name: str, **identifiers: str) -> str:
    """A SQL file of this package with identifiers (never values) filled in."""
    for value in identifiers.values():
        if not _IDENT.match(value):
            raise ValueError(f"not an SQL identifier: {value!r}")
    text = resources.files("smartstart.linking").joinpath("sql", f"{name}.sql").read_text("utf-8")
    return text.format(**identifiers) if identifiers else text


@dataclass
class Step:
    step: str
    rows_in: int
    rows_out: int
    reason: str
    #: the same in English (the English report's words; "" where a step has none)
    step_en: str = ""
    reason_en: str = ""
    #: the rows out are of another unit than the rows in (partner rows -> households,
    #: persons -> households): what the step "dropped" is no count of anything
    changes_unit: bool = False


#: the parquet a run's views may read on one thread (``Database._more_threads``). Measured on
#: 2 cores, link + factor tables in a fresh process: Gilze en Rijen's parts (26,591 residents,
#: about 5 MB) took 0.47-0.68 s on one thread against 0.58-0.72 s on two; a municipality with
#: six times its address spells took 2.3-2.5 s on one against 1.8-2.1 s on two.
ONE_THREAD_BYTES = 8 * 2**20
#: GiB of DuckDB's memory for a run's tables while it links and builds the factor tables
#: (``memory_limit``; ``paths.memory_gib``); beyond it they go to a spill folder on disk, which
#: DuckDB makes when it first needs it and removes when the connection closes. Without a bound
#: DuckDB takes up to 80 % of the machine beside the run's pandas frames and models:
#: ``gemeenten: all`` on 2.9 M persons held 3.6 GB of tables and peaked at 6.6 GiB. One
#: municipality or a region of nine stays far below it. Once the work frames are fetched
#: DuckDB keeps half of it (``beside_frames``). Measured on 26.5 M persons (every
#: municipality, 2 cores): linking and factor tables 483 s at 2 GiB, 410 s at 4 GiB (less
#: spilled: 124 GB written instead of 158 GB), the process's peak the same (the frames').
MEMORY_GIB = 4.0
#: several municipalities' layout parts are read while their files hold less than this share
#: of the full file's bytes; past it one read of the full file is cheaper. Parts overlap (a
#: person who lived in two municipalities is in both), and their union is deduplicated over
#: every row read: ``gemeenten: all`` on 17.7 M persons linked in 670 s from the parts and in
#: about 300 s from the full files. A region of nine of a national store reads a few percent.
PARTS_SHARE = 0.5
_spills = itertools.count()
_SQL_TYPES = {"key": "VARCHAR", "code": "VARCHAR", "str": "VARCHAR", "date": "DATE",
              "int": "BIGINT", "float": "DOUBLE"}


@dataclass(frozen=True)
class YearUsed:
    """A yearly table read for another year than the run wanted (``allow_nearest_year``)."""

    table: str
    wanted: int
    used: int


@dataclass
class Database:
    """One DuckDB connection over a store, with the attrition of everything done on it."""

    store: Path
    #: the run's dates, computed once from the study; SQL binds them by name, nothing changes them
    dates: StudyDates
    #: use the nearest delivered year when the wanted year of a table is not in the store
    nearest_year: bool = False
    con: duckdb.DuckDBPyConnection = field(init=False)
    attrition: list[Step] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    #: table -> the year read; tables not delivered at all are in ``absent``
    read: dict[str, int] = field(default_factory=dict)
    absent: set[str] = field(default_factory=set)
    years_used: dict[str, YearUsed] = field(default_factory=dict)
    #: the folder in which DuckDB's spill folder is made (the system's temporary folder when
    #: None; a run gives its output folder, so the microdata stay beside its work tables)
    spill: Path | None = None
    #: DuckDB's memory in GiB (``MEMORY_GIB``)
    memory_gib: float = MEMORY_GIB
    #: told each step's name as it is recorded (a run's progress; ``link``'s ``on_step``)
    on_step: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        self.manifest = read_manifest(self.store)
        self.con = duckdb.connect()
        self.con.execute("SET threads TO 1").fetchall()
        folder = Path(self.spill or tempfile.gettempdir()) / \
            f"smartstart-duckdb-{os.getpid()}-{next(_spills)}"
        self.con.execute(f"SET temp_directory = {path_literal(folder)}").fetchall()
        self._hold_to(self.memory_gib)
        # the run shows its own progress; DuckDB's bar would print into it
        self.con.execute("SET enable_progress_bar = false").fetchall()
        self._threads, self._bytes = 1, 0  # see _more_threads

    def _hold_to(self, gib: float) -> None:
        """DuckDB's ``memory_limit``, kept as ``_limit_gib``: the bound a memory error names."""
        self._limit_gib = gib
        self.con.execute(f"SET memory_limit = '{round(gib * 1024)}MiB'").fetchall()

    def beside_frames(self) -> None:
        """DuckDB's memory held to half of ``memory_gib`` from here on: the run's pandas
        frames come next, and DuckDB gives back what it held above that (its tables beyond
        it go to the spill folder). At 26.5 M persons the process's RSS went from 3.5 to
        2.5 GiB here (benchmarks/national.py --only national, peak per phase)."""
        with self.translated("giving back memory"):
            self._hold_to(self.memory_gib / 2)

    def close(self) -> None:
        """Free the run's tables and end the connection (its spill folder goes with it); what
        it recorded (attrition, sources, dates) stays readable."""
        self.con.close()

    def drop(self, *tables: str) -> None:
        """Tables no later step reads, freed (a national run's address and household histories
        are most of its memory)."""
        for table in tables:
            self.con.execute(f"DROP TABLE IF EXISTS {table}").fetchall()

    def _more_threads(self, files: list[Path]) -> None:
        """Two threads once the views read more than ``ONE_THREAD_BYTES`` of parquet: a small
        municipality's layout parts run faster on one (benchmarks/national.py --only one)."""
        self._bytes += sum(f.stat().st_size for f in files)
        if self._threads == 1 and self._bytes > ONE_THREAD_BYTES:
            self.con.execute("SET threads TO 2").fetchall()
            self._threads = 2

    def require_core(self) -> None:
        """Every core table the store lacks, named together (a run cannot link without them)."""
        missing = sorted(CORE - {name for name, _ in self.manifest})
        if not missing:
            return
        refused = [r for r in store_refused(self.store) if r.table in missing]
        said = "".join(f"; the last ingest did not store {r.file} ({r.problem})" for r in refused)
        raise SourceError(
            f"{self.store}: the store lacks {', '.join(missing)}; every run links on "
            f"{'these tables' if len(missing) > 1 else 'this table'}{said}",
            hint=("correct the file (smartstart ingest --check lists every problem of the "
                  "delivery) and ingest again" if refused else
                  "ingest the CBS delivery that holds "
                  f"{'them' if len(missing) > 1 else 'it'} into this store (smartstart ingest)"))

    def years(self, name: str) -> list[int]:
        return sorted(y for t, y in self.manifest if t == name)

    def table(self, name: str, year: int | None = None, *, full: bool = False) -> str:
        """A view on a store table (the newest year when ``year`` is None); returns its name.

        A table outside the core that the store does not have becomes an empty view with the
        catalog's columns (``absent`` records it, the factors that need it are left out). With a
        fresh by-municipality layout (``smartstart layout``) the view reads only the parts of
        the pilot's municipalities (each person once), unless ``full`` is asked for. A table
        whose spells come one file per year (``spells_per_year``) is read over every delivered
        year, each key's row from the newest year that has it.
        """
        years = self.years(name)
        if not years:
            if name in CORE:
                raise SourceError(f"{self.store}: table {name} is not in the store",
                                  hint="ingest the CBS delivery that holds it (smartstart ingest)")
            return self._absent(name)
        spec = load_catalog().tables.get(name)
        together = year is None and len(years) > 1 and spec is not None and spec.spells_per_year
        chosen = self._year(name, years, year)
        self.read[name] = chosen
        view = f"{name.lower()}_{'all' if together else chosen}" + ("_full" if full else "")
        if together:
            sources = [f"SELECT *, {y} AS _year FROM {self._source(name, y, full)}"
                       for y in years]
            by = ", ".join(f'"{k}"' for k in spec.key)
            source = (f"(SELECT * EXCLUDE (_year) FROM ({' UNION ALL BY NAME '.join(sources)}) "
                      f"QUALIFY row_number() OVER (PARTITION BY {by} ORDER BY _year DESC) = 1)")
        else:
            source = self._source(name, chosen, full)
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {source}").fetchall()
        return view

    def _source(self, name: str, year: int, full: bool) -> str:
        """SQL reading one delivered year of a store table: its layout parts, or the file."""
        path = self.store / self.manifest[(name, year)].store_path
        parts = None if full else layout_parts(self.store, name, year, self.dates.gemeenten,
                                                   self.dates.peildatum, self.manifest)
        if parts is not None and len(parts) > 1 and path.is_file() and sum(
                f.stat().st_size for part in parts for f in part.glob("*.parquet")
        ) >= PARTS_SHARE * path.stat().st_size:
            parts = None  # most of the table (a national run): the full file, read once
        if parts is None:
            source = f"read_parquet({path_literal(path)})"
        elif len(parts) == 1:
            source = (f"read_parquet({path_literal(parts[0] / '*.parquet')}, "
                      "hive_partitioning = false)")
        elif parts:
            source = parts_source(name, parts)
        else:  # none of the municipalities has rows in this table
            source = f"(SELECT * FROM read_parquet({path_literal(path)}) LIMIT 0)"
        self._more_threads([path] if parts is None else
                           [f for part in parts for f in part.glob("*.parquet")])
        self.sources[f"{name.lower()}_{year}" + ("_full" if full else "")] = \
            "layout" if parts is not None else "full"
        return source

    def absent_columns(self, name: str) -> tuple[str, ...]:
        """Catalog columns the delivered file of ``name`` (the year read) did not have."""
        record = self.manifest.get((name, self.read.get(name, -1)))
        return tuple(record.absent_columns) if record is not None else ()

    def source_file(self, name: str) -> str:
        record = self.manifest.get((name, self.read.get(name, -1)))
        return record.source if record is not None else name

    def _year(self, name: str, years: list[int], year: int | None) -> int:
        if year is None or year in years:
            return years[-1] if year is None else year
        have = ", ".join(map(str, years))
        if not self.nearest_year:
            raise SourceError(f"{self.store}: table {name} has no year {year} (delivered: {have})",
                              hint="ingest that year, choose another peildatum, or set "
                                   "study.allow_nearest_year: true to use the nearest year")
        used = min(years, key=lambda y: (abs(y - year), y))
        self.years_used[name] = YearUsed(name, year, used)
        return used

    def _absent(self, name: str) -> str:
        """An empty view with the catalog's columns for a table the delivery does not hold."""
        spec = load_catalog().table(name)
        columns = ", ".join(f'CAST(NULL AS {_SQL_TYPES[c.type]}) AS "{c.name}"'
                            for c in spec.columns.values())
        view = f"{name.lower()}_absent"
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT {columns} WHERE FALSE"
                         ).fetchall()
        self.absent.add(name)
        return view

    def branch(self) -> Database:
        """The same run on a second connection to its in-memory database, for linking steps
        that run beside this one's on a thread (``linking.link``): the tables and views either
        makes are the run's. What the branch reads is its own until ``merge``."""
        other = copy.copy(self)
        other.con = self.con.cursor()
        other.attrition, other.sources, other.read = [], {}, {}
        other.absent, other.years_used = set(), {}
        other._bytes = 0
        return other

    def merge(self, other: Database) -> None:
        """Take over what a ``branch`` read and recorded (after its steps), in a fixed order:
        as if its steps had run after this connection's."""
        self.attrition += other.attrition
        self.sources.update(other.sources)
        self.read.update(other.read)
        self.absent |= other.absent
        self.years_used.update(other.years_used)
        self._bytes += other._bytes
        self._threads = max(self._threads, other._threads)
        other.con.close()

    def create(self, name: str, sql: str, values: dict[str, object] | None = None) -> int:
        """Materialise ``sql`` as table ``name`` of the run's in-memory database with the bound
        parameters it uses (the study's dates, and ``values``); returns its rows (DuckDB's
        CREATE TABLE AS answers with the count it wrote). Not a TEMP table: those are one
        connection's, and a ``branch`` reads them."""
        with self.translated(f"the table {name}"):
            return self.con.execute(f"CREATE OR REPLACE TABLE {name} AS {sql}",
                                    self._bound(sql, values)).fetchall()[0][0]

    @contextmanager
    def translated(self, what: str) -> Iterator[None]:
        """DuckDB's errors of its memory bound and spill folder as a clear error (``what``:
        the step's table or output); any other error as it is (a store file that cannot be
        read says so itself)."""
        try:
            yield
        except (duckdb.OutOfMemoryException, duckdb.IOException) as error:
            text = str(error)
            first = text.splitlines()[0]
            folder = self.spill or Path(tempfile.gettempdir())
            disk = ("max_temp_directory_size" in text or "No space left" in text
                    or "not enough space" in text.lower())
            if disk:  # the spill folder's disk is full (DuckDB stops at 90 % of what is free)
                raise UsageError(
                    f"linking: {what} could not be written to DuckDB's spill folder in "
                    f"{folder}: {first}. A run of every municipality spills up to about 1.5 GB "
                    "per million persons: free that much disk there, or give DuckDB more "
                    "memory (paths.memory_gib)") from None
            if isinstance(error, duckdb.OutOfMemoryException):
                raise UsageError(
                    f"linking: {what} needed more than the {self._limit_gib:g} GiB that DuckDB "
                    f"may use (paths.memory_gib {self.memory_gib:g}, half of it once the "
                    f"tables are fetched): {first}. Give more (paths.memory_gib: "
                    f"{2 * self.memory_gib:g} in the pilot's paths) if the machine has "
                    "it") from None
            if "smartstart-duckdb-" in text:  # the spill folder cannot be made or written
                raise UsageError(
                    f"linking: DuckDB could not use its spill folder in {folder} for {what}: "
                    f"{first}. The run's output folder must be writable") from None
            raise

    def count(self, name: str) -> int:
        with self.translated(f"counting {name}"):
            return self.con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]

    def record(self, step: str, rows_in: int, rows_out: int, reason: str,
               en: tuple[str, str] = ("", ""), changes_unit: bool = False) -> None:
        """One step of the flow; ``en``: its step and reason in English; ``changes_unit``:
        its rows out are of another unit than its rows in (``Step``)."""
        self.attrition.append(Step(step, rows_in, rows_out, reason, *en, changes_unit))
        if self.on_step is not None:
            self.on_step(step)

    def frame(self, sql: str):
        with self.translated("a query"):
            return self.con.execute(sql, self._bound(sql)).df()

    def compact_frame(self, sql: str):
        """``compact(self.frame(sql))`` in the memory of the finished frame: the result is
        fetched as Arrow and its text never held as Python objects (``compact_arrow``)."""
        with self.translated("a query"):
            # large strings: what pandas holds, so the text is not copied once more
            self.con.execute("SET arrow_large_buffer_size = true").fetchall()
            try:
                result = self.con.sql(sql, params=self._bound(sql))  # a relation: no copy
                table = (result.to_arrow_table() if hasattr(result, "to_arrow_table")
                         else result.arrow())  # DuckDB before 1.4
            finally:
                self.con.execute("RESET arrow_large_buffer_size").fetchall()
            return compact_arrow(table, lambda rest: self.con.from_arrow(rest).df())

    def _bound(self, sql: str, values: dict[str, object] | None = None) -> dict[str, object]:
        """The parameters ``sql`` uses (DuckDB refuses unused named parameters): the study's
        dates, and ``values`` by name."""
        values = values or {}
        return {**self.dates.bound([n for n in _PARAM.findall(sql) if n not in values]),
                **values}
