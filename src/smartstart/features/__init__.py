"""The factor library: child, parent and household factors on the peildatum, one table per unit.

Every factor is defined once in ``factors.yaml`` (its SQL expression per unit, labels, levels,
role, source tables and columns, period) and every outcome in ``outcomes.yaml`` (its events,
words and default predictors); the tables are built from those definitions. A table
outside the core that the delivery lacks is read as an empty view, and the factors that need it
(or a column the delivery lacks) are dropped from the tables and listed in ``not_delivered``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
from pydantic import BaseModel, ConfigDict

from smartstart.errors import SourceError
from smartstart.features import _tables as tables_sql
from smartstart.features._available import NotDelivered, not_delivered, require_outcome
from smartstart.features._library import (
    FactorDef,
    Library,
    OutcomeDef,
    Words,
    library,
    load_library,
    using,
)
from smartstart.linking import Database, StudyDates, YearUsed
from smartstart.linking import _checks as checks
from smartstart.linking._db import CORE
from smartstart.pilot import Study, TargetRule
from smartstart.sources._catalog import load_catalog

__all__ = ["Factor", "FeatureTables", "Library", "NotDelivered", "OutcomeDef", "build_features",
           "factors", "identical_levels", "labels_frame", "library", "load_library",
           "outcome_factor", "outcomes", "requirements", "requirements_markdown", "using"]


class Factor(BaseModel):
    """A factor at one unit, as the analyses see it (from the library's one definition)."""

    model_config = ConfigDict(frozen=True)
    name: str
    unit: str
    nl: str
    en: str
    type: str
    role: str = "descriptor"
    sources: tuple[str, ...]
    #: TABLE.COLUMN the factor reads besides the person keys
    columns: tuple[str, ...] = ()
    period: str
    #: level -> "factor:level" of another factor counting the same units ("Total": known values)
    same_as: dict[str, str] = {}
    #: level -> "factor:level" of another factor that every unit with this level has (nested:
    #: residential youth care is youth care)
    within: dict[str, str] = {}
    #: False: not shown in a group's profile at this unit
    describe: bool = True
    levels: dict[str, Words] = {}
    label_no: Words | None = None
    phrases: dict[str, Words] = {}
    questions: dict[str, Words] = {}

    @property
    def audit_only(self) -> bool:
        return self.role == "audit"

    @property
    def describes(self) -> bool:
        """Shown in a group's profile: not a place, the outcome, the target flag, or a factor
        whose levels are a predictor under another name."""
        return self.describe and self.role in ("predictor", "descriptor", "audit")


def _levels(f: FactorDef) -> dict[str, Words]:
    """A factor's level labels; municipality codes named from the region catalog."""
    if f.levels_from != "municipalities":
        return f.levels
    from smartstart.sources._regions import municipality_names

    names = municipality_names()
    return {**{c: Words(nl=n, en=n) for c, n in sorted(names.items())}, **f.levels}


def _factor(name: str, unit: str, f: FactorDef) -> Factor:
    d = f.units[unit]
    return Factor(name=name, unit=unit, nl=f.nl, en=f.en, type=f.type, role=f.role,
                  sources=f.sources, columns=f.columns, period=f.period, same_as=d.same_as,
                  within=d.within, describe=d.describe, levels=_levels(f), label_no=f.label_no,
                  phrases=f.phrases, questions=f.questions)


def factors() -> dict[str, dict[str, Factor]]:
    """{unit: {name: Factor}} of the active library (the pilot's outcome is ``outcome_factor``)."""
    return _factors(library())


_BY_LIBRARY: dict[int, tuple[Library, dict[str, dict[str, Factor]]]] = {}


def _factors(lib: Library) -> dict[str, dict[str, Factor]]:
    known = _BY_LIBRARY.get(id(lib))
    if known is not None and known[0] is lib:
        return known[1]
    units: dict[str, dict[str, Factor]] = {"household": {}, "child": {}}
    for name, f in lib.factors.items():
        for unit in f.units:
            units[unit][name] = _factor(name, unit, f)
    _BY_LIBRARY[id(lib)] = (lib, units)
    return units


def person_counts() -> frozenset[str]:
    """The household factors that count persons (type ``count``: household size, children
    under 18): their mean times its n is a number of persons, a count of another unit."""
    return frozenset(n for n, f in factors()["household"].items() if f.type == "count")


def outcome_factor(name: str, unit: str = "child") -> Factor:
    """The pilot's outcome as a column of a unit's table, in the outcome's own words."""
    o = outcomes()[name]
    return Factor(name="outcome", unit=unit, nl=o.nl_short[:1].upper() + o.nl_short[1:],
                  en=o.en_short[:1].upper() + o.en_short[1:], type="binary", role="outcome",
                  sources=o.sources, columns=o.columns, period="window after P")


def outcomes() -> dict[str, OutcomeDef]:
    """{name: OutcomeDef} of the active library."""
    return library().outcomes


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
    #: (households, children) when the frames were let go (``counted``)
    counts: tuple[int, int] | None = None

    @property
    def rows(self) -> tuple[int, int]:
        """The households and children the tables have (or had, before ``counted``)."""
        return self.counts or (len(self.households), len(self.children))

    def counted(self) -> FeatureTables:
        """The same without rows: what a run keeps once the work tables are written."""
        # a copy: a slice of the frames would keep their arrays
        return replace(self, households=self.households.iloc[:0].copy(),
                       children=self.children.iloc[:0].copy(), counts=self.rows)


def build_features(db: Database, study: Study) -> FeatureTables:
    """Household and child tables of the residents on the peildatum (linking must have run,
    on the same study: the factors read the dates linking was given, ``db.dates``), built from
    the active library's definitions."""
    if db.dates != StudyDates.of(study):
        raise ValueError("the database was linked for another study (its dates differ)")
    lib = library()
    if study.outcome.name not in lib.outcomes:
        raise SourceError(f"study.outcome.name {study.outcome.name!r} is not in the outcome "
                          "library", hint="choose one of " + ", ".join(sorted(lib.outcomes)))
    outcome = lib.outcomes[study.outcome.name]
    if "target_households" not in {r[0] for r in db.con.execute("SHOW TABLES").fetchall()}:
        db.create("target_households", "SELECT NULL::VARCHAR AS household_id WHERE FALSE")
    db.create("events", tables_sql.events_sql(lib.factors, outcome, _viewer(db)))
    lacking = _lacking(db, study)  # every table the run reads has been looked up by now
    require_outcome(study.outcome.name, study.analyses, lacking)
    require_window(study, outcome.sources, db.years, db.dates.outcome_end)
    db.create("person_factors", tables_sql.sql_file("person_factors"))
    checks.guard_unique(db, "person_factors")
    n_hh = db.create("household_factors", tables_sql.sql_file("household_table").format(
        columns=tables_sql.unit_columns(lib.factors, "household", outcome)))
    _rule_target(db, study, lacking)
    population = lib.populations[study.population]
    n_child = db.create("child_factors", tables_sql.sql_file("child_table").format(
        columns=tables_sql.unit_columns(lib.factors, "child", outcome),
        population=population.where))
    db.record("huishoudens", db.count("person_factors"), n_hh, "één rij per huishouden",
              ("households", "one row per household"), changes_unit=True)
    _record_population(db, population, study.population, n_child)
    if n_child == 0:
        checks.no_children(study)
    if not any(d.factor == "outcome" and d.unit == "child" for d in lacking):
        _require_cases(db, study, outcome)
    # by municipality first (a library with the factor gemeente): the order of the work
    # tables (``_to_work.by_place``), made here rather than by sorting a national frame again
    units = lib.factors["gemeente"].units if "gemeente" in lib.factors else {}
    db.beside_frames()  # the frames come now: DuckDB gives back half of its memory
    households = db.compact_frame("SELECT * FROM household_factors ORDER BY "
                                  + ("gemeente, " if "household" in units else "")
                                  + "household_id")
    children = db.compact_frame("SELECT * FROM child_factors ORDER BY "
                                + ("gemeente, " if "child" in units else "")
                                + "household_id, RINPERSOON")
    return FeatureTables(_drop(households, lacking, "household"),
                         _drop(children, lacking, "child"), lacking,
                         tuple(db.years_used.values()))


def require_window(study: Study, sources, years, outcome_end) -> None:
    """The outcome counts what starts from the peildatum up to ``outcome_end``: each of its
    delivered tables (``sources``; ``years(table)``: its delivered years) must reach that
    far. A window past the newest year of a table would count its later events as absent, and
    every rate, profile and model would read too low without a word (helper-41: a peildatum
    of 2021-06-01 with three years on a delivery up to 2022 ran). A table's year is read as
    the events up to 31 December of that year. ``pipeline.preflight`` checks it before
    linking, from the store's manifest."""
    from datetime import date, timedelta

    last = outcome_end - timedelta(days=1)
    short = [(t, max(years(t))) for t in sources if years(t) and date(max(years(t)), 12, 31) < last]
    if not short:
        return
    newest = min(year for _, year in short)
    tables = ", ".join(f"{t} ({y})" for t, y in short)
    n = study.outcome.window_years
    fits = max(newest + 1 - study.peildatum.year - (study.peildatum > date(
        study.peildatum.year, 1, 1)), 0)
    raise SourceError(
        f"the outcome {study.outcome.name} counts what starts from {study.peildatum} up to "
        f"{last} (window_years: {n}), but the delivery of {tables} ends in that year: later "
        "events are not in it, so the outcome would be too rare",
        hint=f"choose a peildatum of {newest + 1 - n}-01-01 or earlier"
             + (f", or study.outcome.window_years: {fits}" if fits else "")
             + ", or ingest the newer years")


def _record_population(db: Database, population, name: str, n: int) -> None:
    """The flow from the residents to the population: one step, or one per condition of its
    ``steps``, so that everyone left out for a reason a reader may not expect is counted."""
    residents = db.count("person_factors")
    if not population.steps:
        db.record(population.nl_short, residents, n, f"inwoners in de populatie: {population.nl}",
                  (population.en_short, f"residents in the population: {population.en}"))
        return
    conditions = [f"({step.where})" for step in population.steps]
    counts = db.frame("SELECT " + ", ".join(
        f"count(*) FILTER (WHERE {' AND '.join(conditions[:i + 1])}) AS s{i}"
        for i in range(len(conditions))) + " FROM person_factors AS c").iloc[0].tolist()
    if counts[-1] != n:
        raise SourceError(f"population {name}: its steps together select {counts[-1]} residents, "
                          f"its filter (where) {n}",
                          hint="the steps of a population are its where, one condition at a time")
    before = residents
    for step, after in zip(population.steps, counts, strict=True):
        db.record(step.nl, before, int(after), step.why_nl, (step.en, step.why_en))
        before = int(after)


def _rule_target(db: Database, study: Study, lacking: tuple[NotDelivered, ...]) -> None:
    """A target group by register rule: the households whose rule factor has the level."""
    rule = study.target_group
    if not isinstance(rule, TargetRule):
        return
    missing = [d.missing for d in lacking if d.unit == "household" and d.factor == rule.rule]
    if missing:
        raise SourceError(f"study.target_group.rule {rule.rule} needs {missing[0]}, which the "
                          "store does not have", hint="ingest it, or choose another rule")
    # the rule names a household factor of the library (checked when the pilot is loaded)
    binary = factors()["household"][rule.rule].type == "binary"
    column = rule.rule if binary else f"CAST({rule.rule} AS VARCHAR)"
    value: object = (rule.level == "True") if binary else rule.level
    db.con.execute(f"UPDATE household_factors SET target_group = coalesce({column} = $level, "
                   "FALSE)", {"level": value}).fetchall()
    n = db.count("household_factors WHERE target_group")
    nl, en = _rule_words(rule)
    db.record("doelgroep: huishoudens", db.count("household_factors"), n,
              f"{rule.label_nl} ({nl}; regel uit het register: {rule.rule} = {rule.level})",
              ("target group: households", f"{rule.label_en} ({en}; rule from the register: "
               f"{rule.rule} = {rule.level})"))
    if n == 0:
        raise SourceError(f"no household has {rule.rule} = {rule.level} on "
                          f"{study.peildatum}: the target group is empty",
                          hint="check study.target_group.rule and level")


def _rule_words(rule: TargetRule) -> tuple[str, str]:
    """The rule in the library's words, Dutch and English: 'belangrijkste uitkering is
    bijstandsuitkering' for main_benefit = 3, 'kind met jeugdhulp' for a binary factor that is
    true (the flow said 'huishoudens met main_benefit = 3'; helper-41)."""
    from smartstart.analyses._common import lower_first

    factor = factors()["household"][rule.rule]
    if factor.type == "binary":
        no = factor.label_no or Words(nl=f"niet: {factor.nl}", en=f"not: {factor.en}")
        words = Words(nl=factor.nl, en=factor.en) if rule.level == "True" else no
        return lower_first(words.nl), lower_first(words.en)
    level = factor.levels.get(rule.level, Words(nl=rule.level, en=rule.level))
    return (f"{lower_first(factor.nl)} is {level.nl}", f"{lower_first(factor.en)} is {level.en}")


def _viewer(db: Database):
    """The view an event reads: a spell table (BUS) whole; a yearly table (TAB) for the data
    year, or, for the outcome, every delivered year of the outcome window."""
    catalog = load_catalog()

    def view(event, in_window: bool) -> str:
        if catalog.table(event.table).kind != "TAB":
            return db.table(event.table)
        if not in_window:
            return db.table(event.table, db.dates.data_year)
        first, last = db.dates.peildatum.year, db.dates.outcome_end.year
        years = [y for y in db.years(event.table) if first <= y <= last]
        if not years:
            return db.table(event.table)  # absent (an empty view), or no year in the window
        parts = [db.table(event.table, y) for y in years]
        name = f"{event.table.lower()}_window"
        union = " UNION ALL BY NAME ".join(f"SELECT * FROM {p}" for p in parts)
        db.con.execute(f"CREATE OR REPLACE VIEW {name} AS {union}").fetchall()
        return name

    return view


def _lacking(db: Database, study: Study) -> tuple[NotDelivered, ...]:
    """The factors the delivery cannot give; the outcome by the tables of the pilot's outcome."""
    units = factors()
    child = {**units["child"], "outcome": outcome_factor(study.outcome.name)}
    return not_delivered({**units, "child": child}, db.absent, db.absent_columns)


def _require_cases(db: Database, study: Study, outcome: OutcomeDef) -> None:
    """An outcome with no case at all stops the run, naming the tables and what they cover."""
    if db.count("child_factors WHERE outcome") > 0:
        return
    ranges = {}
    for event in outcome.events:
        r = checks.spell_range(db, db.table(event.table), event.start, event.end or event.start)
        ranges[event.table] = f"{r['spells']:,} rows from {r['first_start']} to {r['last_end']}"
    checks.no_outcome(study, outcome.sources, db.dates.outcome_end, ranges)


def _drop(table: pd.DataFrame, lacking: tuple[NotDelivered, ...], unit: str) -> pd.DataFrame:
    return table.drop(columns=[d.factor for d in lacking if d.unit == unit], errors="ignore")


def labels_frame(outcome: str) -> pd.DataFrame:
    """The words of every factor of the active library and of the pilot's outcome: one row per
    factor (level "") and per level with a label of its own; the bundle's ``labels.csv``."""
    rows = []
    seen = set()
    every = [f for units in factors().values() for f in units.values()]
    for f in [*every, outcome_factor(outcome)]:
        if f.name in seen:
            continue
        seen.add(f.name)
        base = {"variable": f.name, "type": f.type, "role": f.role, "period": f.period}
        rows.append({**base, "level": "", "label_nl": f.nl, "label_en": f.en})
        levels = {code: (w.nl, w.en) for code, w in f.levels.items()}
        if f.label_no is not None and "False" not in levels:
            levels["False"] = (f.label_no.nl, f.label_no.en)
        rows += [{**base, "level": code, "label_nl": nl, "label_en": en}
                 for code, (nl, en) in levels.items()]
    return pd.DataFrame(rows)


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
    for name, outcome in outcomes().items():
        rows.append({"unit": "outcome", "factor": name, "tables": ", ".join(outcome.sources),
                     "columns": ", ".join(outcome.columns) or "–",
                     "optional": "no (when the risk model is asked for)"})
    return pd.DataFrame(rows)


def requirements_markdown() -> str:
    """The README's table of what each factor and outcome needs (``python -m
    smartstart.features`` prints it)."""
    table = requirements()
    lines = ["| unit | factor | tables | columns | optional |", "|---|---|---|---|---|"]
    lines += [f"| {r.unit} | `{r.factor}` | {r.tables} | {r.columns} | {r.optional} |"
              for r in table.itertuples()]
    return "\n".join(lines)
