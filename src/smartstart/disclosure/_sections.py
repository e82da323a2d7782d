"""A region run's sections in the register: one municipality's statements among the region's.

A ``per_gemeente`` run publishes, beside the region's bundle, every municipality's own
(``outputs/_sections``). Whoever receives them holds them all, so the register reads them
together: a section's statement is about its municipality's units only (``gemeente`` in its
code is added to every term), and variables that a section's own model made (its household
types) are the section's own: type 1 of Goirle is not type 1 of the region.
"""

from __future__ import annotations

from collections.abc import Sequence

from smartstart.disclosure._statements import Statement, level_text

#: variables whose meaning is the same in every section and the region: where one lives, and
#: the target group (the factor library's factors and outcomes are added when asked)
PLACES = ("gemeente", "wijk", "buurt", "target_group")


def shared_variables() -> frozenset[str]:
    """Variables that mean the same for every municipality: the active library's factors and
    outcomes, the places and the target group. Anything else a statement names is derived by
    the analysis of one section (types, deciles, a flag) and is that section's own."""
    from smartstart.features import factors, outcomes  # the library, read when asked

    names = {name for unit in factors().values() for name in unit}
    return frozenset(names | set(outcomes()) | set(PLACES) | {"outcome"})


def in_section(statement: Statement, code: str,
               shared: frozenset[str] | None = None) -> Statement:
    """``statement`` of municipality ``code``'s section as a statement of the run's register:
    every term restricted to units living in ``code``, and derived variables renamed to the
    section's own (``type@0784``)."""
    shared = shared_variables() if shared is None else shared
    place = ("gemeente", "in", (level_text(code),))  # spelled as the region's rows spell it
    terms = tuple((sign, tuple((var if var in shared else f"{var}@{code}", op, values)
                               for var, op, values in conds) + (place,))
                  for sign, conds in statement.terms)
    return Statement(statement.output, statement.row, statement.column, statement.unit,
                     terms, statement.value, statement.upper, statement.lower)


def one_per_kind(statements: Sequence[Statement]) -> list[Statement]:
    """The sections' own variables of one kind as one variable (``type@0784``, ``type@0785``
    -> ``type@section``), for the register's LP: exact, because every statement that names
    ``type@0784`` is about the units of 0784 only (``in_section``). A unit of 0784 is counted
    by no statement about ``type@0785``, so which value that variable has there is free; the
    joint table needs one such variable, not one per section, and its cliques shrink by the
    product of the others' levels (nine sections of a region had not been solved in eight
    minutes). A variable named with ``@`` in a term without its own municipality stays as it
    is."""
    place: dict[str, str] = {}  # section variable -> its municipality as the terms spell it
    kept: set[str] = set()
    for st in statements:
        for _, conds in st.terms:
            where = {values[0] for var, op, values in conds
                     if var == "gemeente" and op == "in" and len(values) == 1}
            for var, _, _ in conds:
                if "@" not in var:
                    continue
                code = level_text(var.rpartition("@")[2])
                if where != {code} or place.setdefault(var, code) != code:
                    kept.add(var)
    merged = {var: var.rpartition("@")[0] + "@section" for var in place if var not in kept}
    kinds = {name for name in merged.values()}
    if not merged or any(var in kinds for var in kept):
        return list(statements)
    return [Statement(st.output, st.row, st.column, st.unit,
                      tuple((sign, tuple((merged.get(var, var), op, values)
                                         for var, op, values in conds))
                            for sign, conds in st.terms),
                      st.value, st.upper, st.lower) for st in statements]
