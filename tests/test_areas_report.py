"""The report's "Waar beginnen we?" on the demo's bundle: the areas the bundle marks chosen
are the ones the section names (by their names from the boundaries file), with their
published ranks; the caution is there, in Dutch and English (numbers and statuses compared,
not sentences)."""

from __future__ import annotations

import pandas as pd
import pytest
from test_run_bundle import demo  # noqa: F401 - the shared demo

from smartstart.bundle import read_bundle
from smartstart.report._areas import choice, ranking
from smartstart.report._source import Source
from smartstart.report._text import t
from smartstart.report._types import Bullets, DataTable, Figure


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_section_names_the_chosen_buurten_with_their_ranks(demo, lang):  # noqa: F811
    src = Source(read_bundle(demo / "bundle"), lang)
    frame = pd.read_parquet(demo / "bundle" / "tables" / "areas_children.parquet")
    chosen = frame[frame["status"] == "chosen"].sort_values("rank")
    assert 1 <= len(chosen) <= 3  # the demo's rule: the top 3 among buurten with >= 3 schools
    labels = src.bundle.labels()
    # the areas' names from the boundaries file (labels.csv), else their codes
    named = dict(zip(labels.loc[labels["variable"] == "buurt", "level"],
                     labels.loc[labels["variable"] == "buurt", f"label_{lang}"], strict=True))
    part = choice(src, lang)
    bullets = next(b for b in part.blocks if isinstance(b, Bullets))
    for (_, row), text in zip(chosen.iterrows(), bullets.items, strict=True):
        assert named.get(row["area"], row["area"]) in text
        assert f"{int(row['rank'])} ({int(row['rank_low'])}–{int(row['rank_high'])})" in text
    texts = [getattr(b, "text", "") for b in part.blocks]
    assert t("areas_caution", lang) in texts
    table = ranking(src, lang)
    assert any(isinstance(b, Figure) for b in table.blocks)
    rows = next(b for b in table.blocks if isinstance(b, DataTable)).rows
    assert len(rows) == len(frame)  # every buurt, hidden ones labelled
    assert [r[0] for r in rows[:len(chosen)]] == [
        named.get(a) or t("areas_buurt", lang, code=a) for a in chosen["area"]]
