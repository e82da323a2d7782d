"""A by-municipality layout of the store, so a pilot reads only its municipalities' parts.

For every municipality ``g`` the layout holds, per person-keyed table, the rows of everyone with
an address in ``g`` (by any year's VSLGWBTAB) on or after 1 January of the first area year, so the
reference-date rule still sees each person's whole history. The person and parent tables also
hold those persons' parents and children (a mother's first child may never have lived in ``g``);
INHATAB holds the income households those persons belong to; VSLGWBTAB is split by its own
municipality column. A peildatum before the first area year reads the full files. A layout
from a later year (``since``, ``smartstart layout --vanaf``) holds the persons with an address
there from that year on, and of the ``LASTING`` spells only those that can matter from then on.

Rows are duplicated for persons who lived in several municipalities (1.6x in the national
synthetic store, whose people move more than real ones). A pilot of several municipalities reads
the union of their parts, each person's rows once (``parts_source``). The layout records the
sha256 of every store file it was built from; when any of them changes it is stale and linking
falls back to the full files."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import duckdb

from smartstart.sources._catalog import load_catalog
from smartstart.sources._store import read_manifest

LAYOUT = "_gemeente"
MEMORY_LIMIT = "3.5GB"  # DuckDB spills to the layout's temp folder beyond this (RSS < 4 GiB)
PERSON_KEY = ("RINPERSOONS", "RINPERSOON")
#: zstd's fastest level: the build is bound by the parquet writer (about 3 M rows a second on
#: 2 cores, 11 s for 46 M rows of five text columns even uncompressed); level 1 built the
#: 2.9 M-person layout 8 % faster than the default (3) and 11 % smaller (session 31)
ZSTD_LEVEL = 1
#: rows a thread collects before handing them to the partitioned writer (DuckDB's default:
#: 524,288). Smaller hands-over kept the build's memory at 1.1 GiB instead of 2.6 GiB on the
#: 2.9 M-person store and wrote the 288 municipalities' GBAHUISHOUDENSBUS in 29 s instead of
#: 53-60 s (session 31, at 30,000). At 26.5 M persons, 432 municipalities and every file kept
#: open (``OPEN_FILES``), its 70 M rows took 45 s at 10,000, 49-50 s at 15,000-20,000 and 55 s
#: at 30,000; the whole ``--vanaf 2021`` build 344 s instead of 395 s (session 34)
FLUSH_ROWS = 10_000
#: files the partitioned writer keeps open (DuckDB's default: 100): one per municipality, so a
#: part is one file (the country has 342 municipalities); with 100 the writer closed and reopened
#: them, 1,087 files for 432 municipalities' GBAHUISHOUDENSBUS. At most half the process's limit
#: on open files (``_open_files``)
OPEN_FILES = 1_000
FAMILY_TABLES = ("GBAPERSOONTAB", "KINDOUDERTAB")
#: tables whose rows follow their person's municipalities: every catalog table keyed on the
#: person but the family's (a table added to the catalog is laid out without a change here)
PERSON_TABLES = tuple(name for name, spec in load_catalog().tables.items()
                      if spec.key[:2] == PERSON_KEY and name not in FAMILY_TABLES)
#: spell tables read only on a peildatum and after it (the reference-date rule; the outcome
#: windows, which start on the peildatum): a layout from ``--vanaf`` keeps only the spells that
#: can matter from its first day on (``lasting_sql``). Not the tables a factor reads in the
#: months before the peildatum (JGDHULPBUS, WSNPPERSBUS, ...)
LASTING = ("GBAADRESOBJECTBUS", "GBAHUISHOUDENSBUS", "SECMBUS")
#: yearly tables read only for the year before the peildatum (``link_income_and_status``), never
#: without a year or over an outcome window: their newest year, after the last area year's
#: data year, is read by no peildatum a layout serves (``_served``)
DATA_YEAR = ("KOPPELPERSOONHUISHOUDEN", "INHATAB", "HOOGSTEOPLTAB")
#: tables whose parts are not keyed on the person (``part_key``)
PART_KEYS: dict[str, tuple[str, ...]] = {"INHATAB": ("RINPERSOONSHKW", "RINPERSOONHKW"),
                                         "VSLGWBTAB": ()}


def path_literal(path: Path) -> str:
    """A file path as an SQL string literal (paths are not values of the study)."""
    return "'" + path.as_posix().replace("'", "''") + "'"


def lasting_sql(source: str, table: str, *, scan: bool = False) -> str:
    """SQL selecting the rows of ``source`` (a relation of ``table``'s rows, a ``LASTING``
    table) that can matter on a day from ``$since`` on: spells without a start (the flow counts
    them), without an end, or that end or start on ``$since`` or later, and every spell of a
    person with a spell that has a start but no end (``spell_on_date.sql``, rule 2: such a
    spell ends the day before the person's next spell starts; few, as ingest gives an open end
    its date). On these rows the reference-date rule gives every peildatum from ``$since`` on
    the same spell as on all of them, and so do the windows that start on the peildatum;
    applied to its own result it keeps every row. ``scan``: ``source`` is a file, read twice,
    not held (a query is computed once)."""
    spell = load_catalog().tables[table].spell
    start, end = f'"{spell["start"]}"', f'"{spell["end"]}"'
    key = ", ".join(PERSON_KEY)
    held = "NOT MATERIALIZED" if scan else "MATERIALIZED"
    return f"""WITH _spells AS {held} (SELECT * FROM {source})
SELECT * FROM _spells
WHERE {start} IS NULL OR {end} IS NULL OR {end} >= $since OR {start} >= $since
   OR ({key}) IN (SELECT {key} FROM _spells WHERE {start} IS NOT NULL AND {end} IS NULL)"""


def build_layout(store: Path, gemeenten: tuple[str, ...] | None = None,
                 progress: Callable[[str, int, int], None] | None = None,
                 since: int | None = None) -> LayoutBuild:
    """(Re)build ``STORE/_gemeente``; written next to it first and swapped in when complete.
    A table whose file is unchanged since the last build keeps its parts (moved over, not
    split again) as long as the files that decide who belongs where (``MEMBERSHIP``) and the
    municipalities are unchanged too: adding one table splits that table only.

    ``gemeenten``: only these municipalities' parts (a region's team need not split the
    country); a pilot of other municipalities then reads the full files. ``since``: serve a
    peildatum from 1 January of this year on, not from the first area year: the parts hold
    the persons with an address there since then, and of a table delivered per year only the
    years such a peildatum reads (``since`` - 1 on, the area file VSLGWBTAB from ``since``)
    and its newest (``_served``), and of the address, household and status spells those that
    can matter from then on (``LASTING``); a peildatum before it reads the full files.
    ``progress`` is called with the step's name, the steps done and the steps in all."""
    store = Path(store)
    manifest = read_manifest(store)
    wanted = None if gemeenten is None else sorted(set(gemeenten))
    if wanted is not None:
        _known(store, manifest, wanted)
    first = _first_served(store, manifest, since)
    if since is not None and first == _first_served(store, manifest, None):
        since = None  # from the first area year (or before it): the layout of every year
    target, staging = store / LAYOUT, store / f"{LAYOUT}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    started = time.perf_counter()
    sources = {f"{t}/{y}": manifest[(t, y)].sha256 for t, y in sorted(manifest)}
    kept = _unchanged(target, sources, wanted, since)
    con = duckdb.connect()
    con.execute(f"SET temp_directory = {path_literal(staging / '.tmp')}").fetchall()
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'").fetchall()  # spill to disk beyond it
    known = {name for (name,) in con.execute(
        "SELECT name FROM duckdb_settings() WHERE name LIKE 'partitioned_write_%'").fetchall()}
    for name, value in (("partitioned_write_flush_threshold", FLUSH_ROWS),
                        ("partitioned_write_max_open_files", _open_files())):
        if name in known:  # each a speed setting only: a DuckDB without it writes the same
            con.execute(f"SET {name} = {value}").fetchall()
    split: list[str] = []
    try:
        every = {k: store / r.store_path for k, r in manifest.items()}
        unread = _unread()
        files = {k: p for k, p in every.items()
                 if k[0] not in unread and _served(k, every, first)}
        todo = {k: p for k, p in files.items() if f"{k[0]}/{k[1]}" not in kept}
        steps = len(files) + 1
        if progress is not None:
            progress("wie woonde waar", 0, steps)
        if any(t in PERSON_TABLES or t in FAMILY_TABLES for t, _ in todo):
            _membership(con, every, wanted, first)
        # INHATAB follows the income households of KOPPELPERSOONHUISHOUDEN: split it last
        order = sorted(files.items(), key=lambda i: (i[0][0] == "INHATAB", i[0]))
        for done, ((table, year), path) in enumerate(order, start=1):
            if progress is not None:
                progress(f"{table} {year}", done, steps)
            if f"{table}/{year}" in kept:
                _keep(target, staging, table, year)
            elif _split(con, table, year, path, staging, files, wanted,
                        None if since is None else date(first, 1, 1)):
                split.append(f"{table}/{year}")
        (staging / "layout.json").write_text(json.dumps(
            {"sources": sources, "from": None if first is None else f"{first}-01-01",
             "since": since, "gemeenten": wanted,
             "seconds": round(time.perf_counter() - started, 1)}, indent=1))
        if progress is not None:
            progress("klaar", steps, steps)
        shutil.rmtree(staging / ".tmp", ignore_errors=True)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        con.close()
    return LayoutBuild(target, tuple(split), tuple(sorted(kept)),
                       None if first is None else date(first, 1, 1))


def _open_files() -> int:
    """``OPEN_FILES``, or half the process's limit on open files when that is lower (macOS's
    default is 256; DuckDB closes and reopens files beyond it, an error at the system's limit)."""
    try:
        import resource
    except ImportError:  # Windows: no per-process limit of this kind on file handles
        return OPEN_FILES
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return OPEN_FILES
    return max(1, min(OPEN_FILES, soft // 2))


def _known(store: Path, manifest, wanted: list[str]) -> None:
    """Every named municipality has addresses in the newest area file, or a clear error."""
    from smartstart.sources.errors import SourceError

    years = sorted(y for t, y in manifest if t == "VSLGWBTAB")
    if not years:
        raise SourceError(f"{store}: the store has no VSLGWBTAB, so no municipality to lay out",
                          hint="ingest the delivery's VSLGWBTAB files first")
    path = store / manifest[("VSLGWBTAB", years[-1])].store_path
    found = {g for (g,) in duckdb.execute(
        f"SELECT DISTINCT gem FROM read_parquet({path_literal(path)}) "
        "WHERE list_contains($codes, gem)", {"codes": wanted}).fetchall()}
    missing = [g for g in wanted if g not in found]
    if missing:
        raise SourceError(f"{store}: municipality {', '.join(missing)} has no address in "
                          f"VSLGWBTAB {years[-1]}",
                          hint="name municipalities by their four-digit CBS code (0784), "
                               "as the pilot does")


def _first_served(store: Path, manifest, since: int | None) -> int | None:
    """The year from whose 1 January the layout serves a peildatum: the first area year, or
    ``since`` when that is later; a ``since`` after the newest area year is an error."""
    from smartstart.sources.errors import SourceError

    years = sorted(y for t, y in manifest if t == "VSLGWBTAB")
    if since is None or not years:
        return years[0] if years else None
    if since > years[-1]:
        raise SourceError(f"{store}: no area file (VSLGWBTAB) of {since} or later (delivered: "
                          f"{', '.join(map(str, years))})",
                          hint=f"choose a year up to {years[-1]} (a peildatum's year)")
    return max(since, years[0])


def _served(key: tuple[str, int], files: dict[tuple[str, int], Path],
            first: int | None) -> bool:
    """Whether a layout serving peildatums from ``first`` on splits this table's year
    (``StudyDates``): VSLGWBTAB is read through the layout for the peildatum's own year
    (``area_year``; the years before it only from the full files); another table delivered
    per year for the year before it (``data_year``) or the years of the outcome window; the
    newest year for a table read without a year. A year not split is read from the full
    file (correct, slower): so is the area file of a year before ``first`` that
    ``allow_nearest_year`` picks for a peildatum year the delivery lacks. The income and
    education tables (``DATA_YEAR``) are read for the year before the peildatum only: their
    years from ``first`` - 1 to the year before the last area year."""
    table, year = key
    if first is None:
        return True
    if table in DATA_YEAR:  # the year before a peildatum from ``first`` up to the last area year
        last = max(y for t, y in files if t == "VSLGWBTAB")  # there are some: ``first``
        return first - 1 <= year <= last - 1
    earliest = first if table == "VSLGWBTAB" else first - 1
    if year >= earliest:
        return True
    return year == max(y for t, y in files if t == table)


def _unread() -> frozenset[str]:
    """The catalog's tables that no factor, outcome or linking step reads (the data request
    says not to ask for them, ``_data_request.table_uses``): a delivery may hold them, the
    layout does not split them."""
    from smartstart._data_request import table_uses  # above sources/: it joins the library
    from smartstart.features import library

    catalog = load_catalog()
    return frozenset(t for t, uses in table_uses(library(), catalog).items()
                     if not uses and t not in FAMILY_TABLES)


@dataclass(frozen=True)
class LayoutBuild:
    """A layout build: its folder, the tables split now and those kept from the last build
    (``table/year``)."""

    folder: Path
    split: tuple[str, ...]
    kept: tuple[str, ...]
    #: the first peildatum the layout serves (None: a store without area files)
    served: date | None = None


def _membership_keys(sources: dict[str, str]) -> dict[str, str]:
    """The files that decide which municipalities a person belongs to: every year's VSLGWBTAB,
    the latest address spells, every KINDOUDERTAB (``_membership``)."""
    addresses = sorted((k for k in sources if k.startswith("GBAADRESOBJECTBUS/")),
                       key=lambda k: int(k.split("/")[1]))
    return {k: v for k, v in sources.items()
            if k.startswith(("VSLGWBTAB/", "KINDOUDERTAB/")) or k in addresses[-1:]}


def _unchanged(target: Path, sources: dict[str, str],
               wanted: list[str] | None, since: int | None = None) -> set[str]:
    """The tables of the last build (``target``) whose parts still hold: same file, same
    membership, same municipalities (and, for INHATAB, the same KOPPELPERSOONHUISHOUDEN of
    its year)."""
    info = target / "layout.json"
    if not info.exists():
        return set()
    try:
        recorded = json.loads(info.read_text())
    except ValueError:
        return set()
    old = recorded.get("sources", {})
    if _membership_keys(old) != _membership_keys(sources) or "from" not in recorded \
            or recorded.get("gemeenten") != wanted or recorded.get("since") != since:
        return set()
    same = {k for k, sha in sources.items() if old.get(k) == sha}
    return {k for k in same if not k.startswith("INHATAB/")
            or f"KOPPELPERSOONHUISHOUDEN/{k.split('/')[1]}" in same}


def _keep(target: Path, staging: Path, table: str, year: int) -> None:
    """The last build's parts of an unchanged table in the new one: hard links where the
    file system has them (no copy, and the last build stays whole until the swap)."""
    old = target / table / str(year)
    if old.exists():
        (staging / table).mkdir(parents=True, exist_ok=True)
        shutil.copytree(old, staging / table / str(year), copy_function=_link_or_copy)


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _person(prefix: str = "", suffix: str = "") -> str:
    """The 64-bit hash of a person key (``hash(RINPERSOONS, RINPERSOON)`` with a table alias
    ``prefix`` and a column ``suffix`` such as ``Ma``). Joins on it need a quarter of the
    memory of the two text columns; a collision of two persons can only add rows of one
    person to the other's municipality (a part holds more, never less, and the linking
    selects its residents by address as on the full files)."""
    return f"hash({prefix}RINPERSOONS{suffix}, {prefix}RINPERSOON{suffix})"


def _membership(con: duckdb.DuckDBPyConnection, files: dict[tuple[str, int], Path],
                wanted: list[str] | None = None, first: int | None = None) -> None:
    """``person_gem`` (the hash ``p`` of a person, ``_gem``): everyone with an address spell
    in a municipality that lasts into the first year of the area files (VSLGWBTAB), by any
    year's area file; ``family_gem``: those and their parents and children.

    Spells that ended before ``first`` (the first area year, or a later year the layout
    serves from) are left out, and so are the area files before it: they cannot place anyone
    on a date the layout serves (``layout_parts``: a peildatum from 1 January of ``first``;
    earlier dates read the full files). An address object keeps its municipality from year
    to year except where municipalities merge, so the objects are the last year's plus the
    pairs an earlier year adds (one anti-join), not a distinct over every year's rows."""
    if first is None:
        first = min(y for t, y in files if t == "VSLGWBTAB")
    years = [p for (t, y), p in sorted(files.items()) if t == "VSLGWBTAB" and y >= first]
    addresses = max((k for k in files if k[0] == "GBAADRESOBJECTBUS"), key=lambda k: k[1])
    kinder = [p for (t, _), p in files.items() if t == "KINDOUDERTAB"]
    obj = "hash(SOORTOBJECTNUMMER, RINOBJECTNUMMER)"
    where = "gem IS NOT NULL" + ("" if wanted is None else " AND list_contains($wanted, gem)")
    named = {} if wanted is None else {"wanted": wanted}
    con.execute(f"""CREATE TEMP TABLE object_gem AS SELECT {obj} AS o, gem
        FROM read_parquet({path_literal(years[-1])}) WHERE {where}""", named).fetchall()
    if len(years) > 1:
        earlier = "[" + ", ".join(path_literal(p) for p in years[:-1]) + "]"
        con.execute(f"""INSERT INTO object_gem SELECT DISTINCT o, gem FROM (
            SELECT {obj} AS o, gem FROM read_parquet({earlier}) WHERE {where})
            ANTI JOIN object_gem USING (o, gem)""", named).fetchall()
    con.execute(f"""CREATE TABLE person_gem AS
        SELECT DISTINCT {_person('a.')} AS p, o.gem AS _gem
        FROM read_parquet({path_literal(files[addresses])}) AS a
        JOIN object_gem AS o ON o.o = hash(a.SOORTOBJECTNUMMER, a.RINOBJECTNUMMER)
        WHERE coalesce(a.GBADATUMEINDEADRESHOUDING, DATE '9999-12-31') >= $first""",
                {"first": date(first, 1, 1)}).fetchall()
    con.execute("DROP TABLE object_gem").fetchall()
    # every child-parent pair once (KINDOUDERTAB read once), then two joins instead of four
    kin = " UNION ALL ".join(
        f"SELECT {_person()} AS c, {_person('', parent)} AS parent "
        f"FROM read_parquet({path_literal(path)}) WHERE RINPERSOON{parent} IS NOT NULL"
        for path in kinder for parent in ("Ma", "pa"))
    family = "SELECT p, _gem FROM person_gem"
    if kin:
        con.execute(f"CREATE TEMP TABLE kin AS {kin}").fetchall()
        family += """
            UNION SELECT k.c, m._gem FROM kin AS k JOIN person_gem AS m ON m.p = k.parent
            UNION SELECT k.parent, m._gem FROM kin AS k JOIN person_gem AS m ON m.p = k.c"""
    con.execute(f"CREATE TABLE family_gem AS {family}").fetchall()
    con.execute("DROP TABLE IF EXISTS kin").fetchall()


def _split(con: duckdb.DuckDBPyConnection, table: str, year: int, path: Path,
           staging: Path, files: dict[tuple[str, int], Path],
           wanted: list[str] | None = None, lasting: date | None = None) -> bool:
    """Split one table-year into ``staging``; False where it has no parts. ``lasting``: the
    first day a ``--vanaf`` layout serves; a ``LASTING`` table keeps only the spells that can
    matter from it on (``lasting_sql``)."""
    source = f"read_parquet({path_literal(path)})"
    named: dict = {}
    if lasting is not None and table in LASTING:
        source, named = f"({lasting_sql(source, table, scan=True)})", {"since": lasting}
    if table == "VSLGWBTAB":
        select = f"SELECT *, gem AS _gem FROM {source} WHERE gem IS NOT NULL"
        if wanted is not None:
            select, named = select + " AND list_contains($wanted, gem)", {"wanted": wanted}
    elif table == "INHATAB":
        koppel = staging / "KOPPELPERSOONHUISHOUDEN" / str(year)
        if ("KOPPELPERSOONHUISHOUDEN", year) not in files or not koppel.exists():
            return False
        # the income households of the municipality's persons that year: read from the
        # parts of KOPPELPERSOONHUISHOUDEN just split (or kept), not joined again
        parts = path_literal(koppel / "*" / "*.parquet")
        select = (f"SELECT i.*, k._gem FROM {source} AS i JOIN (SELECT DISTINCT "
                  f"{_person('', 'HKW')} AS h, _gem FROM read_parquet({parts}, "
                  "hive_partitioning = true, hive_types = {'_gem': VARCHAR})) AS k "
                  f"ON k.h = {_person('i.', 'HKW')}")
    elif table in PERSON_TABLES or table in FAMILY_TABLES:
        members = "family_gem" if table in FAMILY_TABLES else "person_gem"
        select = (f"SELECT t.*, m._gem FROM {source} AS t "
                  f"JOIN {members} AS m ON m.p = {_person('t.')}")
    else:
        return False
    out = staging / table / str(year)
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({select}) TO {path_literal(out)} (FORMAT parquet, COMPRESSION zstd, "
                f"COMPRESSION_LEVEL {ZSTD_LEVEL}, PARTITION_BY (_gem), OVERWRITE_OR_IGNORE)",
                named).fetchall()
    return True


def layout_parts(store: Path, table: str, year: int, gemeenten: tuple[str, ...],
                 peildatum: date | None = None, manifest: dict | None = None,
                 ) -> list[Path] | None:
    """The parts of a table for the named municipalities that have rows there, if a fresh
    layout has the table and serves the peildatum (else None: read the full file). Several
    parts may hold the same person (``part_key``): read them with ``parts_source``.
    ``manifest``: the store's, when the caller has read it already.

    A layout serves a peildatum from 1 January of its first area year (``from`` in
    layout.json, ``_membership``); a layout without ``from`` holds every spell and serves any."""
    if _serving(store, gemeenten, peildatum, manifest) is None:
        return None
    folder = Path(store) / LAYOUT / table / str(year)
    if not folder.exists():
        return None
    return [folder / f"_gem={g}" for g in gemeenten if (folder / f"_gem={g}").exists()]


def _unserved(recorded: dict, store: Path, gemeenten: tuple[str, ...], peildatum: date | None,
              manifest: dict | None) -> str | None:
    """Why a layout (its ``layout.json``) does not serve a run, or None: ``early`` (a peildatum
    before the first it serves), ``elsewhere`` (a layout of other municipalities: their absent
    parts are not "no rows") or ``stale`` (a store file changed since)."""
    served = recorded.get("from")
    if peildatum is not None and served and peildatum < date.fromisoformat(served):
        return "early"
    holds = recorded.get("gemeenten")
    if holds is not None and not set(gemeenten) <= set(holds):
        return "elsewhere"
    manifest = read_manifest(store) if manifest is None else manifest
    if recorded.get("sources", {}) != {f"{t}/{y}": manifest[(t, y)].sha256
                                       for t, y in sorted(manifest)}:
        return "stale"
    return None


def layout_unused(store: Path, gemeenten: tuple[str, ...], peildatum: date) -> str | None:
    """Why the store's layout does not serve a run, in Dutch with what to do (the run's
    summary says it: linking then read the full files, correct but slower), or None: no
    layout, or it serves."""
    recorded = _layout_json(store)
    if recorded is None:
        return None
    why = _unserved(recorded, Path(store), gemeenten, peildatum, None)
    if why == "early":
        served = recorded["from"]
        if recorded.get("since") is None:  # it starts at the first area year: none can serve
            return (f"de indeling per gemeente dient peildatums vanaf {served}; een eerdere "
                    "peildatum leest altijd de volledige bestanden")
        return (f"de indeling per gemeente dient peildatums vanaf {served}; maak die opnieuw "
                f"met smartstart layout --vanaf {peildatum.year} (of zonder --vanaf)")
    if why == "elsewhere":
        which = _named(sorted(set(gemeenten) - set(recorded["gemeenten"])), len(gemeenten))
        return (f"de indeling per gemeente heeft {which} van deze pilot niet; maak die opnieuw "
                "voor alle gemeenten van de pilot (smartstart layout zonder --gemeenten, of "
                "met --gemeenten of --regio)")
    if why == "stale":
        return ("de opslag is veranderd sinds de indeling per gemeente; maak die opnieuw "
                "(smartstart layout)")
    return None


def _named(codes: list[str], of: int | None = None) -> str:
    """Municipalities in Dutch: by code up to five, else their number (of ``of``)."""
    if len(codes) == 1:
        return f"gemeente {codes[0]}"
    if len(codes) <= 5:
        return f"de gemeenten {', '.join(codes)}"
    return f"{len(codes)} {'' if of is None else f'van de {of} '}gemeenten"


def _layout_json(store: Path) -> dict | None:
    """The store's ``layout.json``, or None: no layout (or one half written)."""
    try:
        return json.loads((Path(store) / LAYOUT / "layout.json").read_text())
    except (OSError, ValueError):
        return None


def served_by(store: Path) -> str | None:
    """What the store's layout serves, in Dutch (``smartstart layout`` says what a new build
    replaced; helper-44: a layout of all municipalities went without a word), or None."""
    recorded = _layout_json(store)
    if recorded is None:
        return None
    holds = recorded.get("gemeenten")
    which = "alle gemeenten" if holds is None else _named(holds)
    served = recorded.get("from")
    return which + (f", peildatums vanaf {served}" if served else "")


def served_from(store: Path, gemeenten: tuple[str, ...], peildatum: date,
                manifest: dict | None = None) -> date | None:
    """The first day the store's layout serves when it serves this run (its ``from``), else
    None. Its parts hold everyone whose address spell in a municipality lasts into that day."""
    recorded = _serving(store, gemeenten, peildatum, manifest)
    served = None if recorded is None else recorded.get("from")
    return date.fromisoformat(served) if served else None


def _serving(store: Path, gemeenten: tuple[str, ...], peildatum: date | None,
             manifest: dict | None) -> dict | None:
    """The store's layout.json when its layout serves this run, else None."""
    info = Path(store) / LAYOUT / "layout.json"
    try:
        stat = info.stat()
    except FileNotFoundError:
        return None
    recorded = _recorded(info, stat.st_mtime_ns, stat.st_size)
    if _unserved(recorded, Path(store), gemeenten, peildatum, manifest) is not None:
        return None
    return recorded


@lru_cache(maxsize=8)
def _recorded(info: Path, mtime_ns: int, size: int) -> dict:
    """layout.json, read once while it is unchanged (a run asks for some thirty tables)."""
    return json.loads(info.read_text())


def part_key(table: str) -> tuple[str, ...]:
    """The key whose rows a part holds whole (a person, an income household); () for
    VSLGWBTAB, whose rows are split by their own municipality and occur in one part only."""
    return PART_KEYS.get(table, PERSON_KEY)


def parts_source(table: str, parts: list[Path]) -> str:
    """SQL reading the union of several municipalities' parts of ``table``, each key's rows
    once: a person who lived in two of them is in both parts with the same rows, and only the
    part of the lowest municipality code is kept."""
    files = "[" + ", ".join(path_literal(p / "*.parquet") for p in parts) + "]"
    read = (f"read_parquet({files}, hive_partitioning = true, "
            "hive_types = {'_gem': VARCHAR})")
    key = part_key(table)
    if not key:
        return f"(SELECT * EXCLUDE (_gem) FROM {read})"
    by = ", ".join(f'"{k}"' for k in key)
    return (f"(SELECT * EXCLUDE (_gem) FROM {read} "
            f"QUALIFY _gem = min(_gem) OVER (PARTITION BY {by}))")
