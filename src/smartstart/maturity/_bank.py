"""The question bank (questions.yaml) as frozen, validated values."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from smartstart._yaml import safe_load

Lang = Literal["nl", "en"]
LANGS: tuple[Lang, ...] = ("nl", "en")
LEVELS = (1, 2, 3, 4, 5)
#: themes and items per theme the scan promises (short enough for a workshop)
THEMES_RANGE, ITEMS_RANGE = (7, 8), (2, 3)

_ID = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"id {value!r}: lower case letters, digits and _ only")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(_Frozen):
    """One text in Dutch and English; both required and not blank."""

    nl: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @field_validator("nl", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("blank text")
        return value.strip()

    def __call__(self, lang: Lang) -> str:
        return getattr(self, lang)


class Level(_Frozen):
    level: int
    name: Text
    short: Text


class Item(_Frozen):
    id: str
    question: Text
    #: the five described situations, in level order 1..5
    options: tuple[Text, ...]

    _id = field_validator("id")(_check_id)

    @field_validator("options")
    @classmethod
    def _five(cls, value: tuple[Text, ...]) -> tuple[Text, ...]:
        if len(value) != len(LEVELS):
            raise ValueError(f"an item has {len(LEVELS)} options (one per level), not {len(value)}")
        return value


class Theme(_Frozen):
    id: str
    name: Text
    items: tuple[Item, ...]
    #: advice per current level: the step up (level 5: how to keep it)
    advice: dict[int, Text]

    _id = field_validator("id")(_check_id)

    @model_validator(mode="after")
    def _complete(self) -> Theme:
        low, high = ITEMS_RANGE
        if not low <= len(self.items) <= high:
            raise ValueError(f"theme {self.id}: {len(self.items)} items, expected {low}-{high}")
        if set(self.advice) != set(LEVELS):
            raise ValueError(f"theme {self.id}: advice for levels {sorted(self.advice)}, "
                             f"expected {list(LEVELS)}")
        return self


class Bank(_Frozen):
    levels: tuple[Level, ...]
    dont_know: Text
    themes: tuple[Theme, ...]

    @model_validator(mode="after")
    def _consistent(self) -> Bank:
        if tuple(level.level for level in self.levels) != LEVELS:
            raise ValueError(f"levels must be {list(LEVELS)} in order")
        low, high = THEMES_RANGE
        if not low <= len(self.themes) <= high:
            raise ValueError(f"{len(self.themes)} themes, expected {low}-{high}")
        ids = [t.id for t in self.themes] + [i.id for t in self.themes for i in t.items]
        doubles = sorted({i for i in ids if ids.count(i) > 1})
        if doubles:
            raise ValueError(f"ids used twice: {', '.join(doubles)}")
        return self

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item in screen order (theme by theme)."""
        return tuple(item for theme in self.themes for item in theme.items)

    def theme_of(self, item_id: str) -> Theme:
        for theme in self.themes:
            if any(item.id == item_id for item in theme.items):
                return theme
        raise KeyError(item_id)

    def level(self, number: int) -> Level:
        return self.levels[number - 1]


def load_bank(path: Path | None = None) -> Bank:
    """The question bank from ``path`` (default: the package's questions.yaml), validated."""
    if path is None:
        return _packaged()
    return Bank.model_validate(safe_load(Path(path).read_text(encoding="utf-8")))


@cache
def _packaged() -> Bank:
    text = resources.files("smartstart.maturity").joinpath("questions.yaml").read_text("utf-8")
    return Bank.model_validate(safe_load(text))
