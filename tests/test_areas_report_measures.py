"""The report's areas tables show the new measures (issue 14) on the demo's bundle: residents,
households, children and schools beside the ranked measure, equal to the published cells; a
buurt ranked within the rule's top that the rule left out for its schools is named; the risk
factors per area show the expected share beside the measured one and the high-risk group.
Numbers and statuses are compared, not sentences."""

from __future__ import annotations

import pandas as pd
import pytest
from test_run_bundle import demo  # noqa: F401 - the shared demo

from smartstart.bundle import read_bundle
from smartstart.report._areas import choice, factors, ranking
from smartstart.report._source import Source
from smartstart.report._text import t
from smartstart.report._types import Bullets, DataTable

COUNTS = (("areas_residents", "residents", "areas_residents"),
          ("areas_households", "households", "areas_n_target_group"),
          ("areas_children", "children", "areas_n_outcome"),
          ("areas_schools", "schools", "areas_schools"))


def _digits(text: str) -> str:
    return text.replace(".", "").replace(",", "")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_ranking_shows_residents_households_children_and_schools(demo, lang):  # noqa: F811
    src = Source(read_bundle(demo / "bundle"), lang)
    frame = pd.read_parquet(demo / "bundle" / "tables" / "areas_children.parquet")
    ranked = frame[frame["rank"].notna()].sort_values("rank")
    data = next(b for b in ranking(src, lang).blocks if isinstance(b, DataTable))
    head = list(data.columns)
    for name, column, key in COUNTS:
        published = pd.read_parquet(demo / "bundle" / "tables" / f"{name}.parquet")
        cells = dict(zip(published["area"], published[column], strict=True))
        at = head.index(t(key, lang))
        for row, area in zip(data.rows, ranked["area"], strict=False):
            assert _digits(row[at]) == str(int(cells[area])), (name, area)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_choice_names_the_rule_on_schools_and_who_it_left_out(demo, lang):  # noqa: F811
    src = Source(read_bundle(demo / "bundle"), lang)
    frame = pd.read_parquet(demo / "bundle" / "tables" / "areas_children.parquet")
    schools = pd.read_parquet(demo / "bundle" / "tables" / "areas_schools.parquet")
    per = dict(zip(schools["area"], schools["schools"], strict=True))
    part = choice(src, lang)
    assert t("areas_rule_min_schools", lang, n=3) in part.paragraphs[0]
    chosen = next(b for b in part.blocks if isinstance(b, Bullets)
                  and b.intro == t("areas_chosen_intro", lang))
    for area, text in zip(frame.loc[frame["status"] == "chosen"].sort_values("rank")["area"],
                          chosen.items, strict=True):
        assert per[area] >= 3
        assert t("areas_schools_count", lang, n=int(per[area])) in text
    left = frame[(frame["status"] == "few_schools") & (frame["rank"] <= 3)]
    assert len(left) >= 1  # the demo: a buurt without schools ranks third
    passed = next(b for b in part.blocks if isinstance(b, Bullets)
                  and b.intro == t("areas_passed_intro", lang))
    assert len(passed.items) == len(left)
    labels = src.bundle.labels()  # the areas' names from the boundaries file, else codes
    named = dict(zip(labels.loc[labels["variable"] == "buurt", "level"],
                     labels.loc[labels["variable"] == "buurt", f"label_{lang}"], strict=True))
    for area, text in zip(left.sort_values("rank")["area"], passed.items, strict=True):
        assert named.get(area, area) in text
        assert t("areas_schools_count", lang, n=int(per[area])) in text


def test_the_factors_table_shows_the_expected_share_and_the_high_risk_group(demo):  # noqa: F811
    src = Source(read_bundle(demo / "bundle"), "nl")
    frame = pd.read_parquet(demo / "bundle" / "tables" / "areas_children.parquet")
    data = next(b for b in factors(src, "nl").blocks if isinstance(b, DataTable))
    high = [c for c in data.columns if c.startswith(t("areas_high_risk", "nl", factors="")[:10])]
    assert len(high) == 1
    at = list(data.columns).index(high[0])
    for row, (_, r) in zip(data.rows, frame.iterrows(), strict=True):
        if pd.notna(r["high_risk_shrunk"]):
            assert row[at] == (f"{round(100 * r['high_risk_rate'])}% "
                               f"({round(100 * r['high_risk_shrunk'])}%)")
        else:
            assert "(" not in row[at]
