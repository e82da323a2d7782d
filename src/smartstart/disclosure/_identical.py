"""The same variable twice: cells that the factor definitions declare identical are one cell.

``rent_allowance`` is tenure level "rented with allowance" (``factors.yaml``: ``same_as``), so a
profile that shows both shows one count twice. Protected per factor, one copy could be
suppressed and the other published (24 - 15 = 9). Here the tables of a frame that share such a
cell are protected together: one system of relations (each table's margins) plus an equality
per identical pair, so the secondary suppression and the attacker's LP both know the copies are
equal; a cell published elsewhere (``fixed``) makes its copy fixed too; and afterwards the copies
get one status (a copy of a suppressed cell is suppressed). The attacker's intervals logged for
the cells are those of the joint system.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from smartstart.disclosure._attack import Intervals, attack
from smartstart.disclosure._protect import ProtectedTable
from smartstart.disclosure._suppress import Pattern, find_pattern

#: a level as the tables of a frame spell it -> as ``factors.yaml`` does
SPELLING = {"yes": "True", "no": "False", "true": "True", "false": "False"}

Same = Mapping[tuple[str, str], tuple[str, str]]
Pair = tuple[tuple[int, int], tuple[int, int]]  # (table, flat cell) twice


def declared() -> dict[tuple[str, str], tuple[str, str]]:
    """The identities of the factor library (empty when it cannot be read)."""
    try:
        from smartstart.features import identical_levels
    except ImportError:  # pragma: no cover - the library is part of the package
        return {}
    return identical_levels()


def nested() -> dict[tuple[str, str], tuple[str, str]]:
    """The nested levels of the factor library (``within``; empty when it cannot be read)."""
    try:
        from smartstart.features import nested_levels
    except ImportError:  # pragma: no cover - the library is part of the package
        return {}
    return nested_levels()


def _level(label: Hashable, total: str) -> str:
    text = str(label)
    return "Total" if text == total else SPELLING.get(text.lower(), text)


def identical_pairs(tables: Sequence[object], same: Same) -> list[Pair]:
    """Pairs of (table index, flat cell index) that hold the same count: the declared level of
    one factor's table and its twin in another table of the frame, group by group (the second
    axis is matched by label). ``tables``: objects with a ``.table`` (:class:`Table`)."""
    where: dict[str, int] = {}
    for k, e in enumerate(tables):
        t = e.table  # type: ignore[attr-defined]
        if t.ndim == 2:
            where.setdefault(str(t.names[0]), k)
    pairs: list[Pair] = []
    for (factor, level), (other, its) in same.items():
        if factor not in where or other not in where:
            continue
        a, b = tables[where[factor]].table, tables[where[other]].table  # type: ignore[attr-defined]
        rows_a = [_level(v, a.total) for v in (*a.labels[0], a.total)]
        rows_b = [_level(v, b.total) for v in (*b.labels[0], b.total)]
        if level not in rows_a or its not in rows_b:
            continue
        i, i2 = rows_a.index(level), rows_b.index(its)
        cols_b = [str(v) for v in (*b.labels[1], b.total)]
        for j, label in enumerate((*a.labels[1], a.total)):
            if str(label) in cols_b:
                j2 = cols_b.index(str(label))
                pairs.append(((where[factor], int(np.ravel_multi_index((i, j), a.shape))),
                              (where[other], int(np.ravel_multi_index((i2, j2), b.shape)))))
    return pairs


def components(count: int, pairs: Sequence[Pair]) -> list[list[int]]:
    """Groups of tables linked by identical cells (each table alone when linked to none)."""
    parent = list(range(count))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for (a, _), (b, _) in pairs:
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for k in range(count):
        groups.setdefault(root(k), []).append(k)
    return list(groups.values())


@dataclass(frozen=True, eq=False)
class JointTable(ProtectedTable):
    """One table of a joint protection: its intervals are the joint system's."""

    joint: Intervals | None = None

    def intervals(self) -> Intervals:
        assert self.joint is not None
        return self.joint


@dataclass(frozen=True)
class Joint:
    """The tables of one component as one system: values, relations, identical cells."""

    values: np.ndarray
    structure: sparse.csr_matrix
    offsets: np.ndarray
    twins: np.ndarray  # (k, 2) flat indices into ``values``

    @classmethod
    def of(cls, tables: Sequence[object], pairs: Sequence[Pair]) -> Joint:
        sizes = [int(np.prod(e.table.shape)) for e in tables]  # type: ignore[attr-defined]
        offsets = np.r_[0, np.cumsum(sizes)]
        values = np.concatenate([e.table.values.ravel() for e in tables])  # type: ignore
        twins = np.array([[offsets[a] + i, offsets[b] + j] for (a, i), (b, j) in pairs],
                         dtype=int).reshape(-1, 2)
        rows = sparse.block_diag([e.table.structure for e in tables])  # type: ignore
        equal = sparse.csr_matrix((np.tile([1.0, -1.0], len(twins)),
                                   (np.repeat(np.arange(len(twins)), 2), twins.ravel())),
                                  shape=(len(twins), len(values)))
        return cls(values, sparse.vstack([rows, equal]).tocsr(), offsets, twins)

    def split(self, flat: np.ndarray, k: int, shape: tuple[int, ...]) -> np.ndarray:
        return flat[self.offsets[k]:self.offsets[k + 1]].reshape(shape)

    def same_status(self, suppressed: np.ndarray) -> np.ndarray:
        """A copy of a suppressed cell is suppressed too (repeated: chains of copies)."""
        out = suppressed.copy()
        for _ in range(len(self.twins) + 1):
            either = out[self.twins[:, 0]] | out[self.twins[:, 1]]
            if (either == out[self.twins[:, 0]]).all() and (either == out[self.twins[:, 1]]
                                                             ).all():
                break
            out[self.twins[:, 0]] = either
            out[self.twins[:, 1]] = either
        return out


def protect_joint(tables: Sequence[object], pairs: Sequence[Pair], primary: Sequence[np.ndarray],
                  fixed: Sequence[np.ndarray], settings, narrowed) -> list[ProtectedTable]:
    """Primary and secondary suppression of linked tables as one system, with the same last
    resorts as one table (block, then withheld); ``narrowed(intervals, primary)`` says whether
    a primary cell is pinned down."""
    s = settings
    joint = Joint.of(tables, pairs)
    first = np.concatenate([np.asarray(p, bool).ravel() for p in primary])
    still = np.concatenate([np.asarray(f, bool).ravel() for f in fixed])
    if len(joint.twins):  # a copy of a cell published elsewhere is published too
        both = still[joint.twins[:, 0]] | still[joint.twins[:, 1]]
        still[joint.twins[:, 0]] = both
        still[joint.twins[:, 1]] = both
        still &= ~first
    level = float(s.min_cell)
    low = np.where(first, 0.0, level)
    high = np.where(first, level - 1.0, np.inf)
    pattern = find_pattern(joint.values, joint.structure, first, level, level, low, high,
                           fixed=still)
    hidden = joint.same_status(pattern.suppressed)
    method = pattern.method
    found = _intervals(joint, hidden, low, high)
    status: dict[str, object] = {}
    if first.any() and narrowed(found, first):
        hidden = joint.same_status(first | (~still & (joint.values > 0)))
        method, status = "block", {"block": True}
        found = _intervals(joint, hidden, low, high)
        if narrowed(found, first):
            hidden = first | ~still
            method, status = "withheld", {"withheld": True}
            low, high = np.zeros_like(low), np.full_like(high, np.inf)
            found = _intervals(joint, hidden, low, high)
    out: list[ProtectedTable] = []
    for k, e in enumerate(tables):
        t = e.table  # type: ignore[attr-defined]
        first_k, hidden_k = joint.split(first, k, t.shape), joint.split(hidden, k, t.shape)
        mine = Pattern(first_k, hidden_k & ~first_k, np.full(t.shape, level),
                       np.full(t.shape, level), joint.split(low, k, t.shape),
                       joint.split(high, k, t.shape), float(pattern.cost), method)
        intervals = Intervals(joint.split(found.lower, k, t.shape),
                              joint.split(found.upper, k, t.shape), hidden_k)
        out.append(JointTable(t, mine, (), np.full(t.shape, "", dtype=object),
                              np.full(t.shape, "", dtype=object), None, s,
                              {"level": level, "labels": "small", "joint": len(tables),
                               **status}, joint=intervals))
    return out


def _intervals(joint: Joint, hidden: np.ndarray, low: np.ndarray, high: np.ndarray
               ) -> Intervals:
    return attack(np.where(hidden, np.nan, joint.values), hidden, joint.structure, low, high)
