"""Realistic dirt, planted on purpose and counted, so tests know exactly what ingest must find.

Every function changes a frame in place and returns ``{column: count}`` of what it planted.
Dirt is placed where its effect on the planted truth is defined:
- impossible end dates only in spells that ended before the first data year and are followed by
  a later spell of the same person (the intended end is the day before that next spell);
- overlapping address spells: the earlier spell is extended 10-40 days past the next start
  (the intended address is that of the later spell: latest start wins);
- persons without any household spell: only adults of one-person households;
- missing codes: origin, income, education of persons aged 65 or over (not risk predictors).
"""

from __future__ import annotations

import numpy as np

from smartstart.synth._format import ymd

Frame = dict[str, np.ndarray]
IMPOSSIBLE = ("0231", "1301", "0000", "0431")


def _followed(person: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Rows (in given order) that have a later spell of the same person."""
    order = np.lexsort((start, person))
    followed = np.zeros(len(person), bool)
    same = person[order][1:] == person[order][:-1]
    followed[order[:-1][same]] = True
    return followed


def impossible_dates(rng, frame: Frame, person: np.ndarray, start: np.ndarray, end: np.ndarray,
                     column: str, before: int, share: float) -> dict[str, int]:
    eligible = np.flatnonzero(_followed(person, start) & (end < before))
    pick = eligible[rng.random(len(eligible)) < share]
    years = ymd(end[pick]).astype("U4") if len(pick) else np.array([], dtype="U4")
    suffix = np.array(IMPOSSIBLE)[rng.integers(0, len(IMPOSSIBLE), len(pick))]
    frame[column] = frame[column].astype("U8")
    frame[column][pick] = np.char.add(years, suffix)
    return {column: len(pick)}


def overlaps(rng, frame: Frame, person: np.ndarray, start: np.ndarray, end: np.ndarray,
             column: str, share: float, skip: np.ndarray) -> dict[str, int]:
    order = np.lexsort((start, person))
    nxt = np.full(len(person), -1)
    same = person[order][1:] == person[order][:-1]
    nxt[order[:-1][same]] = order[1:][same]
    eligible = np.flatnonzero((nxt >= 0) & ~skip)
    pick = eligible[rng.random(len(eligible)) < share]
    new_end = start[nxt[pick]] + rng.integers(10, 41, len(pick))
    new_end = np.minimum(new_end, end[nxt[pick]])
    frame[column] = frame[column].astype("U8")
    frame[column][pick] = ymd(new_end)
    return {"rows": len(pick), "persons": len(np.unique(person[pick]))}


def replace_some(rng, frame: Frame, column: str, where: np.ndarray, value: str | float,
                 share: float) -> dict[str, int]:
    pick = np.flatnonzero(where & (rng.random(len(where)) < share))
    if isinstance(value, str):
        frame[column] = frame[column].astype(f"U{max(8, len(value))}")
    frame[column][pick] = value
    return {column: len(pick)}


def pad_codes(rng, frame: Frame, column: str, share: float) -> dict[str, int]:
    values = frame[column].astype("U2")
    pick = np.flatnonzero((np.char.str_len(values) == 1) & (rng.random(len(values)) < share))
    values[pick] = np.char.rjust(values[pick], 2)
    frame[column] = values
    return {column: len(pick)}


def open_end_alias(rng, frame: Frame, column: str, share: float) -> dict[str, int]:
    values = frame[column].astype("U8")
    pick = np.flatnonzero((values == "20501231") & (rng.random(len(values)) < share))
    values[pick] = "88888888"
    frame[column] = values
    return {column: len(pick)}
