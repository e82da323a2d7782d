"""``smartstart check`` on the effect evaluation (issue 15): the plan's recorded hash is the hash
of the plan the manifest holds (a plan edited after the run shows), and the placebo
distribution is published as quantiles only, never per comparison buurt."""

from __future__ import annotations

import pandas as pd

from smartstart._effect_plan import HASH_KEY, hash_of
from smartstart.bundle._read import BundleProblem

#: the only columns of the placebo table: quantiles, never a buurt
PLACEBO_COLUMNS = {"outcome", "quantile", "value"}


def effect_problems(manifest: dict, tables: dict[str, pd.DataFrame]) -> list[BundleProblem]:
    pilot = manifest.get("pilot") or {}
    study = pilot.get("study", pilot) if isinstance(pilot, dict) else {}
    plan = study.get("effect") if isinstance(study, dict) else None
    problems = []
    if isinstance(plan, dict):
        recorded = plan.get(HASH_KEY)
        if recorded != hash_of(plan):
            problems.append(BundleProblem("manifest.json", "the effect plan's recorded hash "
                                          f"({recorded}) is not the hash of the plan it holds "
                                          f"({hash_of(plan)}): the plan was changed",
                                          "effect_plan"))
    placebo = tables.get("effect_placebo")
    if placebo is not None:
        extra = sorted(set(map(str, placebo.columns)) - PLACEBO_COLUMNS)
        quantiles = pd.to_numeric(placebo.get("quantile"), errors="coerce")
        if extra or quantiles.isna().any() or not quantiles.between(0, 1).all():
            problems.append(BundleProblem("effect_placebo", "the placebo distribution must be "
                                          "quantiles only (outcome, quantile, value)"
                                          + (f"; extra columns: {', '.join(extra)}"
                                             if extra else ""), "effect_placebo"))
    return problems
