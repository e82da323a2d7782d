"""Errors by kind, for every step of a run.

* ``LackOfData``: an analysis the pilot asked for cannot be done on this data (too few
  households for a typology, no events for a model). It is expected: ``outputs.publish``
  catches this type, and only this type, and the bundle, the summary and the report say why.
* ``SourceError`` (from ``smartstart.sources.errors``): bad input or an empty result whose likely
  cause can be named (a municipality code, a date format). The CLI prints it and exits 1.
* Anything else is a bug: it propagates and fails the run.
"""

from __future__ import annotations

from typing import Literal

from smartstart.sources.errors import SourceError

__all__ = ["LackOfData", "LackReason", "SourceError"]

#: why an analysis could not run, as a typed status (translated at the edge: report, CLI)
LackReason = Literal["too_few_households", "too_few_children", "too_few_events",
                     "no_variation", "no_combination", "no_target_group", "other"]


class LackOfData(Exception):
    """Too little data for an analysis: named, expected, reported; never a bug."""

    def __init__(self, reason: LackReason, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason: LackReason = reason
        self.detail = detail
