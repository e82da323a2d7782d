"""Published tables with their disclosure verdict: how every cell is shown.

A suppressed cell is NaN in the bundle's table; the disclosure log says which cells were
suppressed and why. It is shown as the bundle published it: the small-count label (``<10`` with
the pilot's minimum) for a primary cell when the gate used those labels, ``x`` for the others.
A NaN the log does not account for is shown as ``x`` when the output had suppressed cells and
as a dash (not applicable) otherwise. Never as 0 or "nan".
"""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd

from smartstart.report._text import interval, missing, number, percent, t
from smartstart.report._types import Lang

HIDDEN = "x"
NOT_APPLICABLE = "–"


def small_label(verdict: dict) -> str:
    """The label of a primary suppressed cell, as the gate published it (the log's labels
    mode and minimum; the text itself is in the dictionary)."""
    labels = (verdict.get("protection") or {}).get("labels", "small")
    minimum = (verdict.get("settings") or {}).get("min_cell", 10)
    return t("small_count", "nl", min_cell=minimum) if labels == "small" else HIDDEN


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
            return self._labels.get((row, column),
                                    HIDDEN if self.cells else NOT_APPLICABLE)
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
        """Suppressed cells of the log found in the table: the log names a cell by its
        labels (row keys and the group a count column is for, e.g. ``["0784", "target"]`` for
        ``count_target``); the small-count label only for a primary cell in a count column."""
        if not self.cells:
            return {}
        small = small_label(self.verdict)
        wanted = [({str(v) for v in c.get("cell", [])}, c.get("reason") == "primary")
                  for c in self.cells]
        keys = [c for c in self.frame.columns if c not in self.counts
                and not pd.api.types.is_float_dtype(self.frame[c])]
        found: dict[tuple[int, Hashable], str] = {}
        key_rows = self.frame[keys].astype(object)
        for position in range(len(self.frame)):
            names = {str(v) for v in key_rows.iloc[position] if not missing(v)}
            empty = list(self.frame.columns[self.frame.iloc[position].isna()])
            for labels, primary in wanted:
                for column in self._columns_of(labels, names, empty):
                    count = column in self.counts or not self.counts
                    found.setdefault((position, column), small if primary and count else HIDDEN)
        return found

    def _columns_of(self, labels: set[str], names: set[str], empty: list) -> list:
        """The empty columns of a row a log cell names: by the column's name (or its parts),
        else the row's only empty count column when the cell names the row."""
        direct = [c for c in empty if labels <= names | {str(c), *str(c).split("_")}]
        if direct or not labels & names:
            return direct
        counts = [c for c in empty if c in self.counts]
        return counts if len(counts) == 1 else []

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
