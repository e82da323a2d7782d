"""The household typology through the gate: type sizes, the profile cells, the persona cards.

Types are already at least the disclosure minimum (``TypologySpec.min_size`` is set to it: small
types are merged or withheld by the analysis, and the actions table says so without their size).
The profile's cells per factor form a table levels x types, each type's known values as its
total; a suppressed cell takes its share, its rest-of-the-group count and its ratios with it.
Persona cards keep only traits whose cell is published.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import replace

import numpy as np
import pandas as pd

from smartstart.analyses import TypologyResult
from smartstart.analyses._typology import _names as typology_names
from smartstart.analyses._typology import _personas as typology_personas
from smartstart.disclosure import Embedded, Published, Rules, check_clusters, protect_frame
from smartstart.disclosure._precision import LIKELIHOOD, blank_likelihood
from smartstart.disclosure._statements import declare, yes

PROFILE_DERIVED = ("share", "rest_count", "rest_n", "rest_share", "mean", "rest_mean", "delta",
                   "ratio_rest", "ratio_municipality", "standout", "direction")
#: a mean and its sd pin a count variable's distribution down: no sd is published
DROPPED = ("sd", "rest_sd", "municipality_sd")
#: the register's conditions (disclosure._statements): a type is part of the target group
TARGET, OF_TYPE = yes("target_group"), yes("type", "@type")
#: every household with a type is in the target group
IN_TARGET = ((("type", "in", ("*",)), TARGET),)
SIZES = declare("household", ("value", "type", "type"), {"size": (TARGET,)}, within=IN_TARGET)
OTHER_TYPES = ("type", "not", ("@type",))
PROFILE_CELLS = declare("household", ("level", "factor", "level", "kind"), {
    "count": (TARGET, OF_TYPE), "n": (TARGET, OF_TYPE), "rest_count": (TARGET, OTHER_TYPES),
    "rest_n": (TARGET, OTHER_TYPES), "municipality_count": (), "municipality_n": ()},
    whole=("n", "rest_n", "municipality_n"), within=IN_TARGET)
#: (factor, level) -> whether another output publishes the level's count in the target group
Public = Callable[[str, str], bool]


def publish_typology(result: TypologyResult, settings: object,
                     public: Public = lambda factor, level: False) -> list[Published]:
    """``public``: which levels' counts in the whole target group another output publishes
    (the target-group profile); those totals are fixed, the others may be hidden."""
    profile = _profile(result, settings, public)
    shown = _as_published(result, profile.frame)
    sizes = _sizes(shown, settings)
    overviews = []
    for lang, name in (("nl", "typology_overview"), ("en", "typology_overview_en")):
        overview = shown.overview(lang).reset_index()
        overview.columns = [str(c) for c in overview.columns]
        overviews.append(protect_frame(name, overview, Rules(), settings=settings))
    actions = result.actions.drop(columns=["size"], errors="ignore")
    return [sizes, profile, *overviews,
            _selection(result, sizes, settings),
            protect_frame("typology_actions", actions, Rules(), settings=settings),
            protect_frame("typology_robustness", result.robustness, Rules(), settings=settings),
            _personas(shown, settings)]


def _selection(result: TypologyResult, sizes: Published, settings: object = None
               ) -> Published:
    """Criteria per k. BIC - AIC = p (ln n - 2): the log-likelihood, BIC and AIC give the
    number of households back, so they are published only when that n is: the published type
    sizes add up to it (no type withheld, no size hidden); otherwise blank (rule
    ``likelihood``). Which k BIC and AIC prefer is kept (``bic_best``, ``aic_best``)."""
    selection = result.selection
    n = float(selection["n"].iloc[0]) if "n" in selection and len(selection) else None
    shown = sizes.frame["size"].astype(float) if "size" in sizes.frame else pd.Series([np.nan])
    published = (n is not None and bool(shown.notna().all())
                 and abs(float(shown.sum()) - n) < 0.5)
    frame = selection.drop(columns=["smallest_type", "n"], errors="ignore")
    if {"bic", "aic"} <= set(frame.columns) and len(frame):
        frame = frame.assign(bic_best=frame["bic"] == frame["bic"].min(),
                             aic_best=frame["aic"] == frame["aic"].min())
    frame = frame.reset_index(drop=True)
    # blanked by the gate (logged, shown as x), or kept: blank_likelihood says which
    hide = blank_likelihood(frame, published).isna() & frame.notna()
    rules = Rules(likelihood=tuple(c for c in LIKELIHOOD if c in frame.columns),
                  likelihood_n=n if published else None)
    return protect_frame("typology_selection", frame, rules, settings=settings,
                         hide=hide if hide.any(axis=None) else None)


def _sizes(result: TypologyResult, settings: object) -> Published:
    frame = result.types.drop(columns=["stability_jaccard"], errors="ignore").reset_index(
        drop=True)
    sizes = frame["size"].to_numpy(dtype=float)
    places = {(i,): [(i, "size")] for i in range(len(frame))}
    table = Embedded.build(sizes, ("type",), (list(frame["type"]),), places)
    extra = check_clusters(frame["size"].astype(float), settings=settings)[:1]
    return protect_frame("typology_types", frame, Rules(counts=("size",), cells=SIZES), [table],
                         settings,
                         kind="clusters", extra=extra)


def _profile(result: TypologyResult, settings: object, public: Public) -> Published:
    from smartstart.features import person_counts

    # no mean of a count of persons (as in the target-group profile): a type's mean children
    # times its size, summed over the types, is the municipality's number of children
    frame = result.profile.drop(columns=list(DROPPED), errors="ignore")
    frame = frame[~frame["factor"].isin(person_counts())].reset_index(drop=True)
    tables = [_levels(rows, public) for _, rows in frame[frame["kind"] == "level"].groupby(
        "factor", sort=False)]
    derived = [(c, ("count", "n")) for c in PROFILE_DERIVED]
    derived += [(c, ("rest_count",)) for c in ("rest_share", "ratio_rest", "delta", "standout",
                                                "direction")]
    rules = Rules(counts=("count", "n", "rest_count", "municipality_count"),
                  shares=(("count", "n"),), derived=tuple(derived),
                  denominators=("kind", "numeric|level", (("type", "n"), ("type", "rest_n"),
                                                    ("", "n", "rest_n"), ("", "municipality_n")),
                                ("count", "n", "rest_count", "rest_n", "municipality_count",
                                 "municipality_n")),
                  cells=PROFILE_CELLS)
    return protect_frame("typology_profile", frame, rules, tables, settings, kind="clusters")


def _levels(rows: pd.DataFrame, public: Public) -> Embedded:
    """levels x types; the totals of the columns are each type's known values (``n``), the
    totals of the rows the level's count in the target group: ``rest_count`` is that total
    minus the cell, so it goes with the total. A type's size is published (types table), and so
    is a level's total when the target-group profile publishes it: those totals are fixed."""
    levels = list(dict.fromkeys(rows["level"]))
    types = list(dict.fromkeys(rows["type"]))
    interior = np.zeros((len(levels), len(types)))
    places: dict[tuple[int, ...], list[tuple[Hashable, str]]] = {}
    for index, row in rows.iterrows():
        i, j = levels.index(row["level"]), types.index(row["type"])
        interior[i, j] = row["count"]
        places[(i, j)] = [(index, "count")]
        places.setdefault((len(levels), j), []).append((index, "n"))
        places.setdefault((i, len(types)), []).append((index, "rest_count"))
    factor = str(rows["factor"].iloc[0])
    fixed = np.zeros((len(levels) + 1, len(types) + 1), dtype=bool)
    fixed[len(levels), :] = True
    fixed[:len(levels), len(types)] = [public(factor, str(level)) for level in levels]
    known = rows.groupby("type", sort=False)["n"].first().reindex(types).to_numpy(dtype=float)
    missing = known - interior.sum(axis=0)
    if (missing > 0).any():  # levels not in the profile (rare): one more row keeps totals true
        interior = np.vstack([interior, missing])
        levels.append("(other)")
        places = {((len(levels) if k[0] == len(levels) - 1 else k[0]), k[1]): v
                  for k, v in places.items()}
        fixed = np.insert(fixed, len(levels) - 1, False, axis=0)
    return Embedded.build(interior, (factor, "type"), ([str(v) for v in levels], types),
                          places, fixed)


def _as_published(result: TypologyResult, profile: pd.DataFrame) -> TypologyResult:
    """The result as the published profile shows it: names, persona traits and questions are
    made again from the published cells only (what stands out in a hidden cell would narrow it
    down: "asks about youth care" means the type's share is well above the rest's)."""
    shown = profile.assign(standout=profile["standout"].astype("boolean").fillna(False)
                           .astype(bool))
    named = typology_names(shown, result.spec)
    types = result.types.assign(name_nl=result.types["type"].map(lambda t: named[int(t)][0]),
                                name_en=result.types["type"].map(lambda t: named[int(t)][1]))
    return replace(result, profile=shown, types=types, personas=typology_personas(types, shown))


def _personas(result: TypologyResult, settings: object) -> Published:
    rows = [{"type": card.type, "name_nl": card.name_nl, "name_en": card.name_en,
             "size": card.size, "stable": card.stable,
             "traits_nl": "\n".join(card.trait_lines("nl")),
             "traits_en": "\n".join(card.trait_lines("en")),
             "questions_nl": "\n".join(card.questions_nl),
             "questions_en": "\n".join(card.questions_en)} for card in result.personas]
    frame = pd.DataFrame(rows)
    return protect_frame("typology_personas", frame, Rules(counts=("size",), cells=SIZES),
                         settings=settings,
                         kind="clusters")
