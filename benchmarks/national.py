"""Issue 18 at national scale: one municipality, a region of nine, every municipality and the
buurt x year panel out of one national store, against pandas, a hand-written DuckDB query and
polars; and the layout build. Time and peak memory of each, every contender in a fresh process.

    # once: a national synthetic delivery (about 16 GB of parquet for 18 M persons)
    smartstart synth /data/national --persons 18000000 --format parquet
    # or, in minutes, nine side-by-side copies of a smaller store (26.5 M persons from 2.9 M)
    .venv/bin/python benchmarks/replicate.py /data/small-store /data/store --copies 9
    # the store and its layout (both timed), then every contender
    .venv/bin/python benchmarks/national.py --store /data/store --prepare /data/national
    # polars is a contender only: pip install -e ".[bench]" (not a dependency of smartstart)
    # one municipality in nine fresh processes (the median is compared with the goal)
    .venv/bin/python benchmarks/national.py --store /data/store --only one --repeat 9
    # a layout that serves a peildatum from 2021 on (smaller and faster to build)
    .venv/bin/python benchmarks/national.py --store /data/store --only layout,one --vanaf 2021 \
        --peildatum 2021-01-01 --repeat 9
    # a region's layout alone (it replaces the store's layout: run it on a copy or first);
    # every layout build is timed from scratch, each step printed
    .venv/bin/python benchmarks/national.py --store /data/store --only layout-region
    # every municipality in one pass (gemeenten: all), as the run does it
    .venv/bin/python benchmarks/national.py --store /data/store --only national \
        --peildatum 2021-01-01

What each contender does:
- one municipality: smartstart links it and builds its household and child tables from the
  layout; pandas, DuckDB and polars run only the first step of that, the residents on the
  peildatum (VSLGWBTAB of the year joined to the address spells, spells covering the date),
  each the way a data team would write it against the full store files;
- a region of nine: the first nine municipalities of the store in one pass, link + factor
  tables + the household profile through the gate;
- every municipality, one pass (``national``): all of them in one pass as the region above,
  what ``gemeenten: all`` does before its sections;
- every municipality, each alone (``every``): the same per municipality on ``--workers``
  spawned processes, the largest worker's peak memory;
- the panel: residents and outcome events per buurt and year over every municipality of the
  delivery (the effect evaluation's comparison pool), smartstart's one query against pandas.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from importlib.util import find_spec
from pathlib import Path

from _common import measure, peak_rss_mib

GIB = 1024


def prepare(source: Path, store: Path, out: mp.Queue) -> None:
    from smartstart.sources import ingest

    shutil.rmtree(store, ignore_errors=True)
    started = time.perf_counter()
    ingest(source, store)
    out.put((time.perf_counter() - started, peak_rss_mib()))


def layout(store: Path, since: int | None, out: mp.Queue) -> None:
    region_layout(store, None, out, since)


def region_layout(store: Path, codes: tuple[str, ...] | None, out: mp.Queue,
                  since: int | None = None) -> None:
    from smartstart.sources import _layout, build_layout

    # a build from scratch: nothing is kept from the last build (a second run on an unchanged
    # store would otherwise keep every table and time nothing); the store's layout stays whole
    # until the new one is swapped in, as in any build
    _layout._unchanged = lambda *args, **kwargs: set()
    started = time.perf_counter()
    last = [started, "start"]

    def step(name: str, done: int, steps: int) -> None:
        now = time.perf_counter()
        print(f"   {last[1]:<40}{now - last[0]:>7.1f} s", flush=True)
        last[:] = [now, name]

    built = build_layout(store, codes, progress=step, since=since)
    step("", 0, 0)  # the last step: the old layout removed, the new one swapped in
    out.put((time.perf_counter() - started, peak_rss_mib(), len(built.split), len(built.kept)))


def _paths(store: Path, year: int) -> dict[str, Path]:
    from smartstart.sources._store import read_manifest

    manifest = read_manifest(store)
    spells = max(y for t, y in manifest if t == "GBAADRESOBJECTBUS")
    return {"objects": store / manifest[("VSLGWBTAB", year)].store_path,
            "spells": store / manifest[("GBAADRESOBJECTBUS", spells)].store_path}


def _outcome(store: Path, peildatum: date) -> dict:
    """The default outcome with a window of at most three years that the delivery covers (a
    window past its newest year stops a run)."""
    from smartstart.pilot import OutcomeSpec
    from smartstart.sources._store import read_manifest

    newest = max(y for t, y in read_manifest(store) if t == "JGDBESCHERMBUS")
    later = peildatum > date(peildatum.year, 1, 1)
    return {"name": OutcomeSpec().name,
            "window_years": max(1, min(3, newest + 1 - peildatum.year - later))}


def smartstart_one(store: Path, code: str, peildatum: date, out: mp.Queue) -> None:
    from smartstart.features import build_features
    from smartstart.linking import link
    from smartstart.pilot import Study

    started = time.perf_counter()
    study = Study(name="bench", gemeente=code, peildatum=peildatum,
                  outcome=_outcome(store, peildatum))
    linked = link(store, study)
    tables = build_features(linked.db, study)
    out.put((time.perf_counter() - started, peak_rss_mib(), linked.db.count("residents"),
             len(tables.households)))


def pandas_one(store: Path, code: str, peildatum: date, out: mp.Queue) -> None:
    import pandas as pd

    path = _paths(store, peildatum.year)
    started = time.perf_counter()
    objects = pd.read_parquet(path["objects"], columns=["SOORTOBJECTNUMMER", "RINOBJECTNUMMER",
                                                        "gem"])
    objects = objects[objects["gem"] == code]
    spells = pd.read_parquet(path["spells"])
    here = spells.merge(objects, on=["SOORTOBJECTNUMMER", "RINOBJECTNUMMER"])
    when = pd.Timestamp(peildatum)
    start = pd.to_datetime(here["GBADATUMAANVANGADRESHOUDING"])
    end = pd.to_datetime(here["GBADATUMEINDEADRESHOUDING"]).fillna(pd.Timestamp("2050-12-31"))
    residents = here[(start <= when) & (end >= when)].drop_duplicates(["RINPERSOONS",
                                                                      "RINPERSOON"])
    out.put((time.perf_counter() - started, peak_rss_mib(), len(residents), None))


def duckdb_one(store: Path, code: str, peildatum: date, out: mp.Queue) -> None:
    import duckdb

    path = _paths(store, peildatum.year)
    started = time.perf_counter()
    n = duckdb.execute("""
        SELECT count(DISTINCT (a.RINPERSOONS, a.RINPERSOON))
        FROM read_parquet($spells) AS a
        JOIN (SELECT SOORTOBJECTNUMMER, RINOBJECTNUMMER FROM read_parquet($objects)
              WHERE gem = $code) AS o USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)
        WHERE a.GBADATUMAANVANGADRESHOUDING <= $p
          AND coalesce(a.GBADATUMEINDEADRESHOUDING, DATE '2050-12-31') >= $p""",
        {"spells": str(path["spells"]), "objects": str(path["objects"]), "code": code,
         "p": peildatum}).fetchone()[0]
    out.put((time.perf_counter() - started, peak_rss_mib(), n, None))


def polars_one(store: Path, code: str, peildatum: date, out: mp.Queue) -> None:
    import polars as pl

    path = _paths(store, peildatum.year)
    started = time.perf_counter()
    objects = (pl.scan_parquet(path["objects"]).filter(pl.col("gem") == code)
               .select("SOORTOBJECTNUMMER", "RINOBJECTNUMMER"))
    end = pl.col("GBADATUMEINDEADRESHOUDING").fill_null(date(2050, 12, 31))
    n = (pl.scan_parquet(path["spells"]).join(objects, on=["SOORTOBJECTNUMMER",
                                                          "RINOBJECTNUMMER"])
         .filter((pl.col("GBADATUMAANVANGADRESHOUDING") <= peildatum) & (end >= peildatum))
         .select(pl.struct("RINPERSOONS", "RINPERSOON").n_unique()).collect().item())
    out.put((time.perf_counter() - started, peak_rss_mib(), n, None))


def _profile(store: Path, codes: tuple[str, ...], peildatum: date) -> tuple[int, int, int]:
    """Link + factor tables + the household profile through the gate for ``codes`` in one
    pass: (households, children, profile rows published)."""
    from smartstart._to_work import without_keys
    from smartstart.features import build_features
    from smartstart.linking import link
    from smartstart.outputs import Outputs, _profile
    from smartstart.outputs._work import Work
    from smartstart.pilot import Study

    outcome = _outcome(store, peildatum)
    study = (Study(name="bench", gemeente=codes[0], peildatum=peildatum, outcome=outcome)
             if len(codes) == 1 else
             Study(name="bench", gemeenten=codes, peildatum=peildatum, outcome=outcome))
    tables = build_features(link(store, study).db, study)
    households, children = without_keys(tables)
    out = Outputs()
    # a column of its own, as the product's target group (household_factors), not a copy
    households["target_group"] = households["main_benefit"].eq("3")
    _profile(study, Work(households, children, None, None, None), out)
    return len(households), len(children), sum(len(p.frame) for p in out.tables)


def region(store: Path, codes: tuple[str, ...], peildatum: date, out: mp.Queue) -> None:
    started = time.perf_counter()
    found = _profile(store, codes, peildatum)
    out.put((time.perf_counter() - started, peak_rss_mib(), found))


def _alone(store: Path, code: str, peildatum: date) -> tuple[tuple[int, int, int], float]:
    from smartstart.errors import Empty

    try:
        return _profile(store, (code,), peildatum), peak_rss_mib()
    except Empty:  # an area code with addresses but no one living there on the peildatum
        return (0, 0, 0), peak_rss_mib()


def every(store: Path, codes: tuple[str, ...], peildatum: date, workers: int,
          out: mp.Queue) -> None:
    from rich.progress import Progress, TimeRemainingColumn

    started, found, peaks = time.perf_counter(), [], []
    with (ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn")) as pool,
          Progress(*Progress.get_default_columns()[:-1], TimeRemainingColumn()) as progress):
        task = progress.add_task("every municipality", total=len(codes))
        for result, peak in pool.map(_alone, [store] * len(codes), codes,
                                     [peildatum] * len(codes)):
            found.append(result)
            peaks.append(peak)
            progress.advance(task)
    out.put((time.perf_counter() - started, max(peaks), tuple(map(sum, zip(*found,
                                                                              strict=True)))))


def panel(store: Path, code: str, first: int, last: int, out: mp.Queue) -> None:
    from smartstart.features._panel import effect_panel
    from smartstart.linking import Database, StudyDates
    from smartstart.pilot import Study

    plan = {"start": last - 3, "treated": {"buurten": [f"{code}0101"]},
            "outcomes": ["jeugdhulp"], "pool": "delivery", "years": [first, last]}
    study = Study(name="bench", gemeente=code, peildatum=date(last, 1, 1),
                  analyses=("effect",), effect=plan)
    started = time.perf_counter()
    frame = effect_panel(Database(store, StudyDates.of(study)), study.effect,
                         study.municipalities, None)
    out.put((time.perf_counter() - started, peak_rss_mib(), len(frame),
             int(frame["events"].sum())))


def pandas_panel(store: Path, first: int, last: int, out: mp.Queue) -> None:
    """Residents per buurt on 1 January of each year, the usual way (no events)."""
    import pandas as pd

    from smartstart.sources._store import read_manifest

    manifest = read_manifest(store)
    spells_year = max(y for t, y in manifest if t == "GBAADRESOBJECTBUS")
    started = time.perf_counter()
    spells = pd.read_parquet(store / manifest[("GBAADRESOBJECTBUS", spells_year)].store_path)
    start = pd.to_datetime(spells["GBADATUMAANVANGADRESHOUDING"])
    end = pd.to_datetime(spells["GBADATUMEINDEADRESHOUDING"]).fillna(pd.Timestamp("2050-12-31"))
    rows = 0
    for year in range(first, last + 1):
        objects = pd.read_parquet(store / manifest[("VSLGWBTAB", year)].store_path,
                                  columns=["SOORTOBJECTNUMMER", "RINOBJECTNUMMER", "bc"])
        when = pd.Timestamp(year=year, month=1, day=1)
        here = spells[(start <= when) & (end >= when)].merge(
            objects, on=["SOORTOBJECTNUMMER", "RINOBJECTNUMMER"])
        rows += here.groupby("bc").size().shape[0]
    out.put((time.perf_counter() - started, peak_rss_mib(), rows, None))


def _row(label: str, seconds: float, mib: float, extra: str = "") -> None:
    print(f"{label:<58}{seconds:>9.2f}{mib:>13,.0f}  {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--prepare", type=Path, default=None, help="national delivery")
    parser.add_argument("--gemeente", default="0784")
    parser.add_argument("--peildatum", type=date.fromisoformat, default=date(2020, 1, 1))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="layout,one,region,panel,national,every")
    parser.add_argument("--vanaf", type=int, default=None,
                        help="the layout serves a peildatum from 1 January of this year on "
                             "(smartstart layout --vanaf)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="fresh processes for smartstart's one municipality: the median "
                             "is compared (a VM's timings vary by a fifth from run to run)")
    parser.add_argument("--no-pandas-panel", action="store_true",
                        help="leave out pandas' panel (it did not finish in 9 min at 18 GiB "
                             "on the 25 M-person store)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    store = args.store
    print(f"{'contender':<58}{'seconds':>9}{'peak MiB':>13}")
    if args.prepare is not None:
        _row("ingest of the whole delivery", *measure(prepare, args.prepare, store))
    if "layout" in only:
        seconds, mib, split, kept = measure(layout, store, args.vanaf)
        since = "" if args.vanaf is None else f", from {args.vanaf}"
        _row(f"layout by municipality{since}", seconds, mib, f"{split} split, {kept} kept")
        goal = "met" if seconds <= 300 and mib <= 4 * GIB else "NOT met"
        print(f"   goal <= 5 min, <= 4 GiB: {goal}")
    from smartstart.linking import every_municipality
    from smartstart.pilot import Study
    from smartstart.sources._store import read_manifest

    codes = every_municipality(store, Study(name="b", gemeenten="all",
                                            peildatum=args.peildatum)).municipalities
    if "layout-region" in only:  # replaces the store's layout: measure it before "layout"
        seconds, mib, split, kept = measure(region_layout, store, codes[:9])
        _row("layout of the region of nine only (--gemeenten)", seconds, mib,
             f"{split} split, {kept} kept")
    persons = next(r.rows_written for (t, _), r in read_manifest(store).items()
                   if t == "GBAPERSOONTAB")
    print(f"store: {persons:,} persons, {len(codes)} municipalities")
    if "one" in only:
        runs = [measure(smartstart_one, store, args.gemeente, args.peildatum)
                for _ in range(max(args.repeat, 1))]
        seconds = sorted(r[0] for r in runs)
        ss = (statistics.median(seconds), max(r[1] for r in runs), runs[0][2])
        spread = (f"; {len(runs)} runs, {seconds[0]:.2f}-{seconds[-1]:.2f} s"
                  if len(runs) > 1 else "")
        _row(f"one municipality ({args.gemeente}): smartstart, household + child tables",
             *ss[:2], f"{ss[2]:,} residents{spread}")
        for name, target in (("pandas", pandas_one), ("DuckDB, hand-written", duckdb_one),
                             ("polars", polars_one)):
            if name == "polars" and find_spec("polars") is None:  # the bench extra only
                print("   polars: not installed (pip install -e '.[bench]')")
                continue
            got = measure(target, store, args.gemeente, args.peildatum)
            _row(f"   {name}: residents query only", *got[:2],
                 f"{got[2]:,} residents; {got[0] / ss[0]:.1f}x smartstart's time")
        print(f"   goal <= 0.5 s, <= 1 GiB: {'met' if ss[0] <= .5 and ss[1] <= GIB else 'NOT met'}")
    if "region" in only:
        got = measure(region, store, codes[:9], args.peildatum)
        _row("region of nine: link + factor tables + profile, one pass", *got[:2],
             f"{got[2][0]:,} households, {got[2][2]} profile rows")
        print(f"   goal <= 30 s: {'met' if got[0] <= 30 else 'NOT met'}")
    if "panel" in only:
        got = measure(panel, store, args.gemeente, 2012, 2022)
        _row("buurt x year panel 2012-2022, every buurt: smartstart", *got[:2],
             f"{got[2]:,} rows, {got[3]:,} events")
        if not args.no_pandas_panel:
            base = measure(pandas_panel, store, 2012, 2022)
            _row("   pandas: residents per buurt and year only", *base[:2],
                 f"{base[2]:,} rows; {base[0] / got[0]:.1f}x smartstart's time")
        print(f"   goal <= 60 s: {'met' if got[0] <= 60 else 'NOT met'}")
    if "national" in only:
        got = measure(region, store, codes, args.peildatum)
        _row(f"every municipality ({len(codes)}) in one pass: link + tables + profile",
             *got[:2], f"{got[2][0]:,} households, {got[2][2]} profile rows")
        print(f"   goal <= 10 min, <= 8 GiB: "
              f"{'met' if got[0] <= 600 and got[1] <= 8 * GIB else 'NOT met'}")
    if "every" in only:
        got = measure(every, store, codes, args.peildatum, args.workers)
        _row(f"every municipality ({len(codes)}) on {args.workers} workers: link + tables + "
             "profile", *got[:2], f"{got[2][0]:,} households (largest worker's peak)")
        print(f"   goal <= 10 min, <= 8 GiB: "
              f"{'met' if got[0] <= 600 and got[1] * args.workers <= 8 * GIB else 'NOT met'}")


if __name__ == "__main__":
    main()
