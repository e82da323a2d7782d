"""Dutch and English labels of the category levels of the factor library (codes as in CBS).

A reader never sees a factor's name in a label: a level without a label of its own reads as
the factor's label with the code (``wijk 078401``, English ``district 078401``: the names of
wijken and buurten need the CBS wijk- en buurtkaart, issue 14), and the group merged from
small groups before a table by group (``MERGED``) reads ``overig`` / ``other``.
"""

from __future__ import annotations

from smartstart.features import factors

#: the code of the group that small groups are merged into before a table by group (the fairness
#: audit passes it to ``disclosure.merge_small_groups``), and its labels
MERGED = "overig"
MERGED_LABELS = ("overig", "other")



def levels(factor: str) -> dict[str, tuple[str, str]]:
    """code -> (Dutch, English) label of a factor's levels, from the library (empty when the
    library gives none: then a level reads as the factor's label with its code)."""
    found = next((units[factor] for units in factors().values() if factor in units), None)
    if found is None:
        return {}
    return {code: (w.nl, w.en) for code, w in found.levels.items()}


def level_label(factor: str, level: object, lang: str = "nl") -> str:
    """The label of one level; without one, the factor's label and the code ('wijk 078401'),
    or the code alone for a factor outside the library; never the factor's name."""
    text = str(level)
    known = levels(factor).get(text) or (MERGED_LABELS if text == MERGED else None)
    if known is not None:
        return known[0] if lang == "nl" else known[1]
    library = next((units[factor] for units in factors().values() if factor in units), None)
    if library is None:
        return text
    label = library.nl if lang == "nl" else library.en
    return f"{_lower(label)} {text}"


def _lower(label: str) -> str:
    """'Wijk' -> 'wijk'; 'WMO' stays (a factor's label before a code)."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]
