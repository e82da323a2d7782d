"""Errors a user can act on: what went wrong, where, and what to do."""

from __future__ import annotations


class SourceError(Exception):
    """Bad input: names the file (and column) and says what to do. The CLI exits non-zero."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  what to do: {self.hint}" if self.hint else self.message
