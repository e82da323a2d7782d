"""Issue 15, power before the start: a plan whose start lies after the delivery's last year
(the team chose candidate buurten and asks whether an evaluation can succeed) publishes the
monitor and the minimum detectable effect over the planned years, no estimates; the planned
years after the delivery are not read; the MDE is the engine's for the comparison buurten the
gate allows, and the report and its Kernboodschap say what it means, from published cells.
Runs on conftest's ``effect_demo`` store (read only; the run writes to tmp_path)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

PLAN = {"start": 2024, "treated": {"buurten": ["07840103", "07840303", "07840401"]},
        "outcomes": ["jeugdhulp"], "ages": [0, 17], "pool": "region", "years": [2012, 2026],
        "permutations": 1000}


@pytest.fixture(scope="module")
def planned(effect_demo, tmp_path_factory) -> Path:
    from rich.console import Console

    from smartstart.pilot import load_pilot
    from smartstart.pipeline import run_pilot

    root = tmp_path_factory.mktemp("planned")
    raw = yaml.safe_load((effect_demo / "pilot.yaml").read_text("utf-8"))
    raw["study"]["effect"] = PLAN
    raw["paths"] = {"store": str(effect_demo / "store"), "output": str(root / "results")}
    (root / "pilot.yaml").write_text(yaml.safe_dump(raw), "utf-8")
    run_pilot(load_pilot(root / "pilot.yaml"), Console(quiet=True))
    return root


def test_before_the_start_the_bundle_holds_the_monitor_and_the_power_only(planned):
    from smartstart.bundle import check_bundle

    bundle = planned / "results" / "bundle"
    problems, checked = check_bundle(bundle)
    assert problems == [] and checked >= 4
    tables = {p.stem for p in (bundle / "tables").glob("*.parquet")}
    assert {"effect_monitor_jeugdhulp", "effect_series_jeugdhulp", "effect_inference"} <= tables
    assert not tables & {"effect_estimates", "effect_event_study", "effect_placebo"}
    row = pd.read_parquet(bundle / "tables" / "effect_inference.parquet").iloc[0]
    assert row["stage"] == "planned" and int(row["start"]) == 2024
    # observed 2012-2022 (the demo's delivery), planned to the plan's last year
    assert (int(row["first_year"]), int(row["last_year"]), int(row["planned_last_year"])) == (
        2012, 2022, 2026)
    series = pd.read_parquet(bundle / "tables" / "effect_series_jeugdhulp.parquet")
    assert int(series["year"].max()) == 2022  # the years to come are not read
    assert -10 < row["mde"] < 0 and row["mde_relative"] < 0


def test_the_published_mde_is_the_engines_over_the_gates_comparison_buurten(planned):
    """The engine called directly on the work panel, the treated buurten and the comparison
    buurten the gate allows (every count publishable, none hidden in the published monitor),
    same seed: the same MDE."""
    from smartstart._effect_plan import EffectPlan
    from smartstart.analyses._effect import EffectSpec, minimum_detectable_effect
    from smartstart.outputs._effect import _publishable, analysis_panel

    plan = EffectPlan.model_validate(PLAN)
    panel = pd.read_parquet(planned / "results" / "work" / "effect_panel.parquet")
    rows = panel[panel["outcome"] == "jeugdhulp"]
    used = analysis_panel(rows, plan)[0]
    tables = planned / "results" / "bundle" / "tables"
    monitor = pd.read_parquet(tables / "effect_monitor_jeugdhulp.parquet")
    hidden = set(monitor.loc[monitor[["n", "events"]].isna().any(axis=1), "area"])
    donors = ((set(used["area"]) - set(plan.treated.buurten)) & _publishable(rows, 10)) - hidden
    row = pd.read_parquet(tables / "effect_inference.parquet").iloc[0]
    assert int(row["comparison_areas"]) == len(donors) >= 5
    keep = used[used["area"].isin(donors | set(plan.treated.buurten))]
    spec = EffectSpec(permutations=1000, synthetic=False)
    mde = minimum_detectable_effect(keep, list(plan.treated.buurten), 2024, 3, spec)
    assert row["mde"] == pytest.approx(round(mde.mde, 1), abs=1e-9)
    assert int(row["assignments"]) == mde.inference.assignments


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_report_says_what_the_power_means_from_published_cells(planned, lang):
    from smartstart.bundle import read_bundle
    from smartstart.report import _effect as E
    from smartstart.report._sections import sections
    from smartstart.report._source import Source
    from smartstart.report._summary import worked
    from smartstart.report._text import t

    bundle = planned / "results" / "bundle"
    src = Source(read_bundle(bundle), lang)
    assert E.is_planned(src) and not E.is_group(src)
    section = next(s for s in sections(src, lang) if s.id == "werkt-het")
    assert section.intro[0].startswith(t("s7_intro_planned", lang, outcome="{o}").split("{")[0])
    parts = {p.id: p for p in section.parts if hasattr(p, "id")}
    assert {"werkt-het-monitor", "werkt-het-vooraf"} <= set(parts)
    assert "werkt-het-effect" not in parts
    row = pd.read_parquet(bundle / "tables" / "effect_inference.parquet").iloc[0]
    said = str(worked(src, lang))
    assert E._pp(row["mde"], lang) in said and "2026" in said
    # every number of the statement is a published cell (the MDE, its share, the last year)
    numbers = set(re.findall(r"\d+(?:[.,]\d+)?", said))
    published = {E._pp(row["mde"], lang).lstrip("−-"), str(int(row["planned_last_year"])),
                 E._relative(row["mde_relative"], lang).rstrip("%").strip()}
    assert numbers <= published, (numbers, published)
