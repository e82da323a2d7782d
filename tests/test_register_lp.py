"""The register's LPs on one warm-started HiGHS model give the bounds of the old path (one cold
``scipy.optimize.linprog`` per bound, its rows built afresh, not taken from the rows a run
keeps between attacks), on the demo bundle's register, on the red-team populations' profiles
and on random registers."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from test_redteam_routes import CASES, _population, _publish
from test_register import CBS, worlds

from smartstart.bundle import check_bundle
from smartstart.disclosure import _register, _register_lp, attack_register, register_of
from smartstart.disclosure._identical import declared, nested


def _bounds(found):
    return [(f.statement, f.lower, f.upper, f.narrowed) for f in found]


def _same_on_every_unit(units):
    assert units  # the register had small blank counts to bound
    for statements, s in units:
        new = _register._attack_unit(statements, s, "highs")  # rows as the run kept them
        _register._ROWS.clear()  # the reference's rows are built afresh
        old = _register._attack_unit(statements, s, "linprog")
        assert _bounds(new) == _bounds(old)
        assert new  # each unit bounds at least one blank count


def test_the_demo_bundles_register_has_the_old_bounds(demo_run, monkeypatch):
    units = []
    attack = _register._attack_unit

    def recorded(statements, s, solver="highs", only=None):
        units.append((statements, s))
        return attack(statements, s, solver, only)

    monkeypatch.setattr(_register, "_attack_unit", recorded)
    problems, _ = check_bundle(demo_run / "results" / "bundle")
    assert not problems
    monkeypatch.undo()
    assert sum(st.value is None for statements, _ in units for st in statements) >= 20
    _same_on_every_unit(units)


def test_the_red_team_profiles_have_the_old_bounds():
    """Every red-team population's profile (issue 12), as the run publishes it; 4 of the 7
    have small blank counts."""
    same, units = _register._identities(declared()), []
    for case in CASES:
        published = _publish(_population(*case))
        statements = register_of([(published.record.name, published.frame,
                                   published.rules.cells,
                                   {(r, c): label for r, c, label in published.record.shown})],
                                 CBS)
        for unit in sorted({st.unit for st in statements}):
            mine = [_register._canonical(st, same) for st in statements if st.unit == unit]
            mine += _register._nested(mine, nested(), unit)
            if any(st.value is None and st.upper < float("inf") for st in mine):
                units.append((mine, CBS))
        # and through the public entry point
        assert _bounds(attack_register(statements, declared(), CBS, nested(), solver="linprog")
                       ) == _bounds(attack_register(statements, declared(), CBS, nested()))
    assert len(units) >= 4
    _same_on_every_unit(units)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_random_registers_have_the_old_bounds(world):
    _, statements = world
    assert _bounds(attack_register(statements, {}, CBS, solver="highs")) == _bounds(
        attack_register(statements, {}, CBS, solver="linprog"))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_a_first_solve_by_the_interior_point_method_has_the_old_bounds(world):
    """Large models start from HiGHS's interior point method and crossover (IPM_COLUMNS);
    here every model does."""
    _, statements = world
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_register_lp, "IPM_COLUMNS", 0)
        _register._unit_bounds.cache_clear()  # not the bounds of the simplex path
        ipm = _bounds(attack_register(statements, {}, CBS, solver="highs"))
    _register._unit_bounds.cache_clear()
    assert ipm == _bounds(attack_register(statements, {}, CBS, solver="linprog"))


def test_counts_that_contradict_each_other_are_found_by_the_interior_point_path(monkeypatch):
    from smartstart.disclosure._statements import Statement

    monkeypatch.setattr(_register_lp, "IPM_COLUMNS", 0)
    _register._unit_bounds.cache_clear()
    whole = Statement("t", 0, "n", "unit", ((1, ()),), 5.0)
    part = Statement("t", 1, "n", "unit", ((1, (("f", "in", ("a",)),)),), 8.0)
    blank = Statement("t", 2, "n", "unit", ((1, (("f", "in", ("b",)),)),), None, 9.0)
    with pytest.raises(_register.Inconsistent):
        attack_register([whole, part, blank], {}, CBS)
    _register._unit_bounds.cache_clear()
