"""``study.effect``, the evaluation plan: validated at load with errors that name the problem,
and a hash of its canonical JSON that changes exactly when the plan does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from smartstart._effect_plan import EffectPlan, hash_of
from smartstart.errors import SourceError
from smartstart.pilot import load_pilot

PLAN = {"start": 2019, "treated": {"buurten": ["07840103", "07840303", "07840401"]},
        "outcomes": ["jeugdhulp"]}


def _pilot(tmp_path: Path, effect: dict | None, analyses=("effect",), **study) -> Path:
    raw = {"study": {"name": "t", "gemeente": "0784", "peildatum": "2020-01-01",
                     "analyses": list(analyses), **study,
                     **({"effect": effect} if effect is not None else {})},
           "paths": {"store": "store", "output": "out"}}
    path = tmp_path / "pilot.yaml"
    path.write_text(yaml.safe_dump(raw), "utf-8")
    return path


def test_a_sound_plan_loads(tmp_path):
    plan = load_pilot(_pilot(tmp_path, PLAN)).study.effect
    assert plan.treated.buurten == ("07840103", "07840303", "07840401")
    assert (plan.ages, plan.pool, plan.estimator, plan.inference) == (
        (0, 17), "region", "imputation", "permutation")


@pytest.mark.parametrize(("change", "named"), [
    ({"treated": {"buurten": ["0784010"]}}, "8-digit"),
    ({"treated": {"buurten": ["07840103", "07840103"]}}, "twice"),
    ({"treated": {"partner_file": "voedselbank"}, "inference": "permutation"}, "use cluster"),
    ({"inference": "cluster"}, "12-63 %"),
    ({"treated": {}}, "not both and not neither"),
    ({"outcomes": []}, "outcomes"),
    ({"years": [2019, 2022]}, "years before the start"),
    ({"ages": [18, 12]}, "ages"),
    ({"pool": "world"}, "pool"),
    ({"estimator": "ols"}, "estimator"),
    ({"inference": "clustered"}, "inference"),
    ({"alpha": 0.7}, "alpha"),
    ({"colour": "blue"}, "colour"),
])
def test_a_bad_plan_is_refused_at_load_naming_the_field(tmp_path, change, named):
    with pytest.raises(SourceError) as error:
        load_pilot(_pilot(tmp_path, {**PLAN, **change}))
    assert "effect" in str(error.value) and named in str(error.value)


@pytest.mark.parametrize(("change", "named"), [
    ({"treated": {"buurten": ["08550101"]}}, "outside the pilot's municipalities"),
    ({"outcomes": ["geluk"]}, "not in the outcome library"),
])
def test_a_plan_the_pilot_cannot_give_is_refused_at_load(tmp_path, change, named):
    with pytest.raises(SourceError) as error:
        load_pilot(_pilot(tmp_path, {**PLAN, **change}))
    assert "study.effect" in str(error.value) and named in str(error.value)


def test_a_region_pool_needs_a_region(tmp_path):
    with pytest.raises(SourceError) as error:
        load_pilot(_pilot(tmp_path, {**PLAN, "treated": {"buurten": ["99990101"]}},
                          gemeente="9999"))
    assert "pool region" in str(error.value)
    assert load_pilot(_pilot(tmp_path, {**PLAN, "treated": {"buurten": ["99990101"]},
                                        "pool": "delivery"}, gemeente="9999"))


GROUP = {"start": 2015, "treated": {"partner_file": "voedselbank"}, "outcomes": ["jeugdhulp"]}


def test_a_treated_group_names_a_listed_partner_file_and_gets_cluster_inference(tmp_path):
    with pytest.raises(SourceError) as error:
        load_pilot(_pilot(tmp_path, GROUP))
    assert "'voedselbank' not listed under paths.partner_files" in str(error.value)
    path = _pilot(tmp_path, GROUP)
    raw = yaml.safe_load(path.read_text("utf-8"))
    raw["paths"]["partner_files"] = {"voedselbank": "klanten.csv"}
    path.write_text(yaml.safe_dump(raw), "utf-8")
    plan = load_pilot(path).study.effect
    assert plan.treated.group and plan.inference == "cluster"
    assert (plan.treated.start_column, plan.treated.household) == ("startdatum", True)
    # the default that fits a buurten plan is the one its hash was always of
    assert EffectPlan.model_validate(PLAN).plan_hash() == EffectPlan.model_validate(
        {**PLAN, "inference": "permutation"}).plan_hash()


def test_the_effect_analysis_needs_a_plan(tmp_path):
    with pytest.raises(SourceError) as error:
        load_pilot(_pilot(tmp_path, None))
    assert "study.effect" in str(error.value)


def test_the_hash_changes_exactly_when_the_plan_does():
    plan = EffectPlan.model_validate(PLAN)
    same = EffectPlan.model_validate(dict(reversed(list(PLAN.items()))))  # keys reordered
    assert plan.plan_hash() == same.plan_hash() == hash_of(plan.model_dump(mode="json"))
    changes = [{"start": 2020}, {"treated": {"buurten": ["07840103", "07840303"]}},
               {"outcomes": ["jeugdhulp", "halt"]}, {"pool": "delivery"},
               {"estimator": "twfe"}, {"alternative": "less"}, {"min_units": 21},
               {"years": [2012, 2021]}, {"ages": [0, 16]}]
    hashes = {EffectPlan.model_validate({**PLAN, **c}).plan_hash() for c in changes}
    assert len(hashes) == len(changes) and plan.plan_hash() not in hashes
    # the recorded hash beside the plan (as in the bundle) is not part of what is hashed
    dumped = plan.model_dump(mode="json")
    assert hash_of({**dumped, "plan_sha256": "x"}) == plan.plan_hash()


def test_a_plan_is_frozen():
    plan = EffectPlan.model_validate(PLAN)
    with pytest.raises(ValidationError):
        plan.start = 2020  # type: ignore[misc]
