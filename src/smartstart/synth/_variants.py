"""Deliveries that differ from the demo: small named changes applied while the files are written.

A variant changes how the planted population is delivered, never the population: file names,
which tables and columns arrive, the partner file's format, codes outside the code lists the
catalog marks ``assumed``, a yearly table left out for one year. The planted truth therefore
stays right, and ``truth.json`` records under ``variants`` which were applied and, per delivered
file, what each changed (renamed files, out-of-list codes per column, ...).

Each variant is a function ``(items, ctx) -> items`` over the files of one municipality chunk;
they run in the order of ``ORDER`` whatever order they were asked in. Randomness comes from
``ctx.rng`` (seeded by the spec's seed and the chunk), so a variant is deterministic by seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from smartstart.sources._catalog import Catalog, ColumnSpec, TableSpec
from smartstart.synth._format import ymd
from smartstart.synth._population import day
from smartstart.synth._savwriter import SavColumn, SavWriter, spss_dates
from smartstart.synth._spec import SynthSpec

Frame = dict[str, np.ndarray]
SUFFIX = {"sav": ".sav", "csv": ".csv", "csv-labels": ".csv", "parquet": ".parquet"}

#: Optional tables a project's delivery may lack (EIGENDOMTAB is never synthesised).
ABSENT_TABLES = ("HALTBUS", "VSVTAB", "WMOBUS", "INPATAB", "INSCHRWPOTAB", "EIGENDOMTAB",
                 "JGDRECLASSERINGBUS", "VERDACHTENBUS")
#: Columns left out besides those the catalog marks optional: none is a key, a spell date or
#: a column the planted counts (residents, households, target group) rest on.
ABSENT_COLUMNS = {
    "GBAPERSOONTAB": ("GBAGEBOORTELANDMOEDER", "GBAGEBOORTELANDVADER"),
    "SECMBUS": ("XKOPPELWERKLUITKSECM", "XKOPPELZIEKTEAOSECM"),
    "INHATAB": ("INHP100HBEST", "INHUAF"),
    "HOOGSTEOPLTAB": ("GEWICHTHOOGSTEOPL",),
}
#: The yearly table left out by ``year-gap`` (for the year before the planted peildatum).
GAP_TABLE = "INHATAB"
PARTNER_NAME = "Partner/Voedselbank/SmartStartVoedselbankCBKV1.sav"


@dataclass
class Item:
    """One file to write: the table as delivered (its columns and widths), year, version, rows,
    a file name other than the catalog's, and what variants noted about it for truth.json."""

    table: TableSpec
    year: int
    version: int
    frame: Frame
    relpath: str | None = None
    notes: dict[str, dict] = field(default_factory=dict)


@dataclass
class Context:
    spec: SynthSpec
    index: int  # the municipality chunk (0: the demo municipality)
    rng: np.random.Generator


class Record:
    """What the variants changed, over all municipality chunks, for truth.json."""

    def __init__(self, spec: SynthSpec) -> None:
        self.applied = [name for name in ORDER if name in spec.variants]
        self.data: dict[str, dict] = {name: {} for name in self.applied}

    def add(self, rel: str, item: Item) -> None:
        for name, note in item.notes.items():
            files = self.data[name].setdefault("files", {})
            entry = files.setdefault(rel, {})
            for key, value in note.items():
                if isinstance(value, dict):
                    counts = entry.setdefault(key, {})
                    for column, n in value.items():
                        counts[column] = counts.get(column, 0) + n
                else:
                    entry[key] = value

    def note(self, name: str, key: str, value: object) -> None:
        self.data.setdefault(name, {})[key] = value

    def to_json(self) -> dict:
        out: dict = {"applied": self.applied}
        for name, data in self.data.items():
            out[name] = {k: (dict(sorted(v.items())) if k == "files" else v)
                         for k, v in data.items()}
        codes = out.get("assumed-codes", {}).get("files", {})
        total: dict[str, int] = {}
        for entry in codes.values():
            for column, n in entry.get("outside_codes", {}).items():
                total[column] = total.get(column, 0) + n
        if "assumed-codes" in out:
            out["assumed-codes"]["total"] = dict(sorted(total.items()))
        return out


def apply(items: list[Item], spec: SynthSpec, index: int) -> list[Item]:
    """The chunk's files with every asked variant applied (unchanged when none is asked)."""
    ctx = Context(spec, index, np.random.default_rng([spec.seed, index, 1111]))
    for name in ORDER:
        if name in spec.variants and name in _FILES:
            items = _FILES[name](items, ctx)
    return items


# --- file names ----------------------------------------------------------------------------------

def _rel(ctx: Context, folder: str, stem: str, upper: bool = False) -> str:
    suffix = SUFFIX[ctx.spec.fmt]
    return f"{folder}/{stem}{suffix.upper() if upper else suffix}"


def _names(items: list[Item], ctx: Context) -> list[Item]:
    last, old = ctx.spec.last_year, ctx.spec.peildatum.year - 2
    out = []
    for item in items:
        name, y, v = item.table.name, item.year, item.version
        folder = str(Path(item.table.file_path(y, v)).parent.as_posix())
        if name == "WSNPPERSBUS" and y == last:
            out.append(_older_spells(item, ctx, last - 1))
            _rename(item, _rel(ctx, folder, f"WSNPPERSBUS{y}V{v}"))
        elif name == "GBAHUISHOUDENSBUS":
            _rename(item, _rel(ctx, folder, f"GBAHUISHOUDENSBUS{y}V{v}"))
        elif name == "SECMBUS":
            _rename(item, _rel(ctx, folder, f"SECMBUS{y}V{v}", upper=True))
        elif name == "KINDOUDERTAB":
            _rename(item, _rel(ctx, folder, f"KindOuder{y}TABV{v}"))
        elif name == "INSCHRWPOTAB" and y <= old:
            _rename(item, _rel(ctx, folder, f"INSCHRWPO{y}TABV{v}"))
        elif name == "GBAPERSOONTAB":  # V9 and V10 of one year, in two spellings
            item.version = v + 8
            stem = f"GBAPERSOON{y}TABV{v + 8}" if v == 1 else f"GBAPERSOONTAB{y}V{v + 8}"
            _rename(item, _rel(ctx, folder, stem), catalog_spelling=v == 1)
        elif name in ("INHATAB", "KOPPELPERSOONHUISHOUDEN") and y <= old:
            stem = f"INHATAB{y}V{v}" if name == "INHATAB" else f"{name}{y}TABV{v}"
            _rename(item, _rel(ctx, folder, stem))
        elif name == "JGDHULPBUS":
            _rename(item, _rel(ctx, folder, f"JGDHULPBUS{y}V{v}"))
        out.append(item)
    return out


def _rename(item: Item, rel: str, catalog_spelling: bool = False) -> None:
    item.relpath = rel
    item.notes["names"] = {"table": item.table.name, "year": item.year, "version": item.version,
                           "catalog_spelling": catalog_spelling,
                           "catalog_name": Path(item.table.file_path(item.year,
                                                                     item.version)).stem}


def _older_spells(item: Item, ctx: Context, year: int) -> Item:
    """The delivery of ``year`` (catalog spelling): spells started by its end, later ends open."""
    spell = item.table.spell or {}
    start, end = spell["start"], spell["end"]
    cut = ymd(np.array([day(year, 12, 31)]))[0]
    keep = np.asarray(item.frame[start]).astype(str) <= cut
    frame = {k: np.asarray(v)[keep] for k, v in item.frame.items()}
    later = np.asarray(frame[end]).astype(str) > cut
    frame[end] = np.where(later, "", frame[end])
    for name, col in item.table.columns.items():
        if col.type == "code" and "" in col.missing_strings:
            frame[name] = np.where(later, "", frame[name])
    return Item(item.table, year, item.version, frame,
                notes={"names": {"table": item.table.name, "year": year, "version": item.version,
                                 "catalog_spelling": True}})


def _vslgwb_year(items: list[Item], ctx: Context) -> list[Item]:
    for item in items:
        if item.table.name == "VSLGWBTAB":
            named = item.year + 1
            item.relpath = item.table.file_path(named, item.version, SUFFIX[ctx.spec.fmt])
            item.notes["vslgwb-year"] = {"columns_year": item.year, "name_year": named}
    return items


# --- what is delivered ----------------------------------------------------------------------------

#: the spell table ``protection-per-year`` delivers one file per year
PER_YEAR_TABLE = "JGDBESCHERMBUS"


def _protection_per_year(items: list[Item], ctx: Context) -> list[Item]:
    """The youth-protection spells one file per year, as researchers' scripts find them: each
    year's file the measures that ran in it, ends after the year open (as known then)."""
    out = []
    for item in items:
        if item.table.name != PER_YEAR_TABLE:
            out.append(item)
            continue
        end = (item.table.spell or {})["end"]
        for year in range(ctx.spec.first_year, item.year + 1):
            yearly = _older_spells(item, ctx, year)
            ends = np.asarray(yearly.frame[end]).astype(str)
            ran = (ends == "") | (ends >= ymd(np.array([day(year, 1, 1)]))[0])
            yearly.frame = {k: np.asarray(v)[ran] for k, v in yearly.frame.items()}
            yearly.notes = {"protection-per-year": {"year": year, "rows": int(ran.sum())}}
            out.append(yearly)
    return out


def _absent_tables(items: list[Item], ctx: Context) -> list[Item]:
    return [item for item in items if item.table.name not in ABSENT_TABLES]


def _year_gap(items: list[Item], ctx: Context) -> list[Item]:
    gap = ctx.spec.peildatum.year - 1
    return [item for item in items if not (item.table.name == GAP_TABLE and item.year == gap)]


def absent_columns(table: TableSpec) -> tuple[str, ...]:
    """The columns ``absent-columns`` leaves out of a table's files."""
    fixed = set(ABSENT_COLUMNS.get(table.name, ()))
    protected = set(table.key) | set((table.spell or {}).values())
    return tuple(c for c, spec in table.columns.items()
                 if (spec.optional or c in fixed) and c not in protected)


def _absent_columns(items: list[Item], ctx: Context) -> list[Item]:
    for item in items:
        drop = absent_columns(item.table)
        if drop:
            item.table = _with_columns(item.table, {c: s for c, s in item.table.columns.items()
                                                    if c not in drop})
            item.frame = {k: v for k, v in item.frame.items() if k not in drop}
            item.notes["absent-columns"] = {"absent": list(drop)}
    return items


def _with_columns(table: TableSpec, columns: dict[str, ColumnSpec]) -> TableSpec:
    return table.model_copy(update={"columns": columns})


# --- codes outside assumed code lists -------------------------------------------------------------

def _soort(rng, values: np.ndarray, frame: Frame) -> np.ndarray:
    """A kind no code list has (berths and pitches as "W", the same in every table); B, H and D
    as the reference spells them are in the assumed list."""
    return np.where(np.isin(values, ["LIG", "STA"]), "W", values)


def _maatregel(rng, values: np.ndarray, frame: Frame) -> np.ndarray:
    """A municipal script's codes: half of the supervision orders 11 or 12, the guardianships
    21-23, before and after the planted peildatum: the outcome counts 11 and 12 as supervision
    orders (features/outcomes.yaml), so the planted events stay what they were."""
    ots = (values == "1") & (rng.random(len(values)) < 0.5)
    out = np.where(ots, rng.choice(["11", "12"], len(values)), values)
    return np.where(values == "2", rng.choice(["21", "22", "23"], len(values)), out)


def _other(code: str, new: str):
    """Half of the rows with ``code`` get ``new``, a code the assumed list lacks."""
    def change(rng, values: np.ndarray, frame: Frame) -> np.ndarray:
        return np.where((values == code) & (rng.random(len(values)) < 0.5), new, values)
    return change


#: Column -> how it gets codes outside its assumed list. Only columns whose values do not
#: enter the planted counts or the outcome (JGDHHULPVORM does: it is left alone).
OUTSIDE: dict[str, Callable[[np.random.Generator, np.ndarray, Frame], np.ndarray]] = {
    "SOORTOBJECTNUMMER": _soort, "JGDBMAATREGEL": _maatregel, "Wsnpsrtbeein": _other("2", "4"),
    "WMOVORM": _other("5", "6"), "HALTDELICT": _other("1", "5")}


def _assumed_codes(items: list[Item], ctx: Context) -> list[Item]:
    peil = ctx.spec.peildatum.strftime("%Y%m%d")
    for item in items:
        changed = {c: s for c, s in item.table.columns.items()
                   if c in OUTSIDE and (s.assumed or item.table.assumed) and s.codes}
        if not changed:
            continue
        columns = dict(item.table.columns)
        counts = {}
        for name, col in changed.items():
            values = np.asarray(item.frame[name]).astype(str)
            new = OUTSIDE[name](ctx.rng, values, {**item.frame, "_peildatum": peil})
            item.frame[name] = new
            counts[name] = outside_codes(col, new)
            width = max(int(np.char.str_len(new).max(initial=0)), col.width or 1)
            columns[name] = col.model_copy(update={"width": width})
        item.table = _with_columns(item.table, columns)
        item.notes["assumed-codes"] = {"outside_codes": counts}
    return items


def outside_codes(col: ColumnSpec, values: np.ndarray) -> int:
    """Values outside the column's code list that are no missing code (padding ignored)."""
    text = np.char.strip(np.asarray(values).astype(str))
    return int((~np.isin(text, list(col.codes)) & ~np.isin(text, list(col.missing_strings))).sum())


# --- the partner file -----------------------------------------------------------------------------

def partner_variant(spec: SynthSpec) -> str | None:
    return next((v for v in ("partner-sav", "partner-sav-dates") if v in spec.variants), None)


def write_partner(root: Path, spec: SynthSpec, frame: Frame, facts: dict) -> tuple[str, dict]:
    """The partner file as a linked .sav from CBS: dates as YYYYMMDD text or SPSS dates."""
    variant = partner_variant(spec)
    spss = variant == "partner-sav-dates"
    start = _ymd_from_dmy(frame["startdatum"])
    end = _ymd_from_dmy(frame["einddatum"])
    rinpersoons, rinpersoon, unlinked = _unlinked_keys(spec, frame)
    data: dict[str, np.ndarray] = {"RINPERSOONS": rinpersoons, "RINPERSOON": rinpersoon}
    if spss:
        data["startdatum"] = spss_dates(_days(start))
        data["einddatum"] = spss_dates(_days(end))
        dates = [SavColumn("startdatum", "num", date=True), SavColumn("einddatum", "num",
                                                                      date=True)]
    else:
        data["startdatum"], data["einddatum"] = start, end
        dates = [SavColumn("startdatum", "str", width=8), SavColumn("einddatum", "str", width=8)]
    data["verwijzer"] = frame["verwijzer"]
    data["gezinsgrootte"] = np.asarray(frame["gezinsgrootte"], dtype=np.float64)
    columns = [SavColumn("RINPERSOONS", "str", width=1), SavColumn("RINPERSOON", "str", width=9),
               *dates, SavColumn("verwijzer", "str", width=24),
               SavColumn("gezinsgrootte", "num", width=8)]
    path = root / PARTNER_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with SavWriter(path, columns) as writer:
        writer.write(data)
    return PARTNER_NAME, {"partner_file": PARTNER_NAME, "rows": int(len(start)),
                          "dates": "SPSS DATE11" if spss else "YYYYMMDD text",
                          "date_format": None if spss else "%Y%m%d",
                          "open_ends": int((end == "").sum()), "unlinked_keys": unlinked}


def _unlinked_keys(spec: SynthSpec, frame: Frame) -> tuple[np.ndarray, np.ndarray, dict]:
    """Rows CBS could not link, as linked files show them: S with an encrypted key, an empty
    key, or 000000000 (a third each, by seed); the number of such rows is unchanged."""
    rinpersoons = np.asarray(frame["RINPERSOONS"]).astype("U1")
    rinpersoon = np.asarray(frame["RINPERSOON"]).astype("U9")
    rows = np.flatnonzero(rinpersoons != "R")
    kind = np.random.default_rng([spec.seed, 0, 77]).integers(0, 3, len(rows))
    rinpersoons[rows[kind > 0]] = ""
    rinpersoon[rows[kind == 1]] = ""
    rinpersoon[rows[kind == 2]] = "000000000"
    counts = {"S": int((kind == 0).sum()), "empty": int((kind == 1).sum()),
              "zeros": int((kind == 2).sum())}
    return rinpersoons, rinpersoon, counts


def _ymd_from_dmy(text: np.ndarray) -> np.ndarray:
    text = np.asarray(text).astype("U10")
    return np.array([f"{t[6:10]}{t[3:5]}{t[0:2]}" if t else "" for t in text], dtype="U8")


def _days(ymd_text: np.ndarray) -> np.ndarray:
    out = np.full(len(ymd_text), -1, dtype=np.int64)
    given = ymd_text != ""
    if given.any():
        dates = np.array([f"{t[:4]}-{t[4:6]}-{t[6:]}" for t in ymd_text[given]],
                         dtype="datetime64[D]")
        out[given] = dates.astype(np.int64)
    return out


_FILES: dict[str, Callable[[list[Item], Context], list[Item]]] = {
    "absent-tables": _absent_tables,
    "year-gap": _year_gap,
    "protection-per-year": _protection_per_year,
    "absent-columns": _absent_columns,
    "assumed-codes": _assumed_codes,
    "names": _names,
    "vslgwb-year": _vslgwb_year,
}
ORDER = (*_FILES, "partner-sav", "partner-sav-dates")


def record_gaps(record: Record, spec: SynthSpec, catalog: Catalog,
                years: dict[str, list[int]]) -> None:
    """Facts a variant knows only once every file is written (delivered years, tables left out)."""
    if "absent-columns" in spec.variants:
        record.note("absent-columns", "columns", {
            name: list(absent_columns(table)) for name, table in catalog.tables.items()
            if absent_columns(table)})
    if "year-gap" in spec.variants:
        gap = spec.peildatum.year - 1
        have = sorted(years.get(GAP_TABLE, []))
        nearest = sorted(y for y in have if abs(y - gap) == min(abs(h - gap) for h in have))
        record.note("year-gap", "table", GAP_TABLE)
        record.note("year-gap", "missing_year", gap)
        record.note("year-gap", "delivered_years", have)
        record.note("year-gap", "nearest_years", nearest)
    if "absent-tables" in spec.variants:
        record.note("absent-tables", "tables", list(ABSENT_TABLES))
