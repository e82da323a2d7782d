"""What the user sees during and after ingest: a progress bar per file and a summary table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from smartstart.sources._catalog import CORE

if TYPE_CHECKING:
    from smartstart.sources._ingest import IngestReport
    from smartstart.sources.errors import SourceError

_SHOWN_UNKNOWN = 10
_COUNTS = {"missing_code_nulls": "NULL from missing codes", "impossible_dates": "impossible dates",
           "unknown_codes_kept": "kept outside assumed code lists",
           "unknown_codes_nulled": "NULL from unknown codes"}


@contextmanager
def file_progress(console: Console, label: str, total: int | None,
                  chunk_rows: int) -> Iterator[Callable[[int], None]]:
    """A rows progress bar for files longer than one chunk; yields 'advance by n rows'."""
    if console.quiet or (total is not None and total <= chunk_rows):
        yield lambda rows: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("rows"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=total)
        yield lambda rows: progress.advance(task, rows)


def print_summary(console: Console, report: IngestReport, *, check: bool = False) -> None:
    """The summary table of one ingest run, its warnings, the files not recognised, and where
    things are."""
    entries = report.entries
    if entries:
        table = Table(title="ingest --check" if check else "ingest")
        for name in ("table", "year", "version", "format", "rows"):
            table.add_column(name, justify="right" if name in ("year", "rows") else "left")
        for title in _COUNTS.values():
            table.add_column(title, justify="right")
        table.add_column("status")
        for e in entries:
            table.add_row(e.table, str(e.year), f"V{e.version}", e.format, f"{e.rows_written:,}",
                          *(f"{e.total(c):,}" for c in _COUNTS), e.status)
        console.print(table)
    skipped = sum(e.status == "skipped" for e in entries)
    if check:
        console.print(f"{len(entries)} file(s) checked; nothing was written")
    else:
        console.print(f"{len(entries) - skipped} ingested, {skipped} skipped (unchanged since "
                      "the last run)")
    for warning in report.warnings:
        console.print(f"[yellow]warning[/] ({warning.kind}): ", end="")
        console.print(warning.line(), soft_wrap=True, markup=False, highlight=False)
    core = [name for name in report.absent_tables if name in CORE]
    if core:
        one = len(core) == 1
        console.print(f"[bold yellow]warning[/] (core_table_absent): {', '.join(core)} "
                      f"{'is' if one else 'are'} in neither the delivery nor the store, and "
                      f"every run links on {'it' if one else 'them'} (persons, addresses, "
                      f"households and areas are the core): ingest {'its' if one else 'their'} "
                      "CBS files into this store before a run", soft_wrap=True, highlight=False)
    other = [name for name in report.absent_tables if name not in CORE]
    if other:
        console.print(f"{len(other)} other table(s) of the catalog in neither the delivery nor "
                      "the store (a run leaves out the factors that need them; smartstart "
                      f"request says which): {', '.join(other)}",
                      soft_wrap=True, markup=False, highlight=False)
    unknown = report.unknown_files
    if unknown:
        shown = ", ".join(unknown[:_SHOWN_UNKNOWN])
        more = f" and {len(unknown) - _SHOWN_UNKNOWN} more" if len(unknown) > _SHOWN_UNKNOWN else ""
        console.print(f"{len(unknown)} file(s) not in the catalog, not ingested: {shown}{more}")
    if not check and report.manifest.exists():
        console.print(f"store: {report.store}")
        console.print(f"manifest: {report.manifest}")


def print_problems(console: Console, error: SourceError) -> None:
    """The error on one line (and what to do), or every problem of a delivery as a listing:
    number, file | column | kind (count), what is wrong, what to do."""
    problems = error.problems
    if len(problems) == 1 and not problems[0].file:
        console.print("[bold red]error:[/] ", end="")
        console.print(str(error), soft_wrap=True, markup=False, highlight=False)
        return
    console.print(f"[bold red]error:[/] {len(problems)} problem(s) in the delivery; files with a "
                  "problem were not stored")
    for number, p in enumerate(problems, 1):
        where = " | ".join(part for part in (p.file, p.column) if part) or "-"
        count = f" ({p.count:,})" if p.count is not None else ""
        for text in (f"{number:>3}. {where} | {p.kind}{count}", f"     {p.message}",
                     f"     what to do: {p.hint}" if p.hint else ""):
            if text:
                console.print(text, soft_wrap=True, markup=False, highlight=False)
