"""The household typology on a large target group: time, peak memory and recovery by size.

    python3 benchmarks/typology_scale.py --sizes 1000 3000 10000 32000

A demo-size population with the five planted food-bank types is built through the real chain
(synth -> ingest -> link -> features, tests/planted_worlds.py). For each size n its target
group's households are drawn n times with replacement, and each factor value of a drawn
household is, with probability ``--noise``, replaced by that of another drawn household (so
the types overlap and no two copies are alike). The municipality's other households stay as
they are. The full typology (k chosen in 2..8, bootstrap stability, profile) runs in a fresh
process per size. Printed: seconds, peak memory, the chosen k, the adjusted Rand index with the
planted types, and the seconds per 1,000 households against the smallest size (the baseline):
a ratio near 1 means the time grows in proportion to the group.

A regional pilot's largest target group was 32,523 households on social assistance in
synthetic Hart van Brabant, where the typology had not finished after 12 minutes (README).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import measure, peak_rss_mib
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from planted_worlds import planted_households  # noqa: E402
from typology import add_noise  # noqa: E402


def drawn(households: pd.DataFrame, planted: pd.Series, n: int, noise: float,
          seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The municipality with its target group replaced by ``n`` noisy draws of it."""
    target = households.loc[planted.index]
    rng = np.random.default_rng(seed)
    pick = rng.integers(len(target), size=n)
    group = target.iloc[pick].reset_index(drop=True)
    factors = [c for c in group.columns if c not in ("household_id", "target_group", "gemeente",
                                                     "wc", "bc")]
    group = add_noise(group, factors, noise, seed)
    group["household_id"] = [f"drawn-{i}" for i in range(n)]
    rest = households.drop(index=planted.index)
    return (pd.concat([group, rest], ignore_index=True),
            planted.fillna(0).to_numpy(int)[pick])


def run(table: pd.DataFrame, truth: np.ndarray, out) -> None:
    from smartstart.analyses import Typology, TypologySpec
    from smartstart.features import using

    with using(None):
        started = time.perf_counter()
        model = Typology(TypologySpec()).fit(table)
        seconds = time.perf_counter() - started
    labels = model.labels_.fillna(0).to_numpy(int)
    out.put((seconds, peak_rss_mib(), model.result_.chosen_k,
             adjusted_rand_score(truth, labels)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10_000, 32_000])
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="typology-scale-") as folder:
        world = planted_households(Path(folder), args.seed)
    print(f"population: {len(world.households):,} households, target group "
          f"{len(world.planted):,} with 5 planted types; noise {args.noise}")
    print(f"{'households':>10} {'seconds':>9} {'peak MiB':>9} {'k':>3} {'ARI':>6} "
          f"{'s per 1,000':>12} {'ratio':>6}")
    base = None
    for n in sorted(args.sizes):
        table, truth = drawn(world.households, world.planted, n, args.noise, args.seed)
        seconds, peak, k, ari = measure(run, table, truth)
        per = 1000 * seconds / n
        base = base or per
        print(f"{n:>10,} {seconds:>9.1f} {peak:>9,.0f} {k:>3} {ari:>6.2f} {per:>12.2f} "
              f"{per / base:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
