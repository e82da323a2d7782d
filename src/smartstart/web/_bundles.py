"""The dashboard's bundles: opened and verified once, each figure's provenance (which rules
checked it, why a cell is hidden), the filters of a table, and what changed between two bundles.

Everything here reads bundles through ``smartstart.bundle`` and ``smartstart.report``; nothing
reaches the microdata layers (``sources``, ``linking``, ``features``), so the dashboard cannot
show what did not pass the gate.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cached_property
from multiprocessing import get_context
from pathlib import Path

from smartstart._usage import UsageError
from smartstart.bundle import Bundle, ShownTable, read_bundle, shown

#: a filter of the table pages: its name and the table columns it applies to, in order of
#: preference (the first present is used); ``type`` only on the typology's tables
FILTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("factor", ("factor", "attribute")),
    ("type", ("type",)),
    ("area", ("wijk", "area", "buurt")),
    ("year", ("year", "jaar", "years_since")),
)


@dataclass(frozen=True)
class Entry:
    """One bundle the dashboard serves: ``key`` in its addresses, ``digest`` (the manifest's
    sha256) to keep a team's words with this bundle wherever its folder is."""

    key: str
    digest: str
    root: Path  # where it is read from: a checked private copy when served
    bundle: Bundle
    source: Path | None = None  # the folder it was opened from

    @property
    def folder(self) -> str:
        return (self.source or self.root).name

    @property
    def pilot(self) -> dict:
        pilot = self.bundle.manifest.get("pilot") or {}
        return pilot.get("study", pilot) if isinstance(pilot, dict) else {}

    @property
    def name(self) -> str:
        return str(self.pilot.get("name") or self.root.name)

    @property
    def made(self) -> str:
        return str(self.bundle.manifest.get("finished_at") or "")[:16].replace("T", " ")

    @cached_property
    def tables(self) -> tuple[str, ...]:
        """The names of the published tables (not texts, charts or maps), in manifest order."""
        return tuple(o["name"] for o in self.bundle.outputs
                     if o.get("kind") not in ("text", "chart", "map"))

    def title(self, output: str, lang: str) -> str:
        found = next((o for o in self.bundle.outputs if o.get("name") == output), {})
        return str(found.get(f"title_{lang}") or found.get("title") or output)

    def shown(self, output: str, lang: str, said: int | None = None) -> ShownTable:
        """The table as the bundle's exports show it; ``said``: in the words of that version
        of the export words (``compare``), not the bundle's own."""
        return _shown(self, output, lang, said)


_CACHE: dict[tuple[str, str, str, int | None], ShownTable] = {}


def _shown(entry: Entry, output: str, lang: str, said: int | None = None) -> ShownTable:
    key = (entry.digest, output, lang, said)
    if key not in _CACHE:
        _CACHE[key] = shown(entry.bundle, output, lang, said)
    return _CACHE[key]


def open_bundles(paths: Sequence[Path], snapshot: Path | None = None) -> list[Entry]:
    """Open every bundle as ``smartstart check`` sees it: ValueError naming every one that is
    not sound (all at once), that holds a symbolic link, or when none is given or one twice.

    With ``snapshot`` (a folder of this process's own), each bundle is copied there first and
    checked and served from the copy, so a file changed in the bundle's folder after the start
    changes nothing that is shown or downloaded."""
    if not paths:
        raise UsageError("no bundle given: name one or more bundle folders "
                         "(results/bundle of a run)")
    entries, problems, roots = [], [], []
    for n, path in enumerate(map(Path, paths)):
        if not (path / "manifest.json").is_file():
            problems.append(f"{path}: not a bundle (it has no manifest.json)")
            continue
        links = [p for p in [path, *path.rglob("*")] if p.is_symlink()]
        if links:
            problems.append(f"{path}: holds a symbolic link ({links[0]}); copy the bundle "
                            "itself")
            continue
        root = path
        if snapshot is not None:
            root = Path(snapshot) / f"{n}-{path.name}"
            shutil.copytree(path, root)
        roots.append((path, root))
    for (path, root), found in zip(roots, checked_once([r for _, r in roots]), strict=True):
        if found:
            problems.append(f"{path}: not sound ({found})")
            continue
        digest = hashlib.sha256((root / "manifest.json").read_bytes()).hexdigest()
        entries.append(Entry(digest[:12], digest, root, read_bundle(root), path.resolve()))
    if problems:
        raise UsageError("not every bundle can be opened; run `smartstart check` on it, or "
                         "make it again with `smartstart run`:\n  " + "\n  ".join(problems))
    keys = [e.key for e in entries]
    if len(set(keys)) < len(keys):
        raise UsageError("the same bundle is given twice: " + ", ".join(
            str(e.source) for e in entries if keys.count(e.key) > 1))
    return entries


#: the check's verdict on a bundle's exact bytes (see ``checked_once``)
_VERDICTS: dict[str, str] = {}


def checked_once(roots: Sequence[Path]) -> list[str]:
    """``checked``, each bundle's exact bytes checked once per process: the check is a
    function of the bundle's files alone. A verdict is kept only when the files are the same
    before and after the check (a bundle changed while it was checked is checked again next
    time); a bundle with one byte changed has another digest and is checked again."""
    before = [_content_digest(root) for root in roots]
    todo = {d: r for d, r in zip(before, roots, strict=True) if d not in _VERDICTS}
    said = dict(zip(todo, checked(list(todo.values())), strict=True))
    for digest, root in todo.items():
        if _content_digest(root) == digest:
            _VERDICTS[digest] = said[digest]
        else:
            said[digest] = "its files changed while it was checked; open it again"
    return [said[d] if d in said else _VERDICTS[d] for d in before]


def _content_digest(root: Path) -> str:
    """sha256 over every folder's and file's path (relative to ``root``) and every file's
    bytes, in path order."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix().encode("utf-8")
        digest.update(len(name).to_bytes(8, "big") + name)
        data = path.read_bytes() if path.is_file() else b"/"
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


#: the child process that checks bundles: started (spawn, as on Windows) at the first check
#: and kept for the next, so a second bundle does not pay again for the imports and the chart
#: renderer's start (12 s -> 2-3 s for the demo's bundle); it ends with this process
_CHECKER: ProcessPoolExecutor | None = None
_CHECKER_LOCK = threading.Lock()


def checked(roots: Sequence[Path]) -> list[str]:
    """``smartstart check`` of each bundle, in a child process: its problems in words ("" when
    sound). The check knows the factor library's identities, and that library's package also
    holds the linking code: run apart, the dashboard's own process never imports a layer that
    could read microdata. A child that died is not used again (the error is raised; the next
    check starts a new one)."""
    global _CHECKER
    if not roots:
        return []
    with _CHECKER_LOCK:
        if _CHECKER is None:
            _CHECKER = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))
        pool = _CHECKER
    try:
        return pool.submit(_check_all, [str(r) for r in roots]).result()
    except BrokenProcessPool:
        with _CHECKER_LOCK:
            if _CHECKER is pool:
                _CHECKER = None
        raise


def _check_all(roots: list[str]) -> list[str]:
    from smartstart.bundle import check_bundle

    said = []
    for root in roots:
        found, _tables = check_bundle(Path(root))
        said.append(f"{len(found)} problem(s): " + "; ".join(
            f"{p.where}: {p.problem}" for p in found[:3]) if found else "")
    return said


# --- provenance ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Provenance:
    """How one output was checked: the rules and their verdicts, and how many cells the gate
    hid as primary (too small) and secondary (to protect another) cells."""

    output: str
    title: str
    status: str
    rules: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, int], ...]
    primary: int
    secondary: int
    min_cell: int
    based_on: tuple[str, ...] = ()


def provenance(entry: Entry, output: str, lang: str) -> Provenance | None:
    """The provenance of ``output`` (a chart's is that of the tables it is drawn from)."""
    verdict = next((v for v in entry.bundle.log.get("outputs", ())
                    if v.get("name") == output), None)
    if verdict is None:
        return None
    counts: dict[str, int] = {}
    for _row, _column, label in verdict.get("shown") or ():
        counts[str(label)] = counts.get(str(label), 0) + 1
    reasons = [str(s.get("reason")) for s in verdict.get("suppressed") or ()]
    return Provenance(output, entry.title(output, lang), str(verdict.get("status")),
                      tuple(dict.fromkeys((str(c.get("rule")), str(c.get("status")))
                                          for c in verdict.get("checks") or ())),
                      tuple(sorted(counts.items())), reasons.count("primary"),
                      reasons.count("secondary"),
                      int((verdict.get("settings") or {}).get("min_cell", 10)))


def chart_sources(entry: Entry) -> dict[str, tuple[str, ...]]:
    """Each chart output's tables (``based_on``), by the chart's figure id (``fig-...``); a
    chart's phone layout (``layout: narrow``) is the same figure."""
    found = {}
    for output in entry.bundle.outputs:
        if output.get("kind") == "chart" and output.get("layout") != "narrow":
            figure = str(output["name"]).removeprefix("chart_").rsplit("_", 1)[0]
            found[f"fig-{figure}"] = tuple(output.get("based_on") or ())
    return found


# --- filters ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Filter:
    name: str  # factor, type, area or year
    column: str
    options: tuple[tuple[str, str], ...]  # (value, words)
    chosen: str = ""


def filters(entry: Entry, table: ShownTable, lang: str,
            chosen: dict[str, str] | None = None) -> list[Filter]:
    """The filters that apply to ``table``: each with the distinct values of its column (as the
    table shows them) in words where the bundle's labels have them."""
    chosen = chosen or {}
    words = level_words(entry, lang)
    found = []
    for name, candidates in FILTERS:
        if name == "type" and not table.name.startswith("typology"):
            continue
        column = next((c for c in candidates if c in table.columns), None)
        if column is None:
            continue
        at = table.columns.index(column)
        values = list(dict.fromkeys(str(row[at]) for row in table.rows))
        if len(values) < 2:
            continue
        options = tuple((v, words.get((column, v), words.get(("", v), v))) for v in values)
        pick = chosen.get(name, "")
        found.append(Filter(name, column, options, pick if pick in values else ""))
    return found


def apply(table: ShownTable, chosen: Sequence[Filter]) -> list[int]:
    """The positions of the rows that pass every chosen filter."""
    keep = []
    for r, row in enumerate(table.rows):
        if all(str(row[table.columns.index(f.column)]) == f.chosen for f in chosen if f.chosen):
            keep.append(r)
    return keep


def level_words(entry: Entry, lang: str) -> dict[tuple[str, str], str]:
    """(column, value) -> words: a factor's name (labels without a level), a buurt's or wijk's
    name, a type's name."""
    labels = entry.bundle.labels()
    column = f"label_{lang}"
    words: dict[tuple[str, str], str] = {}
    for row in labels.itertuples():
        level, variable, label = str(row.level), str(row.variable), str(getattr(row, column))
        if level in ("", "nan"):
            words[("factor", variable)] = label
            words[("attribute", variable)] = label
        elif variable in ("buurt", "wijk"):
            words[(variable, level)] = label
            words[("area", level)] = label
    if "typology_types" in entry.tables:
        frame = entry.bundle.table("typology_types")
        if f"name_{lang}" in frame.columns:
            for value, name in zip(frame["type"], frame[f"name_{lang}"], strict=True):
                words[("type", str(value))] = f"{value}: {name}"
    return words


def relinker(section_ids: Sequence[str], href) -> object:
    """A function that sends the report's links to a chapter (``href="#doelgroep"``, in the
    Kernboodschap) to that chapter's page instead (``href(id)``)."""
    from markupsafe import Markup

    pattern = re.compile(r'href="#(' + "|".join(map(re.escape, section_ids)) + r')"')

    def relink(markup: str) -> Markup:
        return Markup(pattern.sub(lambda m: f'href="{href(m.group(1))}"', str(markup)))

    return relink
