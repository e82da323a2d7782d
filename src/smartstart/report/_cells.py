"""Published tables with their disclosure verdict: how every cell is shown.

A suppressed cell is NaN in the bundle's table; the disclosure log lists every blank cell the
gate made with the label it published (``shown``: ``<10`` for a primary count, ``x`` for any
other suppressed value). Any other NaN is not applicable and shown as a dash. Never as 0 or
"nan".
"""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd

from smartstart.disclosure import Settings, label_of
from smartstart.report._text import interval, missing, number, percent, t
from smartstart.report._types import Lang

HIDDEN = "x"
NOT_APPLICABLE = "–"


def small_label(verdict: dict) -> str:
    """The label of a primary suppressed cell, as the gate publishes it."""
    return label_of("primary", Settings(**(verdict.get("settings") or {})))


class Published:
    """One table as published: ``show(row, column, kind)`` gives the text of a cell."""

    def __init__(self, frame: pd.DataFrame, verdict: dict | None, lang: Lang,
                 counts: tuple[str, ...] = ()) -> None:
        plain = frame.index.name is None and pd.api.types.is_integer_dtype(frame.index)
        self.frame = frame.reset_index(drop=plain)
        self.verdict = verdict or {}
        self.lang = lang
        self.counts = counts
        self.cells = list(self.verdict.get("suppressed") or [])
        self._labels = self._suppressed_labels()

    def __len__(self) -> int:
        return len(self.frame)

    def has(self, *columns: str) -> bool:
        return all(c in self.frame.columns for c in columns)

    def value(self, row: int, column: str) -> object:
        return self.frame[column].iloc[row]

    def show(self, row: int, column: str, kind: str = "text") -> str:
        """Text of one cell; ``kind``: text, int, pct, pct1, num1, num2, num3, auto, p, bool."""
        if column not in self.frame.columns:
            return NOT_APPLICABLE
        value = self.value(row, column)
        if missing(value):
            return self._labels.get((row, column), NOT_APPLICABLE)
        return fmt(value, kind, self.lang)

    def span(self, row: int, low: str, high: str, kind: str = "num2") -> str:
        """A confidence interval "(a–b)", or empty when a bound is missing."""
        if not self.has(low, high):
            return ""
        digits = {"pct": 0, "pct1": 1, "num1": 1, "num3": 3}.get(kind, 2)
        if kind == "auto":
            digits = auto_digits(self.value(row, high))
        return interval(self.value(row, low), self.value(row, high), self.lang,
                        "pct" if kind.startswith("pct") else "num", digits)

    def assign(self, **columns: object) -> Published:
        """A copy with extra (display) columns; the suppression labels stay."""
        copy = object.__new__(Published)
        copy.__dict__.update(self.__dict__)
        copy.frame = self.frame.assign(**columns)
        return copy

    @property
    def withheld(self) -> bool:
        """Whether any number in the table is suppressed (NaN in a suppressed cell)."""
        return bool(self._labels) or bool(self.cells)

    def _suppressed_labels(self) -> dict[tuple[int, Hashable], str]:
        """The label of every cell the gate blanked, by row position and column."""
        return {(int(row), column): label
                for row, column, label in self.verdict.get("shown") or []}


def fmt(value: object, kind: str, lang: Lang) -> str:
    """A present value in the report's style."""
    if kind == "text":
        return str(value)
    if kind == "bool":
        return t("yes" if _truthy(value) else "no", lang)
    if kind == "int":
        return number(float(value), lang, 0)
    if kind.startswith("pct"):
        return percent(float(value), lang, int(kind[3:] or 0))
    if kind == "auto":
        return number(float(value), lang, auto_digits(value))
    if kind == "p":
        return "<" + number(0.001, lang, 3) if float(value) < 0.001 else number(value, lang, 3)
    digits = int(kind[3:]) if kind.startswith("num") and kind[3:] else 2
    return number(float(value), lang, digits)


def auto_digits(value: object) -> int:
    """No decimals for large numbers (incomes), one for small ones (ages, sizes)."""
    return 0 if missing(value) or abs(float(value)) >= 100 else 1


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "ja", "yes"}
    return bool(value)
