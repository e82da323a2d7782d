"""The run's dates are computed once from the study, frozen, and are every value the SQL binds."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from importlib import resources

import pytest

from smartstart.features import build_features
from smartstart.linking import Database, PartnerWindow, StudyDates, link
from smartstart.pilot import OutcomeSpec, Study, TargetGroup, Window
from smartstart.sources import ingest
from smartstart.synth import SynthSpec, generate

WINDOW = Window(start=date(2015, 1, 1), end=date(2022, 12, 31))


def _study(peildatum: date, years: int = 3, target: bool = True) -> Study:
    tg = TargetGroup(partner_file="v", start_column="startdatum", end_column="einddatum",
                     window=WINDOW) if target else None
    return Study(name="t", gemeente="784", peildatum=peildatum, target_group=tg,
                 outcome=OutcomeSpec(name="ots", window_years=years))


def test_every_date_of_a_run_from_the_study():
    dates = StudyDates.of(_study(date(2020, 1, 1)))
    assert dates == StudyDates(gemeenten=("0784",), peildatum=date(2020, 1, 1), area_year=2020,
                               data_year=2019, year_before=date(2019, 1, 1),
                               outcome_end=date(2023, 1, 1), outcome="ots",
                               windows=(PartnerWindow("v", date(2015, 1, 1),
                                                      date(2022, 12, 31)),))


@pytest.mark.parametrize(("peildatum", "years", "end", "before"), [
    (date(2020, 2, 29), 3, date(2023, 3, 1), date(2019, 3, 1)),   # no 29 February in 2023
    (date(2020, 2, 29), 4, date(2024, 2, 29), date(2019, 3, 1)),
    (date(2021, 1, 1), 1, date(2022, 1, 1), date(2020, 1, 2)),    # 365 days (synth's truth)
])
def test_leap_days(peildatum, years, end, before):
    dates = StudyDates.of(_study(peildatum, years))
    assert (dates.outcome_end, dates.year_before) == (end, before)
    assert (dates.peildatum - dates.year_before).days == 365


def test_no_target_group_no_window():
    dates = StudyDates.of(_study(date(2020, 1, 1), target=False))
    assert dates.windows == ()


def test_frozen_and_not_a_dict():
    dates = StudyDates.of(_study(date(2020, 1, 1)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        dates.peildatum = date(2021, 1, 1)  # type: ignore[misc]
    kinds = {f.name: f.type for f in dataclasses.fields(Database)}
    assert "params" not in kinds and kinds["dates"] in (StudyDates, "StudyDates")


def _parameters(package: str, skip: tuple[str, ...] = (), only: tuple[str, ...] = ()
                ) -> set[str]:
    found = set()
    for sql in resources.files(package).joinpath("sql").iterdir():
        if sql.name in skip or (only and sql.name not in only):
            continue
        found |= set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", sql.read_text("utf-8")))
    return found


#: the effect panels' parameters come from the evaluation plan (its years, ages, pool,
#: outcomes and whether a client's household is treated), bound by features/_panel.py: no
#: study date among them
#: linking SQL with a value from the store: ``_link.ever_since``
STORE_BOUND = ("persons_ever_here.sql",)
PLAN = ("effect_panel_placed.sql", "effect_panel_clash.sql", "effect_panel_at_risk.sql",
        "effect_panel.sql", "effect_panel_year.sql", "effect_panel_persons.sql")


def test_every_sql_parameter_is_a_study_date():
    used = (_parameters("smartstart.linking", skip=STORE_BOUND)
            | _parameters("smartstart.features", skip=PLAN))
    dates = StudyDates.of(_study(date(2020, 1, 1)))
    assert used and set(dates.bound(used)) == used
    # the first day of the ever-residents comes from the store (its layout), not the study
    assert _parameters("smartstart.linking", only=STORE_BOUND) == {"since"}
    plan = _parameters("smartstart.features", only=PLAN)
    assert plan == {"years", "year", "day", "pool_all", "pool", "min_age", "max_age", "outcomes",
                    "household", "household_outcomes"}
    with pytest.raises(KeyError, match="not study dates"):
        dates.bound(["year_after"])


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("dates")
    generate(root / "cbs", SynthSpec(households=400, seed=3))
    ingest(root / "cbs", root / "store")
    return root


def test_linking_and_features_read_one_unchanged_object(store):
    study = _study(date(2020, 1, 1))
    partner = next((store / "cbs").rglob("voedselbank_klanten.csv"))
    linked = link(store / "store", study, partner)
    dates = linked.db.dates
    build_features(linked.db, study)
    assert linked.db.dates is dates and dates == StudyDates.of(study)
    other = study.model_copy(update={"peildatum": date(2019, 1, 1)})
    with pytest.raises(ValueError, match="another study"):
        build_features(linked.db, other)


@pytest.mark.parametrize(("codes", "nl", "en"), [
    (("0784",), "0784", "0784"),
    (("0784", "0855", "0785", "0797", "0798"), "0784, 0855, 0785, 0797, 0798",
     "0784, 0855, 0785, 0797, 0798"),
    (tuple(f"{i:04d}" for i in range(1, 49)), "een van de 48 gemeenten van de pilot",
     "one of the pilot's 48 municipalities")])
def test_the_flow_names_a_few_municipalities_and_counts_many(codes, nl, en):
    """The flow's reasons name up to five municipalities by code and count more (helper-44:
    a national run listed 48 codes twice in the terminal and the report)."""
    study = (Study(name="t", gemeente=codes[0], peildatum=date(2020, 1, 1)) if len(codes) == 1
             else Study(name="t", gemeenten=codes, peildatum=date(2020, 1, 1)))
    dates = StudyDates.of(study)
    assert (dates.places, dates.places_en) == (nl, en)
