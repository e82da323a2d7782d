"""Typology against peer implementations on the synthetic food-bank target group.

    python3 -m venv /tmp/typo-venv
    /tmp/typo-venv/bin/pip install stepmix kmodes && /tmp/typo-venv/bin/pip install -e .
    /tmp/typo-venv/bin/python benchmarks/typology.py --seeds 1 2 3 --noise 0 0.3

For each seed a demo-size population is built through the real chain (synth -> ingest -> link
-> features); the target group's planted food-bank types are the reference. ``--noise p``
replaces each factor value of a target household, with probability p, by the value of a random
other target household: 0 is the synthetic data as planted (strong separation), 0.3 gives a
medium separation. Contenders, each given the same factors (the typology's default):

- smartstart typology: the full analysis (k chosen in 2..8, bootstrap stability, profile);
- smartstart latent class / Gower + PAM: one fit at the planted k (the latent class model also
  with plain normal numbers, ``outlier_share=0``, to show what the contaminated normal adds);
- stepmix: latent class model (categorical_nan + gaussian_diag), at the planted k, and
  (``--stepmix-bic``, slow) with k chosen by its BIC in 2..8. Its gaussian_diag_nan (missing
  numbers left out) fails on this data: a type without children has no observed age of the
  youngest child, a division by zero turns every parameter into NaN (ARI 0). So missing numbers
  are set to the mean and gaussian_diag (which has a variance floor, reg_covar) is used;
- kmodes: k-prototypes at the planted k (numbers standardised, missing numbers at the mean).

Printed per contender: mean adjusted Rand index with the planted types (and the spread over
seeds), the chosen k where the method chooses one, and the mean wall time per fit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from smartstart.analyses import MixedLatentClass, Typology, TypologySpec
from smartstart.analyses._typology_data import fit_encoding, gower
from smartstart.analyses._typology_pam import pam

# the planted populations are a test fixture (tests/planted_worlds.py), not part of smartstart
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from planted_worlds import Planted, planted_many  # noqa: E402

Outcome = tuple[np.ndarray, int | None]


def add_noise(target: pd.DataFrame, factors: list[str], p: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    noisy = target.copy()
    for name in factors:
        swap = rng.random(len(target)) < p
        donors = rng.integers(len(target), size=int(swap.sum()))
        values = noisy[name].to_numpy(copy=True)
        values[swap] = target[name].to_numpy()[donors]
        noisy[name] = pd.Series(values, index=target.index, dtype=target[name].dtype)
    return noisy


def kinds(table: pd.DataFrame, factors: list[str]) -> tuple[list[str], list[str]]:
    from smartstart.analyses._common import factor_info

    infos = [factor_info(n, "household", table[n]) for n in factors]
    categorical = [i.name for i in infos if i.type in ("binary", "category")]
    return categorical, [i.name for i in infos if i.name not in categorical]


def ours_full(target: pd.DataFrame, factors: list[str], k: int, seed: int) -> Outcome:
    model = Typology(TypologySpec(factors=tuple(factors), random_state=seed)).fit(target)
    return model.labels_.fillna(0).to_numpy(int), model.result_.chosen_k


def ours_lca(target: pd.DataFrame, factors: list[str], k: int, seed: int,
             outlier_share: float = 0.1) -> Outcome:
    categorical, numeric = kinds(target, factors)
    model = MixedLatentClass(k, categorical=categorical, numeric=numeric,
                             outlier_share=outlier_share, random_state=seed)
    return model.fit(target[factors]).labels_, None


def ours_lca_plain(target: pd.DataFrame, factors: list[str], k: int, seed: int) -> Outcome:
    return ours_lca(target, factors, k, seed, outlier_share=0.0)


def ours_pam(target: pd.DataFrame, factors: list[str], k: int, seed: int) -> Outcome:
    categorical, numeric = kinds(target, factors)
    data = fit_encoding(target, categorical, numeric).transform(target)
    return pam(gower(data), k)[1], None


def _stepmix_data(target: pd.DataFrame, factors: list[str]) -> tuple[pd.DataFrame, dict]:
    categorical, numeric = kinds(target, factors)
    cats = pd.DataFrame({c: pd.Series(pd.factorize(target[c].astype("object"),
                                                   use_na_sentinel=True)[0],
                                      dtype=float).replace(-1, np.nan).to_numpy()
                         for c in categorical})
    nums = target[numeric].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    nums = (nums - np.nanmean(nums, axis=0)) / np.nanstd(nums, axis=0)
    nums = np.nan_to_num(nums)  # missing -> the mean (see the module docstring)
    data = pd.concat([cats, pd.DataFrame(nums, columns=numeric)], axis=1)
    desc = {"cat": {"model": "categorical_nan", "n_columns": len(categorical)},
            "num": {"model": "gaussian_diag", "n_columns": len(numeric)}}
    return data, desc


def stepmix_fixed(target: pd.DataFrame, factors: list[str], k: int, seed: int) -> Outcome:
    from stepmix.stepmix import StepMix

    data, desc = _stepmix_data(target, factors)
    model = StepMix(n_components=k, measurement=desc, n_init=10, random_state=seed,
                    verbose=0, progress_bar=0)
    model.fit(data)
    return model.predict(data), None


def stepmix_bic(target: pd.DataFrame, factors: list[str], k: int, seed: int) -> Outcome:
    from stepmix.stepmix import StepMix

    data, desc = _stepmix_data(target, factors)
    best = None
    for n in range(2, 9):
        model = StepMix(n_components=n, measurement=desc, n_init=10, random_state=seed,
                        verbose=0, progress_bar=0).fit(data)
        bic = model.bic(data)
        if best is None or bic < best[0]:
            best = (bic, n, model.predict(data))
    return best[2], best[1]


def kprototypes(target: pd.DataFrame, factors: list[str], k: int, seed: int) -> Outcome:
    from kmodes.kprototypes import KPrototypes

    categorical, numeric = kinds(target, factors)
    nums = target[numeric].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    nums = (nums - np.nanmean(nums, axis=0)) / np.nanstd(nums, axis=0)
    cats = target[categorical].astype("object").map(str).to_numpy()
    matrix = np.concatenate([np.nan_to_num(nums).astype(object), cats], axis=1)
    index = list(range(len(numeric), len(numeric) + len(categorical)))
    model = KPrototypes(n_clusters=k, init="Cao", n_init=10, random_state=seed)
    return model.fit_predict(matrix, categorical=index), None


CONTENDERS: dict[str, tuple[str | None, Callable[..., Outcome]]] = {
    "smartstart typology (k chosen)": (None, ours_full),
    "smartstart latent class (k planted)": (None, ours_lca),
    "smartstart latent class, plain normal": (None, ours_lca_plain),
    "smartstart Gower + PAM (k planted)": (None, ours_pam),
    "stepmix LCA (k planted)": ("stepmix", stepmix_fixed),
    "kmodes k-prototypes (k planted)": ("kmodes", kprototypes),
}


def available(package: str | None) -> bool:
    if package is None:
        return True
    try:
        __import__(package)
    except ImportError:
        return False
    return True


def run(worlds: list[Planted], noise: float) -> pd.DataFrame:
    rows = []
    for world in worlds:
        table = world.households
        target = table[table["target_group"].astype(bool)]
        factors = default_factors(target)
        noisy = add_noise(target, factors, noise, world.seed).reset_index(drop=True)
        planted = world.planted.to_numpy(int)
        k = len(world.foodbank_types)
        for name, (package, method) in CONTENDERS.items():
            if not available(package):
                continue
            started = time.perf_counter()
            labels, chosen = method(noisy, factors, k, world.seed)
            rows.append({"noise": noise, "seed": world.seed, "method": name,
                         "ari": adjusted_rand_score(planted, labels), "chosen_k": chosen,
                         "seconds": time.perf_counter() - started})
    return pd.DataFrame(rows)


def default_factors(target: pd.DataFrame) -> list[str]:
    from smartstart.analyses._typology import _infos

    return [i.name for i in _infos(target, None, "target_group")]


def summary(results: pd.DataFrame) -> pd.DataFrame:
    return results.groupby(["noise", "method"], sort=False).agg(
        ari=("ari", "mean"), ari_min=("ari", "min"), ari_max=("ari", "max"),
        chosen_k=("chosen_k", lambda k: " ".join(str(int(v)) for v in k.dropna()) or "-"),
        seconds=("seconds", "mean")).round(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--noise", type=float, nargs="+", default=[0.0, 0.3])
    parser.add_argument("--types", default="12345", help="planted food-bank types, e.g. 235")
    parser.add_argument("--households", type=int, default=11_346)
    parser.add_argument("--stepmix-bic", action="store_true", help="also stepmix with BIC's k")
    args = parser.parse_args()
    if args.stepmix_bic:
        CONTENDERS["stepmix LCA (k by BIC)"] = ("stepmix", stepmix_bic)
    planted = tuple(int(t) for t in args.types)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        worlds = planted_many(Path(folder), [(s, planted) for s in args.seeds],
                              households=args.households)
        print(f"synthetic populations: {time.perf_counter() - started:.1f} s")
    missing = [p for p, _ in CONTENDERS.values() if p and not available(p)]
    if missing:
        print(f"not installed (skipped): {', '.join(sorted(set(missing)))}")
    results = pd.concat([run(worlds, p) for p in args.noise], ignore_index=True)
    with pd.option_context("display.width", 120, "display.max_columns", 10):
        print(summary(results).to_string())


if __name__ == "__main__":
    main()
