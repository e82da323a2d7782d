"""What ingest will do with each file: pins, column mapping, and whether a file can be skipped."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from smartstart.sources._catalog import Catalog, SourceFile, TableSpec, year_from_columns
from smartstart.sources._convert import ColumnPlan
from smartstart.sources._readers import SourceReader, open_reader
from smartstart.sources._store import StoreWarning, TableRecord, sha256_file
from smartstart.sources.errors import Problem, SourceError, as_problems

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
    warnings: tuple[StoreWarning, ...] = ()
    #: problems of the header (missing or doubled columns): the file is still read, so one
    #: pass also finds its value problems, but it is never stored
    problems: tuple[Problem, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.file.table} {self.file.year} V{self.file.version} ({self.relative})"


def relative_name(path: Path, source_dir: Path) -> str:
    return path.relative_to(source_dir).as_posix()


def plan_job(file: SourceFile, catalog: Catalog, source_dir: Path) -> Job:
    """Open the file's header and map its columns to the catalog (before any row is read).

    A file that cannot be opened raises; missing or doubled columns are the job's ``problems``.
    """
    table = catalog.table(file.table)
    relative = relative_name(file.path, source_dir)
    try:
        reader = open_reader(file.path)
    except SourceError as error:
        raise SourceError(problems=as_problems(error, relative, file.path)) from error
    plans, problems = _map_columns(table, file.year, reader.columns, relative)
    used = {p.source for p in plans}
    dropped = tuple(c for c in reader.columns if c not in used)
    stat = file.path.stat()
    return Job(file, table, reader, plans, dropped, relative, stat.st_size, stat.st_mtime_ns,
               _header_warnings(file, table, plans, problems, relative), problems)


def _header_warnings(file: SourceFile, table: TableSpec, plans: tuple[ColumnPlan, ...],
                     problems: tuple[Problem, ...], relative: str) -> tuple[StoreWarning, ...]:
    """The year taken from the columns, and optional columns the file does not have."""
    warnings = []
    if file.name_year is not None:
        warnings.append(StoreWarning(
            kind="year_from_columns", file=relative, column=table.year_column or "",
            message=f"the file name says {file.name_year}, its columns say {file.year}: stored "
            f"as {file.table} {file.year}"))
    missing = {p.column for p in problems}
    absent = [p.spec.name for p in plans if p.source is None and p.spec.name not in missing]
    if absent:
        warnings.append(StoreWarning(
            kind="absent_columns", file=relative, column=", ".join(absent), count=len(absent),
            message="optional column(s) not in this file, stored as NULL (what is built from "
            "them is left out or unknown)"))
    return tuple(warnings)


def map_columns(table: TableSpec, year: int, columns: Iterable[str],
                file: str) -> tuple[ColumnPlan, ...]:
    """Each catalog column with the file column that holds it, by any accepted name (any case).

    Every missing or doubled column of the file is collected into one ``SourceError``.
    """
    plans, problems = _map_columns(table, year, columns, file)
    if problems:
        raise SourceError(problems=problems)
    return plans


def _map_columns(table: TableSpec, year: int, columns: Iterable[str],
                 file: str) -> tuple[tuple[ColumnPlan, ...], tuple[Problem, ...]]:
    """The column plans (a missing column reads as absent) and every header problem."""
    columns = list(columns)
    plans, problems = [], []
    for spec in table.columns.values():
        accepted = spec.names_for(year)
        wanted = {name.casefold() for name in accepted}
        hits = [c for c in columns if c.strip().casefold() in wanted]
        if len(hits) > 1:
            problems.append(Problem(
                "duplicate_column", file, spec.name,
                f"appears more than once: {', '.join(hits)}", "keep one of these columns in the "
                "file"))
        if not hits and not spec.optional:
            problems.append(Problem(
                "missing_column", file, spec.name,
                f"required column of {table.name} {year} is missing; accepted names: "
                f"{', '.join(accepted)}; the file has: {', '.join(columns)}",
                "check that this is the right table and version; if CBS renamed the column, "
                f"add the new name to the spellings of {spec.name} in catalog.yaml"))
        plans.append(ColumnPlan(spec, hits[0] if hits else None,
                                assumed=table.code_list_assumed(spec.name),
                                key=spec.name in table.key or spec.link))
    return tuple(plans), tuple(problems)


def assign_years(files: list[SourceFile], catalog: Catalog, source_dir: Path,
                 problems: list[Problem]) -> list[SourceFile]:
    """Files whose table takes its year from the column names, with that year.

    The header of such a file is read here (cheap); a file whose year cannot be told is a
    problem and left out.
    """
    result = []
    for file in files:
        table = catalog.table(file.table)
        if table.year_column is None:
            result.append(file)
            continue
        relative = relative_name(file.path, source_dir)
        try:
            columns = open_reader(file.path).columns
        except SourceError as error:
            problems.extend(as_problems(error, relative, file.path))
            continue
        year = year_from_columns(table, file.year, columns)
        if isinstance(year, str):
            problems.append(Problem("year", relative, table.year_column or "", year,
                                    f"the catalog takes the year of {table.name} from its "
                                    f"{table.year_column} columns: check that this is the right "
                                    "file, or rename its area columns for one year"))
        elif year == file.year:
            result.append(file)
        else:
            result.append(file.model_copy(update={"year": year, "name_year": file.year}))
    return result


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
