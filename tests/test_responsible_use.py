"""Responsible use (issue 13, item 10): an audit-only attribute is never the only trait shown
for a high-risk group.

The high-risk profile marks audit-only rows (``audit_only``), gives them no direction and a
phrase that says what they are for, and keeps them only beside another trait with a clear
difference; the report never counts them among the group's differences.
"""

from __future__ import annotations

from html import unescape

import numpy as np
import pandas as pd
import pytest
from test_report_support import _Verdict, demo_bundle

from smartstart.analyses import ProfileSpec, high_risk_profile
from smartstart.analyses._combinations import AUDIT_PHRASES, beside_traits
from smartstart.bundle import BundleWriter, CheckedTable, read_bundle
from smartstart.features import factors
from smartstart.report import write_report
from smartstart.report._text import t

AUDIT = {n for unit in factors().values() for n, f in unit.items() if f.audit_only}


def _children(migration_differs: bool, halt_differs: bool, n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    a, b = rng.random(n) < 0.3, rng.random(n) < 0.3
    group = a & b

    def flag(differs: bool) -> np.ndarray:
        return rng.random(n) < np.where(group & differs, 0.6, 0.1)

    return pd.DataFrame({"young_mother": a, "parent_no_work": b,
                         "migration_background": flag(migration_differs),
                         "halt_12m": flag(halt_differs),
                         "sex": rng.choice(["1", "2"], n), "outcome": rng.random(n) < 0.05})


def _profile(children: pd.DataFrame) -> pd.DataFrame:
    spec = ProfileSpec(unit="child", factors=("sex", "migration_background", "halt_12m"))
    before = children.copy()
    table = high_risk_profile(children, None, group=("young_mother", "parent_no_work"),
                              spec=spec).table
    pd.testing.assert_frame_equal(children, before)  # the input is not changed
    return table


def test_audit_only_is_marked_beside_another_trait():
    table = _profile(_children(migration_differs=True, halt_differs=True)).set_index("factor")
    assert AUDIT == {"migration_background"}
    assert table["audit_only"].to_dict() == {"sex": False, "migration_background": True,
                                             "halt_12m": False}
    audit = table.loc["migration_background"]
    assert audit["value_target"] > 2 * audit["value_rest"]  # the numbers are kept
    assert audit["direction"] is None  # ... but no difference is claimed
    assert audit["phrase_nl"] == AUDIT_PHRASES["nl"].format("migratieachtergrond")
    assert audit["phrase_en"] == AUDIT_PHRASES["en"].format("migration background")
    assert table.loc["halt_12m", "direction"] == "higher"


def test_audit_only_is_never_the_only_trait():
    table = _profile(_children(migration_differs=True, halt_differs=False))
    assert "migration_background" not in set(table["factor"])
    assert not table["direction"].isin(["higher", "lower"]).any()
    assert len(table) and not table["audit_only"].any()


def test_beside_traits():
    frame = pd.DataFrame({"factor": ["m", "h"], "audit_only": [True, False],
                          "direction": [None, "similar"]})
    assert list(beside_traits(frame)["factor"]) == ["h"]
    frame.loc[1, "direction"] = "lower"
    assert list(beside_traits(frame)["factor"]) == ["m", "h"]
    assert beside_traits(frame.drop(columns="audit_only")).equals(
        frame.drop(columns="audit_only"))


# --- the demo's bundle and report -------------------------------------------------------------

@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return demo_bundle(tmp_path_factory)


def _section(html: str, start: str, end: str) -> str:
    begin = html.index(f'id="{start}"')
    return html[begin:html.index(f'id="{end}"', begin)]


def _report(bundle, out, lang: str) -> str:
    return unescape(write_report(bundle, out / f"r-{lang}.html", lang=lang).read_text("utf-8"))


def test_the_demo_high_risk_profile(bundle):
    table = read_bundle(bundle).table("high_risk_profile")
    audit = table["audit_only"].astype(bool)
    assert set(table.loc[audit, "factor"]) <= AUDIT
    assert table.loc[audit, "direction"].isna().all()
    if audit.any():
        assert table.loc[~audit, "direction"].isin(["higher", "lower"]).any()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_report_shows_audit_rows_apart(bundle, tmp_path, lang):
    table = read_bundle(bundle).table("high_risk_profile")
    html = _section(_report(bundle, tmp_path, lang), "hoogrisicogroep", "typen")
    label = table.loc[table["factor"] == "migration_background", f"label_{lang}"].iloc[0]
    audit_table = html.index(t("hr_audit_caption", lang))
    assert t("hr_audit_text", lang) in html
    assert html.index(label) > audit_table  # only in the audit table, not in the chart
    for phrase in ("vaker migratieachtergrond", "more often migration background"):
        assert phrase not in html


def _copy_with(source, target, name: str, frame: pd.DataFrame):
    """A copy of the bundle ``source`` with the table ``name`` replaced by ``frame``."""
    bundle = read_bundle(source)
    with BundleWriter(target, pilot=bundle.manifest["pilot"]) as writer:
        for output in bundle.outputs:
            if output["kind"] in ("chart", "map"):  # the report draws them again
                continue
            if output["kind"] == "text":
                writer.add_text(output["name"], bundle.text(output["name"]),
                                lang=output.get("lang", "nl"))
                continue
            table = frame if output["name"] == name else bundle.table(output["name"])
            writer.add_table(CheckedTable(
                output["name"], table, _Verdict(bundle.verdict(output["name"])),
                tuple(output.get("variables", ())), output.get("title_nl", ""),
                output.get("title_en", ""), output["kind"], output.get("rules") or {}))
    return target


def test_the_report_never_shows_an_audit_row_alone(bundle, tmp_path):
    """A bundle whose high-risk group differs clearly only in an audit-only attribute (as a
    bundle written before the rule could): the report says there is no clear difference and
    shows no audit row."""
    table = read_bundle(bundle).table("high_risk_profile")
    audit = table["audit_only"].astype(bool)
    alone = table.assign(direction=table["direction"].where(audit, "similar"))
    alone.loc[audit, "direction"] = "higher"  # even if a direction was claimed
    copy = _copy_with(bundle, tmp_path / "bundle", "high_risk_profile", alone)
    html = _section(_report(copy, tmp_path, "nl"), "hoogrisicogroep", "typen")
    assert t("no_differences", "nl") in html
    assert "igratieachtergrond" not in html and "<svg" not in html
