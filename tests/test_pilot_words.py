"""Who runs the pilot and which outcome it studies come from the pilot, never from the code
(issue 13 items 2 and 7): the model card names the pilot's organisation (or asks for it) and
speaks of the outcome the pilot chose."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartstart.analyses import CardContext, model_card, risk_model
from smartstart.analyses._risk import RiskSpec
from smartstart.features import outcomes
from smartstart.pilot import OutcomeSpec, Study


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(3)
    n = 3000
    frame = pd.DataFrame({"young_mother": rng.random(n) < 0.2,
                          "single_parent": rng.random(n) < 0.3})
    logit = -3.5 + 1.2 * frame["young_mother"] + 0.8 * frame["single_parent"]
    frame["outcome"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    return risk_model(frame, RiskSpec(predictors=("young_mother", "single_parent")))


def test_every_outcome_a_pilot_may_choose_has_words():
    assert OutcomeSpec().name in outcomes()
    for words in outcomes().values():
        assert words.nl and words.en and words.nl_short and words.en_short


@pytest.mark.parametrize("name", ["ots", "uithuisplaatsing", "uithuisplaatsing_of_ots",
                                  "verdachte", "beschermingsmaatregel"])
def test_the_model_card_speaks_of_the_chosen_outcome(fit, name):
    words = outcomes()[name]
    card = model_card(fit, context=CardContext(
        outcome_nl=words.nl, outcome_en=words.en, outcome_short_nl=words.nl_short,
        outcome_short_en=words.en_short))
    nl, en = card.to_markdown("nl"), card.to_markdown("en")
    assert f"Risicomodel {words.nl_short}" in nl and f"Risk model of {words.en_short}" in en
    assert f"samengaan met {words.nl} binnen" in nl
    assert words.nl in card.text("purpose", "nl") and words.en in card.text("purpose", "en")
    if name in ("ots", "verdachte"):
        assert "uithuisplaatsing" not in nl and "placement" not in en


def test_the_card_names_the_pilots_organisation_or_asks_for_it(fit):
    blank = model_card(fit).to_markdown("nl")
    assert "*In te vullen door de verantwoordelijke organisatie.*" in blank
    assert "Hart van Brabant" not in blank
    card = model_card(fit, context=CardContext(organisation="Gemeente Heusden",
                                               programme="Smart Start",
                                               contact="jeugd@heusden.example"))
    assert "*Gemeente Heusden · Smart Start · contact: jeugd@heusden.example*" in (
        card.to_markdown("en"))


def test_the_pilot_carries_who_runs_it():
    study = Study(name="x", gemeente="797", peildatum="2021-01-01",
                  organisation="Gemeente Heusden", programme="Smart Start",
                  contact="projectteam jeugd")
    assert (study.gemeente, study.organisation, study.contact) == ("0797", "Gemeente Heusden",
                                                                   "projectteam jeugd")
    assert Study(name="x", gemeente="797", peildatum="2021-01-01").organisation is None


def test_the_report_header_reads_who_and_which_outcome_from_the_bundle():
    from smartstart.report._render import _meta

    pilot = {"gemeente": "0797", "peildatum": "2021-01-01", "organisation": "Gemeente Heusden",
             "programme": "Smart Start", "analyses": ["profile", "risk"],
             "outcome": {"name": "ots", "window_years": 3, "nl": "ondertoezichtstelling",
                         "en": "supervision order"}}
    nl = dict(_meta(pilot, {}, "nl"))
    assert nl["Organisatie"] == "Gemeente Heusden" and nl["Uitkomst"] == "ondertoezichtstelling"
    assert dict(_meta(pilot, {}, "en"))["Outcome"] == "supervision order"
    # no risk model asked: no outcome in the header
    assert "Uitkomst" not in dict(_meta({**pilot, "analyses": ["profile"]}, {}, "nl"))


def test_a_sensitive_predictor_needs_the_flag_and_the_card_records_it():
    from smartstart.analyses._risk import SensitivePredictorError

    rng = np.random.default_rng(5)
    n = 3000
    frame = pd.DataFrame({"single_parent": rng.random(n) < 0.3,
                          "migration_background": rng.random(n) < 0.3})
    logit = -3.0 + 0.8 * frame["single_parent"]
    frame["outcome"] = rng.random(n) < 1 / (1 + np.exp(-logit))
    with pytest.raises(SensitivePredictorError):
        RiskSpec(predictors=("single_parent", "migration_background"))
    risk = risk_model(frame, RiskSpec(predictors=("single_parent", "migration_background"),
                                      allow_sensitive=True))
    card = model_card(risk)
    assert "migratieachtergrond" in card.text("method", "nl")
    assert "allow_sensitive" in card.text("method", "en")
    assert "migration_background" not in card.to_markdown("nl")
