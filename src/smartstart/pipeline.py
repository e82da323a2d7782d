"""`smartstart run PILOT.yaml`: the steps that exist, in order, with results written atomically.

The household and child tables are microdata: they stay in the run's ``work/`` folder inside the
secure environment (without CBS keys) and are the input of the analyses. Only ``disclosure/`` and
``bundle/`` may turn them into something that leaves.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.table import Table

from smartstart import __version__
from smartstart._exit import worker_start
from smartstart._to_work import link_to_work
from smartstart.bundle import BundleWriter, CheckedTable
from smartstart.features import (
    FeatureTables,
    NotDelivered,
    labels_frame,
    library,
    outcomes,
    require_window,
    using,
)
from smartstart.linking import (
    Linked,
    StudyDates,
    YearUsed,
    every_municipality,
    read_partner,
)
from smartstart.linking._link import WITH_HOUSEHOLD
from smartstart.outputs import TITLES, Outputs, publish, released_counts
from smartstart.outputs._maps import MAP_NAME, area_map
from smartstart.outputs._sections import (
    Workers,
    publish_sections,
    workers_of,
    write_sections,
)
from smartstart.outputs._withheld import Withheld, typed
from smartstart.outputs._work import Work
from smartstart.pilot import Pilot
from smartstart.report import ChartFile, bundle_charts
from smartstart.sources._boundaries import read_boundaries
from smartstart.sources._layout import layout_unused
from smartstart.sources._store import delivered_years, read_manifest
from smartstart.sources.errors import SourceError


@dataclass(frozen=True)
class RunResult:
    work: Path
    households: int
    children: int
    seconds: float
    bundle: Path | None = None
    published: int = 0
    withheld: tuple[tuple[str, str], ...] = ()
    #: factors left out because the delivery lacks their table or column
    not_delivered: tuple[NotDelivered, ...] = ()
    #: yearly tables read for another year (``study.allow_nearest_year``)
    years_used: tuple[YearUsed, ...] = ()
    #: analyses not run for a named lack of data: (analysis, reason, detail)
    lacking: tuple[tuple[str, str, str], ...] = ()
    #: ``per_gemeente``: each municipality's section bundle, (code, folder)
    sections: tuple[tuple[str, Path], ...] = ()
    #: ``per_gemeente``: each output some sections withheld, with those sections' codes
    #: (each section's bundle and report say why)
    section_withheld: tuple[tuple[str, tuple[str, ...]], ...] = ()


def run_pilot(pilot: Pilot, console: Console | None = None) -> RunResult:
    """Link, build the factors, analyse, gate and bundle, with the pilot's library active."""
    pilot = resolve_places(pilot)
    with using(pilot.study.library), BesideWorker() as drawer:
        return _run(pilot, console or Console(quiet=True), drawer)


def preflight(pilot: Pilot) -> None:
    """What can be checked before linking, all at once (helper-41: a run stopped at the first
    problem, and the next showed only after it was mended): each partner file reads with its
    columns and dates, the boundaries file reads, the outcome's window fits the delivery.
    Raises the one error as it is, or one SourceError with every problem."""
    study, paths = pilot.study, pilot.paths
    outcome = outcomes().get(study.outcome.name)  # the library checked the name at load
    checks: list[Callable[[], object]] = [
        partial(read_partner, paths.partner_files[tg.partner_file], tg)
        for tg in study.partner_groups]
    if paths.boundaries is not None and "areas" in study.analyses:
        checks.append(partial(read_boundaries, paths.boundaries, study.municipalities))
    if outcome is not None:
        checks.append(partial(require_window, study, outcome.sources,
                              partial(delivered_years, paths.store),
                              StudyDates.of(study).outcome_end))
    errors: list[SourceError] = []
    for check in checks:
        try:
            check()
        except SourceError as error:  # only bad input is gathered; a bug still raises
            errors.append(error)
    if len(errors) == 1:
        raise errors[0]
    problems = [p for error in errors for p in error.problems]
    if errors:
        raise SourceError(f"{len(problems)} problems with the pilot's inputs", problems=problems)


def _run(pilot: Pilot, console: Console, drawer: BesideWorker) -> RunResult:
    study, paths = pilot.study, pilot.paths
    started = time.perf_counter()
    preflight(pilot)  # a bad partner file, boundaries file or window fails before linking
    if "areas" in study.analyses and paths.boundaries is None:
        console.print("[yellow]geen grenzenbestand (paths.boundaries)[/]: de gebieden houden "
                      "hun CBS-code en het rapport heeft geen kaart")
    partners = {tg.partner_file: paths.partner_files[tg.partner_file]
                for tg in study.partner_groups}
    work = paths.output / "work"
    linked, tables = link_to_work(pilot, console, partners, work)
    released = released_counts(paths.released, study.municipalities,
                               study.peildatum.isoformat(), study.disclosure)
    if released is not None:
        console.print(f"de uitkomsten worden samen gecontroleerd met {len(released.names)} "
                      "eerder uitgebrachte bundel(s) (paths.released)")
    with console.status("analyses en openbaarmakingscontrole") as status:
        outputs = publish(study, Work.read(work), lambda step: status.update(
            f"analyses en openbaarmakingscontrole: {step}"),
            released=None if study.per_gemeente else released, beside=drawer.beside)
    # the sections' workers serve their analyses and then their bundles
    with Workers(workers_of(paths) if study.per_gemeente else 1) as workers:
        sections = (publish_sections(pilot, work, outputs, console, workers, released)
                    if study.per_gemeente else {})
        notes = delivery(tables, outputs)
        bundle = write_bundle(pilot, outputs, paths.output / "bundle", notes, drawer.charts)
        # each section names the run it is part of: its report points there for the linking
        region = {"section_of": {"name": study.name, "place_words": place_words(study)}}
        written = write_sections(pilot, sections, console, workers, {
            **{k: v for k, v in notes.items() if k != "lack_of_data"}, **region}) \
            if sections else {}
    held: dict[str, list[str]] = {}
    for code, own in sorted(sections.items()):
        for name in dict.fromkeys(name for name, _ in own.withheld):
            held.setdefault(name, []).append(code)
    seconds = time.perf_counter() - started
    result = RunResult(work, *tables.rows, seconds, bundle,
                       len(outputs.tables) + len(outputs.texts),
                       tuple((w.name, w.sentence()) for w in withheld_of(pilot, outputs)),
                       tables.not_delivered, tables.years_used, tuple(outputs.lacking),
                       tuple(sorted(written.items())),
                       tuple((name, tuple(codes)) for name, codes in held.items()))
    _summary(console, pilot, linked, result)
    return result


def resolve_places(pilot: Pilot) -> Pilot:
    """``gemeenten: all``: every municipality of the store's area table, named in the pilot
    before anything else reads it (the bundle's pilot lists the codes)."""
    study = every_municipality(pilot.paths.store, pilot.study)
    return pilot if study is pilot.study else pilot.model_copy(update={"study": study})


def delivery(tables: FeatureTables, outputs: Outputs) -> dict[str, list[dict]]:
    """What the delivery could not give, for the manifest: factors not delivered, years used
    instead of the wanted one, analyses not run for lack of data (typed reasons)."""
    return {"not_delivered": [d.to_dict() for d in tables.not_delivered],
            "years_used": [asdict(y) for y in tables.years_used],
            "lack_of_data": [{"analysis": a, "reason": r, "detail": d}
                             for a, r, d in outputs.lacking]}


def write_bundle(pilot: Pilot, outputs: Outputs, target: Path,
                 extra: dict[str, object] | None = None,
                 charts: Callable[[Path], list[ChartFile]] | None = None) -> Path:
    """Every output that passed the gate, with its verdict and rules; atomically. ``charts``
    draws the staged bundle's charts (default: both languages in this process)."""
    inputs = _inputs(pilot.paths.store)
    study = pilot.study.model_dump(mode="json")
    if pilot.study.effect is not None:  # a plan changed after the results were seen shows
        study["effect"]["plan_sha256"] = pilot.study.effect.plan_hash()
        # the words of the plan's outcomes (beside the plan: its hash covers the plan only)
        study["effect_words"] = {name: outcomes()[name].model_dump(
            include={"nl", "en", "nl_short", "en_short", "unit"})
            for name in pilot.study.effect.outcomes}
    # the outcome's words travel with the bundle: the report reads them from there
    words = outcomes()[pilot.study.outcome.name]
    study["outcome"] |= {"nl": words.nl, "en": words.en, "nl_short": words.nl_short,
                         "en_short": words.en_short, "unit": words.unit}
    study["place_words"] = place_words(pilot.study)
    whom = library().populations[pilot.study.population]
    study["population_words"] = {"nl": whom.nl, "en": whom.en, "nl_short": whom.nl_short,
                                 "en_short": whom.en_short}
    withheld = [{**w.to_dict(), "title_nl": titles(w.name)[0], "title_en": titles(w.name)[1]}
                for w in withheld_of(pilot, outputs)]
    # the areas' names and map from the boundaries file (public), for the published areas only
    maps = area_map(pilot.study, pilot.paths.boundaries, outputs.tables)
    labels = labels_frame(pilot.study.outcome.name)
    with BundleWriter(target, {"study": study, "smartstart": __version__}, inputs, seed=0,
                      withheld=withheld, charts=charts or _charts, extra=extra or {},
                      labels=maps.labels(labels) if maps else labels) as writer:
        for published in outputs.tables:
            name = published.record.name
            nl, en = titles(name)
            writer.add_table(CheckedTable(name, published.frame, published.record,
                                          outputs.variables.get(name, ()), nl, en,
                                          published.record.kind, published.rules.to_dict()))
        for name, (text, based_on) in outputs.texts.items():
            writer.add_text(name, text, lang=name.rsplit("_", 1)[-1], based_on=based_on)
        if maps is not None:
            writer.add_map(MAP_NAME, maps.geojson, maps.spec, (maps.table,))
    return target


def place_words(study) -> dict[str, str]:
    """Where the pilot runs, in words: "Heusden", "Tilburg en Goirle", or a region's name
    with the number of municipalities (names from the region catalog; a code without one
    stays a code)."""
    from smartstart.sources._regions import load_regions, municipality_names

    regions = load_regions()
    names = municipality_names()
    if study.every_municipality:
        n = len(study.municipalities)
        return {"nl": f"alle gemeenten van de levering ({n})",
                "en": f"every municipality of the delivery ({n})"}
    if study.regio is not None:
        region, n = regions[study.regio], len(study.municipalities)
        return {"nl": f"{region.name_nl} ({n} gemeenten)",
                "en": f"{region.name_en} ({n} municipalities)"}
    shown = [names.get(c, c) for c in study.municipalities]
    last = shown.pop()
    return {"nl": f"{', '.join(shown)} en {last}" if shown else last,
            "en": f"{', '.join(shown)} and {last}" if shown else last}


def titles(name: str) -> tuple[str, str]:
    """An output's or analysis's title, Dutch and English: the outputs' own, else the report's
    words for what may be withheld, else the name (a withheld model card was listed as
    'model_card_nl' in a municipality's report; helper-41)."""
    from smartstart.report._text import texts

    if name in TITLES:
        return TITLES[name]
    words = texts()["outputs"].get(name)
    return (words["nl"], words["en"]) if words else (name, name)


def reason_nl(name: str, why: str, lacking: dict[str, str]) -> str:
    """Why ``name`` is not in the bundle, in the report's Dutch words: the rules a table
    failed, or the lack of data an analysis was not run for (the console said 'combinations
    (nested)' and English details; helper-41). A reason without such words stays as it is."""
    from smartstart.report._text import term, texts

    if name in lacking:
        return f"analyse niet uitgevoerd: {term('lack_reason', lacking[name], 'nl')}"
    prefix, _, rules = why.rpartition("model afgekeurd: ")
    names = [r.strip() for r in rules.split(",") if r.strip()]
    if prefix or not names or not all(r in texts()["rule_why"] for r in names):
        return why
    said = "; ".join(term("rule_why", r, "nl") for r in names)
    return f"model afgekeurd: {said}" if why.startswith("model afgekeurd: ") else said


def withheld_of(pilot: Pilot, outputs: Outputs) -> list[Withheld]:
    """What the run withheld, as typed values (kind, rules, the lack of data's reason)."""
    lacking = {analysis: (reason, detail) for analysis, reason, detail in outputs.lacking}
    return [typed(w, lacking, pilot.study.target_group is not None) for w in outputs.withheld]


def _charts(staged: Path) -> list[ChartFile]:
    """The report's charts of the staged bundle, in Dutch and English."""
    return [*bundle_charts(staged, "nl"), *bundle_charts(staged, "en")]


def _warm() -> None:
    """A worker's first job: import the analyses (this module imports them) and start the
    chart renderer, while its run links."""
    from smartstart.report._bundle_charts import warm

    warm()


class BesideWorker:
    """A spawned process beside the run: it finds the household types while this process
    runs the analyses after them, and draws the bundle's English charts while this one draws
    the Dutch ones (vl-convert holds the GIL, so threads would take turns). Started with the
    run, so its imports and the renderer's start overlap the linking; without it
    (``SMARTSTART_CHART_WORKER=0``, or one core) everything runs here. The outputs are the same
    either way (each is a function of its inputs). A context manager."""

    def __init__(self) -> None:
        wanted = os.environ.get("SMARTSTART_CHART_WORKER", "1") != "0"
        self._pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=worker_start) \
            if wanted and (os.cpu_count() or 1) > 1 else None
        if self._pool is not None:
            self._pool.submit(_warm)

    @property
    def beside(self) -> Callable | None:
        """``submit`` of the worker (None without one), for ``publish``."""
        return self._pool.submit if self._pool is not None else None

    def charts(self, staged: Path) -> list[ChartFile]:
        if self._pool is None:
            return _charts(staged)
        from smartstart.bundle._svg import remember
        from smartstart.report._bundle_charts import charts_drawn

        english = self._pool.submit(charts_drawn, staged, "en")
        dutch = bundle_charts(staged, "nl")
        charts, drawn = english.result()
        remember(drawn)
        return [*dutch, *charts]

    def __enter__(self) -> BesideWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        # waiting for the worker to end (about 0.8 s in the demo): a process that exits
        # after ``shutdown(wait=False)`` can hang at its exit (python/cpython#83386; seen here
        # once in a benchmark's run, the bundle written, the worker still waiting for work).
        # After success its jobs are done; after an error the jobs not started are cancelled
        # and a running one is waited for
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _inputs(store: Path) -> dict[str, str]:
    """sha256 of every store file the run could read, from the store's manifest."""
    return {f"{table}/{year}": record.sha256
            for (table, year), record in sorted(read_manifest(store).items())}


#: residents without a household on the date above this share: the run says so (a few per cent
#: live in institutions; far more means the tables do not link)
HOUSEHOLD_LOSS = 0.10


def _summary(console: Console, pilot: Pilot, linked: Linked, result: RunResult) -> None:
    flow = Table(title=f"{pilot.study.name}: koppeling op {pilot.study.peildatum}")
    for column in ("stap", "in", "uit", "toelichting"):
        flow.add_column(column)
    for step in linked.db.attrition:
        flow.add_row(step.step, f"{step.rows_in:,}", f"{step.rows_out:,}", step.reason)
    console.print(flow)
    for step in linked.db.attrition:
        if step.step == WITH_HOUSEHOLD and step.rows_in and \
                step.rows_out < (1 - HOUSEHOLD_LOSS) * step.rows_in:
            console.print(f"[yellow]groot verlies[/]: {1 - step.rows_out / step.rows_in:.0%} van "
                          "de inwoners heeft geen huishouden op de peildatum (meestal minder "
                          "dan 3%); controleer of RINPERSOON in GBAADRESOBJECTBUS en "
                          "GBAHUISHOUDENSBUS op dezelfde manier geschreven is (bijvoorbeeld "
                          "voorloopnullen) en of beide tabellen de peildatum dekken")
    db = linked.db
    if "full" in db.sources.values() and (
            why := layout_unused(pilot.paths.store, db.dates.gemeenten, db.dates.peildatum)):
        console.print(f"[yellow]volledige bestanden gelezen[/] (dezelfde uitkomsten): {why}")
    console.print(f"[green]klaar in {result.seconds:.1f} s[/]: {result.households:,} huishoudens, "
                  f"{result.children:,} "
                  f"{library().populations[pilot.study.population].nl_short} -> "
                  f"{result.work} (microdata: blijft in de "
                  "beveiligde omgeving)")
    if result.bundle is not None:
        console.print(f"bundel (mag na controle naar buiten): {result.bundle} met "
                      f"{result.published} uitvoer")
    if result.sections:
        console.print(f"{len(result.sections)} bundels per gemeente (mogen na controle naar "
                      f"buiten): {result.sections[0][1].parent.parent}")
    for name, codes in result.section_withheld:
        shown = ", ".join(codes[:8]) + (f" en {len(codes) - 8} meer" if len(codes) > 8 else "")
        console.print(f"[yellow]niet in de bundel van {len(codes)} gemeente(n)[/]: "
                      f"{titles(name)[0]} ({shown}; de reden staat in hun bundel en rapport)")
    lacking = {analysis: reason for analysis, reason, _ in result.lacking}
    for name, why in result.withheld:
        console.print(f"[yellow]niet in de bundel[/]: {titles(name)[0]} "
                      f"({reason_nl(name, why, lacking)})")
    for lack in result.not_delivered:
        console.print(f"[yellow]niet geleverd[/]: {lack.factor} ({lack.unit}) ontbreekt: "
                      f"{lack.missing} niet geleverd")
    for used in result.years_used:
        console.print(f"[yellow]ander jaar[/]: {used.table} {used.used} gebruikt "
                      f"(gevraagd: {used.wanted})")
