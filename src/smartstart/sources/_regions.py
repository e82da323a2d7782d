"""Named regions (several municipalities) a pilot may choose: data in ``regions.yaml``."""

from __future__ import annotations

from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, field_validator

from smartstart._usage import UsageError
from smartstart._yaml import safe_load


class Region(BaseModel):
    """A named set of municipalities: CBS code -> name, in the catalog's order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_nl: str
    name_en: str
    municipalities: dict[str, str]
    note: str | None = None

    @field_validator("municipalities")
    @classmethod
    def _codes(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [c for c in value if not (len(c) == 4 and c.isdigit())]
        if bad or not value:
            raise ValueError(f"municipality codes must be 4 digits (got {bad or 'none'})")
        return value

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.municipalities)


@cache
def load_regions() -> dict[str, Region]:
    """The region catalog shipped with the package, by key (``hart_van_brabant``)."""
    text = resources.files("smartstart.sources").joinpath("regions.yaml").read_text("utf-8")
    return {str(k): Region.model_validate(v) for k, v in safe_load(text).items()}


def municipality_names() -> dict[str, str]:
    """Every municipality code the region catalog names, with its name (``0784``: Gilze en
    Rijen)."""
    return {c: n for r in load_regions().values() for c, n in r.municipalities.items()}


def find_region(name: str) -> tuple[str, Region]:
    """The key and region ``name`` spells in any of ``region_key``'s ways; a UsageError that
    lists the known regions when there is none."""
    key, known = region_key(name), load_regions()
    if key not in known:
        raise UsageError(f"unknown region {name!r}; known regions: {', '.join(sorted(known))} "
                         "(sources/regions.yaml)")
    return key, known[key]


def region_key(name: str) -> str:
    """``Hart van Brabant`` and ``hart-van-brabant`` name the key ``hart_van_brabant``."""
    return "_".join(name.strip().casefold().replace("-", " ").split())


__all__ = ["Region", "find_region", "load_regions", "municipality_names", "region_key"]
