"""The report's "Werkt het?" on the effect demo's bundle: the section is there in Dutch and
English, its key figures are the published estimates, its charts are drawn from the published
series and event study (and sit in the bundle), the table of buurten shows every buurt and year
as published, and the conclusions follow the published p-value, pool and pre-trend (keys and
numbers compared, not sentences)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from smartstart.bundle import read_bundle
from smartstart.report import _effect as E
from smartstart.report._sections import sections
from smartstart.report._source import Source
from smartstart.report._text import t
from smartstart.report._types import Bullets, DataTable, Figure, Figures


def _section(bundle, lang):
    src = Source(read_bundle(bundle), lang)
    return src, next(s for s in sections(src, lang) if s.id == "werkt-het")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_section_shows_the_published_evaluation(effect_demo, lang):
    bundle = effect_demo / "results" / "bundle"
    src, section = _section(bundle, lang)
    assert section.title == t("s7_title", lang)
    parts = {p.id: p for p in section.parts if hasattr(p, "id")}
    assert {"werkt-het-monitor", "werkt-het-effect", "werkt-het-per-jaar"} <= set(parts)
    estimates = pd.read_parquet(bundle / "tables" / "effect_estimates.parquet")
    head = estimates[estimates["headline"]].iloc[0]
    figures = next(b for b in parts["werkt-het-effect"].blocks if isinstance(b, Figures))
    values = dict((term, value) for term, value, _ in figures.items)
    assert E._pp(head["estimate"], lang) in values[t("effect_term_estimate", lang)]
    assert values[t("effect_term_p", lang)] == E._p(head["p_value"], lang)
    bullets = next(b for b in parts["werkt-het-effect"].blocks if isinstance(b, Bullets))
    words = E._words(src, "jeugdhulp", lang)
    assert bullets.items[0] == t("effect_says_down", lang, p=E._p(head["p_value"], lang),
                                 **words)
    assert bullets.items[-1] == t("effect_says_caution", lang)
    charts = [b for p in parts.values() for b in p.blocks if isinstance(b, Figure)]
    assert {c.source or "effect_event_study" for c in charts} == {
        "effect_series_jeugdhulp", "effect_event_study"}
    for chart in charts:  # the bundle holds each chart the report draws
        name = chart.id.removeprefix("fig-")
        assert (bundle / "charts" / f"{name}_{lang}.svg").read_text("utf-8") == chart.svg


def test_the_buurten_table_shows_every_buurt_and_year_as_published(effect_demo):
    bundle = effect_demo / "results" / "bundle"
    src, section = _section(bundle, "nl")
    monitor = next(p for p in section.parts if getattr(p, "id", "") == "werkt-het-monitor")
    table = next(b for b in monitor.blocks if isinstance(b, DataTable))
    frame = pd.read_parquet(bundle / "tables" / "effect_monitor_jeugdhulp.parquet")
    assert len(table.rows) == frame["area"].nunique() == 19
    assert table.columns[1:] == tuple(str(y) for y in range(2012, 2023))
    treated = src.pilot["effect"]["treated"]["buurten"]
    assert [r[0] for r in table.rows[:3]] == [
        t("effect_treated_mark", "nl", name=E._buurt(b, "nl")) for b in sorted(treated)]
    hidden = frame["rate"].isna().sum()
    shown = sum(cell in ("x", "<10") for row in table.rows for cell in row[1:])
    assert hidden > 0 and shown == hidden


def _info(**values) -> pd.Series:
    base = {"alpha": 0.05, "pool_status": "ok", "smallest_p": 0.002, "treated_areas": 3,
            "mde": float("nan"), "mde_relative": float("nan"), "pretrend_p": 0.4}
    return pd.Series({**base, **values})


@pytest.mark.parametrize(("info", "estimate", "p", "keys"), [
    (_info(), -2.0, 0.01, ["effect_says_down", "effect_says_pretrend_ok"]),
    (_info(), 1.5, 0.01, ["effect_says_up", "effect_says_pretrend_ok"]),
    (_info(pool_status="too_small", smallest_p=0.1), -2.0, 0.1,
     ["effect_says_nothing", "effect_says_pool_too_small", "effect_says_pretrend_ok"]),
    (_info(pool_status="coarse", mde=3.1, mde_relative=-0.25, pretrend_p=0.01), -1.0, 0.3,
     ["effect_says_nothing", "effect_says_pool_coarse", "effect_says_mde",
      "effect_says_pretrend_bad"]),
])
def test_the_conclusions_follow_the_published_figures(effect_demo, info, estimate, p, keys):
    src = Source(read_bundle(effect_demo / "results" / "bundle"), "nl")
    head = pd.Series({"estimate": estimate, "p_value": p})
    mine = pd.DataFrame({"method": ["imputation"], "p_value": [p]})
    words = E._words(src, "jeugdhulp", "nl")
    said = E._conclusions(head, mine, info, src, "nl", words)
    assert len(said) == len(keys) + 1 and said[-1] == t("effect_says_caution", "nl")
    heads = [t(k, "nl", p="{p}", smallest="{smallest}", treated_n="{treated_n}",
               relative="{relative}", mde="{mde}", outcome="{outcome}").split("{")[0][:25]
             for k in keys]
    assert [s[:len(h)] for s, h in zip(said, heads, strict=False)] == heads
    if "effect_says_mde" in keys:
        assert any(E._relative(-0.25, "nl") in s and "3" in s for s in said)


def test_the_report_holds_the_section_in_both_languages(effect_demo, tmp_path):
    from smartstart.report import write_report

    for lang in ("nl", "en"):  # written beside the test, not into the shared effect demo
        html = write_report(effect_demo / "results" / "bundle",
                            tmp_path / f"effect_{lang}.html", lang=lang).read_text("utf-8")
        assert 'id="werkt-het"' in html and t("s7_title", lang) in html
        assert html.count("<svg") >= 2


def test_the_estimators_are_words_in_the_exports_and_older_bundles_still_check(effect_demo,
                                                                               tmp_path):
    """The effect table's estimators are words in each language's CSV ("imputation" is
    "verschil-in-verschillen (imputatie)"), as in the report. A bundle of the first words'
    version (``export_words: true``, methods as codes) is still checked as written, and the
    same files under a manifest of the current version are found."""
    import json
    import shutil

    from bundle_checked import checked
    from test_check_tamper import _fit_hashes

    from smartstart.bundle._exports import rewrite_derived

    root = Path(shutil.copytree(effect_demo / "results" / "bundle", tmp_path / "bundle"))
    name = next(p.stem for p in sorted((root / "tables").glob("*.parquet"))
                if "imputation" in set(pd.read_parquet(p).get("method", ())))

    def methods(lang: str) -> set[str]:
        folder, sep = ("exports/csv", ";") if lang == "nl" else ("exports/en/csv", ",")
        shown = pd.read_csv(root / folder / f"{name}.csv", sep=sep, encoding="utf-8-sig",
                            dtype=str)
        return set(shown[{"nl": "Methode", "en": "Method"}[lang]])

    assert "verschil-in-verschillen (imputatie)" in methods("nl"), methods("nl")
    assert "difference-in-differences (imputation)" in methods("en"), methods("en")
    assert not methods("nl") & {"imputation", "twfe", "sdid", "placebo_time", "horizon"}
    found = checked(root)
    assert (found.kinds, found.code) == (set(), 0)
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))
    assert manifest["export_words"] == 2
    manifest["export_words"] = True  # as the first version wrote it
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    rewrite_derived(root)
    _fit_hashes(root)
    assert "imputation" in methods("nl")
    found = checked(root)
    assert (found.kinds, found.code) == (set(), 0)
    manifest["export_words"] = 2
    (root / "manifest.json").write_text(json.dumps(manifest, indent=1), "utf-8")
    _fit_hashes(root)
    found = checked(root)
    assert found.code == 1 and found.kinds, found.kinds
