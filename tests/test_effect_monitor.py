"""Issue 15's monitor on the demo of its own (``smartstart demo --pilot effect_gilze_en_rijen``):

- the panel (``features/sql/effect_panel_year.sql``, DuckDB) equals an independent count in pandas
  over the store's parquet tables: per year and buurt of the pool, the residents aged 0-17 on
  1 January (by the address spell covering that day, the reference-date rule written again
  here) and those of them with a youth-care start that calendar year; exact;
- the planted intervention (synth: relative risk 0.6 in three pilot buurten from 2019) is
  recovered: the start year's effect (before synth's outcome window tops the youth-care events
  up from 2020) lies within its permutation interval, and the overall effect is negative with
  an interval that excludes 0;
- the bundle passes ``smartstart check``; the plan's hash is recorded and a changed plan
  fails the check.

The effect demo is conftest's ``effect_demo``, built once per session (read only).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _effect_reference import area_panel, household_hits, person_years, store_table

from smartstart._effect_plan import EffectPlan, hash_of
from smartstart.bundle import check_bundle


def _copy_of_store(effect_demo: Path, tmp_path: Path, table: str) -> tuple[Path, Path]:
    """A copy of the effect demo's store (to plant rows in) and the parquet file of ``table``
    in it."""
    root = tmp_path / "planted"
    shutil.copytree(effect_demo / "store", root / "store")
    manifest = json.loads((root / "store" / "manifest.json").read_text("utf-8"))
    return root, root / "store" / next(e["store_path"] for e in manifest["entries"]
                                       if e["table"] == table)


def _independent_panel(root: Path, years: list[int], pool: tuple[str, ...]) -> pd.DataFrame:
    """Per year and buurt (pandas, no SQL): children 0-17 on 1 January at an address of the
    pool and those with a youth-care start in the year (tests/_effect_reference.py)."""
    return area_panel(root, years, pool)


def test_the_panel_equals_an_independent_count_on_the_delivery(effect_demo):
    from smartstart.sources._regions import load_regions

    panel = pd.read_parquet(effect_demo / "results" / "work" / "effect_panel.parquet")
    years = sorted(panel["year"].unique())
    pool = load_regions()["hart_van_brabant"].codes
    found = _independent_panel(effect_demo, years, pool)
    ours = panel[panel["outcome"] == "jeugdhulp"][["year", "area", "n", "events"]]
    both = ours.merge(found, on=["year", "area"], how="outer", suffixes=("", "_pandas"),
                      indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"].head()
    assert (both["n"] == both["n_pandas"]).all()
    assert (both["events"] == both["events_pandas"]).all()
    assert both["n"].sum() > 50_000 and both["events"].sum() > 5_000  # not a trivial panel
    assert len(years) == 11  # every year the delivery covers (2012-2022)


def test_the_planted_intervention_is_recovered(effect_demo):
    truth = json.loads((effect_demo / "cbs" / "truth.json").read_text("utf-8"))
    planted = truth["demo"]["intervention"]
    bundle = effect_demo / "results" / "bundle"
    estimates = pd.read_parquet(bundle / "tables" / "effect_estimates.parquet")
    events = pd.read_parquet(bundle / "tables" / "effect_event_study.parquet")
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    plan = manifest["pilot"]["study"]["effect"]
    assert sorted(plan["treated"]["buurten"]) == sorted(planted["pilot_buurten"])
    assert plan["start"] == planted["from_year"]
    # the start year: every youth-care start of the treated buurten comes from synth's yearly
    # models, each at relative risk 0.6; the planted effect in percentage points is (RR - 1)
    # times the rate the treated buurten would have had (their observed rate / RR)
    panel = pd.read_parquet(effect_demo / "results" / "work" / "effect_panel.parquet")
    mine = panel[(panel["outcome"] == "jeugdhulp") & panel["area"].isin(planted["pilot_buurten"])
                 & (panel["year"] == planted["from_year"])]
    rr = planted["relative_risk"]
    observed = 100 * mine["events"].sum() / mine["n"].sum()
    effect = (rr - 1) * observed / rr
    first = events[(events["outcome"] == "jeugdhulp") & (events["event_time"] == 0)].iloc[0]
    assert first["ci_low"] <= effect <= first["ci_high"], (effect, first.to_dict())
    # overall (diluted from 2020 by synth's outcome window, which sets each child's chance of
    # youth care over 2020-2022 regardless of the buurt): negative, its interval excludes 0,
    # and no larger than the planted relative risk allows
    head = estimates[(estimates["outcome"] == "jeugdhulp") & estimates["headline"]].iloc[0]
    assert head["ci_high"] < 0 and head["p_value"] < 0.05
    assert rr - 1 <= head["relative"] < 0


def test_the_bundle_passes_check_and_records_the_plan(effect_demo):
    bundle = effect_demo / "results" / "bundle"
    problems, checked = check_bundle(bundle)
    assert problems == [] and checked >= 6
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    plan = manifest["pilot"]["study"]["effect"]
    assert plan["plan_sha256"] == hash_of(plan)
    loaded = EffectPlan.model_validate({k: v for k, v in plan.items() if k != "plan_sha256"})
    assert loaded.plan_hash() == plan["plan_sha256"]
    names = {o["name"] for o in manifest["outputs"]}
    assert {"effect_monitor_jeugdhulp", "effect_series_jeugdhulp", "effect_estimates",
            "effect_event_study", "effect_placebo", "effect_inference"} <= names


def test_a_plan_changed_in_the_bundle_fails_the_check(effect_demo, tmp_path):
    from test_run_bundle import _rewrite_checksums

    bundle = Path(shutil.copytree(effect_demo / "results" / "bundle", tmp_path / "bundle"))
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    manifest["pilot"]["study"]["effect"]["start"] = 2020  # the start moved after the results
    (bundle / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    _rewrite_checksums(bundle)
    kinds = {p.kind for p in check_bundle(bundle)[0]}
    assert kinds == {"effect_plan"}


def test_a_placebo_per_buurt_fails_the_check(effect_demo, tmp_path):
    from test_run_bundle import _rewrite_checksums

    bundle = Path(shutil.copytree(effect_demo / "results" / "bundle", tmp_path / "bundle"))
    table = bundle / "tables" / "effect_placebo"
    frame = pd.read_parquet(table.with_suffix(".parquet"))
    frame["area"] = "07840101"  # one row per comparison buurt
    frame.to_parquet(table.with_suffix(".parquet"))
    frame.to_csv(table.with_suffix(".csv"))
    _rewrite_checksums(bundle)
    assert "effect_placebo" in {p.kind for p in check_bundle(bundle)[0]}


def test_every_published_count_is_the_panels(effect_demo):
    """The monitor publishes the panel's counts (or hides them), never another number."""
    panel = pd.read_parquet(effect_demo / "results" / "work" / "effect_panel.parquet")
    monitor = pd.read_parquet(effect_demo / "results" / "bundle" / "tables"
                              / "effect_monitor_jeugdhulp.parquet")
    both = monitor.merge(panel[panel["outcome"] == "jeugdhulp"], on=["year", "area"],
                         suffixes=("", "_panel"))
    assert len(both) == len(monitor) == 19 * 11
    for column in ("n", "events"):
        shown = both[column].notna()
        assert np.array_equal(both.loc[shown, column], both.loc[shown, f"{column}_panel"])
    assert (both.loc[both["events"].notna(), "events"] >= 10).all()
    assert ((both["n"] - both["events"]).dropna() >= 10).all()


def test_two_outcomes_each_get_their_monitor_and_estimates(effect_demo):
    """A plan with two outcomes (youth care and Halt referrals) on the demo's delivery: a
    monitor and a series per outcome, the units at risk hidden alike in both (the same n),
    estimates for both, and every output passes the gate and the register together."""
    from datetime import date

    from smartstart.disclosure import attack_register, register_of
    from smartstart.features._panel import effect_panel
    from smartstart.linking import Database, StudyDates
    from smartstart.outputs import Outputs
    from smartstart.outputs._effect import effect_step
    from smartstart.outputs._work import Work
    from smartstart.pilot import Study

    plan = {"start": 2019, "treated": {"buurten": ["07840103", "07840303", "07840401"]},
            "outcomes": ["jeugdhulp", "halt"], "permutations": 500}
    study = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1), analyses=("effect",),
                  effect=plan)
    db = Database(effect_demo / "store", StudyDates.of(study))
    panel = effect_panel(db, study.effect, study.municipalities, study.regio)
    assert set(panel["outcome"]) == {"jeugdhulp", "halt"}
    same = panel.pivot_table(index=["year", "area"], columns="outcome", values="n")
    assert (same["jeugdhulp"] == same["halt"]).all()
    work = Work.read(effect_demo / "results" / "work")
    work = Work(work.households, work.children, work.attrition, work.match, work.durations,
                effect_panel=panel)
    out = Outputs()
    effect_step(study, work, out)
    names = out.names()
    assert {"effect_monitor_jeugdhulp", "effect_monitor_halt", "effect_series_jeugdhulp",
            "effect_series_halt", "effect_estimates", "effect_inference"} <= names
    frames = {p.record.name: p.frame for p in out.tables}
    assert frames["effect_monitor_jeugdhulp"]["n"].isna().equals(
        frames["effect_monitor_halt"]["n"].isna())
    # Halt is rare: the treated buurten's counts are hidden in the monitor, and the permutation
    # statistics would give them back (outputs._effect.comparison_buurten): its evaluation is
    # withheld with the reason, its monitor is published
    hidden = frames["effect_monitor_halt"].loc[
        lambda f: f["area"].isin(plan["treated"]["buurten"]), "events"].isna().any()
    evaluated = {"jeugdhulp"} | (set() if hidden else {"halt"})
    assert set(frames["effect_estimates"]["outcome"]) == evaluated
    assert [name for name, _ in out.withheld] == ([] if not hidden else ["effect_halt"])
    assert all(p.record.status == "pass" for p in out.tables)
    statements = register_of(((p.record.name, p.frame, p.rules.cells,
                               {(r, c): label for r, c, label in p.record.shown})
                              for p in out.tables if p.rules.cells), study.disclosure)
    assert not [f for f in attack_register(statements, {}, study.disclosure) if f.narrowed]


def test_a_plan_the_delivery_cannot_give_is_withheld_with_its_reason(effect_demo, tmp_path):
    """Plan years without an area file: the panel is not made, the lack is written next to
    the work tables, and the step raises it (the run withholds the analysis, naming why)."""
    from datetime import date

    from smartstart.errors import LackOfData
    from smartstart.features._panel import LACK_FILE, read_panel, write_panel
    from smartstart.linking import Database, StudyDates
    from smartstart.outputs import Outputs
    from smartstart.outputs._effect import effect_step
    from smartstart.outputs._work import Work
    from smartstart.pilot import Study

    plan = {"start": 2019, "treated": {"buurten": ["07840103"]}, "outcomes": ["jeugdhulp"],
            "years": [2005, 2022]}
    study = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1), analyses=("effect",),
                  effect=plan)
    write_panel(Database(effect_demo / "store", StudyDates.of(study)), study, tmp_path)
    panel, lack = read_panel(tmp_path)
    assert panel is None and (tmp_path / LACK_FILE).exists()
    assert lack[0] == "other" and "2005" in lack[1]
    work = Work.read(effect_demo / "results" / "work")
    work = Work(work.households, work.children, work.attrition, work.match, work.durations,
                effect_lack=lack)
    with pytest.raises(LackOfData) as error:
        effect_step(study, work, Outputs())
    assert error.value.detail == lack[1]


def test_household_and_entry_outcomes_equal_an_independent_count(effect_demo):
    """A household outcome (admission to debt restructuring, WSNPPERSBUS) and an entry one
    (bijstand spells starting in the year, SECMBUS with SECM 22): a person-year counts when
    the person or anyone in their household on 1 January had the event that year. The panel
    equals pandas' count (tests/_effect_reference.py) per year and buurt of the pool, exactly."""
    from datetime import date

    from smartstart.features._panel import effect_panel
    from smartstart.linking import Database, StudyDates
    from smartstart.pilot import Study
    from smartstart.sources._regions import load_regions

    plan = {"start": 2019, "treated": {"buurten": ["07840103"]},
            "outcomes": ["problematische_schulden", "instroom_bijstand"]}
    study = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1), analyses=("effect",),
                  effect=plan)
    panel = effect_panel(Database(effect_demo / "store", StudyDates.of(study)), study.effect,
                         study.municipalities, study.regio)
    rows = person_years(effect_demo, sorted(panel["year"].unique()),
                        load_regions()["hart_van_brabant"].codes)
    debts = store_table(effect_demo, "WSNPPERSBUS")
    bijstand = store_table(effect_demo, "SECMBUS")
    bijstand = bijstand[bijstand["SECM"] == "22"]
    events = {"problematische_schulden": debts.assign(
                  year=pd.to_datetime(debts["Wsnpdatumtoelaat"]).dt.year),
              "instroom_bijstand": bijstand.assign(
                  year=pd.to_datetime(bijstand["AANVSECM"]).dt.year)}
    for outcome, found in events.items():
        mine = panel[panel["outcome"] == outcome][["year", "area", "n", "events"]]
        years = set(mine["year"])
        hit = household_hits(effect_demo, rows, found)
        theirs = (rows.assign(hit=hit)[rows["year"].isin(years)]
                  .groupby(["year", "bc"]).agg(n=("hit", "size"), events=("hit", "sum"))
                  .reset_index().rename(columns={"bc": "area"}))
        both = mine.merge(theirs, on=["year", "area"], how="outer", suffixes=("", "_pandas"))
        assert len(both) == len(mine) > 1000, outcome
        assert (both["n"] == both["n_pandas"]).all(), outcome
        assert (both["events"] == both["events_pandas"]).all(), outcome
        # more than the persons' own events: the household's count too
        own = rows.merge(found[["RINPERSOONS", "RINPERSOON", "year"]].drop_duplicates(),
                         on=["RINPERSOONS", "RINPERSOON", "year"])
        assert both["events"].sum() > len(own[own["year"].isin(years)]) > 0, outcome


def test_overlapping_address_spells_follow_the_reference_date_rule(effect_demo, tmp_path):
    """Address spells that overlap on 1 January are ranked as the reference-date rule ranks
    them (the latest start, then the latest end; spell_on_date.sql), though the panel ranks
    only the persons whose spells overlap: planted for 300 children (a spell nested in their
    own, a spell from the same day that lasts longer, a spell at an object in another buurt)
    and counted again in pandas, exactly; without the planted spells the counts differ."""
    from datetime import date

    from smartstart.features._panel import effect_panel
    from smartstart.linking import Database, StudyDates
    from smartstart.pilot import Study

    root, path = _copy_of_store(effect_demo, tmp_path, "GBAADRESOBJECTBUS")
    spells = pd.read_parquet(path)
    areas = store_table(root, "VSLGWBTAB", 2017)
    day = pd.Timestamp(2017, 1, 1)
    start = pd.to_datetime(spells["GBADATUMAANVANGADRESHOUDING"])
    end = pd.to_datetime(spells["GBADATUMEINDEADRESHOUDING"])
    persons = store_table(root, "GBAPERSOONTAB")
    young = persons.loc[pd.to_numeric(persons["GBAGEBOORTEJAAR"]).between(2005, 2014),
                        ["RINPERSOONS", "RINPERSOON"]]
    long = spells[(start <= pd.Timestamp(2015, 1, 1)) & (end.isna() | (end >= day.replace(
        year=2019)))].merge(young).merge(areas[["SOORTOBJECTNUMMER", "RINOBJECTNUMMER", "bc"]])
    long = long.drop_duplicates(["RINPERSOONS", "RINPERSOON"]).head(300)
    assert len(long) == 300
    # objects of another buurt than each planted person's own
    elsewhere = areas[["SOORTOBJECTNUMMER", "RINOBJECTNUMMER", "bc"]].drop_duplicates("bc")
    other = [elsewhere[elsewhere["bc"] != bc].iloc[k % 50] for k, bc in enumerate(long["bc"])]
    planted = long.drop(columns="bc").copy()
    planted["SOORTOBJECTNUMMER"] = [o["SOORTOBJECTNUMMER"] for o in other]
    planted["RINOBJECTNUMMER"] = [o["RINOBJECTNUMMER"] for o in other]
    nested, longer = planted.iloc[:150].copy(), planted.iloc[150:].copy()
    nested["GBADATUMAANVANGADRESHOUDING"] = date(2016, 6, 1)  # wins on 2017-01-01 only
    nested["GBADATUMEINDEADRESHOUDING"] = date(2017, 6, 1)
    longer["GBADATUMEINDEADRESHOUDING"] = date(2049, 1, 1)  # same start, a later end
    longer = longer[pd.to_datetime(longer["GBADATUMAANVANGADRESHOUDING"]) <= day]
    both = pd.concat([spells, nested, longer], ignore_index=True)
    both[list(spells.columns)].astype(spells.dtypes.to_dict()).to_parquet(path, index=False)

    years = [2016, 2017, 2018]
    plan = {"start": 2018, "treated": {"buurten": ["07840103"]}, "outcomes": ["jeugdhulp"],
            "pool": "delivery", "years": [years[0], years[-1]]}
    study = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1), analyses=("effect",),
                  effect=plan)
    panel = effect_panel(Database(root / "store", StudyDates.of(study)), study.effect,
                         study.municipalities, study.regio)
    codes = tuple(areas["gem"].dropna().unique())
    theirs = area_panel(root, years, codes)
    ours = panel[["year", "area", "n", "events"]]
    merged = ours.merge(theirs, on=["year", "area"], how="outer", suffixes=("", "_pandas"))
    assert len(merged) == len(ours) > 100
    assert (merged["n"] == merged["n_pandas"]).all()
    assert (merged["events"] == merged["events_pandas"]).all()
    before = area_panel(effect_demo, years, codes)
    moved = ours.merge(before, on=["year", "area"], suffixes=("", "_before"))
    assert (moved["n"] != moved["n_before"]).sum() >= 20  # the planted spells decide


def test_a_household_outcome_follows_the_highest_household_on_the_day(effect_demo, tmp_path):
    """A person in two households on 1 January belongs to the one with the highest HUISHOUDNR
    that day (a household outcome counts that household's events). Planted: 300 children at
    risk get a second household spell around 1 January of a year, in a household where
    someone had debt restructuring (WSNPPERSBUS) that year; for half that household's number
    is higher than their own (they now count), for half lower (they do not). The panel
    equals pandas' count (tests/_effect_reference.py), exactly, and more events than without
    the planted spells."""
    from datetime import date

    from smartstart.features._panel import effect_panel
    from smartstart.linking import Database, StudyDates
    from smartstart.pilot import Study
    from smartstart.sources._regions import load_regions

    root, path = _copy_of_store(effect_demo, tmp_path, "GBAHUISHOUDENSBUS")
    spells = pd.read_parquet(path)
    keys = ["RINPERSOONS", "RINPERSOON"]
    debts = store_table(root, "WSNPPERSBUS")
    debts = debts.assign(year=pd.to_datetime(debts["Wsnpdatumtoelaat"]).dt.year)[
        [*keys, "year"]].drop_duplicates()
    years = [2017, 2018, 2019]
    codes = load_regions()["hart_van_brabant"].codes
    rows = person_years(effect_demo, years, codes)
    start = pd.to_datetime(spells["DATUMAANVANGHH"])
    end = pd.to_datetime(spells["DATUMEINDEHH"]).fillna(pd.Timestamp("2050-12-31"))
    planted = []
    for year in years:
        day = pd.Timestamp(year, 1, 1)
        on = spells[(start <= day) & (end >= day)][[*keys, "HUISHOUDNR"]]
        hit = set(on.merge(debts[debts["year"] == year], on=keys)["HUISHOUDNR"])
        # children at risk that year in one household that had no such event
        mine = rows[rows["year"] == year].merge(on, on=keys)
        mine = mine[~mine.duplicated(keys, keep=False) & ~mine["HUISHOUDNR"].isin(hit)]
        assert len(hit) >= 5 and len(mine) >= 200, (year, len(hit), len(mine))
        picked = {True: [], False: []}
        for person, own in zip(mine[keys].itertuples(index=False), mine["HUISHOUDNR"],
                               strict=True):
            higher = len(picked[True]) <= len(picked[False])
            options = sorted(h for h in hit if (h > own) == higher)
            if options and len(picked[higher]) < 50:
                picked[higher].append((*person, options[len(picked[higher]) % len(options)]))
        assert len(picked[True]) == len(picked[False]) == 50, year
        extra = pd.DataFrame(picked[True] + picked[False], columns=[*keys, "HUISHOUDNR"])
        extra = extra.merge(spells.drop(columns="HUISHOUDNR").drop_duplicates(keys), on=keys)
        extra["DATUMAANVANGHH"] = date(year - 1, 12, 1)
        extra["DATUMEINDEHH"] = date(year, 1, 31)
        planted.append(extra)
    both = pd.concat([spells, *planted], ignore_index=True)
    both[list(spells.columns)].astype(spells.dtypes.to_dict()).to_parquet(path, index=False)

    plan = {"start": 2019, "treated": {"buurten": ["07840103"]},
            "outcomes": ["problematische_schulden"], "years": [years[0], years[-1]]}
    study = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1), analyses=("effect",),
                  effect=plan)
    panel = effect_panel(Database(root / "store", StudyDates.of(study)), study.effect,
                         study.municipalities, study.regio)
    before = effect_panel(Database(effect_demo / "store", StudyDates.of(study)), study.effect,
                          study.municipalities, study.regio)
    hit = household_hits(root, rows, debts)
    theirs = (rows.assign(hit=hit).groupby(["year", "bc"])
              .agg(n=("hit", "size"), events=("hit", "sum")).reset_index()
              .rename(columns={"bc": "area"}))
    ours = panel[["year", "area", "n", "events"]]
    merged = ours.merge(theirs, on=["year", "area"], how="outer", suffixes=("", "_pandas"))
    assert len(merged) == len(ours) > 100
    assert (merged["n"] == merged["n_pandas"]).all()
    assert (merged["events"] == merged["events_pandas"]).all()
    # the 150 planted in a higher household count; those planted in a lower one do not
    assert panel["events"].sum() - before["events"].sum() >= 100
