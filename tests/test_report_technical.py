"""Issue 17, the main text for people and the technique in an appendix: on the demo's bundle
the chapters hold no statistical jargon (odds ratio, AUC, Brier, BIC, Gower, k-medoids, PPV,
selection rate, lift), say where the technique went, and the appendix 'De techniek' holds the
odds ratios, the model's quality, calibration, fairness and the choice of the number of types,
each titled with its chapter; in Dutch and English."""

from __future__ import annotations

import re

import pytest

from smartstart.bundle import read_bundle
from smartstart.report._sections import TECHNICAL, sections
from smartstart.report._source import Source
from smartstart.report._text import t
from smartstart.report._types import Part, Pointer

JARGON = ("odds ratio", "AUC", "Brier", "BIC", "Gower", "medoid", "PPV", "selectiegraad",
          "selection rate", "lift", "logistisch", "logistic regression", "clusteranalyse",
          "cluster analysis", "calibration slope", "kalibratiehelling")


def _words(part) -> str:
    """Every text a part shows (titles, paragraphs, and its blocks' texts and table cells)."""
    found = [getattr(part, "title", ""), getattr(part, "text", "")]
    found += list(getattr(part, "paragraphs", []))
    for block in getattr(part, "blocks", []):
        for name in ("text", "caption", "intro"):
            found.append(str(getattr(block, name, "") or ""))
        found += [str(c) for c in getattr(block, "columns", ()) or ()]
        found += [str(c) for row in getattr(block, "rows", ()) or () for c in row]
        found += [str(x) for item in getattr(block, "items", ()) or ()
                  for x in (item if isinstance(item, tuple) else (item,))]
    return " ".join(found)


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_chapters_speak_plainly_and_the_technique_is_in_the_appendix(demo_run, lang):
    src = Source(read_bundle(demo_run / "results" / "bundle"), lang)
    chapters = sections(src, lang)
    ids = [c.id for c in chapters]
    assert ids[-2:] == [TECHNICAL, "controle"] and {"risico", "typen"} <= set(ids)
    for chapter in chapters:
        if chapter.id in (TECHNICAL, "controle"):  # the check names every output as it is
            continue
        text = " ".join([chapter.title, *chapter.intro, *(_words(p) for p in chapter.parts)])
        found = [w for w in JARGON if re.search(r"\b" + re.escape(w), text, re.IGNORECASE)]
        assert not found, (chapter.id, found)
    moved = {c.id for c in chapters if any(
        isinstance(p, Pointer) and p.text == t("tech_moved", lang) and p.target == TECHNICAL
        for p in c.parts)}
    assert moved == {"risico", "typen"}
    annex = chapters[-2]
    assert annex.title == t("tech_title", lang)
    titles = [p.title for p in annex.parts if isinstance(p, Part)]
    risk = next(c.title for c in chapters if c.id == "risico")
    assert sum(title.startswith(f"{risk}: ") for title in titles) >= 4
    assert set(annex.outputs) >= {"risk_coefficients", "risk_performance", "risk_calibration",
                                  "fairness_metrics", "typology_selection"}
    text = " ".join(_words(p) for p in annex.parts)
    assert re.search("odds ratio", text, re.IGNORECASE) and "AUC" in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_combinations_are_sorted_as_titled(demo_run, lang):
    """'Combinations of risk factors, highest first': the shown risks descend (the demo's table
    once showed 7.7 % above 30.2 %)."""
    from smartstart.report._types import DataTable

    src = Source(read_bundle(demo_run / "results" / "bundle"), lang)
    risk = next(c for c in sections(src, lang) if c.id == "risico")
    part = next(p for p in risk.parts if isinstance(p, Part) and p.id == "combinaties")
    table = next(b for b in part.blocks if isinstance(b, DataTable))
    assert table.caption == t("comb_caption", lang)
    shown = [float(re.match(r"[\d.,]+", row[3]).group().replace(",", "."))
             for row in table.rows if re.match(r"\d", row[3])]
    assert len(shown) >= 5 and shown == sorted(shown, reverse=True)


def test_the_english_report_speaks_english_in_the_flow(demo_run):
    """The linking flow's steps and reasons in English (the run writes both languages; the
    English report kept the Dutch ones), read from the bundle's own columns."""
    import pandas as pd

    from smartstart.report._types import Figure

    bundle = demo_run / "results" / "bundle"
    flow = pd.read_parquet(bundle / "tables" / "attrition.parquet")
    assert (flow["step_en"].str.len() > 0).all() and (flow["reason_en"].str.len() > 0).all()
    src = Source(read_bundle(bundle), "en")
    pilot = next(c for c in sections(src, "en") if c.id == "pilot")
    part = next(p for p in pilot.parts if isinstance(p, Part) and p.id == "verloop")
    figure = next(b for b in part.blocks if isinstance(b, Figure))
    shown = [row[0] for row in figure.table.rows]
    assert shown == list(flow["step_en"])
    text = " ".join(" ".join(map(str, row)) for row in figure.table.rows)
    for dutch in ("adres", "huishoudens", "peildatum", "inwoners", "doelgroep", "vestigingen"):
        assert dutch not in text, dutch
