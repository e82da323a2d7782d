"""The report on what is not in the bundle (the manifest's ``withheld``), on small household
types that were merged or withheld, on the second method's agreement, and on the risk terms'
labels: names, numbers and statuses, not sentences."""

from __future__ import annotations

import re
from html import unescape

import pytest
from test_report_support import bundle_without, demo_bundle, small_bundle

from smartstart.bundle import read_bundle
from smartstart.outputs._withheld import KINDS
from smartstart.report import write_report
from smartstart.report._disclosure import explain
from smartstart.report._sections import OUTLINE
from smartstart.report._text import number, t, term

RULES = ("threshold", "zeros", "shares", "contributors", "dominance", "p_ratio", "min_max",
         "dof", "category_cases", "separation", "convergence", "cluster_size", "linking_keys",
         "derived", "nested", "protection")


@pytest.fixture(scope="session")
def full(tmp_path_factory):
    return demo_bundle(tmp_path_factory)


@pytest.fixture(scope="session")
def small(tmp_path_factory):
    return small_bundle(tmp_path_factory)


def _report(bundle, tmp_path_factory, lang: str) -> str:
    out = tmp_path_factory.mktemp("withheld") / f"r-{lang}.html"
    return unescape(write_report(bundle, out, lang=lang).read_text("utf-8"))


@pytest.fixture(scope="session")
def small_nl(small, tmp_path_factory):
    return _report(small, tmp_path_factory, "nl")


@pytest.fixture(scope="session")
def small_en(small, tmp_path_factory):
    return _report(small, tmp_path_factory, "en")


@pytest.fixture(scope="session")
def full_nl(full, tmp_path_factory):
    return _report(full, tmp_path_factory, "nl")


def _between(html: str, start: str, end: str | None = None) -> str:
    begin = html.index(f'id="{start}"')
    return html[begin:html.index(f'id="{end}"', begin) if end else None]


def _cells(html: str) -> list[str]:
    found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", html, re.S)
    return [unescape(re.sub(r"\s+", " ", c).strip()) for c in found]


def _title(entry: dict, lang: str) -> str:
    """As the report names a withheld output: the manifest's title, else the dictionary's."""
    return entry.get(f"title_{lang}") or term("outputs", entry["name"], lang)


def _withheld(bundle) -> list[dict]:
    return read_bundle(bundle).manifest["withheld"]


def test_every_rule_has_plain_words():
    for rule in RULES:
        for lang in ("nl", "en"):
            assert term("rule_why", rule, lang) != rule, (rule, lang)


class _Manifest:
    def __init__(self, manifest: dict) -> None:
        self.bundle = type("B", (), {"manifest": manifest})()


def test_reasons_are_put_into_words_by_their_typed_values():
    src = _Manifest({"lack_of_data": [{"analysis": "typology", "reason": "too_few_households",
                                       "detail": "40 households"}]})
    model = explain(src, {"name": "risk_coefficients", "kind": "model",
                          "rules": ["category_cases", "convergence", "separation"]}, "nl")
    for rule in ("category_cases", "convergence", "separation"):
        assert term("rule_why", rule, "nl") in model
    gate = explain(src, {"name": "x", "kind": "gate", "rules": ["threshold", "zeros"]}, "en")
    assert term("rule_why", "threshold", "en") in gate and term("rule_why", "zeros", "en") in gate
    lack = explain(src, {"name": "typology", "kind": "not_run"}, "en")
    assert term("lack_reason", "too_few_households", "en") in lack
    for kind in KINDS:
        for lang in ("nl", "en"):
            words = explain(src, {"name": "y", "kind": kind, "rules": ["zeros"],
                                  "detail": "too_few_children"}, lang)
            assert "{" not in words and words not in (kind, "–"), (kind, lang)
    # a bundle written before the kinds: its reason as it stands, never read back
    assert explain(src, {"name": "z", "reason": "model afgekeurd: dof"}, "en") == \
        "model afgekeurd: dof"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_disclosure_section_lists_what_is_withheld(small, small_nl, small_en, lang):
    html = small_nl if lang == "nl" else small_en
    entries = _withheld(small)
    assert entries, "the 400-household demo should withhold the risk model"
    part = _between(html, "niet-in-bundel")
    cells = _cells(part)
    for entry in entries:
        assert any(_title(entry, lang) in c for c in cells), entry["name"]
        assert entry["kind"] in ("model", "gate", "not_run", "too_few_factors"), entry
        for rule in entry["rules"]:
            assert any(term("rule_why", rule, lang) in c for c in cells), rule
    reasons = {(e["kind"], tuple(e["rules"]), e["detail"]) for e in entries}
    assert len(cells) == 2 + 2 * len(reasons)  # header row, then one row per reason


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_risk_section_says_the_model_is_withheld(small, small_nl, small_en, lang):
    html = small_nl if lang == "nl" else small_en
    owns = next(s.owns for s in OUTLINE if s.id == "risico")
    mine = [e for e in _withheld(small) if e["name"].startswith(owns)]
    # 400 households: no predictor can be shown safely, so the model is not fitted at all
    assert {(e["name"], e["kind"]) for e in mine} == {("risk", "not_run")}
    risk = _between(html, "risico", "typen")
    notes = [unescape(n) for n in re.findall(r'class="missing"[^>]*>(.*?)</p>', risk, re.S)]
    assert len(notes) == len({(e["kind"], tuple(e["rules"])) for e in mine}) and "<svg" not in risk
    for entry in mine:
        assert any(_title(entry, lang) in note for note in notes)
    # the note points to the chapter that lists it by that chapter's own title, which is in
    # the report (it said 'chapter 5' where that was another chapter; helper-41)
    chapter = t("s5_title", lang)
    assert all(f"‘{chapter}’" in note for note in notes)
    assert chapter in unescape(_between(html, "controle"))
    if not any(e["name"].startswith(("attrition", "match")) for e in _withheld(small)):
        assert 'class="missing"' not in _between(html, "pilot", "doelgroep")


def test_nothing_withheld_is_said(full, tmp_path_factory):
    clean = bundle_without(full, tmp_path_factory.mktemp("clean") / "bundle", "")
    html = _report(clean, tmp_path_factory, "nl")
    part = _between(html, "niet-in-bundel")
    assert t("withheld_none", "nl") in part and "<table" not in part.split("</div>")[0]
    assert 'class="missing"' not in html


def test_each_withheld_output_is_said_where_it_belongs(full, tmp_path_factory):
    withheld = [{"name": "combinations", "kind": "gate", "rules": ["threshold", "zeros"]},
                {"name": "typology", "kind": "not_run", "detail": "too_few_households"}]
    copy = bundle_without(full, tmp_path_factory.mktemp("some") / "bundle", "typology",
                          withheld=withheld)
    html = _report(copy, tmp_path_factory, "nl")
    risk, types = _between(html, "risico", "typen"), _between(html, "typen", "controle")
    assert risk.count('class="missing"') == 1 and types.count('class="missing"') == 1
    assert term("outputs", "combinations", "nl") in risk and "<svg" in risk
    assert term("rule_why", "zeros", "nl") in risk
    assert term("lack_reason", "too_few_households", "nl") in types
    assert 'class="missing"' not in _between(html, "pilot", "risico")
    cells = _cells(_between(html, "niet-in-bundel"))
    assert len(cells) == 2 + 2 * len(withheld)
    assert term("outputs", "typology", "nl") in cells


def test_small_types_merged_or_withheld(small, small_nl):
    actions = read_bundle(small).table("typology_actions")
    assert set(actions["action"]) == {"merged", "withheld"}
    part = _between(small_nl, "typen-grootte")
    for row in actions.itertuples():
        if row.action == "merged":
            assert t("action_merged", "nl", type=row.type, into=row.into_type) in part
        else:
            assert t("action_withheld", "nl", type=row.type, into="–") in part
    assert t("types_none", "nl") in part and "<svg" not in _between(small_nl, "typen", "controle")


def test_no_small_types_no_sentence(full, full_nl):
    assert read_bundle(full).table("typology_actions").empty
    part = _between(full_nl, "typen-grootte", "personas")
    assert "<p>" not in part.split("<figure")[0]


def test_second_method_and_caution(full, tmp_path_factory):
    caution = "Een type is geen hokje: lees het profiel als wat vaker voorkomt."
    copy = bundle_without(full, tmp_path_factory.mktemp("caution") / "bundle", "",
                          texts={"typology_caution_nl": caution})
    html = _report(copy, tmp_path_factory, "nl")
    robustness = read_bundle(full).table("typology_robustness").set_index("method")
    ari = robustness.loc["gower_pam", "ari_with_latent_class"]
    assert number(ari, "nl", 2) in _between(html, "typen-keuze", "controle")
    assert caution in _between(html, "personas", "typen-overzicht")
    assert caution not in _between(html, "typen", "personas")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_odds_ratios_use_the_term_labels(full, tmp_path_factory, lang):
    html = _report(full, tmp_path_factory, lang)
    coefficients = read_bundle(full).table("risk_coefficients")
    part = _between(html, "oddsratios", "prestaties")
    cells = _cells(part)
    for label in coefficients.loc[coefficients["term"] != "const", f"label_{lang}"]:
        assert label in cells and label in part.split("<details")[0]  # table and chart
