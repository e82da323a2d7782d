"""The register over a region's sections (issue 18): a region run with and without
``per_gemeente``, profile, risk and areas by wijk, each in a fresh process with a time limit.
Without ``per_gemeente`` the register holds the region's tables only; with it, also every
municipality's own, and its attacker's LP over all of them is the step that does not scale yet
(README, "What a region or a national run needs").

    .venv/bin/python benchmarks/region_pass.py --store /data/hvb/store --prepare --households 230000
    .venv/bin/python benchmarks/region_register.py --store /data/hvb/store --limit 900
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import sys
import time
from pathlib import Path
from queue import Empty

from _common import peak_rss_mib

PILOT = """\
study:
  name: register benchmark
  regio: {regio}
  per_gemeente: {per_gemeente}
  peildatum: {peildatum}
  organisation: benchmark
  contact: projectteam
  population: kinderen
  target_group: {{rule: main_benefit, level: "3"}}
  outcome: {{name: uithuisplaatsing_of_ots, window_years: 3}}
  analyses: [profile, risk, areas]
  areas: {{level: wijk}}
  disclosure: {{min_cell: 10}}
paths:
  store: {store}
  output: {output}
"""


def run(pilot_file: Path, out: mp.Queue, trace: bool = False) -> None:
    from smartstart.pilot import load_pilot
    from smartstart.pipeline import run_pilot

    if hasattr(os, "setpgrp"):  # its per_gemeente workers stop with it at the limit
        os.setpgrp()
    started = time.perf_counter()
    if trace:
        _trace_attacks(started)
    run_pilot(load_pilot(pilot_file))
    out.put((time.perf_counter() - started, peak_rss_mib(), _largest_child_mib()))


def _largest_child_mib() -> float:
    """Peak memory of the largest process the run started and waited for (its workers, the
    register's process beside), where the platform says (not on Windows)."""
    try:
        import resource
    except ImportError:
        return float("nan")
    kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 2**20


def _trace_attacks(started: float) -> None:
    """Print each attack of the register as it ends: when, how long, what it bounded."""
    import smartstart.outputs as O

    attack = O.attack_register

    def traced(statements, *args, only=None, **kwargs):
        begun = time.perf_counter()
        findings = attack(statements, *args, only=only, **kwargs)
        narrowed = sum(1 for f in findings if f.narrowed)
        print(f"  [{begun - started:7.1f} s] attack of {len(statements)} statements"
              f"{'' if only is None else f', only {len(only)}'}: "
              f"{time.perf_counter() - begun:7.1f} s, {len(findings)} findings "
              f"({narrowed} narrowed)", flush=True)
        return findings

    O.attack_register = traced


def timed(pilot_file: Path, limit: float, trace: bool = False) -> str:
    """The run's time and peak memory, or that it was stopped at ``limit`` seconds."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=run, args=(pilot_file, queue, trace))
    started = time.perf_counter()
    proc.start()
    while True:
        try:
            seconds, mib, child = queue.get(timeout=1)
            proc.join()
            return (f"{seconds:7.1f} s  {mib / 1024:5.2f} GiB (largest process it started: "
                    f"{child / 1024:.2f} GiB)")
        except Empty:
            if not proc.is_alive():
                return f"failed (exit code {proc.exitcode}; its traceback is above)"
            if time.perf_counter() - started > limit:
                if hasattr(os, "killpg"):
                    os.killpg(proc.pid, signal.SIGTERM)
                else:  # Windows: the run's own workers end when their pipe breaks
                    proc.terminate()
                proc.join()
                return f"not done after {limit:.0f} s (stopped)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--regio", default="hart_van_brabant")
    parser.add_argument("--peildatum", default="2019-01-01")
    parser.add_argument("--limit", type=float, default=900, help="seconds per run")
    parser.add_argument("--work", type=Path, default=Path("register_bench"))
    parser.add_argument("--sections-only", action="store_true",
                        help="only the run with per_gemeente")
    parser.add_argument("--trace", action="store_true",
                        help="print each attack of the register as it ends")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for per_gemeente in (True,) if args.sections_only else (False, True):
        name = "per_gemeente" if per_gemeente else "region only"
        pilot = args.work / f"pilot_{'sections' if per_gemeente else 'region'}.yaml"
        pilot.write_text(PILOT.format(
            regio=args.regio, per_gemeente=str(per_gemeente).lower(), peildatum=args.peildatum,
            store=args.store.resolve().as_posix(),
            output=(args.work / pilot.stem).resolve().as_posix()), encoding="utf-8")
        rows.append((name, timed(pilot, args.limit, args.trace)))
        print(f"{name:>13}: {rows[-1][1]}", flush=True)
    print("\nregion run, profile + risk + areas by wijk (time, peak memory of the run's process)")
    for name, result in rows:
        print(f"  {name:>13}: {result}")


if __name__ == "__main__":
    main()
