"""One register of what a bundle states: every published count of every output as a linear
constraint on the same underlying cells, and the attacker's LP over all of them together.

Each output's count cells are :class:`Statement`\\ s about sets of units (``_statements``). Per
unit, the variables the statements name (target group, factors, type, outcome, flagged,
decile...) span a joint table of cells; each statement is a sum of such cells. The joint table
is far too large to write down (dozens of variables), but the attacker's LP needs only the
marginal tables of the cliques of a triangulated interaction graph (variables that appear in
one statement are joined; a min-fill elimination order makes the graph chordal): locally
consistent marginals of a junction tree always extend to a joint table, so the LP over the
clique tables (with equal separator margins) gives the same bounds as the LP over the joint.

For every blank count the attacker minimises and maximises it given every published count of
every output (identical variables of the factor library as one: ``same_as``), the labels'
bounds (``<10``: at most 9; ``x`` on a count: at least 10, as the gate labels them), and
nonnegativity; the bounds are rounded inwards (counts are
whole). A blank count whose interval does not reach 1 (0 when zeros are disclosive) and
``min_cell - 1`` is narrowed: the outputs together say more than its label.

What it knows beyond the counts: a wijk lies in one municipality and a buurt in one wijk, as
CBS's area codes say (``NESTED_PLACES``); the cells of a clique table that would put a wijk in
another municipality are left out of the LP (fewer columns, and the attacker's bounds are at
least as tight). Where the codes do not nest that way, the counts contradict it and the LP is
solved again without it.

What the register does not know (so an attacker who knows it may do better): other structural
zeros between variables (a type exists only in the target group; flagged follows the deciles),
and statistics that are not counts (coefficients, AUC: the precision rule covers those).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse

from smartstart.disclosure._options import settings_of, too_narrow
from smartstart.disclosure._register_lp import SOLVERS, Infeasible, Unsolved
from smartstart.disclosure._register_model import (  # noqa: F401 - _ROWS: the tests clear it
    _ROWS,
    MISSING,
    OTHER,
    _cliques,
    _Tables,
)
from smartstart.disclosure._statements import KNOWN, Condition, Statement

TOLERANCE = 1e-6
#: from this many columns of the model as built (before ``_register_lp.substitute``) the maxima
#: are found in a spawned process while this one finds the minima (``_beside``)
BESIDE_COLUMNS = 50_000
#: a row's dual value below this is none: the row does not bind (HiGHS's are 0 exactly there)
DUAL_ZERO = 1e-9


@dataclass(frozen=True)
class Finding:
    """A blank count and the attacker's interval over the whole register."""

    statement: Statement
    lower: float
    upper: float
    narrowed: bool
    #: of a narrowed count, its own output and those whose counts or labels bind its narrowed
    #: bound(s) in the attacker's LP (a row with a dual value): an output outside it, left
    #: out, leaves every such bound where it is (the LP's dual solution stays feasible with
    #: the same value), so only these can end the narrowing by their absence
    binding: frozenset[str] | None = None


class Inconsistent(ValueError):
    """The published counts contradict each other (or their declared meaning)."""


def attack_register(statements: Sequence[Statement],
                    same: Mapping[tuple[str, str], tuple[str, str]] | None = None,
                    settings: object | None = None,
                    within: Mapping[tuple[str, str], tuple[str, str]] | None = None,
                    *, solver: str = "highs", only: frozenset[str] | None = None
                    ) -> list[Finding]:
    """The attacker's interval of every small blank statement (labelled ``<10``: a blank
    labelled ``x`` is not small itself and need not stay vague), unit by unit. ``same``:
    identical levels (``same_as``); ``within``: nested levels, (factor, level) -> (factor,
    level) every such unit has too (the attacker knows the factor definitions). ``solver``:
    ``highs`` (one warm-started model per unit) or ``linprog`` (one cold LP per bound, the
    reference). ``only``: the small blank statements to bound, by ``Statement.where`` (None:
    all; the others are constraints all the same)."""
    from smartstart.disclosure._sections import one_per_kind

    s = settings_of(settings)
    same = _identities(same or {})
    found: list[Finding] = []
    statements = one_per_kind(statements)
    units = sorted({st.unit for st in statements})
    for unit in units:
        mine = [_canonical(st, same) for st in statements if st.unit == unit]
        mine += _nested(mine, within or {}, unit)
        if any(st.value is None and np.isfinite(st.upper)
               and (only is None or st.where in only) for st in mine):
            found += _attack_unit(mine, s, solver, only)
    return found


def _nested(statements: Sequence[Statement], within: Mapping[tuple[str, str], tuple[str, str]],
            unit: str) -> list[Statement]:
    """A zero count per nested pair whose factors both appear: units with the inner level
    but without the outer one."""
    named = {var for st in statements for _, conds in st.terms for var, _, _ in conds}
    out = []
    for (inner, level), (outer, its) in within.items():
        if inner in named and outer in named:
            conds = ((inner, "in", (_spelled(level),)), (outer, "not", (_spelled(its),)))
            out.append(Statement("factors.yaml", 0, f"{inner} within {outer}", unit,
                                 ((1, conds),), 0.0))
    return out


def _spelled(level: str) -> str:
    return {"True": "1", "False": "0", "Total": KNOWN}.get(level, level)


def _identities(same: Mapping[tuple[str, str], tuple[str, str]]
                ) -> dict[str, tuple[str, dict[str, str]]]:
    """factor -> (its twin, {value: twin's value}) from ``same_as`` (``True``/``Total``)."""
    out: dict[str, tuple[str, dict[str, str]]] = {}
    for (factor, level), (other, its) in same.items():
        mapped, target = _spelled(level), _spelled(its)
        out.setdefault(factor, (other, {}))[1][mapped] = target
    return out


def _canonical(st: Statement, same: Mapping[str, tuple[str, dict[str, str]]]) -> Statement:
    def one(c: Condition) -> Condition:
        var, op, values = c
        if var in same and all(v in same[var][1] for v in values):
            twin, mapping = same[var]
            return (twin, op, tuple(mapping[v] for v in values))
        return c

    terms = tuple((sign, tuple(one(c) for c in conds)) for sign, conds in st.terms)
    return Statement(st.output, st.row, st.column, st.unit, terms, st.value, st.upper, st.lower)


def _domains(statements: Sequence[Statement]) -> dict[str, list[str]]:
    named: dict[str, set[str]] = {}
    known: set[str] = set()
    for st in statements:
        for _, conds in st.terms:
            for var, _, values in conds:
                named.setdefault(var, set()).update(v for v in values if v != KNOWN)
                if KNOWN in values:
                    known.add(var)
    out = {}
    for var, values in named.items():
        if values == {"0", "1"}:  # a binary factor: no other known value
            out[var] = ["0", "1", MISSING if var in known else OTHER]
        else:
            out[var] = sorted(values) + ([OTHER, MISSING] if var in known else [OTHER])
    return out


def _attack_unit(statements: list[Statement], s, solver: str = "highs",
                 only: frozenset[str] | None = None) -> list[Finding]:
    found = []
    for st, low, high, (by_low, by_high) in _unit_bounds(tuple(statements), solver, only):
        # pinned at 0 (the attacker's LP holds the truth, so it is 0): a true zero under a
        # small label (a rest of the group next to a small total) tells no small count when
        # zeros are not disclosive
        zero = high <= 0 and not s.zeros_disclosive
        narrowed = bool(too_narrow(low, high, s)) and not zero
        binding = None
        if narrowed:  # the bounds that say too much: each must move for the narrowing to end
            sides = [by for by, tight in ((by_low, too_narrow(low, np.inf, s)),
                                          (by_high, too_narrow(0.0, high, s))) if tight]
            if all(by is not None for by in sides):  # and its own: without it, it is gone
                binding = frozenset.intersection(*sides) | {st.output}
        found.append(Finding(st, low, high, narrowed, binding))
    return found


Binding = frozenset[str] | None
Bounds = tuple[tuple[Statement, float, float, tuple[Binding, Binding]], ...]


@lru_cache(maxsize=64)
def _unit_bounds(statements: tuple[Statement, ...], solver: str,
                 only: frozenset[str] | None = None) -> Bounds:
    """Each small blank count with its bounds, rounded inwards, and the outputs that bind each
    bound (None where a sum's LP settled it at its best). Cached: the run asks again for the
    same unit's statements while it withholds outputs, and the check once more."""
    try:
        return _bounds(statements, solver, True, only)
    except Inconsistent:  # the area codes do not nest as NESTED_PLACES says: without it
        return _bounds(statements, solver, False, only)


def _bounds(statements: tuple[Statement, ...], solver: str, nested: bool,
            only: frozenset[str] | None = None) -> Bounds:
    domains = _domains(statements) or {"~all": [OTHER]}
    tables = _Tables(_cliques(statements, sorted(domains)), domains)
    keep = ~tables.elsewhere() if nested else np.ones(tables.size, bool)
    known = [st for st in statements if st.value is not None]
    consistency = tables.consistency()
    a_eq = sparse.vstack([tables.matrix([tables.row(st.terms) for st in known]), consistency],
                         format="csr")[:, keep]
    b_eq = np.r_[[float(st.value) for st in known], np.zeros(consistency.shape[0])]  # type: ignore[arg-type]
    # rows left without a cell (most separator cells of a wijk in another municipality): 0 = 0,
    # but in the simplex's every basis; a count of units there that is not 0 contradicts it
    rows = np.diff(a_eq.indptr) > 0
    if np.any(~rows & (b_eq != 0)):
        raise Inconsistent("a count names only cells that the area codes rule out")
    a_eq, b_eq = a_eq[rows], b_eq[rows]
    blank = [st for st in statements if st.value is None]
    finite = np.flatnonzero(np.isfinite([st.upper for st in blank]))
    # which output each LP row comes from (None: the tables' consistency), as the solver's
    # duals are ordered: the equalities, then the labels' upper and lower bounds
    owners = np.array([st.output for st in known] + [None] * consistency.shape[0],
                      dtype=object)[rows].tolist() + [blank[i].output for i in finite] + [
        st.output for st in blank]
    expressions = tables.matrix([tables.row(st.terms) for st in blank])[:, keep]
    # every blank count is between what its label says: ``<10`` at most 9, ``x`` at least 10
    # (a blank ``x`` that is not small is a complement an attacker knows is not small)
    a_ub = sparse.vstack([expressions[finite], -expressions], format="csr")
    b_ub = np.r_[[blank[i].upper for i in finite], [-st.lower for st in blank]]
    small = [i for i, st in enumerate(blank) if np.isfinite(st.upper)  # ``x``: not small
             and (only is None or st.where in only)]
    # the consistency's rows may be substituted away (they are no output's, ``_register_lp``)
    model = (a_eq, b_eq, a_ub, b_ub, np.array([o is None for o in owners[:a_eq.shape[0]]], bool))
    zero, upper = np.zeros(len(blank)), -np.array([st.upper for st in blank])
    if solver == "highs" and a_eq.shape[1] >= BESIDE_COLUMNS and len(small) > 1 \
            and (os.cpu_count() or 1) > 1:
        lows, highs = _beside(model, expressions, small, blank, (zero, upper), owners)
    else:
        problem = SOLVERS[solver](*model)
        lows = _extremes(expressions, small, problem, blank, zero, owners)
        highs = _extremes(-expressions, small, problem, blank, upper, owners)
    return tuple((blank[i], float(np.ceil(lows[i][0] - TOLERANCE)),
                  float(np.floor(-highs[i][0] + TOLERANCE)), (lows[i][1], highs[i][1]))
                 for i in small)


def _beside(model: tuple, expressions: sparse.csr_matrix, small: list[int],
            blank: list[Statement], best: tuple[np.ndarray, np.ndarray],
            owners: list[str | None]) -> tuple[dict, dict]:
    """The minima here and the maxima in a spawned process, at once: on a large model each
    chain of LPs is minutes, and the two share nothing but the constraints (each process solves
    from its own first solve). An error in either (counts that contradict each other) is
    raised here, the other process stopped."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    answer = ctx.Queue()
    other = ctx.Process(target=_maxima, args=(model, -expressions, small, blank, best[1],
                                              owners, answer), daemon=True)
    other.start()
    try:
        lows = _extremes(expressions, small, SOLVERS["highs"](*model), blank, best[0], owners)
        ok, highs = _answer(answer, other)
    except BaseException:
        other.kill()
        raise
    finally:
        other.join()
    if not ok:
        raise highs
    return lows, highs


def _answer(answer, other) -> tuple[bool, object]:
    """What ``other`` put on ``answer``; an error if it ended without (killed, or out of
    memory)."""
    from queue import Empty

    while True:
        try:
            return answer.get(timeout=1)
        except Empty:
            if other.is_alive():
                continue
            try:  # it may have put its answer just before it ended
                return answer.get(timeout=1)
            except Empty:
                raise RuntimeError(f"the register's process for the maxima ended (exit code "
                                   f"{other.exitcode}) without an answer") from None


def _maxima(model: tuple, negated: sparse.csr_matrix, small: list[int],
            blank: list[Statement], best: np.ndarray, owners: list[str | None],
            answer) -> None:
    """``_beside``'s other process: the maxima (the minima of the negated counts), or the
    error that stopped them."""
    from smartstart._exit import worker_start

    worker_start()
    try:
        answer.put((True, _extremes(negated, small, SOLVERS["highs"](*model), blank, best,
                                    owners)))
    except Exception as error:  # noqa: BLE001 - sent to the parent, which raises it
        answer.put((False, error))


def _extremes(expressions: sparse.csr_matrix, cells: list[int], problem,
              blank: list[Statement], best: np.ndarray, owners: list[str | None]
              ) -> dict[int, tuple[float, Binding]]:
    """The minimum of each cell's expression, and the outputs whose rows have a dual value in
    its own LP (None when a sum's LP settled it). Most cells reach the best value they could
    (0 from below, their label's bound from above) all at once: an LP on the sum of the cells
    not yet settled settles every cell at its best in its solution; repeated while that
    settles a quarter of them, then one LP per cell left (far fewer LPs than one per cell and
    bound). On a large model a sum's LP takes many pivots from the last basis where one cell's
    takes a few: a sum that settles few cells costs more than their own LPs."""
    found: dict[int, tuple[float, Binding]] = {}
    left = list(cells)
    while len(left) > 1:
        objective = np.asarray(expressions[left].sum(axis=0)).ravel()
        x = _lp(problem, objective, blank[left[0]])[1]
        values = expressions[left] @ x
        settled = [i for i, v in zip(left, values, strict=True) if v <= best[i] + TOLERANCE]
        found.update({i: (float(best[i]), None) for i in settled})
        few = 4 * len(settled) < len(left)
        left = [i for i in left if i not in found]
        if few:
            break
    for i in left:
        value = _lp(problem, expressions[i].toarray().ravel(), blank[i])[0]
        duals = np.flatnonzero(np.abs(problem.duals) > DUAL_ZERO)
        found[i] = (value, frozenset(owners[r] for r in duals) - {None})
    return found


def _lp(problem, objective: np.ndarray, st: Statement) -> tuple[float, np.ndarray]:
    """One LP on the unit's model (``_register_lp``). One separable LP of all cells at once,
    as ``attack`` does for single tables, was four times slower than one LP per cell on the
    demo's register."""
    try:
        return problem.solve(objective)
    except Infeasible:
        raise Inconsistent(f"the published counts contradict each other (found while "
                           f"bounding {st.where})") from None
    except Unsolved as error:  # a bound unknown (anything else is a bug, and propagates)
        raise Unsolved(f"the register's LP for {st.where} failed: {error}") from None


def register_of(tables: Iterable[tuple[str, object, Mapping[str, object] | None,
                                       Mapping[tuple[int, str], str]]],
                settings: object | None = None) -> list[Statement]:
    """The statements of every table: (name, frame as published, its ``Rules.cells``, the
    labels of its blank cells by (row position, column)). Tables without cells state none.
    Every declaration that cannot be read is named at once (``Undeclared``)."""
    from smartstart.disclosure._statements import Undeclared, declaration_problems, statements_of

    s = settings_of(settings)
    tables = [t for t in tables if t[2]]
    problems = [p for name, frame, cells, _ in tables
                for p in declaration_problems(name, frame, cells)]
    if problems:
        raise Undeclared("; ".join(problems))
    out: list[Statement] = []
    for name, frame, cells, labels in tables:
        out += statements_of(name, frame, cells, labels, s.min_cell)  # type: ignore[arg-type]
    return out
