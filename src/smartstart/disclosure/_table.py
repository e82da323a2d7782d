"""A 1-, 2- or 3-way table with all its marginal totals, and the linear relations between cells.

The one representation: an n-d array whose shape is ``(n1 + 1, ..., nk + 1)``; along every axis
the last position is the total over the categories before it. So ``values[-1, -1]`` of a 2-way
table is the grand total, ``values[i, -1]`` row ``i``'s total. A pandas table with
``margins=True``-style totals (``pd.crosstab(..., margins=True)``, a pivot table, or a Series with
a MultiIndex) is converted by :meth:`Table.from_frame`; its totals are checked against the cells.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd
from scipy import sparse

MAX_DIMENSIONS = 3


@dataclass(frozen=True, eq=False)
class Table:
    """Cell values with all marginal totals; ``labels`` hold the categories without the total."""

    values: np.ndarray
    names: tuple[str, ...]
    labels: tuple[tuple[Hashable, ...], ...]
    total: str = "Total"

    def __post_init__(self) -> None:
        values = np.array(self.values, dtype=float)
        if not 1 <= values.ndim <= MAX_DIMENSIONS:
            raise ValueError(f"a table has 1 to {MAX_DIMENSIONS} dimensions, got {values.ndim}")
        if values.shape != tuple(len(labels) + 1 for labels in self.labels):
            raise ValueError(f"shape {values.shape} does not fit {len(self.labels)} label lists "
                             "plus a total per axis")
        if len(self.names) != values.ndim:
            raise ValueError("one name per dimension is needed")
        if not np.allclose(with_margins(values[_interior(values.shape)]), values, equal_nan=True):
            raise ValueError("the totals do not add up to the cells")
        values.setflags(write=False)
        object.__setattr__(self, "values", values)

    @classmethod
    def from_array(cls, interior: np.ndarray | Sequence, names: Sequence[str] | None = None,
                   labels: Sequence[Sequence[Hashable]] | None = None,
                   total: str = "Total") -> Table:
        """Build the totals from the cells (an array without totals)."""
        cells = np.asarray(interior, dtype=float)
        names = tuple(names) if names is not None else tuple(f"dim{i}" for i in range(cells.ndim))
        if labels is None:
            labels = [range(size) for size in cells.shape]
        return cls(with_margins(cells), names, tuple(tuple(lab) for lab in labels), total)

    @classmethod
    def from_data(cls, data: pd.DataFrame, by: Sequence[str], value: str | None = None,
                  total: str = "Total") -> Table:
        """Counts (or sums of ``value``) per combination of ``by``; rows missing a key are out."""
        by = list(by)
        grouped = data.groupby(by, observed=True, dropna=True)
        cells = grouped.size() if value is None else grouped[value].sum()
        return _from_long(cells.astype(float), by, margin_labels=set(), total=total)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame | pd.Series, total: str = "All") -> Table:
        """From a pandas table, with or without ``margins=True``-style totals labelled ``total``.

        Rows, columns or MultiIndex levels are the dimensions; given totals must add up.
        """
        long = frame.stack(list(range(frame.columns.nlevels))) if isinstance(
            frame, pd.DataFrame) else frame
        if not isinstance(long.index, pd.MultiIndex):
            long.index = pd.MultiIndex.from_arrays([long.index])
        names = [str(n) if n is not None else f"dim{i}" for i, n in enumerate(long.index.names)]
        long = long.copy()
        long.index = long.index.set_names(names)
        return _from_long(long.astype(float), names, margin_labels={total, ""}, total=total)

    @property
    def ndim(self) -> int:
        return self.values.ndim

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape

    @property
    def interior(self) -> np.ndarray:
        return self.values[_interior(self.shape)]

    @property
    def structure(self) -> sparse.csr_matrix:
        """The additive relations: ``structure @ values.ravel() == 0``."""
        return relations(self.shape)

    def cell(self, position: Sequence[int]) -> tuple[Hashable, ...]:
        """Labels of one cell; the total position is labelled ``total``."""
        return tuple(self._axis_labels(axis)[i] for axis, i in enumerate(position))

    def to_frame(self, values: np.ndarray | None = None, name: str = "value") -> pd.DataFrame:
        """Wide view like ``pd.crosstab(..., margins=True)``: the last dimension as columns."""
        data = self.values if values is None else np.asarray(values)
        if data.shape != self.shape:
            raise ValueError(f"values of shape {data.shape} do not fit a table of {self.shape}")
        columns = pd.Index(self._axis_labels(self.ndim - 1), name=self.names[-1])
        if self.ndim == 1:
            return pd.DataFrame({name: data}, index=columns)
        rows = pd.MultiIndex.from_tuples(
            list(product(*(self._axis_labels(a) for a in range(self.ndim - 1)))),
            names=list(self.names[:-1]))
        if self.ndim == 2:
            rows = rows.get_level_values(0)
        return pd.DataFrame(data.reshape(-1, self.shape[-1]), index=rows, columns=columns)

    def to_long(self, values: np.ndarray | None = None, name: str = "value") -> pd.Series:
        """One row per cell (totals included), indexed by the labels of every dimension."""
        data = self.values if values is None else np.asarray(values)
        index = pd.MultiIndex.from_tuples(
            list(product(*(self._axis_labels(a) for a in range(self.ndim)))),
            names=list(self.names))
        return pd.Series(data.ravel(), index=index, name=name)

    def _axis_labels(self, axis: int) -> tuple[Hashable, ...]:
        return (*self.labels[axis], self.total)


def with_margins(interior: np.ndarray) -> np.ndarray:
    """Append the totals along every axis (totals of totals included)."""
    cells = np.asarray(interior, dtype=float)
    full = np.zeros(tuple(size + 1 for size in cells.shape))
    full[_interior(full.shape)] = cells
    for axis in range(cells.ndim):
        total = [slice(None)] * cells.ndim
        total[axis] = -1
        inner = [slice(None)] * cells.ndim
        inner[axis] = slice(0, -1)
        full[tuple(total)] = full[tuple(inner)].sum(axis=axis)
    return full


def relations(shape: Sequence[int]) -> sparse.csr_matrix:
    """One row per line of the table: the categories along an axis minus their total."""
    flat = np.arange(int(np.prod(shape))).reshape(shape)
    rows, cols, coefs = [], [], []
    offset = 0
    for axis in range(len(shape)):
        lines = np.moveaxis(flat, axis, -1).reshape(-1, shape[axis])
        line = np.arange(offset, offset + len(lines))
        rows += [np.repeat(line, shape[axis])]
        cols += [lines.ravel()]
        coefs += [np.tile(np.r_[np.ones(shape[axis] - 1), -1.0], len(lines))]
        offset += len(lines)
    return sparse.csr_matrix((np.concatenate(coefs), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(offset, flat.size))


def _interior(shape: Sequence[int]) -> tuple[slice, ...]:
    return tuple(slice(0, size - 1) for size in shape)


def _from_long(long: pd.Series, names: Sequence[str], margin_labels: set[Hashable],
               total: str) -> Table:
    keys = long.index.to_frame(index=False)
    is_margin = keys.isin([total]).any(axis=1).to_numpy() if margin_labels else np.zeros(
        len(keys), dtype=bool)
    labels = [tuple(pd.unique(keys.loc[~is_margin, n])) for n in names]
    table = Table.from_array(_fill(keys[~is_margin], long.to_numpy()[~is_margin], labels, names),
                             names, labels, total=total)
    _check_given_totals(table, keys[is_margin], long.to_numpy()[is_margin], margin_labels)
    return table


def _fill(keys: pd.DataFrame, values: np.ndarray, labels: list[tuple], names: Sequence[str]
          ) -> np.ndarray:
    cells = np.zeros(tuple(len(lab) for lab in labels))
    position = tuple(pd.Index(lab).get_indexer(keys[n]) for lab, n in zip(labels, names,
                                                                             strict=True))
    np.add.at(cells, position, np.nan_to_num(values))
    return cells


def _check_given_totals(table: Table, keys: pd.DataFrame, values: np.ndarray,
                        margin_labels: set[Hashable]) -> None:
    if not len(keys):
        return
    index = []
    for axis, name in enumerate(table.names):
        found = pd.Index(table.labels[axis]).get_indexer(keys[name])
        index.append(np.where(keys[name].isin(margin_labels), table.shape[axis] - 1, found))
    position = tuple(index)
    if any((p < 0).any() for p in position):
        raise ValueError("a total row or column names a category without cells")
    if not np.allclose(table.values[position], np.nan_to_num(values)):
        raise ValueError("the given totals do not add up to the cells")
