"""What a published table states about counts of units, as sets of units: the register's input.

Every count column of an output is declared (``Rules.cells``) as the number of units that meet
some conditions, partly fixed for the column (``count_target``: in the target group; ``events``:
with the outcome) and partly taken from the row (the factor and level of a profile row, the
factors of a combination, the type of a typology row). A :class:`Statement` is one published
cell so read: ``sum(sign * #units meeting conds for sign, conds in terms) == value``; a blank
cell is a statement with an unknown value that its label may bound (``<10``: at most 9).

The declaration (``cells``, a JSON-ready dict):

- ``unit``: the units counted (``household``, ``child``, ``partner_row``); statements about
  different units never constrain each other.
- ``row``: how a row adds conditions: ``["level", factor_col, level_col, type_col]`` (a
  profile row: a binary factor's count is its "yes", a category's its level, a mean's its known
  values), ``["set", col]`` (factors joined by ``+``, each "yes"), ``["pair", var_col,
  value_col]`` (variable named in one column, its value in another), ``["value", col, var]``,
  ``["keys", key_col, value_col]`` (one statement per named row of a check/value table), or
  ``[]``.
- ``columns``: column (or key) -> terms ``[[sign, [[variable, "in" | "not", [values]], ...]],
  ...]``; a value ``"@col"`` is the row's value in ``col``.
- ``whole``: columns that count the row's units with any known value of its variable (the n
  of a share or a mean) instead of its level.
- ``total``: a row value in the ``value`` template meaning "all" (the total row).
- ``merged``: a value in the ``pair`` template meaning "every value no other row of the same
  variable names" (small groups merged into ``overig``).
- ``within``: ``[[inner, outer], ...]`` conditions: every unit meeting ``inner`` meets
  ``outer`` (a household type exists only in the target group), stated as a zero count.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: any known value of a variable
KNOWN = "*"
Condition = tuple[str, str, tuple[str, ...]]
Term = tuple[int, tuple[Condition, ...]]
BINARY = {"binary"}
MEANS = {"numeric", "count", "mean"}


@dataclass(frozen=True)
class Statement:
    """One published (``value``) or blank (``value`` None, between ``lower`` and ``upper``)
    count."""

    output: str
    row: int
    column: str
    unit: str
    terms: tuple[Term, ...]
    value: float | None
    upper: float = float("inf")
    lower: float = 0.0

    @property
    def where(self) -> str:
        return f"{self.output}[{self.row}, {self.column}]"


class Undeclared(ValueError):
    """A table's count declaration (``Rules.cells``, as a bundle states it) cannot be read:
    each problem named (a bundle edited by hand, or made by another tool)."""


#: a row template's kind and the columns of the frame it names, by position
TEMPLATES = {"level": (1, 2, 3), "set": (1,), "pair": (1, 2), "value": (1,), "keys": (1, 2)}
#: a row template's length
ARITY = {"level": 4, "set": 2, "pair": 3, "value": 3, "keys": 3}


def declaration_problems(name: str, frame: pd.DataFrame, cells: object) -> list[str]:
    """What keeps ``statements_of`` from reading ``cells`` for ``frame``: its shape (the
    module's docstring), and the columns of ``frame`` it names. Empty when it can be read."""
    if not isinstance(cells, Mapping):
        return [f"{name}: cells is not a mapping"]
    problems = []
    if not isinstance(cells.get("unit"), str):
        problems.append(f"{name}: cells.unit is not a name")
    template = cells.get("row") or []
    named: list[object] = []
    if not isinstance(template, list | tuple):
        problems.append(f"{name}: cells.row is not a list")
    elif template:
        kind = template[0]
        if kind not in TEMPLATES or len(template) != ARITY[kind]:
            problems.append(f"{name}: cells.row {template!r} is not one of "
                            f"{', '.join(sorted(TEMPLATES))} with its columns")
        else:
            named += [template[i] for i in TEMPLATES[kind]]
    columns = cells.get("columns") or {}
    if not isinstance(columns, Mapping):
        problems.append(f"{name}: cells.columns is not a mapping")
        columns = {}
    for column, terms in columns.items():
        shape = _terms_problem(terms)
        if shape:
            problems.append(f"{name}: cells.columns[{column!r}]: {shape}")
        else:
            named += [str(v)[1:] for _, conditions in terms for _, _, values in conditions
                      for v in values if str(v).startswith("@")]
    for key in ("whole", "within"):
        if not isinstance(cells.get(key) or [], list | tuple):
            problems.append(f"{name}: cells.{key} is not a list")
    within = cells.get("within") or []
    for pair in within if isinstance(within, list | tuple) else []:
        if not (isinstance(pair, list | tuple) and len(pair) == 2
                and all(_condition_problem(c) is None for c in pair)):
            problems.append(f"{name}: cells.within {pair!r} is not two conditions")
    # read row by row: a table without rows (no types found) may lack its columns too
    missing = sorted({str(c) for c in named if c not in frame.columns}) if len(frame) else []
    if missing:
        problems.append(f"{name}: cells names columns the table does not have: "
                        f"{', '.join(missing)}")
    return problems


def _terms_problem(terms: object) -> str | None:
    if not isinstance(terms, list | tuple):
        return "not a list of terms"
    for term in terms:
        if not (isinstance(term, list | tuple) and len(term) == 2 and term[0] in (1, -1)
                and isinstance(term[1], list | tuple)):
            return f"term {term!r} is not [1 or -1, conditions]"
        for condition in term[1]:
            problem = _condition_problem(condition)
            if problem:
                return problem
    return None


def _condition_problem(condition: object) -> str | None:
    if not (isinstance(condition, list | tuple) and len(condition) == 3
            and condition[1] in ("in", "not") and isinstance(condition[2], list | tuple)):
        return f"condition {condition!r} is not [variable, in or not, values]"
    return None


def level_text(value: object) -> str:
    """A value as the register spells it: booleans as 1/0, whole floats without ``.0``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value).strip()
    lowered = text.lower()
    if lowered in ("true", "yes", "ja"):
        return "1"
    if lowered in ("false", "no", "nee"):
        return "0"
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def statements_of(name: str, frame: pd.DataFrame, cells: Mapping[str, object],
                  labels: Mapping[tuple[int, str], str] | None = None,
                  min_cell: int = 10) -> list[Statement]:
    """Every count cell of ``frame`` as a statement. ``labels``: (row position, column) ->
    the label shown for a blank cell: ``<10`` bounds it by ``min_cell - 1``, ``x`` by
    ``min_cell`` from below (the gate labels every blank count below ``min_cell`` ``<10``,
    ``disclosure._gate.label_counts``, so an attacker reads ``x`` as "at least 10")."""
    labels = labels or {}
    unit = str(cells["unit"])
    template = list(cells.get("row") or [])  # type: ignore[call-overload]
    columns: Mapping[str, list] = cells.get("columns") or {}  # type: ignore[assignment]
    whole = set(cells.get("whole") or ())  # type: ignore[call-overload]
    total = cells.get("total")
    out: list[Statement] = []
    for k, (inner, outer) in enumerate(cells.get("within") or ()):  # type: ignore[attr-defined]
        var, op, values = outer
        conds = (_condition(inner), (str(var), "not" if op == "in" else "in",
                                     tuple(map(str, values))))
        out.append(Statement(name, k, "within", unit, ((1, conds),), 0.0))
    if template and template[0] == "keys":
        return out + _keyed(name, frame, unit, template, columns)
    merged = _merged(frame, template, cells.get("merged"))
    for position, (_, row) in enumerate(frame.iterrows()):
        for column, terms in columns.items():
            if column not in frame.columns:
                continue
            own = merged.get(position) or _row_conditions(row, template, column in whole, total)
            if own is None:
                continue
            value = _number(row[column])
            label = labels.get((position, column))
            if value is None and label is None:  # blank as not applicable, not suppressed
                continue
            label = label or ""
            small = label.startswith("<")
            upper = float(min_cell - 1) if small else float("inf")
            lower = float(min_cell) if value is None and not small else 0.0
            out.append(Statement(name, position, column, unit,
                                 _terms(terms, row, own), value, upper, lower))
    return out


def _condition(c: Sequence) -> Condition:
    var, op, values = c
    return (str(var), str(op), tuple(map(str, values)))


def _merged(frame: pd.DataFrame, template: list, label: object
            ) -> dict[int, tuple[Condition, ...]]:
    """Rows of a merged group (``pair`` rows whose value is ``label``): every value of the
    variable that no other row names (small groups merged into one, and the missing)."""
    if not label or not template or template[0] != "pair":
        return {}
    var_col, value_col = template[1], template[2]
    out = {}
    for position, (_, row) in enumerate(frame.iterrows()):
        if str(row[value_col]) != str(label):
            continue
        var = str(row[var_col])
        others = tuple(sorted({level_text(v) for v, w in zip(frame[value_col], frame[var_col],
                                                              strict=True)
                               if str(w) == var and str(v) != str(label)}))
        out[position] = ((var, "not", others),)
    return out


def _keyed(name: str, frame: pd.DataFrame, unit: str, template: list,
           columns: Mapping[str, list]) -> list[Statement]:
    _, key_col, value_col = template
    out = []
    for position, (_, row) in enumerate(frame.iterrows()):
        key = str(row[key_col])
        if key in columns:
            out.append(Statement(name, position, key, unit, _terms(columns[key], row, ()),
                                 _number(row[value_col])))
    return out


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number


def _terms(terms: list, row: pd.Series, own: tuple[Condition, ...]) -> tuple[Term, ...]:
    out = []
    for sign, conditions in terms:
        fixed = tuple((str(var), str(op), tuple(_value(v, row) for v in values))
                      for var, op, values in conditions)
        out.append((int(sign), fixed + own))
    return tuple(out)


def _value(value: object, row: pd.Series) -> str:
    text = str(value)
    return level_text(row[text[1:]]) if text.startswith("@") else text


def _row_conditions(row: pd.Series, template: list, whole: bool, total: object
                    ) -> tuple[Condition, ...] | None:
    if not template:
        return ()
    kind = template[0]
    if kind == "level":
        factor, level, kind_of = (str(row[c]) for c in template[1:4])
        if whole or kind_of in MEANS:
            return ((factor, "in", (KNOWN,)),)
        return ((factor, "in", ("1" if kind_of in BINARY else level_text(level),)),)
    if kind == "set":
        names = [p for p in str(row[template[1]]).split("+") if p and p != "nan"]
        return tuple((p, "in", ("1",)) for p in names)
    if kind == "pair":
        var = str(row[template[1]])
        return ((var, "in", (KNOWN if whole else level_text(row[template[2]]),)),)
    if kind == "value":
        value = level_text(row[template[1]])
        if total is not None and value == level_text(total):
            return ()
        return ((str(template[2]), "in", (KNOWN if whole else value,)),)
    raise ValueError(f"unknown row template {kind!r}")


def conditions_vars(terms: tuple[Term, ...]) -> set[str]:
    return {var for _, conds in terms for var, _, _ in conds}


Labels = Mapping[tuple[int, str], str]
Key = tuple[Hashable, str]


def declare(unit: str, row: Sequence[str], columns: Mapping[str, Sequence[Term] | Sequence[
        Condition]], whole: Sequence[str] = (), total: str | None = None,
            within: Sequence[tuple[Condition, Condition]] = (), merged: str | None = None
            ) -> dict[str, object]:
    """A ``Rules.cells`` declaration. ``columns``: column -> terms, or simply the conditions
    of one positive term."""
    def terms(value: Sequence) -> list:
        if value and isinstance(value[0], (list, tuple)) and isinstance(value[0][0], int):
            return [[sign, [list(c) for c in conds]] for sign, conds in value]
        return [[1, [[var, op, list(values)] for var, op, values in value]]]

    out: dict[str, object] = {"unit": unit, "row": list(row),
                              "columns": {c: terms(v) for c, v in columns.items()},
                              "whole": list(whole)}
    if total is not None:
        out["total"] = total
    if merged is not None:
        out["merged"] = merged
    if within:
        out["within"] = [[[v, op, list(vals)] for v, op, vals in pair] for pair in within]
    return out


def yes(var: str, value: str = "1") -> Condition:
    return (var, "in", (value,))
