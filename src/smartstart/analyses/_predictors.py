"""Which of a risk model's predictors this population can estimate.

A predictor that no analysed child has a value for, that has the same value for every analysed
child, or that is an exact linear combination of earlier-listed predictors (aliased: two codings
of one fact, a set of dummies adding up to another predictor) carries no information here. It
is left out, the model is fitted on the rest, and a typed note says why. Of a dependent set the
later-listed predictor goes (a category with all its levels at once). An interaction goes with
any of its parts, or when it is constant or aliased itself. A category level without children
(a configured reference, a declared category) is a note too; the predictor stays.

Constant means exactly one value, never "nearly". A rare value is a different matter: with
``min_cases`` (the run passes the disclosure threshold), a category level with fewer than that
many children with, or without, the outcome is merged into the category's reference level, and
a binary predictor or an AND-combination with such a cell (with the value, or without it) is
left out. Otherwise the disclosure gate's check of cases per category x outcome would withhold
the whole model for one rare level (an outcome of 1-2 % gives a level of a few hundred
children fewer than 10 with the outcome). A level is merged
rather than dropped so the category keeps its other levels; the note names the level and its
reference. Without ``min_cases`` a rare level stays and the gate decides. A note states a zero
(no child with the other value) or that a threshold was not reached, never a count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from smartstart.analyses._common import Lang, as_bool, factor_info, lower_first
from smartstart.analyses._labels import level_label
from smartstart.analyses._logit import CONST, Design, build_design, combo_name
from smartstart.errors import LackOfData

NoteReason = Literal["missing", "constant", "aliased", "part_not_used", "empty_level", "rare",
                     "merged"]

_WORDS: dict[str, tuple[str, str]] = {
    "missing": ("niet gebruikt: van geen enkel kind in deze gemeente bekend",
                "not used: not known for any child here"),
    "constant": ("niet gebruikt: in deze gemeente hebben alle kinderen dezelfde waarde",
                 "not used: every child has the same value here"),
    "aliased": ("niet gebruikt: in deze gemeente dezelfde informatie als {other}",
                "not used: the same information as {other} here"),
    "part_not_used": ("niet gebruikt: {other} is niet gebruikt",
                      "not used: {other} is not used"),
    "empty_level": ("categorie {level} komt in deze gemeente niet voor en is weggelaten",
                    "level {level} does not occur here and was left out"),
    "rare": ("niet gebruikt: te weinig kinderen met of zonder de uitkomst om het veilig te tonen",
             "not used: too few children with or without the outcome to show it safely"),
    "merged": ("categorie {level} samengenomen met {reference}: te weinig kinderen met of "
               "zonder de uitkomst om haar apart te tonen",
               "level {level} merged with {reference}: too few children with or without the "
               "outcome to show it apart"),
}


@dataclass(frozen=True)
class PredictorNote:
    """Why a predictor (or one level of it) is not in the fitted model."""

    predictor: str
    reason: NoteReason
    #: the predictors it is aliased with, or the parts of an interaction that are not used
    other: tuple[str, ...] = ()
    #: the level without children (reason ``empty_level``), or the rare level merged into
    #: the reference (reason ``merged``)
    level: str | None = None
    #: the reference level a rare level was merged into (reason ``merged``)
    reference: str | None = None

    @property
    def dropped(self) -> bool:
        """The whole predictor is left out (an empty or a merged level only loses that
        level)."""
        return self.reason not in ("empty_level", "merged")

    @property
    def code(self) -> str:
        """Machine-readable reason: constant, missing, rare, aliased_with:<a>+<b>,
        empty_level:<l>, merged:<level>><reference>."""
        if self.reason in ("aliased", "part_not_used"):
            prefix = "aliased_with" if self.reason == "aliased" else "part_not_used"
            return f"{prefix}:{'+'.join(self.other)}"
        if self.reason == "empty_level":
            return f"empty_level:{self.level}"
        if self.reason == "merged":
            return f"merged:{self.level}>{self.reference}"
        return self.reason

    def label(self, lang: Lang) -> str:
        return _label(self.predictor, lang)

    def text(self, lang: Lang) -> str:
        """Plain words, e.g. 'not used: every child has the same value here'."""
        words = _WORDS[self.reason][0 if lang == "nl" else 1]
        joiner = " en " if lang == "nl" else " and "
        level = level_label(self.predictor, self.level, lang) if self.level is not None else ""
        reference = level_label(self.predictor, self.reference, lang) \
            if self.reference is not None else ""
        return words.format(other=joiner.join(_label(o, lang) for o in self.other), level=level,
                            reference=reference)


def _label(name: str, lang: Lang) -> str:
    parts = name.split(" & ")
    joiner = " en " if lang == "nl" else " and "
    return joiner.join(lower_first(getattr(factor_info(p, "child"), lang)) for p in parts)


@dataclass(frozen=True)
class Usable:
    """The design of the predictors this population can estimate, and notes on the others."""

    predictors: tuple[str, ...]
    interactions: tuple[tuple[str, ...], ...]
    design: Design
    notes: tuple[PredictorNote, ...]


def usable_design(table: pd.DataFrame, outcome: str, predictors: Sequence[str],
                  interactions: Sequence[Sequence[str]] = (),
                  references: Mapping[str, str] | None = None, unit: str = "child",
                  min_cases: int = 0) -> Usable:
    """Drop what carries no information here, build the design of the rest; LackOfData when
    nothing is left, no child has the outcome (or every child has it) or too few children.
    ``min_cases``: merge or leave out what has fewer children with or without the outcome
    (see the module's doc)."""
    y = as_bool(table[outcome])
    _require_outcome(y.dropna())
    notes = list(_unknown_or_constant(table.loc[y.notna().to_numpy()], predictors, unit))
    used = [p for p in predictors if p not in {n.predictor for n in notes}]
    combos = [tuple(c) for c in interactions]
    merged: list[PredictorNote] = []
    rows = table
    while True:
        combos, lost = _with_parts(combos, used)
        notes += lost
        if not used and any(n.reason == "rare" for n in notes):
            raise LackOfData("too_few_events", "no predictor of the risk model has enough "
                             "children with and without the outcome to be shown safely")
        if not used:
            raise LackOfData("no_variation", "no predictor of the risk model varies among the "
                             "children here (each is constant, unknown or aliased)")
        design = build_design(rows, outcome, used, combos, references, unit)
        _require_outcome(pd.Series(design.y))
        if len(design.y) < design.X.shape[1] + 1:
            raise LackOfData("too_few_children", "fewer children with complete data than the "
                             "risk model has parameters")
        found = _not_identified(design, used, combos) or _rare(design, min_cases)
        if not found:
            break
        notes += [n for n in found if n.dropped]
        merged += [n for n in found if not n.dropped]
        rows = _merged(table, merged) if merged else table
        gone = {n.predictor for n in found if n.dropped}
        used = [p for p in used if p not in gone]
        combos = [c for c in combos if combo_name(c) not in gone]
    into = {(n.predictor, n.level) for n in merged}
    notes += merged
    notes += [PredictorNote(f, "empty_level", level=lv) for f, lv in design.empty_levels
              if (f, lv) not in into]
    return Usable(tuple(used), tuple(combos), design, tuple(notes))


def _rare(design: Design, min_cases: int) -> list[PredictorNote]:
    """Terms with fewer than ``min_cases`` children with, or without, the outcome among those
    with the term's value or those without it (the gate's cells of a regression). A category's
    rare levels are merged into its reference (all of its levels rare: left out); a binary
    predictor or a combination is left out."""
    if min_cases <= 0:
        return []
    y = design.y > 0
    rare: dict[str, list[str | None]] = {}
    for term in design.terms:
        x = design.X[term.name].to_numpy() > 0
        smallest = min(int((x & y).sum()), int((x & ~y).sum()), int((~x & y).sum()),
                       int((~x & ~y).sum()))
        if smallest < min_cases:
            rare.setdefault(term.factor, []).append(term.level)
    notes = []
    for factor, levels in rare.items():
        total = sum(1 for t in design.terms if t.factor == factor)
        if None in levels or len(levels) == total:
            notes.append(PredictorNote(factor, "rare"))
            continue
        reference = design.references[factor]
        notes += [PredictorNote(factor, "merged", level=lv, reference=reference)
                  for lv in levels]
    return notes


def _merged(table: pd.DataFrame, merged: Sequence[PredictorNote]) -> pd.DataFrame:
    """The table with each merged level recoded to its reference, in the column's own values
    and dtype (declared categories kept, so a merged level is not reported as empty too)."""
    out = table.copy()
    for note in merged:
        column = out[note.predictor]
        text = column.astype("string")
        reference = column[text == note.reference].iloc[0]  # the reference has children
        out[note.predictor] = column.mask(text == note.level, reference)
    return out


def _require_outcome(y: pd.Series) -> None:
    if len(y) == 0:
        raise LackOfData("too_few_children", "no child with a known outcome and complete data")
    events = int(y.astype(float).sum())
    if events == 0:
        raise LackOfData("too_few_events", "no child with the outcome: no risk model")
    if events == len(y):
        raise LackOfData("no_variation", "every child has the outcome: no risk model")


def _unknown_or_constant(rows: pd.DataFrame, predictors: Sequence[str], unit: str
                         ) -> list[PredictorNote]:
    """Among the children with a known outcome: no value at all, or a single value."""
    notes = []
    for name in predictors:
        column = rows[name]
        kind = factor_info(name, unit, column).type  # type: ignore[arg-type]
        values = (as_bool(column) if kind == "binary" else column.astype("string")).dropna()
        if values.empty:
            notes.append(PredictorNote(name, "missing"))
        elif values.nunique() == 1:
            notes.append(PredictorNote(name, "constant"))
    return notes


def _with_parts(combos: list[tuple[str, ...]], used: Sequence[str]
                ) -> tuple[list[tuple[str, ...]], list[PredictorNote]]:
    kept, notes = [], []
    for parts in combos:
        gone = tuple(p for p in parts if p not in used)
        if gone:
            notes.append(PredictorNote(combo_name(parts), "part_not_used", gone))
        else:
            kept.append(parts)
    return kept, notes


def _not_identified(design: Design, predictors: Sequence[str],
                    combos: Sequence[tuple[str, ...]]) -> list[PredictorNote]:
    """Predictors (all their columns at once), in the order listed, whose columns are linear
    combinations of the constant and the columns kept before them."""
    X = design.X.to_numpy(dtype=float)
    names = list(design.X.columns)
    owner = {CONST: CONST, **{t.name: t.factor for t in design.terms}}
    keep = [0]
    notes = []
    for group in [*predictors, *(combo_name(c) for c in combos)]:
        columns = [j for j, n in enumerate(names) if owner[n] == group]
        if not columns:  # a category with one level among the kept children
            notes.append(PredictorNote(group, "constant"))
            continue
        trial, partners, dependent = list(keep), [], False
        for j in columns:
            if np.linalg.matrix_rank(X[:, [*trial, j]]) == len(trial) + 1:
                trial.append(j)
                continue
            dependent = True
            coef = np.linalg.lstsq(X[:, trial], X[:, j], rcond=None)[0]
            partners += [owner[names[trial[i]]] for i in np.flatnonzero(np.abs(coef) > 1e-8)]
        if not dependent:
            keep = trial
            continue
        other = tuple(dict.fromkeys(p for p in partners if p not in (group, CONST)))
        notes.append(PredictorNote(group, "aliased", other) if other
                     else PredictorNote(group, "constant"))
    return notes
