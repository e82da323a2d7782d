"""The factor library: child, parent and household factors on the peildatum, one table per unit.

Every factor is described once in ``factors.yaml`` (Dutch and English label, unit, type, source
tables, period); the SQL files compute them over the linked base tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict

from smartstart.linking import Database, window_end
from smartstart.pilot import Study

__all__ = ["Factor", "FeatureTables", "build_features", "factors"]


class Factor(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    unit: str
    nl: str
    en: str
    type: str
    sources: tuple[str, ...]
    period: str
    audit_only: bool = False


@cache
def factors() -> dict[str, dict[str, Factor]]:
    """{unit: {name: Factor}} from factors.yaml."""
    text = resources.files("smartstart.features").joinpath("factors.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    return {unit: {name: Factor(name=name, unit=unit, **spec) for name, spec in items.items()}
            for unit, items in raw.items()}


@dataclass(frozen=True)
class FeatureTables:
    households: pd.DataFrame
    children: pd.DataFrame


def _sql(name: str, **identifiers: str) -> str:
    text = resources.files("smartstart.features").joinpath("sql", f"{name}.sql").read_text("utf-8")
    return text.format(**identifiers) if identifiers else text


def build_features(db: Database, study: Study) -> FeatureTables:
    """Household and child tables of the residents on the peildatum (linking must have run)."""
    year = study.peildatum.year
    db.params.update(year_before=study.peildatum - timedelta(days=365),
                     outcome_end=window_end(study))
    if "target_households" not in {r[0] for r in db.con.execute("SHOW TABLES").fetchall()}:
        db.create("target_households", "SELECT NULL::VARCHAR AS household_id WHERE FALSE")
    db.create("events", _sql(
        "events", jgdhulp=db.table("JGDHULPBUS"), jgdbescherm=db.table("JGDBESCHERMBUS"),
        halt=db.table("HALTBUS"), vsv=db.table("VSVTAB", year - 1), wsnp=db.table("WSNPPERSBUS"),
        wmo=db.table("WMOBUS"), pupils=db.table("INSCHRWPOTAB", year - 1)))
    db.create("person_factors", _sql("person_factors"))
    n_hh = db.create("household_factors", _sql("household_table"))
    n_child = db.create("child_factors", _sql("child_table"))
    db.record("huishoudens", db.count("person_factors"), n_hh, "één rij per huishouden")
    db.record("kinderen", db.count("person_factors"), n_child,
              "inwoners jonger dan 18 in de positie van kind in het huishouden (PLHH 1)")
    households = db.frame("SELECT * FROM household_factors ORDER BY household_id")
    children = db.frame("SELECT * FROM child_factors ORDER BY household_id, RINPERSOON")
    return FeatureTables(households, children)
