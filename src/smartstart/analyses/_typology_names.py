"""Names and persona cards generated from a type's profile (Dutch and English, deterministic).

A name has up to three parts, each taken from the profile of the type against the rest of the
target group:

1. *who*: the household composition held by at least half of the type (from the household
   type: one-person, couple with or without children, single parent), else "Huishoudens";
2. *age*: "Jong" when the reference person is clearly younger than the rest (Cliff's delta of
   age <= -0.33) and under 40 on average, "Ouder" when clearly older and 45 or over;
3. *what*: the most distinctive standing-out trait that has a phrase ("in de bijstand", "met
   Wmo-ondersteuning", ...), held by at least half of the type; ties in distinctiveness go to the
   order of the library's phrases (benefit first).

"Jong eenouderhuishouden in de bijstand" is (2) + (1) + (3). Two types with the same name get
their next phrase too, and a number if that does not tell them apart.
"""

from __future__ import annotations

import pandas as pd

from smartstart.analyses._typology_profile import STANDOUT_DELTA
from smartstart.features import factors

#: household type code -> composition
COMPOSITION = {"1": "single", "2": "couple", "3": "couple", "4": "family", "5": "family",
               "6": "single_parent", "7": "other", "8": "other"}
#: composition -> (Dutch, English, Dutch is plural)
NOUNS: dict[str, tuple[str, str, bool]] = {
    "single": ("eenpersoonshuishouden", "one-person household", False),
    "couple": ("paar zonder kinderen", "couple without children", False),
    "family": ("paar met kinderen", "couple with children", False),
    "single_parent": ("eenouderhuishouden", "single-parent household", False),
    "other": ("overig huishouden", "other household", False),
    "": ("huishoudens", "households", True),
}


def phrase_table() -> dict[tuple[str, str], tuple[str, str]]:
    """(factor, level or direction) -> (Dutch, English) phrase, from the library's household
    factors (``phrases``); the library's order breaks ties."""
    return {(name, level): (w.nl, w.en) for name, f in factors()["household"].items()
            for level, w in f.phrases.items()}


YOUNG_MEAN, OLDER_MEAN = 40.0, 45.0


def key(row: pd.Series) -> tuple[str, str]:
    """The (factor, level or direction) key of one profile row."""
    return (row["factor"], row["level"] if row["kind"] == "level" else row["direction"])


def standouts(rows: pd.DataFrame) -> pd.DataFrame:
    """A type's standing-out rows, most distinctive first (ties in the profile's order)."""
    out = rows[rows["standout"]].copy()
    out["_strength"] = out["delta"].abs().round(9)
    out["_order"] = range(len(out))
    return out.sort_values(["_strength", "_order"], ascending=[False, True]).drop(
        columns=["_strength", "_order"])


def _composition(rows: pd.DataFrame) -> str:
    kinds = rows[(rows["factor"] == "household_type") & (rows["kind"] == "level")]
    if kinds.empty:
        return ""
    shares = kinds.groupby(kinds["level"].map(COMPOSITION).fillna("other"))["share"].sum()
    best = shares.sort_values(ascending=False, kind="stable")
    return str(best.index[0]) if best.iloc[0] >= 0.5 else ""


def _age(rows: pd.DataFrame) -> str:
    age = rows[rows["factor"] == "reference_age"]
    if age.empty or pd.isna(age["delta"].iloc[0]):
        return ""
    delta, mean = age["delta"].iloc[0], age["mean"].iloc[0]
    if delta <= -STANDOUT_DELTA and mean < YOUNG_MEAN:
        return "young"
    return "older" if delta >= STANDOUT_DELTA and mean >= OLDER_MEAN else ""


def phrases(rows: pd.DataFrame) -> list[tuple[str, str]]:
    """The naming phrases of a type, best first: standing-out rows with a phrase, a level only
    when at least half the type has it, one phrase per factor, ranked by |delta| then by the
    order of the library's phrases."""
    table = phrase_table()
    order = {k: i for i, k in enumerate(table)}
    ranked = sorted((-round(abs(row["delta"]), 9), order[key(row)], key(row))
                    for _, row in rows[rows["standout"]].iterrows()
                    if key(row) in table and (row["kind"] != "level" or row["share"] >= 0.5))
    found: dict[str, tuple[str, str]] = {}
    for _, _, (factor, level) in ranked:
        phrase = table[(factor, level)]
        if factor not in found and phrase not in found.values():
            found[factor] = phrase
    return list(found.values())


def _join(noun: str, phrase: str) -> str:
    has_phrase = any(w in f" {noun} " for w in (" met ", " zonder ", " with ", " without "))
    return f"{noun}, {phrase}" if has_phrase else f"{noun} {phrase}"


def compose(rows: pd.DataFrame, n_phrases: int = 1) -> tuple[str, str]:
    """The generated (Dutch, English) name of one type from its profile rows."""
    nl, en, plural = NOUNS[_composition(rows)]
    age = _age(rows)
    if age:
        nl = {"young": "jonge " if plural else "jong ",
              "older": "oudere " if plural else "ouder "}[age] + nl
        en = {"young": "young ", "older": "older "}[age] + en
    chosen = phrases(rows)[:n_phrases]
    if chosen:
        nl = _join(nl, " en ".join(p[0] for p in chosen))
        en = _join(en, " and ".join(p[1] for p in chosen))
    return nl[0].upper() + nl[1:], en[0].upper() + en[1:]


def names(profile: pd.DataFrame) -> dict[int, tuple[str, str]]:
    """Generated names per type, made unique (next phrase, then the type number)."""
    types = sorted(profile["type"].unique())
    made = {t: compose(profile[profile["type"] == t]) for t in types}
    for t in types:
        twins = [u for u in types if made[u][0] == made[t][0]]
        if len(twins) > 1:
            longer = {u: compose(profile[profile["type"] == u], 2) for u in twins}
            for u in twins:
                made[u] = longer[u]
    twice = {t for t in types if sum(made[u][0] == made[t][0] for u in types) > 1}
    return {t: (f"{nl} (type {t})", f"{en} (type {t})") if t in twice else (nl, en)
            for t, (nl, en) in made.items()}
