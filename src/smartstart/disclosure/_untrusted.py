"""Rules and settings as a bundle states them, which anyone may have edited: read whole and
validated before anything is computed from them (`smartstart check`).

Every reason a statement cannot be used is named at once in :class:`Unreadable`. What passes
has the types the gate's checks expect and names the columns they read, so an error left in a
check is a bug of the check and fails with its trace, not a problem of the bundle.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from pydantic import TypeAdapter, ValidationError

from smartstart.disclosure._gate import REGRESSION_NUMBERS, Rules
from smartstart.disclosure._options import Settings

_SETTINGS = TypeAdapter(Settings)


class Unreadable(ValueError):
    """What a bundle states cannot be used as it is: every reason, named."""

    def __init__(self, reasons: Iterable[str]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


def _reasons(error: ValidationError) -> list[str]:
    return [f"{'.'.join(map(str, e['loc'])) or 'the whole'}: {e['msg']}" for e in error.errors()]


def settings_from(data: object) -> Settings:
    """The disclosure settings a bundle states (an absent statement: the CBS defaults)."""
    try:
        return _SETTINGS.validate_python({} if data is None else data)
    except ValidationError as error:
        raise Unreadable(_reasons(error)) from None


def rules_from(data: object, frame: pd.DataFrame) -> Rules:
    """A table's stated rules, when they have the gate's types and fit the table they describe
    (``check_published`` can apply them to it)."""
    try:
        rules = Rules.from_dict(data)
    except ValidationError as error:
        raise Unreadable(_reasons(error)) from None
    reasons = _against(rules, frame)
    if reasons:
        raise Unreadable(reasons)
    return rules


def _against(rules: Rules, frame: pd.DataFrame) -> list[str]:
    """What in ``rules`` the table cannot carry: columns the checks read that it lacks, that
    hold something other than numbers where numbers are read, or that it has twice."""
    have = set(frame.columns)
    needed: list[tuple[str, str]] = []  # (rule, column): must be there
    numeric: list[tuple[str, str]] = []  # and hold numbers
    numeric += [("counts", c) for c in rules.counts if c in have]
    numeric += [("shares", c) for pair in rules.shares if set(pair) <= have for c in pair]
    if rules.nested is not None:
        needed.append(("nested", rules.nested[0]))
        numeric += [("nested", c) for c in rules.nested[1:]]
    if rules.groups is not None:
        needed.append(("groups", rules.groups[0]))
        numeric += [("groups", c) for c in rules.groups[1:3]]
    if rules.complement_when is not None:
        needed.append(("complement_when", rules.complement_when[0]))
    if rules.denominators is not None:
        for group, *columns in rules.denominators[2]:
            if group and set(columns) <= have:
                needed.append(("denominators", group))
    if rules.precision_rows is not None:
        if set(rules.precision_rows) <= have:
            numeric.append(("precision_rows", rules.precision_rows[1]))
    else:
        numeric += [("precision", c) for c, _ in rules.precision if c in have]
    if rules.likelihood and rules.likelihood_n is not None \
            and {"bic", "aic", "n_parameters"} <= have:
        numeric += [("likelihood", c) for c in ("bic", "aic", "n_parameters")]
    if rules.regression:
        needed += [("regression", "check"), ("regression", "value")]
    reasons = [f"{rule}: the table has no column {column!r}" for rule, column in needed + numeric
               if column not in have]
    twice = frame.columns[frame.columns.duplicated()]
    reasons += [f"{rule}: the table has column {column!r} twice"
                for rule, column in dict.fromkeys(needed + numeric) if column in twice]
    if reasons:
        return reasons
    reasons += [f"{rule}: column {column!r} holds values that are not numbers"
                for rule, column in dict.fromkeys(numeric) if not _numbers(frame[column])]
    if rules.rounded is not None and rules.rounded < 1:
        reasons.append(f"rounded: a rounding base of {rules.rounded}")
    if rules.regression:
        reasons += _regression(frame)
    return reasons


def _regression(frame: pd.DataFrame) -> list[str]:
    values = dict(zip(frame["check"].astype(str), frame["value"], strict=True))
    return [f"regression: no number for {row!r} in column 'value'" for row in REGRESSION_NUMBERS
            if row not in values or not _numbers(pd.Series([values[row]])) or pd.isna(values[row])]


def _numbers(column: pd.Series) -> bool:
    """Whether the column reads as numbers (blank cells allowed), as the checks read it."""
    try:
        column.astype(float)
    except (TypeError, ValueError):  # text, dates: the one conversion a stated column must take
        return False
    return True
