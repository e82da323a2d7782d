"""Dutch and English labels of the category levels of the factor library (codes as in CBS)."""

from __future__ import annotations

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
    """The label of one level, or '<factor> <level>' when it is not known."""
    text = str(level)
    known = LEVELS.get(factor, {}).get(text)
    if known is None:
        return f"{factor} {text}"
    return known[0] if lang == "nl" else known[1]
