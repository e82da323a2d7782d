"""A reader never sees a factor's name in a label (issue 13, item 10): labels come from the
library's words. The group merged from small ones reads ``overig``/``other``; a wijk reads
``wijk 078401`` / ``district 078401`` (no names yet: they need the CBS wijk- en buurtkaart,
issue 14).
"""

from __future__ import annotations

import re

import pytest
from test_report_support import demo_bundle

from smartstart.analyses._labels import MERGED, level_label
from smartstart.bundle import read_bundle
from smartstart.features import factors


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return demo_bundle(tmp_path_factory)


def _identifiers(lang: str) -> set[str]:
    """Factor names that are not also a word of the language's label of that factor."""
    names = set()
    for unit in factors().values():
        for name, f in unit.items():
            label = (f.nl if lang == "nl" else f.en).lower()
            if not re.search(rf"\b{re.escape(name)}\b", label):
                names.add(name)
    return names


def test_level_labels_read_as_words():
    assert (level_label("household_type", MERGED, "nl"),
            level_label("household_type", MERGED, "en")) == ("overig", "other")
    assert level_label("wijk", "078401", "nl") == "wijk 078401"
    assert level_label("wijk", "078401", "en") == "district 078401"
    assert level_label("household_type", "9", "en") == "household type 9"
    assert level_label("household_type", "6", "nl") == "eenouderhuishouden"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_no_factor_name_in_the_demo_bundle_labels(bundle, lang):
    data = read_bundle(bundle)
    pattern = re.compile(r"\b(?:" + "|".join(sorted(_identifiers(lang), key=len,
                                                  reverse=True)) + r")\b")
    checked = 0
    for output in data.outputs:
        if output["kind"] in ("chart", "text", "map"):  # a map: codes and names only
            continue
        frame = data.table(output["name"]).reset_index()
        # the typology overview is one table per language, every column words
        whole = output["name"] == {"nl": "typology_overview", "en": "typology_overview_en"}[lang]
        for column in frame.columns:
            if not (whole or str(column).endswith(f"_{lang}")):
                continue
            values = frame[column].dropna().astype(str)
            bad = values[values.str.contains(pattern)]
            assert bad.empty, (output["name"], column, list(bad)[:3])
            checked += len(values)
    assert checked > 100
    fairness = data.table("fairness_metrics")
    assert set(fairness.loc[fairness["group"] == MERGED, f"label_{lang}"]) <= {
        level_label("household_type", MERGED, lang)}
