"""The typology's EM with its starts side by side, against the same starts one at a time.

    python benchmarks/typology_em.py [--worlds DIR] [--repeats 3]

Planted worlds as in ``typology_restarts.py`` (built once into ``--worlds``, reused). For each
world the full typology (k in 2..8, bootstrap stability) is fitted twice in this run: with the
starts side by side (``BATCH_CELLS`` as shipped: every start of a k, and every refit of a
bootstrap, in one EM) and with ``BATCH_CELLS = 1`` (each start alone: one EM loop per start, as
the typology ran before). Printed: CPU seconds of each (best of ``--repeats``), the ratio, and
whether the two chose the same k and gave every household the same type (they must: each start
stops at its own convergence either way).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from typology_restarts import worlds  # noqa: E402

from smartstart.analyses import Typology, TypologySpec, _typology_lca  # noqa: E402


def fitted(households: pd.DataFrame, cells: int, repeats: int) -> tuple[float, Typology]:
    shipped = _typology_lca.BATCH_CELLS
    _typology_lca.BATCH_CELLS = cells
    try:
        best, model = np.inf, None
        for _ in range(repeats):
            started = time.process_time()
            model = Typology(TypologySpec()).fit(households)
            best = min(best, time.process_time() - started)
        return best, model  # type: ignore[return-value]
    finally:
        _typology_lca.BATCH_CELLS = shipped


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=Path, default=Path("/tmp/typology-worlds"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    args.worlds.mkdir(parents=True, exist_ok=True)
    rows = []
    for world in worlds(args.worlds):
        together, a = fitted(world.households, _typology_lca.BATCH_CELLS, args.repeats)
        alone, b = fitted(world.households, 1, args.repeats)
        same = (a.result_.chosen_k == b.result_.chosen_k
                and a.labels_.fillna(-1).equals(b.labels_.fillna(-1)))
        rows.append({"world": f"seed {world.seed}, types {world.foodbank_types}",
                     "households": int(world.households["target_group"].sum()),
                     "side by side (s)": round(together, 2), "one at a time (s)": round(alone, 2),
                     "ratio": round(alone / together, 2), "same k and types": same})
    table = pd.DataFrame(rows)
    print(table.to_string(index=False))
    print(f"total: {table['side by side (s)'].sum():.1f} s against "
          f"{table['one at a time (s)'].sum():.1f} s one start at a time")


if __name__ == "__main__":
    main()
