"""How few latent-class restarts the typology needs: what a user sees, with fewer of them.

    python benchmarks/typology_restarts.py [--worlds DIR] [--states 0 1]

Planted worlds (the real chain on synthetic data, built once into ``--worlds`` and reused): the
demo's (seed 1, five food-bank types), seed 2 with five, and the planted tests' three- and
four-type populations (``tests/test_analyses_typology_planted.py``). For every world, random
state and setting of (``n_init``, ``n_bootstrap``, ``bootstrap_n_init``) the full typology is
fitted; printed: the chosen k (against the planted number), the adjusted Rand index with the
planted types, the k's stability (mean bootstrap ARI) per candidate k, the types marked stable,
and the CPU seconds. A setting is good enough when it chooses the same k, the same types (ARI
with the baseline's assignment 1.0) and the same stable flags as the baseline everywhere.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
from sklearn.metrics import adjusted_rand_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from planted_worlds import Planted, planted_many  # noqa: E402

from smartstart.analyses import Typology, TypologySpec  # noqa: E402

WORLDS = [(1, (1, 2, 3, 4, 5)), (2, (1, 2, 3, 4, 5)), (1, (2, 3, 5)), (2, (1, 2, 4, 5))]
#: (n_init, n_bootstrap, bootstrap_n_init): the default first
SETTINGS = [(10, 30, 4), (10, 20, 4), (10, 15, 4), (10, 30, 2)]


def worlds(folder: Path) -> list[Planted]:
    cached = folder / "worlds.pkl"
    if cached.exists():
        return pd.read_pickle(cached)
    built = planted_many(folder, WORLDS)
    pd.to_pickle(built, cached)
    return built


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=Path, default=Path("/tmp/typology-worlds"))
    parser.add_argument("--states", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args(argv)
    args.worlds.mkdir(parents=True, exist_ok=True)
    rows = []
    for world in worlds(args.worlds):
        for state in args.states:
            baseline = None
            for n_init, n_boot, boot_init in SETTINGS:
                spec = TypologySpec(n_init=n_init, n_bootstrap=n_boot,
                                    bootstrap_n_init=boot_init, random_state=state)
                started = time.process_time()
                model = Typology(spec).fit(world.households)
                seconds = time.process_time() - started
                result = model.result_
                labels = model.labels_.loc[world.planted.index].fillna(0)
                baseline = labels if baseline is None else baseline
                row = {"seed": world.seed, "types": len(world.foodbank_types), "state": state,
                       "setting": f"{n_init}/{n_boot}/{boot_init}", "k": result.chosen_k,
                       "ari_planted": round(adjusted_rand_score(world.planted, labels), 4),
                       "ari_baseline": round(adjusted_rand_score(baseline, labels), 4),
                       "stable": "".join("s" if s else "-" for s in result.types["stable"]),
                       "stability": " ".join(f"{v:.2f}" for v in result.selection["stability"]),
                       "cpu_s": round(seconds, 1)}
                rows.append(row)
                print(" | ".join(str(v) for v in row.values()), flush=True)
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    base = table[table["setting"] == "{}/{}/{}".format(*SETTINGS[0])].set_index(
        ["seed", "types", "state"])
    for setting, part in table.groupby("setting", sort=False):
        part = part.set_index(["seed", "types", "state"])
        same = (part["k"] == base["k"]) & (part["stable"] == base["stable"]) & (
            part["ari_baseline"] == 1.0)
        print(f"{setting}: same k, types and stable flags in {int(same.sum())} of {len(part)}; "
              f"CPU {part['cpu_s'].sum():.0f} s ({part['cpu_s'].sum() / base['cpu_s'].sum():.2f}"
              " of the default)")


if __name__ == "__main__":
    main()
