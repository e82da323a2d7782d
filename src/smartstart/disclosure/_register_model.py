"""The register's model of one unit (``_register``): the interaction graph of the variables that
the statements name, triangulated into the cliques of a junction tree, and the clique tables'
cells as the LP's columns, with a statement's row over them and the tables' consistency.
Cells that put a wijk or buurt in another municipality than its code names are not there
(``NESTED_PLACES``: the attacker knows CBS's area codes)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

import numpy as np
from scipy import sparse

from smartstart.disclosure._statements import KNOWN, Condition, Statement

#: a variable's value that no statement names (and its missing values)
OTHER = "~other"
MISSING = "~missing"
#: statements' rows kept between attacks (cleared when full), by clique signature and terms
ROWS_KEPT = 200_000
_ROWS: dict[tuple[int, tuple], tuple[np.ndarray, np.ndarray]] = {}
_SIGNATURES: dict[tuple, int] = {}
_NUMBERS = itertools.count()
#: places within places, by their CBS codes as the register spells them (without leading
#: zeros): a wijk's code is its municipality's and two digits, a buurt's its wijk's and two more
#: (inner, outer, the inner code divided by this is the outer code)
NESTED_PLACES = (("wijk", "gemeente", 100), ("buurt", "gemeente", 10_000), ("buurt", "wijk", 100))


def _allowed(condition: Condition, domain: list[str]) -> np.ndarray:
    return _allowed_in(condition, tuple(domain))


@lru_cache(maxsize=4096)
def _allowed_in(condition: Condition, domain: tuple[str, ...]) -> np.ndarray:
    var, op, values = condition
    if KNOWN in values:
        hit = np.array([v != MISSING for v in domain])
    else:
        hit = np.isin(domain, list(values))
    out = ~hit if op == "not" else hit
    out.flags.writeable = False  # shared by the cache
    return out


def _strides(shape: tuple[int, ...]) -> list[int]:
    """How far one step along each axis moves in a table of ``shape`` laid out in C order."""
    return [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape))]


def _cliques(statements: Sequence[Statement], variables: list[str]
             ) -> list[tuple[list[str], int | None]]:
    """Cliques of a min-fill triangulation of the interaction graph, each with its parent in a
    junction tree (None for a root): elimination cliques with the running intersection
    property."""
    index = {v: i for i, v in enumerate(variables)}
    adjacent: list[set[int]] = [set() for _ in variables]
    for st in statements:
        members = sorted({index[var] for _, conds in st.terms for var, _, _ in conds})
        for a in members:
            adjacent[a].update(b for b in members if b != a)
    for inner, outer, _ in NESTED_PLACES:  # in one clique, where the nesting is known
        if inner in index and outer in index:
            adjacent[index[inner]].add(index[outer])
            adjacent[index[outer]].add(index[inner])
    left = set(range(len(variables)))
    order: list[int] = []
    elimination: list[set[int]] = []
    while left:
        best = min(left, key=lambda v: (_fill(adjacent, v, left), len(adjacent[v] & left), v))
        near = adjacent[best] & left
        for a in near:
            adjacent[a].update(near - {a})
        elimination.append({best} | near)
        order.append(best)
        left.discard(best)
    position = {v: k for k, v in enumerate(order)}
    cliques = []
    for k, clique in enumerate(elimination):
        rest = clique - {order[k]}
        parent = min((position[v] for v in rest), default=None)
        cliques.append(([variables[v] for v in sorted(clique, key=position.__getitem__)],
                        parent))
    return _maximal(cliques)


def _fill(adjacent: list[set[int]], v: int, left: set[int]) -> int:
    near = list(adjacent[v] & left)
    return sum(1 for i, a in enumerate(near) for b in near[i + 1:] if b not in adjacent[a])


def _maximal(cliques: list[tuple[list[str], int | None]]) -> list[tuple[list[str], int | None]]:
    """Drop cliques contained in their parent (the parent's parent takes their children)."""
    keep = list(range(len(cliques)))
    parent = {k: p for k, (_, p) in enumerate(cliques)}
    for k in range(len(cliques) - 1, -1, -1):
        p = parent[k]
        if p is not None and set(cliques[k][0]) <= set(cliques[p][0]):
            keep.remove(k)
            for c in keep:
                if parent[c] == k:
                    parent[c] = p
    renumber = {k: i for i, k in enumerate(keep)}
    return [(cliques[k][0], None if parent[k] is None else renumber[parent[k]]) for k in keep]


class _Tables:
    """The clique tables' cells as LP columns."""

    def __init__(self, cliques: list[tuple[list[str], int | None]],
                 domains: Mapping[str, list[str]]):
        self.cliques = cliques
        self.domains = domains
        self.offsets = []
        self._shapes = [tuple(len(domains[v]) for v in variables) for variables, _ in cliques]
        # per clique, each member's axis: where a condition on it broadcasts
        self._axes = [{v: i for i, v in enumerate(variables)} for variables, _ in cliques]
        size = 0
        for shape in self._shapes:
            self.offsets.append(size)
            size += int(np.prod(shape))
        self.size = size
        self._homes: dict[frozenset[str], int] = {}
        self._signatures: list[int | None] = [None] * len(cliques)

    def shape(self, k: int) -> tuple[int, ...]:
        return self._shapes[k]

    def home(self, variables: frozenset[str]) -> int:
        found = self._homes.get(variables)
        if found is None:
            found = next((k for k, (members, _) in enumerate(self.cliques)
                          if variables <= set(members)), None)
            if found is None:  # a triangulation bug
                raise AssertionError(f"no clique holds {sorted(variables)}")
            self._homes[variables] = found
        return found

    def row(self, terms: Iterable[tuple[int, tuple[Condition, ...]]]
            ) -> tuple[np.ndarray, np.ndarray]:
        terms = tuple(terms)
        k = self.home(frozenset(var for _, conds in terms for var, _, _ in conds))
        key = (self._signature(k), terms)
        local = _ROWS.get(key)
        if local is None:
            local = self._local_row(k, terms)
            if len(_ROWS) >= ROWS_KEPT:
                _ROWS.clear()
            _ROWS[key] = local
        return local[0] + self.offsets[k], local[1]

    def _signature(self, k: int) -> int:
        """A number for clique ``k``'s variables and their domains: a statement's row over a
        clique with the same signature is the same row (a run attacks its register many
        times over, an output fewer each time)."""
        number = self._signatures[k]
        if number is None:
            members = self.cliques[k][0]
            whole = (tuple(members), tuple(tuple(self.domains[v]) for v in members))
            number = _SIGNATURES.get(whole)
            if number is None:
                if len(_SIGNATURES) >= ROWS_KEPT:
                    _SIGNATURES.clear()
                number = _SIGNATURES[whole] = next(_NUMBERS)  # never reused: stale is a miss
            self._signatures[k] = number
        return number

    def _local_row(self, k: int, terms: tuple) -> tuple[np.ndarray, np.ndarray]:
        """The statement's cells in clique ``k``'s table (ascending) with their coefficients,
        none of them 0."""
        if not terms:  # a statement about nothing (a hand-made bundle's): no cell
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        if len(terms) == 1 and terms[0][0]:
            sign, conds = terms[0]
            at = self._cells(k, conds)
            values = np.full(len(at), float(sign))
        else:
            cells = [self._cells(k, conds) for _, conds in terms]
            at, where = np.unique(np.concatenate(cells), return_inverse=True)
            weights = np.concatenate([np.full(len(c), float(sign))
                                      for (sign, _), c in zip(terms, cells, strict=True)])
            values = np.bincount(where, weights=weights, minlength=len(at))
            nonzero = values != 0
            at, values = at[nonzero], values[nonzero]
        at.flags.writeable = values.flags.writeable = False
        return at, values

    def _cells(self, k: int, conds: tuple[Condition, ...]) -> np.ndarray:
        """The cells of clique ``k``'s table that meet every condition, ascending: the product
        of each axis's allowed values (a condition names one variable), so its cost is the
        cells it names, not the table (a national run's clique of gemeente x wijk x target
        group has 1.7 M cells, and a dense mask per statement took 16 GiB)."""
        shape, axes = self._shapes[k], self._axes[k]
        allowed: list[np.ndarray | None] = [None] * len(shape)
        for c in conds:
            hit = _allowed(c, self.domains[c[0]])
            at = axes[c[0]]
            allowed[at] = hit if allowed[at] is None else allowed[at] & hit  # type: ignore[operator]
        picked = [np.arange(n) if a is None else np.flatnonzero(a)
                  for n, a in zip(shape, allowed, strict=True)]
        if any(len(p) == 0 for p in picked):
            return np.zeros(0, dtype=np.intp)
        grids = np.meshgrid(*picked, indexing="ij", copy=False, sparse=True)
        # the flat index of every combination, in C order: ascending as the axes are
        return np.ravel(sum(g * stride for g, stride in zip(grids, _strides(shape),
                                                             strict=True))).astype(np.intp)

    def consistency(self) -> sparse.csr_matrix:
        """Each clique's margin on its separator equals its parent's (a row per separator cell,
        in the order of its values); roots share the total."""
        rows, cols, values = [], [], []
        roots = [k for k, (_, p) in enumerate(self.cliques) if p is None]
        pairs = [(k, parent) for k, (_, parent) in enumerate(self.cliques) if parent is not None]
        count = 0
        for k, parent in pairs:
            shared = [v for v in self.cliques[k][0] if v in self.cliques[parent][0]]
            for clique, sign in ((k, 1.0), (parent, -1.0)):
                cell = self._separator(clique, shared)
                rows.append(count + cell)
                cols.append(self.offsets[clique] + np.arange(len(cell)))
                values.append(np.full(len(cell), sign))
            count += int(np.prod([len(self.domains[v]) for v in shared]))
        for k in roots[1:]:
            for clique, sign in ((k, 1.0), (roots[0], -1.0)):
                size = int(np.prod(self.shape(clique)))
                rows.append(np.full(size, count))
                cols.append(self.offsets[clique] + np.arange(size))
                values.append(np.full(size, sign))
            count += 1
        if not count:
            return sparse.csr_matrix((0, self.size))
        return sparse.csr_matrix((np.concatenate(values),
                                  (np.concatenate(rows), np.concatenate(cols))),
                                 shape=(count, self.size))

    def _separator(self, k: int, shared: list[str]) -> np.ndarray:
        """For every cell of clique ``k``'s table, the index of its values of ``shared``."""
        members, shape = self.cliques[k][0], self.shape(k)
        at = np.unravel_index(np.arange(int(np.prod(shape))), shape)
        return np.ravel_multi_index(tuple(at[members.index(v)] for v in shared),
                                    tuple(len(self.domains[v]) for v in shared))

    def elsewhere(self) -> np.ndarray:
        """The columns (cells) that put a wijk or buurt in another municipality or wijk than
        its code says (``NESTED_PLACES``): no unit is there."""
        out = np.zeros(self.size, bool)
        for k, axes in enumerate(self._axes):
            shape = self._shapes[k]
            for inner, outer, divisor in NESTED_PLACES:
                if inner not in axes or outer not in axes:
                    continue
                fits = _fits(tuple(self.domains[inner]), tuple(self.domains[outer]), divisor)
                at = np.unravel_index(np.arange(int(np.prod(shape))), shape)
                out[self.offsets[k]:self.offsets[k] + len(at[0])] |= ~fits[at[axes[inner]],
                                                                           at[axes[outer]]]
        return out

    def matrix(self, rows: Sequence[tuple[np.ndarray, np.ndarray]]) -> sparse.csr_matrix:
        """Rows given as (columns, values) as one sparse matrix."""
        if not rows:
            return sparse.csr_matrix((0, self.size))
        index = np.concatenate([np.full(len(c), i) for i, (c, _) in enumerate(rows)])
        return sparse.csr_matrix((np.concatenate([v for _, v in rows]),
                                  (index, np.concatenate([c for c, _ in rows]))),
                                 shape=(len(rows), self.size))


def _fits(inner: tuple[str, ...], outer: tuple[str, ...], divisor: int) -> np.ndarray:
    """Which inner place can lie in which outer one (rows: inner values, columns: outer): a
    coded inner place in the outer place its code names, or in ``OTHER`` when that one is not
    named; ``OTHER``, ``MISSING`` and any value that is not a code fit anywhere."""
    def code(value: str) -> int | None:
        return int(value) if value.isdigit() else None

    named = {code(v) for v in outer} - {None}
    fits = np.ones((len(inner), len(outer)), bool)
    for i, value in enumerate(inner):
        mine = code(value)
        if mine is None:
            continue
        parent = mine // divisor
        for j, other in enumerate(outer):
            theirs = code(other)
            if theirs is not None:
                fits[i, j] = theirs == parent
            elif other == OTHER:
                fits[i, j] = parent not in named
    return fits
