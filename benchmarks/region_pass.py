"""A region in one pass against one municipality at a time (issue 18): linking and the factor
library's household and child tables for every municipality of a region.

    # once: a synthetic region, its store and layout (timed here)
    .venv/bin/python benchmarks/region_pass.py --store /data/hvb-store --prepare \
        --regio hart_van_brabant --households 200000
    # then, as often as you like
    .venv/bin/python benchmarks/region_pass.py --store /data/hvb-store --regio hart_van_brabant

Contenders, each in a fresh process (spawn) with its wall time and peak RSS:
- one pass: ``link`` + ``build_features`` once for all the region's municipalities (what a pilot
  with ``regio:`` or ``gemeenten: [...]`` or ``gemeenten: all`` does);
- one at a time: the same for each municipality alone, one after another in one process (the
  2-3 s start-up of a separate run per municipality is not counted; add it for the old way);
- in workers: each municipality alone on ``--workers`` spawned processes (their start-up and
  imports counted), the peak RSS of the largest worker.

Both must give the same households and children per municipality: the script compares them and
says so (a region's pass may never change a municipality's tables).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import time
from datetime import date
from pathlib import Path

from _common import measure, peak_rss_mib


def prepare(store: Path, regio: str, households: int, seed: int) -> None:
    from smartstart.sources import build_layout, ingest
    from smartstart.sources._regions import load_regions
    from smartstart.synth import SynthSpec, generate

    region = load_regions()[regio]
    places = tuple(region.municipalities.items())
    source = store.with_name(store.name + "-source")
    shutil.rmtree(source, ignore_errors=True)
    shutil.rmtree(store, ignore_errors=True)
    started = time.perf_counter()
    generate(source, SynthSpec.from_size(households=households, seed=seed, fmt="parquet",
                                         municipalities=places))
    print(f"synth of {households:,} households in {len(places)} municipalities: "
          f"{time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    ingest(source, store)
    print(f"ingest: {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    build_layout(store)
    print(f"layout by municipality: {time.perf_counter() - started:.0f} s")


def _tables(store: Path, codes: tuple[str, ...], peildatum: date):
    from smartstart.features import build_features
    from smartstart.linking import link
    from smartstart.pilot import Study

    study = Study(name="bench", gemeenten=codes, peildatum=peildatum)
    linked = link(store, study)
    return build_features(linked.db, study)


def _per_municipality(tables) -> dict[str, tuple[int, int]]:
    households = tables.households.groupby("gemeente").size()
    children = tables.children.groupby("gemeente").size()
    return {str(g): (int(households.get(g, 0)), int(children.get(g, 0)))
            for g in households.index}


def one_pass(store: str, codes: tuple[str, ...], peildatum: date, out: mp.Queue) -> None:
    started = time.perf_counter()
    tables = _tables(Path(store), codes, peildatum)
    seconds = time.perf_counter() - started
    out.put((seconds, peak_rss_mib(), _per_municipality(tables)))


def one_at_a_time(store: str, codes: tuple[str, ...], peildatum: date, out: mp.Queue) -> None:
    found, each = {}, []
    started = time.perf_counter()
    for code in codes:
        begun = time.perf_counter()
        found.update(_per_municipality(_tables(Path(store), (code,), peildatum)))
        each.append(time.perf_counter() - begun)
    out.put((time.perf_counter() - started, peak_rss_mib(), found, each))


def _alone(store: str, code: str, peildatum: date) -> tuple[dict, float, float]:
    begun = time.perf_counter()
    found = _per_municipality(_tables(Path(store), (code,), peildatum))
    return found, time.perf_counter() - begun, peak_rss_mib()


def in_workers(store: str, codes: tuple[str, ...], peildatum: date, workers: int,
               out: mp.Queue) -> None:
    """Each municipality alone, on ``workers`` spawned processes (as on Windows)."""
    from concurrent.futures import ProcessPoolExecutor

    found, peaks = {}, []
    started = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool:
        for part, _seconds, peak in pool.map(_alone, [store] * len(codes), codes,
                                             [peildatum] * len(codes)):
            found.update(part)
            peaks.append(peak)
    out.put((time.perf_counter() - started, max(peaks), found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--regio", default="hart_van_brabant")
    parser.add_argument("--prepare", action="store_true", help="synthesise and ingest first")
    parser.add_argument("--households", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--peildatum", type=date.fromisoformat, default=date(2020, 1, 1))
    parser.add_argument("--workers", type=int, default=2, help="spawned processes")
    args = parser.parse_args()
    from smartstart.sources._regions import load_regions
    from smartstart.sources._store import read_manifest

    if args.prepare:
        prepare(args.store, args.regio, args.households, args.seed)
    codes = load_regions()[args.regio].codes
    manifest = read_manifest(args.store)
    persons = next(r.rows_written for (t, _), r in manifest.items() if t == "GBAPERSOONTAB")
    print(f"store: {persons:,} persons; region {args.regio}: {len(codes)} municipalities")
    together = measure(one_pass, str(args.store), codes, args.peildatum)
    apart = measure(one_at_a_time, str(args.store), codes, args.peildatum)
    parallel = measure(in_workers, str(args.store), codes, args.peildatum, args.workers)
    print(f"\n{'contender':<52}{'seconds':>9}{'peak RSS MiB':>14}")
    print(f"{'one pass: link + factor tables, all at once':<52}{together[0]:>9.2f}"
          f"{together[1]:>14,.0f}")
    print(f"{'one at a time: the same per municipality, summed':<52}{apart[0]:>9.2f}"
          f"{apart[1]:>14,.0f}")
    print(f"   per municipality: {', '.join(f'{s:.2f}' for s in apart[3])} s")
    label = f"in {args.workers} spawned workers, one municipality each (incl. start-up)"
    print(f"{label:<52}{parallel[0]:>9.2f}{parallel[1]:>14,.0f}  (per worker)")
    same = together[2] == apart[2] == parallel[2]
    households = sum(h for h, _ in together[2].values())
    children = sum(c for _, c in together[2].values())
    print(f"\n{households:,} households, {children:,} children; per municipality identical "
          f"in all three: {'yes' if same else 'NO'}")
    if not same:
        for code in sorted(set(together[2]) | set(apart[2])):
            if together[2].get(code) != apart[2].get(code):
                print(f"   {code}: one pass {together[2].get(code)}, alone {apart[2].get(code)}")
    print(f"speed ratio (one at a time / one pass): {apart[0] / together[0]:.1f}x "
          f"(a separate run per municipality adds 2-3 s of start-up each); "
          f"(one at a time / workers): {apart[0] / parallel[0]:.1f}x")
    print(f"goal (issue 18, at national scale): region of nine <= 30 s -> "
          f"{'met' if together[0] <= 30 else 'NOT met'} at this size")


if __name__ == "__main__":
    main()
