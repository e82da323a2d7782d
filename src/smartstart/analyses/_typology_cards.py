"""Persona cards as data: one per type with its name, size, standing-out traits and 3-5
questions for the project team to explore with the people themselves (Dutch and English).

The questions open a conversation; they are not conclusions. Up to three come from the type's
most distinctive traits (the library's ``questions``), two are asked of every type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from smartstart.analyses._typology_names import key, standouts
from smartstart.features import factors

MAX_TRAITS = 6
MAX_TRAIT_QUESTIONS = 3
MAX_QUESTIONS = 5


def question_table() -> dict[tuple[str, str], tuple[str, str]]:
    """(factor, level or direction) -> (Dutch, English) question, from the library's household
    factors (``questions``)."""
    return {(name, level): (w.nl, w.en) for name, f in factors()["household"].items()
            for level, w in f.questions.items()}


#: asked of every type, after the trait questions
GENERIC_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("Wat ging eraan vooraf dat het huishouden hulp nodig had, en wat had eerder geholpen?",
     "What came before the household needed help, and what would have helped sooner?"),
    ("Bij wie zoekt het huishouden nu hulp, en wat werkt daarin goed of juist niet?",
     "Where does the household look for help now, and what works well or not?"),
    ("Wat gaat goed, en waar haalt het huishouden kracht uit?",
     "What goes well, and where does the household draw strength from?"),
)


@dataclass(frozen=True)
class Trait:
    """One standing-out profile row (a level's share or a number's mean, against the rest)."""

    factor: str
    level: str
    label_nl: str
    label_en: str
    direction: str
    delta: float
    count: int
    n: int
    share: float | None
    rest_share: float | None
    mean: float | None
    rest_mean: float | None

    def text(self, lang: str = "nl") -> str:
        label = self.label_nl if lang == "nl" else self.label_en
        if self.share is not None:
            return f"{label}: {self.share:.0%} (rest {self.rest_share:.0%})"
        word = "gemiddeld" if lang == "nl" else "on average"
        return f"{label}: {word} {_number(self.mean, lang)} (rest {_number(self.rest_mean, lang)})"


def _number(value: float | None, lang: str) -> str:
    if value is None or np.isnan(value):
        return "-"
    text = f"{round(value, -2 if abs(value) >= 1000 else 0):,.0f}"
    return text.replace(",", ".") if lang == "nl" else text


@dataclass(frozen=True)
class PersonaCard:
    type: int
    name_nl: str
    name_en: str
    size: int
    stable: bool
    traits: tuple[Trait, ...]
    questions_nl: tuple[str, ...]
    questions_en: tuple[str, ...]

    def trait_lines(self, lang: str = "nl") -> tuple[str, ...]:
        return tuple(t.text(lang) for t in self.traits)

    def to_dict(self) -> dict:
        """Plain data (JSON-ready) for a bundle artefact."""
        return asdict(self) | {"traits_nl": list(self.trait_lines("nl")),
                               "traits_en": list(self.trait_lines("en"))}


def _optional(value: object) -> float | None:
    return None if pd.isna(value) else float(value)


def traits(rows: pd.DataFrame) -> tuple[Trait, ...]:
    """The most distinctive standing-out rows (one per label: tenure 3 and rent allowance say
    the same)."""
    ranked = standouts(rows).drop_duplicates("level_nl").head(MAX_TRAITS)
    return tuple(Trait(
        factor=r["factor"], level=r["level"], label_nl=r["level_nl"], label_en=r["level_en"],
        direction=r["direction"], delta=float(r["delta"]), count=int(r["count"]),
        n=int(r["n"]), share=_optional(r["share"]) if r["kind"] == "level" else None,
        rest_share=_optional(r["rest_share"]) if r["kind"] == "level" else None,
        mean=_optional(r["mean"]) if r["kind"] == "numeric" else None,
        rest_mean=_optional(r["rest_mean"]) if r["kind"] == "numeric" else None)
        for _, r in ranked.iterrows())


def questions(rows: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    asked: list[tuple[str, str]] = []
    table = question_table()
    for _, row in standouts(rows).iterrows():
        question = table.get(key(row))
        if question and question not in asked and len(asked) < MAX_TRAIT_QUESTIONS:
            asked.append(question)
    return (tuple(asked) + GENERIC_QUESTIONS)[:MAX_QUESTIONS]


def card(rows: pd.DataFrame, number: int, name: tuple[str, str], size: int,
         stable: bool) -> PersonaCard:
    asked = questions(rows)
    return PersonaCard(number, name[0], name[1], size, stable, traits(rows),
                       tuple(q[0] for q in asked), tuple(q[1] for q in asked))
