"""The risk model adapts to the municipality: a predictor that is unknown, constant or aliased
here is left out with a note (checks table, model card, report), the model is fitted on the
rest, and the combinations and the fairness audit use the same predictors. References: a
statsmodels Logit fitted directly on the remaining predictors. World: the demo municipality."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from smartstart.analyses import (
    RISK_FACTORS,
    FairnessSpec,
    RiskSpec,
    fairness_audit,
    model_card,
    risk_model,
)
from smartstart.analyses._common import factor_info, lower_first
from smartstart.analyses._risk import model_predictions
from smartstart.disclosure import Settings
from smartstart.errors import LackOfData
from smartstart.outputs._risk import publish_model

PLANTED = ("young_mother", "single_parent", "parent_no_work", "rent_allowance")
CONSTANT_NL = "niet gebruikt: in deze gemeente hebben alle kinderen dezelfde waarde"
CONSTANT_EN = "not used: every child has the same value here"


@pytest.fixture(scope="module")
def children(demo_world):
    tables, _ = demo_world
    return tables.children


@pytest.fixture(scope="module")
def constant(children):
    """rent_allowance planted constant (no child with a rent allowance)."""
    planted = children.assign(rent_allowance=False)
    return planted, risk_model(planted)


def reference_fit(table: pd.DataFrame, predictors: tuple[str, ...]):
    """statsmodels Logit on the complete cases of ``predictors``, constant first."""
    data = table[[*predictors, "outcome"]].dropna()
    X = sm.add_constant(data[list(predictors)].astype(float), prepend=True)
    return sm.Logit(data["outcome"].astype(float), X).fit(disp=0)


def assert_matches(result, reference) -> float:
    got = result.to_frame().set_index("term")
    names = list(reference.params.index)
    assert list(got.index) == names
    diff = np.abs(got.loc[names, "coef"].to_numpy() - reference.params.to_numpy()).max()
    np.testing.assert_allclose(got.loc[names, "coef"], reference.params, rtol=0, atol=1e-8)
    np.testing.assert_allclose(got.loc[names, "se"], reference.bse, rtol=0, atol=1e-8)
    return float(diff)


def label(name: str, lang: str) -> str:
    return lower_first(getattr(factor_info(name, "child"), lang))


def test_a_constant_predictor_is_left_out_and_the_rest_fitted(constant):
    planted, result = constant
    rest = tuple(p for p in RISK_FACTORS if p != "rent_allowance")
    assert [(n.predictor, n.code) for n in result.notes] == [("rent_allowance", "constant")]
    assert result.used_spec.predictors == rest and result.spec.predictors == RISK_FACTORS
    assert result.ok and result.performance is not None
    assert_matches(result, reference_fit(planted, rest))
    assert result.checks.parameters == len(rest) + 1


def test_the_note_is_in_the_checks_table_and_both_model_cards(constant):
    _, result = constant
    checks = result.checks.to_frame()
    row = checks[checks["check"] == "not_used"]
    assert row[["value", "reason"]].values.tolist() == [["rent_allowance", "constant"]]
    assert row["note_nl"].iloc[0] == f"{label('rent_allowance', 'nl')}: {CONSTANT_NL}"
    assert row["note_en"].iloc[0] == f"{label('rent_allowance', 'en')}: {CONSTANT_EN}"
    card = model_card(result)
    assert f"{label('rent_allowance', 'nl')}: {CONSTANT_NL}" in card.text("data", "nl")
    assert f"{label('rent_allowance', 'en')}: {CONSTANT_EN}" in card.text("data", "en")
    factors_nl = card.text("data", "nl").split("Factoren: ")[1].split(".")[0]
    assert label("rent_allowance", "nl") not in factors_nl


def test_a_model_without_a_constant_predictor_passes_the_gate_with_its_note(constant):
    _, result = constant
    published = publish_model(result, Settings())
    assert all(p.record.status == "pass" for p in published)
    checks = next(p.frame for p in published if p.record.name == "risk_checks")
    assert "rent_allowance" in set(checks.loc[checks["check"] == "not_used", "value"])
    # zeros disclosive: a note states an empty cell, so the model is withheld for that rule
    strict = publish_model(result, Settings(zeros_disclosive=True))
    for p in strict:
        assert p.record.status == "fail"
        assert "zeros" in {c.rule for c in p.record.checks if c.status == "fail"}


def test_an_aliased_duplicate_is_left_out(children):
    planted = children.assign(mother_copy=children["young_mother"])
    result = risk_model(planted, RiskSpec(predictors=(*RISK_FACTORS, "mother_copy")))
    assert [(n.predictor, n.code) for n in result.notes] == [
        ("mother_copy", "aliased_with:young_mother")]
    assert result.ok
    assert_matches(result, reference_fit(planted, RISK_FACTORS))
    words = result.checks.to_frame().query("check == 'not_used'")["note_en"].iloc[0]
    assert "the same information as" in words and label("young_mother", "en") in words


def test_a_category_that_adds_up_to_a_listed_predictor_goes_whole():
    """Dummies of a later-listed category whose levels add up to an earlier binary predictor:
    the category is left out (all levels at once), as aliased with that predictor."""
    rng = np.random.default_rng(5)
    n = 3000
    kind = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1])
    x = rng.random(n) < 0.5
    table = pd.DataFrame({"x": x, "bc": np.isin(kind, ["b", "c"]), "kind": kind})
    logit = -1.5 + 0.8 * table["x"] + 0.6 * table["bc"]
    table["outcome"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    result = risk_model(table, RiskSpec(predictors=("x", "bc", "kind")))
    assert [(n.predictor, n.code) for n in result.notes] == [("kind", "aliased_with:bc")]
    assert_matches(result, reference_fit(table, ("x", "bc")))
    # listed the other way round, the binary predictor goes
    other = risk_model(table, RiskSpec(predictors=("x", "kind", "bc")))
    assert [(n.predictor, n.code) for n in other.notes] == [("bc", "aliased_with:kind")]
    assert set(other.to_frame()["factor"]) == {"const", "x", "kind"}


def test_an_ordinary_population_loses_nothing(children):
    result = risk_model(children)
    assert result.notes == () and result.used_spec == result.spec
    assert (result.checks.to_frame()["check"] != "not_used").all()
    assert_matches(result, reference_fit(children, RISK_FACTORS))


def test_nearly_constant_is_not_constant_the_gate_decides(children):
    """Three children with a factor: it stays in the model and the regression checks
    (cases per category x outcome) withhold the model; nothing is dropped by count."""
    rare = children.assign(rare=np.arange(len(children)) < 3)
    result = risk_model(rare, RiskSpec(predictors=(*RISK_FACTORS, "rare")))
    assert result.notes == () and "rare" in set(result.to_frame()["term"])
    failed = {c.rule for p in publish_model(result, Settings()) for c in p.record.checks
              if c.status == "fail"}
    assert "category_cases" in failed


def test_unknown_predictor_and_interaction_without_a_part(children):
    planted = children.assign(young_mother=pd.array([pd.NA] * len(children), dtype="boolean"),
                              parent_low_education=False)
    result = risk_model(planted, RiskSpec(interactions=(PLANTED,)))
    assert [(n.predictor, n.code) for n in result.notes] == [
        ("young_mother", "missing"), ("parent_low_education", "constant"),
        (" & ".join(PLANTED), "part_not_used:young_mother")]
    rest = ("single_parent", "parent_no_work", "rent_allowance", "prior_youth_care")
    assert result.used_spec.interactions == ()
    assert result.n_dropped == 0  # an unknown predictor does not cost the other rows
    assert_matches(result, reference_fit(planted, rest))


def test_an_empty_level_is_a_note_not_an_error(children):
    wijk = children["wijk"].astype("string")
    levels = sorted(wijk.dropna().unique())
    planted = children.assign(wijk=pd.Categorical(wijk, categories=[*levels, "9999"]))
    spec = RiskSpec(predictors=(*RISK_FACTORS, "wijk"), references=(("wijk", "9999"),))
    result = risk_model(planted, spec)
    assert [(n.predictor, n.code, n.dropped) for n in result.notes] == [
        ("wijk", "empty_level:9999", False)]
    assert result.references["wijk"] == wijk.value_counts().idxmax()
    assert result.used_spec.predictors == spec.predictors
    assert (result.checks.to_frame()["check"] == "level_not_used").sum() == 1


def test_lack_of_data_is_named(children):
    every = children.assign(**{p: False for p in RISK_FACTORS})
    with pytest.raises(LackOfData) as lack:
        risk_model(every)
    assert lack.value.reason == "no_variation"
    with pytest.raises(LackOfData) as lack:
        risk_model(children.assign(outcome=False))
    assert lack.value.reason == "too_few_events"
    with pytest.raises(LackOfData) as lack:
        risk_model(children.head(4))
    assert lack.value.reason in ("too_few_events", "too_few_children", "no_variation")


def test_a_bug_is_not_lack_of_data(children):
    with pytest.raises(KeyError):
        risk_model(children.drop(columns="young_mother"))


def test_fairness_and_predictions_use_the_same_predictors(constant):
    planted, result = constant
    full, kept = model_predictions(planted, result.spec)
    used, kept_used = model_predictions(planted, result.used_spec)
    np.testing.assert_array_equal(full, used)
    np.testing.assert_array_equal(kept, kept_used)
    audit = fairness_audit(planted, FairnessSpec(risk=result.used_spec))
    assert "rent_allowance" not in audit.proxies["features"].iloc[0]


def test_end_to_end_the_model_is_in_the_bundle_with_a_constant_predictor(constant, demo_world,
                                                                           tmp_path):
    """publish -> bundle -> report: the risk outputs are published, the note travels."""
    from smartstart.bundle import check_bundle, read_bundle
    from smartstart.outputs import publish
    from smartstart.outputs._work import Work
    from smartstart.pilot import Paths, Pilot, Study
    from smartstart.pipeline import write_bundle
    from smartstart.report import _risk as report_risk
    from smartstart.report._source import Source

    planted, _ = constant
    tables, _ = demo_world
    n = len(tables.households)
    attrition = pd.DataFrame({"step": ["households"], "rows_in": [n], "rows_out": [n],
                              "reason": ["-"]})
    study = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1), analyses=("risk",))
    out = publish(study, Work(tables.households, planted, attrition, None, None))
    assert {"risk_coefficients", "risk_checks", "risk_performance", "risk_calibration",
            "fairness_metrics"} <= out.names()
    assert "rent_allowance" not in set(
        next(p.frame for p in out.tables if p.record.name == "risk_coefficients")["factor"])
    combinations = next(p.frame for p in out.tables if p.record.name == "combinations")
    assert len(combinations) and not combinations["factors"].str.contains("rent_allowance").any()
    assert CONSTANT_NL in out.texts["model_card_nl"][0]
    assert CONSTANT_EN in out.texts["model_card_en"][0]
    pilot = Pilot(study=study, paths=Paths(store=tmp_path / "store", output=tmp_path))
    target = write_bundle(pilot, out, tmp_path / "bundle")
    assert check_bundle(target)[0] == []
    bundle = read_bundle(target)
    assert {"risk_coefficients", "risk_checks"} <= {o["name"] for o in bundle.outputs}
    for lang, words in (("nl", CONSTANT_NL), ("en", CONSTANT_EN)):
        part = report_risk.odds_ratios(Source(bundle, lang), lang)
        assert any(words in p for p in part.paragraphs)


def test_too_few_events_for_the_folds_is_lack_of_data_for_the_audit():
    rng = np.random.default_rng(2)
    table = pd.DataFrame({"x": rng.random(200) < 0.5, "z": rng.random(200) < 0.3})
    table["outcome"] = np.arange(200) < 3  # three events, five folds
    result = risk_model(table, RiskSpec(predictors=("x", "z")))
    assert result.performance is None and result.notes == ()
    with pytest.raises(LackOfData) as lack:
        model_predictions(table, RiskSpec(predictors=("x", "z")))
    assert lack.value.reason == "too_few_events"
