"""``smartstart check`` re-checks the area hierarchy on the demo's bundle (issue 14): the demo
publishes its buurten (areas_households) and, in the household profile, its wijken; a bundle
in which a small buurt's target-group count is its wijk minus the other buurten must fail
(rule ``register``), while the bundle as the run wrote it is sound."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
from test_run_bundle import _rewrite_checksums, demo  # noqa: F401 - the shared demo

from smartstart.bundle import check_bundle

TABLE = "areas_households"


def test_the_demo_publishes_buurten_and_check_finds_one_given_back(demo, tmp_path):  # noqa: F811
    root = Path(shutil.copytree(demo / "bundle", tmp_path / "bundle"))
    assert check_bundle(root)[0] == []
    frame = pd.read_parquet(root / "tables" / f"{TABLE}.parquet")
    log = json.loads((root / "disclosure_log.json").read_text("utf-8"))
    verdict = next(o for o in log["outputs"] if o["name"] == TABLE)
    small = [int(r) for r, c, label in verdict["shown"]
             if c == "target_households" and label.startswith("<")]
    assert small, "the demo hides a small buurt's target group"
    row = small[0]
    households = pd.read_parquet(demo / "work" / "households.parquet")
    truth = households.groupby("buurt")["target_group"].sum()
    # every other buurt of its wijk published: the wijk (in the profile) gives it back
    fill = (frame["wijk"] == frame["wijk"].iloc[row]) & frame["target_households"].isna()
    fill.iloc[row] = False
    frame.loc[fill, "target_households"] = frame.loc[fill, "area"].map(truth).astype(float)
    frame.to_parquet(root / "tables" / f"{TABLE}.parquet", index=True)
    frame.to_csv(root / "tables" / f"{TABLE}.csv", index=True)
    filled = {int(i) for i in frame.index[fill]}
    verdict["shown"] = [s for s in verdict["shown"]
                        if not (int(s[0]) in filled and s[1] == "target_households")]
    (root / "disclosure_log.json").write_text(json.dumps(log), "utf-8")
    _rewrite_checksums(root)
    problems = check_bundle(root)[0]
    assert (TABLE, "register") in {(p.where, p.kind) for p in problems}
