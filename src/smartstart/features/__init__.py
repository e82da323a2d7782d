"""The factor library: child, parent and household factors on the peildatum, one table per unit.

Every factor is described once in ``factors.yaml`` (Dutch and English label, unit, type, source
tables and columns, period); the SQL files compute them over the linked base tables. A table
outside the core that the delivery lacks is read as an empty view, and the factors that need it
(or a column the delivery lacks) are dropped from the tables and listed in ``not_delivered``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict

from smartstart.features._available import (
    OUTCOME_SOURCES,
    NotDelivered,
    not_delivered,
    require_outcome,
)
from smartstart.linking import Database, StudyDates, YearUsed
from smartstart.linking import _checks as checks
from smartstart.linking._db import CORE
from smartstart.pilot import Study

__all__ = ["OUTCOME_SOURCES", "Factor", "FeatureTables", "NotDelivered", "build_features",
           "factors", "identical_levels", "requirements", "requirements_markdown"]


class Factor(BaseModel):
    model_config = ConfigDict(frozen=True)
    name: str
    unit: str
    nl: str
    en: str
    type: str
    sources: tuple[str, ...]
    #: TABLE.COLUMN the factor reads besides the person keys
    columns: tuple[str, ...] = ()
    period: str
    audit_only: bool = False
    #: level -> "factor:level" of another factor counting the same units ("Total": known values)
    same_as: dict[str, str] = {}
    #: level -> "factor:level" of another factor that every unit with this level has (nested:
    #: residential youth care is youth care)
    within: dict[str, str] = {}


@cache
def factors() -> dict[str, dict[str, Factor]]:
    """{unit: {name: Factor}} from factors.yaml."""
    text = resources.files("smartstart.features").joinpath("factors.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    return {unit: {name: Factor(name=name, unit=unit, **spec) for name, spec in items.items()}
            for unit, items in raw.items()}


class OutcomeWords(BaseModel):
    """An outcome of ``outcomes.yaml``: who has it, the tables it needs, its words."""

    model_config = ConfigDict(frozen=True)
    name: str
    unit: str
    sources: tuple[str, ...]
    nl: str
    en: str
    nl_short: str
    en_short: str


@cache
def outcomes() -> dict[str, OutcomeWords]:
    """{name: OutcomeWords} from outcomes.yaml."""
    text = resources.files("smartstart.features").joinpath("outcomes.yaml").read_text("utf-8")
    return {name: OutcomeWords(name=name, **spec) for name, spec in yaml.safe_load(text).items()}


def identical_levels() -> dict[tuple[str, str], tuple[str, str]]:
    """(factor, level) -> (factor, level) it is identical to, over all units (``same_as``);
    the disclosure gate protects such cells as one."""
    same = {}
    for items in factors().values():
        for name, f in items.items():
            for level, other in f.same_as.items():
                factor, _, its = other.partition(":")
                same[(name, str(level))] = (factor, its)
    return same


def nested_levels() -> dict[tuple[str, str], tuple[str, str]]:
    """(factor, level) -> (factor, level) every such unit also has (``within``); the
    disclosure register knows these (an attacker does)."""
    return {(name, str(level)): tuple(other.partition(":")[::2])  # type: ignore[misc]
            for items in factors().values() for name, f in items.items()
            for level, other in f.within.items()}


@dataclass(frozen=True)
class FeatureTables:
    households: pd.DataFrame
    children: pd.DataFrame
    #: factors left out: the delivery lacks their table or column
    not_delivered: tuple[NotDelivered, ...] = ()
    #: yearly tables read for another year than wanted (``study.allow_nearest_year``)
    years_used: tuple[YearUsed, ...] = ()


def _sql(name: str, **identifiers: str) -> str:
    text = resources.files("smartstart.features").joinpath("sql", f"{name}.sql").read_text("utf-8")
    return text.format(**identifiers) if identifiers else text


def build_features(db: Database, study: Study) -> FeatureTables:
    """Household and child tables of the residents on the peildatum (linking must have run,
    on the same study: the factors read the dates linking was given, ``db.dates``)."""
    if db.dates != StudyDates.of(study):
        raise ValueError("the database was linked for another study (its dates differ)")
    year = db.dates.data_year
    if "target_households" not in {r[0] for r in db.con.execute("SHOW TABLES").fetchall()}:
        db.create("target_households", "SELECT NULL::VARCHAR AS household_id WHERE FALSE")
    db.create("events", _sql(
        "events", jgdhulp=db.table("JGDHULPBUS"), jgdbescherm=db.table("JGDBESCHERMBUS"),
        halt=db.table("HALTBUS"), vsv=db.table("VSVTAB", year), wsnp=db.table("WSNPPERSBUS"),
        wmo=db.table("WMOBUS"), pupils=db.table("INSCHRWPOTAB", year)))
    lacking = _lacking(db, study)  # every table the run reads has been looked up by now
    require_outcome(study.outcome.name, study.analyses, lacking)
    db.create("person_factors", _sql("person_factors"))
    checks.guard_unique(db, "person_factors")
    n_hh = db.create("household_factors", _sql("household_table"))
    n_child = db.create("child_factors", _sql("child_table"))
    db.record("huishoudens", db.count("person_factors"), n_hh, "één rij per huishouden")
    db.record("kinderen", db.count("person_factors"), n_child,
              "inwoners jonger dan 18 in de positie van kind in het huishouden (PLHH 1)")
    if n_child == 0:
        checks.no_children(study)
    if not any(d.factor == "outcome" and d.unit == "child" for d in lacking):
        _require_cases(db, study)
    households = db.frame("SELECT * FROM household_factors ORDER BY household_id")
    children = db.frame("SELECT * FROM child_factors ORDER BY household_id, RINPERSOON")
    return FeatureTables(_drop(households, lacking, "household"),
                         _drop(children, lacking, "child"), lacking,
                         tuple(db.years_used.values()))


def _lacking(db: Database, study: Study) -> tuple[NotDelivered, ...]:
    """The factors the delivery cannot give; the outcome by the tables of the pilot's outcome."""
    library = factors()
    outcome = OUTCOME_SOURCES[study.outcome.name]
    child = {n: (f.model_copy(update={"sources": outcome}) if n == "outcome" else f)
             for n, f in library["child"].items()}
    return not_delivered({**library, "child": child}, db.absent, db.absent_columns)


def _require_cases(db: Database, study: Study) -> None:
    """An outcome with no case at all stops the run, naming the tables and what they cover."""
    if db.count("child_factors WHERE outcome") > 0:
        return
    spans = {"JGDHULPBUS": ("JGDHGELDIGHEIDBEGINDATUM", "JGDHGELDIGHEIDEINDDATUM"),
             "JGDBESCHERMBUS": ("JGDBGELDIGHEIDBEGINDATUM", "JGDBGELDIGHEIDEINDDATUM")}
    tables = OUTCOME_SOURCES[study.outcome.name]
    ranges = {}
    for table in tables:
        r = checks.spell_range(db, db.table(table), *spans[table])
        ranges[table] = f"{r['spells']:,} spells from {r['first_start']} to {r['last_end']}"
    checks.no_outcome(study, tables, db.dates.outcome_end, ranges)


def _drop(table: pd.DataFrame, lacking: tuple[NotDelivered, ...], unit: str) -> pd.DataFrame:
    return table.drop(columns=[d.factor for d in lacking if d.unit == unit], errors="ignore")


def requirements() -> pd.DataFrame:
    """Per factor and outcome: the tables and columns it needs and whether they are optional
    (every table outside the core is), for the README."""
    rows = []
    for unit, items in factors().items():
        for name, f in items.items():
            optional = [t for t in f.sources if t not in CORE and t != "partner file"]
            rows.append({"unit": unit, "factor": name, "tables": ", ".join(f.sources),
                         "columns": ", ".join(f.columns) or "–",
                         "optional": "yes: " + ", ".join(optional) if optional else "no"})
    for outcome, tables in OUTCOME_SOURCES.items():
        rows.append({"unit": "outcome", "factor": outcome, "tables": ", ".join(tables),
                     "columns": "–", "optional": "no (when the risk model is asked for)"})
    return pd.DataFrame(rows)


def requirements_markdown() -> str:
    """The README's table of what each factor and outcome needs (``python -m
    smartstart.features`` prints it)."""
    table = requirements()
    lines = ["| unit | factor | tables | columns | optional |", "|---|---|---|---|---|"]
    lines += [f"| {r.unit} | `{r.factor}` | {r.tables} | {r.columns} | {r.optional} |"
              for r in table.itertuples()]
    return "\n".join(lines)
