"""Errors a user can act on: what went wrong, where, and what to do.

Ingest collects every problem of a delivery as a ``Problem`` (file, column, kind, count, what
was expected, what to do) and raises them together as one ``SourceError``, so one run names all
of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

#: the kind of a problem, as a typed status (tests and callers compare these, not sentences)
ProblemKind = Literal[
    "missing_column",      # a required column is not in the file
    "duplicate_column",    # two file columns map to one catalog column
    "unknown_codes",       # values outside a verified code list
    "key_not_nullable",    # --unknown-codes null would null a key column
    "bad_values",          # text in a number column, fractions in a whole-number column
    "duplicate_keys",      # a key (with the spell start for BUS tables) occurs more than once
    "year",                # the table year cannot be told from the file's columns
    "unreadable",          # damaged, truncated, wrong format, wrong CSV separator or encoding
    "conflict",            # two files claim the same table, year and version
    "pin",                 # a pin names a version or table that was not delivered
    "extension",           # named like a CBS table but not .sav/.csv/.parquet
    "changed",             # the file changed while it was read
    "not_writable",        # the store cannot be written (read-only, full disk, locked)
    "missing_layer",       # a boundaries file lacks a layer (buurten, wijken)
    "crs",                 # a boundaries file is not in RD New (EPSG:28992)
    "unknown_municipality",  # a boundaries file holds no areas of a pilot's municipality
    "invalid",             # anything else (an option, a folder)
]


@dataclass(frozen=True)
class Problem:
    """One problem of a delivery: where (file, column), what, how often, and what to do."""

    kind: ProblemKind
    file: str = ""
    column: str = ""
    message: str = ""
    hint: str = ""
    count: int | None = None

    def line(self) -> str:
        where = ": ".join(part for part in (self.file, self.column) if part)
        return f"{where}: {self.message}" if where else self.message


def rebuilt(cls: type, args: tuple, state: dict) -> Exception:
    """An error as it was raised, also when it crossed into another process: a spawned
    worker's error is pickled, and pickling calls ``cls(*args)``, which an error whose
    ``__init__`` takes other arguments than its message cannot take (``__reduce__``)."""
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class SourceError(Exception):
    """Bad input: names the file (and column) and says what to do. The CLI exits non-zero.

    Either one message (``SourceError(message, hint=...)``) or every problem of a delivery
    (``SourceError(problems=[...])``); ``problems`` is never empty.
    """

    def __init__(self, message: str = "", *, hint: str = "", kind: ProblemKind = "invalid",
                 problems: Sequence[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems) or (
            Problem(kind, message=message, hint=hint),)
        if not message:
            message = (self.problems[0].line() if len(self.problems) == 1
                       else f"{len(self.problems)} problems in the delivery")
            hint = hint or (self.problems[0].hint if len(self.problems) == 1 else "")
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __reduce__(self):
        return rebuilt, (type(self), self.args, self.__dict__)

    @property
    def kinds(self) -> list[str]:
        return [p.kind for p in self.problems]

    def __str__(self) -> str:
        if len(self.problems) > 1:
            lines = [f"{self.message}:"]
            for p in self.problems:
                lines.append(f"- {p.line()}")
                if p.hint:
                    lines.append(f"  what to do: {p.hint}")
            return "\n".join(lines)
        return f"{self.message}\n  what to do: {self.hint}" if self.hint else self.message


def as_problems(error: SourceError, file: str = "", path: object = None) -> list[Problem]:
    """The error's problems, each with ``file`` filled in where it named none (and the file's
    full ``path`` taken off the front of its message, as ``file`` says where)."""
    prefix = f"{path}: " if path is not None else None
    return [p if p.file or not file else Problem(
        p.kind, file, p.column,
        p.message.removeprefix(prefix) if prefix else p.message, p.hint, p.count)
        for p in error.problems]


def unreadable(message: str, *, hint: str = "") -> SourceError:
    """A file that cannot be read as what it claims to be (damaged, wrong format or encoding)."""
    return SourceError(message, hint=hint, kind="unreadable")
