"""The factor and outcome library as data: ``factors.yaml`` and ``outcomes.yaml`` of the package,
plus a pilot's own folder of the same two files (``study.library``) that adds to them.

A run reads the library that is active: the package's, or the package's with a pilot's folder
added (``using(folder)``, which the pipeline enters for a pilot with a library). Adding a factor
or an outcome is a change to these data files only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from smartstart._yaml import safe_load
from smartstart.errors import SourceError, problems_of

Unit = Literal["household", "child"]
FactorType = Literal["binary", "count", "numeric", "category"]
Role = Literal["predictor", "descriptor", "audit", "place", "target", "outcome"]
OutcomeUnit = Literal["person", "household"]
#: the event windows a library names; any other window is SQL with {start} and {end}
WINDOWS = {
    "spell_year_before": "{start} < $peildatum "
                         "AND coalesce({end}, DATE '2050-12-31') >= $year_before",
    "event_year_before": "{start} < $peildatum AND {start} >= $year_before",
    "spell_on_date": "{start} <= $peildatum AND coalesce({end}, DATE '2050-12-31') >= $peildatum",
    "spell_to_year_before": "{start} <= $peildatum "
                            "AND coalesce({end}, DATE '2050-12-31') >= $year_before",
    "any": "TRUE",
    #: the outcome's window: an event that starts in [peildatum, outcome_end)
    "after": "{start} >= $peildatum AND {start} < $outcome_end",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Words(_Frozen):
    nl: str
    en: str


class UnitDef(_Frozen):
    """A factor at one unit: its SQL expression over the unit's frame and what it relates to."""

    sql: str
    missing: Literal["unknown", "no"] = "unknown"
    same_as: dict[str, str] = {}
    within: dict[str, str] = {}
    describe: bool = True


class EventDef(_Frozen):
    """A person-level flag from one event table: rows matching ``where`` in ``window``."""

    table: str
    start: str | None = None
    end: str | None = None
    where: str | None = None
    window: str = "after"
    #: an outcome that counts only for persons without such a spell on the peildatum (entry)
    not_on_date: bool = False

    def condition(self) -> str:
        window = WINDOWS.get(self.window, self.window)
        if ("{start}" in window and not self.start) or ("{end}" in window and not self.end):
            raise ValueError(f"event on {self.table}: window {self.window!r} needs "
                             "a start (and end) column")
        window = window.format(start=self.start, end=self.end)
        return f"({self.where}) AND ({window})" if self.where else f"({window})"

    def on_date(self) -> str:
        where = f"({self.where}) AND " if self.where else ""
        return where + "(" + WINDOWS["spell_on_date"].format(start=self.start, end=self.end) + ")"


class FactorDef(_Frozen):
    nl: str
    en: str
    type: FactorType
    role: Role
    period: str
    sources: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()
    levels: dict[str, Words] = {}
    #: "municipalities": the levels are municipality codes, named from the region catalog
    levels_from: Literal["municipalities"] | None = None
    label_no: Words | None = None
    phrases: dict[str, Words] = {}
    questions: dict[str, Words] = {}
    event: EventDef | None = None
    units: dict[Unit, UnitDef]


class OutcomeDef(_Frozen):
    """An outcome of ``outcomes.yaml``: who has it, the events that make it, its words and the
    default predictors of a risk model for it."""

    #: person: the person's own event; household: an event of any member of the household
    unit: OutcomeUnit = "person"
    nl: str
    en: str
    nl_short: str
    en_short: str
    events: tuple[EventDef, ...] = Field(min_length=1)
    columns: tuple[str, ...] = ()
    predictors: tuple[str, ...] = ()
    window_years: int = Field(3, ge=1, le=10)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.table for e in self.events))


class PopulationStep(_Frozen):
    """One condition of a population's filter, for the flow: who is left after it (``nl``,
    ``en``) and who drops out at it (``why_nl``, ``why_en``)."""

    where: str
    nl: str
    en: str
    why_nl: str
    why_en: str


class PopulationDef(_Frozen):
    """Whose rows the person table holds: a filter over a resident's person row, and words.
    ``steps``: the filter one condition at a time (over ``c``, the person row, only), so that the
    flow counts who drops out at each; together they are the filter (a run checks that)."""

    where: str
    nl: str
    en: str
    nl_short: str
    en_short: str
    steps: tuple[PopulationStep, ...] = ()


class Library(_Frozen):
    factors: dict[str, FactorDef]
    outcomes: dict[str, OutcomeDef]
    populations: dict[str, PopulationDef] = {}
    #: the pilot's folder that added to the package's library, if any
    folder: Path | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Library:
        bad = [n for n in (*self.factors, *self.outcomes) if not _NAME.fullmatch(n)]
        if bad:
            raise ValueError(f"{', '.join(bad)}: a name is lower-case letters, digits and _ "
                             "(it becomes a column name)")
        return self

    def cross_check(self, where: str) -> Library:
        """Every outcome's predictors are factors of the library with role predictor."""
        for name, outcome in self.outcomes.items():
            unknown = [p for p in outcome.predictors if p not in self.factors
                       or self.factors[p].role not in ("predictor", "audit")]
            if unknown:
                raise SourceError(f"{where}: outcome {name}: predictors {', '.join(unknown)} "
                                  "are not factors with role predictor",
                                  hint="name factors of factors.yaml with role predictor")
        return self


_NAME = re.compile(r"[a-z][a-z0-9_]*")
_ACTIVE: ContextVar[Library | None] = ContextVar("smartstart_library", default=None)


def library() -> Library:
    """The active library (the package's unless a pilot's folder was added)."""
    return _ACTIVE.get() or package_library()


@cache
def package_library() -> Library:
    base = resources.files("smartstart.features")
    def read(name: str) -> dict:  # the package's own files: libyaml's parser (smartstart._yaml)
        return _yaml(base.joinpath(name).read_text("utf-8"), name, fast=True)

    return _parse({"factors": read("factors.yaml").get("factors", {}),
                   "outcomes": read("outcomes.yaml"), "populations": read("populations.yaml")},
                  "the package's library").cross_check("the package's library")


def load_library(folder: Path) -> Library:
    """The package's library with a pilot's ``factors.yaml`` and/or ``outcomes.yaml`` added; a
    name that is already in the library is an error (say it again under a new name)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(f"{folder}: library folder not found",
                          hint="study.library names a folder with factors.yaml and/or "
                               "outcomes.yaml, relative to the pilot file")
    base = package_library()
    raw = {"factors": {}, "outcomes": {}}
    for key in raw:
        path = folder / f"{key}.yaml"
        if path.exists():
            data = _yaml(path.read_text("utf-8"), str(path))
            raw[key] = data.get("factors", {}) if key == "factors" else data
    if not any(raw.values()):
        raise SourceError(f"{folder}: no factors.yaml or outcomes.yaml in the library folder",
                          hint="add one of them, or remove study.library")
    clash = sorted(set(raw["factors"]) & set(base.factors)) + \
        sorted(set(raw["outcomes"]) & set(base.outcomes))
    if clash:
        raise SourceError(f"{folder}: {', '.join(clash)} already in smartstart's library",
                          hint="give your factor or outcome a name of its own")
    extra = _parse(raw, str(folder))
    merged = {"factors": {**base.factors, **extra.factors},
              "outcomes": {**base.outcomes, **extra.outcomes},
              "populations": base.populations, "folder": folder}
    return _parse(merged, str(folder)).cross_check(str(folder))


@contextmanager
def using(folder: Path | None) -> Iterator[Library]:
    """Make the package's library plus ``folder`` (None: the package's alone) the active one."""
    chosen = package_library() if folder is None else load_library(folder)
    token = _ACTIVE.set(chosen)
    try:
        yield chosen
    finally:
        _ACTIVE.reset(token)


def _yaml(text: str, where: str, *, fast: bool = False) -> dict:
    try:
        # a user's file: the pure-Python parser, whose message shows the line and a caret
        # (libyaml's does not)
        data = (safe_load(text) if fast else yaml.safe_load(text)) or {}
    except yaml.YAMLError as error:
        raise SourceError(f"{where}: not valid YAML ({error})", hint="fix the YAML syntax") \
            from None
    if not isinstance(data, dict):
        raise SourceError(f"{where}: expected a mapping of names", hint="see factors.yaml")
    return data


def _parse(raw: dict, where: str) -> Library:
    try:
        parsed = Library.model_validate(raw)
    except ValidationError as error:
        raise SourceError(f"{where}: invalid library entry: {problems_of(error)}",
                          hint="see the comments at the top of smartstart's factors.yaml and "
                               "outcomes.yaml") from None
    return parsed
