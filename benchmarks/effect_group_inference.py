"""The group engine's inference on simulated partner files: false rejections and the MDE's power.

    .venv/bin/python benchmarks/effect_group_inference.py --datasets 200 --mde-datasets 200

Worlds like a municipality's children and a partner's client households: 800-2,500 persons
in households of 1-4 over 9 years (2012-2020), six birth years, a logit level per person, a
shock per birth year and year, and a shock per household and year (sd ``--household-shock``
on the logit scale: members of a household move together, which is what clustering by
household is for). Households with a higher level become clients more often (selection on
levels: the person fixed effects absorb it), 25-120 client households, each from a start in
2015-2019; events are binomial.

1. **False rejections** (no effect planted): the share of datasets in which each test rejects
   at 5 %: the headline (imputation, standard errors clustered by household, t with G-1 df),
   the same with standard errors clustered by person (ignoring the households: what a
   person-level analysis would do), the pre-trend test and the placebo in time.
2. **The MDE check**: in each world the MDE is computed from one draw without effect, then a
   second draw of the same world gets the MDE planted on the probability from each start on
   and is evaluated as planned; the share detected (p < alpha, in the MDE's direction) should
   be about 80 %.

Monte Carlo standard errors are ``sqrt(r (1 - r) / datasets)``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from _common import mc_rate

from smartstart.analyses._effect_group import evaluate_group

YEARS = np.arange(2012, 2021)


class World:
    """Persons, households, levels and client starts; ``draw`` simulates the events."""

    def __init__(self, rng: np.random.Generator, household_shock: float):
        self.rng = rng
        sizes = []
        persons = int(rng.integers(800, 2501))
        while sum(sizes) < persons:
            sizes.append(int(rng.integers(1, 5)))
        self.household = np.repeat(np.arange(len(sizes)), sizes)
        self.persons = len(self.household)
        self.cohort = rng.integers(2003, 2009, self.persons)
        self.level = rng.normal(-1.8, 0.7, self.persons)
        mean = pd.Series(self.level).groupby(self.household).mean().to_numpy()
        clients = int(rng.integers(25, 121))
        weight = np.exp(1.5 * (mean - mean.mean()))
        chosen = rng.choice(len(sizes), min(clients, len(sizes)), replace=False,
                            p=weight / weight.sum())
        start = np.full(len(sizes), np.nan)
        start[chosen] = rng.integers(2015, 2020, len(chosen))
        self.start = start[self.household]
        self.cell_shock = rng.normal(0, 0.25, (6, len(YEARS)))
        self.household_shock = household_shock

    def draw(self, effect: float = 0.0) -> pd.DataFrame:
        """One panel; ``effect``: added to the probability (a fraction) from each start on."""
        rng = self.rng
        person = np.repeat(np.arange(self.persons), len(YEARS))
        year = np.tile(YEARS, self.persons)
        household = self.household[person]
        shock = rng.normal(0, self.household_shock, (self.household.max() + 1, len(YEARS)))
        logit = (self.level[person] + self.cell_shock[self.cohort[person] - 2003, year - 2012]
                 + shock[household, year - 2012])
        start = self.start[person]
        treated = ~np.isnan(start) & (year >= np.nan_to_num(start, nan=9999))
        chance = np.clip(1 / (1 + np.exp(-logit)) + effect * treated, 0, 1)
        return pd.DataFrame({"person": person, "year": year, "cohort": self.cohort[person],
                             "household": household,
                             "start": pd.array(start, dtype="Float64").astype("Int64"),
                             "event": (rng.random(len(year)) < chance).astype(int)})


def false_rejections(datasets: int, args, seed: int) -> dict[str, list[bool]]:
    rng = np.random.default_rng(seed)
    found: dict[str, list[bool]] = {"clustered by household (headline)": [],
                                    "clustered by person": [], "pre-trend (Wald, household)": [],
                                    "placebo in time": []}
    for _ in range(datasets):
        panel = World(rng, args.household_shock).draw()
        result = evaluate_group(panel, 2015)
        by_person = evaluate_group(panel.assign(household=panel["person"]), 2015)
        found["clustered by household (headline)"].append(result.headline.p_value < 0.05)
        found["clustered by person"].append(by_person.headline.p_value < 0.05)
        found["pre-trend (Wald, household)"].append(result.pretrend.p_cluster < 0.05)
        found["placebo in time"].append(result.placebo_time.p_value < 0.05)
    return found


def mde_check(datasets: int, args, seed: int) -> tuple[list[bool], list[float]]:
    rng = np.random.default_rng(seed)
    detected, mdes = [], []
    for _ in range(datasets):
        world = World(rng, args.household_shock)
        mde = evaluate_group(world.draw(), 2015).mde  # points, negative: a reduction
        result = evaluate_group(world.draw(effect=mde / 100), 2015)
        detected.append(result.headline.p_value < 0.05 and result.headline.estimate < 0)
        mdes.append(mde)
    return detected, mdes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=200)
    parser.add_argument("--mde-datasets", type=int, default=200)
    parser.add_argument("--household-shock", type=float, default=0.6)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    print(f"group worlds: household-year shock sd {args.household_shock} (logit), seed "
          f"{args.seed}")
    if args.datasets:
        began = time.perf_counter()
        found = false_rejections(args.datasets, args, args.seed)
        print(f"\nfalse rejections at 5 % over {args.datasets} datasets without an effect "
              f"({time.perf_counter() - began:.0f} s):")
        for name, flags in found.items():
            print(f"  {name:36s} {mc_rate(flags)}")
    if args.mde_datasets:
        began = time.perf_counter()
        detected, mdes = mde_check(args.mde_datasets, args, args.seed + 1)
        print(f"\nthe MDE planted, {args.mde_datasets} worlds "
              f"({time.perf_counter() - began:.0f} s): detected {mc_rate(detected)} "
              f"(target about 80 %); MDE median {np.median(mdes):.1f} points "
              f"(range {min(mdes):.1f} to {max(mdes):.1f})")


if __name__ == "__main__":
    main()
