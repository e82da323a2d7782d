"""Secondary suppression of areas within their groups (buurten within a wijk, the wijken of a
municipality, a year's treated or other buurten in the effect monitor), where a group's total is
published elsewhere: an attacker who knows it knows the hidden cells' sum. The register
(``_register``) proves the result over every output; these choose what to hide."""

from __future__ import annotations

import numpy as np
import pandas as pd


def secondary_within(values: pd.Series, hidden: pd.Series, primary: pd.Series,
                     groups: pd.Series, min_cell: int) -> pd.Series:
    """Per group (a wijk, the municipality; in the monitor a year's treated or other buurten):
    none hidden, or at least two, one of them not primary, and enough together that the
    group's total does not narrow a small one. An attacker who knows the group's total knows
    the hidden cells' sum; each ``x`` is at least ``min_cell`` (``disclosure.label_counts``),
    so a small cell can reach ``min_cell - 1`` only when the hidden cells' slack (a small
    cell's value, an ``x``'s value above ``min_cell``) is at least ``min_cell - 1``: a ``<10``
    of 4 next to one ``x`` of 10 would be pinned to at most 4. The smallest shown cells
    (never a zero: it protects nothing) are added until it is; the register proves the
    result over every output."""
    out = hidden.copy()
    slack = _slack(values, min_cell)
    for _, index in groups.groupby(groups, sort=False).groups.items():
        while True:
            mine = out[index]
            small = (mine & (values[index] < min_cell)).any()
            if not mine.any() or (mine.sum() >= 2 and (mine & ~primary[index]).any()
                                  and (not small or slack[index][mine].sum() >= min_cell - 1)):
                break
            shown = values[index][~mine & (values[index] > 0)]
            if shown.empty:
                break
            out[shown.idxmin()] = True
    return out


def _slack(values: pd.Series, min_cell: int) -> pd.Series:
    """What a hidden cell leaves a small one of its group: a small cell its value, an ``x``
    its value above ``min_cell`` (an attacker knows an ``x`` is at least ``min_cell``)."""
    return pd.Series(np.where(values < min_cell, values, values - min_cell), index=values.index)


def unprotected(values: pd.DataFrame, hidden: pd.DataFrame, groups: pd.Series,
                min_cell: int) -> pd.DataFrame:
    """Per column, the hidden cells of a group that no suppression protects: every cell of
    the group hidden and still a slack below ``min_cell - 1`` (a wijk of 18 households of the
    target group in buurten of 10, 3, 3 and 2: the wijk's total, which the profile publishes,
    says the three small ones are at most 8 together next to an ``x`` of at least 10). Their
    labels would narrow them, so they are published blank without one: nothing is stated of
    them but the group's total."""
    out = pd.DataFrame(False, index=hidden.index, columns=hidden.columns)
    for column in hidden.columns:
        mine, small = hidden[column], values[column] < min_cell
        slack = _slack(values[column], min_cell)
        for _, index in groups.groupby(groups, sort=False).groups.items():
            if ((mine[index] & small[index]).any()
                    and slack[index][mine[index]].sum() < min_cell - 1):
                out.loc[index, column] = mine[index]
    return out
