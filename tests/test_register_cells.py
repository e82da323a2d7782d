"""A statement's row over a clique table (``_register_model._Tables``) is built from the cells
its conditions name (the product of each axis's allowed values), not from a dense mask of the
whole table: at national size a clique of gemeente x wijk x target group has 1.7 M cells and a
mask per statement took 16 GiB. The rows must be those of the dense masks, the reference
written out here with numpy broadcasting."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from smartstart.disclosure._register_model import OTHER, _allowed, _Tables


def _dense(tables: _Tables, conds) -> np.ndarray:
    shape, axes = tables.shape(0), {v: i for i, v in enumerate(tables.cliques[0][0])}
    mask = np.ones(shape, dtype=bool)
    for var, op, values in conds:
        line = [1] * len(shape)
        line[axes[var]] = -1
        mask &= _allowed((var, op, values), tables.domains[var]).reshape(line)
    return mask


@hs.composite
def _case(draw):
    sizes = draw(hs.lists(hs.integers(1, 5), min_size=1, max_size=4))
    domains = {f"v{i}": [str(j) for j in range(n)] + [OTHER] for i, n in enumerate(sizes)}
    names = list(domains)

    def condition(var):
        values = draw(hs.lists(hs.sampled_from(domains[var]), min_size=1, unique=True))
        return var, draw(hs.sampled_from(["in", "not"])), tuple(values)

    terms = []
    for _ in range(draw(hs.integers(1, 3))):
        named = draw(hs.lists(hs.sampled_from(names), max_size=len(names) + 1))  # repeats too
        terms.append((draw(hs.sampled_from([1, -1, 2])), tuple(condition(v) for v in named)))
    return domains, tuple(terms)


@settings(max_examples=300, deadline=None)
@given(_case())
def test_a_rows_cells_and_coefficients_are_those_of_the_dense_masks(case):
    domains, terms = case
    tables = _Tables([(list(domains), None)], domains)
    at, values = tables.row(terms)
    coefficients = np.ravel(sum(sign * _dense(tables, conds) for sign, conds in terms))
    expected = np.flatnonzero(coefficients)
    assert at.tolist() == expected.tolist()
    assert values.tolist() == coefficients[expected].astype(float).tolist()


def test_a_rows_cost_is_the_cells_it_names_not_the_table():
    # gemeente x wijk x target group at national size: 342 x 3,300 x 2 cells
    domains = {"gemeente": [f"{i}" for i in range(342)] + [OTHER],
               "wijk": [f"{i}" for i in range(3300)] + [OTHER], "target_group": ["0", "1"]}
    tables = _Tables([(list(domains), None)], domains)
    assert tables.size > 2_000_000
    at, values = tables.row(((1, (("gemeente", "in", ("7",)), ("wijk", "in", ("700", "701")),
                                  ("target_group", "in", ("1",)))),))
    wijk = len(domains["wijk"])
    assert at.tolist() == [(7 * wijk + 700) * 2 + 1, (7 * wijk + 701) * 2 + 1]
    assert values.tolist() == [1.0, 1.0]


def test_a_statement_about_nothing_has_no_cells():
    # a hand-made bundle's statement without terms: an empty row, as before (helper-45)
    domains = {"v0": ["0", OTHER]}
    at, values = _Tables([(list(domains), None)], domains)._local_row(0, ())
    assert at.tolist() == [] and values.tolist() == []
