"""What ingest will do with each file: pins, column mapping, and whether a file can be skipped."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from smartstart.sources._catalog import Catalog, SourceFile, TableSpec
from smartstart.sources._convert import ColumnPlan
from smartstart.sources._readers import SourceReader, open_reader
from smartstart.sources._store import TableRecord, sha256_file
from smartstart.sources.errors import SourceError

Pins = dict[tuple[str, int], int]
_PIN = re.compile(r"^\s*(?P<table>\w+)\s*:\s*(?P<year>\d{4})\s*=\s*[Vv]?(?P<version>\d+)\s*$")


def parse_pins(values: Iterable[str]) -> Pins:
    """``["GBAPERSOONTAB:2022=1"]`` -> ``{("GBAPERSOONTAB", 2022): 1}`` (``=V1`` works too)."""
    pins: Pins = {}
    for value in values:
        match = _PIN.match(value)
        if match is None:
            raise SourceError(f"cannot read the pin {value!r}",
                              hint="write TABLE:YEAR=VERSION, e.g. GBAPERSOONTAB:2022=1")
        key = (match["table"], int(match["year"]))
        version = int(match["version"])
        if pins.get(key, version) != version:
            raise SourceError(f"{key[0]} {key[1]} is pinned to two versions",
                              hint="pin each table and year once")
        pins[key] = version
    return pins


def canonical_pins(pins: Pins, catalog: Catalog) -> Pins:
    """Pins with table names as the catalog spells them (matched ignoring case)."""
    names = {name.casefold(): name for name in catalog.tables}
    return {(names.get(table.casefold()) or catalog.table(table).name, year): version
            for (table, year), version in pins.items()}


@dataclass(frozen=True)
class Job:
    """One file to ingest: its catalog table, reader, column mapping and file state."""

    file: SourceFile
    table: TableSpec
    reader: SourceReader
    plans: tuple[ColumnPlan, ...]
    dropped_columns: tuple[str, ...]
    relative: str
    size_bytes: int
    mtime_ns: int

    @property
    def label(self) -> str:
        return f"{self.file.table} {self.file.year} V{self.file.version} ({self.relative})"


def relative_name(path: Path, source_dir: Path) -> str:
    return path.relative_to(source_dir).as_posix()


def plan_job(file: SourceFile, catalog: Catalog, source_dir: Path) -> Job:
    """Open the file's header and map its columns to the catalog (before any row is read)."""
    table = catalog.table(file.table)
    reader = open_reader(file.path)
    relative = relative_name(file.path, source_dir)
    plans = map_columns(table, file.year, reader.columns, f"{file.table} {file.year} ({relative})")
    used = {p.source for p in plans}
    dropped = tuple(c for c in reader.columns if c not in used)
    stat = file.path.stat()
    return Job(file, table, reader, plans, dropped, relative, stat.st_size, stat.st_mtime_ns)


def map_columns(table: TableSpec, year: int, columns: Iterable[str],
                label: str) -> tuple[ColumnPlan, ...]:
    """Each catalog column with the file column that holds it, by any accepted name (any case)."""
    columns = list(columns)
    plans = []
    for spec in table.columns.values():
        accepted = spec.names_for(year)
        wanted = {name.casefold() for name in accepted}
        hits = [c for c in columns if c.strip().casefold() in wanted]
        if len(hits) > 1:
            raise SourceError(f"{label}: column {spec.name} appears more than once: "
                              f"{', '.join(hits)}", hint="keep one of these columns in the file")
        if not hits and not spec.optional:
            raise SourceError(
                f"{label}: required column {spec.name} is missing; accepted names for {year}: "
                f"{', '.join(accepted)}; the file has: {', '.join(columns)}",
                hint="check that this is the right table and version; if CBS renamed the column, "
                f"add the new name to the spellings of {spec.name} in catalog.yaml",
            )
        plans.append(ColumnPlan(spec, hits[0] if hits else None))
    return tuple(plans)


def still_valid(previous: TableRecord | None, file: SourceFile, relative: str,
                setup: dict[str, str]) -> TableRecord | None:
    """The previous manifest entry when the file is unchanged since, else None.

    Unchanged means the same relative path, version, catalog and smartstart version, and either
    the same size and mtime or (after re-hashing) the same content. ``setup`` holds the run's
    ``catalog_sha256``, ``smartstart_version`` and ``unknown_codes``.
    """
    if previous is None or previous.source != relative or previous.version != file.version:
        return None
    if any(getattr(previous, name) != value for name, value in setup.items()
           if name != "unknown_codes"):
        return None
    if setup["unknown_codes"] == "error" and previous.total("unknown_codes_nulled"):
        return None
    stat = file.path.stat()
    if stat.st_size != previous.size_bytes:
        return None
    if stat.st_mtime_ns == previous.mtime_ns:
        return previous
    if sha256_file(file.path) == previous.sha256:
        return previous.model_copy(update={"mtime_ns": stat.st_mtime_ns})
    return None
