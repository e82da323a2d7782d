"""The register's LPs on one warm-started HiGHS model give the bounds of the old path (one cold
``scipy.optimize.linprog`` per bound, its rows built afresh, not taken from the rows a run
keeps between attacks), on the demo bundle's register, on the red-team populations' profiles
and on random registers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from scipy import sparse
from scipy.optimize import linprog
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


@hs.composite
def _lps(draw):
    """An LP as the register's are built: counts of cells (``x >= 0``), their total and other
    published sums, the labels' bounds on others, and counts that are sums of others (a separator's
    count, ``x_c - sum x_j = 0``: the rows that may be substituted), with a true solution."""
    rng = np.random.default_rng(draw(hs.integers(0, 2**32 - 1)))
    truth = list(rng.integers(0, 6, draw(hs.integers(2, 8))).astype(float))
    consistency = []
    for _ in range(draw(hs.integers(1, 12))):
        parts = rng.choice(len(truth), size=int(rng.integers(1, min(4, len(truth)) + 1)),
                           replace=False)
        sign = float(rng.choice([-1, 1]))  # either way round: one column against the rest
        consistency.append({len(truth): sign, **{int(j): -sign for j in parts}})
        truth.append(float(sum(truth[j] for j in parts)))
    n, truth, cells = len(truth), np.array(truth), len(truth) - len(consistency)
    published = (rng.random((int(rng.integers(1, 5)), n)) < 0.4).astype(float)
    published[0] = np.r_[np.ones(cells), np.zeros(n - cells)]  # the total: every LP bounded
    labels = (rng.random((int(rng.integers(0, 4)), n)) < 0.3).astype(float)
    a_eq = np.zeros((len(published) + len(consistency), n))
    a_eq[:len(published)] = published
    for r, row in enumerate(consistency):
        for j, v in row.items():
            a_eq[len(published) + r, j] = v
    order = rng.permutation(len(a_eq))  # the consistency's rows anywhere among the others
    a_eq, free = a_eq[order], (order >= len(published))
    b_eq = a_eq @ truth
    b_ub = labels @ truth + rng.integers(0, 3, len(labels))
    return (sparse.csr_matrix(a_eq), b_eq, sparse.csr_matrix(labels.reshape(-1, n)), b_ub, free,
            truth, rng.integers(-3, 4, (4, n)).astype(float))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_lps())
def test_substituted_rows_leave_the_lp_as_it_was(lp):
    """The rows of the consistency that define one count by others are substituted away
    (``_register_lp.substitute``): every objective has the optimum of the LP as built (the
    reference, ``Linprog``), within 1e-6; the solution returned satisfies the rows as built;
    the duals of the rows that stay are an optimal dual solution of the LP as built (their
    value is the optimum, and no column's reduced cost is negative, within 1e-6)."""
    a_eq, b_eq, a_ub, b_ub, free, truth, objectives = lp
    a, _, _, kept, _ = _register_lp.substitute(a_eq, b_eq, a_ub, free)
    assert len(kept) < a_eq.shape[0]  # every LP drawn has rows to substitute
    new = _register_lp.Highs(a_eq, b_eq, a_ub, b_ub, free=free)
    old = _register_lp.Linprog(a_eq, b_eq, a_ub, b_ub)
    for c in objectives:
        value, x = new.solve(c)
        assert value == pytest.approx(old.solve(c)[0], abs=1e-6)
        assert np.all(x >= -1e-9) and np.allclose(a_eq @ x, b_eq, atol=1e-6)
        assert np.all(a_ub @ x <= b_ub + 1e-6) and c @ x == pytest.approx(value, abs=1e-6)
        # the rows substituted away (NaN) are the consistency's: their dual is what makes
        # the substituted column's reduced cost 0, so a dual solution exists with the others'
        dual = new.duals
        assert np.isnan(dual[:a_eq.shape[0]]).sum() == a_eq.shape[0] - len(kept)
        assert np.all(~np.isnan(dual[a_eq.shape[0]:]))
        y = np.r_[dual[:a_eq.shape[0]], dual[a_eq.shape[0]:]]
        gone = np.isnan(y)
        assert np.all(free[gone[:a_eq.shape[0]]])
        whole = sparse.vstack([a_eq, a_ub]).toarray()
        # the duals of the rows gone (their b is 0: they add nothing to the dual's value)
        # such that no column's reduced cost c - whole.T @ y is negative: an LP finds them
        rest = c - whole[~gone].T @ y[~gone]
        completed = linprog(np.zeros(gone.sum()), A_ub=whole[gone].T, b_ub=rest + 1e-7,
                            bounds=(None, None), method="highs")
        assert completed.status == 0
        assert np.all(b_eq[gone[:a_eq.shape[0]]] == 0) and np.all(y[a_eq.shape[0]:] <= 1e-9)
        kept_eq = ~gone[:a_eq.shape[0]]
        assert y[a_eq.shape[0]:] @ b_ub + y[:a_eq.shape[0]][kept_eq] @ b_eq[kept_eq] == \
            pytest.approx(value, abs=1e-6)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(worlds())
def test_the_maxima_found_in_a_process_beside_have_the_old_bounds(world):
    """Large models find the maxima in a spawned process while the minima are found here
    (``_register._beside``, BESIDE_COLUMNS); here every model with two small counts does."""
    _, statements = world
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_register, "BESIDE_COLUMNS", 0)
        _register._unit_bounds.cache_clear()
        beside = attack_register(statements, {}, CBS, solver="highs")
    _register._unit_bounds.cache_clear()
    assert _bounds(beside) == _bounds(attack_register(statements, {}, CBS, solver="linprog"))
    assert [f.binding for f in beside] == [
        f.binding for f in attack_register(statements, {}, CBS, solver="highs")]


def test_counts_that_contradict_each_other_are_found_beside(monkeypatch):
    """Counts that contradict each other stop both processes: the error is raised here."""
    from smartstart.disclosure._statements import Statement

    monkeypatch.setattr(_register, "BESIDE_COLUMNS", 0)
    _register._unit_bounds.cache_clear()
    whole = Statement("t", 0, "n", "unit", ((1, ()),), 5.0)
    part = Statement("t", 1, "n", "unit", ((1, (("f", "in", ("a",)),)),), 8.0)
    blanks = [Statement("t", 2 + i, "n", "unit", ((1, (("f", "in", (v,)),)),), None, 9.0)
              for i, v in enumerate("bc")]
    with pytest.raises(_register.Inconsistent):
        attack_register([whole, part, *blanks], {}, CBS)
    _register._unit_bounds.cache_clear()


def test_the_maxima_are_an_error_when_their_process_ends_without_an_answer():
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    other = ctx.Process(target=int)  # ends at once, says nothing
    other.start()
    other.join()
    with pytest.raises(RuntimeError, match="without an answer"):
        _register._answer(ctx.Queue(), other)
