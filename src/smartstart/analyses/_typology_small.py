"""Disclosure readiness of a typology: types smaller than ``min_size`` are merged or withheld.

Merging moves the whole type into its nearest type: the one its households are most probably in
after their own type, by the latent class model's posterior (summed over the households). The
smallest type goes first, and sizes are recounted after every step. Withholding removes the
type's households from the profile (they stay in the rest of the target group). The actions
table records which type, what happened and why, with the type's size as a count so the
disclosure gate can check that too.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

SmallTypes = Literal["merge", "withhold"]


def _reason(min_size: int, action: str) -> tuple[str, str]:
    nl = {"merged": "samengevoegd met het dichtstbijzijnde type",
          "withheld": "niet gerapporteerd"}[action]
    en = {"merged": "merged into the nearest type", "withheld": "not reported"}[action]
    return (f"type kleiner dan de minimumgrootte van {min_size} huishoudens: {nl}",
            f"type smaller than the minimum size of {min_size} households: {en}")


def _action(number: int, size: int, action: str, into: int | None, min_size: int) -> dict:
    nl, en = _reason(min_size, action)
    return {"type": number, "size": size, "action": action,
            "into_type": into, "reason_nl": nl, "reason_en": en}


def settle(labels: np.ndarray, resp: np.ndarray, min_size: int,
           mode: SmallTypes) -> tuple[np.ndarray, pd.DataFrame]:
    """Labels (1..k, 0 = withheld) without types below ``min_size``, and the actions taken.

    ``resp`` holds the posterior of type t in column t - 1."""
    labels = labels.copy()
    actions: list[dict] = []
    while True:
        active = [t for t in np.unique(labels) if t > 0]
        sizes = {t: int((labels == t).sum()) for t in active}
        small = sorted((s, t) for t, s in sizes.items() if s < min_size)
        if not small:
            break
        size, t = small[0]
        members = labels == t
        others = [u for u in active if u != t]
        if mode == "merge" and others:
            into = others[int(resp[members][:, np.array(others) - 1].sum(axis=0).argmax())]
            labels[members] = into
            actions.append(_action(int(t), size, "merged", int(into), min_size))
        else:
            labels[members] = 0
            actions.append(_action(int(t), size, "withheld", None, min_size))
    table = pd.DataFrame(actions, columns=["type", "size", "action", "into_type", "reason_nl",
                                           "reason_en"])
    return labels, table.astype({"type": "Int64", "size": "Int64", "into_type": "Int64"})
