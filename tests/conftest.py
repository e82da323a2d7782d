"""Shared test fixtures. Keep them small and namespaced by the step they serve."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest

Columns = Mapping[str, Sequence[object]]

# a run draws its English charts in a spawned worker beside the Dutch ones; under the suite both
# cores are busy already, so the runs draw both here (test_chart_worker.py runs the worker)
os.environ.setdefault("SMARTSTART_CHART_WORKER", "0")


class IngestSource:
    """Writes small CBS-style source files (.sav, ;-separated Latin-1 .csv, .parquet)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def path(self, relative: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def sav(self, relative: str, columns: Columns,
            labels: Mapping[str, Mapping[object, str]] | None = None,
            compress: bool = False) -> Path:
        """Strings stay strings (codes, A8 dates); floats become SPSS numbers."""
        path = self.path(relative)
        frame = pd.DataFrame({k: pd.Series(list(v), dtype=_dtype(v)) for k, v in columns.items()})
        pyreadstat.write_sav(frame, path, variable_value_labels=dict(labels or {}),
                             row_compress=compress)
        return path

    def csv(self, relative: str, columns: Columns, *, delimiter: str = ";",
            encoding: str = "latin-1") -> Path:
        path = self.path(relative)
        names = list(columns)
        rows = zip(*(columns[n] for n in names), strict=True)
        with open(path, "w", newline="", encoding=encoding) as handle:
            writer = csv.writer(handle, delimiter=delimiter)
            writer.writerow(names)
            writer.writerows(rows)
        return path

    def parquet(self, relative: str, columns: Columns | pa.Table) -> Path:
        path = self.path(relative)
        if not isinstance(columns, pa.Table):
            columns = pa.table({k: list(v) for k, v in columns.items()})
        pq.write_table(columns, path)
        return path


def _dtype(values: Sequence[object]) -> str:
    return "float64" if all(isinstance(v, float) for v in values) else "object"


@pytest.fixture
def ingest_source(tmp_path: Path) -> IngestSource:
    """A folder to write CBS-style source files into (``.root``)."""
    return IngestSource(tmp_path / "source")


@pytest.fixture
def ingest_persons() -> dict[str, list[str]]:
    """GBAPERSOONTAB 2022 as codes: 6 persons with 12 missing codes and one padded code."""
    return {
        "RINPERSOONS": ["R", "R", "R", "S", "R", "R"],
        "RINPERSOON": ["000000001", "000000002", "000012345", "000000004", "000000005",
                       "000000006"],
        "GBAGESLACHT": ["1", "2", "-", "1", " 2", "2"],
        "GBAGEBOORTEJAAR": ["1985", "1990", "----", "2001", "2010", "2015"],
        "GBAGEBOORTEMAAND": ["01", "12", "--", "--", "03", "07"],
        "GBAGEBOORTEDAG": ["05", "31", "--", "15", "--", "01"],
        "GBAGENERATIE": ["0", "1", "2", "-", "0", "0"],
        "GBAHERKOMSTGROEPERING": ["6030", "6043", "----", "0000", "5022", "6030"],
        "GBAGEBOORTELANDNL": ["1", "0", "-", "1", "1", "1"],
        "GBAGEBOORTELAND": ["6030", "6043", "5022", "0000", "6030", "6030"],
        "GBAGEBOORTELANDMOEDER": ["6030", "6043", "5022", "7044", "6030", "----"],
        "GBAGEBOORTELANDVADER": ["6030", "6043", "5022", "7044", "6030", "6030"],
    }


@pytest.fixture
def ingest_addresses() -> dict[str, list[str]]:
    """GBAADRESOBJECTBUS 2022: 4 impossible start dates, 2 ends 88888888, 1 empty end."""
    return {
        "RINPERSOONS": ["R", "R", "R", "R", "S", "R"],
        "RINPERSOON": ["000000001", "000000002", "000000003", "000000004", "000000005",
                       "000000006"],
        "GBADATUMAANVANGADRESHOUDING": ["20190101", "20190231", "20181301", "00000000",
                                        "2019010a", "20200229"],
        "GBADATUMEINDEADRESHOUDING": ["88888888", "20501231", "20211231", "88888888", "",
                                      "20190101"],
        "SOORTOBJECTNUMMER": ["VBO", "VBO", "LIG", "STA", "GBA", "VBO"],
        "RINOBJECTNUMMER": ["0000000000012345", "0000000000012345", "0000000000000007",
                            "0000000000000008", "0000000000000009", "0000000000000010"],
    }


#: test modules that keep both cores busy on their own (process pools): run last, so that when
#: run.py runs the two environments' suites at the same time, the one that ends later ends
#: on work that uses the core the other one has freed
LAST = ("test_disclosure_properties.py",)


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.path.name in LAST)  # stable: the order otherwise kept


# --- synthetic municipality through the real chain (synth -> ingest -> link -> features) -----

def synthetic_tables(root: Path, households: int, seed: int):
    """Household and child tables of municipality 0784 on 2020-01-01, with truth.json."""
    from smartstart.sources import ingest
    from smartstart.synth import SynthSpec, generate

    generate(root / "cbs", SynthSpec(households=households, seed=seed))
    ingest(root / "cbs", root / "store")
    return linked_tables(root)


def linked_tables(root: Path):
    """Link ``root/store`` (with ``root/cbs``'s partner file) for 0784 on 2020-01-01 and build
    the household and child tables; with truth.json."""
    import json
    from datetime import date

    from smartstart.features import build_features
    from smartstart.linking import link
    from smartstart.pilot import Study, TargetGroup, Window

    truth = json.loads((root / "cbs" / "truth.json").read_text("utf-8"))
    window = Window(start=date(2015, 1, 1), end=date(2022, 12, 31))
    study = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1),
                  target_group=TargetGroup(partner_file="v", start_column="startdatum",
                                           end_column="einddatum", window=window))
    linked = link(root / "store", study, root / "cbs" / truth["demo"]["partner_file"])
    return build_features(linked.db, study), truth


# --- shared per session, read only (copy before changing anything) --------------------------

@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """The folder of ``run_demo`` at the demo size (11,346 households, seed 1): ``cbs/`` with
    truth.json, ``store/``, ``results/`` (work, bundle) and ``rapport.html``; built once."""
    from test_report_support import demo_run as build

    return build(tmp_path_factory)


@pytest.fixture(scope="session")
def demo_later(demo_run, tmp_path_factory) -> Path:
    """A second run on the demo's store, a year later and the profile only (what a team gets
    back after changing its pilot): the bundle the dashboard compares with the demo's."""
    import yaml
    from rich.console import Console

    from smartstart.pilot import load_pilot
    from smartstart.pipeline import run_pilot

    root = tmp_path_factory.mktemp("later")
    data = yaml.safe_load((demo_run / "pilot.yaml").read_text("utf-8"))
    data["study"].update(peildatum="2021-01-01", analyses=["profile"],
                         outcome={**data["study"]["outcome"], "window_years": 2})
    data["paths"] = {k: (str((demo_run / v).resolve()) if isinstance(v, str) else
                         {n: str((demo_run / p).resolve()) for n, p in v.items()})
                     for k, v in data["paths"].items()}
    data["paths"]["output"] = str(root / "results")
    (root / "pilot.yaml").write_text(yaml.safe_dump(data), "utf-8")
    run_pilot(load_pilot(root / "pilot.yaml"), console=Console(quiet=True))
    return root / "results" / "bundle"


@pytest.fixture(scope="session")
def demo_world(demo_run):
    """The demo municipality (11,346 households, seed 1) linked and with its factor tables:
    the demo run's own delivery and store, so they are synthesised and ingested once."""
    return linked_tables(demo_run)


@pytest.fixture(scope="session")
def effect_demo(tmp_path_factory) -> Path:
    """The effect demo's folder (``smartstart demo --pilot effect_gilze_en_rijen``: ``cbs/``
    with truth.json, ``store/``, ``results/`` (work, bundle), ``rapport.html``), built once per
    session for the effect monitor, gate, report and summary tests: read only (a test that
    changes the bundle copies it first). Defined here, not imported into each module: an
    imported fixture is a fixture of that module, and the demo was built once per module."""
    from rich.console import Console

    from smartstart.demo import run_demo

    root = tmp_path_factory.mktemp("effect-demo")
    run_demo(root, pilot="effect_gilze_en_rijen", console=Console(quiet=True))
    return root


@pytest.fixture(scope="session")
def run_world(tmp_path_factory) -> Path:
    """A small delivery (600 households, seed 2): ``cbs/`` and ``store/``, built once for the
    run's error, optional-source and partner-file tests (``run_variants.copy_world`` copies
    the store before a test alters it)."""
    from run_variants import build_world

    return build_world(tmp_path_factory.mktemp("run-world"))


#: the planted typology test's populations: (seed, planted food-bank types)
THREE_AND_FOUR = [(1, (2, 3, 5)), (2, (1, 2, 4, 5))]


@pytest.fixture(scope="session")
def planted_three_four(tmp_path_factory):
    """Demo-size worlds with three and four of the five food-bank types planted
    (``THREE_AND_FOUR``), built once: the folder (``seed1_235/cbs/truth.json``, ...) and the
    ``planted_worlds.Planted`` of each, read only."""
    from planted_worlds import planted_many

    root = tmp_path_factory.mktemp("planted")
    return root, planted_many(root, THREE_AND_FOUR)
