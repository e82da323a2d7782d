"""Which factors a delivery can give: a factor whose table or column is not delivered is left out
of the run, and said so (``NotDelivered``) in the summary, the manifest and the report.

The outcome is not optional when the risk model is asked for: its tables missing stops the run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from smartstart.errors import SourceError

#: analyses that need the outcome
NEEDS_OUTCOME = frozenset({"risk"})


@dataclass(frozen=True)
class NotDelivered:
    """A factor left out because the delivery lacks what it is computed from."""

    factor: str
    unit: str
    #: the missing table (``HALTBUS``) or column (``INHATAB.INHEHALGR``)
    missing: str
    reason: Literal["table_not_delivered", "column_not_delivered"]
    nl: str
    en: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def not_delivered(library, absent_tables: set[str], absent_columns) -> tuple[NotDelivered, ...]:
    """Every factor of ``library`` ({unit: {name: Factor}}) whose source is not delivered.

    ``absent_columns(table)`` gives the catalog columns the table read lacked.
    """
    found = []
    for unit, items in library.items():
        for factor in items.values():
            missing = _missing(factor, absent_tables, absent_columns)
            if missing:
                found.append(NotDelivered(factor.name, unit, missing[0][0], missing[0][1],
                                          factor.nl, factor.en))
    return tuple(found)


def require_outcome(outcome: str, analyses: tuple[str, ...],
                    lacking: tuple[NotDelivered, ...]) -> None:
    """The outcome's tables and columns must be there when an analysis needs the outcome."""
    missing = [d.missing for d in lacking if d.factor == "outcome" and d.unit == "child"]
    needing = sorted(NEEDS_OUTCOME.intersection(analyses))
    if missing and needing:
        raise SourceError(f"the outcome {outcome} needs {', '.join(missing)}, which the store "
                          f"does not have (the outcome is needed by: {', '.join(needing)})",
                          hint="ingest the youth-care tables, or remove the analysis from "
                               "study.analyses")


def _missing(factor, absent_tables: set[str], absent_columns) -> list[tuple[str, str]]:
    tables = [(t, "table_not_delivered") for t in factor.sources if t in absent_tables]
    columns = [(c, "column_not_delivered") for c in factor.columns
               if c.split(".", 1)[1] in absent_columns(c.split(".", 1)[0])]
    return tables + columns
