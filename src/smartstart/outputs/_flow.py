"""The pilot's data through the gate: the attrition flow, the match table, the duration bands."""

from __future__ import annotations

import numpy as np
import pandas as pd

from smartstart.analyses import DurationResult
from smartstart.disclosure import (
    Embedded,
    Published,
    Rules,
    protect_frame,
    protect_rounded,
)
from smartstart.disclosure._protect import round_to_base
from smartstart.disclosure._statements import declare, yes

#: a flow's counts are rounded: rows_in - rows_out would give back any suppressed drop
FLOW_BASE = 10
TOTAL_NL = "totaal"
TARGET = yes("target_group")


def publish_attrition(attrition: pd.DataFrame, settings: object) -> Published:
    """The flow with every count rounded to ``FLOW_BASE``. What a step dropped is the difference
    of its rounded ends, not its own count rounded: rounded on its own, its interval and that of
    an end another output states exactly (the residents with a household, in every areas table)
    together narrowed it below the rounding base.

    A step whose rows out are of another unit than its rows in (``changes_unit``: partner rows
    to households, persons to households) drops nothing it could count: its "dropped" is empty
    (helper-41: 520 partner rows -> 190 households read as 330 lost). A work folder written
    before the flag has none: every step then keeps its difference, as it did."""
    words = [c for c in ("step_en", "reason_en") if c in attrition]  # the English report's
    frame = attrition[["step", "rows_in", "rows_out", "reason", *words]].copy()
    for column in ("rows_in", "rows_out"):
        frame[column] = round_to_base(frame[column].to_numpy(dtype=float), FLOW_BASE)
    changes = (attrition["changes_unit"].fillna(False).astype(bool).to_numpy()
               if "changes_unit" in attrition else np.zeros(len(frame), bool))
    frame.insert(3, "dropped", (frame["rows_in"] - frame["rows_out"]).where(~changes))
    return protect_rounded("attrition", frame, ("rows_in", "rows_out", "dropped"), FLOW_BASE,
                           settings)


def publish_match(match: pd.DataFrame, settings: object) -> Published:
    """Partner-file rows by link status, with their total, in one block per partner file
    (``partner``, in the pilot's order): each block is a one-way table of its own (the rows of
    different files are different units, no total runs across them), declared as counts of
    partner rows of that file (``partner`` = the row's partner) with that link status."""
    match = match if "partner" in match else match.assign(partner="")
    blocks, tables = [], []
    for partner, rows in match.groupby("partner", sort=False):
        counts = rows.set_index("link_status")["n"].astype(float)
        first = sum(len(b) for b in blocks)
        blocks.append(pd.DataFrame({"partner": partner,
                                    "status": [*counts.index, TOTAL_NL],
                                    "count": [*counts.to_numpy(), counts.sum()]}))
        places = {(i,): [(first + i, "count")] for i in range(len(counts) + 1)}
        tables.append(Embedded.build(counts.to_numpy(), ("status",), (list(counts.index),),
                                     places))
    frame = pd.concat(blocks, ignore_index=True)
    cells = declare("partner_row", ("value", "status", "link_status"),
                    {"count": (("partner", "in", ("@partner",)),)}, total=TOTAL_NL)
    return protect_frame("match", frame, Rules(counts=("count",), cells=cells), tables,
                         settings)


def publish_duration(result: DurationResult, settings: object) -> Published:
    """Households per duration band; the bands' total is ``n``."""
    frame = result.to_frame()
    rows = list(frame.index)
    places = {(i,): [(r, "count")] for i, r in enumerate(rows)}
    places[(len(rows),)] = [(r, "n") for r in rows]
    table = Embedded.build(frame["count"].to_numpy(dtype=float), ("band",),
                           (list(frame["band"]),), places)
    rules = Rules(counts=("count", "n"), shares=(("count", "n"),),
                  derived=tuple((c, ("count", "n")) for c in ("share", "ci_low", "ci_high")),
                  cells=declare("household", ("value", "band", "duration"),
                                {"count": (TARGET,), "n": (TARGET,)}, whole=("n",)))
    return protect_frame("duration", frame, rules, [table], settings, kind="shares")
