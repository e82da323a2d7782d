"""What the section builders read: the bundle's outputs as published tables and texts."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from smartstart.bundle import Bundle
from smartstart.report._cells import Published
from smartstart.report._text import missing, t
from smartstart.report._types import DataTable, Lang, Note

#: a column of a data table: (header, column of the published table, kind of cell)
Column = tuple[str, str, str]


class Source:
    """A bundle seen through the report: present outputs, cells shown as published."""

    def __init__(self, bundle: Bundle, lang: Lang) -> None:
        self.bundle = bundle
        self.lang = lang
        self.names = {o["name"] for o in bundle.outputs}
        self._tables: dict[str, Published] = {}

    def has(self, name: str) -> bool:
        return name in self.names

    def table(self, name: str) -> Published | None:
        if name not in self.names:
            return None
        if name not in self._tables:
            frame = self.bundle.table(name)
            output = next(o for o in self.bundle.outputs if o["name"] == name)
            counts = tuple((output.get("rules") or {}).get("counts") or ())
            self._tables[name] = Published(frame, self.verdict(name), self.lang, counts)
        return self._tables[name]

    def text(self, name: str) -> str | None:
        return self.bundle.text(name) if name in self.names else None

    @property
    def pilot(self) -> dict:
        """The study of the manifest's pilot (``pilot.study``, or the pilot itself)."""
        pilot = self.bundle.manifest.get("pilot") or {}
        return pilot.get("study", pilot) if isinstance(pilot, dict) else {}

    def verdict(self, name: str) -> dict | None:
        return next((o for o in self.bundle.log.get("outputs", []) if o.get("name") == name),
                    None)

    def require(self, name: str, *columns: str) -> Published:
        """The table with these columns, or KeyError naming what is missing."""
        table = self.table(name)
        if table is None:
            raise KeyError(name)
        absent = [c for c in columns if c not in table.frame.columns]
        if absent:
            raise KeyError(f"{name}: {', '.join(absent)}")
        return table


def data_table(table: Published, caption: str, columns: Sequence[Column],
               rows: Sequence[int] | None = None) -> DataTable:
    """A real table of the chosen rows and columns, cells shown as published."""
    rows = range(len(table)) if rows is None else rows
    body = tuple(tuple(table.show(r, column, kind) for _, column, kind in columns)
                 for r in rows)
    return DataTable(caption, tuple(h for h, _, _ in columns), body,
                     tuple(kind != "text" for _, _, kind in columns))


def broken(error: KeyError, lang: Lang) -> Note:
    return Note(t("broken", lang, what=str(error.args[0] if error.args else error)))


def label_column(frame: pd.DataFrame, lang: Lang, fallback: str) -> pd.Series:
    """``label_nl`` / ``label_en`` when present and filled, else ``fallback``."""
    column = f"label_{lang}"
    if column in frame.columns:
        return frame[column].where(~frame[column].map(missing), frame[fallback]).astype(str)
    return frame[fallback].astype(str)
