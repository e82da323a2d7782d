"""Linking: residents, households, parents, income and the target group on the peildatum."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartstart.linking._dates import PartnerWindow, StudyDates
from smartstart.linking._db import CORE, MEMORY_GIB, Database, Step, YearUsed, sql_text
from smartstart.linking._link import (
    link_households,
    link_income_and_status,
    link_residents,
    link_target_group,
)
from smartstart.linking._partner import read_partner, read_table
from smartstart.pilot import EVERY, Study

__all__ = ["CORE", "Database", "Linked", "PartnerWindow", "Step", "StudyDates", "YearUsed",
           "every_municipality", "link", "read_partner", "read_table", "sql_text"]


def every_municipality(store: Path, study: Study) -> Study:
    """``gemeenten: all``: the study with every municipality the store's area table holds for
    the peildatum's year filled in, all linked in one pass (any other study as it is)."""
    if study.gemeenten != EVERY:
        return study
    import duckdb

    from smartstart.sources._layout import path_literal
    from smartstart.sources._store import read_manifest
    from smartstart.sources.errors import SourceError

    manifest = read_manifest(Path(store))
    years = sorted(y for t, y in manifest if t == "VSLGWBTAB")
    year = study.peildatum.year
    if year not in years:
        if not years or not study.allow_nearest_year:
            raise SourceError(f"{store}: gemeenten: all needs VSLGWBTAB of {year} (delivered: "
                              f"{', '.join(map(str, years)) or 'none'})",
                              hint="ingest that year, or set study.allow_nearest_year: true")
        year = min(years, key=lambda y: (abs(y - year), y))
    path = Path(store) / manifest[("VSLGWBTAB", year)].store_path
    with duckdb.connect() as con:
        con.execute(f"CREATE VIEW areas AS SELECT * FROM read_parquet({path_literal(path)})")
        codes = con.execute(sql_text("municipalities_all", vslgwb="areas")).fetchall()
    return study.with_municipalities(tuple(str(c) for (c,) in codes))


@dataclass
class Linked:
    db: Database
    #: partner rows by partner file and link status (partner, link_status, n)
    match: pd.DataFrame | None

    @property
    def attrition(self) -> pd.DataFrame:
        return pd.DataFrame([vars(s) for s in self.db.attrition])

    def durations(self) -> pd.DataFrame | None:
        """Days each target household has been a client (household_id, days); None without a
        partner file. With several partner files a household's days run from the first client
        start of its linked members in any file to the last client end, each end cut at its own
        partner's window end (``target_durations.sql``): the span, not the longest overlap."""
        if self.match is None:
            return None
        return self.db.frame(sql_text("target_durations"))


def link(store: Path, study: Study,
         partner: Path | Mapping[str, Path] | None = None, spill: Path | None = None,
         on_step: Callable[[str], None] | None = None,
         memory_gib: float = MEMORY_GIB) -> Linked:
    """Run every linking step on one DuckDB connection over the store. The run's dates are
    computed here once (``StudyDates.of(study)``) and stay with the connection (``db.dates``),
    where the factor library reads them. ``partner``: the path of each partner file of the
    target group (partner_file -> path), or the one path when there is one partner file;
    ``spill``: where DuckDB may put tables beyond its memory (``Database.spill``);
    ``on_step``: told each step's name when it is done (``Database.on_step``);
    ``memory_gib``: DuckDB's memory (``paths.memory_gib``)."""
    db = Database(Path(store), StudyDates.of(study), nearest_year=study.allow_nearest_year,
                  spill=spill, on_step=on_step, memory_gib=memory_gib)
    try:
        db.require_core()
        link_residents(db, study)
        # households and the income and status of the residents need only the residents: they
        # run side by side, one connection each (a municipality's queries run on one DuckDB
        # thread, so the second core is free; benchmarks/national.py --only one). The two read
        # different tables: a view both made at once would be a write-write conflict of
        # DuckDB's catalog.
        branch = db.branch()
        with ThreadPoolExecutor(max_workers=1) as pool:
            income = pool.submit(link_income_and_status, branch, study)
            link_households(db, study)
            income.result()  # its error, if any, is raised here
        db.merge(branch)
        match = None
        if study.partner_groups and partner is not None:
            match = link_target_group(db, study, _paths(study, partner))
    except BaseException:  # its tables and spill folder go now, not when collected
        db.close()
        raise
    return Linked(db, match)


def _paths(study: Study, partner: Path | Mapping[str, Path]) -> dict[str, Path]:
    """partner_file -> path for every partner file; a single path serves one partner file."""
    groups = study.partner_groups
    if isinstance(partner, Mapping):
        missing = [tg.partner_file for tg in groups if tg.partner_file not in partner]
        if missing:
            raise ValueError(f"no path for partner file(s) {', '.join(missing)}")
        return {tg.partner_file: Path(partner[tg.partner_file]) for tg in groups}
    if len(groups) != 1:
        raise ValueError(f"{len(groups)} partner files need a path each (partner_file -> path)")
    return {groups[0].partner_file: Path(partner)}
