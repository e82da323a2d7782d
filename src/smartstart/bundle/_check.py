"""`smartstart check BUNDLE`: verify a bundle again, from its files alone.

1. Files: every file listed in ``checksums.sha256`` with a matching hash, nothing unlisted.
2. Bookkeeping: every output in the manifest has a verdict in the disclosure log and the other
   way round; every verdict is "pass"; texts rest on outputs in the bundle.
3. Rules: every table is read as published and the rules stored with it are applied again
   (linking keys, no minima or maxima, threshold, shares with their complement, statistics
   without their base, regression facts, nested groups) with the settings in its verdict.
4. Protection: every primary suppressed cell's attacker interval, as logged, reaches
   ``min_cell - 1`` and 1 (0 when zeros are disclosive): the published cells tell no more than
   its label ``<10`` does (with empty cells published as 0, a primary cell is 1 to 9).
5. Texts hold no linking keys.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from smartstart.bundle._read import BundleProblem, verify_files
from smartstart.disclosure import Rules, Settings, check_published, too_narrow

KEY_LIKE = re.compile(r"(?<!\d)\d{9,16}(?!\d)")


def check_bundle(root: Path) -> tuple[list[BundleProblem], int]:
    """All problems found (empty: the bundle is sound) and the number of tables re-checked."""
    root = Path(root)
    if not (root / "manifest.json").exists():
        return [BundleProblem(str(root), "not a bundle: manifest.json is missing")], 0
    problems = verify_files(root)
    try:
        manifest = json.loads((root / "manifest.json").read_text("utf-8"))
        log = json.loads((root / "disclosure_log.json").read_text("utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        return [*problems, BundleProblem("manifest.json", f"unreadable: {error}")], 0
    verdicts = {o["name"]: o for o in log.get("outputs", [])}
    outputs = manifest.get("outputs", [])
    problems += _bookkeeping(outputs, verdicts)
    checked = 0
    for output in outputs:
        if output.get("kind") in ("text", "chart"):
            problems += _text(root, output) if output.get("kind") == "text" else []
        elif output["name"] in verdicts:
            problems += _table(root, output, verdicts[output["name"]])
            checked += 1
    return problems, checked


def _bookkeeping(outputs: list[dict], verdicts: dict[str, dict]) -> list[BundleProblem]:
    problems = []
    tables = {o["name"] for o in outputs if o.get("kind") not in ("text", "chart")}
    names = {o["name"] for o in outputs}
    for name in sorted(tables - set(verdicts)):
        problems.append(BundleProblem(name, "no verdict in disclosure_log.json"))
    for name in sorted(set(verdicts) - tables):
        problems.append(BundleProblem(name, "verdict without an output in the manifest"))
    for name, verdict in sorted(verdicts.items()):
        if verdict.get("status") != "pass":
            problems.append(BundleProblem(name, f"disclosure status {verdict.get('status')!r}"))
    for output in outputs:
        for base in set(output.get("based_on", ())) - names:
            problems.append(BundleProblem(output["name"], f"based on {base!r}, not in the bundle"))
    return problems


def _table(root: Path, output: dict, verdict: dict) -> list[BundleProblem]:
    name = output["name"]
    path = root / "tables" / f"{name}.parquet"
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as error:
        return [BundleProblem(f"tables/{name}.parquet", f"unreadable: {error}")]
    settings = Settings(**verdict.get("settings", {}))
    checks = check_published(frame, Rules.from_dict(output.get("rules", {})), settings)
    problems = [BundleProblem(name, f"rule {c.rule}: {c.summary}")
                for c in checks if c.status != "pass"]
    for cell in verdict.get("suppressed", []):
        if cell.get("reason") != "primary" or cell.get("lower") is None:
            continue
        upper = float("inf") if cell.get("unbounded") else cell.get("upper")
        if too_narrow(cell["lower"], upper, settings):
            problems.append(BundleProblem(name, f"suppressed cell {cell['cell']} can be narrowed "
                                          f"down to [{cell['lower']}, {upper}]"))
    return problems


def _text(root: Path, output: dict) -> list[BundleProblem]:
    problems = []
    for file in output.get("files", []):
        path = root / file
        if path.exists() and KEY_LIKE.search(path.read_text("utf-8")):
            problems.append(BundleProblem(file, "holds a number that looks like a linking key"))
    return problems
