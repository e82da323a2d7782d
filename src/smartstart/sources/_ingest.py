"""``ingest``: CBS files -> a typed, validated parquet store with a manifest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import pandas as pd
from rich.console import Console

from smartstart import __version__
from smartstart.sources._catalog import (
    Catalog,
    SourceFile,
    discover,
    load_catalog,
    resolve_versions,
)
from smartstart.sources._convert import ConvertContext, Converter, UnknownCodes
from smartstart.sources._feedback import file_progress, print_summary
from smartstart.sources._plan import Job, canonical_pins, plan_job, relative_name, still_valid
from smartstart.sources._readers import reading_advice
from smartstart.sources._store import (
    MANIFEST_NAME,
    BackgroundHash,
    ParquetSink,
    TableRecord,
    now,
    read_manifest,
    remove_stale_temps,
    table_path,
    write_manifest,
)
from smartstart.sources.errors import SourceError

Status = Literal["ingested", "skipped"]


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

    def entry(self, table: str, year: int) -> IngestEntry:
        for e in self.entries:
            if (e.table, e.year) == (table, year):
                return e
        raise KeyError((table, year))

    def to_frame(self) -> pd.DataFrame:
        """One row per entry with the summary's numbers."""
        rows = [{"table": e.table, "year": e.year, "version": e.version, "format": e.format,
                 "rows": e.rows_written, "missing_code_nulls": e.total("missing_code_nulls"),
                 "impossible_dates": e.total("impossible_dates"), "status": e.status}
                for e in self.entries]
        return pd.DataFrame(rows, columns=["table", "year", "version", "format", "rows",
                                           "missing_code_nulls", "impossible_dates", "status"])


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


def ingest(
    source_dir: Path | str,
    store: Path | str,
    *,
    pins: dict[tuple[str, int], int] | None = None,
    chunk_rows: int = 500_000,
    unknown_codes: UnknownCodes = "error",
    console: Console | None = None,
    catalog: Catalog | None = None,
) -> IngestReport:
    """Read every catalog file under ``source_dir`` into ``store`` (one parquet per table-year).

    The newest version per table and year is used unless ``pins`` say otherwise. Unchanged files
    are skipped. On a ``SourceError`` nothing half-written remains and the manifest describes
    only complete tables.
    """
    run = _prepare(source_dir, store, chunk_rows, unknown_codes, console, catalog)
    files, unknown = discover(run.source_dir, run.catalog)
    chosen = resolve_versions(files, canonical_pins(pins or {}, run.catalog))
    if not chosen:
        raise SourceError(f"{run.source_dir}: no CBS files found",
                          hint="point to the folder with the CBS files; their names must match "
                          "a pattern in catalog.yaml, e.g. GBAPERSOON2022TABV1.sav")
    run.store.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(run.store)
    records = read_manifest(run.store)
    skipped, jobs = _partition(chosen, records, run)
    if skipped:
        write_manifest(run.store, records)
    entries = [IngestEntry(**r.model_dump(), status="skipped") for r in skipped]
    entries += [IngestEntry(**_ingest_file(job, records, run).model_dump(), status="ingested")
                for job in jobs]
    entries.sort(key=lambda e: (e.table, e.year))
    report = IngestReport(run.source_dir, run.store, run.store / MANIFEST_NAME, tuple(entries),
                          tuple(_outside_store(unknown, run)))
    print_summary(run.console, report.entries, report.unknown_files, run.store, report.manifest)
    return report


def _prepare(source_dir: Path | str, store: Path | str, chunk_rows: int, unknown_codes: str,
             console: Console | None, catalog: Catalog | None) -> _Run:
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
    return _Run(source, Path(store), catalog, chunk_rows, unknown_codes,
                console or Console(quiet=True), setup)


def _partition(chosen: list[SourceFile], records: dict[tuple[str, int], TableRecord],
               run: _Run) -> tuple[list[TableRecord], list[Job]]:
    """Unchanged files (their entries, refreshed in ``records``) and jobs for the others.

    Every job's header is read and checked here, so a bad column fails before any writing.
    """
    skipped, jobs = [], []
    for file in chosen:
        key = (file.table, file.year)
        relative = relative_name(file.path, run.source_dir)
        kept = still_valid(records.get(key), file, relative, run.setup)
        if kept is not None and table_path(run.store, *key).exists():
            records[key] = kept
            skipped.append(kept)
        else:
            jobs.append(plan_job(file, run.catalog, run.source_dir))
    return skipped, jobs


def _ingest_file(job: Job, records: dict[tuple[str, int], TableRecord], run: _Run) -> TableRecord:
    """Convert one file into its store file and record it in ``records`` and the manifest.

    The table's old entry leaves the manifest before its file is replaced, so the manifest never
    describes a file it did not produce.
    """
    started = now()
    converter = Converter(job.plans, ConvertContext(
        label=job.label, open_end=run.catalog.open_end_date,
        open_end_aliases=frozenset(run.catalog.open_end_aliases), unknown_codes=run.unknown_codes,
    ))
    target = table_path(run.store, job.file.table, job.file.year)
    with BackgroundHash(job.file.path) as digest, ParquetSink(target, converter.schema) as sink:
        rows = _copy_rows(job, converter, sink, run)
        _check_not_changed(job)
        sha256 = digest.result()
        if records.pop((job.file.table, job.file.year), None) is not None:
            write_manifest(run.store, records)
        sink.commit()
    record = TableRecord(
        table=job.file.table, year=job.file.year, version=job.file.version,
        store_path=target.relative_to(run.store).as_posix(), source=job.relative,
        format=job.file.format, size_bytes=job.size_bytes, mtime_ns=job.mtime_ns, sha256=sha256,
        rows_read=rows, rows_written=rows, row_groups=sink.row_groups,
        columns={name: c.as_dict() for name, c in converter.counts.items()},
        absent_columns=tuple(p.spec.name for p in job.plans if p.source is None),
        dropped_columns=job.dropped_columns, started_at=started, finished_at=now(), **run.setup,
    )
    records[(record.table, record.year)] = record
    write_manifest(run.store, records)
    return record


def _copy_rows(job: Job, converter: Converter, sink: ParquetSink, run: _Run) -> int:
    """Read, convert and write the file chunk by chunk; returns the number of rows."""
    sources = [p.source for p in job.plans if p.source is not None]
    if advice := reading_advice(job.reader, run.chunk_rows):
        run.console.print(f"[yellow]note:[/] {advice}")
    rows = 0
    with file_progress(run.console, job.label, job.reader.total_rows, run.chunk_rows) as advance:
        for chunk in job.reader.batches(sources, run.chunk_rows):
            sink.write(converter.convert(chunk, rows))
            rows += chunk.num_rows
            advance(chunk.num_rows)
    return rows


def _check_not_changed(job: Job) -> None:
    stat = job.file.path.stat()
    if (stat.st_size, stat.st_mtime_ns) != (job.size_bytes, job.mtime_ns):
        raise SourceError(f"{job.label}: the file changed while it was being read",
                          hint="wait until copying has finished and run ingest again")


def _outside_store(unknown: list[Path], run: _Run) -> list[str]:
    """Unrecognised files as paths relative to the source folder, leaving out the store itself."""
    store = run.store.resolve()
    return [relative_name(p, run.source_dir) for p in unknown
            if not p.resolve().is_relative_to(store)]
