"""Why something is not in the bundle is a typed value (kind, rules, the lack of data's reason),
with words for every kind in the report's dictionary; no sentence is parsed back."""

from __future__ import annotations

import pytest

from smartstart.outputs._withheld import KINDS, Withheld, typed
from smartstart.report._text import texts


def test_every_kind_has_words():
    words = texts()["why_kind"]
    assert set(words) == set(KINDS)
    for kind in KINDS:
        assert words[kind]["nl"] and words[kind]["en"] and words[kind]["nl"] != words[kind]["en"]


@pytest.mark.parametrize(("pair", "lacking", "target", "expected"), [
    (("typology", "analyse niet uitgevoerd: ..."), {"typology": ("too_few_households", "40")},
     True, Withheld("typology", "not_run", detail="too_few_households", words="40")),
    (("typology", "geen doelgroep ingesteld"), {}, False,
     Withheld("typology", "no_target_group")),
    (("combinations", "threshold, zeros"), {}, True,
     Withheld("combinations", "gate", ("threshold", "zeros"))),
    (("risk_checks", "register"), {}, True, Withheld("risk_checks", "gate", ("register",))),
])
def test_the_runs_pairs_as_typed_values(pair, lacking, target, expected):
    assert typed(pair, lacking, target) == expected


def test_a_typed_value_stays_as_it_is_and_unpacks_as_a_pair():
    model = Withheld("risk_coefficients", "model", ("dof", "separation"))
    assert typed(model, {}, True) is model
    name, sentence = model
    assert (name, sentence) == ("risk_coefficients", "model afgekeurd: dof, separation")
    assert model.to_dict() == {"name": "risk_coefficients", "kind": "model",
                               "rules": ["dof", "separation"], "detail": "",
                               "reason": "model afgekeurd: dof, separation"}


def test_the_console_says_why_in_the_reports_dutch_words():
    """The run's summary said 'combinations (nested)' and English details (helper-41)."""
    from smartstart.pipeline import reason_nl
    from smartstart.report._text import term

    assert reason_nl("combinations", "nested, zeros", {}) == \
        f"{term('rule_why', 'nested', 'nl')}; {term('rule_why', 'zeros', 'nl')}"
    assert reason_nl("risk_coefficients", "model afgekeurd: dof", {}) == \
        f"model afgekeurd: {term('rule_why', 'dof', 'nl')}"
    assert reason_nl("risk", "analyse niet uitgevoerd: no predictor has enough children",
                     {"risk": "too_few_events"}) == \
        f"analyse niet uitgevoerd: {term('lack_reason', 'too_few_events', 'nl')}"
    assert reason_nl("typology", "geen doelgroep ingesteld", {}) == "geen doelgroep ingesteld"


def test_a_withheld_model_card_has_a_title():
    """A municipality's report listed a withheld model card as 'model_card_nl' (helper-41):
    outputs without a title of their own take the report's words for what may be withheld."""
    from smartstart.outputs import TITLES
    from smartstart.pipeline import titles
    from smartstart.report._text import term

    for name in ("model_card_nl", "model_card_en"):
        assert titles(name) == (term("outputs", name, "nl"), term("outputs", name, "en"))
        assert titles(name)[0] != name
    assert titles("combinations") == TITLES["combinations"]
    assert titles("nothing_like_this") == ("nothing_like_this", "nothing_like_this")
