"""The effect evaluation is "not run" (LackOfData, in the bundle's manifest and the report)
only for the engine's named input problems (``EffectInputError``); any other error of the
engine is a bug and fails the run with its trace (before, every ValueError, and for the
minimum detectable effect every TypeError too, became "not run" or a silently absent MDE)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartstart._effect_plan import EffectPlan
from smartstart.analyses._effect_panel import EffectInputError
from smartstart.errors import LackOfData
from smartstart.outputs import _effect

TREATED = ("07840103", "07840303", "07840401")


def _plan(**change) -> EffectPlan:
    return EffectPlan.model_validate({"start": 2019, "treated": {"buurten": list(TREATED)},
                                      "outcomes": ["jeugdhulp"], "permutations": 100,
                                      "synthetic": False, **change})


def _rows(donors: int, seed: int = 1) -> pd.DataFrame:
    """A panel of buurten x 2014-2022: n children and events per year."""
    rng = np.random.default_rng(seed)
    areas = [*TREATED, *(f"0{7850101 + i}" for i in range(donors))]
    rows = [{"area": a, "year": y, "n": 200, "events": int(rng.binomial(200, 0.1))}
            for a in areas for y in range(2014, 2023)]
    return pd.DataFrame(rows)


def test_too_few_comparison_buurten_is_a_named_lack_of_data():
    with pytest.raises(LackOfData) as caught:
        _effect.evaluate_outcome(_rows(donors=1), _plan())
    assert caught.value.reason == "other" and "input has problems" in caught.value.detail


def test_a_panel_that_can_be_evaluated_gives_an_estimate_and_an_mde():
    found = _effect.evaluate_outcome(_rows(donors=30), _plan())
    assert np.isfinite(found["result"].estimates[0].estimate)
    assert found["mde"] is not None and found["mde"].mde < 0


@pytest.mark.parametrize("error", [ValueError("a bug"), TypeError("a bug")])
def test_a_bug_in_the_engine_fails_the_run(monkeypatch, error):
    from smartstart.analyses import _effect as engine

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(engine, "evaluate", broken)
    with pytest.raises(type(error), match="a bug"):
        _effect.evaluate_outcome(_rows(donors=30), _plan())


def test_the_mde_is_absent_only_when_the_years_before_cannot_give_one(monkeypatch):
    from smartstart.analyses import _effect as engine

    rows, plan = _rows(donors=30), _plan()
    spec = engine.EffectSpec(permutations=100)
    panel = rows[["area", "year", "n", "events"]]

    def unreadable(*args, **kwargs):
        raise EffectInputError(["too few years before the start"])

    monkeypatch.setattr(engine, "minimum_detectable_effect", unreadable)
    assert _effect._mde(panel, list(TREATED), plan, spec) is None

    def broken(*args, **kwargs):
        raise TypeError("a bug")

    monkeypatch.setattr(engine, "minimum_detectable_effect", broken)
    with pytest.raises(TypeError, match="a bug"):
        _effect._mde(panel, list(TREATED), plan, spec)
