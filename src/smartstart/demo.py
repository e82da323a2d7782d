"""`smartstart demo`: the whole pipeline on the synthetic demo municipality (Gilze en Rijen)."""

from __future__ import annotations

import shutil
import time
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from smartstart.pilot import load_pilot
from smartstart.pipeline import run_pilot
from smartstart.report import write_report
from smartstart.sources import ingest
from smartstart.synth import SynthSpec, generate

MARKER = "truth.json"


def run_demo(out: Path, *, seed: int = 1, households: int | None = None,
             console: Console | None = None) -> dict[str, Path]:
    """Synthesise the demo municipality, ingest it, run the demo pilot, write its bundle and
    report, and say where everything is.

    Re-running replaces the demo's own synthetic data (recognised by its truth.json); a folder
    that holds anything else is left alone and reported.
    """
    console = console or Console()
    out = Path(out)
    source, store = out / "cbs", out / "store"
    if source.exists():
        if not (source / MARKER).exists():
            raise ValueError(f"{source} exists but is not demo data: choose another --out")
        shutil.rmtree(source)
    started = time.perf_counter()
    spec = SynthSpec.from_size(households=households, seed=seed)
    console.rule("[bold]1. Synthetische CBS-microdata (demo: Gilze en Rijen)")
    generate(source, spec, console=console)
    console.rule("[bold]2. Inlezen in de getypeerde opslag")
    ingest(source, store, console=console)
    console.rule("[bold]3. Koppelen, kenmerken, analyses en openbaarmakingscontrole "
                 "(pilot: voedselbank)")
    pilot_file = out / "pilot.yaml"
    pilot_file.write_text(resources.files("smartstart").joinpath("demo_pilot.yaml")
                          .read_text("utf-8"), "utf-8")
    result = run_pilot(load_pilot(pilot_file), console=console)
    console.rule("[bold]4. Rapport (alleen uit de bundel)")
    assert result.bundle is not None
    report = write_report(result.bundle, out / "rapport.html", lang="nl")
    seconds = time.perf_counter() - started
    paths = {"source": source, "truth": source / MARKER, "store": store,
             "manifest": store / "manifest.json", "pilot": pilot_file, "work": result.work,
             "bundle": result.bundle, "report": report}
    summary = Table(title=f"smartstart demo klaar in {seconds:.1f} s", show_header=False)
    rows = (("CBS-bestanden (synthetisch)", source), ("geplante waarheid", paths["truth"]),
            ("opslag (parquet)", store), ("manifest", paths["manifest"]),
            ("pilot", pilot_file), ("huishoudens en kinderen (microdata)", result.work),
            ("bundel (gecontroleerde uitvoer)", result.bundle), ("rapport", report))
    for label, path in rows:
        summary.add_row(label, str(path))
    console.print(summary)
    return paths
