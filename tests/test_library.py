"""The factor and outcome library as data: a pilot adds a factor and an outcome in YAML, in a
folder of its own, with no code changed, and finds both in its tables, bundle and report.

The added outcome is checked against an independent computation from the store's files with
pandas (children with a youth-care or youth-protection spell starting in the window), the added
factor against the household table's own count of children.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from smartstart.errors import SourceError
from smartstart.features import build_features, factors, library, outcomes, using
from smartstart.features._library import load_library
from smartstart.linking import link
from smartstart.pilot import OutcomeSpec, Study, load_pilot
from smartstart.sources._store import read_manifest

FACTORS = {"factors": {"large_family": {
    "nl": "Groot gezin (3 of meer kinderen)", "en": "Large family (3 or more children)",
    "type": "binary", "role": "predictor", "period": "P",
    "sources": ["GBAHUISHOUDENSBUS", "GBAPERSOONTAB"],
    "label_no": {"nl": "geen groot gezin", "en": "not a large family"},
    "units": {"household": {"sql": "count(*) FILTER (WHERE h.PLHH = '1' AND h.age < 18) >= 3"},
              "child": {"sql": "h.large_family"}}}}}
OUTCOMES = {"hulp_of_bescherming": {
    "unit": "person",
    "events": [{"table": "JGDHULPBUS", "start": "JGDHGELDIGHEIDBEGINDATUM"},
               {"table": "JGDBESCHERMBUS", "start": "JGDBGELDIGHEIDBEGINDATUM"}],
    "predictors": ["large_family", "single_parent", "parent_no_work", "rent_allowance"],
    "nl": "jeugdhulp of jeugdbescherming", "en": "youth care or youth protection",
    "nl_short": "hulp of bescherming", "en_short": "care or protection"}}
PEILDATUM = date(2020, 1, 1)


def _library(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "factors.yaml").write_text(yaml.safe_dump(FACTORS, allow_unicode=True), "utf-8")
    (folder / "outcomes.yaml").write_text(yaml.safe_dump(OUTCOMES, allow_unicode=True), "utf-8")
    return folder


def _pilot_file(folder: Path, **study: object) -> Path:
    """A pilot of 0784 on the peildatum with ``study``'s fields, written to ``folder``."""
    path = folder / "pilot.yaml"
    path.write_text(yaml.safe_dump({
        "study": {"name": "t", "gemeente": "0784", "peildatum": "2020-01-01", **study},
        "paths": {"store": "store", "output": "out"}}), "utf-8")
    return path


def _store_frame(store: Path, table: str) -> pd.DataFrame:
    manifest = read_manifest(store)
    return pd.concat([pd.read_parquet(store / record.store_path)
                      for (name, _), record in manifest.items() if name == table])


def test_an_added_factor_and_outcome_are_computed_as_defined(demo_run, tmp_path):
    folder = _library(tmp_path / "library")
    study = Study(name="t", gemeente="0784", peildatum=PEILDATUM, library=folder,
                  outcome=OutcomeSpec(name="hulp_of_bescherming"))
    with using(folder):
        assert "large_family" in factors()["child"] and "hulp_of_bescherming" in outcomes()
        tables = build_features(link(demo_run / "store", study).db, study)
    # the package's library is active again outside the block
    assert "large_family" not in factors()["household"]
    households, children = tables.households, tables.children
    assert (households["large_family"] == (households["children_under_18"] >= 3)).all()
    by_household = households.set_index("household_id")["large_family"]
    assert (children["large_family"].to_numpy()
            == by_household.loc[children["household_id"]].to_numpy()).all()
    # the outcome, independently: a spell of either table that starts in [P, P + 3 years)
    end = pd.Timestamp(2023, 1, 1)
    starts = []
    for table, column in (("JGDHULPBUS", "JGDHGELDIGHEIDBEGINDATUM"),
                          ("JGDBESCHERMBUS", "JGDBGELDIGHEIDBEGINDATUM")):
        frame = _store_frame(demo_run / "store", table)
        day = pd.to_datetime(frame[column])
        starts.append(frame.loc[(day >= pd.Timestamp(PEILDATUM)) & (day < end),
                                ["RINPERSOONS", "RINPERSOON"]])
    cases = set(map(tuple, pd.concat(starts).drop_duplicates().to_numpy()))
    expected = [(s, p) in cases for s, p in zip(children["RINPERSOONS"], children["RINPERSOON"],
                                                strict=True)]
    assert children["outcome"].sum() > 50
    assert children["outcome"].tolist() == expected


def test_an_added_factor_and_outcome_reach_the_bundle_and_report(demo_run, tmp_path):
    from smartstart.bundle import check_bundle, read_bundle
    from smartstart.pipeline import run_pilot
    from smartstart.report import write_report

    _library(tmp_path / "eigen-bibliotheek")
    pilot_file = tmp_path / "pilot.yaml"
    pilot_file.write_text(yaml.safe_dump({
        "study": {"name": "Eigen uitkomst", "gemeente": "0784", "peildatum": "2020-01-01",
                  "library": "eigen-bibliotheek", "analyses": ["risk"],
                  "population": "jongeren",
                  "outcome": {"name": "hulp_of_bescherming", "window_years": 3}},
        "paths": {"store": str(demo_run / "store"), "output": str(tmp_path / "results")}}),
        "utf-8")
    result = run_pilot(load_pilot(pilot_file))
    bundle = read_bundle(result.bundle)
    assert check_bundle(result.bundle)[0] == []
    labels = bundle.labels()
    row = labels[(labels["variable"] == "large_family") & (labels["level"] == "")].iloc[0]
    assert (row["label_nl"], row["role"]) == ("Groot gezin (3 of meer kinderen)", "predictor")
    assert "large_family" in set(bundle.table("risk_coefficients")["term"].astype(str).str
                                 .split("[").str[0])
    assert bundle.manifest["pilot"]["study"]["outcome"]["nl"] == "jeugdhulp of jeugdbescherming"
    html = write_report(result.bundle, tmp_path / "rapport.html").read_text("utf-8")
    assert "Groot gezin (3 of meer kinderen)" in html
    # the report speaks of the pilot's own population and outcome
    assert "Risicofactoren voor jeugdhulp of jeugdbescherming" in html
    assert "bij jongeren samengaan met jeugdhulp of jeugdbescherming" in html
    english = write_report(result.bundle, tmp_path / "report.html", lang="en").read_text("utf-8")
    assert "Large family (3 or more children)" in english
    assert "youth care or youth protection" in english


def test_a_library_that_names_a_known_factor_or_a_bad_field_is_refused(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "factors.yaml").write_text(yaml.safe_dump(
        {"factors": {"single_parent": FACTORS["factors"]["large_family"]}}), "utf-8")
    with pytest.raises(SourceError, match="single_parent already in"):
        load_library(folder)
    (folder / "factors.yaml").write_text(yaml.safe_dump(
        {"factors": {"x": {**FACTORS["factors"]["large_family"], "rol": "predictor"}}}), "utf-8")
    with pytest.raises(SourceError, match="rol"):
        load_library(folder)
    (folder / "factors.yaml").unlink()
    (folder / "outcomes.yaml").write_text(yaml.safe_dump(
        {"nieuw": {**OUTCOMES["hulp_of_bescherming"], "predictors": ["bestaat_niet"]}}), "utf-8")
    with pytest.raises(SourceError, match="bestaat_niet"):
        load_library(folder)


def test_a_pilot_names_an_outcome_the_library_has_and_sensitive_predictors_need_the_flag(
        tmp_path):
    def pilot(outcome: dict) -> Path:
        return _pilot_file(tmp_path, outcome=outcome)

    with pytest.raises(SourceError, match="not in the outcome library"):
        load_pilot(pilot({"name": "bestaat_niet"}))
    with pytest.raises(SourceError, match="allow_sensitive"):
        load_pilot(pilot({"name": "halt", "predictors": ["migration_background"]}))
    chosen = load_pilot(pilot({"name": "halt", "predictors": ["migration_background"],
                               "allow_sensitive": True}))
    assert chosen.study.outcome.allow_sensitive
    assert {"halt", "voortijdig_schoolverlaten", "instroom_bijstand"} <= set(outcomes())


def test_every_factor_is_defined_once_with_words_and_sources():
    lib = library()
    for name, f in lib.factors.items():
        assert f.nl and f.en and f.units, name
        assert f.event is None or f.event.table in f.sources, name
    for name, o in lib.outcomes.items():
        assert set(o.predictors) <= {n for n, f in lib.factors.items() if "child" in f.units}
        assert all(c.split(".")[0] in o.sources for c in o.columns), name


def test_a_target_group_by_register_rule_selects_the_households_with_the_level(demo_run):
    from smartstart.pilot import TargetRule

    study = Study(name="t", gemeente="0784", peildatum=PEILDATUM,
                  target_group=TargetRule(rule="main_benefit", level=3,
                                          label_nl="huishoudens in de bijstand"))
    linked = link(demo_run / "store", study)
    tables = build_features(linked.db, study)
    households, children = tables.households, tables.children
    expected = households["main_benefit"].astype("string").eq("3").fillna(False)
    # the flow says the rule in the pilot's label and the library's words (it said
    # 'huishoudens met main_benefit = 3'; helper-41)
    step = linked.attrition.set_index("step").loc["doelgroep: huishoudens"]
    assert step["reason"] == ("huishoudens in de bijstand (belangrijkste uitkering is "
                              "bijstandsuitkering; regel uit het register: main_benefit = 3)")
    assert step["rows_out"] == expected.sum()
    assert households["target_group"].sum() > 100
    assert (households["target_group"] == expected).all()
    by_household = households.set_index("household_id")["target_group"]
    assert (children["target_group"].to_numpy()
            == by_household.loc[children["household_id"]].to_numpy()).all()


def test_a_register_rule_names_a_household_factor_and_one_of_its_levels(tmp_path):
    def pilot(rule: dict) -> Path:
        return _pilot_file(tmp_path, target_group=rule)

    assert load_pilot(pilot({"rule": "child_youth_care"})).study.partner_group is None
    with pytest.raises(SourceError, match="not a binary or category household factor"):
        load_pilot(pilot({"rule": "age"}))
    with pytest.raises(SourceError, match="not a level of main_benefit"):
        load_pilot(pilot({"rule": "main_benefit", "level": "7"}))
