"""A comparison profile (target group vs rest vs all, or high-risk group vs rest) through the gate.

Per factor, the counts form a table: levels x (target, rest) with the levels' totals in
``count_all`` and the groups' totals in ``n_target``, ``n_rest``, ``n_all``. A binary factor
has one row (the "yes" level); its "no" level is a cell too (``n - count``), not shown but
protected. A mean's contributors form a one-way table target + rest = all. Means are checked
for dominance on the microdata.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from smartstart.disclosure import Embedded, Published, Rules, check_means, protect_frame
from smartstart.disclosure._statements import Condition, declare, yes

GROUPS = ("target", "rest")
STATS = ("value", "ci_low", "ci_high", "sd", "diff", "smd", "p")
DROP = ("sd_target", "sd_rest", "sd_all", "missing_target", "missing_rest", "missing_all")


def _rules(unit: str, inside: tuple[Condition, ...]) -> Rules:
    derived = []
    for g in (*GROUPS, "all"):
        for stat in ("value", "ci_low", "ci_high"):
            derived.append((f"{stat}_{g}", (f"n_{g}", f"count_{g}")))
    comparison = ("n_target", "count_target", "n_rest", "count_rest")
    derived += [(c, comparison) for c in ("diff_rest", "smd_rest", "diff_all", "smd_all",
                                           "p_rest", "direction", "phrase_nl", "phrase_en")]
    return Rules(counts=tuple(f"{k}_{g}" for g in (*GROUPS, "all") for k in ("n", "count")),
                 shares=tuple((f"count_{g}", f"n_{g}") for g in (*GROUPS, "all")),
                 derived=tuple(derived), complement_when=("type", "binary"),
                 denominators=("statistic", "mean|share", tuple(("", f"n_{g}") for g in (
                     *GROUPS, "all")), tuple(f"{k}_{g}" for g in (*GROUPS, "all")
                                             for k in ("n", "count"))),
                 cells=_cells(unit, inside))


def _cells(unit: str, inside: tuple[Condition, ...]) -> dict[str, object]:
    """count/n of the group (``inside``), of the rest (all minus the group) and of all."""
    group = [(1, inside)]
    rest = [(1, ()), (-1, inside)]
    columns = {"count_target": group, "n_target": group, "count_rest": rest, "n_rest": rest,
               "count_all": [(1, ())], "n_all": [(1, ())]}
    return declare(unit, ("level", "factor", "level", "type"), columns,
                   whole=("n_target", "n_rest", "n_all"))


def publish_comparison(name: str, table: pd.DataFrame, data: pd.DataFrame, group: str,
                       settings: object, unit: str = "household",
                       inside: tuple[Condition, ...] | None = None) -> Published:
    """``table``: a ``ProfileResult`` frame; ``data``: the unit's microdata with ``group``;
    ``inside``: the group as conditions on variables other outputs name too (by default the
    variable ``group`` is "yes")."""
    frame = table.drop(columns=[c for c in DROP if c in table.columns]).reset_index(drop=True)
    # a mean row's base count is its n: copy it so blanking n blanks the mean (derived rule)
    means = frame["statistic"] == "mean"
    embedded = []
    for _, rows in frame.groupby("factor", sort=False):
        if (frame.loc[rows.index, "statistic"] == "mean").all():
            embedded.append(_mean_table(rows))
        else:
            embedded.append(_share_table(rows))
    hide = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    hide.loc[_dominance(frame[means], data, group, settings),
             [c for c in frame.columns if c.startswith(("value_", "ci_"))]] = True
    # a count variable with few values (children, household size): mean and CI (so the sd)
    # together pin its distribution down; the mean alone is published
    # (the standardised differences too: they give the pooled sd back)
    hide.loc[frame["type"] == "count", [c for c in frame.columns
                                        if c.startswith(("ci_", "smd_"))]] = True
    rules = _rules(unit, inside if inside is not None else (yes(group),))
    for g in (*GROUPS, "all"):
        frame.loc[means, f"count_{g}"] = frame.loc[means, f"n_{g}"]
    return protect_frame(name, frame, rules, embedded, settings, kind="shares", hide=hide)


def _share_table(rows: pd.DataFrame) -> Embedded:
    levels = list(rows.index)
    interior = rows[["count_target", "count_rest"]].to_numpy(dtype=float)
    first = rows.iloc[0]
    places: dict[tuple[int, ...], list[tuple[Hashable, str]]] = {}
    for i, row in enumerate(levels):
        places[(i, 0)] = [(row, "count_target")]
        places[(i, 1)] = [(row, "count_rest")]
        places[(i, 2)] = [(row, "count_all")]
    labels: list[Hashable] = [str(v) for v in rows["level"].fillna("yes")]
    if first["type"] == "binary":
        no = [first["n_target"] - first["count_target"], first["n_rest"] - first["count_rest"]]
        interior = np.vstack([interior, no])
        labels.append("no")
    total = len(labels)
    for j, g in enumerate((*GROUPS, "all")):
        places[(total, j)] = [(row, f"n_{g}") for row in levels]
    return Embedded.build(interior, (str(first["factor"]), "group"), (labels, GROUPS), places)


def _mean_table(rows: pd.DataFrame) -> Embedded:
    row = rows.index[0]
    interior = rows[["n_target", "n_rest"]].to_numpy(dtype=float)[0]
    places = {(j,): [(row, f"n_{g}"), (row, f"count_{g}")]
              for j, g in enumerate((*GROUPS, "all"))}
    return Embedded.build(interior, ("group",), (GROUPS,), places)


def _dominance(rows: pd.DataFrame, data: pd.DataFrame, group: str, settings: object
               ) -> list[Hashable]:
    """Mean rows where a group's values are dominated by a few contributors (NK rule)."""
    failed = []
    # the two columns each row needs, not a copy of the whole table (a national region's
    # households took 4 s to copy)
    # each row's group as one of two shared Python strings: np.where's fixed-width text
    # became a new Python string per row in every mean row's frame (11.6 M households: +1.15
    # GiB and 3.0 s a mean row; this +0.27 GiB, 0.6 s; the national pass's peak)
    groups = data[group].fillna(False).astype(bool).to_numpy()
    marked = np.array(["rest", "target"], dtype=object)[groups.astype(np.intp)]
    for index, row in rows.iterrows():
        values = pd.DataFrame({"_group": marked, "_v": data[row["factor"]]},
                              index=data.index).dropna()
        values = values.assign(_v=values["_v"].astype(float))
        checks = check_means(values, ["_group"], "_v", settings)
        if any(c.rule == "dominance" and c.status == "fail" for c in checks):
            failed.append(index)
    return failed
