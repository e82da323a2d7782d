"""A rare predictor value no longer withholds the whole risk model: with ``min_cases`` (the run
passes the disclosure threshold) a category's rare level is merged into its reference and a rare
binary predictor is left out, each with a note; the fit equals statsmodels on the same data
recoded by hand, and the gate's check of cases per category x outcome then passes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from smartstart import analyses as A
from smartstart.disclosure import check_regression

MIN = 10


def _children(seed: int = 3, n: int = 3000) -> pd.DataFrame:
    """Children with a common binary factor, a rare binary factor (a handful with the
    outcome), and a household type whose level 5 is rare among the children with the
    outcome."""
    rng = np.random.default_rng(seed)
    common = rng.random(n) < 0.3
    rare = np.zeros(n, bool)
    kind = rng.choice(["1", "2", "3"], size=n, p=[0.5, 0.3, 0.2]).astype(object)
    lp = -3.0 + 0.9 * common + 0.5 * (kind == "2")
    y = rng.random(n) < 1 / (1 + np.exp(-lp))
    events, quiet = np.flatnonzero(y), np.flatnonzero(~y)
    rare[events[:4]] = True  # 4 children with the outcome have it: below 10
    rare[quiet[:60]] = True
    kind[events[4:7]] = "5"  # 3 children with the outcome in level 5, 50 without
    kind[quiet[60:110]] = "5"
    return pd.DataFrame({"outcome": y, "low_income": common, "debt_restructuring": rare,
                         "household_type": pd.Categorical(kind, categories=list("123456"))})


def _spec(min_cases: int) -> A.RiskSpec:
    return A.RiskSpec(predictors=("low_income", "debt_restructuring", "household_type"),
                      min_cases=min_cases)


def test_rare_level_merged_and_rare_binary_left_out_match_statsmodels():
    table = _children()
    risk = A.risk_model(table, _spec(MIN))
    codes = {(n.predictor, n.code) for n in risk.notes}
    assert ("debt_restructuring", "rare") in codes
    assert ("household_type", "merged:5>1") in codes
    # no empty-level note for the merged level, and the empty declared level 4/6 still noted
    assert ("household_type", "empty_level:5") not in codes
    assert ("household_type", "empty_level:4") in codes
    # independent reference: the same data recoded by hand, dummies, statsmodels Logit
    kind = table["household_type"].astype(str).replace("5", "1")
    X = pd.DataFrame({"const": 1.0, "low_income": table["low_income"].astype(float),
                      "household_type[2]": (kind == "2").astype(float),
                      "household_type[3]": (kind == "3").astype(float)})
    reference = sm.Logit(table["outcome"].astype(float), X).fit(disp=0)
    fitted = risk.coefficients.set_index("term")["coef"]
    for term, value in reference.params.items():
        assert fitted[term] == pytest.approx(value, abs=1e-6), term
    assert "debt_restructuring" not in fitted.index and "household_type[5]" not in fitted.index
    # the gate's cases per category x outcome now passes
    results = {r.rule: r.status for r in check_regression(risk.checks, MIN)}
    assert results["category_cases"] == "pass"


def test_without_min_cases_the_rare_values_stay_and_the_gate_fails():
    risk = A.risk_model(_children(), _spec(0))
    assert not [n for n in risk.notes if n.reason in ("rare", "merged")]
    assert {"debt_restructuring", "household_type[5]"} <= set(risk.coefficients["term"])
    results = {r.rule: r.status for r in check_regression(risk.checks, MIN)}
    assert results["category_cases"] == "fail"


def test_the_notes_name_the_level_and_its_reference_in_words():
    risk = A.risk_model(_children(), _spec(MIN))
    frame = risk.checks.to_frame()
    merged = frame[frame["reason"].str.startswith("merged")]
    assert merged["check"].tolist() == ["level_not_used"]
    note = merged["note_nl"].iloc[0]
    assert "samengenomen met" in note and not any(ch.isdigit() for ch in note.split(":", 1)[1])
    rare = frame[frame["reason"] == "rare"]
    assert rare["check"].tolist() == ["not_used"]
    assert "te weinig" in rare["note_nl"].iloc[0]


def test_a_category_whose_every_level_is_rare_is_left_out():
    table = _children()
    few = table.index[table["household_type"].astype(str) != "1"]
    table.loc[few, "household_type"] = "1"
    table.loc[table.index[table["outcome"]][:2], "household_type"] = "2"
    table.loc[table.index[~table["outcome"]][:30], "household_type"] = "2"
    risk = A.risk_model(table, _spec(MIN))
    codes = {(n.predictor, n.code) for n in risk.notes}
    assert ("household_type", "rare") in codes
    assert not any(t.startswith("household_type") for t in risk.coefficients["term"])
