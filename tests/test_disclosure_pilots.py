"""Issue 12: a property test over generated pilots. No suppressed cell of a whole publication is
pinned narrower than the rule by everything the publication states together.

Hypothesis draws small pilots at the level of a run's ``work/`` tables (``tests/_pilots.py``:
a few hundred to a couple of thousand households, target groups of 3, 9, 14 and other sizes,
``rent_allowance`` = tenure 3 and ``single_parent`` = household type 6, nested factors, missing
values in mean factors, a rare outcome), runs the run's own publishing (``outputs.publish``:
the target-group profile and duration, the typology, the risk step with fairness audit,
combinations and the high-risk profile) at CBS defaults (min_cell 10), and keeps what passes
(``Outputs.add``).

The attacker is this file's own, not the gate's (no ``disclosure.attack``, no register): it
knows the microdata, so for every published number that implies a count (counts, n's, events,
non-events, flagged and confusion cells, sizes, a share with its published denominator) it
states the set of units that number counts, from its own reading of each output's columns, as
a box over dimensions (see "the attacker's model" below). The true counts must satisfy every
statement (that checks the reading). Then, per suppressed count whose true value is small
(1 .. min_cell - 1), and per cell an output protects without showing it (a binary factor's
"no"), an integer program over ALL published outputs of that unit type at once (scipy
``milp``; ``<10`` at most min_cell - 1, ``x`` at least min_cell) gives its interval, which
must not be ``too_narrow``: it reaches 1 (or 0) and min_cell - 1.

Examples per run: ``SMARTSTART_PILOT_EXAMPLES`` (default 12, about 8 household and 4 child pilots,
plus the explicit examples: about a minute and a half on two cores; it was 16 until the suite
grew past CI's 25 minutes; long runs set more), derandomized (the same pilots on every run);
``SMARTSTART_PILOT_SEED`` draws another fixed set (``run.py test`` shares the 12 between its
two environments: 6 each, the derandomized set in one and seed 1's in the other);
``SMARTSTART_PILOT_SHRINK=1`` lets hypothesis minimise a failing pilot (slow: each pilot is a
whole publication);
``SMARTSTART_PILOT_TREE=1`` adds the children's tree LP (see ``attack``).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pytest
from _pilots import OPTIONAL_CHILD, OPTIONAL_HOUSEHOLD, Pilot, PilotSpec, make_pilot
from hypothesis import HealthCheck, Phase, example, given, seed, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.stats import rankdata

from smartstart import analyses as A
from smartstart.disclosure import Settings, merge_small_groups, too_narrow
from smartstart.outputs import Outputs, publish
from smartstart.outputs._work import Work
from smartstart.pilot import Study, TargetGroup, Window

MIN_CELL = 10
SETTINGS = Settings()  # CBS defaults: min_cell 10, zeros not disclosive
TOTAL = int(os.environ.get("SMARTSTART_PILOT_EXAMPLES", "12"))
SEED = int(os.environ.get("SMARTSTART_PILOT_SEED", "0"))
SHRINK = os.environ.get("SMARTSTART_PILOT_SHRINK", "") not in ("", "0")
#: the children's tables joined into a tree for an LP besides the integer program (stronger,
#: about 10 s more per pilot with a high-risk profile: for long runs)
TREE = os.environ.get("SMARTSTART_PILOT_TREE", "") not in ("", "0")
EPS = 1e-6
COUNTED: dict[str, list[float]] = {}
#: what the last pilot published and how many cells were attacked (for a long run's log)
LAST: dict[str, object] = {}


def _settings(share: float):
    phases = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target]
    return settings(max_examples=max(1, round(TOTAL * share)), deadline=None,
                    derandomize=SEED == 0, database=None,
                    phases=phases + [Phase.shrink] if SHRINK else phases,
                    suppress_health_check=list(HealthCheck))


def _seeded(test):
    return seed(SEED)(test) if SEED else test


# the pilots ------------------------------------------------------------------------------------

@st.composite
def pilot_specs(draw, households: tuple[int, int] = (200, 2000),
                rates: tuple[float, ...] = (0.02, 0.05, 0.08, 0.12)) -> PilotSpec:
    low, high = households
    n = draw(st.one_of(st.sampled_from([low, (low + high) // 2, high]), st.integers(low, high)))
    target = draw(st.one_of(st.sampled_from([3, 9, 14]), st.integers(1, 40)))
    return PilotSpec(
        households=n, target=target, target_rented=draw(st.integers(0, target)),
        no_income_record=draw(st.sampled_from([0, 1, 3, 12, 30])),
        income_missing=draw(st.sampled_from([0, 1, 2, 6, 12])),
        mother_missing_target=draw(st.integers(0, 3)),
        outcome_rate=draw(st.sampled_from(rates)),
        single_parent_target=draw(st.sampled_from([0.0, 0.3, 0.6, 1.0])),
        wijken=draw(st.integers(1, 4)), young_mother_nested=draw(st.booleans()),
        absent=tuple(draw(st.lists(st.sampled_from(sorted({*OPTIONAL_HOUSEHOLD,
                                                          *OPTIONAL_CHILD})),
                                   unique=True, max_size=4))),
        seed=draw(st.integers(0, 2**16)))


#: the child test's pilots: enough children and events for the risk model to pass its checks
#: in about half of them (the others publish no risk output)
CHILD_SPECS = pilot_specs((800, 1500), (0.05, 0.08, 0.12))


def _study(analyses: tuple[str, ...]) -> Study:
    window = Window(start=date(2015, 1, 1), end=date(2022, 12, 31))
    return Study(name="pilot", gemeente="0784", peildatum=date(2020, 1, 1),
                 target_group=TargetGroup(partner_file="p", start_column="start",
                                          window=window),
                 analyses=analyses)


def _publish(pilot: Pilot, analyses: tuple[str, ...]) -> tuple[Outputs, pd.Series | None]:
    """The run's publication of the pilot, and the type of each household (microdata: what
    ``analyses.typology`` fitted, kept by a wrapper that returns the same result)."""
    attrition = pd.DataFrame({"step": ["households"], "rows_in": [len(pilot.households)],
                              "rows_out": [len(pilot.households)], "reason": [""]})
    work = Work(pilot.households, pilot.children, attrition, None, pilot.durations)
    fitted: list[pd.Series] = []

    def typology(table: pd.DataFrame, spec=None):
        estimator = A.Typology(spec).fit(table)
        fitted.append(estimator.labels_)
        return estimator.result_

    original = A.typology
    A.typology = typology
    try:
        out = publish(_study(analyses), work)
    finally:
        A.typology = original
    types = fitted[0].reindex(pilot.households.index) if fitted else None
    return out, types


# the attacker's facts --------------------------------------------------------------------------

# the attacker's model ---------------------------------------------------------------------------
#
# Units are described by dimensions (a factor, the target group, a household type, a duration
# band, a decile of the risk, flagged or not), each a variable with a few levels. A published
# count counts a box: per dimension a set of its levels (the target group and tenure level 3;
# the children with factors a and b and the outcome). The attacker's unknowns are the cells of
# cross-tables of dimensions (one per largest set of dimensions some count crosses: target x
# tenure, type x factor, risk factors x outcome, attribute x outcome x flagged), every cell a
# nonnegative integer, and tables that share dimensions agree on their common margin. It
# knows which levels a dimension has, never which combinations are empty (that is not
# published), and only what is declared of two factors: ``rent_allowance`` is tenure level 3,
# ``single_parent`` household type 6 (one dimension each). So every interval it finds holds
# for the real attacker too, who knows no more: a narrowing found here is a real one.

NA = "<NA>"
Box = dict[str, frozenset[int]]
Terms = list[tuple[int, Box]]
#: the factor definitions' identities (``same_as``): factor -> (dimension, level it is)
SAME = {"rent_allowance": ("tenure", "3"), "single_parent": ("household_type", "6")}


@dataclass
class Facts:
    """What the published outputs say about one unit type: boxes of units with their
    published count, and suppressed counts with what their label says."""

    units: int
    #: dimension -> (levels, the level of each unit)
    dims: dict[str, tuple[list[str], np.ndarray]] = field(default_factory=dict)
    #: a count is a sum of boxes with signs (the high-risk profile's rest: all minus group)
    equal: list[tuple[Terms, float, str]] = field(default_factory=list)
    hidden: list[tuple[Terms, float, float, str]] = field(default_factory=list)
    #: 'x' on a count whose true value is below min_cell (the attacker is not told it)
    notes: list[str] = field(default_factory=list)
    #: dimensions crossed in one table, so that the cross-tables form a tree (their shared
    #: margins then say all a joint table would): see ``child_facts``
    cover: tuple[str, ...] = ()

    def dim(self, name: str, values: object, levels: list[str] | None = None) -> str:
        """A dimension from the units' values; missing is a level ``<NA>`` when some
        are missing (a published n of all units says whether any are)."""
        if name not in self.dims:
            text = pd.Series(values).astype("string").fillna(NA).to_numpy(str)
            known = sorted(set(text) - {NA}) if levels is None else list(levels)
            levels = [*known, NA] if NA in text and NA not in known else known
            codes = np.array([levels.index(v) for v in text]) if len(text) else np.zeros(0, int)
            assert codes.shape == (self.units,)
            self.dims[name] = (levels, codes)
        return name

    def levels(self, name: str, keep: Callable[[str], bool]) -> frozenset[int]:
        return frozenset(i for i, v in enumerate(self.dims[name][0]) if keep(v))

    def truth(self, terms: Terms) -> int:
        total = 0
        for sign, box in terms:
            inside = np.ones(self.units, bool)
            for name, allowed in box.items():
                inside &= np.isin(self.dims[name][1], list(allowed))
            total += sign * int(inside.sum())
        return total

    def cell(self, box: Box | Terms, value: object, label: str | None, where: str) -> None:
        """A count as published: a number, or blank with its label (None: blank from the
        start, e.g. a statistic without a count)."""
        terms = box if isinstance(box, list) else [(1, box)]
        if value is not None and not pd.isna(value):
            self.equal.append((terms, float(value), where))
        elif label is not None:
            truth = self.truth(terms)
            if label == f"<{MIN_CELL}":  # at most min_cell - 1 (a zero may show it too)
                self.hidden.append((terms, 0.0, MIN_CELL - 1.0, where))
            elif truth >= MIN_CELL:  # 'x': secondary (at least min_cell), as the log says
                self.hidden.append((terms, float(MIN_CELL), np.inf, where))
            else:
                self.notes.append(f"{where}: 'x' on a count of {truth}")
                self.hidden.append((terms, 0.0, np.inf, where))

    def implied(self, terms: Terms, where: str) -> None:
        """A cell the output protects without showing it (a binary factor's "no": n minus
        count), attacked like a suppressed one."""
        self.hidden.append((terms, 0.0, np.inf, where))


def _labels(published) -> dict[tuple[int, str], str]:
    return {(row, column): label for row, column, label in published.record.shown}


def _bool(column: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("boolean")
    return column.astype("string").str.lower().map({"true": True, "false": False, "1": True,
                                                    "0": False}).astype("boolean")


def _text(level: object) -> str:
    return "" if level is None or pd.isna(level) else str(level)


def factor_boxes(facts: Facts, data: pd.DataFrame, factor: str, kind: str, level: object
                 ) -> tuple[dict, dict]:
    """(known, yes) boxes of a factor row: kind 'binary' (yes: true), 'level' (the value is
    ``level``) or 'mean' (yes = known: a mean's count is its n). A factor declared the same
    as another's level is a box on that factor's dimension."""
    if factor in SAME and SAME[factor][0] in data:  # (the child table has no tenure)
        name, same = SAME[factor]
        source = data[name]
        facts.dim(name, source)
        ours = _bool(data[factor])
        theirs = source.astype("string")
        assert ((ours == True) == (theirs == same)).fillna(ours.isna() & theirs.isna()).all()  # noqa: E712
        yes = {"True": lambda v: v == same, "False": lambda v: v not in (same, NA)}
        want = "True" if kind == "binary" else str(level)
        known = {name: facts.levels(name, lambda v: v != NA)}
        return known, {name: facts.levels(name, yes[want])}
    if kind == "mean":
        name = facts.dim(f"{factor}?", pd.to_numeric(data[factor], errors="coerce")
                         .notna().map({True: "known"}).astype("string"))
        known = {name: facts.levels(name, lambda v: v == "known")}
        return known, known
    values = _bool(data[factor]).astype("string") if kind == "binary" else data[factor]
    name = facts.dim(factor, values)
    known = {name: facts.levels(name, lambda v: v != NA)}
    want = "True" if kind == "binary" else str(level)
    return known, {name: facts.levels(name, lambda v: v == want)}


def read_comparison(facts: Facts, published, data: pd.DataFrame,
                    groups: dict[str, dict]) -> None:
    """A profile (target group or high-risk group vs rest vs all): per row and group, n =
    the group's units with a known value, count = those with the level (a mean: its n);
    a share published with its n states its count. The units with one mean's value but not
    another's (two published n's of a group differ by them: the issue's 94 - 92 = 2) are
    attacked too."""
    frame, labels = published.frame, _labels(published)
    name = published.record.name
    means: dict[str, list[tuple[str, str]]] = {g: [] for g in groups}
    for pos, row in enumerate(frame.itertuples(index=False)):
        row = row._asdict()
        kind = "mean" if row["statistic"] == "mean" else (
            "binary" if row["type"] == "binary" else "level")
        known, yes = factor_boxes(facts, data, row["factor"], kind, row["level"])
        for g, members in groups.items():
            where = f"{name}[{row['factor']}={_text(row['level'])}].{{}}_{g}"
            facts.cell({**members, **known}, row[f"n_{g}"], labels.get((pos, f"n_{g}")),
                       where.format("n"))
            facts.cell({**members, **yes}, row[f"count_{g}"],
                       labels.get((pos, f"count_{g}")), where.format("count"))
            value, n = row.get(f"value_{g}"), row[f"n_{g}"]
            if kind != "mean" and pd.isna(row[f"count_{g}"]) and pd.notna(value) and pd.notna(n):
                facts.cell({**members, **yes}, round(float(value) * float(n)), None,
                           where.format("value*n"))
            if kind == "binary" and (pd.isna(row[f"count_{g}"]) or pd.isna(n)):
                facts.implied([(1, {**members, **known}), (-1, {**members, **yes})],
                              where.format("no"))
            if kind == "mean" and pd.notna(n):
                means[g].append((row["factor"], next(iter(known))))
    for g, shown in means.items():
        for (a, dim_a), (b, dim_b) in itertools.permutations(shown, 2):
            box = {**groups[g], dim_a: facts.levels(dim_a, lambda v: v != NA),
                   dim_b: facts.levels(dim_b, lambda v: v == NA)}
            if box[dim_b]:
                facts.implied([(1, box)], f"{name}[{a} without {b}].n_{g}")


def read_duration(facts: Facts, published) -> None:
    """Bands of months in the target group (< 6, 6-12 inclusive, > 12); n: with a duration."""
    frame, labels = published.frame, _labels(published)
    for pos, row in enumerate(frame.itertuples(index=False)):
        inside = {"group": facts.levels("group", lambda v, b=row.band: v.endswith(f"|{b}"))}
        facts.cell(inside, row.count, labels.get((pos, "count")), f"duration[{row.band}].count")
        known = {"group": facts.levels("group", lambda v: v.startswith("T")
                                       and not v.endswith(f"|{NA}"))}
        facts.cell(known, row.n, labels.get((pos, "n")), f"duration[{row.band}].n")
        if pd.isna(row.count) and pd.notna(row.share) and pd.notna(row.n):
            facts.cell(inside, round(row.share * row.n), None, f"duration[{row.band}].share*n")


def _type_box(facts: Facts, keep: Callable[[str], bool]) -> dict:
    return {"group": facts.levels("group", lambda v: v.startswith("T") and keep(v.split("|")[1]))}


def read_types(facts: Facts, published) -> None:
    frame, labels = published.frame, _labels(published)
    for pos, row in enumerate(frame.itertuples(index=False)):
        members = _type_box(facts, lambda t, k=str(row.type): t == k)
        facts.cell(members, row.size, labels.get((pos, "size")), f"typology_types[{row.type}]")


def read_type_profile(facts: Facts, published, data: pd.DataFrame) -> None:
    """Per type and factor level: count and n in the type, rest_count and rest_n in the rest
    of the target group, municipality_count and municipality_n in all households."""
    frame, labels = published.frame, _labels(published)
    for pos, row in enumerate(frame.itertuples(index=False)):
        row = row._asdict()
        kind = "mean" if row["kind"] != "level" else "level"
        known, yes = factor_boxes(facts, data, row["factor"], kind, row["level"])
        t = str(row["type"])
        where = f"typology_profile[{t},{row['factor']}={_text(row['level'])}]."
        for prefix, units in (("", _type_box(facts, lambda v, t=t: v == t)),
                              ("rest_", _type_box(facts, lambda v, t=t: v != t)),
                              ("municipality_", {})):
            for column, box in ((f"{prefix}count", yes), (f"{prefix}n", known)):
                if column in row:
                    facts.cell({**units, **box}, row[column], labels.get((pos, column)),
                               where + column)


def read_risk_checks(facts: Facts, published, data: pd.DataFrame, used: tuple[str, ...]
                     ) -> None:
    """n and events; ``min_cell``, the fewest children of a predictor's level x outcome,
    bounds every such cell from below."""
    values = dict(zip(published.frame["check"], published.frame["value"], strict=True))
    facts.cell({}, float(values["n"]), None, "risk_checks.n")
    facts.cell(_yes(facts, "outcome"), float(values["events"]), None, "risk_checks.events")
    fewest = float(values["min_cell"])
    for name in used:
        _, yes = factor_boxes(facts, data, name, "binary", None)
        dim = next(iter(yes))
        no = {dim: facts.levels(dim, lambda v: v != NA) - yes[dim]}
        for level in (yes, no):
            for outcome in ("True", "False"):
                facts.hidden.append(([(1, {**level, **_yes(facts, "outcome", outcome)})],
                                     fewest, np.inf, f"risk_checks.min_cell[{name}]"))


def _yes(facts: Facts, name: str, want: str = "True") -> dict:
    return {name: facts.levels(name, lambda v: v == want)}


def read_calibration(facts: Facts, published) -> None:
    """Deciles of the out-of-fold risk (ordinal ranks, equal groups): n and events."""
    frame, labels = published.frame, _labels(published)
    for pos, row in enumerate(frame.itertuples(index=False)):
        members = _yes(facts, "decile", str(int(row.group)))
        facts.cell(members, row.n, labels.get((pos, "n")), f"risk_calibration[{row.group}].n")
        facts.cell({**members, **_yes(facts, "outcome")}, row.events,
                   labels.get((pos, "events")), f"risk_calibration[{row.group}].events")


def _merged(facts: Facts, attribute: str, group: str, merged: pd.Series) -> dict:
    """The raw levels of an audit attribute that make up a (merged) published group."""
    raw = pd.Series(facts.dims[attribute][0])[facts.dims[attribute][1]].to_numpy()
    shown = merged.astype("string").fillna("(onbekend)").to_numpy(str)
    inside = set(raw[shown == group])
    if group == "(onbekend)":
        inside.add(NA)
    return {attribute: facts.levels(attribute, lambda v: v in inside)}


def read_fairness(facts: Facts, published, groups: dict[str, pd.Series]) -> None:
    """Per audited attribute and group (as merged): n, events, flagged (the top tenth of the
    out-of-fold risks) and the confusion cells."""
    frame, labels = published.frame, _labels(published)
    y, f = _yes(facts, "outcome"), _yes(facts, "flagged")
    no_y, no_f = _yes(facts, "outcome", "False"), _yes(facts, "flagged", "False")
    parts = {"n": {}, "events": y, "flagged": f, "tp": {**y, **f}, "fn": {**y, **no_f},
             "fp": {**no_y, **f}, "tn": {**no_y, **no_f}}
    for pos, row in enumerate(frame.itertuples(index=False)):
        members = _merged(facts, row.attribute, str(row.group), groups[row.attribute])
        for column, box in parts.items():
            facts.cell({**members, **box}, getattr(row, column), labels.get((pos, column)),
                       f"fairness_metrics[{row.attribute}={row.group}].{column}")


def read_proxies(facts: Facts, published, groups: dict[str, pd.Series]) -> None:
    """Per audited attribute (as merged) and level: n and the children with the level."""
    frame, labels = published.frame, _labels(published)
    for pos, row in enumerate(frame.itertuples(index=False)):
        facts.cell({}, row.n, labels.get((pos, "n")), f"fairness_proxies[{row.attribute}].n")
        members = _merged(facts, row.attribute, str(row.level), groups[row.attribute])
        facts.cell(members, row.positives, labels.get((pos, "positives")),
                   f"fairness_proxies[{row.attribute}].positives")


def _all_of(facts: Facts, data: pd.DataFrame, names: list[str]) -> dict:
    box: dict[str, frozenset[int]] = {}
    for name in names:
        _, yes = factor_boxes(facts, data, name, "binary", None)
        box.update(yes)
    return box


def read_combinations(facts: Facts, published, data: pd.DataFrame) -> None:
    frame, labels = published.frame, _labels(published)
    y, no_y = _yes(facts, "outcome"), _yes(facts, "outcome", "False")
    for pos, row in enumerate(frame.itertuples(index=False)):
        inside = _all_of(facts, data, str(row.factors).split("+"))
        for column, box in (("n", {}), ("events", y), ("non_events", no_y)):
            facts.cell({**inside, **box}, getattr(row, column), labels.get((pos, column)),
                       f"combinations[{row.factors}].{column}")


# the attack --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    where: str
    truth: int
    low: float
    high: float


@dataclass
class Program:
    """The attacker's integer program: cells of the cross-tables, consistency on shared
    margins, the published counts (rows ``published``) and the labels' bounds."""

    tables: list[tuple[str, ...]]
    offset: list[int]
    shapes: list[tuple[int, ...]]
    truth: np.ndarray
    rows: list[np.ndarray] = field(default_factory=list)
    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)
    #: the rows as sparse matrices for the LP, made once
    sparse: tuple | None = None

    def vector(self, facts: Facts, terms: Terms) -> np.ndarray:
        return sum((sign * self.box(facts, box) for sign, box in terms),
                   np.zeros(len(self.truth)))

    def box(self, facts: Facts, box: Box, k: int | None = None) -> np.ndarray:
        """The cells of table ``k`` (default: the first holding every dimension of ``box``)
        that lie in the box."""
        if k is None:
            k = next(i for i, t in enumerate(self.tables) if set(box) <= set(t))
        row = np.zeros(len(self.truth))
        inside = np.ones(self.shapes[k], bool)
        for axis, name in enumerate(self.tables[k]):
            if name in box:
                keep = np.isin(np.arange(self.shapes[k][axis]), list(box[name]))
                shape = [1] * len(self.shapes[k])
                shape[axis] = -1
                inside &= keep.reshape(shape)
        row[self.offset[k]:self.offset[k] + inside.size] = inside.ravel()
        return row

    def add(self, row: np.ndarray, low: float, high: float) -> None:
        self.rows.append(row)
        self.low.append(low)
        self.high.append(high)


def program(facts: Facts, cover: bool = False) -> Program:
    """Tables: every largest set of dimensions a statement crosses (with ``cover``:
    ``facts.cover`` first, dimensions joined so that the tables form a tree)."""
    boxes = [set(b) for terms, *_ in [*facts.equal, *facts.hidden] for _, b in terms]
    used = set().union(*boxes) if boxes else set()
    joined = set(facts.cover) & used if cover else set()
    tables: list[set[str]] = [joined] if joined else []
    for dims in sorted(boxes, key=len, reverse=True):
        if not any(dims <= t for t in tables):
            tables.append(dims)
    if not tables:
        tables = [set()]
    order = [tuple(sorted(t)) for t in tables]
    shapes = [tuple(len(facts.dims[d][0]) for d in t) for t in order]
    sizes = [int(np.prod(s)) for s in shapes]
    offset = list(np.cumsum([0, *sizes])[:-1])
    truth = np.zeros(sum(sizes))
    for k, (t, shape) in enumerate(zip(order, shapes, strict=True)):
        flat = (np.ravel_multi_index(tuple(facts.dims[d][1] for d in t), shape)
                if t else np.zeros(facts.units, int))
        truth[offset[k]:offset[k] + sizes[k]] = np.bincount(flat, minlength=sizes[k])
    p = Program(order, offset, shapes, truth)
    for i in range(len(order)):  # tables that share dimensions agree on their margin
        for j in range(i + 1, len(order)):
            shared = sorted(set(order[i]) & set(order[j]))
            for cell in np.ndindex(*[len(facts.dims[d][0]) for d in shared]):
                box = {d: frozenset([c]) for d, c in zip(shared, cell, strict=True)}
                p.add(p.box(facts, box, i) - p.box(facts, box, j), 0.0, 0.0)
    return p


def attack(facts: Facts) -> tuple[list[Finding], int]:
    """Per suppressed small count (and protected hidden cell), min and max consistent with
    every published number: an integer program over the cross-tables, and, when
    ``facts.cover`` joins dimensions into one larger table (a tree: then the margins say all
    a joint table would), a linear program over those, rounded inwards. Both intervals hold
    for the attacker, so their intersection does. Returns the narrowed cells and how many
    were attacked."""
    if not facts.equal and not facts.hidden:
        return [], 0
    p, targets = _stated(facts, program(facts))
    tree = _stated(facts, program(facts, cover=True))[0] if facts.cover and TREE else None
    constraints = LinearConstraint(np.array(p.rows), p.low, p.high)
    found, attacked, done = [], 0, set()
    for k, (row, value, where) in enumerate(targets):
        key = row.tobytes()
        if not 0 < value < MIN_CELL or key in done:
            continue
        done.add(key)
        attacked += 1
        low = _solve(row, constraints, len(p.truth))
        high = -_solve(-row, constraints, len(p.truth))
        if tree is not None:
            joint = tree.rows[len(tree.rows) - len(targets) + k]
            low = max(low, np.ceil(_relaxed(joint, tree) - EPS))
            high = min(high, np.floor(-_relaxed(-joint, tree) + EPS))
        if bool(too_narrow(low, high, SETTINGS)):
            found.append(Finding(where, value, low, high))
    return found, attacked


def _stated(facts: Facts, p: Program) -> tuple[Program, list[tuple[np.ndarray, int, str]]]:
    """Every statement as a row of ``p``; the true cells must satisfy them (the reading)."""
    wrong = []
    for box, value, where in facts.equal:
        row = p.vector(facts, box)
        if abs(row @ p.truth - value) > EPS:
            wrong.append((where, value, float(row @ p.truth)))
        p.add(row, value, value)
    assert wrong == [], f"the test's reading of the outputs is off: {wrong[:5]}"
    targets = []
    for box, low, high, where in facts.hidden:
        row = p.vector(facts, box)
        value = float(row @ p.truth)
        assert low - EPS <= value <= high + EPS, (where, value, low, high)
        p.add(row, low, high)
        targets.append((row, int(round(value)), where))
    return p, targets


def _relaxed(c: np.ndarray, p: Program) -> float:
    if p.sparse is None:
        a, low, high = sparse.csr_array(np.array(p.rows)), np.array(p.low), np.array(p.high)
        eq = low == high
        upper = np.isfinite(high) & ~eq
        lower = np.isfinite(low) & ~eq & (low > 0)
        p.sparse = (a[eq], low[eq], sparse.vstack([a[upper], -a[lower]]).tocsr(),
                    np.concatenate([high[upper], -low[lower]]))
    a_eq, b_eq, a_ub, b_ub = p.sparse
    result = linprog(c, A_eq=a_eq, b_eq=b_eq, A_ub=a_ub, b_ub=b_ub, bounds=(0, None),
                     method="highs")
    assert result.status in (0, 3), result.message
    return float(result.fun) if result.status == 0 else -np.inf


def _solve(c: np.ndarray, constraints: LinearConstraint, n: int) -> float:
    """The optimum, or HiGHS's bound on it when it stops early (never narrower than the
    true optimum, so a time-out can hide a leak but never invent one)."""
    result = milp(c, integrality=np.ones(n), bounds=Bounds(0, np.inf),
                  constraints=constraints, options={"time_limit": 20})
    if result.status == 0:
        return float(result.fun)
    if result.status == 3:  # unbounded
        return -np.inf
    bound = getattr(result, "mip_dual_bound", None)
    assert bound is not None and np.isfinite(bound), result.message
    return float(bound)


# reading a pilot's whole publication --------------------------------------------------------

BANDS = {"lt_6m": lambda m: m < 6, "6_12m": lambda m: (m >= 6) & (m <= 12),
         "gt_1y": lambda m: m > 12}


def household_facts(pilot: Pilot, out: Outputs, types: pd.Series | None) -> Facts:
    h = pilot.households
    facts = Facts(len(h))
    target = h["target_group"].to_numpy(bool)
    # the group of a household: R (rest) or T|type|band (type and duration band, NA if none)
    months = np.full(len(h), np.nan)
    months[np.flatnonzero(target)] = pilot.durations.to_numpy(float) / (365.25 / 12)
    band = np.full(len(h), NA, dtype=object)
    for name, inside in BANDS.items():
        band[inside(months)] = name
    kind = (pd.Series(types).astype("string").fillna(NA).to_numpy(str) if types is not None
            else np.full(len(h), NA))
    group = np.where(target, "T|" + kind.astype(object) + "|" + band, "R")
    type_levels = sorted(set(kind) - {NA}) + [NA]
    facts.dim("group", group, ["R"] + [f"T|{t}|{b}" for t in type_levels
                                       for b in [*BANDS, NA]])
    groups = {"target": {"group": facts.levels("group", lambda v: v.startswith("T"))},
              "rest": {"group": facts.levels("group", lambda v: v == "R")}, "all": {}}
    for p in out.tables:
        name = p.record.name
        if name == "profile_households":
            read_comparison(facts, p, h, groups)
        elif name == "duration":
            read_duration(facts, p)
        elif name in ("typology_types", "typology_personas"):
            read_types(facts, p)
        elif name == "typology_profile":
            read_type_profile(facts, p, h)
    return facts


def child_facts(pilot: Pilot, out: Outputs) -> Facts:
    from smartstart.analyses import RiskSpec
    from smartstart.analyses._fairness import AUDIT_GROUPS, audit_columns
    from smartstart.analyses._risk import model_predictions

    c = pilot.children
    facts = Facts(len(c))
    tables = {p.record.name: p for p in out.tables}
    if "risk_checks" not in tables:
        return facts
    facts.dim("outcome", _bool(c["outcome"]).astype("string"))
    coefficients = tables["risk_coefficients"].frame
    used = tuple(dict.fromkeys(f for f in coefficients["factor"].astype(str)
                               if f in c.columns))
    assert c[[*used, "outcome"]].notna().all(axis=None)  # every child counts (no NA here)
    read_risk_checks(facts, tables["risk_checks"], c, used)
    score, kept = model_predictions(c, RiskSpec(predictors=used))
    assert np.asarray(kept, bool).all()
    ranks = rankdata(score, method="ordinal")
    facts.dim("decile", np.minimum((ranks - 1) * 10 // len(score), 9) + 1,
              [str(d) for d in range(1, 11)])
    facts.dim("flagged", (score >= np.quantile(score, 0.9)).astype(str))
    # the audit's groups (persons: the age band from the child's age), small groups merged
    # (as the run does before the audit)
    audited = audit_columns(c)
    groups = {g: merge_small_groups(audited[g], c["outcome"], SETTINGS)
              for g in AUDIT_GROUPS if g in audited}
    for g in groups:
        facts.dim(g, audited[g])
    if "risk_calibration" in tables:
        read_calibration(facts, tables["risk_calibration"])
    if "fairness_metrics" in tables:
        read_fairness(facts, tables["fairness_metrics"], groups)
    if "fairness_proxies" in tables:
        read_proxies(facts, tables["fairness_proxies"], groups)
    if "combinations" in tables:
        shown = tables["combinations"]
        read_combinations(facts, shown, c)
        if "high_risk_profile" in tables:
            frame = shown.frame
            candidates = frame[frame["significant"].astype(bool)]
            confirmed = candidates[candidates["confirmed"].astype(bool)]
            best = (confirmed if len(confirmed) else candidates).iloc[0]
            inside = _all_of(facts, c, str(best["factors"]).split("+"))
            # the risk factors, outcome, flagged and the audit attributes the high-risk
            # profile describes too (sex, migration background) in one table: the others
            # (each audit attribute x outcome x flagged, deciles x outcome, the group x a
            # profile factor) hang on it, a tree
            facts.cover = (*[d for d in facts.dims if d not in ("decile", "age_band")],)
            read_high_risk(facts, tables["high_risk_profile"], c, inside)
    return facts


def read_high_risk(facts: Facts, published, data: pd.DataFrame, inside: dict) -> None:
    """The high-risk profile: the group (a box), all children, and the rest as all minus
    the group (the rest is no box: each rest count is stated as all minus group)."""
    frame, labels = published.frame, _labels(published)
    for pos, row in enumerate(frame.itertuples(index=False)):
        row = row._asdict()
        kind = "mean" if row["statistic"] == "mean" else (
            "binary" if row["type"] == "binary" else "level")
        known, yes = factor_boxes(facts, data, row["factor"], kind, row["level"])
        where = f"high_risk_profile[{row['factor']}={_text(row['level'])}].{{}}_{{}}"
        for stat, box in (("n", known), ("count", yes)):
            for g, members in (("target", inside), ("all", {})):
                facts.cell({**members, **box}, row[f"{stat}_{g}"],
                           labels.get((pos, f"{stat}_{g}")), where.format(stat, g))
            facts.cell([(1, box), (-1, {**inside, **box})], row[f"{stat}_rest"],
                       labels.get((pos, f"{stat}_rest")), where.format(stat, "rest"))
        if kind != "binary":
            continue
        rest = [(1, known), (-1, {**inside, **known}), (-1, yes), (1, {**inside, **yes})]
        for g, no in (("target", [(1, {**inside, **known}), (-1, {**inside, **yes})]),
                      ("rest", rest), ("all", [(1, known), (-1, yes)])):
            if pd.isna(row[f"count_{g}"]) or pd.isna(row[f"n_{g}"]):
                facts.implied(no, where.format("no", g))


def _report(kind: str, facts: Facts, findings: list[Finding], attacked: int,
            seconds: float) -> None:
    COUNTED.setdefault(kind, []).append(seconds)
    LAST.update(attacked=attacked, statements=len(facts.equal), notes=len(facts.notes))
    assert findings == [], (
        f"{len(findings)} of {attacked} suppressed small {kind} counts pinned narrower than "
        f"[1, {MIN_CELL - 1}] by the whole publication: "
        + "; ".join(f"{f.where} true {f.truth} in [{f.low:g}, {f.high:g}]" for f in findings))


def check_households(spec: PilotSpec, typology: bool) -> None:
    started = time.perf_counter()
    pilot = make_pilot(spec)
    out, types = _publish(pilot, ("profile", "typology") if typology else ("profile",))
    LAST.clear()
    LAST["published"] = sorted(out.names())
    facts = household_facts(pilot, out, types)
    findings, attacked = attack(facts)
    _report("household", facts, findings, attacked, time.perf_counter() - started)


def check_children(spec: PilotSpec) -> None:
    started = time.perf_counter()
    pilot = make_pilot(spec)
    out, _ = _publish(pilot, ("risk",))
    LAST.clear()
    LAST["published"] = sorted(out.names())
    facts = child_facts(pilot, out)
    findings, attacked = attack(facts)
    _report("child", facts, findings, attacked, time.perf_counter() - started)


@pytest.fixture(scope="module", autouse=True)
def _timings():
    started = time.perf_counter()
    yield
    print("\npilots: " + ", ".join(f"{k} {len(v)} ({sum(v):.0f} s)" for k, v in COUNTED.items())
          + f" in {time.perf_counter() - started:.0f} s")


# the properties ----------------------------------------------------------------------------

@_seeded
@_settings(0.6)
@given(spec=pilot_specs(), typology=st.booleans())
@example(spec=PilotSpec(households=400, target=3, target_rented=2, seed=1), typology=True)
@example(spec=PilotSpec(households=800, target=9, target_rented=6, no_income_record=12,
                        income_missing=6, seed=2), typology=False)
@example(spec=PilotSpec(households=1500, target=14, target_rented=11, no_income_record=3,
                        seed=3), typology=True)
# found by this file on baaf67e (the register of 1de0c24 withholds it now): the typology
# profile's municipality_count of household type 3 (59) is the target-group profile's
# count_all, which that profile hid as a secondary suppression while publishing count_rest
# (57): the 2 target households of type 3 (and the typology profile's count, the same cell)
# were exact, household types 2 and 7 in [3, 9]
@example(spec=PilotSpec(households=233, target=21, target_rented=14, no_income_record=30,
                        income_missing=2, mother_missing_target=3, outcome_rate=0.02,
                        single_parent_target=0.6, wijken=2, young_mother_nested=True,
                        absent=("early_leaving_12m", "highest_education",
                                "debt_restructuring", "reference_age"), seed=1729),
         typology=True)
def test_household_publications_pin_no_small_cell(spec, typology):
    check_households(spec, typology)


@_seeded
@_settings(0.4)
@given(spec=CHILD_SPECS)
@example(spec=PilotSpec(households=1500, target=14, target_rented=11, outcome_rate=0.08,
                        seed=3))
# found by this file's long run on 3638a34 (a leak): the children of household type 4 with the
# outcome whom the model flags (fairness_metrics tp), true 1, pinned to [0, 2]. risk_checks'
# min_cell (17: the fewest children of any predictor level x outcome) bounds the events of
# single_parent = household type 6 from below; with all events (64, risk_checks), type 5's
# (33) and type 4's false negatives (12): tp = 64 - 33 - 12 - events(6) <= 2
@example(spec=PilotSpec(households=1152, target=3, target_rented=0, no_income_record=30,
                        income_missing=2, mother_missing_target=0, outcome_rate=0.08,
                        single_parent_target=0.3, wijken=4, young_mother_nested=False,
                        absent=("wmo_support", "highest_education"), seed=1018))
def test_child_publications_pin_no_small_cell(spec):
    check_children(spec)


def test_the_attacker_finds_the_twin_route_when_the_gate_forgets_the_identity():
    """The attacker has teeth: with the gate's knowledge of ``same_as`` switched off, the
    issue's first route comes back (rent allowance hidden, tenure 3 published as 15 of 24:
    the 9 target households renting without allowance, exact) and this file's attacker finds
    it, as it does the typology route of the explicit example above on baaf67e."""
    from unittest import mock

    from smartstart.features import factors
    from smartstart.outputs._compare import publish_comparison

    pilot = make_pilot(PilotSpec(households=400, target=24, target_rented=15, seed=0))
    h = pilot.households
    result = A.profile(h, A.ProfileSpec(factors=("tenure", "rent_allowance")))
    assert set(factors()["household"]) >= {"tenure", "rent_allowance"}
    with mock.patch("smartstart.disclosure._gate.declared", return_value={}):
        forgot = publish_comparison("profile_households", result.table, h, "target_group",
                                    SETTINGS)
    out = Outputs()
    assert out.add(forgot)
    findings, _ = attack(household_facts(pilot, out, None))
    assert [(f.where, f.truth, f.low, f.high) for f in findings] == [
        ("profile_households[rent_allowance=].no_target", 9, 9.0, 9.0)]
    kept = publish_comparison("profile_households", result.table, h, "target_group", SETTINGS)
    out = Outputs()
    assert out.add(kept)
    assert attack(household_facts(pilot, out, None))[0] == []


def test_the_attacker_finds_the_denominators_route_when_every_n_is_published():
    """The issue's second route: with the gate's n-of-means rule switched off (the frame as
    protected, before the checker would fail it), two published n's of a group that differ
    by a few pin the households with one mean's value but not the other's from below."""
    from unittest import mock

    from smartstart.outputs._compare import publish_comparison

    pilot = make_pilot(PilotSpec(households=400, target=14, target_rented=5, income_missing=6,
                                 mother_missing_target=2, seed=0))
    h = pilot.households
    result = A.profile(h, A.ProfileSpec(factors=("tenure", "rent_allowance", "age_youngest_child",
                                                 "mother_age_first_child",
                                                 "disposable_income")))
    with mock.patch("smartstart.disclosure._gate.hide_denominators",
                    side_effect=lambda frame, *_: frame):
        every_n = publish_comparison("profile_households", result.table, h, "target_group",
                                     SETTINGS)
    out = Outputs()
    out.tables.append(every_n)
    found = {f.where: (f.truth, f.low) for f in attack(household_facts(pilot, out, None))[0]}
    assert found["profile_households[disposable_income without age_youngest_child].n_target"] \
        == (3, 3.0)
    kept = publish_comparison("profile_households", result.table, h, "target_group", SETTINGS)
    out = Outputs()
    assert out.add(kept)
    assert attack(household_facts(pilot, out, None))[0] == []


def test_the_n_of_two_shares_does_not_tell_a_few_unknowns():
    """An attacker's pass on a region run: 98 target households by household type, 94 by
    education, so 4 of unknown education. Here: 4 households of the rest without an income
    record (tenure unknown). With the denominators rule covering means only (its old spec)
    the two n's tell the 4; covering shares too, no two published n's of a group differ by 1
    to 9 (the truth from the microdata)."""
    from unittest import mock

    from smartstart.disclosure import _denominators, check_published
    from smartstart.outputs._compare import publish_comparison

    pilot = make_pilot(PilotSpec(households=400, target=40, target_rented=15,
                                 no_income_record=4, income_missing=0, seed=0))
    h = pilot.households
    unknown = int(h.loc[~h["target_group"].astype(bool), "tenure"].isna().sum())
    assert unknown == 4
    result = A.profile(h, A.ProfileSpec(factors=("wijk", "household_type", "tenure")))
    means_only = _denominators._close_ns

    def old_rule(frame, spec, s):
        return means_only(frame, (spec[0], "mean", *spec[2:]), s)

    with mock.patch.object(_denominators, "_close_ns", side_effect=old_rule):
        shares_open = publish_comparison("profile_households", result.table, h, "target_group",
                                         SETTINGS).frame.set_index("factor")
    assert shares_open.loc["wijk", "n_rest"].iloc[0] - \
        shares_open.loc["tenure", "n_rest"].iloc[0] == unknown
    kept = publish_comparison("profile_households", result.table, h, "target_group", SETTINGS)
    frame = kept.frame
    for group in ("target", "rest", "all"):
        ns = frame[f"n_{group}"].dropna().unique()
        gaps = np.abs(ns[:, None] - ns[None, :])
        assert not ((gaps >= 1) & (gaps < SETTINGS.min_cell)).any(), (group, ns)
    assert frame.loc[frame["factor"] == "tenure", ["n_rest", "count_rest", "value_rest"]
                     ].isna().all().all()
    assert frame.loc[frame["factor"] == "wijk", "n_rest"].notna().all()
    status = {c.rule: c.status for c in check_published(frame, kept.rules, SETTINGS)}
    assert status["denominators"] == "pass"
    assert {c.rule: c.status for c in check_published(
        shares_open.reset_index(), kept.rules, SETTINGS)}["denominators"] == "fail"
