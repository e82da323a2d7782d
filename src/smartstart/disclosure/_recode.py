"""Global recoding: merge the small groups of an attribute before a table by group is made.

A group with fewer than ``min_cell`` members, events or non-events cannot be shown, and leaving
its row out does not help: the attribute's other groups and the total give it back. Merging it
into a larger group before the analysis is what a checker would ask for. Small groups are merged
into one group ``other``; if ``other`` is still small, the largest remaining group joins it (a
smaller partner is more likely to be published elsewhere under another name, e.g. the
single-parent households of a household type, and ``other`` minus it would give the small
group back).
"""

from __future__ import annotations

import pandas as pd

from smartstart.disclosure._options import settings_of

OTHER = "overig"


def merge_small_groups(groups: pd.Series, outcome: pd.Series, settings: object | None = None,
                       other: str = OTHER) -> pd.Series:
    """``groups`` with small groups (members, events or non-events below ``min_cell``) merged
    into ``other``; missing values stay missing."""
    s = settings_of(settings)
    labels = groups.astype("string")
    events = outcome.astype(bool)

    def small_ones(current: pd.Series) -> list[str]:
        known = current.notna()
        frame = pd.DataFrame({"g": current[known], "y": events[known]})
        sizes = frame.groupby("g")["y"].agg(["size", "sum"])
        sizes["none"] = sizes["size"] - sizes["sum"]
        bad = sizes[(sizes[["size", "sum", "none"]] < s.min_cell).any(axis=1)]
        return list(bad.sort_values("size").index)

    merged = labels.copy()
    while True:
        small = small_ones(merged)
        if not small:
            return merged
        if small == [other] or (len(small) == 1 and other in set(merged.dropna())):
            rest = merged[merged.notna() & (merged != other)].value_counts()
            if rest.empty:
                return merged
            small = [other, str(rest.index[0])]
        merged = merged.where(~merged.isin(small), other)
        if merged.dropna().nunique() <= 1:
            return merged
