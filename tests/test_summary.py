"""The Kernboodschap (issue 17): the report opens with it, every number in it is a published
cell of the table its statement names, and a section the pilot did not ask for leaves no
statement (a withheld one says so, without numbers)."""

from __future__ import annotations

import copy
import html
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_run_bundle import demo  # noqa: F401 - the demo bundle, built once for the module

from smartstart.bundle import read_bundle
from smartstart.report import write_report
from smartstart.report._source import Source
from smartstart.report._summary import summary

ITEM = re.compile(r'<li( class="absent")? data-section="([^"]*)" data-tables="([^"]*)">(.*?)'
                  r"</li>", re.S)
NUMBER = re.compile(r"(\d[\d.,]*\d|\d)(%?)")


def _items(page: str) -> list[tuple[bool, str, list[str], str]]:
    start = page.index('id="kernboodschap"')
    end = page.index("</section>", start)
    return [(bool(a), s, t.split(), body) for a, s, t, body in ITEM.findall(page[start:end])]


def _numbers(text: str, lang: str) -> list[tuple[float, int, bool]]:
    """(value, decimals, percent) of every number in the text outside names and links."""
    text = re.sub(r"<q>.*?</q>|<a [^>]*>.*?</a>", " ", text, flags=re.S)
    found = []
    for digits, pct in NUMBER.findall(html.unescape(text)):
        point, group = (",", ".") if lang == "nl" else (".", ",")
        whole, _, decimals = digits.replace(group, "").partition(point)
        found.append((float(f"{whole}.{decimals or 0}"), len(decimals), pct == "%"))
    return found


def _cells(root: Path, tables: list[str]) -> np.ndarray:
    values = []
    for name in tables:
        path = root / "tables" / f"{name}.parquet"
        if path.exists():
            frame = pd.read_parquet(path)
            numbers = frame.select_dtypes("number").to_numpy(dtype=float).ravel()
            values.append(numbers[np.isfinite(numbers)])
    return np.concatenate(values) if values else np.array([])


def _texts(root: Path, tables: list[str]) -> set[str]:
    words: set[str] = set()
    for name in tables:
        path = root / "tables" / f"{name}.parquet"
        if path.exists():
            frame = pd.read_parquet(path)
            for column in frame.select_dtypes(exclude="number").columns:
                words |= {str(v) for v in frame[column].dropna()}
    labels = pd.read_csv(root / "labels.csv", dtype=str, keep_default_na=False)
    return words | set(labels["label_nl"]) | set(labels["label_en"])


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_report_opens_with_the_kernboodschap_and_every_number_is_a_cell(demo, tmp_path,  # noqa: F811
                                                                         lang):
    root = demo / "bundle"
    page = write_report(root, tmp_path / "r.html", lang).read_text("utf-8")
    chapters = re.findall(r'<section id="([^"]+)" class="chapter"', page)
    assert chapters[0] == "kernboodschap"
    items = _items(page)
    manifest = read_bundle(root).manifest
    asked = manifest["pilot"]["study"]["analyses"]
    sections = {"profile": "doelgroep", "risk": "risico", "typology": "typen",
                "areas": "gebieden", "effect": "werkt-het"}
    assert [s for _, s, _, _ in items] == [sections[a] for a in sections if a in asked]
    checked = 0
    for absent, section, tables, body in items:
        assert f'href="#{section}"' in body and f'id="{section}"' in page
        assert not absent, section  # the demo publishes every asked section's table
        cells = _cells(root, tables)
        for value, decimals, pct in _numbers(body, lang):
            shown = cells * 100 if pct else cells
            assert np.any(np.abs(shown - value) <= 0.5 * 10 ** -decimals + 1e-9), (
                section, value, body)
            checked += 1
        words = _texts(root, tables)
        group = manifest["pilot"]["study"]["target_group"][f"label_{lang}"]
        for name in re.findall(r"<q>(.*?)</q>", body):
            assert html.unescape(name) in words | {group}, (section, name)
    assert checked >= 8  # sizes, shares, the times and the areas' rates were compared


def _source(root: Path, analyses: list[str], drop: tuple[str, ...] = ()) -> Source:
    bundle = read_bundle(root)
    manifest = copy.deepcopy(bundle.manifest)
    manifest["pilot"]["study"]["analyses"] = analyses
    manifest["outputs"] = [o for o in manifest["outputs"] if o["name"] not in drop]
    return Source(type(bundle)(bundle.root, manifest, bundle.log), "nl")


def _statements(src: Source) -> list[tuple[bool, str, list[str], str]]:
    part = summary(src, "nl")
    markup = "".join(str(b.markup) for b in part.blocks)
    return [(bool(a), s, t.split(), body) for a, s, t, body in ITEM.findall(markup)]


def test_a_section_not_asked_leaves_no_statement(demo):  # noqa: F811
    root = demo / "bundle"
    assert [s for _, s, _, _ in _statements(_source(root, ["profile"]))] == ["doelgroep"]
    assert [s for _, s, _, _ in _statements(_source(root, ["typology", "areas"]))] == [
        "typen", "gebieden"]
    part = summary(_source(root, []), "nl")
    assert part.blocks == [] and part.paragraphs


def test_a_withheld_table_is_said_in_one_line_without_numbers(demo):  # noqa: F811
    root = demo / "bundle"
    items = _statements(_source(root, ["profile", "risk"],
                                drop=("combinations", "risk_coefficients")))
    assert [(a, s) for a, s, _, _ in items] == [(False, "doelgroep"), (True, "risico")]
    assert _numbers(items[1][3], "nl") == [] and items[1][2] == []


def test_withheld_combinations_leave_the_risk_model_s_strongest_factor(demo):  # noqa: F811
    """An outsider's run: the combinations were withheld and the summary said the bundle held
    nothing on risk, while the model's odds ratios (bijstand 3.71) were published."""
    root = demo / "bundle"
    items = _statements(_source(root, ["risk"], drop=("combinations",)))
    (absent, section, tables, body), = items
    assert (absent, section, tables) == (False, "risico", ["risk_coefficients"])
    coefficients = pd.read_parquet(root / "tables" / "risk_coefficients.parquet")
    raised = coefficients[(coefficients["term"] != "const") & (coefficients["or_low"] > 1)]
    top = raised.sort_values("odds_ratio").iloc[-1]
    assert f"<q>{html.escape(top['label_nl'])}</q>" in body
    numbers = [v for v, _, _ in _numbers(body, "nl")]
    assert numbers == pytest.approx([top["odds_ratio"], top["or_low"], top["or_high"]], abs=0.05)
    src = _source(root, ["risk"], drop=("combinations",))
    src.table("risk_coefficients").frame["or_low"] = 0.5  # nothing clearly raises the chance
    (absent, _, tables, body), = _statements(src)
    assert not absent and tables == ["risk_coefficients"]
    assert "geen factor" in body and _numbers(body, "nl") == []


def test_whether_it_worked_comes_from_the_published_evaluation(effect_demo):
    root = effect_demo / "results" / "bundle"
    src = Source(read_bundle(root), "nl")
    items = _statements(src)
    asked = src.pilot["analyses"]
    assert ("effect" in asked) is any(s == "werkt-het" for _, s, _, _ in items)
    absent, _, tables, body = next(i for i in items if i[1] == "werkt-het")
    assert not absent and tables == ["effect_estimates", "effect_inference"]
    estimates = pd.read_parquet(root / "tables" / "effect_estimates.parquet")
    p = float(estimates[estimates["headline"].astype(bool)].iloc[0]["p_value"])
    numbers = _numbers(body, "nl")
    assert numbers and all(abs(v - p) <= 0.0005 for v, _, pct in numbers if not pct)
    cells = _cells(root, tables)
    for value, decimals, pct in numbers:
        assert np.any(np.abs((cells * 100 if pct else cells) - value) <= 0.5 * 10 ** -decimals
                      + 1e-9)


def test_two_factors_with_the_same_households_are_named_once(demo):  # noqa: F811
    """An outsider's report named "huurwoning met huurtoeslag (88% tegen 34%)" twice, once
    per factor that counts those households; the second place goes to the next difference."""
    src = _source(demo / "bundle", ["profile"])
    table = src.table("profile_households")
    frame = table.frame
    shares = frame[(frame["statistic"] == "share") & (frame["direction"] == "higher")
                   & frame["smd_rest"].notna() & ~frame["factor"].isin(["wijk", "buurt"])]
    ranked = shares.sort_values("smd_rest", ascending=False)
    twin = ranked.iloc[[0]].assign(factor="twin", label_nl="Tweeling van de eerste")
    table.frame = pd.concat([frame, twin], ignore_index=True)
    (_, _, _, body), = _statements(src)
    named = [html.unescape(n) for n in re.findall(r"<q>(.*?)</q>", body)][1:]
    first, second = ranked.iloc[0]["label_nl"], ranked.iloc[1]["label_nl"]
    assert len(named) == 2 and second in named
    assert len({first, "Tweeling van de eerste"} & set(named)) == 1
