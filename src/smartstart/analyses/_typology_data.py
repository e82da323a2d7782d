"""Mixed household data as matrices: one-hot categorical blocks, standardised numbers, Gower.

Categorical and binary factors become one-hot blocks (a missing value is an all-zero row in its
block); count and numeric factors are standardised by the target group's mean and standard
deviation (a missing value is 0 with a 0 in the mask). Both the latent class model and the Gower
distance read this one encoding, so the two methods see exactly the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse


@dataclass(frozen=True)
class MixedData:
    """The encoded table: ``onehot`` (n x L) with ``blocks`` per categorical factor, ``numeric``
    (n x q, standardised, 0 where missing) with ``mask`` (1 where observed)."""

    onehot: np.ndarray
    blocks: tuple[slice, ...]
    numeric: np.ndarray
    mask: np.ndarray

    @property
    def n(self) -> int:
        return self.onehot.shape[0]

    @cached_property
    def block_matrix(self) -> np.ndarray:
        """Level x factor indicator (L x B): which categorical factor each level belongs to."""
        out = np.zeros((self.onehot.shape[1], len(self.blocks)))
        for j, block in enumerate(self.blocks):
            out[block, j] = 1.0
        return out

    @cached_property
    def level_share(self) -> np.ndarray:
        """1 / number of levels of each level's factor (L): spreads a prior over the levels."""
        sizes = self.block_matrix @ self.block_matrix.sum(axis=0)
        return 1.0 / np.maximum(sizes, 1.0)

    @cached_property
    def distinct(self) -> Distinct:
        """The numbers' distinct values per factor (what the model's densities are computed on)."""
        return Distinct.of(self.numeric, self.mask)

    def take(self, rows: np.ndarray) -> MixedData:
        """The same encoding for a subset (or bootstrap resample) of the rows."""
        out = MixedData(self.onehot[rows], self.blocks, self.numeric[rows], self.mask[rows])
        out.__dict__["distinct"] = self.distinct.take(rows)  # the same values, fewer rows
        return out


@dataclass(frozen=True)
class Distinct:
    """The observed numbers as distinct values: ``values`` (U), factor by factor (``starts``:
    where each factor's values begin; a factor never observed has one unused value), and
    ``rows`` (n x U, sparse): 1 where a household has that value observed. A density that
    depends only on the value and the type is then computed U x k times instead of n x q x k
    (counts such as household size have a handful of values) and summed per household by
    ``rows @``. ``of_rows`` is ``rows.T``, kept for the M-step's sums."""

    values: np.ndarray
    starts: np.ndarray
    factor: np.ndarray
    rows: sparse.csr_matrix
    of_rows: sparse.csr_matrix

    @classmethod
    def of(cls, numeric: np.ndarray, mask: np.ndarray) -> Distinct:
        n, q = numeric.shape
        values, starts, row_at, col_at = [], [], [], []
        for j in range(q):
            seen = mask[:, j] > 0
            distinct, where = np.unique(numeric[seen, j], return_inverse=True)
            starts.append(sum(len(v) for v in values))
            if not len(distinct):
                distinct = np.zeros(1)
            row_at.append(np.flatnonzero(seen))
            col_at.append(starts[-1] + where.ravel())
            values.append(distinct)
        size = sum(len(v) for v in values)
        rows = sparse.csr_matrix((np.ones(sum(len(r) for r in row_at)),
                                  (np.concatenate(row_at or [np.zeros(0, int)]),
                                   np.concatenate(col_at or [np.zeros(0, int)]))),
                                 shape=(n, size))
        return cls(np.concatenate(values or [np.zeros(0)]), np.array(starts, dtype=int),
                   np.repeat(np.arange(q), [len(v) for v in values]), rows, rows.T.tocsr())

    @cached_property
    def background(self) -> np.ndarray:
        """Standard normal density of each value (U x 1): "anyone's" value."""
        return (np.exp(-0.5 * self.values ** 2) / np.sqrt(2 * np.pi))[:, None]

    @cached_property
    def powers(self) -> tuple[np.ndarray, np.ndarray]:
        """The values and their squares (U x 1 each), for the M-step's sums."""
        return self.values[:, None], (self.values ** 2)[:, None]

    def take(self, rows: np.ndarray) -> Distinct:
        sub = self.rows[rows]
        return Distinct(self.values, self.starts, self.factor, sub, sub.T.tocsr())

    def per_factor(self, cells: np.ndarray) -> np.ndarray:
        """Sums over each factor's values (U x k -> q x k)."""
        if not len(self.starts):
            return np.zeros((0, cells.shape[1]))
        return np.add.reduceat(cells, self.starts, axis=0)


@dataclass(frozen=True)
class Encoding:
    """What ``fit_encoding`` learnt from a table: the levels and the centre and scale."""

    categorical: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    numeric: tuple[str, ...]
    centre: np.ndarray
    scale: np.ndarray

    def transform(self, table: pd.DataFrame) -> MixedData:
        """Encode ``table`` (not modified); unknown levels count as missing."""
        n = len(table)
        parts, blocks, start = [np.zeros((n, 0))], [], 0
        for name, found in zip(self.categorical, self.levels, strict=True):
            text = level_text(table[name])
            parts.append(np.column_stack([(text == lv).to_numpy(bool) for lv in found])
                         if found else np.zeros((n, 0)))
            blocks.append(slice(start, start + len(found)))
            start += len(found)
        values = _numbers(table, self.numeric)
        mask = ~np.isnan(values)
        standard = np.where(mask, (np.nan_to_num(values) - self.centre) / self.scale, 0.0)
        return MixedData(np.hstack(parts).astype(float), tuple(blocks), standard,
                         mask.astype(float))


def level_text(column: pd.Series) -> pd.Series:
    """Category codes as text ('1', 'True'); missing stays missing (None)."""
    # built as object on purpose: pandas 3's map infers its str dtype, where None is NaN
    return pd.Series([None if pd.isna(v) else str(v) for v in column.astype("object")],
                     index=column.index, dtype=object)


def _numbers(table: pd.DataFrame, names: tuple[str, ...]) -> np.ndarray:
    if not names:
        return np.zeros((len(table), 0))
    return table[list(names)].astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def fit_encoding(table: pd.DataFrame, categorical: list[str], numeric: list[str]) -> Encoding:
    """Levels sorted as text (deterministic); numbers centred and scaled by mean and sd."""
    levels = tuple(tuple(sorted(level_text(table[c]).dropna().unique())) for c in categorical)
    values = _numbers(table, tuple(numeric))
    seen = ~np.isnan(values)
    centre = np.array([values[seen[:, j], j].mean() if seen[:, j].any() else 0.0
                       for j in range(values.shape[1])])
    scale = np.array([values[seen[:, j], j].std() if seen[:, j].sum() > 1 else 1.0
                      for j in range(values.shape[1])])
    scale = np.where(scale > 0, scale, 1.0)
    return Encoding(tuple(categorical), levels, tuple(numeric), centre, scale)


#: up to this many households the typology holds the whole Gower matrix (about five n x n
#: arrays while it is built: 360 MB at 3,000); above it, only the columns it reads
FULL_GOWER = 3_000


class GowerColumns:
    """The Gower distance of ``data`` read a few columns at a time, never n x n: what the
    k-means++ seeds read (``distance[:, chosen]``), with the numbers' ranges of the whole data,
    so every entry equals ``gower(data)``'s. ``take(rows)`` is the distance among those rows
    (a bootstrap resample), as ``gower(data)[np.ix_(rows, rows)]`` is."""

    def __init__(self, data: MixedData, rows: np.ndarray | None = None,
                 spreads: np.ndarray | None = None) -> None:
        self.data = data
        self.rows = np.arange(data.n) if rows is None else np.asarray(rows)
        self.spreads = _spreads(data) if spreads is None else spreads

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, rows: np.ndarray) -> GowerColumns:
        return GowerColumns(self.data, self.rows[np.asarray(rows)], self.spreads)

    def __getitem__(self, key: tuple) -> np.ndarray:
        everyone, columns = key
        if everyone != slice(None):
            raise IndexError("GowerColumns reads whole columns: distance[:, columns]")
        return _gower_between(self.data, self.rows, self.rows[np.asarray(columns)],
                              self.spreads, np.asarray(columns))

    def full(self) -> np.ndarray:
        """The n x n matrix of these rows (for a sample small enough to hold)."""
        return _gower_between(self.data, self.rows, self.rows, self.spreads,
                              np.arange(len(self.rows)))


def distance_of(data: MixedData) -> np.ndarray | GowerColumns:
    """The typology's Gower distance: the whole matrix up to ``FULL_GOWER`` households, else
    read by columns (same entries, memory of n x k)."""
    return gower(data) if data.n <= FULL_GOWER else GowerColumns(data)


def sub_distance(distance: np.ndarray | GowerColumns, rows: np.ndarray):
    """The distance among ``rows`` (a bootstrap resample) in the form it came in."""
    if isinstance(distance, GowerColumns):
        return distance.take(rows)
    return distance[np.ix_(rows, rows)]


def _spreads(data: MixedData) -> np.ndarray:
    return np.array([np.ptp(data.numeric[data.mask[:, j] > 0, j])
                     if (data.mask[:, j] > 0).any() else 0.0
                     for j in range(data.numeric.shape[1])])


def _gower_between(data: MixedData, rows: np.ndarray, columns: np.ndarray,
                   spreads: np.ndarray, diagonal: np.ndarray) -> np.ndarray:
    """Gower distances of ``rows`` to ``columns`` (data row numbers), the formula of
    ``gower``; ``diagonal``: the position among ``rows`` of each column (its distance 0)."""
    total = np.zeros((len(rows), len(columns)))
    weight = np.zeros((len(rows), len(columns)))
    for block in data.blocks:
        part, other = data.onehot[rows][:, block], data.onehot[columns][:, block]
        both = np.outer(part.sum(axis=1), other.sum(axis=1))
        total += both - part @ other.T
        weight += both
    for j in range(data.numeric.shape[1]):
        x, m = data.numeric[:, j], data.mask[:, j]
        both = np.outer(m[rows], m[columns])
        if spreads[j] > 0:
            total += both * np.abs(x[rows][:, None] - x[columns][None, :]) / spreads[j]
        weight += both
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = np.where(weight > 0, total / np.maximum(weight, 1e-12), 1.0)
    distance[diagonal, np.arange(len(columns))] = 0.0
    return distance


def gower(data: MixedData) -> np.ndarray:
    """Gower distances (n x n): mismatch for categories, |difference| / range for numbers,
    averaged over the factors observed in both households."""
    total = np.zeros((data.n, data.n))
    weight = np.zeros((data.n, data.n))
    for block in data.blocks:
        part = data.onehot[:, block]
        seen = part.sum(axis=1)
        both = np.outer(seen, seen)
        total += both - part @ part.T
        weight += both
    for j in range(data.numeric.shape[1]):
        x, m = data.numeric[:, j], data.mask[:, j]
        spread = np.ptp(x[m > 0]) if (m > 0).any() else 0.0
        both = np.outer(m, m)
        if spread > 0:
            total += both * np.abs(x[:, None] - x[None, :]) / spread
        weight += both
    with np.errstate(invalid="ignore", divide="ignore"):
        distance = np.where(weight > 0, total / np.maximum(weight, 1e-12), 1.0)
    np.fill_diagonal(distance, 0.0)
    return distance
