"""A run draws its English charts in a spawned worker beside the Dutch ones (issue 18, the warm
demo): the same charts as drawn in one process, and the worker's drawings are the parent's, so a
check in the parent draws none of them again."""

from __future__ import annotations

from test_run_bundle import demo  # noqa: F401 - the demo bundle, built once for the module

from smartstart.bundle import _svg
from smartstart.pipeline import BesideWorker, _charts


def test_the_worker_draws_the_same_charts_and_its_parent_keeps_them(demo, monkeypatch):  # noqa: F811
    root = demo / "bundle"
    monkeypatch.setenv("SMARTSTART_CHART_WORKER", "1")
    _svg._DRAWN.clear()
    with BesideWorker() as worker:
        assert worker._pool is not None
        drawn = worker.charts(root)
    english = [c for c in drawn if c.name.endswith("_en")]
    assert english and len(drawn) > len(english)
    renders = []
    real = _svg.vl_convert.vegalite_to_svg
    monkeypatch.setattr(_svg.vl_convert, "vegalite_to_svg",
                        lambda *a, **k: renders.append(1) or real(*a, **k))
    alone = _charts(root)  # both languages here again: every drawing is kept from before
    assert renders == []
    assert [(c.name, c.spec, c.svg, c.based_on, c.layout) for c in drawn] == \
        [(c.name, c.spec, c.svg, c.based_on, c.layout) for c in alone]
    _svg._DRAWN.clear()
    assert [c.svg for c in _charts(root)] == [c.svg for c in drawn]  # drawn anew: the same
    assert 0 < len(renders) <= len(drawn)


def test_the_household_types_found_beside_are_those_found_in_turn(demo_run):
    """``publish(beside=...)``: the types in a spawned worker while the areas run here; the
    outputs, their order, texts and what was withheld are those of the steps in turn."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import pandas as pd

    from smartstart.features import using
    from smartstart.outputs import publish
    from smartstart.outputs._work import Work
    from smartstart.pilot import load_pilot

    pilot = load_pilot(demo_run / "pilot.yaml")
    study = pilot.study.model_copy(update={"analyses": ("profile", "typology", "areas")})
    work = Work.read(demo_run / "results" / "work")
    with using(study.library):
        alone = publish(study, work)
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            beside = publish(study, work, beside=pool.submit)
    assert [p.record.name for p in beside.tables] == [p.record.name for p in alone.tables]
    assert any(p.record.name.startswith("typology_") for p in alone.tables)
    for a, b in zip(alone.tables, beside.tables, strict=True):
        pd.testing.assert_frame_equal(a.frame, b.frame)
        assert a.record.to_dict() == b.record.to_dict()
    assert (beside.withheld, beside.lacking, beside.texts, beside.variables) == \
        (alone.withheld, alone.lacking, alone.texts, alone.variables)
    assert list(beside.texts) == list(alone.texts)
