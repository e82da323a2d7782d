"""The report's technical appendix (issue 17): a glossary of exactly the statistical terms the
chapters of the report use, in Dutch and English, linked from the report. Checked on the
demo (profile, risk, typology, areas) and on a profile-only pilot made from it, by the
anchors in the HTML, not by the sentences."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_report_support import bundle_without, demo_bundle

from smartstart.report import write_report
from smartstart.report._glossary import Entry, _validate, glossary

#: the terms each pilot's report must explain: its chapters use them
DEMO = {"confidence_interval", "odds_ratio", "auc", "brier", "calibration_slope", "lift",
        "selection_rate", "ppv", "latent_class", "bic", "gower_kmedoids", "suppression"}
PROFILE_ONLY = {"confidence_interval", "suppression"}
EFFECT_ONLY = {"permutation_test", "difference_in_differences", "minimum_detectable_effect"}


@pytest.fixture(scope="module")
def pilots(tmp_path_factory) -> dict[str, tuple[Path, set[str]]]:
    demo = demo_bundle(tmp_path_factory)
    profile = bundle_without(
        demo, tmp_path_factory.mktemp("profile-only") / "bundle",
        ("risk", "combinations", "high_risk", "fairness", "model_card", "typology", "areas"),
        analyses=["profile"])
    return {"demo": (demo, DEMO), "profile": (profile, PROFILE_ONLY)}


def _anchor(key: str) -> str:
    return "begrip-" + key.replace("_", "-")


def _appendix(html: str) -> str:
    found = re.findall(r'<section id="begrippen"[^>]*>(.*?)</section>', html, re.S)
    assert len(found) == 1
    return found[0]


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("pilot", ["demo", "profile"])
def test_the_appendix_lists_exactly_the_terms_of_the_chapters_present(pilots, tmp_path,
                                                                      pilot, lang):
    bundle, expected = pilots[pilot]
    html = write_report(bundle, tmp_path / "rapport.html", lang=lang).read_text("utf-8")
    appendix = _appendix(html)
    ids = re.findall(r'<div id="([^"]+)"><dt>', appendix)
    assert set(ids) == {_anchor(k) for k in expected} and len(ids) == len(expected)
    names = re.findall(r"<dt>(.*?)</dt>", appendix)
    assert names == sorted(names, key=str.casefold)  # alphabetical in the report's language
    assert all(len(text.split()) >= 15 for text in re.findall(r"<dd>(.*?)</dd>", appendix))
    # the appendix is the last chapter, in the table of contents and linked from the start
    main = html.split('<main id="main">')[1].split("</main>")[0]
    assert main.rfind('<section id="begrippen"') == main.rfind("<section ")
    assert html.count('href="#begrippen"') == 2
    # every chapter links to the terms it uses, and every term is linked from a chapter
    chapters = html.split('<section id="begrippen"')[0]
    linked = set(re.findall(r'href="#(begrip-[a-z-]+)"', chapters))
    assert linked == set(ids)
    if pilot == "profile":
        assert 'id="risico"' not in html and "AUC" not in appendix


def test_the_two_languages_list_the_same_terms_in_their_own_words(pilots, tmp_path):
    bundle, _ = pilots["demo"]
    pages = {lang: _appendix(write_report(bundle, tmp_path / f"{lang}.html", lang=lang)
                             .read_text("utf-8")) for lang in ("nl", "en")}
    terms = {lang: dict(re.findall(r'<div id="([^"]+)"><dt>(.*?)</dt>', page))
             for lang, page in pages.items()}
    assert set(terms["nl"]) == set(terms["en"])
    assert terms["nl"]["begrip-confidence-interval"] != terms["en"]["begrip-confidence-interval"]
    texts = {lang: re.findall(r"<dd>(.*?)</dd>", page) for lang, page in pages.items()}
    assert not set(texts["nl"]) & set(texts["en"])


def test_every_term_has_words_in_both_languages_and_belongs_to_the_outline():
    _, entries = glossary()
    keys = {e.key for e in entries}
    assert keys == DEMO | EFFECT_ONLY  # the fifteen terms of issue 17
    assert {e.key for e in entries if e.outputs & {"effect_estimates", "effect_event_study"}} \
        == EFFECT_ONLY


def test_a_term_naming_no_part_of_the_report_fails_on_load():
    words = {"nl": {"term": "t", "text": "x"}, "en": {"term": "t", "text": "x"}}
    with pytest.raises(ValueError, match="outline"):
        _validate([Entry("odd", frozenset({"risk_auc"}), frozenset(), words)])
    with pytest.raises(ValueError, match="outline"):
        _validate([Entry("none", frozenset(), frozenset(), words)])
    with pytest.raises(ValueError, match="language"):
        _validate([Entry("half", frozenset(), frozenset({"risico"}),
                         {"nl": words["nl"], "en": {"term": "t"}})])


def test_an_effect_chapter_brings_its_own_terms_and_a_withheld_part_none():
    """Built from sections directly: the evaluation's chapter with its estimate shown lists the
    evaluation's terms; a risk chapter whose performance table was withheld has no AUC."""
    from smartstart.report._glossary import appendix
    from smartstart.report._types import Section

    effect = Section("werkt-het", "t", outputs=["effect_inference", "effect_estimates"])
    risk = Section("risico", "t", outputs=["risk_coefficients"])
    found = appendix([effect, risk, Section("controle", "t", outputs=[""])], "en")
    assert {t.id for t in found.terms} == {_anchor(k) for k in EFFECT_ONLY | {
        "confidence_interval", "odds_ratio", "suppression"}}
    assert {t.id for t in found.used["risico"]} == {_anchor("confidence_interval"),
                                                     _anchor("odds_ratio")}
    assert appendix([Section("pilot", "t", outputs=["attrition"])], "nl") is None
