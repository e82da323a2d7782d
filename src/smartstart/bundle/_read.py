"""Reading and verifying a bundle: what reports and the web app are allowed to see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smartstart.bundle._write import CHECKSUMS, sha256


@dataclass(frozen=True)
class BundleProblem:
    """One thing wrong with a bundle: which file or output, and what."""

    where: str
    problem: str


def verify_files(root: Path) -> list[BundleProblem]:
    """Every file is listed in checksums.sha256 with a matching hash, and nothing else is there."""
    root = Path(root)
    listing = root / CHECKSUMS
    if not listing.exists():
        return [BundleProblem(CHECKSUMS, "missing: this is not a complete bundle")]
    listed: dict[str, str] = {}
    for line in listing.read_text("utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    present = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    present.discard(CHECKSUMS)
    problems = [BundleProblem(n, "listed but missing") for n in sorted(set(listed) - present)]
    problems += [BundleProblem(n, "not listed: added after the bundle was written")
                 for n in sorted(present - set(listed))]
    problems += [BundleProblem(n, "checksum differs: changed after the bundle was written")
                 for n in sorted(present & set(listed)) if sha256(root / n) != listed[n]]
    return problems


@dataclass(frozen=True)
class Bundle:
    root: Path
    manifest: dict
    log: dict

    @property
    def outputs(self) -> list[dict]:
        return self.manifest["outputs"]

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.root / "tables" / f"{name}.parquet")

    def text(self, name: str) -> str:
        return (self.root / "texts" / f"{name}.md").read_text("utf-8")

    def verdict(self, name: str) -> dict:
        return next(o for o in self.log["outputs"] if o["name"] == name)

    @property
    def variables(self) -> pd.DataFrame:
        return pd.read_csv(self.root / "variables.csv", index_col="variable")


def read_bundle(root: Path, *, verify: bool = True) -> Bundle:
    """Open a bundle; by default refuse one whose files do not match their checksums."""
    root = Path(root)
    if verify:
        problems = verify_files(root)
        if problems:
            listing = "; ".join(f"{p.where}: {p.problem}" for p in problems[:5])
            raise ValueError(f"{root} is not an intact bundle ({listing})")
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    log = json.loads((root / "disclosure_log.json").read_text("utf-8"))
    return Bundle(root, manifest, log)
