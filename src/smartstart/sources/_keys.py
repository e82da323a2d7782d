"""Duplicate keys: a person table has one row per person, a spell table one spell per start.

The check runs on the converted (temporary) parquet file in DuckDB, which spills to disk, so a
100 M-row spell table is checked without holding its keys in memory (and on small files it is
faster than pyarrow's group_by on string keys).
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from types import TracebackType

import duckdb

from smartstart.sources._catalog import TableSpec
from smartstart.sources._layout import MEMORY_LIMIT, path_literal
from smartstart.sources.errors import Problem


class KeyCheck:
    """One DuckDB connection for a run's duplicate-key checks; its spill folder under ``work``."""

    def __init__(self, work: Path) -> None:
        self._spill = work / f".keys.{uuid.uuid4().hex}.tmp"
        self._con: duckdb.DuckDBPyConnection | None = None

    def __enter__(self) -> KeyCheck:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._con is not None:
            self._con.close()
        shutil.rmtree(self._spill, ignore_errors=True)

    def _count(self, path: Path, key: list[str]) -> tuple[int, int]:
        """(keys that occur more than once, rows they have), NULL key parts left out."""
        columns = ", ".join(f'"{c}"' for c in key)
        present = " AND ".join(f'"{c}" IS NOT NULL' for c in key)
        keys, rows = self._connection().execute(
            f"SELECT count(*), coalesce(sum(n), 0) FROM (SELECT count(*) AS n "
            f"FROM read_parquet({path_literal(path)}) WHERE {present} GROUP BY {columns} "
            "HAVING count(*) > 1)").fetchone()
        return int(keys), int(rows)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con = duckdb.connect()
            self._con.execute(f"SET temp_directory = {path_literal(self._spill)}").fetchall()
            self._con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'").fetchall()
            self._con.execute("SET threads TO 2").fetchall()
        return self._con

    def duplicates(self, path: Path, table: TableSpec, file: str) -> list[Problem]:
        """A problem when a key of ``table`` occurs more than once in the parquet ``path``.

        The key is the catalog's ``key`` (for BUS tables it includes the spell start); rows
        with a NULL key part are not counted (they are no key).
        """
        key = [c for c in table.key if c in table.columns]
        if not key:
            return []
        keys, rows = self._count(path, key)
        if not keys:
            return []
        what = "person" if key == ["RINPERSOONS", "RINPERSOON"] else "key"
        unit = f"one row per {what}" if table.kind == "TAB" else "one spell per key and start date"
        return [Problem(
            "duplicate_keys", file, "+".join(key),
            f"{keys} {what}(s) occur more than once ({int(rows) - keys} extra row(s)); "
            f"{table.name} has {unit} ({' + '.join(key)})",
            "the file may hold a delivery twice or mix two versions: ask CBS for a corrected "
            "file; if such rows are real for this table, widen its key in catalog.yaml",
            int(keys))]

