"""The SQL of the factor tables, built from the library: one column per factor of a unit (its
expression, with its missing-value rule), and the event flags every factor and the outcome read.

Expressions come from the library's data files (the package's, or a pilot's own folder); values
are never formatted in: dates and the municipality stay bound parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from smartstart.features._library import EventDef, FactorDef, OutcomeDef

#: the column of the pilot's outcome in the person, child and household tables
OUTCOME = "outcome"


@dataclass(frozen=True)
class Flag:
    """One person-level flag from one event table: ``bool_or(condition)`` per person."""

    column: str
    condition: str


def sql_file(name: str) -> str:
    return resources.files("smartstart.features").joinpath("sql", f"{name}.sql").read_text("utf-8")


def unit_columns(factors: dict[str, FactorDef], unit: str, outcome: OutcomeDef | None) -> str:
    """The SELECT list of a unit's table: each factor's expression AS its name."""
    parts = []
    for name, f in factors.items():
        if unit not in f.units:
            continue
        if f.role == "target" and outcome is not None:  # the outcome first, as before
            parts.append(_outcome_column(unit, outcome))
            outcome = None
        d = f.units[unit]
        expr = f"coalesce(({d.sql}), FALSE)" if d.missing == "no" else d.sql
        parts.append(f"{expr} AS {name}")
    if outcome is not None:
        parts.append(_outcome_column(unit, outcome))
    return ",\n       ".join(p for p in parts if p)


def _outcome_column(unit: str, outcome: OutcomeDef) -> str:
    """The outcome in a unit's table: a child's own (or its household's), a household's when
    the outcome is one of the household."""
    if unit == "household":
        return f"bool_or(h.{OUTCOME}) AS {OUTCOME}" if outcome.unit == "household" else ""
    frame = "h" if outcome.unit == "household" else "c"
    return f"coalesce({frame}.{OUTCOME}, FALSE) AS {OUTCOME}"


def events_sql(factors: dict[str, FactorDef], outcome: OutcomeDef | None,
               view: Callable[[EventDef, bool], str]) -> str:
    """Per resident one flag per event factor, plus the outcome; ``view(event, in_window)``
    gives the view to read (a yearly table: the data year, or the outcome window's years)."""
    flags: dict[str, list[Flag]] = {}
    finals: list[str] = []
    for name, f in factors.items():
        if f.event is not None:
            flags.setdefault(view(f.event, False), []).append(Flag(name, f.event.condition()))
            finals.append(f"coalesce({_cte(view(f.event, False))}.{name}, FALSE) AS {name}")
    if outcome is not None:
        parts = []
        for i, event in enumerate(outcome.events):
            source = view(event, True)
            column = f"{OUTCOME}_{i}"
            flags.setdefault(source, []).append(Flag(column, event.condition()))
            part = f"coalesce({_cte(source)}.{column}, FALSE)"
            if event.not_on_date:
                flags[source].append(Flag(f"{column}_on", event.on_date()))
                part = f"({part} AND NOT coalesce({_cte(source)}.{column}_on, FALSE))"
            parts.append(part)
        finals.append(f"({' OR '.join(parts)}) AS {OUTCOME}")
    ctes = [f"{_cte(source)} AS (\n    SELECT RINPERSOONS, RINPERSOON,\n           "
            + ",\n           ".join(f"bool_or({flag.condition}) AS {flag.column}"
                                    for flag in items)
            + f"\n    FROM {source} SEMI JOIN residents USING (RINPERSOONS, RINPERSOON)"
            "\n    GROUP BY ALL\n)" for source, items in flags.items()]
    joins = [f"LEFT JOIN {_cte(source)} USING (RINPERSOONS, RINPERSOON)" for source in flags]
    return sql_file("events").format(tables=", ".join(ctes),
                                     columns=",\n       ".join(finals),
                                     joins="\n".join(joins))


def _cte(view: str) -> str:
    return f"ev_{view}"
