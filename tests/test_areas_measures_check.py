"""``smartstart check`` re-checks the areas' new columns on the demo's bundle (issue 14): the
bundle as written passes; a hidden count of the high-risk combination written back, or a shrunk
prevalence left beside its hidden count, or a small pupil count fail with the rule that catches
each; the number of schools is public and may be any number."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from test_run_bundle import _rewrite_checksums, demo  # noqa: F401 - the shared demo

from smartstart.bundle import check_bundle
from smartstart.bundle._exports import rewrite_derived


def _tamper(results: Path, tmp_path: Path, name: str, change) -> set[tuple[str, str]]:
    root = Path(shutil.copytree(results / "bundle", tmp_path / "bundle"))
    frame = pd.read_parquet(root / "tables" / f"{name}.parquet")
    log = json.loads((root / "disclosure_log.json").read_text("utf-8"))
    verdict = next(o for o in log["outputs"] if o["name"] == name)
    cells = change(frame, verdict)
    verdict["shown"] = [s for s in verdict["shown"] if (int(s[0]), s[1]) not in cells]
    frame.to_parquet(root / "tables" / f"{name}.parquet", index=True)
    (root / "disclosure_log.json").write_text(json.dumps(log), "utf-8")
    rewrite_derived(root)  # the CSV and the Excel exports made to fit the changed table
    _rewrite_checksums(root)
    return {(p.where, p.kind) for p in check_bundle(root)[0]}


def test_the_demo_bundle_holds_every_area_table(demo):  # noqa: F811
    """(That the bundle as written passes check: tests/test_run_bundle.py.)"""
    names = {o["name"] for o in json.loads((demo / "bundle" / "manifest.json").read_text(
        "utf-8"))["outputs"]}
    assert {"areas_residents", "areas_households", "areas_children", "areas_schools"} <= names


def test_a_small_combination_count_written_back_fails(demo, tmp_path):  # noqa: F811
    def change(frame: pd.DataFrame, verdict: dict) -> set:
        row = next(int(r) for r, c, label in verdict["shown"]
                   if c == "high_risk" and label.startswith("<"))
        frame.loc[frame.index[row], "high_risk"] = 3.0
        return {(row, "high_risk")}

    assert ("areas_children", "rule_threshold") in _tamper(demo, tmp_path, "areas_children",
                                                            change)


def test_a_shrunk_prevalence_beside_its_hidden_count_fails(demo, tmp_path):  # noqa: F811
    def change(frame: pd.DataFrame, verdict: dict) -> set:
        hidden = frame.index[frame["high_risk"].isna()][0]
        frame.loc[hidden, "high_risk_shrunk"] = 0.02
        return set()

    problems = _tamper(demo, tmp_path, "areas_children", change)
    assert any(where == "areas_children" and kind.startswith("rule_")
               for where, kind in problems)


@pytest.mark.parametrize(("column", "value", "fails"), [("pupils", 4.0, True),
                                                        ("schools", 1, False)])
def test_pupils_are_counts_and_schools_are_public(demo, tmp_path, column, value, fails):  # noqa: F811
    def change(frame: pd.DataFrame, verdict: dict) -> set:
        row = frame.index[frame["schools"] > 0][0]
        frame.loc[row, column] = value
        return set()

    problems = _tamper(demo, tmp_path, "areas_schools", change)
    assert (("areas_schools", "rule_threshold") in problems) is fails
    if not fails:
        assert problems == set()
