"""Optional sources stay optional: a table or column the delivery lacks leaves out the factors
that need it (listed as not delivered in the manifest and the report); a missing year stops
with the years that are there, or uses the nearest one when the pilot allows it."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
from run_variants import copy_world, drop_column, drop_table, pilot
from typer.testing import CliRunner

from smartstart.cli import app
from smartstart.errors import SourceError
from smartstart.features import factors, requirements_markdown
from smartstart.pilot import load_pilot
from smartstart.pipeline import run_pilot
from smartstart.report import write_report
from smartstart.sources import ingest
from smartstart.sources._catalog import CORE, load_catalog

runner = CliRunner()
INCOME = {"tenure", "rent_allowance", "disposable_income", "income_pct_social_minimum",
          "main_benefit", "benefit_share"}


@pytest.fixture(scope="module")
def world(run_world):
    return run_world  # built once per session; each test alters a copy (copy_world)


def _manifest(root) -> dict:
    return json.loads((root / "results" / "bundle" / "manifest.json").read_text("utf-8"))


def _not_in_bundle(html: str) -> str:
    return html[html.index('id="niet-in-bundel"'):]


def test_without_halt_the_run_goes_on_and_says_which_factor(world, tmp_path):
    root = copy_world(world, tmp_path)
    drop_table(root / "store", "HALTBUS")
    result = runner.invoke(app, ["run", str(pilot(root))])  # profile, risk, typology
    assert result.exit_code == 0, result.output
    manifest = _manifest(root)
    assert [(d["factor"], d["unit"], d["missing"], d["reason"])
            for d in manifest["not_delivered"]] == [
        ("halt_12m", "child", "HALTBUS", "table_not_delivered")]
    children = pd.read_parquet(root / "results" / "work" / "children.parquet")
    assert "halt_12m" not in children.columns and "special_education" in children.columns
    html = write_report(root / "results" / "bundle", tmp_path / "r.html").read_text("utf-8")
    label = factors()["child"]["halt_12m"].nl
    assert label in _not_in_bundle(html) and "HALTBUS" in _not_in_bundle(html)
    assert "halt_12m" in result.output  # the summary names it


def test_without_income_tables_every_income_factor_is_left_out(world, tmp_path):
    root = copy_world(world, tmp_path)
    drop_table(root / "store", "INHATAB")
    result = run_pilot(load_pilot(pilot(root, analyses=["profile"])))
    assert {d.factor for d in result.not_delivered} == INCOME
    assert {d.unit for d in result.not_delivered if d.factor == "rent_allowance"} == {
        "household", "child"}
    households = pd.read_parquet(root / "results" / "work" / "households.parquet")
    assert not INCOME & set(households.columns) and "adult_works" in households.columns
    profile = pd.read_parquet(root / "results" / "bundle" / "tables" /
                              "profile_households.parquet")
    assert not INCOME & set(profile["factor"].astype(str))


def test_a_column_not_delivered_leaves_out_the_factors_that_read_it(world, tmp_path):
    root = copy_world(world, tmp_path)
    drop_column(root / "store", "INHATAB", "INHEHALGR")
    result = run_pilot(load_pilot(pilot(root, analyses=["profile"])))
    assert {(d.factor, d.missing, d.reason) for d in result.not_delivered} == {
        ("tenure", "INHATAB.INHEHALGR", "column_not_delivered"),
        ("rent_allowance", "INHATAB.INHEHALGR", "column_not_delivered")}
    assert {d["factor"] for d in _manifest(root)["not_delivered"]} == {"tenure",
                                                                        "rent_allowance"}


def test_the_outcome_tables_are_needed_by_the_risk_model_only(world, tmp_path):
    root = copy_world(world, tmp_path)
    drop_table(root / "store", "JGDBESCHERMBUS")
    with pytest.raises(SourceError) as error:
        run_pilot(load_pilot(pilot(root)))
    assert "JGDBESCHERMBUS" in str(error.value) and "risk" in str(error.value)
    assert not (root / "results").exists()
    result = run_pilot(load_pilot(pilot(root, analyses=["profile"])))
    lacking = {d.factor for d in result.not_delivered}
    assert {"outcome", "protection_12m"} <= lacking


def test_without_core_tables_the_run_names_them_all_before_linking(world, tmp_path):
    root = copy_world(world, tmp_path)
    for table in ("VSLGWBTAB", "GBAPERSOONTAB"):
        drop_table(root / "store", table)
    with pytest.raises(SourceError) as error:
        run_pilot(load_pilot(pilot(root)))
    assert "GBAPERSOONTAB, VSLGWBTAB" in str(error.value)  # both at once, not the first only
    result = runner.invoke(app, ["run", str(pilot(root))])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "GBAPERSOONTAB" in result.output and "VSLGWBTAB" in result.output
    assert not (root / "results").exists()


def _part_of(world, tmp_path, folders: list[str]):
    """A delivery of only these table folders of the world's CBS files."""
    source = tmp_path / "delivery"
    for folder in folders:
        shutil.copytree(world / "cbs" / folder, source / folder)
    return source


def test_ingest_names_the_tables_in_neither_the_delivery_nor_the_store(world, tmp_path):
    source = _part_of(world, tmp_path, ["Bevolking/GBAHUISHOUDENSBUS", "BouwenWonen/VSLGWBTAB"])
    catalog = load_catalog().tables
    result = runner.invoke(app, ["ingest", str(source), "--store", str(tmp_path / "new")])
    # a delivery may come a folder at a time: the tables are stored, the absent core is named
    assert result.exit_code == 0, result.output
    assert "core_table_absent" in result.output
    said = re.sub(r"\s+", " ", result.output)
    assert "GBAPERSOONTAB, GBAADRESOBJECTBUS are in neither the delivery nor the store" in said
    others = [t for t in catalog if t not in CORE | {"GBAHUISHOUDENSBUS", "VSLGWBTAB"}]
    assert f"{len(others)} other table(s)" in said and ", ".join(others) in said
    report = ingest(source, tmp_path / "new")  # unchanged files: skipped, the same tables absent
    assert report.absent_tables == ("GBAPERSOONTAB", "GBAADRESOBJECTBUS", *others)
    # into a store that has the rest, only what neither has is absent; --check reads the store
    root = copy_world(world, tmp_path / "full")
    have = {e["table"] for e in json.loads((root / "store" / "manifest.json").read_text(
        "utf-8"))["entries"]}
    report = ingest(source, root / "store", check=True)
    assert report.absent_tables == tuple(t for t in catalog if t not in have | {
        "GBAHUISHOUDENSBUS", "VSLGWBTAB"})
    assert not set(report.absent_tables) & CORE


def test_a_missing_year_lists_the_years_delivered(world, tmp_path):
    root = copy_world(world, tmp_path)
    drop_table(root / "store", "INHATAB", 2019)
    with pytest.raises(SourceError) as error:
        run_pilot(load_pilot(pilot(root, analyses=["profile"])))
    years = {int(y) for y in re.findall(r"\b20\d\d\b", str(error.value).split("delivered")[1])}
    assert years == set(range(2012, 2023)) - {2019}
    result = runner.invoke(app, ["run", str(pilot(root, analyses=["profile"]))])
    assert result.exit_code == 1 and not (root / "results").exists()


def test_the_nearest_year_when_the_pilot_allows_it_is_recorded(world, tmp_path):
    root = copy_world(world, tmp_path)
    drop_table(root / "store", "INHATAB", 2019)
    result = run_pilot(load_pilot(pilot(root, analyses=["profile"], allow_nearest_year=True)))
    assert [(y.table, y.wanted, y.used) for y in result.years_used] == [("INHATAB", 2019, 2018)]
    assert _manifest(root)["years_used"] == [{"table": "INHATAB", "wanted": 2019, "used": 2018}]
    assert result.not_delivered == ()
    html = write_report(root / "results" / "bundle", tmp_path / "r.html").read_text("utf-8")
    assert "INHATAB" in _not_in_bundle(html) and "2018" in _not_in_bundle(html)


def test_every_factor_names_catalog_tables_and_columns():
    catalog = load_catalog()
    for unit in factors().values():
        for factor in unit.values():
            for column in factor.columns:
                table, name = column.split(".")
                assert table in factor.sources and name in catalog.table(table).columns
            assert all(t in catalog.tables for t in factor.sources if t != "partner file")


def test_the_readme_lists_what_each_factor_needs():
    from pathlib import Path

    readme = (Path(__file__).parents[1] / "README.md").read_text("utf-8")
    assert requirements_markdown() in readme  # python -m smartstart.features
