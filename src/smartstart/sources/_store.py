"""The typed parquet store: one file per (table, year) plus ``manifest.json``, written atomically.

A table file is written row group by row group to a temporary file next to its final place and
renamed into place only when complete; the manifest is rewritten (atomically) after each table,
so it never describes a file that is not complete.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, ValidationError

from smartstart.sources.errors import SourceError

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
_TEMP_NAME = re.compile(r"^\..+\.[0-9a-f]{32}\.tmp$")
_HASH_BLOCK = 16 << 20


#: what a warning is about, as a typed status
WarningKind = Literal[
    "unrecognised_file",    # a file in a known theme folder that matches no catalog pattern
    "assumed_codes_kept",   # values outside an assumed code list, kept as they are
    "outcome_nulled",       # --unknown-codes null nulled values of a column an outcome uses
    "year_from_columns",    # the table year came from the column names, not the file name
    "absent_columns",       # optional columns the file does not have (stored as NULL)
    "keys_zero_padded",     # digit keys shorter than their width given their leading zeros
]


class StoreWarning(BaseModel):
    """Something the user should know that does not stop ingest (shown in the summary)."""

    model_config = ConfigDict(frozen=True)
    kind: WarningKind
    file: str
    column: str = ""
    message: str
    count: int | None = None

    def line(self) -> str:
        where = ": ".join(part for part in (self.file, self.column) if part)
        return f"{where}: {self.message}"


class TableRecord(BaseModel):
    """One manifest entry: where a stored table came from and what ingest changed in it."""

    model_config = ConfigDict(frozen=True)
    table: str
    year: int
    version: int
    store_path: str
    source: str
    format: str
    size_bytes: int
    mtime_ns: int
    sha256: str
    rows_read: int
    rows_written: int
    rows_dropped: dict[str, int] = {}
    row_groups: int
    columns: dict[str, dict[str, int]]
    absent_columns: tuple[str, ...] = ()
    dropped_columns: tuple[str, ...] = ()
    #: the year in the source file's name when the table year came from its columns
    name_year: int | None = None
    warnings: tuple[StoreWarning, ...] = ()
    unknown_codes: str
    catalog_sha256: str
    smartstart_version: str
    started_at: str
    finished_at: str

    def total(self, count: str) -> int:
        """A count (e.g. ``missing_code_nulls``) summed over all columns."""
        return sum(c.get(count, 0) for c in self.columns.values())


class Refused(BaseModel):
    """A file the last ingest did not store, with its first problem (a run that needs the
    table says so, rather than only that the store lacks it)."""

    model_config = ConfigDict(frozen=True)
    table: str
    year: int
    file: str
    problem: str


class _ManifestFile(BaseModel):
    manifest_version: int = MANIFEST_VERSION
    updated_at: str
    entries: list[TableRecord]
    #: warnings of the last run that belong to no stored table (unrecognised files)
    warnings: list[StoreWarning] = []
    #: files the last run did not store for their problems
    refused: list[Refused] = []


def now() -> str:
    """The current time as ISO 8601 in UTC, as written into the manifest."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def table_path(store: Path, table: str, year: int) -> Path:
    return store / table / f"{year}.parquet"


def read_manifest(store: Path) -> dict[tuple[str, int], TableRecord]:
    """The manifest's entries by (table, year); empty when the store is new."""
    path = store / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        manifest = _ManifestFile.model_validate_json(path.read_bytes())
    except (ValidationError, OSError) as error:
        raise SourceError(f"{path}: not a readable smartstart manifest ({error})",
                          hint="delete the store folder (or only manifest.json) and ingest again",
                          ) from error
    return {(e.table, e.year): e for e in manifest.entries}


def delivered_years(store: Path | str, table: str) -> list[int]:
    """The years of ``table`` in the store (by its manifest), ascending; [] when none."""
    return sorted(year for name, year in read_manifest(Path(store)) if name == table)


def _manifest_file(store: Path) -> _ManifestFile | None:
    path = store / MANIFEST_NAME
    return _ManifestFile.model_validate_json(path.read_bytes()) if path.exists() else None


def store_warnings(store: Path) -> list[StoreWarning]:
    """The manifest's run-level warnings (unrecognised files of the last run)."""
    manifest = _manifest_file(store)
    return manifest.warnings if manifest is not None else []


def store_refused(store: Path) -> list[Refused]:
    """The files the last ingest into ``store`` did not store, with their first problem."""
    manifest = _manifest_file(store)
    return manifest.refused if manifest is not None else []


def not_writable(store: Path, error: OSError) -> SourceError:
    """A one-line error for a store that cannot be written: read-only, full, locked."""
    reason = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is used up",
              errno.EROFS: "the disk is read-only", errno.EACCES: "no permission to write",
              errno.EPERM: "no permission to write"}.get(error.errno or 0,
                                                        error.strerror or str(error))
    return SourceError(f"{store}: cannot write the store ({reason})", kind="not_writable",
                       hint="free disk space or choose a writable folder with --store; nothing "
                       "half-written was left behind")


def write_manifest(store: Path, records: dict[tuple[str, int], TableRecord],
                   warnings: list[StoreWarning] | None = None,
                   refused: list[Refused] | None = None) -> Path:
    """Replace the manifest atomically with ``records``, sorted by table and year.

    ``warnings`` (None: keep the manifest's) are the run's warnings outside any table;
    ``refused`` (None: keep the manifest's) the files it did not store for their problems.
    """
    if warnings is None or refused is None:
        before = _manifest_file(store) or _ManifestFile(updated_at="", entries=[])
        warnings = before.warnings if warnings is None else warnings
        refused = before.refused if refused is None else refused
    manifest = _ManifestFile(updated_at=now(), entries=[records[k] for k in sorted(records)],
                             warnings=warnings, refused=refused)
    path = store / MANIFEST_NAME
    temp = store / f".{MANIFEST_NAME}.{uuid.uuid4().hex}.tmp"
    text = json.dumps(manifest.model_dump(mode="json"), indent=2, ensure_ascii=False)
    try:
        temp.write_text(text + "\n", encoding="utf-8")
        _replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return path


def remove_stale_temps(store: Path) -> None:
    """Delete temporary files an interrupted earlier run left behind (only ours, by name)."""
    if not store.is_dir():
        return
    for path in [*store.glob(".*.tmp"), *store.glob("*/.*.tmp")]:
        if _TEMP_NAME.match(path.name):
            if path.is_dir():  # a spill folder of the duplicate-key check
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def sha256_file(path: Path, stop: threading.Event | None = None) -> str:
    """The file's sha256 (hex); gives up early (returns '') once ``stop`` is set."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            if stop is not None and stop.is_set():
                return ""
            digest.update(block)
    return digest.hexdigest()


class BackgroundHash:
    """A file's sha256, computed in a thread while the file is read (hashlib frees the GIL).

    Leaving the context stops the thread early, so an error is reported without first waiting
    for a large file to be hashed.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stop = threading.Event()
        self._outcome: list[str | BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)

    def _run(self, path: Path) -> None:
        try:
            self._outcome.append(sha256_file(path, self._stop))
        except BaseException as error:  # handed to result()
            self._outcome.append(error)

    def __enter__(self) -> BackgroundHash:
        self._thread.start()
        return self

    def result(self) -> str:
        self._thread.join()
        if isinstance(outcome := self._outcome[0], OSError):
            raise SourceError(f"{self._path}: cannot be read ({outcome})", kind="unreadable",
                              hint="check that the file is still there and not locked") from outcome
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()


def _replace(source: Path, target: Path) -> None:
    try:
        os.replace(source, target)
    except PermissionError as error:
        raise SourceError(f"{target}: cannot be replaced ({error})", kind="not_writable",
                          hint="close programs that have the store open (DuckDB, Excel, R) and "
                          "run ingest again") from error


class ParquetSink:
    """Writes one table file row group by row group; it appears only when ``commit`` is called.

    Use as a context manager: leaving it without ``commit`` (an error) removes the temporary
    file, so the store never holds half a table.
    """

    def __init__(self, target: Path, schema: pa.Schema) -> None:
        self.target = target
        self.schema = schema
        self.row_groups = 0
        self._temp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
        self._writer: pq.ParquetWriter | None = None
        self._created_dir = False

    def __enter__(self) -> ParquetSink:
        self._created_dir = not self.target.parent.exists()
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self._temp, self.schema, compression="zstd")
        return self

    def write(self, table: pa.Table) -> None:
        assert self._writer is not None, "use ParquetSink as a context manager"
        if table.num_rows:
            self._writer.write_table(table, row_group_size=table.num_rows)
            self.row_groups += 1

    @property
    def temp(self) -> Path:
        """The temporary file being written (complete after ``finish``)."""
        return self._temp

    def finish(self) -> None:
        """Complete the temporary file (it can be read now) without moving it into place."""
        assert self._writer is not None, "use ParquetSink as a context manager"
        if self.row_groups == 0:
            self._writer.write_table(self.schema.empty_table())
        self._writer.close()
        self._writer = None

    def commit(self) -> None:
        """Finish the file and move it into place."""
        if self._writer is not None:
            self.finish()
        _replace(self._temp, self.target)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._temp.unlink(missing_ok=True)
        if self._created_dir and not any(self.target.parent.iterdir()):
            self.target.parent.rmdir()
