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

_HOUSEHOLD_TYPE = {
    "1": ("eenpersoonshuishouden", "one-person household"),
    "2": ("niet-gehuwd paar zonder kinderen", "unmarried couple without children"),
    "3": ("gehuwd paar zonder kinderen", "married couple without children"),
    "4": ("niet-gehuwd paar met kinderen", "unmarried couple with children"),
    "5": ("gehuwd paar met kinderen", "married couple with children"),
    "6": ("eenouderhuishouden", "single-parent household"),
    "7": ("overig huishouden", "other household"),
    "8": ("institutioneel huishouden", "institutional household"),
}
LEVELS: dict[str, dict[str, tuple[str, str]]] = {
    "household_type": _HOUSEHOLD_TYPE,
    "tenure": {
        "1": ("een eigen woning", "an owner-occupied home"),
        "2": ("huurwoning zonder huurtoeslag", "rented without rent allowance"),
        "3": ("huurwoning met huurtoeslag", "rented with rent allowance"),
        "8": ("institutioneel huishouden", "institutional household"),
    },
    "main_benefit": {
        "0": ("geen uitkering", "no benefit"),
        "1": ("werkloosheidsuitkering", "unemployment benefit"),
        "2": ("arbeidsongeschiktheidsuitkering", "disability benefit"),
        "3": ("bijstandsuitkering", "social assistance"),
        "4": ("overige sociale voorziening", "other social benefit"),
    },
    "highest_education": {
        "1": ("laag opgeleid", "low education"),
        "2": ("middelbaar opgeleid", "middle education"),
        "3": ("hoog opgeleid", "high education"),
    },
    "sex": {"1": ("jongen", "boy"), "2": ("meisje", "girl")},
    "migration_background": {
        "True": ("migratieachtergrond", "migration background"),
        "False": ("geen migratieachtergrond", "no migration background"),
    },
}


def level_label(factor: str, level: object, lang: str = "nl") -> str:
    """The label of one level; without one, the factor's label and the code ('wijk 078401'),
    or the code alone for a factor outside the library; never the factor's name."""
    text = str(level)
    known = LEVELS.get(factor, {}).get(text) or (MERGED_LABELS if text == MERGED else None)
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
