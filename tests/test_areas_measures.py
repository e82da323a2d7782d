"""Every measure per area on the demo (issue 14), against counts made without smartstart's
linking: the synthetic delivery's store read with pandas, the reference-date rule written out
again (latest start wins, then latest end, then the highest object or household number), the
planted schools and the planted risk factors of truth.json.

Tolerances: counts are compared exactly (a count of the register has no error); rates at the
published precision (``RATE_DECIMALS``). Only published cells are compared (a hidden cell is
blank in the bundle). On the demo (seed 1, 19 buurten) every one of the 19 buurten's residents,
households and children equals the direct count, and so do the 4 published counts of the
high-risk combination.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smartstart.analyses._areas import (
    AreaSpec,
    SelectionRule,
    area_counts,
    area_rates,
    select_areas,
    shrunk_rates,
)
from smartstart.analyses._common import wilson
from smartstart.outputs._areas import RATE_DECIMALS

P = pd.Timestamp("2020-01-01")
OPEN = pd.Timestamp("2050-12-31")
GEM = "0784"


def _on_date(frame: pd.DataFrame, start: str, end: str, tiebreak: str) -> pd.DataFrame:
    """One spell per person on P: a missing end ends the day before the next start; where
    spells overlap, the latest start, then the latest end, then the highest ``tiebreak``."""
    f = frame.dropna(subset=[start]).assign(**{start: lambda d: pd.to_datetime(d[start]),
                                               end: lambda d: pd.to_datetime(d[end])})
    f = f.sort_values(["RINPERSOONS", "RINPERSOON", start, end], na_position="last")
    following = f.groupby(["RINPERSOONS", "RINPERSOON"])[start].shift(-1) - pd.Timedelta(days=1)
    f["_end"] = f[end].fillna(following).fillna(OPEN)
    f = f[(f[start] <= P) & (f["_end"] >= P)]
    return f.sort_values([start, "_end", tiebreak], ascending=False).drop_duplicates(
        ["RINPERSOONS", "RINPERSOON"])


@pytest.fixture(scope="module")
def residents(demo_run) -> pd.DataFrame:
    """The demo's residents on P with a household, their buurt, household and age, from the
    store with pandas."""
    store = demo_run / "store"
    address = _on_date(pd.read_parquet(store / "GBAADRESOBJECTBUS" / "2022.parquet"),
                       "GBADATUMAANVANGADRESHOUDING", "GBADATUMEINDEADRESHOUDING",
                       "RINOBJECTNUMMER")
    objects = pd.read_parquet(store / "VSLGWBTAB" / "2020.parquet")
    address = address.merge(objects, on=["SOORTOBJECTNUMMER", "RINOBJECTNUMMER"])
    address = address[address["gem"] == GEM]
    household = _on_date(pd.read_parquet(store / "GBAHUISHOUDENSBUS" / "2022.parquet"),
                         "DATUMAANVANGHH", "DATUMEINDEHH", "HUISHOUDNR")
    people = address.merge(household, on=["RINPERSOONS", "RINPERSOON"])
    persons = pd.read_parquet(store / "GBAPERSOONTAB" / "2022.parquet")
    persons["birth"] = pd.to_datetime(dict(year=persons["GBAGEBOORTEJAAR"],
                                           month=persons["GBAGEBOORTEMAAND"],
                                           day=persons["GBAGEBOORTEDAG"]), errors="coerce")
    people = people.merge(persons[["RINPERSOONS", "RINPERSOON", "birth"]],
                          on=["RINPERSOONS", "RINPERSOON"], how="left")
    # the demo's population: children (PLHH 1) under 18 on P
    return people.assign(child=(people["PLHH"] == "1")
                         & (people["birth"] > P - pd.DateOffset(years=18)))


def _published(demo_run: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(demo_run / "results" / "bundle" / "tables" / f"{name}.parquet"
                           ).set_index("area")


def _truth(demo_run: Path) -> dict:
    return json.loads((demo_run / "cbs" / "truth.json").read_text("utf-8"))


def test_residents_households_and_children_equal_a_direct_count(demo_run, residents):
    direct = residents.groupby("bc").agg(residents=("RINPERSOON", "size"),
                                         households=("HUISHOUDNR", "nunique"),
                                         children=("child", "sum"))
    for name, column in (("areas_residents", "residents"), ("areas_households", "households"),
                         ("areas_children", "children")):
        shown = _published(demo_run, name)[column].dropna()
        assert len(shown) == len(direct) == 19, name  # every buurt, none hidden on the demo
        assert (shown == direct.loc[shown.index, column]).all(), name
    # a household lies in one buurt: the buurten's households add up to the municipality's
    assert _published(demo_run, "areas_households")["households"].sum() == residents[
        "HUISHOUDNR"].nunique()


def test_schools_per_buurt_are_the_planted_schools(demo_run):
    planted = pd.Series({a["bc"]: a["schools"] for a in _truth(demo_run)["demo"]["areas"]})
    schools = _published(demo_run, "areas_schools")
    assert (schools["schools"] == planted[schools.index]).all()
    assert schools["schools"].sum() == planted.sum() > 0
    # pupils: the registrations of the school year (1 October 2019) by key, placed by the file
    located = pd.read_csv(demo_run / "cbs" / _truth(demo_run)["schools"], sep=";", dtype=str)
    pupils = pd.read_parquet(demo_run / "store" / "INSCHRWPOTAB" / "2019.parquet")
    per_key = pupils.groupby("WPOBRIN_crypt")["RINPERSOON"].nunique()
    located["pupils"] = located["WPOBRIN_crypt"].map(per_key).fillna(0)
    direct = located.groupby(located["buurtcode"].str.removeprefix("BU"))["pupils"].sum()
    shown = schools["pupils"].dropna()
    assert len(shown) >= 5
    assert (shown == direct.reindex(shown.index).fillna(0)).all()


def test_the_high_risk_combinations_prevalence_matches_the_planted_factors(demo_run,
                                                                           residents):
    manifest = json.loads((demo_run / "results" / "bundle" / "manifest.json").read_text("utf-8"))
    rules = next(o["rules"] for o in manifest["outputs"] if o["name"] == "areas_children")
    combination = [c[0] for c in rules["cells"]["columns"]["high_risk"][0][1]]
    assert len(combination) >= 2
    planted = pd.read_parquet(demo_run / "cbs" / "truth" / "children.parquet")
    members = planted[combination].astype(bool).all(axis=1)
    children = residents[residents["child"]].merge(
        planted[["RINPERSOON"]].assign(high_risk=members.to_numpy()), on="RINPERSOON",
        how="left")
    assert children["high_risk"].notna().all()  # every child of the population is planted
    direct = children.groupby("bc")["high_risk"].sum()
    shown = _published(demo_run, "areas_children")
    counted = shown["high_risk"].dropna()
    assert len(counted) >= 3
    assert (counted == direct[counted.index]).all()
    rate = (counted / shown.loc[counted.index, "children"]).round(RATE_DECIMALS)
    assert np.allclose(shown.loc[counted.index, "high_risk_rate"], rate, atol=1e-12)
    low, high = wilson(counted, shown.loc[counted.index, "children"])
    assert np.allclose(shown.loc[counted.index, "high_risk_low"], np.round(low, 3))
    assert np.allclose(shown.loc[counted.index, "high_risk_high"], np.round(high, 3))


def test_every_shrunk_prevalence_rests_on_the_published_counts(demo_run):
    shown = _published(demo_run, "areas_children").reset_index()
    prefixes = [c[: -len("_shrunk")] for c in shown.columns if c.endswith("_shrunk")]
    assert "high_risk" in prefixes and len(prefixes) >= 4
    for prefix in prefixes:
        rows = shown[shown[prefix].notna() & shown["children"].notna()]
        counts = rows[["area", "children", prefix]].rename(columns={"children": "n",
                                                                    prefix: "events"})
        again = shrunk_rates(counts, AreaSpec(draws=2000))
        assert np.allclose(rows[f"{prefix}_shrunk"], again["shrunk"].round(RATE_DECIMALS),
                           atol=1e-12), prefix
        assert (rows[f"{prefix}_shrunk_low"] <= rows[f"{prefix}_shrunk"]).all()
        assert (rows[f"{prefix}_shrunk"] <= rows[f"{prefix}_shrunk_high"]).all()
        # a hidden count has no shrunk value either
        assert shown.loc[shown[prefix].isna(), f"{prefix}_shrunk"].isna().all()


def test_min_schools_changes_the_chosen_set(demo_run):
    work = demo_run / "results" / "work"
    counts = area_counts(pd.read_parquet(work / "children.parquet"),
                         pd.read_parquet(work / "households.parquet"), "buurt")
    rates = area_rates(counts.rename(columns={"children": "n", "outcome_events": "events"}))
    schools = pd.Series({a["bc"]: a["schools"] for a in _truth(demo_run)["demo"]["areas"]})
    free = select_areas(rates, SelectionRule(top=3, min_n=50))
    rule = select_areas(rates, SelectionRule(top=3, min_n=50, min_schools=3), schools=schools)
    assert (schools[rule.chosen["area"]] >= 3).all() and len(rule.chosen) == 3
    dropped = set(free.chosen["area"]) - set(rule.chosen["area"])
    assert dropped and (schools[list(dropped)] < 3).all()
    assert set(rule.ineligible.loc[rule.ineligible["why"] == "few_schools", "area"]) == set(
        schools[schools < 3].index) - set(rule.ineligible.loc[rule.ineligible["why"]
                                                                == "too_few", "area"])
    # the chosen are still the highest expected rates among the eligible
    eligible = rates.table[rates.table["area"].map(schools).ge(3) & (rates.table["n"] >= 50)]
    assert set(rule.chosen["area"]) == set(eligible.nlargest(3, "shrunk")["area"])
    # the demo pilot asks min_schools 3: its bundle marks a higher buurt with too few schools
    shown = _published(demo_run, "areas_children")
    assert (schools[shown.index[shown["status"] == "chosen"]] >= 3).all()
    assert (schools[shown.index[shown["status"] == "few_schools"]] < 3).all()
    assert (shown["status"] == "few_schools").any()


def test_what_did_not_join_is_in_the_attrition(demo_run):
    steps = pd.read_parquet(demo_run / "results" / "work" / "attrition.parquet").set_index(
        "step")
    located = pd.read_csv(demo_run / "cbs" / _truth(demo_run)["schools"], sep=";", dtype=str)
    planted = sum(a["schools"] for a in _truth(demo_run)["demo"]["areas"])
    place = steps.loc["scholenbestand: vestigingen met een plaats"]
    assert (place["rows_in"], place["rows_out"]) == (len(located), len(located))
    ours = steps.loc["scholenbestand: vestigingen in de gemeente"]
    assert (ours["rows_in"], ours["rows_out"]) == (len(located), planted)
    pupils = steps.loc["leerlingen (INSCHRWPOTAB 2019): school in het scholenbestand"]
    registered = pd.read_parquet(demo_run / "store" / "INSCHRWPOTAB" / "2019.parquet")
    assert pupils["rows_in"] == pupils["rows_out"] == registered["RINPERSOON"].nunique()
