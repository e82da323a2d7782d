"""The pilot's target group: households with a member in one partner file, in any of several,
or selected by a register rule; each kind chosen by its keys (``TargetKind``). Re-exported by
``smartstart.pilot``."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from smartstart.errors import TARGET_KINDS


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Window(_Frozen):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")
        return self


class TargetGroup(_Frozen):
    """Households with a member in the partner file whose client period overlaps the window."""

    partner_file: str
    rinpersoons_column: str = "RINPERSOONS"
    rinpersoon_column: str = "RINPERSOON"
    start_column: str
    end_column: str | None = None
    #: the partner's date format: a strftime format ("%d-%m-%Y"), or YYYYMMDD; dates that
    #: arrive typed (SPSS dates in a .sav, parquet dates) need no format
    date_format: str = "%d-%m-%Y"
    window: Window
    label_nl: str = "doelgroep"
    label_en: str = "target group"


class TargetGroups(_Frozen):
    """Households with a member in any of several partners' files (each with its own columns
    and window), one target group under one label: ``partners: [{partner_file: ...}, ...]``."""

    partners: tuple[TargetGroup, ...] = Field(min_length=2)
    label_nl: str = "doelgroep"
    label_en: str = "target group"

    @model_validator(mode="after")
    def _distinct(self) -> TargetGroups:
        names = [p.partner_file for p in self.partners]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"partners: {', '.join(twice)} named twice")
        return self


class TargetRule(_Frozen):
    """Households a register rule selects: a household factor of the library at one level
    (``rule: child_youth_care`` = households with a child in youth care; ``rule: main_benefit``
    with ``level: "3"`` = households on social assistance), no partner file."""

    rule: str
    level: str = "True"
    label_nl: str = "doelgroep"
    label_en: str = "target group"

    @field_validator("level", mode="before")
    @classmethod
    def _text(cls, value: object) -> str:
        return "True" if value is True else "False" if value is False else str(value)


def _target_kind(value: object) -> str | None:
    """Which kind of target group a pilot writes, by its keys: only that kind's problems are
    said (a reversed window had given some eighteen fragments of all three; helper-41)."""
    one, several, rule = TARGET_KINDS
    if isinstance(value, dict):
        return several if "partners" in value else rule if "rule" in value else one
    return {TargetGroup: one, TargetGroups: several, TargetRule: rule}.get(type(value))


TargetKind = Annotated[Annotated[TargetGroup, Tag(TARGET_KINDS[0])]
                       | Annotated[TargetGroups, Tag(TARGET_KINDS[1])]
                       | Annotated[TargetRule, Tag(TARGET_KINDS[2])],
                       Discriminator(_target_kind)]
