"""Every string the reader sees comes from one nl/en dictionary (``text.yaml``, and the files
of ``TEXT_FILES`` beside it: one dictionary, a key in one file only); numbers are written in
the language's style (Dutch: 1.234,5 and 0,82)."""

from __future__ import annotations

import math
import re
from functools import cache
from importlib import resources

import pandas as pd

from smartstart._yaml import safe_load
from smartstart.report._types import Lang

#: the last part of long Dutch compounds in the report's tables (type names, benefits)
_TAIL = re.compile(r"(?<=\w{5})(uitkering|huishouden|ondersteuning|sanering|toeslag|niveau)",
                   re.IGNORECASE)
SOFT_HYPHEN = "\u00ad"


#: the report's text files, read into one dictionary (the English exports' words apart)
TEXT_FILES = ("text.yaml", "text_exports.yaml", "text_effect_group.yaml",
              "text_effect_planned.yaml")


@cache
def texts() -> dict:
    merged: dict = {}
    for name in TEXT_FILES:
        source = resources.files("smartstart.report").joinpath(name).read_text("utf-8")
        part = safe_load(source)
        twice = set(part) & set(merged)
        if twice:
            raise ValueError(f"report/{name} repeats keys of another text file: {sorted(twice)}")
        merged.update(part)
    return merged


def t(key: str, lang: Lang, **values: object) -> str:
    """The text for ``key`` in ``lang``, with ``values`` filled in."""
    text = texts()[key][lang]
    return text.format(**values) if values else text


def term(group: str, key: object, lang: Lang) -> str:
    """A term from a group (``status``, ``metrics``, ...); the key itself when not listed."""
    entry = texts()[group].get(str(key))
    return entry[lang] if entry else str(key)


def missing(value: object) -> bool:
    """None, NaN or pandas' NA (a suppressed or absent number)."""
    if value is None or value is pd.NA:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def number(value: float, lang: Lang, digits: int = 0) -> str:
    """1234.5 -> "1.234,5" (nl) or "1,234.5" (en); a true minus sign."""
    text = f"{float(value):,.{digits}f}"
    if lang == "nl":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text.replace("-", "−")


def percent(value: float, lang: Lang, digits: int = 0) -> str:
    """A share as a percentage: 0.234 -> "23%"."""
    return number(100 * float(value), lang, digits) + "%"


def interval(low: object, high: object, lang: Lang, kind: str = "num", digits: int = 2) -> str:
    """"(0,78–0,86)"; empty when a bound is missing."""
    if missing(low) or missing(high):
        return ""
    show = percent if kind == "pct" else number
    return f"({show(low, lang, digits)}–{show(high, lang, digits)})"  # type: ignore[arg-type]


def soft_hyphens(text: str, longer_than: int = 15) -> str:
    """Long compounds may break before their last part ("arbeidsongeschiktheids-uitkering"):
    a soft hyphen there, so a narrow column or card need not overflow."""
    return re.sub(rf"\w{{{longer_than + 1},}}",
                  lambda word: _TAIL.sub(SOFT_HYPHEN + r"\1", word.group()), text)
