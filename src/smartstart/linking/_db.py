"""DuckDB over the parquet store: views per table, SQL files, bound parameters, attrition."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

from smartstart.sources._layout import layout_path, path_literal
from smartstart.sources._store import read_manifest
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


@dataclass
class Database:
    """One DuckDB connection over a store, with the attrition of everything done on it."""

    store: Path
    params: dict[str, object]
    con: duckdb.DuckDBPyConnection = field(init=False)
    attrition: list[Step] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.manifest = read_manifest(self.store)
        self.con = duckdb.connect()
        self.con.execute("SET threads TO 2").fetchall()

    def table(self, name: str, year: int | None = None, *, full: bool = False) -> str:
        """A view on a store table (the newest year when ``year`` is None); returns its name.

        With a fresh by-municipality layout (``smartstart layout``) the view reads only the
        study municipality's part, unless ``full`` is asked for.
        """
        years = sorted(y for t, y in self.manifest if t == name)
        if not years:
            raise SourceError(f"{self.store}: table {name} is not in the store",
                              hint="ingest the CBS delivery that holds it (smartstart ingest)")
        chosen = years[-1] if year is None else year
        if chosen not in years:
            raise SourceError(f"{self.store}: table {name} has no year {chosen} "
                              f"(have {', '.join(map(str, years))})",
                              hint="ingest that year or choose another peildatum")
        view = f"{name.lower()}_{chosen}" + ("_full" if full else "")
        path = self.store / self.manifest[(name, chosen)].store_path
        part = None if full else layout_path(self.store, name, chosen,
                                             str(self.params.get("gemeente", "")))
        if part is None:
            source = f"read_parquet({path_literal(path)})"
        elif part.exists():
            source = f"read_parquet({path_literal(part / '*.parquet')}, hive_partitioning = false)"
        else:  # the municipality has no rows in this table
            source = f"(SELECT * FROM read_parquet({path_literal(path)}) LIMIT 0)"
        self.con.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {source}").fetchall()
        self.sources[view] = "layout" if part is not None else "full"
        return view

    def create(self, name: str, sql: str) -> int:
        """Materialise ``sql`` as temp table ``name`` with the bound parameters it uses."""
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}",
                         self._bound(sql)).fetchall()
        return self.count(name)

    def count(self, name: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]

    def record(self, step: str, rows_in: int, rows_out: int, reason: str) -> None:
        self.attrition.append(Step(step, rows_in, rows_out, reason))

    def frame(self, sql: str):
        return self.con.execute(sql, self._bound(sql)).df()

    def _bound(self, sql: str) -> dict[str, object]:
        """The parameters ``sql`` uses (DuckDB refuses unused named parameters)."""
        return {k: self.params[k] for k in set(_PARAM.findall(sql))}
