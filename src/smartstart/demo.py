"""`smartstart demo`: the whole pipeline on the synthetic demo municipality (Gilze en Rijen)."""

from __future__ import annotations

import shutil
import time
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from smartstart._usage import UsageError
from smartstart.pilot import load_pilot
from smartstart.pipeline import run_pilot
from smartstart.report import write_report
from smartstart.sources import ingest
from smartstart.synth import SynthSpec, generate

MARKER = "truth.json"
#: beside cbs/: what wrote the synthetic delivery (``synth_fingerprint``)
FINGERPRINT = ".demo-synth"


def synth_fingerprint(spec: SynthSpec) -> str:
    """The spec and every source file of the generator, hashed: a demo folder whose delivery
    has this fingerprint holds exactly what ``generate`` would write again."""
    import dataclasses
    import hashlib
    import json

    import smartstart.synth as synth

    digest = hashlib.sha256(json.dumps(dataclasses.asdict(spec), sort_keys=True,
                                       default=str).encode())
    root = Path(synth.__file__).resolve().parent
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".yaml", ".json")
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()
#: the example pilots (``smartstart/pilots/NAME.yaml``); the food bank is the demo
DEFAULT_PILOT = "voedselbank"
#: households per municipality when an example pilot names a region
REGION_HOUSEHOLDS = 2_000


def example_pilots() -> list[str]:
    """The names of the example pilots, for ``smartstart demo --pilot``."""
    folder = resources.files("smartstart.pilots")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def _synth_spec(pilot_text: str, seed: int, households: int | None) -> SynthSpec:
    """A synthetic delivery that fits the pilot: its municipality, or every municipality of
    its region (REGION_HOUSEHOLDS each)."""
    import yaml

    from smartstart.sources._regions import load_regions, municipality_names

    study = yaml.safe_load(pilot_text)["study"]
    names = municipality_names()
    if study.get("regio"):
        codes = load_regions()[study["regio"]].codes
    else:
        codes = tuple(study.get("gemeenten") or (str(study["gemeente"]),))
    if codes == ("0784",):
        return SynthSpec.from_size(households=households, seed=seed)
    places = tuple((c, names.get(c, f"gemeente {c}")) for c in codes)
    total = households or (REGION_HOUSEHOLDS * len(codes) if len(codes) > 1 else None)
    return SynthSpec.from_size(households=total, seed=seed, municipalities=places)


def run_demo(out: Path, *, seed: int = 1, households: int | None = None,
             console: Console | None = None, pilot: str = DEFAULT_PILOT) -> dict[str, Path]:
    """Synthesise a municipality (or region) that fits the example pilot, ingest it, run the
    pilot, write its bundle and report, and say where everything is.

    Re-running reuses the demo's own synthetic data when the same seed, size and generator
    wrote it (``FINGERPRINT``), and replaces it otherwise (recognised by its truth.json); a
    folder that holds anything else is left alone and reported.
    """
    console = console or Console()
    out = Path(out)
    source, store = out / "cbs", out / "store"
    if source.exists() and not (source / MARKER).exists():
        raise UsageError(f"{source} exists but is not demo data: choose another --out")
    if pilot not in example_pilots():
        raise UsageError(f"--pilot {pilot}: not an example pilot; choose one of "
                         + ", ".join(example_pilots()))
    text = resources.files("smartstart.pilots").joinpath(f"{pilot}.yaml").read_text("utf-8")
    started = time.perf_counter()
    spec = _synth_spec(text, seed, households)
    where = ", ".join(name for _, name in spec.municipalities) or "Gilze en Rijen"
    console.rule(f"[bold]1. Synthetische CBS-microdata (demo: {where})")
    fingerprint, mark = synth_fingerprint(spec), out / FINGERPRINT
    if (source / MARKER).exists() and mark.exists() and mark.read_text("utf-8") == fingerprint:
        # the same seed, size and generator wrote it: the same files again (ingest then skips
        # every unchanged file), so the demo warm takes the run's time, not the synthesis's
        console.print(f"hergebruikt: {source} (dezelfde seed, omvang en generator)")
    else:
        mark.unlink(missing_ok=True)
        if source.exists():
            shutil.rmtree(source)
        generate(source, spec, console=console)
        mark.write_text(fingerprint, "utf-8")
    console.rule("[bold]2. Inlezen in de getypeerde opslag")
    ingest(source, store, console=console)
    console.rule("[bold]3. Koppelen, kenmerken, analyses en openbaarmakingscontrole "
                 f"(pilot: {pilot})")
    pilot_file = out / "pilot.yaml"
    pilot_file.write_text(text, "utf-8")
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
