"""A theme's level and spread from the answers of an organisation's respondents.

A theme's level is the median over all its items' answers of all respondents; "weet ik niet"
counts for no level. The spread is between respondents: each respondent's own level in the theme
(the median of their answers to its items), then the highest minus the lowest. There is no
overall score over the themes, on purpose: the themes are discussed one by one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

from smartstart.maturity._bank import LEVELS, Bank

#: a spread of this many levels or more between respondents is a point to discuss
DISCUSS_SPREAD = 2


@dataclass(frozen=True)
class Answer:
    """One respondent's answer to one item: a level 1..5, or None for "weet ik niet"."""

    respondent: str
    item: str
    level: int | None


@dataclass(frozen=True)
class ThemeScore:
    theme: str
    #: median over items and respondents (may end in .5); None without any level answered
    level: float | None
    #: highest minus lowest respondent level in the theme; None without any level answered
    spread: float | None
    #: respondents with at least one level in the theme
    respondents: int
    answers: int
    dont_know: int
    #: how many respondents have their own theme level at 1..5 (rounded down)
    distribution: tuple[int, ...]

    @property
    def advice_level(self) -> int | None:
        """The level whose advice applies: the median rounded down (2.5 -> 2's step up)."""
        return None if self.level is None else math.floor(self.level)

    @property
    def discuss(self) -> bool:
        return self.spread is not None and self.spread >= DISCUSS_SPREAD


def score(bank: Bank, answers: Iterable[Answer]) -> tuple[ThemeScore, ...]:
    """One ThemeScore per theme of ``bank``, in the bank's order."""
    theme_of = {item.id: theme.id for theme in bank.themes for item in theme.items}
    levels: dict[str, list[int]] = defaultdict(list)
    per_respondent: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    dont_know: dict[str, int] = defaultdict(int)
    for answer in answers:
        theme = theme_of[answer.item]
        if answer.level is None:
            dont_know[theme] += 1
            continue
        if answer.level not in LEVELS:
            raise ValueError(f"level {answer.level!r} outside {LEVELS}")
        levels[theme].append(answer.level)
        per_respondent[theme][answer.respondent].append(answer.level)
    return tuple(_theme_score(t.id, levels[t.id], per_respondent[t.id], dont_know[t.id])
                 for t in bank.themes)


def _theme_score(theme: str, levels: list[int], by_respondent: dict[str, list[int]],
                 dont_know: int) -> ThemeScore:
    own = [median(values) for values in by_respondent.values()]
    counts = [0] * len(LEVELS)
    for value in own:
        counts[math.floor(value) - 1] += 1
    return ThemeScore(
        theme=theme, level=float(median(levels)) if levels else None,
        spread=float(max(own) - min(own)) if own else None, respondents=len(own),
        answers=len(levels), dont_know=dont_know, distribution=tuple(counts))
