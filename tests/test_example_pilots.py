"""The example pilots (``smartstart/pilots``) against the planted truth of the synthetic world.

Each pilot's population, outcome and predictors are built by the pipeline (linking and the
factor library) on the demo world; the planted row-level truth (``truth/outcome_<name>.parquet``,
written by synth) is the independent reference:

- counts: the pilot's outcome agrees with the planted outcome for the persons in both;
- effects: a statsmodels logit of the pipeline's outcome on the pipeline's predictors recovers
  each planted log-odds within its interval, 95 % jointly over a pilot's slopes (Bonferroni;
  the planted predictors the library expresses; sex is a covariate here, not one of the
  pilot's predictors).

The pilots run on the demo municipality (0784) whatever municipality they name: the world is
the same generator (``smartstart demo --pilot NAME`` synthesises the named municipality).
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import yaml

from smartstart.demo import example_pilots
from smartstart.features import build_features
from smartstart.linking import link
from smartstart.pilot import Pilot

#: pilot -> (truth file, {planted predictor: the pipeline's column}), the rows of the truth
#: file that are in the pilot's population (None: all)
CASES = {
    "heusden_uithuisplaatsing": ("children", {
        "young_mother": "young_mother", "single_parent": "single_parent",
        "parent_no_work": "parent_no_work", "rent_allowance": "rent_allowance",
        "parent_low_education": "parent_low_education", "prior_youth_care": "prior_youth_care"}),
    "tilburg_jongeren": ("outcome_verdachte", {
        "male": "male", "household_bijstand": "household_bijstand",
        "rent_allowance": "rent_allowance"}),
    "eerste_1000_dagen": ("outcome_jeugdhulp_eerste_1000_dagen", {
        "young_mother": "young_mother", "single_parent": "single_parent",
        "parent_no_work": "parent_no_work", "rent_allowance": "rent_allowance"}),
    "school_voortijdig_schoolverlaten": ("outcome_voortijdig_schoolverlaten", {
        "male": "male", "household_bijstand": "household_bijstand",
        "single_parent": "single_parent"}),
}


def _pilot(name: str, demo_run) -> Pilot:
    raw = yaml.safe_load(resources.files("smartstart.pilots").joinpath(f"{name}.yaml")
                         .read_text("utf-8"))
    for key in ("gemeenten", "regio"):
        raw["study"].pop(key, None)
    raw["study"]["gemeente"] = "0784"
    partner = raw["paths"].get("partner_files", {})
    raw["paths"] = {"store": str(demo_run / "store"), "output": str(demo_run / name),
                    "partner_files": {k: str(demo_run / v) for k, v in partner.items()},
                    # the user's files of the demo's delivery (min_schools needs the schools)
                    **{k: str(demo_run / raw["paths"][k]) for k in ("boundaries", "schools")
                       if raw["paths"].get(k)}}
    return Pilot.model_validate(raw)


def test_every_example_pilot_is_listed_and_valid(demo_run):
    names = example_pilots()
    assert {"voedselbank", "heusden_uithuisplaatsing", "tilburg_jongeren", "eerste_1000_dagen",
            "school_voortijdig_schoolverlaten", "huiselijk_geweld_hart_van_brabant"} <= set(names)
    for name in names:
        assert _pilot(name, demo_run).study.name


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_example_pilot_recovers_its_planted_truth(name, demo_run):
    pilot = _pilot(name, demo_run)
    study = pilot.study
    table = build_features(link(demo_run / "store", study).db, study).children
    truth_file, predictors = CASES[name]
    truth = pd.read_parquet(demo_run / "cbs" / "truth" / f"{truth_file}.parquet")
    both = table.merge(truth, on="RINPERSOON", suffixes=("", "_planted"))
    # the pilot's population and the planted one overlap almost wholly where they should
    smaller = min(len(table), len(truth))
    assert len(both) >= 0.95 * smaller, (len(both), len(table), len(truth))
    outcome = both["outcome"].astype(bool)
    planted = both["outcome_planted"].astype(bool)
    assert (outcome == planted).mean() >= 0.995, (outcome != planted).sum()
    assert outcome.sum() >= 40
    # the pipeline's predictors, with the planted model's (male: sex 1, a covariate here)
    X = pd.DataFrame({p: (both["sex"] == "1") if column == "male"
                      else both[column].fillna(False).astype(bool)
                      for p, column in predictors.items()}).astype(float)
    if name == "heusden_uithuisplaatsing":  # the seed's planted high-risk combination
        X["combination"] = X[["young_mother", "single_parent", "parent_no_work",
                              "rent_allowance"]].all(axis=1).astype(float)
    for p in predictors:
        if p in both.columns and p != "male":
            agree = (X[p] == both[f"{p}_planted" if f"{p}_planted" in both else p]).mean()
            assert agree >= 0.98, (p, agree)
    fit = sm.Logit(outcome.astype(float), sm.add_constant(X)).fit(disp=0)
    # every planted slope of the pilot at once: 95 % jointly (Bonferroni over the slopes)
    low, high = fit.conf_int(alpha=0.05 / X.shape[1]).T.to_numpy()
    planted_model = _planted(json.loads((demo_run / "cbs" / "truth.json").read_text("utf-8")),
                             name)
    for i, p in enumerate(fit.params.index):
        if p == "const":
            continue
        assert low[i] <= planted_model[p] <= high[i], (p, planted_model[p], low[i], high[i])
    assert np.all(fit.params.drop(["const", "combination"], errors="ignore") > 0)


def _planted(truth: dict, name: str) -> dict[str, float]:
    demo = truth["demo"]
    if name == "heusden_uithuisplaatsing":
        return demo["risk_model"]["coefficients"]
    key = CASES[name][0].removeprefix("outcome_")
    return demo["outcomes"][key]["coefficients"]


def test_a_household_population_recovers_the_planted_household_outcome(demo_run):
    """Population huishoudens (one row per household, its reference person) with the
    household outcome problematic debts: the planted household model is recovered."""
    pilot = _pilot("heusden_uithuisplaatsing", demo_run)
    study = pilot.study.model_copy(update={
        "population": "huishoudens", "target_group": None,
        "outcome": pilot.study.outcome.model_copy(update={"name": "problematische_schulden"})})
    table = build_features(link(demo_run / "store", study).db, study).children
    assert table["household_id"].is_unique
    truth = pd.read_parquet(demo_run / "cbs" / "truth" /
                            "outcome_problematische_schulden.parquet")
    truth["household_id"] = truth["HUISHOUDNR"] + "-" + truth["DATUMAANVANGHH"]
    both = table.merge(truth, on="household_id", suffixes=("", "_planted"))
    assert len(both) >= 0.95 * len(truth)
    assert (both["outcome"] == both["outcome_planted"].astype(bool)).mean() >= 0.995
    X = pd.DataFrame({"household_bijstand": both["household_bijstand"],
                      "rent_allowance": both["rent_allowance"],
                      "single_parent": both["single_parent"].fillna(False),
                      "one_person": both["household_type"] == "1"}).astype(float)
    fit = sm.Logit(both["outcome"].astype(float), sm.add_constant(X)).fit(disp=0)
    low, high = fit.conf_int(alpha=0.05 / X.shape[1]).T.to_numpy()
    planted = json.loads((demo_run / "cbs" / "truth.json").read_text("utf-8"))
    model = planted["demo"]["outcomes"]["problematische_schulden"]["coefficients"]
    for i, p in enumerate(fit.params.index[1:], start=1):
        assert low[i] <= model[p] <= high[i], (p, model[p], low[i], high[i])
