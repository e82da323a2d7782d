"""Linking: residents, households, parents, income and the target group on the peildatum."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartstart.linking._db import Database, Step, sql_text
from smartstart.linking._link import (
    link_households,
    link_income_and_status,
    link_residents,
    link_target_group,
    read_partner,
    window_end,
)
from smartstart.pilot import Study

__all__ = ["Database", "Linked", "Step", "link", "read_partner", "sql_text", "window_end"]


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
    """Run every linking step on one DuckDB connection over the store."""
    db = Database(Path(store), {"peildatum": study.peildatum, "gemeente": study.gemeente})
    link_residents(db, study)
    link_households(db)
    link_income_and_status(db, study)
    match = None
    if study.target_group is not None and partner is not None:
        match = link_target_group(db, study, partner)
    return Linked(db, match)
