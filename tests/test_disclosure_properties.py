"""Property tests: no primary cell of a protected table can be recovered by the attacker.

Hypothesis generates count tables with all their margins (1-, 2- and 3-way, many small cells
and zeros), protects them with every method and labelling, and the attacker reads only what is
published (the text: numbers, ``<10``, ``x``) plus what the exported record says (which hidden
cells are primary, so below ``min_cell``, and which secondary, so at least ``min_cell``) and
solves its LPs. Each primary cell must keep an interval reaching ``a - level`` and
``a + level`` (``level`` = the protection level, default ``min_cell``), capped only by what
that knowledge alone already gives away.

``SMARTSTART_DISCLOSURE_EXAMPLES`` sets the number of generated tables over all these tests
(default 10,000); ``SMARTSTART_DISCLOSURE_WORKERS`` the processes that protect and attack
(default: the CPUs available, at most 2). Each hypothesis example is a batch of tables.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections import Counter

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartstart.disclosure import Settings, Table, attack, protect_counts

TOTAL = int(os.environ.get("SMARTSTART_DISCLOSURE_EXAMPLES", "10000"))
WORKERS = int(os.environ.get("SMARTSTART_DISCLOSURE_WORKERS",
                             str(min(2, len(os.sched_getaffinity(0))))))
BATCH = 20
SHARE = {"one_way": 0.15, "two_way": 0.5, "three_way": 0.1, "sound": 0.2, "cost": 0.05}
EPS = 1e-6

CELL = st.one_of(st.just(0), st.integers(1, 9), st.integers(10, 30), st.integers(31, 400))
METHODS = ("auto", "optimal", "sequential", "fast")
COUNTED: Counter[str] = Counter()


def _examples(name: str) -> int:
    return max(1, math.ceil(TOTAL * SHARE[name] / BATCH))


def _run(name: str, **extra):
    return settings(max_examples=_examples(name), deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                    **extra)


@st.composite
def count_tables(draw, dims: int, sides: tuple[int, int]) -> list:
    shape = [draw(st.integers(*sides)) for _ in range(dims)]
    cells = draw(st.lists(CELL, min_size=math.prod(shape), max_size=math.prod(shape)))
    return np.reshape(cells, shape).tolist()


@st.composite
def specs(draw, dims: int, sides: tuple[int, int], methods: tuple[str, ...] = METHODS) -> tuple:
    return (draw(count_tables(dims, sides)), draw(st.sampled_from(["small", "uniform"])),
            draw(st.booleans()), draw(st.one_of(st.none(), st.integers(1, 12))),
            draw(st.sampled_from(methods)), draw(st.sampled_from([10, 10, 5, 3])))


@pytest.fixture(scope="module")
def pool():
    if WORKERS < 2:
        yield None
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        context.set_forkserver_preload(["smartstart.disclosure"])
    with context.Pool(WORKERS) as workers:
        yield workers


@pytest.fixture(scope="module", autouse=True)
def _report():
    started = time.perf_counter()
    yield
    print(f"\ndisclosure properties: {sum(COUNTED.values())} tables {dict(COUNTED)} "
          f"in {time.perf_counter() - started:.1f} s on {WORKERS} workers")


def _map(pool, function, batch: list) -> list:
    return pool.map(function, batch, chunksize=max(1, len(batch) // (2 * WORKERS))) if pool \
        else [function(item) for item in batch]


def _check_batch(pool, name: str, batch: list) -> None:
    failures = [f for f in _map(pool, unrecoverable, batch) if f is not None]
    COUNTED[name] += len(batch)
    assert failures == []


# what the attacker sees -------------------------------------------------------------------------

def read_published(shown: np.ndarray, said_primary: np.ndarray, min_cell: int):
    """Published numbers, hidden cells and the bounds the labels and the record give away."""
    text = np.asarray(shown, dtype=object)
    hidden = np.isin(text, ["x", f"<{min_cell}"])
    numbers = np.array([np.nan if h else float(t) for t, h in zip(text.ravel(), hidden.ravel(),
                                                                   strict=True)])
    low = np.where(hidden & ~said_primary, float(min_cell), 0.0)
    high = np.where(said_primary | (text == f"<{min_cell}"), min_cell - 1.0, np.inf)
    return numbers.reshape(text.shape), hidden, low, high


def unrecoverable(spec: tuple) -> str | None:
    """None when every primary cell keeps its interval; else what went wrong."""
    cells, labels, zeros, level, method, min_cell = spec
    table = Table.from_array(np.array(cells, dtype=float))
    values = table.values
    protected = protect_counts(table, Settings(min_cell=min_cell, zeros_disclosive=zeros),
                               protection=level, labels=labels, method=method)
    said_primary = protected.pattern.primary  # what the exported record tells
    numbers, hidden, low, high = read_published(protected.labels, said_primary, min_cell)
    primary = ((values > 0) & (values < min_cell)) | (zeros & (values == 0))
    if not hidden[primary].all() or not np.array_equal(numbers[~hidden], values[~hidden]) \
            or not np.array_equal(said_primary, primary):
        return f"primary cell published or wrong number: {spec}"
    if labels == "small" and not np.array_equal(protected.labels == f"<{min_cell}", primary):
        return f"labels do not match the primary cells: {spec}"
    if not primary.any():
        return None
    need_low, need_high = _required(table, primary, min_cell, level)
    got = attack(numbers, hidden, table, low, high, cells=primary)
    upper, lower = np.floor(got.upper + EPS), np.ceil(got.lower - EPS)
    fine = (upper >= need_high - EPS) & (lower <= need_low + EPS)
    return None if fine[primary].all() else f"recoverable: {spec}"


def _required(table: Table, primary: np.ndarray, min_cell: int, level: int | None
              ) -> tuple[np.ndarray, np.ndarray]:
    """a -/+ level, capped by the attacker's interval if everything that may hide were hidden
    (an empty cell that is not primary is published: it cannot hide among cells of 10 or more)."""
    values = table.values
    level = min_cell if level is None else level
    may_hide = primary | (values >= min_cell)
    low = np.where(primary, 0.0, float(min_cell))
    high = np.where(primary, min_cell - 1.0, np.inf)
    widest = attack(values, may_hide, table, low, high, cells=primary)
    cap_high, cap_low = np.floor(widest.upper + EPS), np.ceil(widest.lower - EPS)
    return np.maximum(values - level, cap_low), np.minimum(values + level, cap_high)


def attacker_is_sound(spec: tuple) -> str | None:
    """The true value always lies in the attacker's interval; a cell alone in a line is exact."""
    cells, seed = spec
    table = Table.from_array(np.array(cells, dtype=float))
    rng = np.random.default_rng(seed)
    hidden = rng.random(table.shape) < rng.uniform(0.1, 0.9)
    got = attack(np.where(hidden, np.nan, table.values), hidden, table)
    inside = (got.lower <= table.values + EPS) & (got.upper >= table.values - EPS)
    if not inside.all():
        return f"true value outside the interval: {spec}"
    lone = _alone_in_a_line(hidden)
    exact = np.abs(got.upper - got.lower) <= EPS
    return None if exact[lone].all() else f"a lone cell not recovered: {spec}"


def _alone_in_a_line(hidden: np.ndarray) -> np.ndarray:
    lone = np.zeros_like(hidden)
    for axis in range(hidden.ndim):
        count = hidden.sum(axis=axis, keepdims=True)
        lone |= hidden & (count == 1)
    return lone


def cheapest(spec: tuple) -> str | None:
    """The optimal pattern never costs more than the sequential or the fast one."""
    cells, labels = spec
    table = Table.from_array(np.array(cells, dtype=float))
    costs = {m: protect_counts(table, labels=labels, method=m).pattern.cost
             for m in ("optimal", "sequential", "fast")}
    ok = costs["optimal"] <= min(costs["sequential"], costs["fast"]) + 1e-6
    return None if ok else f"optimal costs more: {costs} {spec}"


# the properties ---------------------------------------------------------------------------------

@_run("one_way")
@given(st.lists(specs(1, (2, 8)), min_size=BATCH, max_size=BATCH))
def test_one_way_tables_keep_every_primary_cell_hidden(pool, batch):
    _check_batch(pool, "one_way", batch)


@_run("two_way")
@given(st.lists(specs(2, (2, 5)), min_size=BATCH, max_size=BATCH))
def test_two_way_tables_keep_every_primary_cell_hidden(pool, batch):
    _check_batch(pool, "two_way", batch)


@_run("three_way")
@given(st.lists(specs(3, (2, 3), ("auto", "fast", "fast")), min_size=BATCH, max_size=BATCH))
def test_three_way_tables_keep_every_primary_cell_hidden(pool, batch):
    _check_batch(pool, "three_way", batch)


@_run("sound")
@given(st.lists(st.tuples(st.integers(1, 3).flatmap(lambda d: count_tables(d, (2, 4))),
                          st.integers(0, 2**32 - 1)), min_size=BATCH, max_size=BATCH))
def test_the_attacker_never_excludes_the_truth(pool, batch):
    failures = [f for f in _map(pool, attacker_is_sound, batch) if f is not None]
    COUNTED["sound"] += len(batch)
    assert failures == []


@_run("cost")
@given(st.lists(st.tuples(count_tables(2, (2, 4)), st.sampled_from(["small", "uniform"])),
                min_size=BATCH, max_size=BATCH))
def test_the_optimal_pattern_is_the_cheapest(pool, batch):
    failures = [f for f in _map(pool, cheapest, batch) if f is not None]
    COUNTED["cost"] += len(batch)
    assert failures == []


def test_the_example_count_reaches_the_total():
    planned = sum(_examples(name) * BATCH for name in SHARE)
    assert planned >= TOTAL


def test_a_table_highs_presolve_called_infeasible_is_still_attacked():
    # found by this file's three-way property under scipy 1.16.2 (the pinned set): HiGHS's
    # presolve called the attacker's problem infeasible although the true table solves it
    spec = ([[[191, 9, 0], [166, 5, 0], [20, 0, 0]], [[2, 29, 0], [6, 96, 157], [340, 2, 4]],
             [[3, 0, 0], [5, 0, 212], [0, 7, 3]]], "uniform", False, None, "fast", 10)
    assert unrecoverable(spec) is None
