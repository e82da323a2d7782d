"""One municipality's household and child tables out of a national store, against pandas.

    # once: a national synthetic delivery, then the store and its layout (timed here)
    smartstart synth /data/national --persons 18000000 --format parquet
    .venv/bin/python benchmarks/linking.py --store /data/store --prepare /data/national
    # then, as often as you like
    .venv/bin/python benchmarks/linking.py --store /data/store

``--prepare`` ingests only the files a pilot with peildatum P needs (spell tables, persons,
parents, VSLGWBTAB of P's year, the yearly tables of the year before) and builds the
by-municipality layout. Each contender runs in a fresh process (spawn) and reports wall time and
peak RSS: smartstart builds the household and child tables of the demo pilot (with the target
group); pandas runs the residents query the usual way (read VSLGWBTAB and the address spells,
filter the municipality, merge, keep spells covering P), which is only the first step of that.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import shutil
import time
from datetime import date
from pathlib import Path

from _common import measure, peak_rss_mib

NEEDED_EVERY_YEAR = ("GBAADRESOBJECT", "GBAHUISHOUDENS", "GBAPERSOON", "KINDOUDER", "SECMBUS",
                     "JGDHULP", "JGDBESCHERM", "HALT", "WSNPPERS", "WMO")


def needed(name: str, year: int) -> bool:
    stem = name.upper()
    if stem.startswith(NEEDED_EVERY_YEAR):
        return True
    if stem.startswith("VSLGWB"):
        return str(year) in stem
    return str(year - 1) in stem and not stem.startswith("INPA")


def prepare(source: Path, store: Path, peildatum: date) -> None:
    from smartstart.sources import build_layout, ingest

    subset = store.with_name(store.name + "-source")
    shutil.rmtree(subset, ignore_errors=True)
    for path in source.rglob("*"):
        if (path.suffix.lower() not in {".sav", ".csv", ".parquet"} or "truth" in path.parts
                or "Partner" in path.parts or not needed(path.name, peildatum.year)):
            continue
        target = subset / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)
    partner = next(source.rglob("voedselbank_klanten.csv"))
    started = time.perf_counter()
    ingest(subset, store)
    print(f"ingest of the needed files: {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    build_layout(store)
    print(f"layout by municipality: {time.perf_counter() - started:.0f} s")
    shutil.copy2(partner, store.with_name("voedselbank_klanten.csv"))


def run_smartstart(store: str, gemeente: str, peildatum: date, out: mp.Queue) -> None:
    from smartstart.features import build_features
    from smartstart.linking import link
    from smartstart.pilot import Study, TargetGroup, Window

    partner = Path(store).with_name("voedselbank_klanten.csv")
    window = Window(start=date(2015, 1, 1), end=date(2022, 12, 31))
    study = Study(name="bench", gemeente=gemeente, peildatum=peildatum,
                  target_group=TargetGroup(partner_file="v", start_column="startdatum",
                                           end_column="einddatum", window=window))
    started = time.perf_counter()
    linked = link(Path(store), study, partner if partner.exists() else None)
    tables = build_features(linked.db, study)
    seconds = time.perf_counter() - started
    residents = linked.db.count("residents")
    out.put((seconds, peak_rss_mib(), residents, len(tables.households), len(tables.children)))


def run_pandas(store: str, gemeente: str, peildatum: date, out: mp.Queue) -> None:
    import pandas as pd

    from smartstart.sources._store import read_manifest

    manifest = read_manifest(Path(store))
    path = {t: Path(store) / r.store_path for (t, _), r in manifest.items()
            if t == "GBAADRESOBJECTBUS" or (t, _) == ("VSLGWBTAB", peildatum.year)}
    started = time.perf_counter()
    objects = pd.read_parquet(path["VSLGWBTAB"], columns=["SOORTOBJECTNUMMER", "RINOBJECTNUMMER",
                                                          "gem", "wc", "bc"])
    objects = objects[objects["gem"] == gemeente]
    spells = pd.read_parquet(path["GBAADRESOBJECTBUS"])
    here = spells.merge(objects, on=["SOORTOBJECTNUMMER", "RINOBJECTNUMMER"])
    when = pd.Timestamp(peildatum)
    start = pd.to_datetime(here["GBADATUMAANVANGADRESHOUDING"])
    end = pd.to_datetime(here["GBADATUMEINDEADRESHOUDING"]).fillna(pd.Timestamp("2050-12-31"))
    residents = here[(start <= when) & (end >= when)].drop_duplicates(["RINPERSOONS",
                                                                      "RINPERSOON"])
    seconds = time.perf_counter() - started
    out.put((seconds, peak_rss_mib(), len(residents), None, None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--prepare", type=Path, default=None, help="national synthetic delivery")
    parser.add_argument("--gemeente", default="0784")
    parser.add_argument("--peildatum", type=date.fromisoformat, default=date(2020, 1, 1))
    args = parser.parse_args()
    if args.prepare is not None:
        prepare(args.prepare, args.store, args.peildatum)
    from smartstart.sources._store import read_manifest

    manifest = read_manifest(args.store)
    spells = next(r.rows_written for (t, _), r in manifest.items() if t == "GBAADRESOBJECTBUS")
    persons = next(r.rows_written for (t, _), r in manifest.items() if t == "GBAPERSOONTAB")
    print(f"store: {persons:,} persons, {spells:,} address spells")
    ss = measure(run_smartstart, str(args.store), args.gemeente, args.peildatum)
    pd_ = measure(run_pandas, str(args.store), args.gemeente, args.peildatum)
    print(f"\n{'contender':<46}{'seconds':>9}{'peak RSS MiB':>14}{'residents':>11}")
    print(f"{'smartstart: household + child tables':<46}{ss[0]:>9.2f}{ss[1]:>14,.0f}"
          f"{ss[2]:>11,}")
    print(f"{'pandas: residents query only':<46}{pd_[0]:>9.2f}{pd_[1]:>14,.0f}{pd_[2]:>11,}")
    print(f"\nsmartstart built {ss[3]:,} households and {ss[4]:,} children")
    print(f"speed ratio (pandas residents / smartstart whole build): {pd_[0] / ss[0]:.1f}x")
    print(f"memory ratio (smartstart / pandas peak RSS): {ss[1] / pd_[1]:.2f}x")
    print(f"goals: <= 2 s -> {'met' if ss[0] <= 2 else 'NOT met'}; <= 1 GiB -> "
          f"{'met' if ss[1] <= 1024 else 'NOT met'}; >= 25x -> "
          f"{'met' if pd_[0] / ss[0] >= 25 else 'NOT met'}")


if __name__ == "__main__":
    main()
