"""A synthetic target group with its planted food-bank types, for the typology's tests and
benchmark (a test fixture: it lives here, not in ``src/``).

``planted_households(folder, seed)`` runs the real chain on synthetic CBS data (generate,
ingest, link, build features) and returns the household table with, for each target-group
household, the planted type (1..5) from ``truth/households.parquet``, joined on HUISHOUDNR (the
first 12 characters of ``household_id``). ``planted_many`` builds several in worker processes
(spawned: this module is imported by name in each, so its folder must be on ``sys.path``, as it
is under pytest and in ``benchmarks/typology.py``).
"""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import pandas as pd

from smartstart.features import build_features
from smartstart.linking import link
from smartstart.pilot import Study, TargetGroup, Window
from smartstart.sources import ingest
from smartstart.synth import SynthSpec, generate


@dataclass(frozen=True)
class Planted:
    households: pd.DataFrame
    #: planted food-bank type per target-group household (index as in ``households``)
    planted: pd.Series
    seed: int
    foodbank_types: tuple[int, ...]


def planted_households(folder: Path, seed: int, foodbank_types: tuple[int, ...] = (1, 2, 3, 4, 5),
                       households: int = 11_346) -> Planted:
    folder = Path(folder)
    # parquet: the same tables as the demo's .sav files (compared: identical households and
    # planted types), written and read in three quarters of the time
    generate(folder / "cbs", SynthSpec(households=households, seed=seed, fmt="parquet",
                                       foodbank_types=foodbank_types))
    ingest(folder / "cbs", folder / "store")
    truth = json.loads((folder / "cbs" / "truth.json").read_text("utf-8"))
    window = Window(start=date(2015, 1, 1), end=date(2022, 12, 31))
    study = Study(name="typology", gemeente="0784", peildatum=date(2020, 1, 1),
                  target_group=TargetGroup(partner_file="voedselbank", start_column="startdatum",
                                           end_column="einddatum", window=window))
    linked = link(folder / "store", study, folder / "cbs" / truth["demo"]["partner_file"])
    return planted_of(folder, build_features(linked.db, study).households, seed, foodbank_types)


def planted_of(folder: Path, table: pd.DataFrame, seed: int,
               foodbank_types: tuple[int, ...] = (1, 2, 3, 4, 5)) -> Planted:
    """The household ``table`` built from ``folder/cbs`` (e.g. the demo's, linked once per
    test session) with the planted type of each target-group household."""
    planted = pd.read_parquet(Path(folder) / "cbs" / "truth" / "households.parquet")
    kinds = dict(zip(planted["HUISHOUDNR"], planted["foodbank_type"], strict=True))
    target = table[table["target_group"].astype(bool)]
    return Planted(table, target["household_id"].str[:12].map(kinds).astype("Int64"), seed,
                   tuple(foodbank_types))


def _one(job: tuple[Path, int, tuple[int, ...], int]) -> Planted:
    return planted_households(*job)


def planted_many(folder: Path, populations: list[tuple[int, tuple[int, ...]]],
                 households: int = 11_346, workers: int = 2) -> list[Planted]:
    """Several populations given as (seed, planted food-bank types), built in parallel worker
    processes, each in its own subfolder."""
    jobs = [(Path(folder) / f"seed{s}_{''.join(map(str, t))}", s, tuple(t), households)
            for s, t in populations]
    if workers <= 1 or len(jobs) == 1:
        return [_one(job) for job in jobs]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        return list(pool.map(_one, jobs))
