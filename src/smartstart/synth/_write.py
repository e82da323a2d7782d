"""Writing table frames in the delivered formats: .sav, ;-separated Latin-1 CSV, parquet."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from smartstart.sources._catalog import ColumnSpec, TableSpec
from smartstart.synth._savwriter import SavColumn, SavWriter

STRING_TYPES = {"key", "code", "date", "str"}
UPPERCASE_AREA_UNTIL = 2015  # older VSLGWB files spell the area columns in capitals


def delivered_name(table: TableSpec, col: ColumnSpec, year: int) -> str:
    """The column name as CBS writes it in the file of ``year``."""
    for spelling in col.spellings:
        dated = "{year}" in spelling.name or spelling.from_ is not None or spelling.to is not None
        if dated and spelling.applies(year):
            name = spelling.resolve(year)
            if table.name == "VSLGWBTAB" and year <= UPPERCASE_AREA_UNTIL:
                name = name.upper()
            return name
    return col.name


class _Writer:
    def __init__(self, path: Path, table: TableSpec, year: int, fmt: str) -> None:
        self.path, self.table, self.year, self.fmt = path, table, year, fmt
        self.names = {c: delivered_name(table, spec, year) for c, spec in table.columns.items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = path.with_name(path.name + ".part")
        self.rows = 0
        self._header = False
        self._sav: SavWriter | None = None
        self._pq: pq.ParquetWriter | None = None
        if fmt == "sav":
            self._sav = SavWriter(path, [self._sav_column(c) for c in table.columns.values()])

    def _sav_column(self, col: ColumnSpec) -> SavColumn:
        if _as_text(col):
            labels = col.codes if col.type == "code" else None
            return SavColumn(self.names[col.name], "str", width=col.width or 8,
                             value_labels=labels)
        decimals = 4 if col.type == "float" else 0
        return SavColumn(self.names[col.name], "num", width=12, decimals=decimals)

    def write(self, frame: dict[str, np.ndarray]) -> None:
        columns = self.table.columns
        data = {self.names[c]: _typed(frame[c], columns[c]) for c in columns}
        self.rows += len(next(iter(data.values())))
        if self._sav is not None:
            self._sav.write(data)
        elif self.fmt == "parquet":
            batch = pa.table(data)
            if self._pq is None:
                self._pq = pq.ParquetWriter(self.tmp, batch.schema)
            self._pq.write_table(batch)
        else:
            self._write_csv(data)

    def _write_csv(self, data: dict[str, np.ndarray]) -> None:
        frame = pd.DataFrame(data)
        if self.fmt == "csv-labels":
            for name, col in self.table.columns.items():
                if col.type == "code":
                    delivered = frame[self.names[name]]
                    frame[self.names[name]] = delivered.map(lambda v, c=col: c.codes.get(v, v))
        with open(self.tmp, "a", encoding="latin-1", newline="") as handle:
            frame.to_csv(handle, sep=";", index=False, header=not self._header, decimal=",")
        self._header = True

    def close(self) -> None:
        if self._sav is not None:
            self._sav.close()
            return
        if self._pq is not None:
            self._pq.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if self._sav is not None:
            self._sav.abort()
        if self._pq is not None:
            self._pq.close()
        self.tmp.unlink(missing_ok=True)


def _as_text(col: ColumnSpec) -> bool:
    return col.type in STRING_TYPES or col.width is not None


def _typed(values: np.ndarray, col: ColumnSpec) -> np.ndarray:
    if _as_text(col):
        return np.asarray(values).astype(str)
    if col.type == "int":
        return np.asarray(values, dtype=np.float64).round().astype(np.int64)
    return np.asarray(values, dtype=np.float64)


class Sink:
    """Open writers per delivered file; every file is complete or absent."""

    SUFFIX = {"sav": ".sav", "csv": ".csv", "csv-labels": ".csv", "parquet": ".parquet"}

    def __init__(self, root: Path, fmt: str) -> None:
        self.root, self.fmt = Path(root), fmt
        self.writers: dict[Path, _Writer] = {}

    def write(self, table: TableSpec, year: int, version: int, frame: dict[str, np.ndarray],
              relpath: str | None = None) -> str:
        suffix = self.SUFFIX[self.fmt]
        rel = relpath or table.file_path(year, version, suffix)
        if Path(rel).suffix.lower() != suffix:  # a variant may spell the suffix in capitals
            rel = str(Path(rel).with_suffix(suffix).as_posix())
        path = self.root / rel
        if path not in self.writers:
            self.writers[path] = _Writer(path, table, year, self.fmt)
        self.writers[path].write(frame)
        return rel

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def abort(self) -> None:
        for writer in self.writers.values():
            writer.abort()
