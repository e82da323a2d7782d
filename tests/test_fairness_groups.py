"""The fairness audit in the demo bundle (issue 13, item 10): groups of persons (sex, migration
background, household type and the child's age band), shown in words; no place in any of its
outputs, its declarations, its section of the model card or of the report (areas belong to the
areas analysis); and the register reads the age bands as a partition of the audited children.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from smartstart.bundle import read_bundle
from smartstart.disclosure._statements import KNOWN, statements_of

#: a place in Dutch or English (a wijk's label reads "wijk 078401" / "district 078401")
PLACE = re.compile(r"wijk|buurt|district|neighbourhood", re.IGNORECASE)
FAIRNESS = ("fairness_metrics", "fairness_disparities", "fairness_proxies")
BANDS = {"0-3": ("0 tot 4 jaar", "aged 0-3"), "4-11": ("4 tot 12 jaar", "aged 4-11"),
         "12-17": ("12 tot 18 jaar", "aged 12-17")}


@pytest.fixture(scope="module")
def bundle(demo_run):
    return read_bundle(demo_run / "results" / "bundle")


def test_no_fairness_output_mentions_a_place(bundle):
    names = {o["name"] for o in bundle.outputs}
    assert set(FAIRNESS) <= names
    for name in FAIRNESS:
        for suffix in ("csv", "parquet"):
            path = bundle.root / "tables" / f"{name}.{suffix}"
            text = (path.read_text("utf-8") if suffix == "csv"
                    else bundle.table(name).to_csv())
            assert not PLACE.search(text), (name, suffix, PLACE.search(text))
        entry = next(o for o in bundle.outputs if o["name"] == name)
        assert not PLACE.search(json.dumps(entry)), name  # variables, rules, titles
        assert not PLACE.search(json.dumps(bundle.verdict(name))), name
    variables = bundle.variables
    used = set(variables.index[variables["fairness_metrics"] == 1])
    assert {"sex", "migration_background", "household_type", "age"} <= used
    assert not {"wijk", "buurt"} & used


def test_the_groups_are_persons_in_words(bundle):
    metrics = bundle.table("fairness_metrics")
    assert list(dict.fromkeys(metrics["attribute"])) == ["sex", "migration_background",
                                                         "household_type", "age_band"]
    bands = metrics[metrics["attribute"] == "age_band"]
    assert list(bands["group"]) == list(BANDS)  # young to old, none merged in the demo
    assert [tuple(r) for r in bands[["label_nl", "label_en"]].to_numpy()] == list(BANDS.values())
    # every attribute is a partition of the same audited children
    checks = bundle.table("risk_checks")
    n = float(checks.loc[checks["check"] == "n", "value"].iloc[0])
    events = float(checks.loc[checks["check"] == "events", "value"].iloc[0])
    for attribute, part in metrics.groupby("attribute"):
        assert part["n"].sum() == n, attribute
        assert part["events"].sum() == events, attribute
    proxies = bundle.table("fairness_proxies")
    assert set(proxies["attribute"]) <= {"sex", "migration_background"}


def test_the_register_reads_the_age_bands_as_a_partition_of_known_ages(bundle):
    entry = next(o for o in bundle.outputs if o["name"] == "fairness_metrics")
    cells = entry["rules"]["cells"]
    statements = statements_of("fairness_metrics", bundle.table("fairness_metrics"), cells)
    bands = [st for st in statements if st.column == "n"
             and st.terms[0][1] and st.terms[0][1][-1][0] == "age_band"]
    assert sorted(st.terms[0][1][-1][2][0] for st in bands) == sorted(BANDS)
    assert sum(st.value for st in bands) == bundle.table("fairness_metrics").query(
        "attribute == 'sex'")["n"].sum()
    within = [st for st in statements if st.column == "within"]
    assert [(st.value, st.terms) for st in within] == [
        (0.0, ((1, (("age_band", "in", tuple(BANDS)), ("age", "not", (KNOWN,)))),))]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_model_card_states_the_groups(bundle, lang):
    card = bundle.text(f"model_card_{lang}")
    head = "## Eerlijkheid en bias" if lang == "nl" else "## Fairness and bias"
    section = card.split(head, 1)[1].split("\n## ", 1)[0]
    words = ({"nl": ("geslacht", "migratieachtergrond", "type huishouden",
                     "leeftijd van het kind"),
              "en": ("sex", "migration background", "household type", "age of the child")}[lang])
    for word in words:
        assert word in section, word
    for nl, en in BANDS.values():
        assert (nl if lang == "nl" else en) in section
    assert not PLACE.search(section)
    assert "age_band" not in card


def test_the_report_shows_the_age_bands_in_words(demo_run):
    html = (demo_run / "rapport.html").read_text("utf-8")
    start = html.index('id="eerlijkheid"')
    section = re.sub(r"<[^>]+>", " ", html[start:html.index('id="modelkaart"', start)])
    assert "leeftijd van het kind" in section
    assert any(nl in section for nl, _ in BANDS.values())
    assert "age_band" not in section and not re.search(r"\b(?:0-3|4-11|12-17)\b", section)
    assert not PLACE.search(section)


def test_a_bundle_without_labels_still_reads_the_bands_in_words():
    from smartstart.report._fairness import _group_names

    metrics = pd.DataFrame({"attribute": ["age_band", "sex"], "group": ["4-11", "2"]})
    assert _group_names(metrics, "nl") == {("age_band", "4-11"): "4 tot 12 jaar",
                                           ("sex", "2"): "2"}
    assert _group_names(metrics, "en")[("age_band", "4-11")] == "aged 4-11"


def test_disparities_state_no_more_precision_than_the_metrics(bundle):
    """A disparity's value and reference value are the published metrics' (AUC and
    calibration rounded there, not their exact values), its ratio and difference those of the
    published values at 0.001 (a red team read the exact AUC and calibration here)."""
    metrics = bundle.table("fairness_metrics")
    disparities = bundle.table("fairness_disparities")
    shown = metrics.assign(group=metrics["group"].astype(str)).melt(
        id_vars=["attribute", "group"], var_name="metric", value_name="shown").set_index(
        ["attribute", "group", "metric"])["shown"]
    assert len(disparities) > 5
    for row in disparities.itertuples():
        value = float(shown.loc[(row.attribute, str(row.group), row.metric)])
        reference = float(shown.loc[(row.attribute, str(row.reference), row.metric)])
        assert (row.value, row.reference_value) == (value, reference), row
        assert row.ratio == pytest.approx(round(value / reference, 3), abs=1e-12)
        assert row.difference == pytest.approx(round(value - reference, 3), abs=1e-12)
    for metric in ("auc", "calibration"):
        values = disparities.loc[disparities["metric"] == metric, "value"]
        assert (values.round(2) == values).all(), metric
