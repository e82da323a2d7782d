"""The planted outcome catalog (truth.json ``demo.outcomes``) is in the synthetic tables.

The demo municipality (11,346 households, seed 1) is synthesised as parquet once per module.
Its tables are read directly with pyarrow/pandas (not through the smartstart pipeline): each
outcome's population, predictors and outcome are derived from the tables as the truth's words
define them, and a logistic regression (statsmodels) recovers every planted coefficient within
its interval, 95 % jointly over the model's coefficients (Bonferroni).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import statsmodels.api as sm

from smartstart.synth import SynthSpec, generate

SEEDS = (1,)
GEM = "0784"
P, STOP = "20200101", "20230101"  # the outcome window [P, P + 3 years)
YEAR_BEFORE = ("20190101", "20191231")  # the 365 days before P
OUTCOMES = ("beschermingsmaatregel", "jeugdhulp", "jeugdreclassering", "halt", "verdachte",
            "voortijdig_schoolverlaten", "problematische_schulden", "instroom_bijstand",
            "jeugdhulp_eerste_1000_dagen")
WORK = {11, 12, 13, 14, 15}


def _read(root: Path, pattern: str) -> pd.DataFrame:
    files = sorted(root.glob(pattern))
    assert files, pattern
    return pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)


def _on_p(frame: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    """Rows whose spell covers P, the latest start per person where spells overlap."""
    rows = frame[(frame[start] <= P) & (frame[end] >= P)]
    return rows.sort_values(start).drop_duplicates("RINPERSOON", keep="last")


def _started(frame: pd.DataFrame, column: str, lo: str = P, hi: str = STOP) -> set[str]:
    return set(frame.loc[(frame[column] >= lo) & (frame[column] < hi), "RINPERSOON"])


def _completed_years(birth: pd.Series, when: pd.Series) -> pd.Series:
    before = when.str[4:] < birth.str[4:]
    return when.str[:4].astype(int) - birth.str[:4].astype(int) - before.astype(int)


def derive(root: Path) -> dict[str, pd.DataFrame]:
    """Per outcome: one row per unit of its population with predictors and the outcome."""
    g = "Bevolking/"
    person = _read(root, f"{g}GBAPERSOONTAB/*/GBAPERSOON*TABV2.parquet")
    person["birth"] = (person["GBAGEBOORTEJAAR"] + person["GBAGEBOORTEMAAND"]
                       + person["GBAGEBOORTEDAG"])
    person["age"] = _completed_years(person["birth"], pd.Series(P, index=person.index))
    person = person.set_index("RINPERSOON")
    address = _on_p(_read(root, f"{g}GBAADRESOBJECTBUS/*.parquet"),
                    "GBADATUMAANVANGADRESHOUDING", "GBADATUMEINDEADRESHOUDING")
    area = _read(root, "BouwenWonen/VSLGWBTAB/VSLGWB2020TAB03V1.parquet")
    address = address.merge(area, on=["SOORTOBJECTNUMMER", "RINOBJECTNUMMER"])
    hh = _on_p(_read(root, f"{g}GBAHUISHOUDENSBUS/*.parquet"), "DATUMAANVANGHH", "DATUMEINDEHH")
    hh = hh.assign(TYPHH=hh["TYPHH"].str.strip(), PLHH=hh["PLHH"].str.strip().astype(int),
                   key=hh["HUISHOUDNR"] + hh["DATUMAANVANGHH"]).set_index("RINPERSOON")
    resident = hh.index.intersection(address.loc[address["gem2020"] == GEM, "RINPERSOON"])
    secm_all = _read(root, "SociaalEconomischeStatus/SECMBUS/*.parquet")
    secm = _on_p(secm_all, "AANVSECM", "EINDSECM").set_index("RINPERSOON")["SECM"].astype(int)
    link = _read(root, "InkomenBestedingen/KOPPELPERSOONHUISHOUDEN/*2019V1.parquet")
    inha = _read(root, "InkomenBestedingen/INHATAB/INHA2019TABV1.parquet")
    tenure = link.merge(inha, on="RINPERSOONHKW").set_index("RINPERSOON")["INHEHALGR"]
    edu = _read(root, "Onderwijs/HOOGSTEOPLTAB/2019/*.parquet")
    level = edu.set_index("RINPERSOON")["OPLNIVSOI2021AGG4HBmetNIRWO"].str[0]
    level = pd.to_numeric(level.where(level.isin(["1", "2", "3"])), errors="coerce")
    kids = _read(root, f"{g}KINDOUDERTAB/*.parquet").set_index("RINPERSOON")["RINPERSOONMa"]
    care = _read(root, "VeiligheidRecht/JGDHULPBUS/*.parquet")
    halt = _read(root, "VeiligheidRecht/HALTBUS/*.parquet")

    d = pd.DataFrame(index=hh.index)  # everyone in a household on P
    d["age"] = person["age"].reindex(d.index)
    d["birth"] = person["birth"].reindex(d.index)
    d["male"] = person["GBAGESLACHT"].reindex(d.index) == "1"
    d["key"], d["PLHH"], d["TYPHH"] = hh["key"], hh["PLHH"], hh["TYPHH"]
    d["secm"] = secm.reindex(d.index)
    d["rent_allowance"] = tenure.reindex(d.index) == "3"
    d["level"] = level.reindex(d.index)
    d["resident"] = d.index.isin(resident)
    d["youth_12_23"] = d["age"].between(12, 23)
    d["single_parent"] = d["TYPHH"] == "6"
    d["one_person"] = d["TYPHH"] == "1"
    d["own_no_work"] = ~d["secm"].isin(WORK)
    d["low_education"] = d["level"] == 1
    parent = d["PLHH"].between(2, 8)
    by_hh = d.assign(works=parent & d["secm"].isin(WORK), bij=d["secm"] == 22,
                     plevel=d["level"].where(parent)).groupby("key")
    d["parent_no_work"] = ~d["key"].map(by_hh["works"].any())
    d["household_bijstand"] = d["key"].map(by_hh["bij"].any())
    d["household_low_education"] = d["key"].map(by_hh["plevel"].max()) == 1
    before = care[(care["JGDHGELDIGHEIDBEGINDATUM"] <= YEAR_BEFORE[1])
                  & (care["JGDHGELDIGHEIDEINDDATUM"] >= YEAR_BEFORE[0])]
    d["prior_youth_care"] = d.index.isin(before["RINPERSOON"])
    d["prior_halt"] = d.index.isin(_started(halt, "HALTDATUMVERWIJZING", YEAR_BEFORE[0], P))
    mother = kids.reindex(d.index)
    first = (person.assign(mother=kids.reindex(person.index)).groupby("mother")["birth"].min())
    mother_birth = person["birth"].reindex(mother).set_axis(d.index)
    at_first = _completed_years(mother_birth.fillna("99991231"),
                                first.reindex(mother).set_axis(d.index).fillna("00000101"))
    d["young_mother"] = (mother != "---------") & mother_birth.notna() & (at_first < 22)
    d["mother_known"] = mother.notna() & (mother != "---------")

    starts = {
        "beschermingsmaatregel": ("VeiligheidRecht/JGDBESCHERMBUS/*.parquet",
                                  "JGDBGELDIGHEIDBEGINDATUM"),
        "jeugdhulp": ("VeiligheidRecht/JGDHULPBUS/*.parquet", "JGDHGELDIGHEIDBEGINDATUM"),
        "jeugdreclassering": ("VeiligheidRecht/JGDRECLASSERINGBUS/*.parquet",
                              "JGDRGELDIGHEIDBEGINDATUM"),
        "halt": ("VeiligheidRecht/HALTBUS/*.parquet", "HALTDATUMVERWIJZING"),
        "verdachte": ("VeiligheidRecht/VERDACHTENBUS/*.parquet", "VRDGPLEEGDATUM"),
        "voortijdig_schoolverlaten": ("Onderwijs/VSVTAB/*.parquet", "VSVDATUMUITSCHRIJVING"),
        "wsnp": ("Financien/WSNPPERSBUS/*.parquet", "Wsnpdatumtoelaat"),
    }
    event = {name: _started(_read(root, glob), column) for name, (glob, column) in starts.items()}
    entry = secm_all[secm_all["SECM"] == "22"]
    event["instroom_bijstand"] = _started(entry, "AANVSECM")
    event["jeugdhulp_eerste_1000_dagen"] = event["jeugdhulp"]

    r = d[d["resident"]]
    children = r[(r["PLHH"] == 1) & (r["age"] < 18)]
    populations = {
        "beschermingsmaatregel": children, "jeugdhulp": children,
        "jeugdhulp_eerste_1000_dagen": children[children["birth"].str[:4].eq("2019")
                                                & children["mother_known"]],
        "jeugdreclassering": r[r["age"].between(12, 23)], "halt": r[r["age"].between(12, 17)],
        "verdachte": r[r["age"] >= 12], "voortijdig_schoolverlaten": r[r["age"].between(12, 22)],
        "instroom_bijstand": r[r["age"].between(18, 66) & r["secm"].notna() & (r["secm"] != 22)],
    }
    out = {name: pop.assign(outcome=pop.index.isin(event[name])).rename_axis("unit")
           for name, pop in populations.items()}
    adults = d[d["age"] >= 18]
    debt = adults.assign(case=adults.index.isin(event["wsnp"])).groupby("key")["case"].any()
    households = d[d["key"].isin(r.loc[r["age"] >= 18, "key"])].groupby("key")
    house = households[["household_bijstand", "single_parent", "one_person"]].first()
    reference = d[hh["REFPERSOONHH"].reindex(d.index) == "1"].groupby("key")["rent_allowance"]
    house["rent_allowance"] = reference.first().reindex(house.index, fill_value=False)
    house["outcome"] = debt.reindex(house.index, fill_value=False)
    out["problematische_schulden"] = house.rename_axis("unit")
    return out


@pytest.fixture(scope="module")
def worlds(tmp_path_factory) -> dict[int, tuple[dict, dict[str, pd.DataFrame], Path]]:
    out = {}
    for seed in SEEDS:
        root = tmp_path_factory.mktemp(f"outcomes-{seed}") / "cbs"
        generate(root, SynthSpec(seed=seed, fmt="parquet"))
        truth = json.loads((root / "truth.json").read_text("utf-8"))["demo"]["outcomes"]
        out[seed] = (truth, derive(root), root)
    return out


def _fit(frame: pd.DataFrame, coefficients: dict[str, float]) -> pd.DataFrame:
    names = [k for k in coefficients if k != "intercept"]
    x = sm.add_constant(frame[names].astype(float), has_constant="add")
    fit = sm.Logit(frame["outcome"].astype(float), x).fit(disp=0)
    # all of a model's coefficients at once: 95 % jointly (Bonferroni over them)
    ci = fit.conf_int(alpha=0.05 / len(fit.params)).set_axis(["lo", "hi"], axis=1).rename(
        index={"const": "intercept"})
    ci["estimate"] = fit.params.rename(index={"const": "intercept"})
    ci["planted"] = pd.Series(coefficients)
    return ci


def test_truth_describes_every_outcome_model(worlds):
    truth = worlds[SEEDS[0]][0]
    assert tuple(truth) == OUTCOMES
    for name, model in truth.items():
        assert {"unit", "population", "definition", "coefficients", "predictors"} <= set(model)
        slopes = {k: v for k, v in model["coefficients"].items() if k != "intercept"}
        assert set(model["predictors"]) == set(slopes), name
        assert all(0.5 <= v <= 1.2 for v in slopes.values()), name
        assert model["events"] >= 150 and model["clipped"] <= 0.01 * model["units"], name
    assert truth["problematische_schulden"]["unit"] == "household"


def test_tables_show_the_planted_populations_predictors_and_outcomes(worlds):
    """What the tables show agrees with the row-level truth (dirt moves a few units)."""
    _, derived, root = worlds[SEEDS[0]]
    for name in OUTCOMES:
        planted = pq.read_table(root / "truth" / f"outcome_{name}.parquet").to_pandas()
        key = (planted["HUISHOUDNR"] + planted["DATUMAANVANGHH"] if "HUISHOUDNR" in planted
               else planted["RINPERSOON"])
        planted = planted.set_index(key)
        seen = derived[name]
        common = planted.index.intersection(seen.index)
        assert len(common) >= 0.98 * max(len(planted), len(seen)), name
        for column in [c for c in planted.columns if c in seen.columns]:
            same = (planted.loc[common, column].astype(bool)
                    == seen.loc[common, column].astype(bool)).mean()
            assert same >= 0.98, (name, column, same)


@pytest.mark.parametrize("name", OUTCOMES)
def test_planted_coefficients_are_recovered(worlds, name):
    """Every coefficient within its interval (95 % jointly over the model's coefficients),
    and clearly nonzero."""
    fits = {seed: _fit(derived[name], truth[name]["coefficients"])
            for seed, (truth, derived, _) in worlds.items()}
    for coef in fits[SEEDS[0]].index:
        inside = [f.loc[coef, "lo"] <= f.loc[coef, "planted"] <= f.loc[coef, "hi"]
                  for f in fits.values()]
        assert any(inside), (name, coef, {s: f.loc[coef].round(3).to_dict()
                                          for s, f in fits.items()})
    slopes = fits[SEEDS[0]].drop(index="intercept")
    if name != "jeugdhulp_eerste_1000_dagen":  # ~1,200 newborns: wide intervals
        assert (slopes["lo"] > 0).all(), (name, slopes.round(3))


def test_newborns_with_their_mother(worlds):
    _, derived, _ = worlds[SEEDS[0]]
    newborns = derived["jeugdhulp_eerste_1000_dagen"]
    assert len(newborns) >= 500
    assert newborns["young_mother"].sum() >= 30


def test_new_tables_are_assumed_and_optional():
    from smartstart.linking._db import CORE
    from smartstart.sources._catalog import load_catalog

    catalog = load_catalog()
    for name in ("JGDRECLASSERINGBUS", "VERDACHTENBUS"):
        table = catalog.table(name)
        assert table.assumed and table.kind == "BUS" and name not in CORE
        assert table.match(Path(table.file_path(2022, 1)).stem) == (2022, 1)
    assert np.isin(["JGDRGELDIGHEIDBEGINDATUM", "VRDGPLEEGDATUM"],
                   [*catalog.table("JGDRECLASSERINGBUS").columns,
                    *catalog.table("VERDACHTENBUS").columns]).all()
