"""Errors by kind, for every step of a run.

* ``LackOfData``: an analysis the pilot asked for cannot be done on this data (too few
  households for a typology, no events for a model). It is expected: ``outputs.publish``
  catches this type, and only this type, and the bundle, the summary and the report say why.
* ``SourceError`` (from ``smartstart.sources.errors``): bad input or an empty result whose likely
  cause can be named (a municipality code, a date format). The CLI prints it and exits 1.
* ``UsageError`` (a ValueError): a command given something it cannot use (a region, a folder
  that is no bundle, a language). The CLI prints it and exits 1.
* Anything else is a bug: it propagates and fails the run.
"""

from __future__ import annotations

from typing import Literal

from smartstart._usage import UsageError
from smartstart.sources.errors import SourceError, rebuilt

__all__ = ["DuplicateKeys", "Empty", "EmptyStep", "LackOfData", "LackReason", "SourceError",
           "UsageError"]

#: why an analysis could not run, as a typed status (translated at the edge: report, CLI)
LackReason = Literal["too_few_households", "too_few_children", "too_few_events",
                     "no_variation", "no_combination", "no_target_group", "other"]


class LackOfData(Exception):
    """Too little data for an analysis: named, expected, reported; never a bug.

    ``detail`` is written into the bundle's manifest and the report: it must not contain a
    count of persons or households (a small count would leave without disclosure control).
    """

    def __init__(self, reason: LackReason, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason: LackReason = reason
        self.detail = detail

    def __reduce__(self):  # a spawned worker's lack of data reaches the run whole
        return rebuilt, (type(self), self.args, self.__dict__)


#: a step of linking that found nothing (the run stops: no analysis means anything then)
EmptyStep = Literal["residents", "households", "children", "target_group", "outcome"]


class Empty(SourceError):
    """A linking step found nothing: the message names the likely cause; no bundle is written."""

    def __init__(self, step: EmptyStep, message: str, *, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.step: EmptyStep = step


class DuplicateKeys(SourceError):
    """A person (or spell) occurs more than once in a table the run reads: it would be counted
    twice. Names the table, its file, the key columns and how many keys."""

    def __init__(self, table: str, file: str, columns: tuple[str, ...], count: int,
                 example: str) -> None:
        super().__init__(f"{file}: {count} key(s) of {table} occur more than once "
                         f"({', '.join(columns)}; e.g. {example}); a duplicated person would be "
                         "counted twice",
                         hint="remove the duplicates from the delivery (or ask CBS) and ingest "
                              "again")
        self.table, self.file, self.columns, self.count = table, file, columns, count


#: the names of the target group's kinds (``pilot.TargetKind``): pydantic puts the kind it
#: validated in an error's path, which the pilot's writer did not write
TARGET_KINDS = ("one partner file", "several partner files", "a register rule")
UNION_TAGS = frozenset(TARGET_KINDS)


def problems_of(error: object) -> str:
    """A pydantic ValidationError's problems on one line: ``field.path: message; ...``, in the
    pilot's own field names (no union tags or validator names), without pydantic's 'Value
    error, ' and with the date format named where a date could not be read."""
    said = []
    for e in error.errors():  # type: ignore[attr-defined]
        loc = ".".join(str(p) for p in e["loc"] if str(p) not in UNION_TAGS and "[" not in str(p))
        msg = e["msg"].removeprefix("Value error, ")
        if str(e.get("type", "")).startswith(("date_", "datetime_")):
            msg += " (write a date as YYYY-MM-DD, e.g. 2020-01-01)"
        said.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(dict.fromkeys(said))
