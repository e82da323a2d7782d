"""What the user sees during and after ingest: a progress bar per file and a summary table."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from smartstart.sources._ingest import IngestEntry

_SHOWN_UNKNOWN = 10


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


def print_summary(console: Console, entries: Sequence[IngestEntry], unknown: Sequence[str],
                  store: Path, manifest: Path) -> None:
    """The summary table of one ingest run, the files not recognised, and where things are."""
    table = Table(title="ingest")
    for name in ("table", "year", "version", "format", "rows"):
        table.add_column(name, justify="right" if name in ("year", "rows") else "left")
    table.add_column("NULL from missing codes", justify="right")
    table.add_column("impossible dates", justify="right")
    table.add_column("status")
    for e in entries:
        table.add_row(e.table, str(e.year), f"V{e.version}", e.format, f"{e.rows_written:,}",
                      f"{e.total('missing_code_nulls'):,}", f"{e.total('impossible_dates'):,}",
                      e.status)
    console.print(table)
    skipped = sum(e.status == "skipped" for e in entries)
    console.print(f"{len(entries) - skipped} ingested, {skipped} skipped (unchanged since the "
                  "last run)")
    if unknown:
        shown = ", ".join(unknown[:_SHOWN_UNKNOWN])
        more = f" and {len(unknown) - _SHOWN_UNKNOWN} more" if len(unknown) > _SHOWN_UNKNOWN else ""
        console.print(f"{len(unknown)} file(s) not in the catalog, not ingested: {shown}{more}")
    console.print(f"store: {store}")
    console.print(f"manifest: {manifest}")
