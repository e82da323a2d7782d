"""Two bundles side by side: what changed since the last approved export.

Per published table: new, gone, the same, or changed, and for a changed one the cells that
differ (as the exports show them: rounded, the gate's labels), the rows added and removed.
Rows are matched on their text cells (factor, level, area, ...), or on their position when
those do not identify a row. Also what the pilot asked, what was withheld and the rules'
verdicts. Both bundles have passed the gate, so every number compared was published.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smartstart.bundle import ShownTable
from smartstart.web._bundles import Entry

#: the pilot's fields a comparison names when they differ
PILOT_FIELDS = ("name", "gemeente", "gemeenten", "peildatum", "analyses")
#: columns that name a row (its identity), when a table has them; else its text columns
ID_COLUMNS = ("factor", "term", "level", "type", "attribute", "group", "metric", "wijk", "area",
              "buurt", "year", "years_since", "step", "band", "partner", "status", "check",
              "k", "method", "index", "outcome", "series", "horizon")
#: cells listed per changed table (the count says how many there are in all)
MAX_CELLS = 40


@dataclass(frozen=True)
class Cell:
    row: str
    column: str
    before: str
    after: str


@dataclass
class TableChange:
    output: str
    title: str
    state: str  # new, gone, same, changed
    cells: list[Cell] = field(default_factory=list)
    changed: int = 0
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    status: tuple[str, str] | None = None  # the gate's verdict before and after, when it moved


@dataclass(frozen=True)
class Comparison:
    before: Entry
    after: Entry
    pilot: tuple[tuple[str, str, str], ...]  # (field, before, after)
    tables: tuple[TableChange, ...]
    withheld_added: tuple[str, ...]
    withheld_removed: tuple[str, ...]

    def count(self, state: str) -> int:
        return sum(1 for t in self.tables if t.state == state)


def compare(before: Entry, after: Entry, lang: str = "nl") -> Comparison:
    """What changed from ``before`` (the last approved export) to ``after``."""
    pilot = tuple((k, _words(before.pilot.get(k)), _words(after.pilot.get(k)))
                  for k in PILOT_FIELDS if before.pilot.get(k) != after.pilot.get(k))
    names = list(dict.fromkeys([*after.tables, *before.tables]))
    tables = tuple(_table(before, after, name, lang) for name in names)
    held = [{str(w.get("name")) for w in e.bundle.manifest.get("withheld") or ()
             if isinstance(w, dict)} for e in (before, after)]
    return Comparison(before, after, pilot, tables, tuple(sorted(held[1] - held[0])),
                      tuple(sorted(held[0] - held[1])))


def _table(before: Entry, after: Entry, name: str, lang: str) -> TableChange:
    if name not in before.tables:
        return TableChange(name, after.title(name, lang), "new")
    if name not in after.tables:
        return TableChange(name, before.title(name, lang), "gone")
    old, new = before.shown(name, lang), after.shown(name, lang)
    change = TableChange(name, after.title(name, lang), "same")
    status = [_status(e, name) for e in (before, after)]
    if status[0] != status[1]:
        change.status = (status[0], status[1])
    change.columns_added = [h for c, h in zip(new.columns, new.heads, strict=True)
                            if c not in old.columns]
    change.columns_removed = [h for c, h in zip(old.columns, old.heads, strict=True)
                              if c not in new.columns]
    rows_old, rows_new = _rows(old), _rows(new)
    change.added = [label for key, (label, _) in rows_new.items() if key not in rows_old]
    change.removed = [label for key, (label, _) in rows_old.items() if key not in rows_new]
    shared = [c for c in new.columns if c in old.columns]
    for key, (label, row) in rows_new.items():
        if key not in rows_old:
            continue
        previous = rows_old[key][1]
        for column in shared:
            a = _text(previous[old.columns.index(column)])
            b = _text(row[new.columns.index(column)])
            if a != b:
                change.changed += 1
                if len(change.cells) < MAX_CELLS:
                    head = new.heads[new.columns.index(column)]
                    change.cells.append(Cell(label, head, a, b))
    if (change.changed or change.added or change.removed or change.columns_added
            or change.columns_removed or change.status):
        change.state = "changed"
    return change


def _rows(table: ShownTable) -> dict[tuple, tuple[str, tuple]]:
    """Rows by their key: the columns that name a row (``ID_COLUMNS``), else the text cells
    (not the gate's labels), when they identify every row; else the position. Each with a
    label to name it by."""
    text = [i for i, c in enumerate(table.columns) if c in ID_COLUMNS]
    if not text:
        text = [i for i, c in enumerate(table.columns)
                if all(isinstance(row[i], str) for row in table.rows)
                and not any(str(row[i]) in _labels(table) for row in table.rows)]
    keys = [tuple(row[i] for i in text) for row in table.rows]
    if not text or len(set(keys)) < len(keys):
        keys = [(r,) for r in range(len(table.rows))]
    named = [", ".join(str(row[i]) for i in text[:3]) or str(r + 1)
             for r, row in enumerate(table.rows)]
    return {k: (named[r], row) for r, (k, row) in enumerate(zip(keys, table.rows, strict=True))}


def _labels(table: ShownTable) -> set[str]:
    return set(table.hidden.values()) | {"–"}


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _status(entry: Entry, name: str) -> str:
    verdict = next((v for v in entry.bundle.log.get("outputs", ()) if v.get("name") == name), {})
    return str(verdict.get("status", "?"))


def _words(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)
