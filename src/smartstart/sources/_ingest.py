"""``ingest``: CBS files -> a typed, validated parquet store with a manifest.

One pass finds every problem of a delivery (all missing columns of all files, every code-list
problem, duplicate keys) and raises them together; ``check=True`` does the same without writing.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import pandas as pd
import pyarrow as pa
from rich.console import Console

from smartstart import __version__
from smartstart.sources._catalog import (
    CORE,
    Catalog,
    SourceFile,
    discover,
    load_catalog,
    resolve_versions,
)
from smartstart.sources._convert import ConvertContext, Converter, UnknownCodes
from smartstart.sources._feedback import file_progress, print_summary
from smartstart.sources._keys import KeyCheck
from smartstart.sources._plan import (
    Job,
    assign_years,
    canonical_pins,
    plan_job,
    relative_name,
    still_valid,
)
from smartstart.sources._readers import reading_advice
from smartstart.sources._store import (
    MANIFEST_NAME,
    BackgroundHash,
    ParquetSink,
    Refused,
    StoreWarning,
    TableRecord,
    not_writable,
    now,
    read_manifest,
    remove_stale_temps,
    table_path,
    write_manifest,
)
from smartstart.sources.errors import Problem, SourceError, as_problems

Status = Literal["ingested", "skipped", "checked"]


class IngestEntry(TableRecord):
    """A manifest entry plus what this run did with it."""

    status: Status


@dataclass(frozen=True)
class IngestReport:
    """The result of one ingest run: one entry per (table, year) and the unrecognised files."""

    source_dir: Path
    store: Path
    manifest: Path
    entries: tuple[IngestEntry, ...]
    unknown_files: tuple[str, ...]
    #: the run's warnings: unrecognised files in theme folders, then those of the entries
    warnings: tuple[StoreWarning, ...] = ()
    #: catalog tables in neither the delivery nor the store, the core first: a run cannot start
    #: without a core table, and leaves out the factors that need any other
    absent_tables: tuple[str, ...] = ()

    def entry(self, table: str, year: int) -> IngestEntry:
        for e in self.entries:
            if (e.table, e.year) == (table, year):
                return e
        raise KeyError((table, year))

    def to_frame(self) -> pd.DataFrame:
        """One row per entry with the summary's numbers."""
        counts = ("missing_code_nulls", "impossible_dates", "unknown_codes_kept",
                  "unknown_codes_nulled")
        rows = [{"table": e.table, "year": e.year, "version": e.version, "format": e.format,
                 "rows": e.rows_written, **{c: e.total(c) for c in counts}, "status": e.status}
                for e in self.entries]
        return pd.DataFrame(rows, columns=["table", "year", "version", "format", "rows",
                                           *counts, "status"])


@dataclass(frozen=True)
class _Run:
    """Everything fixed for one run; ``setup`` is what a stored table must match to be reused."""

    source_dir: Path
    store: Path
    catalog: Catalog
    chunk_rows: int
    unknown_codes: UnknownCodes
    console: Console
    setup: dict[str, str]
    #: where files are written: the store, or a scratch folder that is removed (check)
    work: Path
    check: bool = False
    #: when the manifest was last saved (monotonic seconds; a list: the run is frozen)
    saved_at: list[float] = field(default_factory=lambda: [0.0])


#: after a file the manifest is saved at most this often, and always at the end of the run.
#: One save writes every record (about 240 KB on the demo): saving after each of 179 files
#: took 13.4 s of a 27 s re-ingest. A crash between saves loses at most this much work: the
#: files not yet in the manifest are ingested again on the next run.
SAVE_EVERY_S = 2.0


def _save_soon(run: _Run, records: dict) -> None:
    if time.monotonic() - run.saved_at[0] >= SAVE_EVERY_S:
        write_manifest(run.store, records)
        run.saved_at[0] = time.monotonic()


def ingest(
    source_dir: Path | str,
    store: Path | str | None,
    *,
    pins: dict[tuple[str, int], int] | None = None,
    chunk_rows: int = 500_000,
    unknown_codes: UnknownCodes = "error",
    console: Console | None = None,
    catalog: Catalog | None = None,
    check: bool = False,
) -> IngestReport:
    """Read every catalog file under ``source_dir`` into ``store`` (one parquet per table-year).

    The newest version per table and year is used unless ``pins`` say otherwise. Unchanged files
    are skipped. Every problem of the delivery is collected and raised together as one
    ``SourceError`` at the end; the files without problems are stored, each atomically, and the
    manifest describes only complete tables. ``check=True`` reads and validates every file the
    same way but writes nothing (``store`` may be None).
    """
    if check:
        with tempfile.TemporaryDirectory(prefix="smartstart-check-") as scratch:
            run = _prepare(source_dir, store, chunk_rows, unknown_codes, console, catalog,
                           Path(scratch))
            try:
                return _run(run, pins)
            except OSError as error:
                raise _os_error(run, error) from error
    if store is None:
        raise SourceError("no store given", hint="use --store FOLDER (or --check to only check)")
    run = _prepare(source_dir, store, chunk_rows, unknown_codes, console, catalog, None)
    new_store = not run.store.exists()
    try:
        return _run(run, pins)
    except OSError as error:
        raise _os_error(run, error) from error
    finally:
        if new_store and run.store.is_dir() and not any(run.store.iterdir()):
            run.store.rmdir()  # a run that stored nothing leaves no empty store behind


def _os_error(run: _Run, error: OSError) -> SourceError:
    """A source file that vanished or cannot be opened, else a store that cannot be written."""
    name = Path(str(error.filename)) if error.filename else None
    if name is not None and name.is_relative_to(run.source_dir) \
            and not name.is_relative_to(run.store):
        return SourceError(f"{name}: cannot be read ({error.strerror or error})",
                           kind="unreadable", hint="check that the file is still there and that "
                           "no other program has it open, then run ingest again")
    return not_writable(run.store if not run.check else run.work, error)


def _run(run: _Run, pins: dict[tuple[str, int], int] | None) -> IngestReport:
    """Find, plan and convert every file, collecting all problems; raise them at the end."""
    problems: list[Problem] = []
    chosen, unknown = _find_files(run, pins, problems)
    warnings = _unrecognised(unknown, run)
    records = {} if run.check else _open_store(run)
    skipped, jobs = _partition(chosen, records, run, problems)
    if skipped:
        write_manifest(run.store, records, warnings)
    entries = [IngestEntry(**r.model_dump(), status="skipped") for r in skipped]
    if problems or any(job.problems for job in jobs):
        run.console.print("[yellow]note:[/] the names or headers of some files have problems; "
                          "every file is read first, then all problems are listed")
    status = "checked" if run.check else "ingested"
    refused: list[Refused] = []
    with KeyCheck(run.work) as keys:
        for job in jobs:
            try:
                record = _ingest_file(job, records, run, keys)
            except SourceError as error:
                if "not_writable" in error.kinds:
                    raise
                found = as_problems(error, job.relative, job.file.path)
                problems.extend(found)
                refused.append(Refused(table=job.file.table, year=job.file.year,
                                       file=job.relative, problem=found[0].line()))
                continue
            entries.append(IngestEntry(**record.model_dump(), status=status))
    if not run.check and (records or (run.store / MANIFEST_NAME).exists()):
        write_manifest(run.store, records, warnings, refused)
    entries.sort(key=lambda e: (e.table, e.year))
    every = tuple(warnings) + tuple(w for e in entries for w in e.warnings)
    report = IngestReport(run.source_dir, run.store, run.store / MANIFEST_NAME, tuple(entries),
                          tuple(_outside_store(unknown, run)), every,
                          _absent_tables(run, records, chosen))
    print_summary(run.console, report, check=run.check)
    if problems:
        raise SourceError(problems=problems)
    return report


def _absent_tables(run: _Run, records: dict[tuple[str, int], TableRecord],
                   chosen: list[SourceFile]) -> tuple[str, ...]:
    """Catalog tables with no file in this delivery and no year in the store, the core first.
    A file with problems counts as delivered: its own problems say what is wrong with it. An
    absent core table is not an error here: a delivery may be ingested a folder at a time."""
    stored = read_manifest(run.store) if run.check else records
    present = {table for table, _ in stored} | {f.table for f in chosen}
    absent = [name for name in run.catalog.tables if name not in present]
    return tuple(sorted(absent, key=lambda name: name not in CORE))


def _find_files(run: _Run, pins: dict[tuple[str, int], int] | None,
                problems: list[Problem]) -> tuple[list[SourceFile], list[Path]]:
    """The file to read per table and year, and the files the catalog does not know."""
    files, unknown = discover(run.source_dir, run.catalog, problems)
    files = assign_years(files, run.catalog, run.source_dir, problems)
    chosen = resolve_versions(files, canonical_pins(pins or {}, run.catalog), problems)
    if not chosen and not problems:
        raise SourceError(f"{run.source_dir}: no CBS files found",
                          hint="point to the folder with the CBS files; their names must match "
                          "a pattern in catalog.yaml, e.g. GBAPERSOON2022TABV1.sav")
    return chosen, unknown


def _open_store(run: _Run) -> dict[tuple[str, int], TableRecord]:
    run.store.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(run.store)
    return read_manifest(run.store)


_DOCUMENTS = frozenset({".pdf", ".doc", ".docx", ".htm", ".html", ".md"})


def _unrecognised(unknown: list[Path], run: _Run) -> list[StoreWarning]:
    """A warning for each file in a theme or table folder of the catalog that matches nothing."""
    folders = run.catalog.folders
    warnings = []
    for relative in _outside_store(unknown, run):
        parts = relative.split("/")
        known = [p for p in parts[:-1] if p.casefold() in folders]
        if known and Path(relative).suffix.lower() not in _DOCUMENTS:
            warnings.append(StoreWarning(
                kind="unrecognised_file", file=relative,
                message=f"in the folder {known[-1]} but its name matches no pattern of the "
                "catalog, so it was not read; if it is a CBS table, add its spelling to the "
                "table's patterns in catalog.yaml"))
    return warnings


def _prepare(source_dir: Path | str, store: Path | str | None, chunk_rows: int,
             unknown_codes: str, console: Console | None, catalog: Catalog | None,
             scratch: Path | None) -> _Run:
    """Check the arguments and freeze them."""
    source = Path(source_dir)
    if not source.is_dir():
        raise SourceError(f"{source}: is not a folder", hint="give the folder with the CBS files")
    if unknown_codes not in get_args(UnknownCodes):
        raise SourceError(f"unknown_codes must be 'error' or 'null', not {unknown_codes!r}",
                          hint="use --unknown-codes error or --unknown-codes null")
    if chunk_rows < 1:
        raise SourceError(f"chunk_rows must be at least 1, not {chunk_rows}",
                          hint="use the default of 500000 rows")
    catalog = catalog or load_catalog()
    setup = {"catalog_sha256": hashlib.sha256(catalog.model_dump_json().encode()).hexdigest(),
             "smartstart_version": __version__, "unknown_codes": unknown_codes}
    target = Path(store) if store is not None else (scratch or Path("."))
    return _Run(source, target, catalog, chunk_rows, unknown_codes,  # type: ignore[arg-type]
                console or Console(quiet=True), setup, scratch or target, scratch is not None)


def _partition(chosen: list[SourceFile], records: dict[tuple[str, int], TableRecord],
               run: _Run, problems: list[Problem]) -> tuple[list[TableRecord], list[Job]]:
    """Unchanged files (their entries, refreshed in ``records``) and jobs for the others.

    Every job's header is read here; a file that cannot be opened goes into ``problems`` and
    gets no job (missing columns stay with the job, so its values are checked too).
    """
    skipped, jobs = [], []
    for file in chosen:
        key = (file.table, file.year)
        relative = relative_name(file.path, run.source_dir)
        kept = None if run.check else still_valid(records.get(key), file, relative, run.setup)
        if kept is not None and table_path(run.store, *key).exists():
            records[key] = kept
            skipped.append(kept)
            continue
        try:
            jobs.append(plan_job(file, run.catalog, run.source_dir))
        except SourceError as error:
            problems.extend(as_problems(error, relative, file.path))
    return skipped, jobs


def _ingest_file(job: Job, records: dict[tuple[str, int], TableRecord], run: _Run,
                 keys: KeyCheck) -> TableRecord:
    """Convert one file into its store file and record it in ``records`` and the manifest.

    Every value is read before the file is judged: a ``SourceError`` holds all its problems
    (unknown codes, bad values, duplicate keys) and leaves nothing behind. The table's old
    entry leaves the manifest before its file is replaced, so the manifest never describes a
    file it did not produce. With ``run.check`` nothing is stored.
    """
    started = now()
    converter = Converter(job.plans, ConvertContext(
        label=job.label, open_end=run.catalog.open_end_date,
        open_end_aliases=frozenset(run.catalog.open_end_aliases), unknown_codes=run.unknown_codes,
        file=job.relative,
    ))
    target = table_path(run.work, job.file.table, job.file.year)
    key_columns = [c for c in job.table.key if c in job.table.columns]
    schema = converter.schema
    if run.check:
        schema = pa.schema([schema.field(c) for c in key_columns])
    with BackgroundHash(job.file.path) as digest, ParquetSink(target, schema) as sink:
        rows = _copy_rows(job, converter, sink, run)
        _check_not_changed(job)
        sink.finish()
        problems = [*job.problems, *converter.problems(),
                    *keys.duplicates(sink.temp, job.table, job.relative)]
        if problems:
            raise SourceError(problems=problems)
        sha256 = digest.result()
        if not run.check:
            if records.pop((job.file.table, job.file.year), None) is not None:
                write_manifest(run.store, records)
            sink.commit()
    record = TableRecord(
        table=job.file.table, year=job.file.year, version=job.file.version,
        store_path=target.relative_to(run.work).as_posix(), source=job.relative,
        format=job.file.format, size_bytes=job.size_bytes, mtime_ns=job.mtime_ns, sha256=sha256,
        rows_read=rows, rows_written=rows, row_groups=sink.row_groups,
        columns={name: c.as_dict() for name, c in converter.counts.items()},
        absent_columns=tuple(p.spec.name for p in job.plans if p.source is None),
        dropped_columns=job.dropped_columns, name_year=job.file.name_year,
        warnings=job.warnings + tuple(converter.warnings()),
        started_at=started, finished_at=now(), **run.setup,
    )
    if not run.check:
        records[(record.table, record.year)] = record
        _save_soon(run, records)
    return record


def _copy_rows(job: Job, converter: Converter, sink: ParquetSink, run: _Run) -> int:
    """Read, convert and write the file chunk by chunk; returns the number of rows."""
    sources = [p.source for p in job.plans if p.source is not None]
    if advice := reading_advice(job.reader, run.chunk_rows):
        run.console.print(f"[yellow]note:[/] {advice}")
    rows = 0
    with file_progress(run.console, job.label, job.reader.total_rows, run.chunk_rows) as advance:
        for chunk in job.reader.batches(sources, run.chunk_rows):
            converted = converter.convert(chunk, rows)
            sink.write(converted.select(sink.schema.names) if run.check else converted)
            rows += chunk.num_rows
            advance(chunk.num_rows)
    return rows


def _check_not_changed(job: Job) -> None:
    stat = job.file.path.stat()
    if (stat.st_size, stat.st_mtime_ns) != (job.size_bytes, job.mtime_ns):
        raise SourceError(f"{job.label}: the file changed while it was being read", kind="changed",
                          hint="wait until copying has finished and run ingest again")


def _outside_store(unknown: list[Path], run: _Run) -> list[str]:
    """Unrecognised files as paths relative to the source folder, leaving out the store itself."""
    store = run.store.resolve()
    return [relative_name(p, run.source_dir) for p in unknown
            if not p.resolve().is_relative_to(store)]
