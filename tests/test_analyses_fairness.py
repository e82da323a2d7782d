"""Fairness audit: metrics by group against a hand computation, disparity flags, proxy check,
the three-step bias analysis, the child's age band (planted groups against sklearn), no
places, and the audit of the risk model on synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_tables
from sklearn.metrics import roc_auc_score

from smartstart.analyses import FairnessSpec, RiskSpec, fairness_audit, risk_model
from smartstart.analyses._fairness import AGE_BANDS, age_band, audit_columns
from smartstart.analyses._risk import model_predictions

TOL = 1e-12


def hand_table() -> pd.DataFrame:
    return pd.DataFrame({
        "grp": ["A"] * 6 + ["B"] * 6,
        "outcome": [1, 1, 0, 0, 0, 0] + [1, 0, 0, 0, 1, 0],
        "score": [0.9, 0.4, 0.6, 0.2, 0.1, 0.3] + [0.7, 0.8, 0.5, 0.2, 0.3, 0.1],
    }).astype({"outcome": bool})


HAND_SPEC = FairnessSpec(groups=("grp",), score="score", threshold=0.5, min_events=1,
                         proxy_attributes=())


def test_group_metrics_by_hand():
    result = fairness_audit(hand_table(), HAND_SPEC)
    got = result.to_frame().set_index("group")
    # A: flagged 0.9 (event), 0.6; missed 0.4. B: flagged 0.7 (event), 0.8, 0.5; missed 0.3
    expected = {
        "A": {"tp": 1, "fp": 1, "fn": 1, "tn": 3, "tpr": 1 / 2, "fpr": 1 / 4,
              "selection_rate": 2 / 6, "ppv": 1 / 2, "auc": 7 / 8, "calibration": 2 / 2.5},
        "B": {"tp": 1, "fp": 2, "fn": 1, "tn": 2, "tpr": 1 / 2, "fpr": 2 / 4,
              "selection_rate": 3 / 6, "ppv": 1 / 3, "auc": 5 / 8, "calibration": 2 / 2.6},
    }
    for group, values in expected.items():
        for metric, value in values.items():
            assert got.loc[group, metric] == pytest.approx(value, abs=TOL), (group, metric)
        assert got.loc[group, "n"] == 6 and got.loc[group, "events"] == 2
    table = hand_table()
    assert result.overall["auc"] == pytest.approx(roc_auc_score(table["outcome"],
                                                                table["score"]), abs=TOL)
    assert result.overall["tpr"] == pytest.approx(2 / 4, abs=TOL)
    assert result.overall["fpr"] == pytest.approx(3 / 8, abs=TOL)


def test_disparities_against_the_reference_group():
    result = fairness_audit(hand_table(), HAND_SPEC)
    d = result.disparities.set_index("metric")
    assert (d["reference"] == "A").all() and (d["group"] == "B").all()  # equal n: first name
    ratios = {"selection_rate": 1.5, "tpr": 1.0, "fpr": 2.0, "ppv": 2 / 3, "auc": 5 / 7,
              "calibration": (2 / 2.6) / (2 / 2.5)}
    for metric, ratio in ratios.items():
        assert d.loc[metric, "ratio"] == pytest.approx(ratio, abs=TOL)
        assert d.loc[metric, "outside"] == (not 0.8 <= ratio <= 1.25)
    assert sorted(result.bias.detected["metric"]) == ["auc", "fpr", "ppv", "selection_rate"]
    strict = fairness_audit(hand_table(), FairnessSpec(groups=("grp",), score="score",
                                                       threshold=0.5, proxy_attributes=()))
    assert strict.bias.detected.empty  # 2 events per group: not reliable at min_events=10
    gaps = result.largest_gaps(reliable_only=False)
    assert gaps.iloc[0]["metric"] == "fpr" and gaps.iloc[0]["ratio"] == pytest.approx(2.0)
    other = fairness_audit(hand_table(), FairnessSpec(
        groups=("grp",), score="score", threshold=0.5, references=(("grp", "B"),),
        proxy_attributes=()))
    assert other.disparities.set_index("metric").loc["fpr", "ratio"] == pytest.approx(0.5)


def test_threshold_from_flag_share():
    table = hand_table()
    result = fairness_audit(table, FairnessSpec(groups=("grp",), score="score", flag_share=0.25,
                                                proxy_attributes=()))
    assert result.threshold == pytest.approx(np.quantile(table["score"], 0.75), abs=TOL)
    assert result.to_frame()["flagged"].sum() == int((table["score"] >= result.threshold).sum())


def test_bias_analysis_is_judged_by_people():
    bias = fairness_audit(hand_table(), HAND_SPEC).bias
    assert bias.justified is None and bias.acceptable is None and bias.judged_by is None
    judged = bias.judge(justified=True, acceptable=False, judged_by="projectteam",
                        justification_nl="...", acceptance_nl="...")
    assert (judged.justified, judged.acceptable, judged.judged_by) == (True, False,
                                                                        "projectteam")
    assert bias.justified is None  # the original is unchanged
    pd.testing.assert_frame_equal(judged.detected, bias.detected)


def test_proxy_check_flags_an_attribute_the_predictors_reveal_and_never_looks_at_places():
    """A predictor that gives migration background away is flagged; a wijk that gives it away
    just as well is not a feature of the check (the model does not use it, and places belong
    to the areas analysis)."""
    rng = np.random.default_rng(5)
    n = 2000
    wijk = rng.choice(["01", "02", "03", "04"], n)
    a = rng.random(n) < 0.3
    table = pd.DataFrame({
        "wijk": wijk, "a": a, "b": rng.random(n) < 0.5,
        "migration_background": np.where(a, rng.random(n) < 0.9, rng.random(n) < 0.05),
        "sex": np.where(wijk == "01", "2", rng.choice(["1", "2"], n)),
        "outcome": rng.random(n) < 0.1, "score": rng.random(n)})
    before = table.copy(deep=True)
    spec = FairnessSpec(risk=RiskSpec(predictors=("a", "b")), score="score")
    proxies = fairness_audit(table, spec).proxies.set_index("attribute")
    pd.testing.assert_frame_equal(table, before)
    assert proxies.loc["migration_background", "auc"] > 0.85
    assert proxies.loc["migration_background", "flagged"]
    # sex follows the wijk (all girls in 01), not the predictors: not seen, not flagged
    assert abs(proxies.loc["sex", "auc"] - 0.5) < 0.05 and not proxies.loc["sex", "flagged"]
    assert proxies.loc["sex", "positives"] == int((table["sex"] == "2").sum())
    assert set(proxies["features"]) == {"a, b"}


@pytest.mark.parametrize("field", ["groups", "proxy_extra", "proxy_attributes"])
@pytest.mark.parametrize("place", ["wijk", "buurt"])
def test_places_are_no_audit_group_and_no_proxy_feature(field, place):
    with pytest.raises(ValueError, match="areas analysis"):
        FairnessSpec(**{field: ("sex", place)})
    assert not {"wijk", "buurt"} & {*FairnessSpec().groups, *FairnessSpec().proxy_extra}


# --- the child's age band -----------------------------------------------------------------------

def test_age_band_of_each_age():
    ages = pd.Series([0, 3, 3.9, 4, 11, 11.5, 12, 17, 17.99, 18, -1, None], dtype="Float64")
    got = age_band(ages)
    assert got.tolist()[:9] == ["0-3", "0-3", "0-3", "4-11", "4-11", "4-11", "12-17",
                                "12-17", "12-17"]
    assert got.iloc[9:].isna().all()  # 18, -1 and a missing age: no band (not a child)
    assert [(c, nl, en) for c, _, _, nl, en in AGE_BANDS] == [
        ("0-3", "0 tot 4 jaar", "aged 0-3"), ("4-11", "4 tot 12 jaar", "aged 4-11"),
        ("12-17", "12 tot 18 jaar", "aged 12-17")]
    table = pd.DataFrame({"age": [1, 5]})
    assert "age_band" not in table and audit_columns(table)["age_band"].tolist() == ["0-3",
                                                                                      "4-11"]
    assert audit_columns(table, ("sex",)) is table  # not asked for: the table as it is


def planted_ages(seed: int = 11, n: int = 3000) -> pd.DataFrame:
    """Children 0-17 with a score that ranks the outcome well among the young (0-3), not at
    all among the oldest (12-17), and in between for 4-11."""
    rng = np.random.default_rng(seed)
    age = rng.integers(0, 18, n)
    outcome = rng.random(n) < 0.15
    signal = np.select([age <= 3, age <= 11], [2.0, 0.8], 0.0)
    score = 1 / (1 + np.exp(-(signal * outcome + rng.normal(0, 1, n) - 2)))
    return pd.DataFrame({"age": age, "outcome": outcome, "score": score})


def test_age_band_metrics_against_sklearn_on_planted_groups():
    table = planted_ages()
    before = table.copy(deep=True)
    spec = FairnessSpec(groups=("age_band",), score="score", threshold=0.3, proxy_attributes=())
    result = fairness_audit(table, spec)
    pd.testing.assert_frame_equal(table, before)  # the band is added to a copy
    got = result.to_frame().set_index("group")
    assert list(got.index) == ["0-3", "4-11", "12-17"]  # young to old, not by code
    assert list(got["label_nl"]) == ["0 tot 4 jaar", "4 tot 12 jaar", "12 tot 18 jaar"]
    assert list(got["label_en"]) == ["aged 0-3", "aged 4-11", "aged 12-17"]
    # independently: bands by np.digitize, AUC by sklearn, rates by counting
    band = np.array(["0-3", "4-11", "12-17"])[np.digitize(table["age"], [4, 12])]
    y, score = table["outcome"].to_numpy(), table["score"].to_numpy()
    for level in ("0-3", "4-11", "12-17"):
        m = band == level
        flagged = score[m] >= 0.3
        row = got.loc[level]
        assert (row["n"], row["events"]) == (m.sum(), y[m].sum())
        assert (row["tp"], row["fp"]) == ((flagged & y[m]).sum(), (flagged & ~y[m]).sum())
        assert row["auc"] == pytest.approx(roc_auc_score(y[m], score[m]), abs=TOL)
        assert row["tpr"] == pytest.approx((flagged & y[m]).sum() / y[m].sum(), abs=TOL)
        assert row["calibration"] == pytest.approx(y[m].sum() / score[m].sum(), abs=TOL)
    # the plant: the score works for the youngest, not for the oldest
    assert got.loc["0-3", "auc"] > 0.8 and abs(got.loc["12-17", "auc"] - 0.5) < 0.06
    d = result.disparities.set_index(["group", "metric"])
    assert (d["reference"] == "4-11").all()  # the largest band (8 ages of 18)
    assert d.loc[("12-17", "auc"), "ratio"] == pytest.approx(
        got.loc["12-17", "auc"] / got.loc["4-11", "auc"], abs=TOL)
    assert d.loc[("12-17", "tpr"), "outside"] and d.loc[("0-3", "tpr"), "outside"]
    assert {"12-17", "0-3"} <= set(result.bias.detected["group"])


def test_age_band_with_missing_ages_is_a_group_of_its_own():
    table = planted_ages(seed=3, n=600).astype({"age": "Float64"})
    table.loc[:9, "age"] = pd.NA
    result = fairness_audit(table, FairnessSpec(groups=("age_band",), score="score",
                                                threshold=0.3, proxy_attributes=()))
    got = result.to_frame().set_index("group")
    assert list(got.index) == ["0-3", "4-11", "12-17", "(onbekend)"]
    assert got.loc["(onbekend)", "n"] == 10 and got["n"].sum() == 600
    assert tuple(got.loc["(onbekend)", ["label_nl", "label_en"]]) == ("leeftijd onbekend",
                                                                      "age unknown")


# --- the risk model's audit on synthetic data ---------------------------------------------------

@pytest.fixture(scope="module")
def children(tmp_path_factory):
    """A small municipality (SynthSpec households=4000, seed 1), child table."""
    tables, _ = synthetic_tables(tmp_path_factory.mktemp("fairness"), 4000, seed=1)
    return tables.children


def test_audit_of_the_risk_model(children):
    before = children.copy(deep=True)
    spec = FairnessSpec()
    result = fairness_audit(children, spec)
    pd.testing.assert_frame_equal(children, before)
    metrics = result.to_frame()
    assert list(dict.fromkeys(metrics["attribute"])) == ["sex", "migration_background",
                                                         "household_type", "age_band"]
    bands = metrics[metrics["attribute"] == "age_band"]
    assert list(bands["group"]) == ["0-3", "4-11", "12-17"]  # every synthetic child is 0-17
    assert list(bands["label_nl"]) == ["0 tot 4 jaar", "4 tot 12 jaar", "12 tot 18 jaar"]
    for _, part in metrics.groupby("attribute"):
        assert part["n"].sum() == len(children)
        assert part["events"].sum() == children["outcome"].sum()
        assert (part["tp"] + part["fn"] == part["events"]).all()
    # the same cross-validated predictions as the risk model's own AUC
    auc = risk_model(children, spec.risk).performance.auc_cv
    assert result.overall["auc"] == pytest.approx(auc, abs=TOL)
    assert set(result.proxies["attribute"]) == {"sex", "migration_background"}
    assert result.proxies["auc"].between(0.3, 1).all()
    assert set(result.proxies["features"]) == {", ".join(spec.risk.predictors)}  # no place
    # per age band, independently: the model's cross-validated scores, bands by pd.cut, AUC
    # and counts by sklearn and numpy
    score, kept = model_predictions(children, spec.risk)
    y = children["outcome"].to_numpy(dtype=bool)[kept]
    band = pd.cut(children["age"].to_numpy()[kept], [-0.5, 3.5, 11.5, 17.5],
                  labels=["0-3", "4-11", "12-17"]).astype(str)
    flagged = score >= result.threshold
    for row in bands.itertuples():
        m = band == row.group
        assert (row.n, row.events, row.flagged) == (m.sum(), y[m].sum(), flagged[m].sum())
        assert row.auc == pytest.approx(roc_auc_score(y[m], score[m]), abs=TOL)
    # group-level only: every table is far shorter than the child table
    for frame in (metrics, result.disparities, result.proxies, result.bias.detected):
        assert len(frame) < len(children) / 10
