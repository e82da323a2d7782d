"""The gate for analysis results: protect the count tables inside a result frame, then check the
frame as published with rules that travel with it, so ``smartstart check`` can apply them again.

An analysis result is a frame (one row per factor level, group, decile...), not a crosstab, but
its count columns hold the cells of crosstabs with margins: the target group and the rest of
one factor's levels, the confusion matrix per group, the events per decile. An
:class:`Embedded` table says where each cell of such a :class:`Table` sits in the frame.
:func:`protect_frame` protects every embedded table (primary and secondary suppression, proven
by the attacker LP), blanks the frame cells that hold a suppressed value, then blanks every
statistic that rests on a blanked count (``Rules.derived``): a share with a published
denominator would give its numerator back.

:func:`check_published` is what the checker re-runs on the published frame alone: linking keys,
no minima or maxima, the threshold on every count column, shares with their complement,
statistics without their base, the regression facts and nested groups (differencing).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache

import numpy as np
import pandas as pd

from smartstart.disclosure._check import CheckResult, result
from smartstart.disclosure._denominators import blankable, check_denominators, hide_denominators
from smartstart.disclosure._frequency import check_counts, check_shares, small
from smartstart.disclosure._identical import components, declared, identical_pairs, protect_joint
from smartstart.disclosure._keys import check_linking_keys
from smartstart.disclosure._options import Kind, settings_of, too_narrow, worst
from smartstart.disclosure._protect import (
    HIDDEN,
    ProtectedTable,
    protect_counts,
    round_to_base,
)
from smartstart.disclosure._record import OutputRecord, SuppressedCell
from smartstart.disclosure._regression import RegressionFacts, check_regression
from smartstart.disclosure._table import Table

EXTREMES = ("min", "max", "minimum", "maximum", "minimaal", "maximaal")


@dataclass(frozen=True)
class Rules:
    """What the columns of a published frame are; stored in the bundle's manifest.

    ``counts``: count columns (threshold per cell). ``shares``: (numerator, denominator) pairs,
    the complement checked too. ``derived``: statistic column -> the count columns of the same
    row it rests on; published only while they are. ``regression``: the frame is a check/value
    table of model facts. ``nested``: (factor-set column, n column, events column) of groups
    where one group may lie inside another: their differences must pass the threshold too.
    ``rounded``: counts are rounded to this base (then the threshold does not apply: a rounded
    count is not an exact count). ``complement_when`` (column, value): check the complement of
    a share only in those rows (a binary factor's "no"; a category's other levels are cells).
    """

    counts: tuple[str, ...] = ()
    shares: tuple[tuple[str, str], ...] = ()
    derived: tuple[tuple[str, tuple[str, ...]], ...] = ()
    regression: bool = False
    nested: tuple[str, str, str] | None = None
    rounded: int | None = None
    complement_when: tuple[str, str] | None = None
    #: (factor-set column, n column, events column, all n, all events): groups of binary
    #: factors whose overlaps must not narrow a small cell of factors x outcome down
    groups: tuple[str, str, str, float, float] | None = None
    #: (column, value, ns, hide): the n of a mean (rows where ``column`` is ``value``) is
    #: published only while it differs from every other n published in its group by 0 or at
    #: least ``min_cell`` (else n1 - n2 counts the few units with one value but not the
    #: other). ``ns``: per published n, (group column or "" for one group, the columns it is
    #: the sum of); ``hide``: the columns blanked in a mean row that fails (its n and copies)
    denominators: tuple[str, str, tuple[tuple[str, ...], ...], tuple[str, ...]] | None = None
    #: (column, decimals) of model statistics published at a stated precision; with
    #: ``precision_rows`` (metric column, value column) the decimals are per metric (row)
    precision: tuple[tuple[str, int], ...] = ()
    precision_rows: tuple[str, str] | None = None
    #: likelihood statistics (log-likelihood, BIC, AIC) that give their n back: blank unless
    #: ``likelihood_n``, the n they rest on, is published in the bundle
    likelihood: tuple[str, ...] = ()
    likelihood_n: float | None = None
    #: what each count column counts, as sets of units (``disclosure._statements``): the
    #: register joins every output's counts into one attacker LP
    cells: Mapping[str, object] | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Rules:
        """The rules as ``to_dict`` wrote them (JSON's lists read as the tuples they were);
        pydantic's ``ValidationError`` names every field that is not (``disclosure._untrusted``)."""
        return _rules_adapter().validate_python(data)


@cache
def _rules_adapter():
    from pydantic import TypeAdapter

    return TypeAdapter(Rules)


@dataclass(frozen=True)
class Embedded:
    """A count table inside a frame: ``places[position]`` lists the (row, column) frame cells
    that show the value of the table cell at ``position`` (margins included). ``fixed`` marks
    the cells another output publishes too (linked tables: the municipality's count of a
    level is in two profiles, a type's size in the types table); they are never chosen as
    secondary suppressions. By default every margin is fixed, except the margins of a kind
    (all cells totalled over the same axes) where one is itself below the threshold: another
    output hides that marginal cell too, and so must hide a partner of it."""

    table: Table
    places: Mapping[tuple[int, ...], tuple[tuple[Hashable, str], ...]] = field(repr=False)
    fixed: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def build(cls, interior: np.ndarray, names: Sequence[str],
              labels: Sequence[Sequence[Hashable]],
              places: Mapping[tuple[int, ...], Sequence[tuple[Hashable, str]]],
              fixed: np.ndarray | None = None) -> Embedded:
        table = Table.from_array(interior, names, labels)
        return cls(table, {k: tuple(v) for k, v in places.items()}, fixed)


def linked_margins(shape: Sequence[int], primary: np.ndarray) -> np.ndarray:
    """The default ``fixed`` cells: margins, by kind (the set of axes they total over), a kind
    left free when one of its cells is primary; the grand total unless it is primary."""
    grids = np.indices(tuple(shape))
    at_total = np.stack([grids[a] == shape[a] - 1 for a in range(len(shape))])
    kinds = np.packbits(at_total, axis=0, bitorder="little")[0]
    fixed = at_total.any(axis=0)
    for kind in np.unique(kinds[fixed]):
        same = kinds == kind
        if primary[same].any() and not same.all(axis=None) and kind != kinds.max():
            fixed &= ~same
    return fixed & ~primary


@dataclass(frozen=True, eq=False)
class Published:
    """A frame as published and the gate's verdict on it."""

    frame: pd.DataFrame
    record: OutputRecord
    rules: Rules


def label_of(reason: str, settings: object | None = None) -> str:
    """What a suppressed cell shows: ``<10`` (the minimum) for a primary count, else ``x``."""
    return f"<{settings_of(settings).min_cell}" if reason == "primary" else HIDDEN


def label_counts(labels: dict[tuple[Hashable, str], str], frame: pd.DataFrame,
                 counts: Sequence[str], settings: object | None = None) -> None:
    """Relabel, in place, every blank count by its value, whatever hid it: below ``min_cell``
    ``<10``, else ``x``. So ``x`` on a count always means "at least ``min_cell``", as an
    attacker reads it next to ``<10`` cells, and the register (``_statements``) bounds it so;
    a count hidden as a complement or with its denominator is never a small count in
    disguise."""
    s = settings_of(settings)
    small_label = label_of("primary", s)
    for row, column in list(labels):
        if column not in counts or column not in frame.columns or row not in frame.index:
            continue
        value = pd.to_numeric(frame.at[row, column], errors="coerce")
        if pd.notna(value):
            labels[(row, column)] = small_label if value < s.min_cell else HIDDEN


def protect_frame(name: str, frame: pd.DataFrame, rules: Rules,
                  embedded: Sequence[Embedded] = (), settings: object | None = None,
                  kind: Kind = "table", extra: Sequence[CheckResult] = (),
                  hide: pd.DataFrame | None = None,
                  same: Mapping[tuple[str, str], tuple[str, str]] | None = None) -> Published:
    """Protect the embedded tables, blank what they suppress and what rests on it, check.

    ``hide``: a boolean mask of further cells to suppress (e.g. means failing dominance).
    ``same``: (factor, level) -> (factor, level) counting the same units; by default the
    factor library's ``same_as``: tables sharing such a cell are protected as one system."""
    s = settings_of(settings)
    out = frame.copy()
    before = out.isna()
    labels: dict[tuple[Hashable, str], str] = {}
    cells: list[SuppressedCell] = []
    protected = _protect_all(embedded, s, same)
    dropped: set[Hashable] = set()
    blocks: list[str] = []
    for e, p in zip(embedded, protected, strict=True):
        mine = _blank_places(out, e, p, labels)
        if p.protection.get("withheld"):
            # its rows go, and so do its cells in the log: the attacker's bounds on them rest
            # on margins published elsewhere and would tell the withheld block's totals
            dropped |= {row for places in e.places.values() for row, _ in places}
            blocks.append(str(e.table.names[0]))
        else:
            cells += mine
    extra = (*extra, _check_protection(cells, s))
    if hide is not None:
        for column in hide.columns[hide.any(axis=0).to_numpy()]:
            out[column] = blankable(out[column])
            out.loc[hide[column].to_numpy(), column] = np.nan
    out = blank_derived(hide_denominators(blank_derived(out, rules), rules.denominators, s), rules)
    for row, col in zip(*np.nonzero(out.isna().to_numpy(dtype=bool) & ~before.to_numpy(bool)),
                        strict=True):
        labels.setdefault((out.index[row], str(out.columns[col])), HIDDEN)
    label_counts(labels, frame, (*rules.counts, *((rules.cells or {}).get("columns") or {})), s)
    out = out.drop(index=sorted(dropped, key=str)) if dropped else out
    checks = (*check_published(out, rules, s), *extra)
    status = worst([c.status for c in checks])
    protection = {"tables": len(protected), "labels": "small", "rows_withheld": len(dropped),
                  "blocks_withheld": ",".join(blocks),
                  "secondary": int(sum(p.pattern.secondary.sum() for p in protected))}
    shown = tuple((int(out.index.get_loc(row)), column, label)
                  for (row, column), label in labels.items() if row in out.index)
    shown = tuple(sorted(shown))
    record = OutputRecord(name, kind, status, checks, (), tuple(cells), s, protection, shown)
    return Published(out, record, rules)


def protect_rounded(name: str, frame: pd.DataFrame, counts: Sequence[str], base: int,
                    settings: object | None = None, kind: Kind = "table") -> Published:
    """Round every count to ``base`` (a flow of counts: ``in - out`` would undo suppression).
    Texts are published as they are: they must not hold counts (the linking steps' reasons
    don't; a test keeps it so)."""
    s = settings_of(settings)
    out = frame.copy()
    for column in counts:
        out[column] = round_to_base(out[column].to_numpy(dtype=float), base)
    rules = Rules(counts=tuple(counts), rounded=base)
    checks = check_published(out, rules, s)
    record = OutputRecord(name, kind, worst([c.status for c in checks]), checks, (), (), s,
                          {"rounding_base": base})
    return Published(out, record, rules)


def _blank_places(out: pd.DataFrame, e: Embedded, p: ProtectedTable,
                  labels: dict[tuple[Hashable, str], str]) -> list[SuppressedCell]:
    intervals = p.intervals()
    cells = []
    for position in map(tuple, np.argwhere(p.suppressed)):
        reason = "primary" if p.pattern.primary[position] else "secondary"
        for row, column in e.places.get(position, ()):
            out[column] = out[column].astype(float) if _is_int(out[column]) else out[column]
            out.loc[row, column] = np.nan
            key = (row, column)
            if labels.get(key) != label_of("primary", p.settings):
                labels[key] = label_of(reason, p.settings)
        cells.append(SuppressedCell(e.table.cell(position), reason, (),
                                    float(intervals.lower[position]),
                                    float(intervals.upper[position])))
    return cells


def _protect_all(embedded: Sequence[Embedded], s,
                 same: Mapping[tuple[str, str], tuple[str, str]] | None
                 ) -> list[ProtectedTable]:
    """Each table alone, except tables that share an identical cell: those as one system."""
    pairs = identical_pairs(embedded, declared() if same is None else same)
    protected: list[ProtectedTable | None] = [None] * len(embedded)
    for group in components(len(embedded), pairs):
        if len(group) == 1:
            protected[group[0]] = _protect(embedded[group[0]], s)
            continue
        index = {k: n for n, k in enumerate(group)}
        mine = [((index[a], i), (index[b], j)) for (a, i), (b, j) in pairs if a in index]
        tables = [embedded[k] for k in group]
        primary = [_primary(e, s) for e in tables]
        fixed = [linked_margins(e.table.shape, p) if e.fixed is None else np.asarray(e.fixed, bool)
                 for e, p in zip(tables, primary, strict=True)]
        found = protect_joint(tables, mine, primary, fixed, s,
                              lambda f, first: bool(too_narrow(f.lower.ravel()[first],
                                                               f.upper.ravel()[first], s).any()))
        for k, p in zip(group, found, strict=True):
            protected[k] = p
    return [p for p in protected if p is not None]


def _primary(e: Embedded, s) -> np.ndarray:
    return small(pd.DataFrame(e.table.values.ravel()), s).to_numpy().reshape(e.table.shape)


def _protect(e: Embedded, s) -> ProtectedTable:
    """Primary and secondary suppression with the linked cells fixed; when that cannot protect
    every primary cell (many empty cells, which are never secondary suppressions, and margins
    that are published elsewhere), the whole block: every nonempty cell not fixed is hidden."""
    primary = small(pd.DataFrame(e.table.values.ravel()), s).to_numpy().reshape(e.table.shape)
    fixed = linked_margins(e.table.shape, primary) if e.fixed is None else np.asarray(
        e.fixed, bool)
    p = protect_counts(e.table, s, fixed=fixed)
    if not _narrowed(p, s):
        return p
    # empty cells stay published, so a hidden cell that is not primary is at least min_cell,
    # as everywhere else (the labels and the log say which cells are primary)
    block = ~fixed & ~p.pattern.primary & (e.table.values > 0)
    pattern = replace(p.pattern, secondary=block, method="block")
    blocked = replace(p, pattern=pattern, protection={**p.protection, "block": True})
    if not _narrowed(blocked, s):
        return blocked
    # the last resort: the table's rows are not published at all (empty cells included, so
    # nothing tells which hidden cells are small): only the fixed totals remain known
    everything = ~fixed & ~p.pattern.primary
    shape = e.table.shape
    pattern = replace(p.pattern, secondary=everything, method="withheld",
                      lower_bounds=np.zeros(shape), upper_bounds=np.full(shape, np.inf))
    return replace(p, pattern=pattern, protection={**p.protection, "withheld": True})


def _narrowed(p: ProtectedTable, s) -> bool:
    if not p.pattern.primary.any():
        return False
    found = p.intervals()
    primary = p.pattern.primary
    return bool(too_narrow(found.lower[primary], found.upper[primary], s).any())


def _check_protection(cells: Sequence[SuppressedCell], s) -> CheckResult:
    """Every primary cell keeps the attacker's interval [1 (0 if zeros are disclosive),
    min_cell - 1]: the published cells say no more than its label."""
    narrowed = [c for c in cells if c.reason == "primary" and c.lower is not None
                and too_narrow(c.lower, c.upper, s)]
    mask = pd.DataFrame({"narrowed": [bool(narrowed)]})
    return result("protection", mask, f"{len(narrowed)} suppressed cells narrowed down by the "
                  "published cells", cells=len(narrowed))


def _is_int(column: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype)


def blank_derived(frame: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Blank each statistic in the rows where a count it rests on is blank."""
    out = frame.copy()
    positions: dict[object, list[int]] = {}
    for i, c in enumerate(out.columns):
        positions.setdefault(c, []).append(i)
    blank = out.isna().to_numpy(copy=True)  # kept up to date: a statistic may rest on one
    for column, bases in rules.derived:
        present = [i for b in bases for i in positions.get(b, ())]
        gone = blank[:, present].any(axis=1) if present else np.zeros(len(out), bool)
        if not gone.any():
            continue
        for j in positions.get(column, ()):
            values = blankable(out.iloc[:, j]).to_numpy(copy=True)
            values[gone] = np.nan
            out.isetitem(j, values)
            blank[:, j] |= gone
    return out


def check_published(frame: pd.DataFrame, rules: Rules,
                    settings: object | None = None) -> tuple[CheckResult, ...]:
    """Every rule that can be decided from the published frame and its rules alone."""
    s = settings_of(settings)
    checks = [check_linking_keys(frame), _check_extremes(frame)]
    counts = [c for c in rules.counts if c in frame.columns]
    if counts and rules.rounded is None:
        checks += list(check_counts(frame[counts], s))
    elif counts:
        values = frame[counts].astype(float)
        off = values.notna() & (values % rules.rounded != 0)
        checks.append(result("threshold", off, f"{int(off.to_numpy().sum())} counts not "
                             f"rounded to {rules.rounded}", rounding_base=rules.rounded))
    shares = [(n, d) for n, d in rules.shares if n in frame.columns and d in frame.columns]
    rows = (frame[rules.complement_when[0]].astype(str) == rules.complement_when[1]
            if rules.complement_when else pd.Series(True, index=frame.index))
    for numerator, denominator in shares:
        num = frame[[numerator]].astype(float)
        den = frame[[denominator]].astype(float).set_axis([numerator], axis=1).where(num.notna())
        plain = check_shares(num, den, s, complement=False)
        full = check_shares(num, den, s, complement=True)
        mask = (plain.mask | full.mask.where(rows.to_numpy()[:, None], False)).astype(bool)
        checks.append(result("shares", mask, f"{int(mask.to_numpy().sum())} shares on groups "
                             f"below {s.min_cell}", min_cell=s.min_cell,
                             numerator=numerator, denominator=denominator))
    checks.append(_check_derived(frame, rules))
    if rules.regression:
        checks += list(check_regression(regression_facts_of(frame), s))
    if rules.nested is not None:
        checks.append(check_nested(frame, *rules.nested, settings=s))
    if rules.groups is not None:
        checks.append(_check_groups(frame, rules.groups, s))
    if rules.precision or rules.likelihood:
        from smartstart.disclosure._precision import check_likelihood, check_precision

        checks += [check_precision(frame, rules.precision, rules.precision_rows),
                   check_likelihood(frame, rules.likelihood, rules.likelihood_n)]
    if rules.denominators is not None:
        checks.append(check_denominators(frame, rules.denominators, s))
    return tuple(checks)


def _check_groups(frame: pd.DataFrame, spec: tuple, s) -> CheckResult:
    """The attacker's LP over factors x outcome, from the published groups and the total."""
    from smartstart.disclosure._groups import check_groups

    sets, n, events, total_n, total_events = spec
    # counts as numbers (a column wholly blank is object in a frame read back: pandas warns
    # that concat will stop ignoring its dtype)
    shown = frame[[sets, n, events]].astype({n: float, events: float})
    groups = pd.concat([pd.DataFrame({sets: [""], n: [float(total_n)],
                                      events: [float(total_events)]}), shown],
                       ignore_index=True)
    names = sorted({p for v in groups[sets] for p in str(v).split("+") if p})
    return check_groups(groups, names, None, s, sets=sets, n=n, events=events)


def _check_extremes(frame: pd.DataFrame) -> CheckResult:
    def extreme(name: object) -> bool:
        words = str(name).lower().replace("-", "_").split("_")
        return any(w in EXTREMES for w in words)

    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    mask.loc[:, [extreme(c) for c in frame.columns]] = True
    return result("min_max", mask, f"{int(mask.to_numpy().sum())} cells hold a minimum or maximum")


def _check_derived(frame: pd.DataFrame, rules: Rules) -> CheckResult:
    flags = np.zeros(frame.shape, dtype=bool)
    positions: dict[object, list[int]] = {}
    for i, c in enumerate(frame.columns):
        positions.setdefault(c, []).append(i)
    blank = frame.isna().to_numpy()
    for column, bases in rules.derived:
        present = [i for b in bases for i in positions.get(b, ())]
        for j in positions.get(column, ()) if present else ():
            flags[:, j] = ~blank[:, j] & blank[:, present].any(axis=1)
    mask = pd.DataFrame(flags, index=frame.index, columns=frame.columns)
    return result("derived", mask, f"{int(flags.sum())} statistics published "
                  "while a count they rest on is suppressed")


#: the rows of a regression table that ``regression_facts_of`` reads as numbers
REGRESSION_NUMBERS = ("residual_dof", "min_cell")


def regression_facts_of(frame: pd.DataFrame) -> RegressionFacts:
    """Model facts from a check/value table (``ModelChecks.to_frame()`` as published)."""
    values = dict(zip(frame["check"].astype(str), frame["value"], strict=True))

    def flag(key: str) -> bool:
        return str(values.get(key, "False")).strip().lower() in ("true", "1", "1.0")

    terms = tuple(t for t in str(values.get("separation_terms") or "").split(", ") if t)
    separated = flag("separation")
    return RegressionFacts(df_resid=float(values["residual_dof"]), converged=flag("converged"),
                           min_cases=int(float(values["min_cell"])),
                           separating=(terms or ("model",)) if separated else ())


def check_nested(frame: pd.DataFrame, sets: str, n: str, events: str,
                 settings: object | None = None) -> CheckResult:
    """Differencing: when group A's factors are a subset of group B's, B lies inside A and
    A minus B is a group too; its size, events and non-events must pass the threshold."""
    s = settings_of(settings)
    parts = [frozenset(str(v).split("+")) for v in frame[sets]]
    size = frame[n].astype(float).to_numpy()
    hits = frame[events].astype(float).to_numpy()
    bad = np.zeros(len(frame), dtype=bool)
    for i, outer in enumerate(parts):
        for j, inner in enumerate(parts):
            if i == j or not outer < inner or np.isnan(size[[i, j]]).any():
                continue
            gap = np.array([size[i] - size[j], hits[i] - hits[j],
                            (size[i] - hits[i]) - (size[j] - hits[j])])
            if small(pd.DataFrame(gap[None, :]), s).to_numpy().any():
                bad[max(i, j)] = True
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    mask.loc[bad, n] = True
    return result("nested", mask, f"{int(bad.sum())} groups differ from a group they lie in "
                  f"by fewer than {s.min_cell}", min_cell=s.min_cell)
