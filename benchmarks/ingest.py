"""Ingest throughput and peak memory on a large .sav, against pandas.read_spss on the same file.

    .venv/bin/python benchmarks/ingest.py [--rows 5000000] [--workdir DIR] [--chunk-rows N]

Writes a GBAADRESOBJECTBUS-shaped file (person key, two A8 dates, object type and key: the
everyday heavy table) with the streaming .sav writer, then runs each contender in a fresh
process (spawn, so it works on Windows too) and reports wall time, rows/s and peak RSS of that
process, with smartstart's figures as ratios to pandas'. Nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import measure, peak_rss_mib

REL = "Bevolking/GBAADRESOBJECTBUS/GBAADRESOBJECT2022BUSV1.sav"


def make_file(path: Path, rows: int, chunk: int = 500_000) -> None:
    from smartstart.sources._catalog import load_catalog
    from smartstart.synth._format import rin, ymd
    from smartstart.synth._write import _Writer

    table = load_catalog().table("GBAADRESOBJECTBUS")
    rng = np.random.default_rng(0)
    writer = _Writer(path, table, 2022, "sav")
    try:
        for lo in range(0, rows, chunk):
            n = min(chunk, rows - lo)
            start = rng.integers(9131, 19000, n)  # 1995 .. 2022
            end = np.where(rng.random(n) < 0.6, 29950, start + rng.integers(30, 3000, n))
            writer.write({"RINPERSOONS": np.where(rng.random(n) < 0.99, "R", "S"),
                          "RINPERSOON": rin(np.arange(lo, lo + n) // 4),
                          "GBADATUMAANVANGADRESHOUDING": ymd(start),
                          "GBADATUMEINDEADRESHOUDING": ymd(end),
                          "SOORTOBJECTNUMMER": np.full(n, "VBO"),
                          "RINOBJECTNUMMER": rin(rng.integers(0, rows // 3, n), digits=12)})
        writer.close()
    except BaseException:
        writer.abort()
        raise


def run_smartstart(source: str, store: str, chunk_rows: int, out: mp.Queue) -> None:
    from smartstart.sources import ingest

    started = time.perf_counter()
    ingest(Path(source), Path(store), chunk_rows=chunk_rows)
    out.put((time.perf_counter() - started, peak_rss_mib()))


def run_pandas(path: str, out: mp.Queue) -> None:
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_spss(path)
    assert len(frame) > 0
    out.put((time.perf_counter() - started, peak_rss_mib()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--chunk-rows", type=int, default=500_000)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="smartstart-bench-"))
    source, store = work / "cbs", work / "store"
    shutil.rmtree(store, ignore_errors=True)
    path = source / REL
    if not path.exists():
        started = time.perf_counter()
        make_file(path, args.rows)
        print(f"wrote {args.rows:,} rows ({path.stat().st_size / 2**20:,.0f} MiB) "
              f"in {time.perf_counter() - started:.1f} s")
    t_ss, rss_ss = measure(run_smartstart, str(source), str(store), args.chunk_rows)
    t_pd, rss_pd = measure(run_pandas, str(path))
    rows = args.rows
    print(f"\n{'contender':<28}{'seconds':>10}{'rows/s':>14}{'peak RSS MiB':>15}")
    print(f"{'smartstart ingest':<28}{t_ss:>10.2f}{rows / t_ss:>14,.0f}{rss_ss:>15,.0f}")
    print(f"{'pandas.read_spss':<28}{t_pd:>10.2f}{rows / t_pd:>14,.0f}{rss_pd:>15,.0f}")
    print(f"\nspeed ratio (smartstart / pandas rows/s): {t_pd / t_ss:.2f}x")
    print(f"memory ratio (smartstart / pandas peak RSS): {rss_ss / rss_pd:.2f}x")
    print(f"goal: peak RSS <= 1024 MiB -> {'met' if rss_ss <= 1024 else 'NOT met'}; "
          f"speed >= pandas -> {'met' if t_ss <= t_pd else 'NOT met'}")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
