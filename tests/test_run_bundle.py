"""`smartstart run` writes a bundle that `smartstart check` passes; tampering makes it fail."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from bundle_checked import checked
from test_report_support import small_bundle

from smartstart import analyses as A
from smartstart.bundle import check_bundle, read_bundle
from smartstart.bundle._exports import rewrite_derived
from smartstart.bundle._write import CHECKSUMS, sha256, variables_frame


@pytest.fixture(scope="module")
def demo(demo_run) -> Path:
    """``results/`` of the demo, run once per session (read only: tests change copies)."""
    return demo_run / "results"


def _copy(demo: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo / "bundle", tmp_path / "bundle"))


def _rewrite_checksums(root: Path) -> None:
    """Every hash made to fit the files again: the manifest's declarations and the checksums."""
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    for entry in manifest["files"]:
        entry["sha256"] = sha256(root / entry["path"])
    (root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    lines = [f"{sha256(p)}  {p.relative_to(root).as_posix()}"
             for p in sorted(root.rglob("*")) if p.is_file() and p.name != CHECKSUMS]
    (root / CHECKSUMS).write_text("\n".join(lines) + "\n", "utf-8")


def test_the_demo_bundle_passes_check(demo):
    result = checked(demo / "bundle")  # the command, and what check_bundle found in it
    assert result.code == 0, result.output
    assert result.problems == [] and result.tables >= 15
    names = {o["name"] for o in read_bundle(demo / "bundle").outputs}
    expected = {"attrition", "match", "profile_households", "duration", "risk_coefficients",
                "risk_performance", "risk_calibration", "combinations", "high_risk_profile",
                "fairness_metrics", "typology_types", "typology_profile", "typology_personas",
                "model_card_nl", "model_card_en"}
    assert expected <= names


def test_one_changed_byte_fails_the_check(demo, tmp_path):
    root = _copy(demo, tmp_path)
    path = root / "tables" / "match.csv"
    data = bytearray(path.read_bytes())
    data[-3] = ord("7") if data[-3] != ord("7") else ord("8")
    path.write_bytes(bytes(data))
    result = checked(root)
    assert result.code == 1
    assert [p.where for p in result.problems] == ["tables/match.csv"]


def test_an_unsafe_table_fails_even_with_fresh_checksums(demo, tmp_path):
    root = _copy(demo, tmp_path)
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    log = json.loads((root / "disclosure_log.json").read_text("utf-8"))
    # a table of the target group by buurt with small counts, marked as passed by hand
    unsafe = pd.DataFrame({"buurt": ["07840101", "07840202"], "count": [3, 41]})
    unsafe.to_parquet(root / "tables" / "by_buurt.parquet")
    manifest["outputs"].append({"name": "by_buurt", "kind": "table", "files": [
        "tables/by_buurt.parquet"], "variables": ["buurt"], "rules": {"counts": ["count"]}})
    manifest["files"].append({"path": "tables/by_buurt.parquet", "kind": "table_parquet",
                              "output": "by_buurt"})
    variables_frame(manifest["outputs"]).to_csv(root / "variables.csv")
    log["outputs"].append({"name": "by_buurt", "status": "pass", "settings": {"min_cell": 10},
                           "checks": [], "suppressed": []})
    (root / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    (root / "disclosure_log.json").write_text(json.dumps(log), "utf-8")
    _rewrite_checksums(root)
    result = checked(root)
    # its count of 3 fails the threshold, and its counts do not say what they count
    # (and the Excel workbooks, Dutch and English, lack it: issue 17)
    assert sorted((p.where, p.kind) for p in result.problems) == [
        ("by_buurt", "rule_threshold"), ("by_buurt", "rules_missing"),
        ("exports/en/tables.xlsx", "export"), ("exports/tabellen.xlsx", "export")]
    assert result.code == 1


def test_a_suppressed_cell_put_back_fails_the_check(demo, tmp_path):
    root = _copy(demo, tmp_path)
    path = root / "tables" / "profile_households.parquet"
    frame = pd.read_parquet(path)
    hidden = frame.index[frame["count_target"].isna()][0]
    frame.loc[hidden, "value_target"] = 0.02  # the share gives the count back
    frame.to_parquet(path)
    rewrite_derived(root)  # its CSV and the Excel exports made to fit (issue 17)
    _rewrite_checksums(root)
    problems = check_bundle(root)[0]
    assert {(p.where, p.problem.split(":")[0]) for p in problems} == {
        ("profile_households", "rule derived")}


def test_published_numbers_are_the_analyses_numbers(demo):
    bundle = read_bundle(demo / "bundle")
    children = pd.read_parquet(demo / "work" / "children.parquet")
    households = pd.read_parquet(demo / "work" / "households.parquet")
    risk = A.risk_model(children)
    performance = bundle.table("risk_performance").set_index("metric")["value"]
    # at their stated precision (disclosure._precision): exact statistics are the exact fit
    assert performance["auc_cv"] == round(risk.performance.auc_cv, 2)
    coefficients = bundle.table("risk_coefficients")
    assert not {"n", "events"} & set(coefficients.columns)  # margins that combinations undo
    odds = coefficients.set_index("term")["odds_ratio"]
    coef = risk.coefficients.set_index("term")["coef"].loc[odds.index]
    assert np.allclose(odds, np.exp(coef.round(2)).round(2), rtol=1e-12)
    profile = A.profile(households).table
    shown = bundle.table("profile_households")
    assert "buurt" not in set(shown["factor"])  # left to the areas analysis (hierarchy)
    key = ["factor", "level"]
    both = shown.dropna(subset=["value_target"]).merge(
        profile.astype({"level": str}).assign(level=lambda f: f["level"].replace("None", None)),
        on=key, suffixes=("", "_analysis"))
    assert len(both) > 20
    assert np.allclose(both["value_target"], both["value_target_analysis"], rtol=1e-12)


def test_nothing_individual_leaves(demo):
    bundle = read_bundle(demo / "bundle")
    children = len(pd.read_parquet(demo / "work" / "children.parquet"))
    for output in bundle.outputs:
        if output["kind"] in ("text", "chart"):
            continue
        if output["kind"] == "map":  # one public boundary per published area
            areas = json.loads((bundle.root / "maps" / "map_areas.geojson").read_text("utf-8"))
            assert len(areas["features"]) < children / 20
            continue
        table = bundle.table(output["name"])
        assert len(table) < children / 20, output["name"]  # group level: no row per person
        assert not any(k in c.lower() for c in map(str, table.columns)
                       for k in ("rinpersoon", "household_id", "score", "probability"))
        counts = [c for c in output["rules"].get("counts", []) if c in table]
        if counts and not output["rules"].get("rounded"):
            values = table[counts].astype(float).to_numpy()
            assert not ((values > 0) & (values < 10)).any(), output["name"]


def test_a_model_without_safe_predictors_is_withheld_not_exported(tmp_path_factory):
    """400 households: no predictor has 10 children with and 10 without the outcome in each
    of its groups, so no model is fitted (a rare predictor is left out, not published); the
    risk analysis is withheld for lack of data, with its reason, and nothing of it leaves."""
    root = small_bundle(tmp_path_factory)  # the demo for 400 households, run once per session
    bundle = read_bundle(root)
    names = {o["name"] for o in bundle.outputs}
    withheld = {w["name"]: w for w in bundle.manifest["withheld"]}
    assert withheld["risk"]["detail"] == "too_few_events", withheld["risk"]
    assert withheld["risk"]["kind"] == "not_run"
    assert not names & {"risk_coefficients", "risk_calibration", "risk_performance",
                        "model_card_nl"}
    assert check_bundle(root)[0] == []


def test_charts_are_in_the_bundle_with_their_tables(demo):
    bundle = read_bundle(demo / "bundle")
    charts = [o for o in bundle.outputs if o["kind"] == "chart"]
    names = {o["name"] for o in charts}
    assert {"chart_oddsratios_nl", "chart_oddsratios_en", "chart_verloop_nl",
            "chart_typen_nl"} <= names
    tables = {o["name"] for o in bundle.outputs if o["kind"] not in ("text", "chart")}
    for chart in charts:
        assert set(chart["based_on"]) <= tables
        spec = json.loads((bundle.root / chart["files"][0]).read_text("utf-8"))
        assert "url" not in json.dumps(spec.get("data", {}))  # data inline, nothing to fetch
        assert (bundle.root / chart["files"][1]).read_text("utf-8").startswith("<svg")
    odds = json.loads((bundle.root / "charts" / "oddsratios_nl.vl.json").read_text("utf-8"))
    shown = {round(v, 9) for d in odds["datasets"].values() for r in d
             for k, v in r.items() if k == "odds_ratio"}
    published = {round(v, 9) for v in bundle.table("risk_coefficients")["odds_ratio"]}
    assert shown and shown <= published


def test_factors_the_gate_could_not_protect_by_type_are_left_out_and_said(demo, tmp_path):
    from smartstart.report import write_report

    bundle = read_bundle(demo / "bundle")
    blocks = [b for b in bundle.verdict("typology_profile")["protection"]["blocks_withheld"]
              .split(",") if b]
    profile = bundle.table("typology_profile")
    assert blocks and not set(blocks) & set(profile["factor"])
    html = write_report(demo / "bundle", tmp_path / "r.html").read_text("utf-8")
    labels = bundle.table("profile_households").set_index("factor")["label_nl"]
    for factor in blocks:
        assert str(labels.loc[[factor]].iloc[0]).split(":")[0] in html


def test_second_review_leaks_stay_closed(demo):
    bundle = read_bundle(demo / "bundle")
    # a table's row numbers would show where withheld rows were (an attacker's pass)
    for table in (demo / "bundle" / "tables").glob("*.parquet"):
        assert not [c for c in pq.read_schema(table).names if c.startswith("__index")], table
    # the Hosmer-Lemeshow statistic would give the suppressed events per decile back
    assert not bundle.table("risk_performance")["metric"].str.startswith("hosmer").any()
    # the standardised difference of a count variable gives its pooled sd back
    profile = bundle.table("profile_households")
    counts = profile[profile["type"] == "count"]
    assert counts[["smd_rest", "smd_all", "ci_low_target"]].isna().all().all()
    assert "sd" not in bundle.table("typology_profile").columns
    # persona questions and traits come from published cells only
    shown = bundle.table("typology_profile")
    hidden = shown[shown["count"].isna()]
    personas = bundle.table("typology_personas").set_index("type")
    for row in hidden.itertuples():
        assert str(row.level_nl) not in personas.loc[row.type, "traits_nl"]
