"""Persona cards as data: one per type with its name, size, standing-out traits and 3-5
questions for the project team to explore with the people themselves (Dutch and English).

The questions open a conversation; they are not conclusions. Up to three come from the type's
most distinctive traits (``QUESTIONS``), two are asked of every type.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from smartstart.analyses._typology_names import key, standouts

MAX_TRAITS = 6
MAX_TRAIT_QUESTIONS = 3
MAX_QUESTIONS = 5

#: (factor, level or direction) -> (Dutch, English) question
QUESTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("main_benefit", "3"): (
        "Hoe is het om rond te komen van een bijstandsuitkering, en waar gaat het geld als "
        "eerste naartoe?",
        "What is it like to make ends meet on social assistance, and where does the money go "
        "first?"),
    ("main_benefit", "1"): (
        "Wat veranderde er toen het werk wegviel, en wat had op dat moment geholpen?",
        "What changed when the job was lost, and what would have helped at that moment?"),
    ("main_benefit", "2"): (
        "Hoe bepalen ziekte of beperking het dagelijks leven en het rondkomen?",
        "How do illness or disability shape daily life and making ends meet?"),
    ("main_benefit", "0"): (
        "Waarom is een inkomen zonder uitkering toch niet genoeg, en welke vaste lasten drukken "
        "het zwaarst?",
        "Why is an income without benefits still not enough, and which fixed costs weigh most?"),
    ("household_type", "6"): (
        "Hoe combineert de ouder zorg voor de kinderen, werk of opleiding en geldzaken, en wie "
        "helpt daarbij?",
        "How does the parent combine caring for the children, work or education and money "
        "matters, and who helps?"),
    ("household_type", "1"): (
        "Op wie kan deze persoon terugvallen, en hoe ziet een gewone week eruit?",
        "Who can this person fall back on, and what does an ordinary week look like?"),
    ("children_under_18", "higher"): (
        "Wat merken de kinderen van de krappe situatie, thuis en op school?",
        "What do the children notice of the tight situation, at home and at school?"),
    ("child_youth_care", "True"): (
        "Hoe ervaren ouders en kinderen de jeugdhulp, en wat had eerder geholpen?",
        "How do parents and children experience youth care, and what would have helped sooner?"),
    ("wmo_support", "True"): (
        "Welke zorg en ondersteuning krijgt het huishouden, en sluit die aan bij wat nodig is?",
        "Which care and support does the household get, and does it fit what is needed?"),
    ("debt_restructuring", "True"): (
        "Hoe zijn de schulden ontstaan, en wat betekent de schuldsanering in het dagelijks leven?",
        "How did the debts arise, and what does debt restructuring mean in daily life?"),
    ("reference_age", "lower"): (
        "Welke plannen zijn er voor de komende jaren, en wat staat daarbij in de weg?",
        "What plans are there for the coming years, and what stands in the way?"),
    ("tenure", "3"): (
        "Hoe zeker is het wonen, en welke rol spelen huur en toeslagen?",
        "How secure is their housing, and what role do rent and allowances play?"),
    ("highest_education", "1"): (
        "Welke ervaringen zijn er met school en opleiding, en is er belangstelling voor scholing?",
        "What experiences are there with school and training, and is there interest in "
        "learning?"),
}


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
    for _, row in standouts(rows).iterrows():
        question = QUESTIONS.get(key(row))
        if question and question not in asked and len(asked) < MAX_TRAIT_QUESTIONS:
            asked.append(question)
    return (tuple(asked) + GENERIC_QUESTIONS)[:MAX_QUESTIONS]


def card(rows: pd.DataFrame, number: int, name: tuple[str, str], size: int,
         stable: bool) -> PersonaCard:
    asked = questions(rows)
    return PersonaCard(number, name[0], name[1], size, stable, traits(rows),
                       tuple(q[0] for q in asked), tuple(q[1] for q in asked))
