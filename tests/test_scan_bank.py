"""The question bank: complete in both languages, validated on load; scoring against an
independent computation (statistics.median over planted answers)."""

from __future__ import annotations

import random
import statistics

import pytest
import yaml
from pydantic import ValidationError

from smartstart.maturity import LEVELS, Answer, load_bank, score
from smartstart.maturity._bank import THEMES_RANGE


def test_the_bank_holds_what_the_scan_promises():
    bank = load_bank()
    assert THEMES_RANGE[0] <= len(bank.themes) <= THEMES_RANGE[1]
    assert any(t.id == "privacy" for t in bank.themes)
    for theme in bank.themes:
        assert 2 <= len(theme.items) <= 3
        assert sorted(theme.advice) == list(LEVELS)
        for item in theme.items:
            assert len(item.options) == 5
            texts = [o.nl for o in item.options] + [o.en for o in item.options]
            assert len(set(texts)) == 10, item.id  # five different situations per language
    assert [level.name.nl for level in bank.levels][1:4] == ["Beschrijven", "Verklaren",
                                                             "Voorspellen"]


def _raw():
    from importlib import resources

    return yaml.safe_load(resources.files("smartstart.maturity").joinpath("questions.yaml")
                          .read_text("utf-8"))


@pytest.mark.parametrize("break_it", [
    lambda raw: raw["themes"][0]["items"][0]["options"].pop(),           # four options
    lambda raw: raw["themes"][0]["advice"].pop(3),                       # advice missing
    lambda raw: raw["themes"][1]["items"][0]["question"].update(en=" "), # blank English
    lambda raw: raw["themes"][1]["items"][0].update(id="gebruik_besluiten"),  # id twice
    lambda raw: raw["themes"].__delitem__(slice(6, None)),              # six themes
    lambda raw: raw["themes"][0]["items"].extend(raw["themes"][1]["items"][:1]),
])
def test_a_broken_bank_is_refused(tmp_path, break_it):
    raw = _raw()
    break_it(raw)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError):
        load_bank(path)


def planted(bank, respondents: int, seed: int) -> list[Answer]:
    rng = random.Random(seed)
    answers = []
    for r in range(respondents):
        for item in bank.items:
            roll = rng.random()
            if roll < 0.1:
                continue  # not answered
            level = None if roll < 0.2 else rng.randint(1, 5)
            answers.append(Answer(f"r{r}", item.id, level))
    return answers


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_levels_and_spreads_agree_with_statistics_median(seed):
    bank = load_bank()
    answers = planted(bank, respondents=7, seed=seed)
    original = list(answers)
    scores = {s.theme: s for s in score(bank, answers)}
    assert answers == original  # the input is not changed
    for theme in bank.themes:
        ids = {item.id for item in theme.items}
        mine = [a for a in answers if a.item in ids]
        levels = [a.level for a in mine if a.level is not None]
        own = [statistics.median([a.level for a in mine if a.respondent == r
                                  and a.level is not None])
               for r in sorted({a.respondent for a in mine if a.level is not None})]
        s = scores[theme.id]
        assert s.level == pytest.approx(statistics.median(levels))
        assert s.spread == pytest.approx(max(own) - min(own))
        assert s.respondents == len(own)
        assert s.dont_know == sum(a.level is None for a in mine)
        assert sum(s.distribution) == len(own)


def test_a_theme_without_answers_has_no_level():
    bank = load_bank()
    first = bank.themes[0].items[0].id
    scores = score(bank, [Answer("a", first, None)])
    assert scores[0].level is None and scores[0].spread is None and scores[0].dont_know == 1
    assert scores[0].advice_level is None and not scores[0].discuss


def test_a_level_outside_one_to_five_is_refused():
    bank = load_bank()
    with pytest.raises(ValueError):
        score(bank, [Answer("a", bank.items[0].id, 6)])
