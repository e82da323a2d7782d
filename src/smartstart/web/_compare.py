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
from smartstart.bundle._exports import words_version
from smartstart.web._bundles import Entry, level_words

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
    #: a count that moved by fewer than min_cell, or a cell hidden in one bundle and not in
    #: the other: side by side they may describe a small group (differencing)
    warning: bool = False


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
    warnings: int = 0  # cells that moved by less than min_cell (see ``Cell.warning``)


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

    @property
    def min_cell(self) -> int:
        return max((_min_cell(self.after, t.output) for t in self.tables), default=10)

    @property
    def warnings(self) -> int:
        return sum(t.warnings for t in self.tables)


def compare(before: Entry, after: Entry, lang: str = "nl") -> Comparison:
    """What changed from ``before`` (the last approved export) to ``after``."""
    pilot = tuple((k, _words(before.pilot.get(k), lang), _words(after.pilot.get(k), lang))
                  for k in PILOT_FIELDS if before.pilot.get(k) != after.pilot.get(k))
    names = list(dict.fromkeys([*after.tables, *before.tables]))
    # both in the newer bundle's words: a code said in words since (export words' version) is
    # no change of the table
    said = max(words_version(before.bundle.manifest), words_version(after.bundle.manifest))
    tables = tuple(_table(before, after, name, lang, said) for name in names)
    held = [{str(w.get("name")) for w in e.bundle.manifest.get("withheld") or ()
             if isinstance(w, dict)} for e in (before, after)]
    return Comparison(before, after, pilot, tables, tuple(sorted(held[1] - held[0])),
                      tuple(sorted(held[0] - held[1])))


def _table(before: Entry, after: Entry, name: str, lang: str, said: int) -> TableChange:
    if name not in before.tables:
        return TableChange(name, after.title(name, lang), "new")
    if name not in after.tables:
        return TableChange(name, before.title(name, lang), "gone")
    old, new = before.shown(name, lang, said), after.shown(name, lang, said)
    change = TableChange(name, after.title(name, lang), "same")
    status = [_status(e, name) for e in (before, after)]
    if status[0] != status[1]:
        change.status = (status[0], status[1])
    change.columns_added = [h for c, h in zip(new.columns, new.heads, strict=True)
                            if c not in old.columns]
    change.columns_removed = [h for c, h in zip(old.columns, old.heads, strict=True)
                              if c not in new.columns]
    words = level_words(after, lang)
    rows_old, rows_new = _rows(old, words), _rows(new, words)
    change.added = [label for key, (label, _) in rows_new.items() if key not in rows_old]
    change.removed = [label for key, (label, _) in rows_old.items() if key not in rows_new]
    shared = [c for c in new.columns if c in old.columns]
    counts, small = _counts(after, name), _min_cell(after, name)
    for key, (label, r) in rows_new.items():
        if key not in rows_old:
            continue
        q = rows_old[key][1]
        for column in shared:
            i, j = old.columns.index(column), new.columns.index(column)
            if old.texts[q][i] == new.texts[r][j]:
                continue
            change.changed += 1
            warn = _small(old.rows[q][i], new.rows[r][j], column in counts, small) or (
                (q, column) in old.hidden) != ((r, column) in new.hidden)
            change.warnings += warn
            if len(change.cells) < MAX_CELLS or warn:
                change.cells.append(Cell(label, new.heads[j], old.texts[q][i],
                                         new.texts[r][j], warn))
    if (change.changed or change.added or change.removed or change.columns_added
            or change.columns_removed or change.status):
        change.state = "changed"
    return change


def _small(before: object, after: object, count: bool, min_cell: int) -> bool:
    """Whether a count moved by 1 to ``min_cell - 1``: set beside the earlier bundle, such a
    difference describes a group smaller than the gate allows."""
    if not count or not all(isinstance(v, int | float) and not isinstance(v, bool)
                            for v in (before, after)):
        return False
    return 0 < abs(float(after) - float(before)) < min_cell


def _counts(entry: Entry, name: str) -> set[str]:
    output = next((o for o in entry.bundle.outputs if o.get("name") == name), {})
    return {str(c) for c in (output.get("rules") or {}).get("counts") or ()}


def _min_cell(entry: Entry, name: str) -> int:
    verdict = next((v for v in entry.bundle.log.get("outputs", ()) if v.get("name") == name), {})
    return int((verdict.get("settings") or {}).get("min_cell", 10))


#: columns that hold a row's name in words, when a table has one
WORD_COLUMNS = ("label_nl", "label_en", "name_nl", "name_en", "step", "step_en", "factor_nl",
                "factor_en")


def _rows(table: ShownTable, words: dict | None = None) -> dict[tuple, tuple[str, int]]:
    """Rows by their key: the columns that name a row (``ID_COLUMNS``), else the text cells
    (not the gate's labels), when they identify every row; else the position. Each with a
    name in words (a label column, or the key's values in the bundle's words)."""
    words = words or {}
    text = [i for i, c in enumerate(table.columns) if c in ID_COLUMNS]
    if not text:
        text = [i for i, c in enumerate(table.columns)
                if all(isinstance(row[i], str) for row in table.rows)
                and not any(str(row[i]) in _labels(table) for row in table.rows)]
    keys = [tuple(row[i] for i in text) for row in table.rows]
    if not text or len(set(keys)) < len(keys):
        keys = [(r,) for r in range(len(table.rows))]
    said = [i for i, c in enumerate(table.columns) if c in WORD_COLUMNS][:2]
    named = []
    for r in range(len(table.rows)):
        parts = [table.texts[r][i] for i in said if table.texts[r][i] not in _labels(table)]
        if not parts:
            parts = [words.get((table.columns[i], str(table.rows[r][i])), table.texts[r][i])
                     for i in text[:3]]
        named.append(", ".join(p for p in parts if p and p != "–") or str(r + 1))
    return {k: (named[r], r) for r, k in enumerate(keys)}


def _labels(table: ShownTable) -> set[str]:
    return set(table.hidden.values()) | {"–"}


def _text(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _status(entry: Entry, name: str) -> str:
    verdict = next((v for v in entry.bundle.log.get("outputs", ()) if v.get("name") == name), {})
    return str(verdict.get("status", "?"))


#: the analyses a pilot can ask for, in words
ANALYSES = {"profile": ("doelgroep", "target group"), "risk": ("risicofactoren", "risk factors"),
            "typology": ("typen huishoudens", "household types"),
            "areas": ("gebieden", "areas"), "effect": ("werkt het?", "did it work?")}


def _words(value: object, lang: str = "nl") -> str:
    if isinstance(value, list | tuple):
        at = 0 if lang == "nl" else 1
        return ", ".join(ANALYSES[v][at] if v in ANALYSES else str(v) for v in value)
    return "" if value is None else str(value)
