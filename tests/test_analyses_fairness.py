"""Fairness audit: metrics by group against a hand computation, disparity flags, proxy check,
the three-step bias analysis, and the audit of the risk model on synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import synthetic_tables
from sklearn.metrics import roc_auc_score

from smartstart.analyses import FairnessSpec, RiskSpec, fairness_audit, risk_model

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


def test_proxy_check_flags_an_attribute_the_area_reveals():
    rng = np.random.default_rng(5)
    n = 2000
    wijk = rng.choice(["01", "02", "03", "04"], n)
    table = pd.DataFrame({
        "wijk": wijk, "a": rng.random(n) < 0.3, "b": rng.random(n) < 0.5,
        "migration_background": np.where(wijk == "01", rng.random(n) < 0.9,
                                         rng.random(n) < 0.05),
        "sex": rng.choice(["1", "2"], n), "outcome": rng.random(n) < 0.1,
        "score": rng.random(n)})
    before = table.copy(deep=True)
    spec = FairnessSpec(risk=RiskSpec(predictors=("a", "b")), score="score")
    proxies = fairness_audit(table, spec).proxies.set_index("attribute")
    pd.testing.assert_frame_equal(table, before)
    assert proxies.loc["migration_background", "auc"] > 0.85
    assert proxies.loc["migration_background", "flagged"]
    assert abs(proxies.loc["sex", "auc"] - 0.5) < 0.05 and not proxies.loc["sex", "flagged"]
    assert proxies.loc["sex", "positives"] == int((table["sex"] == "2").sum())


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
    assert set(metrics["attribute"]) == {"sex", "migration_background", "household_type",
                                         "wijk"}
    for _, part in metrics.groupby("attribute"):
        assert part["n"].sum() == len(children)
        assert part["events"].sum() == children["outcome"].sum()
        assert (part["tp"] + part["fn"] == part["events"]).all()
    # the same cross-validated predictions as the risk model's own AUC
    auc = risk_model(children, spec.risk).performance.auc_cv
    assert result.overall["auc"] == pytest.approx(auc, abs=TOL)
    assert set(result.proxies["attribute"]) == {"sex", "migration_background"}
    assert result.proxies["auc"].between(0.3, 1).all()
    # group-level only: every table is far shorter than the child table
    for frame in (metrics, result.disparities, result.proxies, result.bias.detected):
        assert len(frame) < len(children) / 10
