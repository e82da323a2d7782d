"""The table catalog (``catalog.yaml``) as validated data, plus file discovery and versions."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from smartstart.sources.errors import SourceError

ColumnType = Literal["key", "code", "date", "int", "float", "str"]
TableKind = Literal["TAB", "BUS"]
SOURCE_SUFFIXES = (".sav", ".csv", ".parquet")


class Spelling(BaseModel):
    """Another name of a column, optionally limited to file years (inclusive)."""

    model_config = ConfigDict(frozen=True)
    name: str
    from_: int | None = Field(default=None, alias="from")
    to: int | None = None

    def applies(self, year: int | None) -> bool:
        if year is None:
            return True
        return (self.from_ is None or year >= self.from_) and (self.to is None or year <= self.to)

    def resolve(self, year: int | None) -> str:
        return self.name.replace("{year}", str(year)) if year is not None else self.name


class ColumnSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    type: ColumnType
    width: int | None = None
    spellings: tuple[Spelling, ...] = ()
    codes: dict[str, str] = {}
    missing: tuple[str | int | float, ...] = ()
    optional: bool = False
    assumed: bool = False
    #: codes outside ``codes`` that match this regex are kept (and counted), not an error:
    #: for long public lists not copied here in full, such as CBS's country codes
    open_pattern: str | None = None

    @field_validator("spellings", mode="before")
    @classmethod
    def _spellings(cls, value: object) -> object:
        return [{"name": v} if isinstance(v, str) else v for v in (value or [])]

    @field_validator("codes", mode="before")
    @classmethod
    def _codes(cls, value: object) -> object:
        return {str(k): str(v) for k, v in (value or {}).items()}

    def names_for(self, year: int | None) -> list[str]:
        """Every accepted name of this column in a file of ``year``, canonical first."""
        names = [self.name] + [s.resolve(year) for s in self.spellings if s.applies(year)]
        return list(dict.fromkeys(names))

    @property
    def missing_strings(self) -> frozenset[str]:
        return frozenset(_as_text(v) for v in self.missing)

    @property
    def label_to_code(self) -> dict[str, str]:
        return {label.strip().casefold(): code for code, label in self.codes.items()}


class TableSpec(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    theme: str
    kind: TableKind
    unit: str
    patterns: tuple[str, ...]
    path: str
    key: tuple[str, ...]
    columns: dict[str, ColumnSpec]
    spell: dict[str, str] | None = None
    assumed: bool = False

    @field_validator("columns", mode="before")
    @classmethod
    def _columns(cls, value: dict) -> dict:
        return {name: {**spec, "name": name} for name, spec in value.items()}

    def match(self, stem: str) -> tuple[int, int] | None:
        """(year, version) if a file name stem belongs to this table, else None."""
        for pattern in self.patterns:
            m = re.match(pattern, stem, flags=re.IGNORECASE)
            if m:
                return int(m.group("year")), int(m.group("version"))
        return None

    def file_path(self, year: int, version: int, suffix: str = ".sav") -> str:
        path = self.path.format(year=year, version=version)
        return str(Path(path).with_suffix(suffix).as_posix())


class Catalog(BaseModel):
    model_config = ConfigDict(frozen=True)
    open_end_date: str
    open_end_aliases: tuple[str, ...]
    tables: dict[str, TableSpec]

    @field_validator("tables", mode="before")
    @classmethod
    def _tables(cls, value: dict) -> dict:
        return {name: {**spec, "name": name} for name, spec in value.items()}

    def table(self, name: str) -> TableSpec:
        try:
            return self.tables[name]
        except KeyError:
            known = ", ".join(sorted(self.tables))
            raise SourceError(f"unknown table {name!r}", hint=f"known tables: {known}") from None

    def identify(self, path: Path) -> tuple[TableSpec, int, int] | None:
        """The table, year and version a file belongs to, judged by its name alone."""
        for table in self.tables.values():
            hit = table.match(path.stem)
            if hit:
                return table, hit[0], hit[1]
        return None


def _as_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


@cache
def load_catalog(path: str | None = None) -> Catalog:
    """Load and validate a catalog; the packaged one by default."""
    if path is None:
        text = resources.files("smartstart.sources").joinpath("catalog.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    raw = yaml.safe_load(text)
    raw.pop("shared_columns", None)
    return Catalog.model_validate(raw)


class SourceFile(BaseModel):
    """One delivered file, recognised by the catalog."""

    model_config = ConfigDict(frozen=True)
    table: str
    year: int
    version: int
    path: Path

    @property
    def format(self) -> str:
        return self.path.suffix.lower().lstrip(".")


def discover(source_dir: Path, catalog: Catalog) -> tuple[list[SourceFile], list[Path]]:
    """All catalog files under ``source_dir`` and the files the catalog does not know."""
    found: list[SourceFile] = []
    unknown: list[Path] = []
    for path in sorted(p for p in Path(source_dir).rglob("*") if p.is_file()):
        hit = catalog.identify(path)
        if hit is None:
            unknown.append(path)
            continue
        table, year, version = hit
        if path.suffix.lower() not in SOURCE_SUFFIXES:
            raise SourceError(
                f"{path}: named like {table.name} {year} V{version} but its extension "
                f"{path.suffix!r} is not one of {', '.join(SOURCE_SUFFIXES)}",
                hint="convert it to .sav, ;-separated .csv or .parquet, or move it out of the "
                "source folder",
            )
        found.append(SourceFile(table=table.name, year=year, version=version, path=path))
    return found, unknown


def resolve_versions(
    files: list[SourceFile], pins: dict[tuple[str, int], int] | None = None
) -> list[SourceFile]:
    """One file per (table, year): the highest version by number (V10 > V9), unless pinned.

    Two files claiming the same table, year and version (``.sav`` and ``.csv`` copies, or
    ``.sav`` and ``.SAV``) are an error: which one is meant cannot be guessed.
    """
    pins = pins or {}
    by_key: dict[tuple[str, int], dict[int, list[SourceFile]]] = {}
    for f in files:
        by_key.setdefault((f.table, f.year), {}).setdefault(f.version, []).append(f)
    chosen: list[SourceFile] = []
    for key, versions in sorted(by_key.items()):
        version = pins.get(key, max(versions))
        if version not in versions:
            have = ", ".join(f"V{v}" for v in sorted(versions))
            raise SourceError(
                f"{key[0]} {key[1]}: version V{version} is pinned but not delivered (have {have})",
                hint="pin a delivered version or remove the pin",
            )
        candidates = versions[version]
        if len(candidates) > 1:
            listing = ", ".join(str(c.path) for c in candidates)
            raise SourceError(
                f"{key[0]} {key[1]} V{version} is claimed by {len(candidates)} files: {listing}",
                hint="keep one copy of each table version in the source folder",
            )
        chosen.append(candidates[0])
    unused = set(pins) - set(by_key)
    if unused:
        raise SourceError(
            f"pinned tables not found: {', '.join(f'{t} {y}' for t, y in sorted(unused))}",
            hint="check the table name and year of the pin",
        )
    return chosen
