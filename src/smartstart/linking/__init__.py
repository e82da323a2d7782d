"""Linking: residents, households, parents, income and the target group on the peildatum."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartstart.linking._dates import StudyDates
from smartstart.linking._db import CORE, Database, Step, YearUsed, sql_text
from smartstart.linking._link import (
    link_households,
    link_income_and_status,
    link_residents,
    link_target_group,
)
from smartstart.linking._partner import read_partner, read_table
from smartstart.pilot import Study

__all__ = ["CORE", "Database", "Linked", "Step", "StudyDates", "YearUsed", "link", "read_partner",
           "read_table", "sql_text"]


@dataclass
class Linked:
    db: Database
    match: pd.DataFrame | None  # partner rows by link status

    @property
    def attrition(self) -> pd.DataFrame:
        return pd.DataFrame([vars(s) for s in self.db.attrition])

    def durations(self) -> pd.DataFrame | None:
        """Days each target household has been a client (household_id, days); None without a
        target group."""
        if self.match is None:
            return None
        return self.db.frame(sql_text("target_durations"))


def link(store: Path, study: Study, partner: Path | None = None) -> Linked:
    """Run every linking step on one DuckDB connection over the store. The run's dates are
    computed here once (``StudyDates.of(study)``) and stay with the connection (``db.dates``),
    where the factor library reads them."""
    db = Database(Path(store), StudyDates.of(study), nearest_year=study.allow_nearest_year)
    link_residents(db, study)
    link_households(db, study)
    link_income_and_status(db, study)
    match = None
    if study.target_group is not None and partner is not None:
        match = link_target_group(db, study, partner)
    return Linked(db, match)
