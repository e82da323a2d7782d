"""A region run's sections: each municipality's own analyses, as if it ran alone (issue 18).

With ``per_gemeente: true`` a pilot of several municipalities publishes, besides the region's
outputs, the same analyses for every municipality on its own households and children: the rows
of the region's work tables whose ``gemeente`` is that municipality, read by a spawned worker
(Windows has no fork) so that memory stays that of one municipality.

Every section passes the gate on its own, and then the register again over the region and all
sections together (``register_together``): an attacker holds every bundle of the run, and a
municipality's count beside the region's counts of the other municipalities is a difference.
In that register a section's statement is about its municipality's units only (``gemeente`` in
its code is added to every term), and variables that a section's own model made (its household
types, its risk deciles) are the section's own: type 1 of Goirle is not type 1 of the region.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from smartstart._exit import worker_start
from smartstart._frames import compact
from smartstart.outputs._work import Work

__all__ = ["Workers", "progress_columns", "publish_sections", "section_folder", "workers_of",
           "write_sections"]


def section_work(folder: Path, code: str) -> Work:
    """Municipality ``code``'s rows of a run's work tables (households, children, residents,
    schools by their ``gemeente``); the linking's attrition, the partner file's match and the
    target group's durations are the region's and stay out (``publish(..., flow=False)``)."""
    folder = Path(folder)
    here = [("gemeente", "==", code)]

    def rows(name: str) -> pd.DataFrame | None:
        path = folder / f"{name}.parquet"
        return compact(pd.read_parquet(path, filters=here)) if path.exists() else None

    households, children = rows("households"), rows("children")
    if households is None or children is None:
        raise FileNotFoundError(f"{folder}: the run's work tables are missing")
    return Work(households.reset_index(drop=True), children.reset_index(drop=True),
                pd.DataFrame(columns=["step", "rows_in", "rows_out", "reason"]), None, None,
                rows("schools"), residents=rows("residents"))


@dataclass(frozen=True)
class SectionJob:
    """What a worker needs to publish one municipality's section (picklable for spawn)."""

    code: str
    work: Path
    #: the section's study as JSON (``Study.model_dump(mode="json")``)
    study: dict
    library: Path | None


def publish_section(job: SectionJob):
    """A worker's entry: the section's outputs, each through the gate and its own register."""
    from smartstart.features import using
    from smartstart.outputs import publish
    from smartstart.pilot import Study

    with using(job.library):
        study = Study.model_validate(job.study)
        return job.code, publish(study, section_work(job.work, job.code), flow=False)


def workers_of(paths) -> int:
    """The pilot's ``paths.workers``, else 2 or the machine's cores if fewer."""
    return paths.workers or max(1, min(2, os.cpu_count() or 1))


class Workers:
    """A run's worker processes (spawn, as on Windows), started at their first job and shared
    by the run's steps (the sections' analyses, then their bundles), so each process imports
    the pipeline and starts the chart renderer once; one worker: the jobs run in this process.
    A context manager: leaving it ends the processes."""

    def __init__(self, count: int) -> None:
        self.count = count
        self._pool: ProcessPoolExecutor | None = None

    def pool(self, jobs: int) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=max(1, min(self.count, jobs)),
                                             mp_context=multiprocessing.get_context("spawn"),
                                             initializer=worker_start)
        return self._pool

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def publish_sections(pilot, work: Path, region, console: Console, workers: Workers,
                     released=None) -> dict:
    """Every municipality's section on the run's ``workers``, then the register over the
    region's outputs (``region``, changed in place) and all sections together (and the
    bundles ``released`` before)."""
    from smartstart.outputs import register_together

    study = pilot.study
    living = set(pd.read_parquet(Path(work) / "households.parquet", columns=["gemeente"])
                 ["gemeente"])
    empty = [code for code in study.municipalities if code not in living]
    if empty:  # an area code with addresses but no household on the peildatum
        console.print(f"[yellow]geen huishoudens op de peildatum, dus geen eigen bundel[/]: "
                      f"{', '.join(empty)}")
    jobs = [SectionJob(code, work, study.section(code).model_dump(mode="json"), study.library)
            for code in study.municipalities if code in living]
    done = dict(_on_workers(publish_section, jobs, workers, console, "analyses per gemeente"))
    with console.status("alle uitkomsten van de regio en de gemeenten samen"):
        register_together({None: region, **{job.code: done[job.code] for job in jobs}},
                          study.disclosure, released)
    return {job.code: done[job.code] for job in jobs}


def write_sections(pilot, sections: dict, console: Console, workers: Workers,
                   extra: dict[str, object] | None = None) -> dict[str, Path]:
    """Each section's bundle (``output/gemeenten/<code>/bundle``), written by the workers;
    ``extra``: the region's delivery notes (factors not delivered, years used), to which each
    section adds its own analyses not run for lack of data."""
    jobs = [BundleJob(pilot.model_copy(update={"study": pilot.study.section(code)}), outputs,
                      section_folder(pilot.paths.output, code),
                      {**(extra or {}), "lack_of_data": [
                          {"analysis": a, "reason": r, "detail": d}
                          for a, r, d in outputs.lacking]})
            for code, outputs in sections.items()]
    return dict(_on_workers(write_section, jobs, workers, console, "bundels per gemeente"))


def section_folder(output: Path, code: str) -> Path:
    """Where municipality ``code``'s section bundle of a run goes."""
    return Path(output) / "gemeenten" / code / "bundle"


@dataclass(frozen=True)
class BundleJob:
    pilot: object
    outputs: object
    target: Path
    extra: dict


def write_section(job: BundleJob) -> tuple[str, Path]:
    """A worker's entry: one section's bundle, atomically (``pipeline.write_bundle``)."""
    from smartstart.features import using
    from smartstart.pipeline import write_bundle

    study = job.pilot.study  # type: ignore[attr-defined]
    with using(study.library):
        return study.gemeente, write_bundle(job.pilot, job.outputs, job.target, job.extra)


def progress_columns() -> tuple:
    """The columns of a long step's progress bar: what is done, the bar, the number done of
    all, the time spent and the time left."""
    return (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("nog"), TimeRemainingColumn())


def _on_workers(function, jobs: list, workers: Workers, console: Console, label: str):
    """``function`` over ``jobs`` on the spawned processes of ``workers`` (in this process
    when there is one worker), with the number done and the time left; results in the order
    done."""
    columns = progress_columns()
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(label, total=len(jobs))
        if workers.count == 1:
            for job in jobs:
                yield function(job)
                progress.advance(task)
            return
        pool = workers.pool(len(jobs))
        for future in as_completed([pool.submit(function, job) for job in jobs]):
            yield future.result()
            progress.advance(task)
