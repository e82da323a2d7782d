"""The `smartstart` command: thin commands over the package's steps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from smartstart._exit import skip_final_collection
from smartstart._usage import UsageError
from smartstart.sources.errors import SourceError

app = typer.Typer(
    help="smartstart: data-driven prevention on CBS microdata, with disclosure-safe outputs.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
skip_final_collection()  # the command ends when its work does (smartstart._exit)
HELP = {
    "persons": "Number of persons (about 2.3 a household).",
    "last_year": "Last year (the delivery year of spell tables).",
    "source_dir": "Folder with CBS files (searched recursively).",
    "pin": "Use a version other than the newest: TABLE:YEAR=VERSION, e.g. GBAPERSOONTAB:2022=1.",
    "unknown_codes": "error: stop on a code outside a verified code list; null: store NULL and "
    "count it (never in a key column; a nulled outcome column is warned). Codes outside an "
    "assumed code list are always kept and counted.",
    "demo_out": "Folder for the demo's data, store and results.",
    "paths": "A YAML file whose 'paths' section replaces the pilot's (paths of this machine).",
    "variant": "Deliver differently from the demo (repeatable): names, vslgwb-year, absent-tables, "
               "absent-columns, partner-sav, partner-sav-dates, assumed-codes, year-gap, "
               "protection-per-year; "
               "truth.json records what each changed.",
    "regio": "Write the municipalities of a named region (sources/regions.yaml, e.g. "
             "hart_van_brabant) with their real codes, the households split evenly over them.",
    "gemeenten": "Write these municipalities (comma-separated 4-digit codes, e.g. 0784,0855), the "
                 "households split evenly over them; the first gets the partner file.",
}


def _synth_municipalities(regio: str | None,
                          gemeenten: str | None) -> tuple[tuple[str, str], ...]:
    """(code, name) of the municipalities ``--regio`` or ``--gemeenten`` names (else ())."""
    from smartstart.sources._regions import find_region, municipality_names

    if regio and gemeenten:
        raise UsageError("give --regio or --gemeenten, not both")
    if regio:
        return tuple(find_region(regio)[1].municipalities.items())
    names = municipality_names()
    codes = [c.strip().zfill(4) for c in (gemeenten or "").split(",") if c.strip()]
    return tuple((c, names.get(c, f"gemeente {c}")) for c in codes)


def _fail(error: Exception) -> None:
    console.print(f"[bold red]error:[/] {error}")
    raise typer.Exit(code=1)


def _fail_disk(error: OSError) -> None:
    """A read-only or full disk, a locked file: one line naming the file, not a traceback."""
    where = f": {error.filename}" if error.filename else ""
    _fail(OSError(f"{error.strerror or error}{where}"))


@app.command()
def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write the CBS-format files into.")],
    persons: Annotated[int | None, typer.Option(help=HELP["persons"])] = None,
    households: Annotated[int | None, typer.Option(help="Number of households.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")] = 1,
    fmt: Annotated[str, typer.Option("--format", help="sav | csv | csv-labels | parquet")] = "sav",
    first_year: Annotated[int, typer.Option(help="First year of yearly tables.")] = 2012,
    last_year: Annotated[int, typer.Option(help=HELP["last_year"])] = 2022,
    variant: Annotated[list[str] | None, typer.Option(help=HELP["variant"])] = None,
    regio: Annotated[str | None, typer.Option(help=HELP["regio"])] = None,
    gemeenten: Annotated[str | None, typer.Option(help=HELP["gemeenten"])] = None,
) -> None:
    """Write a synthetic municipality as CBS would deliver it, with its planted truth."""
    from smartstart.synth import SynthSpec, generate

    try:
        places = _synth_municipalities(regio, gemeenten)
        spec = SynthSpec.from_size(
            persons=persons, households=households, seed=seed, fmt=fmt,
            first_year=first_year, last_year=last_year, variants=tuple(variant or ()),
            **({"municipalities": places} if places else {}),
        )
        generate(out, spec, console=console)
    except (SourceError, UsageError) as error:
        _fail(error)


@app.command()
def ingest(
    source_dir: Annotated[Path, typer.Argument(help=HELP["source_dir"])],
    store: Annotated[
        Path | None, typer.Option(help="Folder of the typed parquet store (not with --check).")
    ] = None,
    pin: Annotated[
        list[str] | None,
        typer.Option(help=HELP["pin"]),
    ] = None,
    chunk_rows: Annotated[int, typer.Option(help="Rows read at a time (bounds memory).")] = 500_000,
    unknown_codes: Annotated[
        str, typer.Option(help=HELP["unknown_codes"])
    ] = "error",
    check: Annotated[
        bool, typer.Option("--check", help="Read and validate every file; write nothing.")
    ] = False,
) -> None:
    """Read CBS files into a typed, validated parquet store with a manifest.

    Every problem of the delivery is listed at once (exit 1); files without problems are stored.
    """
    from smartstart.sources import ingest as run_ingest
    from smartstart.sources import parse_pins
    from smartstart.sources._feedback import print_problems

    try:
        if store is None and not check:
            raise SourceError("no --store given", hint="use --store FOLDER, or --check to only "
                              "check the delivery")
        run_ingest(
            source_dir, store, pins=parse_pins(pin or []), chunk_rows=chunk_rows,
            unknown_codes=unknown_codes, console=console, check=check,
        )
    except SourceError as error:
        print_problems(console, error)
        raise typer.Exit(code=1) from None


@app.command()
def layout(
    store: Annotated[Path, typer.Option(help="Folder of the typed parquet store.")],
    gemeenten: Annotated[str | None, typer.Option(
        help="Only these municipalities, by CBS code (0784,0855): a region's team need not "
             "split the whole country. Pilots elsewhere read the full files.")] = None,
    regio: Annotated[str | None, typer.Option(
        help="Only the municipalities of this region (sources/regions.yaml).")] = None,
    vanaf: Annotated[int | None, typer.Option(
        help="Serve a peildatum from 1 January of this year on (e.g. 2021): only the persons "
             "who lived there since then, of their address, household and status spells those "
             "that can matter from then on, and of the yearly tables only the years such a "
             "peildatum reads. A faster, smaller layout; an earlier peildatum and an effect "
             "evaluation read the full files.")] = None,
) -> None:
    """Split the store by municipality so one municipality reads a small part of it."""
    import duckdb
    from rich.progress import Progress

    from smartstart.outputs._sections import progress_columns
    from smartstart.sources import build_layout
    from smartstart.sources._layout import served_by
    from smartstart.sources._regions import find_region

    codes: tuple[str, ...] | None = None
    if gemeenten is not None and regio is not None:
        _fail(SourceError("name --gemeenten or --regio, not both"))
    if gemeenten is not None:
        codes = tuple(c.strip() for c in gemeenten.split(",") if c.strip())
    if regio is not None:
        try:
            codes = find_region(regio)[1].codes
        except UsageError as error:
            _fail(SourceError(str(error), hint="name a region of sources/regions.yaml"))
    before = served_by(store)  # what the layout there now serves, to say what is replaced
    try:
        with Progress(*progress_columns(), console=console, transient=True) as bar:
            task = bar.add_task("opslag per gemeente indelen", total=None)

            def step(name: str, done: int, steps: int) -> None:
                bar.update(task, description=f"indelen: {name}", completed=done, total=steps)

            built = build_layout(store, codes, progress=step, since=vanaf)
    except SourceError as error:
        _fail(error)
    except (OSError, duckdb.IOException) as error:  # a full disk above all: one clear line
        _fail(SourceError(f"{store}: the layout could not be written ({error}); the store and "
                          "its last layout are unchanged",
                          hint="free about twice the store's size on its disk (the layout and "
                               "DuckDB's temporary files), or lay out fewer municipalities "
                               "(--gemeenten, --regio)"))
    which = "alle gemeenten" if codes is None else ", ".join(codes)
    if vanaf is not None:
        which += f", voor een peildatum vanaf {built.served}"
    console.print(f"[green]indeling per gemeente klaar[/] ({which}): {built.folder} "
                  f"({len(built.split)} bestanden ingedeeld, {len(built.kept)} ongewijzigd "
                  "overgenomen)")
    after = served_by(store)
    if before is not None and after is not None and before != after:
        console.print(f"[yellow]vorige indeling vervangen[/]: die diende {before}; deze dient "
                      f"{after}")


@app.command()
def run(
    pilot: Annotated[Path, typer.Argument(help="The pilot's YAML file (study + paths).")],
    paths: Annotated[Path | None, typer.Option(help=HELP["paths"])] = None,
) -> None:
    """Run a pilot: link, build the factors, run the analyses it asks for, and write
    only what passes disclosure control into the bundle (paths.output/bundle).

    \b
    The pilot file (examples: smartstart/pilots/*.yaml):
      study.analyses  profile, risk, typology, areas (effect: evaluation)
      study.areas     where to start:
        level: buurt | wijk | gemeente (gemeente: a region's pilot)
        measure: outcome (its rate) | target_group (share of households)
        select:
          top: N                   the N highest expected (shrunk) rates
          above_municipality: true intervals above the municipality's
          min_children: N          only areas with N of the population
          min_schools: N           only areas with N schools (paths.schools)
        {top: 3, min_schools: 3, min_children: 50}: the 3 highest among
        the buurten with 3 schools and 50 children; the report names the
        near misses that cannot be told apart from the chosen ones.
    \b
      paths.boundaries  the CBS wijk- en buurtkaart GeoPackage (from
                        cbs.nl, EPSG:28992): area names and maps, offline
      paths.schools     school locations: school key and buurt or RD x/y
      paths.partner_files  the partners' client files, linked by CBS"""
    from smartstart.pilot import load_pilot
    from smartstart.pipeline import run_pilot

    try:
        run_pilot(load_pilot(pilot, paths), console=console)
    except (SourceError, UsageError) as error:
        _fail(error)
    except OSError as error:
        _fail_disk(error)


@app.command()
def check(
    bundles: Annotated[list[Path], typer.Argument(
        help="A bundle folder written by `smartstart run`; several: the bundles of one "
             "per_gemeente run (results/bundle results/gemeenten/*/bundle), each checked "
             "alone and then all together.")],
) -> None:
    """Verify a bundle again from its content: every file declared in the manifest, verdicts,
    every table against the disclosure rules, every chart against its table."""
    from rich.table import Table

    from smartstart.bundle import check_bundle, check_together

    found: list[tuple[str, object]] = []
    tables = 0
    for bundle in bundles:
        problems, checked = check_bundle(bundle)
        found += [(str(bundle), p) for p in problems]
        tables += checked
    if len(bundles) > 1 and not found:
        found += [("samen", p) for p in check_together(bundles)]
    if found:
        listing = Table(title=f"{len(found)} problem(s)")
        for column in ("bundle", "where", "kind", "problem"):
            listing.add_column(column)
        for bundle, problem in found:
            listing.add_row(bundle, problem.where, problem.kind, problem.problem)
        console.print(listing)
        console.print("[red]not safe to export[/]: fix the run or rebuild the bundle")
        raise typer.Exit(1)
    together = (f"; the {len(bundles)} bundles' counts also together"
                if len(bundles) > 1 else "")
    console.print(f"[green]bundle sound[/]: {', '.join(map(str, bundles))} (declared files, "
                  f"verdicts, the rules on {tables} tables and the charts' data checked "
                  f"again{together})")


SCAN_HELP = {
    "data": "Folder for the scan's SQLite file (smartstart-scan.sqlite); not with --db-url.",
    "db_url": "A database URL instead, e.g. postgresql://user:password@host/db.",
}


@app.command()
def report(
    bundle: Annotated[Path, typer.Argument(help="A bundle folder written by `smartstart run`.")],
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path("rapport.html"),
    lang: Annotated[str, typer.Option(help="nl (Dutch, default) or en (English).")] = "nl",
    team_notes: Annotated[bool, typer.Option(help="Put the project team's interpretation "
                                                  "(recorded in `smartstart serve`) beside "
                                                  "the findings, marked as the team's "
                                                  "words.")] = False,
    data: Annotated[Path, typer.Option(help=SCAN_HELP["data"])] = Path("."),
    db_url: Annotated[str | None, typer.Option(help=SCAN_HELP["db_url"])] = None,
) -> None:
    """Write the report of a bundle: one self-contained HTML file (charts inline, no network),
    and beside it the persona cards to print on A5 (``NAME-kaarten.html``) when it has them."""
    import time

    from smartstart.report import write_report
    from smartstart.report._cards import cards_path, write_cards

    started = time.perf_counter()
    notes = _team_notes(bundle, _scan_url(data, db_url)) if team_notes else None
    try:
        path = write_report(bundle, out, lang=lang, notes=notes)  # type: ignore[arg-type]
        cards = write_cards(bundle, cards_path(out), lang=lang)  # type: ignore[arg-type]
    except UsageError as error:
        _fail(error)
    except OSError as error:
        _fail_disk(error)
    size = path.stat().st_size / 1024
    console.print(f"[green]rapport geschreven[/]: {path} ({lang}, {size:,.0f} kB, "
                  f"{time.perf_counter() - started:.1f} s) uit {bundle}")
    if cards is not None:
        console.print(f"[green]persona-kaarten (A5)[/]: {cards}")
    if notes is not None:
        console.print(f"[green]duiding van het team[/]: {sum(map(len, notes.values()))} "
                      f"notitie(s) bij {len(notes)} bevinding(en)")


def _team_notes(bundle: Path, url: str) -> dict:
    """The team's notes on ``bundle`` from the scan's database at ``url``."""
    from smartstart.web._bundles import open_bundles
    from smartstart.web._db import make_engine, migrate
    from smartstart.web._notes import notes_for_report
    from smartstart.web._store import Store

    try:
        entry = open_bundles([bundle])[0]
    except UsageError as error:
        _fail(error)
    store = Store(make_engine(url))
    migrate(store.engine)
    try:
        return notes_for_report(store, entry.digest)
    finally:
        store.engine.dispose()


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help=HELP["demo_out"])] = Path("demo-output"),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    pilot: Annotated[str, typer.Option(help="An example pilot (smartstart/pilots): voedselbank "
                                            "(the default), heusden_uithuisplaatsing, "
                                            "tilburg_jongeren, eerste_1000_dagen, "
                                            "school_voortijdig_schoolverlaten, "
                                            "huiselijk_geweld_hart_van_brabant, "
                                            "effect_gilze_en_rijen (did it work, treated "
                                            "buurten), effect_voedselbank_gezinnen (did it "
                                            "work, a treated group).")] = "voedselbank",
) -> None:
    """Synthesise a municipality that fits the example pilot and run it end to end."""
    from smartstart.demo import run_demo

    try:
        run_demo(out, seed=seed, console=console, pilot=pilot)
    except (SourceError, UsageError) as error:
        _fail(error)
    except OSError as error:
        _fail_disk(error)


@app.command("request")
def data_request(
    write: Annotated[Path | None, typer.Option(help="Put the list between the markers "
                                                    "<!-- begin: aanvraag --> and <!-- end: "
                                                    "aanvraag --> of this Markdown file "
                                                    "(docs/stappenplan.md).")] = None,
) -> None:
    """The data request to CBS, in Dutch Markdown: per table its file names, the columns
    smartstart reads and the factors and outcomes that need it (from the catalog)."""
    from smartstart._data_request import request_markdown, write_block

    if write is None:
        typer.echo(request_markdown())
        return
    try:
        changed = write_block(write)
    except (UsageError, OSError) as error:
        _fail(error)
    console.print(f"{write}: " + ("aanvraag bijgewerkt" if changed else "aanvraag al actueel"))


scan_app = typer.Typer(help="The data maturity quick scan: a workshop web app (extra 'scan').",
                       no_args_is_help=True)
app.add_typer(scan_app, name="scan")


def _scan_url(data: Path, db_url: str | None) -> str:
    try:
        from smartstart.web import database_url
    except ImportError as error:
        _fail(ImportError(f"{error}: install the scan's web stack: pip install smartstart[scan]"))
    return database_url(data, db_url)


@scan_app.command("serve")
def scan_serve(
    data: Annotated[Path, typer.Option(help=SCAN_HELP["data"])] = Path("."),
    db_url: Annotated[str | None, typer.Option(help=SCAN_HELP["db_url"])] = None,
    host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for phones in the "
                                           "network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    lang: Annotated[str, typer.Option(help="The facilitator's pages: nl or en.")] = "nl",
    public_url: Annotated[str | None, typer.Option(help="The address phones use, for the QR "
                                                        "code, e.g. http://10.0.0.5:8000")] = None,
    keep_days: Annotated[int, typer.Option(min=0, help="At start, delete the sessions closed "
                                           "more than this many days ago, with their answers; "
                                           "0 keeps them for ever.")] = 90,
) -> None:
    """Start the quick scan; prints the address and a one-time login code for the facilitator.

    At start it deletes the sessions closed more than --keep-days days ago and says how many."""
    if lang not in ("nl", "en"):
        _fail(ValueError("--lang is nl or en"))
    url = _scan_url(data, db_url)
    from smartstart.web import ScanConfig, serve

    serve(ScanConfig(url=url, lang=lang, public_url=public_url, keep_days=keep_days),
          host=host, port=port, say=console.print)


@app.command()
def serve(
    bundles: Annotated[list[Path], typer.Argument(help="One or more bundle folders "
                                                       "(results/bundle of a run).")],
    data: Annotated[Path, typer.Option(help=SCAN_HELP["data"])] = Path("."),
    db_url: Annotated[str | None, typer.Option(help=SCAN_HELP["db_url"])] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    lang: Annotated[str, typer.Option(help="The pages' language: nl or en.")] = "nl",
    static: Annotated[Path | None, typer.Option(help="Write the same pages into this one HTML "
                                                     "file for sharing offline, and stop.")
                      ] = None,
) -> None:
    """The dashboard: explore bundles in the browser (chapters as pages, tables with filters,
    how each number was checked, two bundles compared) and record the team's interpretation
    beside each finding, in the quick scan's database. Reads bundles only."""
    if lang not in ("nl", "en"):
        _fail(ValueError("--lang is nl or en"))
    url = _scan_url(data, db_url)
    if static is not None:
        from smartstart.web._static import write_static

        try:
            written = write_static(bundles, static, url, lang)
        except UsageError as error:
            _fail(error)
        except OSError as error:
            _fail_disk(error)
        console.print(f"[green]dashboard als bestand[/]: {written} "
                      f"({written.stat().st_size / 1024:,.0f} kB, {len(bundles)} bundel(s))")
        return
    from smartstart.web import ScanConfig
    from smartstart.web import serve as run_server

    try:
        run_server(ScanConfig(url=url, lang=lang, bundles=tuple(bundles)), host=host, port=port,
                   say=console.print)
    except UsageError as error:
        _fail(error)


@scan_app.command("password")
def scan_password(
    data: Annotated[Path, typer.Option(help=SCAN_HELP["data"])] = Path("."),
    db_url: Annotated[str | None, typer.Option(help=SCAN_HELP["db_url"])] = None,
) -> None:
    """Set the facilitator's password (stored as a scrypt hash), asked for twice."""
    url = _scan_url(data, db_url)
    from smartstart.web import set_password

    password = typer.prompt("Wachtwoord / password", hide_input=True,
                            confirmation_prompt=True)
    try:
        set_password(url, password)
    except UsageError as error:
        _fail(error)
    console.print("[green]wachtwoord opgeslagen / password stored[/]")


if __name__ == "__main__":
    app()
