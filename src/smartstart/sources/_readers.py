"""Chunked readers for .sav, ;-separated Latin-1 .csv and .parquet: raw columns as arrow tables.

Every reader first reads only the header (column names, declared row count), so a file can be
checked against the catalog before any row is read. Damaged files become a ``SourceError``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyreadstat

from smartstart.sources._csvcheck import CSV_DELIMITER, CSV_ENCODING, read_csv_header
from smartstart.sources.errors import SourceError, unreadable

_COPY_AGAIN = "the file is damaged or incomplete: copy it again from the project drive"
# newer pyreadstat exports PyreadstatError at the top; 1.3.1 (the pinned set) only inside
_PYREADSTAT_ERROR = getattr(pyreadstat, "PyreadstatError", None) or getattr(
    getattr(pyreadstat, "_readstat_parser", None), "PyreadstatError", pyreadstat.ReadstatError)
_SAV_ERRORS = (pyreadstat.ReadstatError, _PYREADSTAT_ERROR, OSError, UnicodeError)
_CSV_BLOCK_BYTES = 8 << 20
_SAV_STEP_ROWS = 50_000
_SLOW_CHUNKS = 20


class SourceReader(Protocol):
    """One source file: its column names, declared row count and raw chunks."""

    path: Path
    columns: tuple[str, ...]
    total_rows: int | None

    def batches(self, columns: Sequence[str], chunk_rows: int) -> Iterator[pa.Table]:
        """Chunks of at most ``chunk_rows`` rows holding ``columns`` (names as in the file)."""
        ...


def open_reader(path: Path) -> SourceReader:
    """The reader for a file, chosen by its extension (case-insensitive)."""
    suffix = path.suffix.lower()
    if suffix == ".sav":
        return SavReader.open(path)
    if suffix == ".csv":
        return CsvReader.open(path)
    if suffix == ".parquet":
        return ParquetReader.open(path)
    raise unreadable(f"{path}: unsupported format {path.suffix!r}",
                      hint="convert it to .sav, ;-separated .csv or .parquet")


def _damaged(path: Path, error: object) -> SourceError:
    return unreadable(f"{path}: cannot be read ({error})", hint=_COPY_AGAIN)


def _check_rows(path: Path, read: int, declared: int | None) -> None:
    if declared is not None and read != declared:
        raise unreadable(f"{path}: the header declares {declared} rows but {read} were read",
                          hint=_COPY_AGAIN)


@dataclass(frozen=True)
class SavReader:
    """SPSS .sav via pyreadstat: codes (not labels), strings as text, numbers as float64.

    pyreadstat returns Python objects for a row range per call (holding the GIL meanwhile), so
    uncompressed files are read in steps of ``_SAV_STEP_ROWS`` rows: fewer Python strings exist
    at once, and the hashing thread gets a turn in between. A compressed file must be decompressed
    from its start to reach an offset, so it is read one whole chunk per call.
    """

    path: Path
    columns: tuple[str, ...]
    total_rows: int | None
    string_columns: frozenset[str]
    compressed: bool

    @classmethod
    def open(cls, path: Path) -> SavReader:
        try:
            _, meta = pyreadstat.read_sav(path, metadataonly=True)
        except _SAV_ERRORS as error:
            raise unreadable(f"{path}: not a readable SPSS .sav file ({error})",
                              hint=f"{_COPY_AGAIN}; if it is not an SPSS file, give it the right "
                              "extension") from error
        rows = meta.number_rows if meta.number_rows is not None and meta.number_rows >= 0 else None
        strings = {c for c, t in meta.readstat_variable_types.items() if t == "string"}
        return cls(path, tuple(meta.column_names), rows, frozenset(strings), _is_compressed(path))

    def batches(self, columns: Sequence[str], chunk_rows: int) -> Iterator[pa.Table]:
        step = chunk_rows if self.compressed else min(chunk_rows, _SAV_STEP_ROWS)
        yield from _rebatch(self._steps(columns, step), chunk_rows)

    def _steps(self, columns: Sequence[str], step: int) -> Iterator[pa.RecordBatch]:
        offset = 0
        while self.total_rows is None or offset < self.total_rows:
            table = self._read(columns, offset, step)
            if table.num_rows == 0:
                break
            offset += table.num_rows
            yield from table.to_batches()
        _check_rows(self.path, offset, self.total_rows)

    def _read(self, columns: Sequence[str], offset: int, limit: int) -> pa.Table:
        try:
            data, _ = pyreadstat.read_sav(
                self.path, usecols=list(columns), row_offset=offset, row_limit=limit,
                apply_value_formats=False, output_format="dict",
            )
        except _SAV_ERRORS as error:
            raise _damaged(self.path, error) from error
        return pa.table({c: pa.array(data[c], pa.string() if c in self.string_columns else None)
                         for c in columns})


def reading_advice(reader: SourceReader, chunk_rows: int) -> str | None:
    """A tip when a file will be slow to read in chunks of ``chunk_rows`` (else None)."""
    if not isinstance(reader, SavReader) or not reader.compressed or reader.total_rows is None:
        return None
    chunks = -(-reader.total_rows // chunk_rows)
    if chunks <= _SLOW_CHUNKS:
        return None
    return (f"{reader.path.name} is a compressed .sav read in {chunks} chunks; each chunk "
            "decompresses the file from its start, so this takes longer. If memory allows, a "
            "larger --chunk-rows is faster.")


def _is_compressed(path: Path) -> bool:
    """The compression field of the .sav header (0: none); True when it cannot be told."""
    with open(path, "rb") as handle:
        head = handle.read(76)
    if len(head) < 76 or head[:4] not in (b"$FL2", b"$FL3"):
        return True
    order = "little" if int.from_bytes(head[64:68], "little") in (2, 3) else "big"
    return int.from_bytes(head[72:76], order) != 0


@dataclass(frozen=True)
class CsvReader:
    """CBS-converted CSV: ';'-separated, Latin-1, header row, every value read as text."""

    path: Path
    columns: tuple[str, ...]
    total_rows: int | None = None

    @classmethod
    def open(cls, path: Path) -> CsvReader:
        return cls(path, read_csv_header(path))

    def batches(self, columns: Sequence[str], chunk_rows: int) -> Iterator[pa.Table]:
        options = pacsv.ConvertOptions(
            column_types={c: pa.string() for c in self.columns}, include_columns=list(columns),
            strings_can_be_null=False, quoted_strings_can_be_null=False,
        )
        try:
            reader = pacsv.open_csv(
                self.path,
                read_options=pacsv.ReadOptions(encoding=CSV_ENCODING, block_size=_CSV_BLOCK_BYTES),
                parse_options=pacsv.ParseOptions(delimiter=CSV_DELIMITER),
                convert_options=options,
            )
            yield from _rebatch(reader, chunk_rows)
        except (pa.ArrowInvalid, OSError) as error:
            raise unreadable(f"{self.path}: not a valid ';'-separated CSV file ({error})",
                              hint="every row needs as many ';'-separated fields as the header; "
                              "if the copy is incomplete, copy it again from the project drive",
                              ) from error


def _rebatch(batches: Iterator[pa.RecordBatch], chunk_rows: int) -> Iterator[pa.Table]:
    """Regroup record batches of any size into tables of exactly ``chunk_rows`` (last: fewer)."""
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        pending.append(batch)
        held += batch.num_rows
        while held >= chunk_rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, chunk_rows).combine_chunks()
            rest = table.slice(chunk_rows)
            pending, held = rest.to_batches(), rest.num_rows
    if held:
        yield pa.Table.from_batches(pending).combine_chunks()


@dataclass(frozen=True)
class ParquetReader:
    """A parquet copy (made by a researcher): any column types, converted like the others."""

    path: Path
    columns: tuple[str, ...]
    total_rows: int | None

    @classmethod
    def open(cls, path: Path) -> ParquetReader:
        try:
            meta = pq.read_metadata(path)
        except (pa.ArrowException, OSError) as error:
            raise unreadable(f"{path}: not a readable parquet file ({error})",
                              hint=_COPY_AGAIN) from error
        return cls(path, tuple(meta.schema.to_arrow_schema().names), meta.num_rows)

    def batches(self, columns: Sequence[str], chunk_rows: int) -> Iterator[pa.Table]:
        rows = 0
        try:
            with pq.ParquetFile(self.path) as parquet:
                for batch in parquet.iter_batches(batch_size=chunk_rows, columns=list(columns)):
                    rows += batch.num_rows
                    yield pa.Table.from_batches([batch])
        except (pa.ArrowException, OSError) as error:
            raise _damaged(self.path, error) from error
        _check_rows(self.path, rows, self.total_rows)
