"""How long `smartstart demo` takes, stage by stage, with old paths as baselines in the same run.

    python benchmarks/demo_speed.py [--out DIR] [--seed 1] [--households N] [--pilot NAME]

Runs the demo's own steps (synth, ingest, run, report) in this process with timers around
them and prints, per stage, wall-clock and CPU seconds (this process's CPU: on a shared machine
wall time rises with the load, CPU time much less) and how often it ran:

- import: ``import smartstart.pipeline`` in a fresh interpreter (``-X importtime``: the
  slowest imports beneath it are listed);
- synth, ingest, linking, features (and schools, the effect panel), writing work/;
- each analysis step of ``publish`` (profile, risk, typology, areas, effect) and the register
  of all outputs together at its end; inside them, the disclosure register's LPs per unit and
  the combinations' group LPs (``disclosure/_groups.py``) are also timed on their own;
- the bundle (with the charts it draws: every vl-convert render is counted) and the report.

Baselines measured in the same run, on the same inputs:
- the register: every unit the run bounded, again without the cache, on one warm-started HiGHS
  model (now) and with one ``scipy.optimize.linprog`` per bound (before), and the findings of
  both compared;
- charts: renders asked for against renders done (the rest come from the cache).

Speed goals (issue 18: the demo warm in <= 15 s) are checked here, never in timed tests.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

TIMES: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
ORDER: list[str] = []


@contextmanager
def timed(stage: str):
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        entry = TIMES[stage]
        entry[0] += time.perf_counter() - wall
        entry[1] += time.process_time() - cpu
        entry[2] += 1
        if stage not in ORDER:
            ORDER.append(stage)


def wrap(owner, name: str, stage: str, record: list | None = None):
    """Time every call of ``owner.name`` as ``stage`` (and keep its arguments in ``record``)."""
    original = getattr(owner, name)

    def timed_call(*args, **kwargs):
        if record is not None:
            record.append((args, kwargs))
        with timed(stage):
            return original(*args, **kwargs)

    setattr(owner, name, timed_call)
    return original


def import_time() -> tuple[float, list[tuple[float, str]]]:
    """Seconds to import smartstart.pipeline in a fresh interpreter, and the packages it
    pulls in that take longest (cumulative seconds where each is first imported)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import smartstart.pipeline"],
                          capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| *(\S+)", line)
        if found:
            rows.append((int(found[2]) / 1e6, found[3]))
    total = next(s for s, name in rows if name == "smartstart.pipeline")
    packages = sorted(((s, name) for s, name in rows
                       if "." not in name and name != "smartstart"), reverse=True)
    return total, packages[:8]


def run(out: Path, seed: int, households: int | None, pilot_name: str) -> dict:
    with timed("import smartstart (this process)"):
        from smartstart import _to_work as to_work
        from smartstart import demo, pipeline
        from smartstart.disclosure import _groups, _register
        from smartstart.pilot import load_pilot
        from smartstart.report import _charts, write_report
        from smartstart.sources import ingest
        from smartstart.synth import generate

    units: list = []
    attack = wrap(_register, "_attack_unit", "  register LPs (per unit)", units)
    wrap(_groups, "settled", "  combinations' group LPs")
    wrap(to_work, "link", "linking")
    wrap(to_work, "build_features", "features")
    wrap(to_work, "school_branches", "schools per buurt")
    wrap(to_work, "_write_atomically", "work/ written")
    wrap(to_work, "write_panel", "effect panel")
    wrap(pipeline, "_charts", "  charts of the bundle (nl, en)")
    wrap(pipeline, "write_bundle", "bundle (incl. charts)")
    renders: list = []
    wrap(_charts, "svg_of", "  vl-convert renders", renders)
    publish = pipeline.publish

    def publish_timed(study, work, progress, **options):
        marks = []

        def mark(label: str) -> None:
            marks.append((label, time.perf_counter(), time.process_time()))
            progress(label)

        marks.append(("start", time.perf_counter(), time.process_time()))
        outputs = publish(study, work, mark, **options)
        marks.append(("end", time.perf_counter(), time.process_time()))
        for (label, wall, cpu), (_, wall_next, cpu_next) in zip(marks[1:], marks[2:],
                                                              strict=False):
            stage = f"analysis: {label}"
            TIMES[stage] = [wall_next - wall, cpu_next - cpu, 1]
            ORDER.append(stage)
        return outputs

    pipeline.publish = publish_timed
    text = resources.files("smartstart.pilots").joinpath(f"{pilot_name}.yaml").read_text("utf-8")
    spec = demo._synth_spec(text, seed, households)
    with timed("synth"):
        generate(out / "cbs", spec)
    with timed("ingest"):
        ingest(out / "cbs", out / "store")
    (out / "pilot.yaml").write_text(text, "utf-8")
    with timed("run (link ... bundle)"):
        result = pipeline.run_pilot(load_pilot(out / "pilot.yaml"))
    with timed("report (nl)"):
        write_report(result.bundle, out / "rapport.html", lang="nl")
    return {"attack": attack, "units": units, "renders": renders, "register": _register}


def register_baseline(attack, units, register) -> list[tuple[str, float, float, int]]:
    """Every distinct unit the run bounded, bounded again without the cache by each solver."""
    distinct = list({tuple(args[0]): args for args, _ in units}.values())
    rows, findings = [], {}
    for solver in ("linprog", "highs"):
        register._unit_bounds.cache_clear()
        wall, cpu = time.perf_counter(), time.process_time()
        findings[solver] = [[(f.statement, f.lower, f.upper, f.narrowed)
                             for f in attack(args[0], args[1], solver)] for args in distinct]
        rows.append((solver, time.perf_counter() - wall, time.process_time() - cpu,
                     len(distinct)))
    if findings["linprog"] != findings["highs"]:
        raise AssertionError("the register's bounds differ between the solvers")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--households", type=int, default=None)
    parser.add_argument("--pilot", default="voedselbank")
    args = parser.parse_args(argv)
    total, slowest = import_time()
    out = args.out or Path(tempfile.mkdtemp(prefix="demo-speed-"))
    started = time.perf_counter(), time.process_time()
    state = run(out, args.seed, args.households, args.pilot)
    wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
    print(f"\nsmartstart demo, stage by stage ({out}; seed {args.seed})")
    print(f"{'stage':44} {'wall s':>8} {'CPU s':>8} {'calls':>6}")
    print(f"{'import smartstart.pipeline (fresh process)':44} {total:8.2f}")
    for seconds, name in slowest:
        print(f"{'  of which ' + name:44} {seconds:8.2f}")
    for stage in ORDER:
        w, c, n = TIMES[stage]
        print(f"{stage:44} {w:8.2f} {c:8.2f} {n:6d}")
    print(f"{'demo in all (without the fresh import)':44} {wall:8.2f} {cpu:8.2f}")
    renders = state["renders"]
    distinct = len({(str(a[0]), a[1:]) for a, _ in renders})
    print(f"\ncharts: {len(renders)} vl-convert renders for {distinct} distinct charts")
    if not hasattr(state["register"], "_unit_bounds"):  # run on a checkout before issue 18
        return
    rows = register_baseline(state["attack"], state["units"], state["register"])
    print(f"register: {len(state['units'])} units bounded in the run, {rows[0][3]} distinct; "
          "again without the cache, the same bounds from both solvers:")
    for solver, w, c, _ in rows:
        print(f"  {solver:8} {w:8.2f} s wall {c:8.2f} s CPU")
    print(f"  warm-started HiGHS / one linprog per bound: {rows[1][2] / rows[0][2]:.2f} of the "
          "CPU time")


if __name__ == "__main__":
    main()
