"""The seed's overview table of a typology: factors as rows, types as columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from smartstart.analyses._typology_cards import _number

if TYPE_CHECKING:
    from smartstart.analyses._typology import TypologyResult

MAJORITY = 0.5
VARIES = {"nl": "wisselend", "en": "varies"}


def _cell(rows: pd.DataFrame, lang: str) -> str:
    if rows["kind"].iloc[0] == "numeric":
        return _number(rows["mean"].iloc[0], lang)
    top = rows.sort_values("share", ascending=False, kind="stable").iloc[0]
    return top[f"level_{lang}"] if top["share"] >= MAJORITY else VARIES[lang]


def overview(result: TypologyResult, lang: str = "nl") -> pd.DataFrame:
    profile = result.profile
    columns = {}
    for row in result.types.itertuples(index=False):
        rows = profile[profile["type"] == row.type]
        name = row.name_nl if lang == "nl" else row.name_en
        columns[name] = {r[f"factor_{lang}"].iloc[0]: _cell(r, lang)
                         for _, r in rows.groupby("factor", sort=False)}
    return pd.DataFrame(columns)
