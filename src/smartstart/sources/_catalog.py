"""The table catalog (``catalog.yaml``) as validated data, plus file discovery and versions."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from smartstart._yaml import safe_load
from smartstart.sources.errors import Problem, SourceError

ColumnType = Literal["key", "code", "date", "int", "float", "str"]
TableKind = Literal["TAB", "BUS"]
SOURCE_SUFFIXES = (".sav", ".csv", ".parquet")
#: the person, household, address and area core: every run links on these; any other table may
#: be absent from a delivery (its factors are then left out and said so)
CORE = frozenset({"GBAPERSOONTAB", "GBAADRESOBJECTBUS", "GBAHUISHOUDENSBUS", "VSLGWBTAB"})


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
    #: an outcome is built from this column: nulling its values changes the outcome's counts
    outcome: bool = False
    #: part of a key that links tables (any RINPERSOONS, SOORTOBJECTNUMMER): never nulled
    link: bool = False
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
    #: the year of the table is the ``{year}`` of this column name (e.g. ``gem{year}``), not the
    #: year in the file name; the file name's year wins only when the file has that column too
    year_column: str | None = None
    #: the spells come one file per year (each year's measures), not a newest file that holds
    #: every year: a run reads every delivered year together, a key's row from the newest file
    spells_per_year: bool = False

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

    def code_list_assumed(self, column: str) -> bool:
        """True when the column's code list is a guess (the column or the whole table assumed)."""
        return self.assumed or self.columns[column].assumed

    def years_in_columns(self, columns: list[str] | tuple[str, ...]) -> list[int]:
        """The years of the ``year_column`` names among ``columns`` (ignoring case), sorted."""
        if self.year_column is None:
            return []
        prefix, _, suffix = self.year_column.partition("{year}")
        pattern = re.compile(re.escape(prefix) + r"(\d{4})" + re.escape(suffix), re.IGNORECASE)
        return sorted({int(m.group(1)) for c in columns if (m := pattern.fullmatch(c.strip()))})

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

    @property
    def folders(self) -> frozenset[str]:
        """Theme and table folder names (case-folded): a file in one of them is meant for us."""
        return frozenset(n.casefold() for t in self.tables.values() for n in (t.theme, t.name))

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
    raw = safe_load(text)
    raw.pop("shared_columns", None)
    return Catalog.model_validate(raw)


class SourceFile(BaseModel):
    """One delivered file, recognised by the catalog."""

    model_config = ConfigDict(frozen=True)
    table: str
    year: int
    version: int
    path: Path
    #: the year in the file name, when the table's year was taken from its columns instead
    name_year: int | None = None

    @property
    def format(self) -> str:
        return self.path.suffix.lower().lstrip(".")


def discover(source_dir: Path, catalog: Catalog, problems: list[Problem] | None = None,
             ) -> tuple[list[SourceFile], list[Path]]:
    """All catalog files under ``source_dir`` and the files the catalog does not know.

    A file named like a table but with another extension is a problem: appended to
    ``problems`` when given, else raised.
    """
    found: list[SourceFile] = []
    unknown: list[Path] = []
    collected: list[Problem] = []
    for path in sorted(p for p in Path(source_dir).rglob("*") if p.is_file()):
        hit = catalog.identify(path)
        if hit is None:
            unknown.append(path)
            continue
        table, year, version = hit
        if path.suffix.lower() not in SOURCE_SUFFIXES:
            collected.append(Problem(
                "extension", str(path), "",
                f"named like {table.name} {year} V{version} but its extension {path.suffix!r} is "
                f"not one of {', '.join(SOURCE_SUFFIXES)}",
                "convert it to .sav, ;-separated .csv or .parquet, or move it out of the source "
                "folder"))
            continue
        found.append(SourceFile(table=table.name, year=year, version=version, path=path))
    _hand_over(collected, problems)
    return found, unknown


def _hand_over(collected: list[Problem], problems: list[Problem] | None) -> None:
    """Append ``collected`` to ``problems``; without a list, raise them."""
    if problems is not None:
        problems.extend(collected)
    elif collected:
        raise SourceError(problems=collected)


def year_from_columns(table: TableSpec, name_year: int, columns: tuple[str, ...],
                      ) -> int | str:
    """The table year of a file whose year is in its column names; a message when unclear."""
    years = table.years_in_columns(columns)
    if name_year in years or table.year_column is None:
        return name_year
    if len(years) == 1:
        return years[0]
    wanted = table.year_column.replace("{year}", str(name_year))
    if not years:
        return (f"no column {wanted} (nor any {table.year_column}) in the file; "
                f"the file has: {', '.join(columns)}")
    return (f"the file name says {name_year} but the columns hold the years "
            f"{', '.join(map(str, years))} and not {name_year} ({wanted})")


def resolve_versions(
    files: list[SourceFile], pins: dict[tuple[str, int], int] | None = None,
    problems: list[Problem] | None = None,
) -> list[SourceFile]:
    """One file per (table, year): the highest version by number (V10 > V9), unless pinned.

    Two files claiming the same table, year and version (``.sav`` and ``.csv`` copies, or
    ``.sav`` and ``.SAV``) are a problem: which one is meant cannot be guessed. Problems are
    appended to ``problems`` when given (that table-year is left out), else raised.
    """
    pins = pins or {}
    by_key: dict[tuple[str, int], dict[int, list[SourceFile]]] = {}
    for f in files:
        by_key.setdefault((f.table, f.year), {}).setdefault(f.version, []).append(f)
    chosen: list[SourceFile] = []
    collected: list[Problem] = []
    for key, versions in sorted(by_key.items()):
        version = pins.get(key, max(versions))
        if version not in versions:
            have = ", ".join(f"V{v}" for v in sorted(versions))
            collected.append(Problem(
                "pin", str(versions[max(versions)][0].path), "",
                f"{key[0]} {key[1]}: version V{version} is pinned but not delivered (have {have})",
                "pin a delivered version or remove the pin"))
            continue
        candidates = versions[version]
        if len(candidates) > 1:
            listing = ", ".join(str(c.path) for c in candidates)
            collected.append(Problem(
                "conflict", str(candidates[0].path), "",
                f"{key[0]} {key[1]} V{version} is claimed by {len(candidates)} files: {listing}",
                "keep one copy of each table version in the source folder", len(candidates)))
            continue
        chosen.append(candidates[0])
    unused = set(pins) - set(by_key)
    if unused:
        collected.append(Problem(
            "pin", "", "",
            f"pinned tables not found: {', '.join(f'{t} {y}' for t, y in sorted(unused))}",
            "check the table name and year of the pin"))
    _hand_over(collected, problems)
    return chosen
