"""An address without a municipality in the area file (a missing gem code, nulled at ingest):
the ever-residents (a spell in the municipality since the first area year) who live there on the
peildatum are counted in a flow step of their own
(outsider helper-39 finding 4), not silently among those who moved away."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
from run_variants import copy_world

from smartstart.linking import Database, link
from smartstart.pilot import Study

STUDY = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1))


def _entry(store, table: str, year: int) -> dict:
    manifest = json.loads((store / "manifest.json").read_text("utf-8"))
    return next(e for e in manifest["entries"] if e["table"] == table and e["year"] == year)


def test_residents_at_an_address_without_a_municipality_are_a_counted_step(run_world, tmp_path,
                                                                           monkeypatch):
    root = copy_world(run_world, tmp_path)
    store = root / "store"
    with monkeypatch.context() as keep:  # the address tables that linking frees, for the setup
        keep.setattr(Database, "drop", lambda self, *tables: None)
        before = link(store, STUDY)
    year = before.db.read["VSLGWBTAB"]
    assert "adres met een gemeente" not in set(before.attrition["step"])  # no missing code
    on_date = before.db.frame("SELECT * FROM address_on_date")
    history = before.db.frame("SELECT * FROM address_history")
    areas = pd.read_parquet(store / _entry(store, "VSLGWBTAB", year)["store_path"])
    # residents who moved within the municipality: their address on the date loses its code
    objects = ["SOORTOBJECTNUMMER", "RINOBJECTNUMMER"]
    here = set(map(tuple, areas.loc[areas["gem"] == "0784", objects].to_numpy()))
    # an ever-resident: a spell there that lasted into the first area year (this store has no
    # layout)
    manifest = json.loads((store / "manifest.json").read_text("utf-8"))
    since = pd.Timestamp(min(e["year"] for e in manifest["entries"]
                             if e["table"] == "VSLGWBTAB"), 1, 1)
    ends = pd.to_datetime(history["GBADATUMEINDEADRESHOUDING"]).fillna(pd.Timestamp.max)
    lasting = history[ends >= min(since, pd.Timestamp(STUDY.peildatum))]
    # three who lived at another address here since then (counted), three who did not
    inside = [tuple(o) in here for o in lasting[objects].to_numpy()]
    lived = lasting[inside].groupby(["RINPERSOONS", "RINPERSOON"])["RINOBJECTNUMMER"].nunique()
    lived = lived[lived > 1].index
    at_home = on_date.set_index(["RINPERSOONS", "RINPERSOON"])
    at_home = at_home[[tuple(o) in here for o in at_home[objects].to_numpy()]]
    chosen = pd.concat([at_home[at_home.index.isin(lived)].head(3),
                        at_home[~at_home.index.isin(lived)].head(3)])
    blank = set(map(tuple, chosen[objects].to_numpy()))
    assert len(blank) >= 2
    at = [tuple(o) in blank for o in areas[objects].to_numpy()]
    areas.loc[at, ["gem", "wc", "bc"]] = None
    areas.to_parquet(store / _entry(store, "VSLGWBTAB", year)["store_path"], index=False)
    manifest = json.loads((store / "manifest.json").read_text("utf-8"))
    for e in manifest["entries"]:
        if e["table"] == "VSLGWBTAB" and e["year"] == year:
            e["columns"]["gem"]["missing_code_nulls"] = int(sum(at))
    (store / "manifest.json").write_text(json.dumps(manifest), "utf-8")

    # the reference: everyone whose address on the date is one of those objects and who had
    # another address in the municipality (still an ever-resident), by pandas over the tables
    here -= blank
    still = {k for k, rows in lasting.groupby(["RINPERSOONS", "RINPERSOON"])
             if any(tuple(o) in here for o in rows[objects].to_numpy())}
    expected = sum(1 for k, o in zip(map(tuple, on_date[["RINPERSOONS", "RINPERSOON"]].to_numpy()),
                                     map(tuple, on_date[objects].to_numpy()), strict=True)
                   if o in blank and k in still)
    assert expected >= 2
    after = link(store, STUDY)
    flow = after.attrition.set_index("step")
    step = flow.loc["adres met een gemeente"]
    assert step["rows_in"] - step["rows_out"] == expected
    assert flow.loc["inwoners op peildatum", "rows_in"] == step["rows_out"]
    living = sum(1 for o in map(tuple, on_date[objects].to_numpy()) if o in blank)
    assert before.db.count("residents") - after.db.count("residents") == living
    assert living > expected  # those who never lived at another address here: not counted
