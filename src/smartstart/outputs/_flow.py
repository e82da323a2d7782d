"""The pilot's data through the gate: the attrition flow, the match table, the duration bands."""

from __future__ import annotations

import pandas as pd

from smartstart.analyses import DurationResult
from smartstart.disclosure import (
    Embedded,
    Published,
    Rules,
    protect_frame,
    protect_rounded,
)
from smartstart.disclosure._statements import declare, yes

#: a flow's counts are rounded: rows_in - rows_out would give back any suppressed drop
FLOW_BASE = 10
TOTAL_NL = "totaal"
TARGET = yes("target_group")


def publish_attrition(attrition: pd.DataFrame, settings: object) -> Published:
    """The flow with every count rounded to ``FLOW_BASE``."""
    frame = attrition[["step", "rows_in", "rows_out", "reason"]].copy()
    frame.insert(3, "dropped", frame["rows_in"] - frame["rows_out"])
    return protect_rounded("attrition", frame, ("rows_in", "rows_out", "dropped"), FLOW_BASE,
                           settings)


def publish_match(match: pd.DataFrame, settings: object) -> Published:
    """Partner-file rows by link status, with their total: a one-way table."""
    counts = match.set_index("link_status")["n"].astype(float)
    frame = pd.DataFrame({"status": [*counts.index, TOTAL_NL],
                          "count": [*counts.to_numpy(), counts.sum()]})
    places = {(i,): [(i, "count")] for i in range(len(frame))}
    table = Embedded.build(counts.to_numpy(), ("status",), (list(counts.index),), places)
    cells = declare("partner_row", ("value", "status", "link_status"), {"count": ()},
                    total=TOTAL_NL)
    return protect_frame("match", frame, Rules(counts=("count",), cells=cells), [table],
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
