"""A small synthetic delivery and ways to alter a copy of it, for the run's error and
optional-source tests: a table not delivered, a year missing, a column absent, a duplicate."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from smartstart.sources import ingest
from smartstart.synth import SynthSpec, generate

DEMO = yaml.safe_load(resources.files("smartstart.pilots").joinpath("voedselbank.yaml").read_text())


def build_world(root: Path, households: int = 600, seed: int = 2) -> Path:
    """synth + ingest once: ``root/cbs`` (with truth.json) and ``root/store``."""
    generate(root / "cbs", SynthSpec(households=households, seed=seed))
    ingest(root / "cbs", root / "store")
    return root


def copy_world(world: Path, tmp_path: Path) -> Path:
    """A copy of the store (the CBS files are shared, read only) with a pilot next to it."""
    shutil.copytree(world / "store", tmp_path / "store")
    (tmp_path / "cbs").symlink_to(world / "cbs")
    return tmp_path


def pilot(root: Path, name: str = "pilot.yaml", **study) -> Path:
    data = {**DEMO, "study": {**DEMO["study"], **study}}
    path = root / name
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


def truth(root: Path) -> dict:
    return json.loads((root / "cbs" / "truth.json").read_text("utf-8"))


def _edit_manifest(store: Path, change) -> None:
    path = store / "manifest.json"
    data = json.loads(path.read_text("utf-8"))
    data["entries"] = change(data["entries"])
    path.write_text(json.dumps(data), "utf-8")


def drop_table(store: Path, table: str, year: int | None = None) -> None:
    """The delivery lacks ``table`` (all years, or one year)."""
    _edit_manifest(store, lambda entries: [
        e for e in entries if not (e["table"] == table and (year is None or e["year"] == year))])


def drop_column(store: Path, table: str, column: str) -> None:
    """The delivery of ``table`` lacked an (optional) column: ingest stores it as NULLs and
    lists it under ``absent_columns``."""
    def change(entries):
        for e in entries:
            if e["table"] == table:
                e["absent_columns"] = [*e.get("absent_columns", []), column]
                path = store / e["store_path"]
                frame = pd.read_parquet(path)
                frame[column] = pd.Series([None] * len(frame), dtype=frame[column].dtype)
                frame.to_parquet(path, index=False)
        return entries
    _edit_manifest(store, change)


def duplicate_rows(store: Path, table: str, year: int, keys: list[str]) -> None:
    """Each person of ``keys`` (RINPERSOON) occurs twice in ``table`` ``year``."""
    entries = json.loads((store / "manifest.json").read_text("utf-8"))["entries"]
    entry = next(e for e in entries if e["table"] == table and e["year"] == year)
    path = store / entry["store_path"]
    frame = pd.read_parquet(path)
    extra = frame[frame["RINPERSOON"].isin(keys)]
    pd.concat([frame, extra], ignore_index=True).to_parquet(path, index=False)
