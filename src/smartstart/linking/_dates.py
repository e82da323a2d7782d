"""The dates a run derives from the pilot's study, computed once and read by every step.

``StudyDates.of(study)`` is built once per run (``link`` does it) and never changed: linking,
the factor library and the checks read the same frozen values, and the SQL files bind them by
name (``$peildatum``, ``$year_before``, ``$gemeenten``, ...), never formatted into the text.
The target group's windows are the partners' own (one per partner file): they travel as a small
table (``partner_windows``: partner, window_start, window_end) that the partner SQL joins, so
each partner's rows are judged against that partner's window in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, timedelta

from smartstart.pilot import Study

#: the days before the peildatum the "in the last 12 months" factors look back (synth's truth
#: defines them over the same 365 days)
LOOKBACK_DAYS = 365
#: the most municipalities the flow's reasons name by code (more: their number)
NAMED = 5


@dataclass(frozen=True)
class PartnerWindow:
    """One partner file's window: its clients count when their period overlaps it."""

    partner: str
    start: date
    end: date


@dataclass(frozen=True)
class StudyDates:
    """Every date and year of a run, with the municipalities and outcome the SQL binds."""

    #: the pilot's municipality codes (one or several); SQL binds them as a list
    gemeenten: tuple[str, ...]
    peildatum: date
    #: VSLGWBTAB (addresses -> wijk, buurt) is read for the peildatum's own year
    area_year: int
    #: yearly tables (income, education, pupils, early school leaving) for the year before
    data_year: int
    #: first day of the 12 months before the peildatum (``LOOKBACK_DAYS``)
    year_before: date
    #: an outcome counts when it starts in [peildatum, outcome_end)
    outcome_end: date
    outcome: str
    #: each partner file's window (in the pilot's order); empty without partner files
    windows: tuple[PartnerWindow, ...] = ()

    @classmethod
    def of(cls, study: Study) -> StudyDates:
        return cls(gemeenten=study.municipalities, peildatum=study.peildatum,
                   area_year=study.peildatum.year, data_year=study.peildatum.year - 1,
                   year_before=study.peildatum - timedelta(days=LOOKBACK_DAYS),
                   outcome_end=years_after(study.peildatum, study.outcome.window_years),
                   outcome=study.outcome.name,
                   windows=tuple(PartnerWindow(tg.partner_file, tg.window.start, tg.window.end)
                                 for tg in study.partner_groups))

    def bound(self, names: Iterable[str]) -> dict[str, object]:
        """The values of the SQL parameters ``names`` (DuckDB refuses unused ones)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(names) - known)
        if unknown:
            raise KeyError(f"SQL parameter(s) {', '.join(unknown)} are not study dates "
                           f"(known: {', '.join(sorted(known))})")
        return {name: _sql_value(getattr(self, name)) for name in set(names)}

    @property
    def places(self) -> str:
        """The municipalities for the flow's Dutch reasons: ``0784`` or ``0784, 0855``; more
        than ``NAMED`` as their number (helper-44: a national run listed 48 codes, twice)."""
        return self._places("een van de {n} gemeenten van de pilot")

    @property
    def places_en(self) -> str:
        """``places`` in English."""
        return self._places("one of the pilot's {n} municipalities")

    def _places(self, many: str) -> str:
        if len(self.gemeenten) <= NAMED:
            return ", ".join(self.gemeenten)
        return many.format(n=len(self.gemeenten))


def _sql_value(value: object) -> object:
    """A tuple binds as a DuckDB list (``list_contains($gemeenten, gem)``)."""
    return list(value) if isinstance(value, tuple) else value


def years_after(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March in a year without it."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28) + timedelta(1)
