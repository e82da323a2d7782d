"""The effect engine's inference on simulated pilots: false rejections and the MDE's power.

    .venv/bin/python benchmarks/effect_inference.py --datasets 300 --mde-datasets 200

Worlds like a pilot's comparison pool: 20-60 buurten, 6-10 years, 3 treated buurten chosen at
random, n 50-800 children per buurt (varying +-10 % over years), true rates 1-5 % with common
year effects, an extra-binomial area-year shock (sd ``--shock`` percentage points, AR(1) over
years with ``--rho``) and binomial events.

1. **False rejections** (no effect planted): the share of datasets in which each test rejects at
   5 %: the permutation test of the imputation estimator (the headline) and of TWFE, TWFE's
   cluster-robust (CRV1 by buurt, t with G-1 df) test, and the wild cluster bootstrap (WCR:
   restricted, Rademacher, 999 draws, CRV1 t statistic); also the pre-trend test (permutation
   and CRV1 Wald) and the placebo in time. Target for the permutation test: 3-7 %.
2. **The MDE check**: in each world the MDE is computed from the pre-period only, then one
   future is drawn from the true world with the MDE planted through the binomial and evaluated
   as planned; the share detected should be about 80 %. (``--datasets 0`` or
   ``--mde-datasets 0`` skips a part.)

Monte Carlo standard errors are ``sqrt(r (1 - r) / datasets)``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import mc_rate

from smartstart.analyses import EffectSpec, evaluate, minimum_detectable_effect
from smartstart.analyses._effect_fe import residualise
from smartstart.analyses._effect_panel import build_panel


class World:
    """A comparison pool with known rates; ``draw`` simulates events for some years."""

    def __init__(self, rng: np.random.Generator, shock: float, rho: float):
        self.rng = rng
        self.areas = int(rng.integers(20, 61))
        self.years = int(rng.integers(6, 11))
        self.first = 2014
        self.names = [f"b{i:02d}" for i in range(self.areas)]
        self.size = rng.integers(50, 801, self.areas)
        self.rate = rng.uniform(1.0, 5.0, self.areas)  # percentage points
        self.year_effect = rng.normal(0, 0.3, 40)
        self.shock, self.rho = shock, rho
        self.state = rng.normal(0, shock, self.areas)  # AR(1) shock, stationary start
        self.treated = tuple(rng.choice(self.names, 3, replace=False))
        self.start = self.first + int(rng.integers(3, self.years - 1))

    def draw(self, years, effect: float = 0.0) -> pd.DataFrame:
        rows = []
        for year in years:
            innovation = self.rng.normal(0, self.shock * np.sqrt(1 - self.rho**2), self.areas)
            self.state = self.rho * self.state + innovation
            n = (self.size * self.rng.uniform(0.9, 1.1, self.areas)).astype(int)
            p = self.rate + self.year_effect[year - self.first] + self.state
            for i, name in enumerate(self.names):
                if name in self.treated and year >= self.start:
                    p[i] += effect
            events = self.rng.binomial(n, np.clip(p / 100, 0, 1))
            rows += [(name, year, n[i], events[i]) for i, name in enumerate(self.names)]
        return pd.DataFrame(rows, columns=["area", "year", "n", "events"])


def wild_cluster_p(frame: pd.DataFrame, treated, start, reps: int,
                   rng: np.random.Generator) -> float:
    """WCR bootstrap p of TWFE's CRV1 t (null imposed, Rademacher weights per buurt)."""
    panel = build_panel(frame, treated, start)
    w = panel.n
    rx = residualise(panel.treatment()[None], w)[0]
    ry = residualise(panel.rate[None], w)[0]
    t_real = _t(rx, w, ry)
    signs = rng.choice([-1.0, 1.0], size=(reps, len(panel.areas)))
    ystar = residualise(ry[None] * signs[:, :, None], w)
    t_boot = np.array([_t(rx, w, y) for y in ystar])
    return float((1 + (np.abs(t_boot) >= abs(t_real)).sum()) / (1 + reps))


def _t(rx: np.ndarray, w: np.ndarray, ry: np.ndarray) -> float:
    den = (w * rx * rx).sum()
    beta = (w * rx * ry).sum() / den
    scores = (w * rx * (ry - beta * rx)).sum(1)
    groups, cells = rx.shape[0], rx.size
    factor = groups / (groups - 1) * (cells - 1) / (cells - 1 - rx.shape[1])
    return beta / np.sqrt(factor * (scores**2).sum() / den**2)


def false_rejections(datasets: int, args, seed: int) -> dict[str, list[bool]]:
    rng = np.random.default_rng(seed)
    spec = EffectSpec(permutations=args.permutations, synthetic=args.synthetic)
    out: dict[str, list[bool]] = {}
    for _ in range(datasets):
        world = World(rng, args.shock, args.rho)
        frame = world.draw(range(world.first, world.first + world.years))
        result = evaluate(frame, world.treated, world.start, spec)
        by = {e.method: e for e in result.estimates}
        record = {
            "permutation, imputation (headline)": by["imputation"].p_value,
            "permutation, TWFE": by["twfe"].p_value,
            "CRV1 cluster-robust, TWFE": by["twfe"].p_cluster,
            "pre-trend, permutation": result.pretrend.p_permutation,
            "pre-trend, CRV1 Wald": result.pretrend.p_cluster,
        }
        if "sdid" in by:
            record["permutation, synthetic DiD"] = by["sdid"].p_value
        if result.placebo_time is not None:
            record["placebo in time, permutation"] = result.placebo_time.p_value
        if args.wild:
            record["wild cluster bootstrap (WCR), TWFE"] = wild_cluster_p(
                frame, world.treated, world.start, 999, rng)
        for name, p in record.items():
            out.setdefault(name, []).append(bool(p <= 0.05))
    return out


def mde_check(datasets: int, args, seed: int) -> tuple[list[bool], list[float], list[float]]:
    rng = np.random.default_rng(seed)
    spec = EffectSpec(permutations=args.permutations, replications=args.replications,
                      synthetic=False)
    hits, effects, relative = [], [], []
    for _ in range(datasets):
        world = World(rng, args.shock, args.rho)
        pre = world.draw(range(world.first, world.start))
        planned = world.first + world.years - world.start
        mde = minimum_detectable_effect(pre, world.treated, world.start, planned, spec)
        future = world.draw(range(world.start, world.first + world.years), mde.mde)
        result = evaluate(pd.concat([pre, future]), world.treated, world.start, spec)
        hits.append(result.headline.p_value <= 0.05)
        effects.append(mde.mde)
        relative.append(mde.relative)
    return hits, effects, relative


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=300)
    parser.add_argument("--mde-datasets", type=int, default=200)
    parser.add_argument("--permutations", type=int, default=1000)
    parser.add_argument("--replications", type=int, default=500)
    parser.add_argument("--shock", type=float, default=0.3)
    parser.add_argument("--rho", type=float, default=0.0)
    parser.add_argument("--synthetic", action="store_true", help="also synthetic DiD (slower)")
    parser.add_argument("--no-wild", dest="wild", action="store_false")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(f"worlds: 20-60 buurten, 6-10 years, 3 treated, n 50-800, rates 1-5 %, shock sd "
          f"{args.shock} pp, AR(1) rho {args.rho}; {args.permutations} permutations")
    if args.datasets:
        began = time.perf_counter()
        flags = false_rejections(args.datasets, args, args.seed)
        took = time.perf_counter() - began
        print(f"\n1. no effect: rejections at 5 % over {args.datasets} datasets ({took:.0f} s, "
              f"{took / args.datasets:.2f} s per evaluation)")
        for name, hits in flags.items():
            print(f"   {name:40s} {mc_rate(hits)}")
    if args.mde_datasets:
        began = time.perf_counter()
        hits, effects, relative = mde_check(args.mde_datasets, args, args.seed + 1)
        took = time.perf_counter() - began
        print(f"\n2. effect planted at the MDE (80 % power at 5 %), {args.mde_datasets} worlds "
              f"({took:.0f} s; {args.replications} simulated futures per MDE)")
        print(f"   detected {mc_rate(hits)}")
        print(f"   MDE median {np.median(effects):.2f} pp (IQR {np.quantile(effects, 0.25):.2f}"
              f" to {np.quantile(effects, 0.75):.2f}), relative median "
              f"{100 * np.median(relative):.0f} %")


if __name__ == "__main__":
    main()
