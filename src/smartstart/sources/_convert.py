"""Validate and convert raw columns chunk by chunk into the store's types, counting every change.

All work is vectorised with pyarrow.compute / numpy. Code and date columns are dictionary-encoded
first, so the (few) distinct values are classified once and the result is taken back per row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from smartstart.sources._catalog import ColumnSpec
from smartstart.sources._store import StoreWarning
from smartstart.sources.errors import Problem

UnknownCodes = Literal["error", "null"]
ARROW_TYPES: dict[str, pa.DataType] = {
    "key": pa.string(), "code": pa.string(), "str": pa.string(),
    "date": pa.date32(), "int": pa.int64(), "float": pa.float64(),
}
_EXAMPLES = 5
_KEPT_VALUES = 1_000  # distinct offending values remembered per column (the count is exact)
_INT_TEXT = r"^[+-]?\d+([.,]0*)?$"
_FLOAT_TEXT = r"^[+-]?(\d+[.,]?\d*|[.,]\d+)([eE][+-]?\d+)?$"


@dataclass
class ColumnCounts:
    """What conversion changed in one column (accumulated over chunks)."""

    missing_code_nulls: int = 0
    empty_nulls: int = 0
    impossible_dates: int = 0
    open_ends_normalised: int = 0
    padded_codes: int = 0
    labels_mapped: int = 0
    unknown_codes_nulled: int = 0
    #: values outside an assumed code list, kept as delivered
    unknown_codes_kept: int = 0
    open_codes_kept: int = 0
    #: date values that were not missing codes or empty (the base of impossible_dates)
    dates_read: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(frozen=True)
class ColumnPlan:
    """A catalog column and the file's column that feeds it (None: optional and absent).

    ``assumed``: its code list is a guess, so other codes are kept; ``key``: part of the
    table's key, never nulled for an unknown code.
    """

    spec: ColumnSpec
    source: str | None
    assumed: bool = False
    key: bool = False


FindingKind = str  # a ProblemKind or a WarningKind


@dataclass
class Finding:
    """Offending values of one column of one kind, accumulated over chunks."""

    kind: FindingKind
    plan: ColumnPlan
    expected: str
    values: Counter = field(default_factory=Counter)
    total: int = 0

    def add(self, values: list[object], counts: list[int], total: int | None = None) -> None:
        """``total``: the count of all offending values, when only some are given."""
        for value, n in zip(values, counts, strict=True):
            if value in self.values or len(self.values) < _KEPT_VALUES:
                self.values[value] += n
        self.total += sum(counts) if total is None else total

    def examples(self) -> str:
        return ", ".join(f"{v!r} ({n}x)" for v, n in self.values.most_common(_EXAMPLES))


@dataclass(frozen=True)
class ConvertContext:
    """What conversion needs besides the data: names for messages and the catalog's dates."""

    label: str
    open_end: str
    open_end_aliases: frozenset[str]
    unknown_codes: UnknownCodes
    file: str = ""


@dataclass
class Converter:
    """Converts raw chunks of one file into store tables and keeps the counts per column."""

    plans: Sequence[ColumnPlan]
    ctx: ConvertContext
    counts: dict[str, ColumnCounts] = field(init=False)
    schema: pa.Schema = field(init=False)
    findings: dict[tuple[str, FindingKind], Finding] = field(init=False)
    rows: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.counts = {p.spec.name: ColumnCounts() for p in self.plans}
        self.schema = pa.schema([(p.spec.name, ARROW_TYPES[p.spec.type]) for p in self.plans])
        self.findings = {}

    def convert(self, chunk: pa.Table, first_row: int) -> pa.Table:
        """Convert one chunk (raw file column names) whose first row is ``first_row`` (0-based).

        Bad values do not stop conversion: they are collected (``problems()``) and become NULL,
        so one pass over a file finds all of them.
        """
        arrays = []
        self.rows = max(self.rows, first_row + chunk.num_rows)
        for plan in self.plans:
            where = _Where(self.ctx, plan, self.findings)
            if plan.source is None:
                arrays.append(pa.nulls(chunk.num_rows, ARROW_TYPES[plan.spec.type]))
                continue
            raw = chunk.column(plan.source).combine_chunks()
            arrays.append(_CONVERTERS[plan.spec.type](raw, plan.spec, self.counts[plan.spec.name],
                                                      where))
        return pa.Table.from_arrays(arrays, schema=self.schema)

    def problems(self) -> list[Problem]:
        """What stops this file from being stored: unknown codes, bad values, unnullable keys,
        a date column most of whose values cannot be read (its format is not YYYYMMDD)."""
        return [*(_problem(f, self.ctx.file) for f in self.findings.values()
                  if f.kind in _PROBLEM_KINDS),
                *(_unreadable_dates(f, self.ctx.file, self.counts[f.plan.spec.name].dates_read)
                  for f in self._unreadable_dates())]

    def warnings(self) -> list[StoreWarning]:
        """What the summary shows: assumed code lists' other codes, nulled outcome values,
        keys given back their leading zeros (a few impossible dates are counted only)."""
        return [_warning(f, self.ctx.file, self.rows) for f in self.findings.values()
                if f.kind not in _PROBLEM_KINDS and f.kind != "impossible_dates"]

    def _unreadable_dates(self) -> list[Finding]:
        return [f for f in self.findings.values() if f.kind == "impossible_dates"
                and f.total > UNREADABLE_DATES * self.counts[f.plan.spec.name].dates_read]


_PROBLEM_KINDS = frozenset({"unknown_codes", "key_not_nullable", "bad_values"})
#: a date column with more than this share of impossible dates is in another format: a problem
#: (a few impossible dates, such as 20190231, are counted and stored as NULL)
UNREADABLE_DATES = 0.9
_RENAMED = "if CBS renamed or added codes, add them to the column's codes in catalog.yaml"


def _in_file(plan: ColumnPlan) -> str:
    return "" if plan.source in (None, plan.spec.name) else f" (in the file: {plan.source})"


def _problem(f: Finding, file: str) -> Problem:
    name = f.plan.spec.name
    if f.kind == "bad_values":
        return Problem("bad_values", file, name,
                       f"{f.total} values that are not {f.expected}{_in_file(f.plan)}, e.g. "
                       f"{f.examples()}",
                       "check that this is the right file and column; if these values mean "
                       "'unknown', add them to the column's missing codes in catalog.yaml",
                       f.total)
    message = (f"{f.total} values outside the code list{_in_file(f.plan)}, e.g. {f.examples()}; "
               f"expected {f.expected}")
    if f.kind == "key_not_nullable":
        return Problem("key_not_nullable", file, name,
                       f"{message}; this is a key column: --unknown-codes null would cut "
                       f"{f.total} rows off from every link, so it is not applied here",
                       f"{_RENAMED} (mark it assumed: true when the list is a guess)", f.total)
    return Problem("unknown_codes", file, name, message,
                   f"{_RENAMED}, or run with --unknown-codes null to store these values as "
                   "NULL (counted in the manifest)", f.total)


def _unreadable_dates(f: Finding, file: str, read: int) -> Problem:
    return Problem("bad_values", file, f.plan.spec.name,
                   f"{f.total} of {read} dates{_in_file(f.plan)} cannot be read as YYYYMMDD, "
                   f"e.g. {f.examples()}: the column is in another format, and every such date "
                   "would be lost",
                   "export the column as 8-digit text YYYYMMDD (e.g. 20190131), as CBS "
                   "delivers it, and ingest again", f.total)


def _warning(f: Finding, file: str, rows: int) -> StoreWarning:
    name = f.plan.spec.name
    share = f"{f.total / rows:.1%}" if rows else "0%"
    if f.kind == "keys_zero_padded":
        message = (f"{f.total} of {rows} values ({share}) had fewer than {f.expected} and "
                   f"got their leading zeros back, e.g. {f.examples()} (a spreadsheet that "
                   "read the column as numbers drops them; CBS writes them, so these rows "
                   "still link)")
    elif f.kind == "outcome_nulled":
        message = (f"--unknown-codes null set {f.total} of {rows} values ({share}) to NULL, "
                   f"e.g. {f.examples()}; an outcome is built from this column, so these rows "
                   "count as without the outcome")
    else:
        message = (f"{f.total} of {rows} values ({share}) are outside the assumed code list "
                   f"and kept as delivered, e.g. {f.examples()}")
    return StoreWarning(kind=f.kind, file=file, column=name, message=message, count=f.total)


@dataclass(frozen=True)
class _Where:
    """Where a value was found, and where offending values are collected."""

    ctx: ConvertContext
    plan: ColumnPlan
    findings: dict[tuple[str, FindingKind], Finding]

    def record(self, kind: FindingKind, expected: str, values: list[object],
               counts: list[int], total: int | None = None) -> None:
        key = (self.plan.spec.name, kind)
        if key not in self.findings:
            self.findings[key] = Finding(kind, self.plan, expected)
        self.findings[key].add(values, counts, total)


# --- helpers -------------------------------------------------------------------------------------

def _count(mask: pa.Array, weights: np.ndarray | None = None) -> int:
    """Number of rows where ``mask`` is true; with ``weights``, mask is per distinct value."""
    if weights is None:
        return int(pc.sum(mask).as_py() or 0)
    flags = mask.fill_null(False).to_numpy(zero_copy_only=False)
    return int(weights[flags].sum())


def _encode(text: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray, int]:
    """Distinct values, per-row indices into them, frequency per value, and the null count."""
    encoded = pc.dictionary_encode(text)
    indices = encoded.indices
    valid = indices.drop_null().to_numpy()
    weights = np.bincount(valid, minlength=len(encoded.dictionary))
    return encoded.dictionary, indices, weights, indices.null_count


def _is_number_type(arr: pa.Array) -> bool:
    return pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)


def _to_text(arr: pa.Array, spec: ColumnSpec) -> pa.Array:
    """Any raw column as strings; whole floats lose their '.0', numeric keys get zero padding."""
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_floating(arr.type):
        whole = pc.equal(pc.floor(arr), arr)
        as_int = pc.cast(pc.cast(arr, pa.int64(), safe=False), pa.string())
        text = pc.if_else(whole, as_int, pc.cast(arr, pa.string()))
    elif pa.types.is_string(arr.type):
        return arr
    else:
        text = pc.cast(arr, pa.string())
    if spec.type == "key" and spec.width and _is_number_type(arr):
        text = pc.utf8_lpad(text, width=spec.width, padding="0")
    return text


def _missing_text(spec: ColumnSpec) -> pa.Array:
    return pa.array(sorted(spec.missing_strings), pa.string())


def _missing_numbers(spec: ColumnSpec) -> pa.Array:
    values = []
    for value in spec.missing:
        try:
            values.append(float(value))
        except ValueError:
            continue
    return pa.array(values, pa.float64())


def _strip(text: pa.Array, counts: ColumnCounts, weights: np.ndarray | None) -> pa.Array:
    stripped = pc.utf8_trim_whitespace(text)
    counts.padded_codes += _count(pc.not_equal(pc.binary_length(text),
                                               pc.binary_length(stripped)), weights)
    return stripped


def _null_missing_text(text: pa.Array, spec: ColumnSpec, counts: ColumnCounts,
                       weights: np.ndarray | None = None) -> tuple[pa.Array, pa.Array]:
    """Missing codes and empty strings to NULL (counted); also returns the 'was nulled' mask."""
    missing = pc.is_in(text, value_set=_missing_text(spec))
    empty = pc.and_not(pc.equal(pc.binary_length(text), 0), missing)
    counts.missing_code_nulls += _count(missing, weights)
    counts.empty_nulls += _count(empty, weights)
    nulled = pc.or_(missing, empty)
    return pc.if_else(nulled, pa.scalar(None, text.type), text), nulled


# --- per type ------------------------------------------------------------------------------------

def _convert_text(raw: pa.Array, spec: ColumnSpec, counts: ColumnCounts, where: _Where) -> pa.Array:
    """Keys and free strings: stripped (padding counted), missing codes and '' to NULL; a
    key of digits shorter than its width gets its leading zeros back (counted, a warning)."""
    counts.empty_nulls += raw.null_count
    text = _strip(_to_text(raw, spec), counts, None)
    text = _null_missing_text(text, spec, counts)[0]
    if spec.type == "key" and spec.width and len(text):
        text = _zero_padded(text, spec.width, where)
    return text


def _zero_padded(text: pa.Array, width: int, where: _Where) -> pa.Array:
    """Digits-only keys shorter than ``width`` padded with zeros, as CBS writes them (and as a
    numeric .sav key is read): a spreadsheet that took the key for a number dropped them, and
    the same person would otherwise have two keys in two files."""
    short = pc.and_(pc.less(pc.utf8_length(text), width), pc.utf8_is_decimal(text))
    short = short.fill_null(False)
    if not pc.any(short).as_py():
        return text
    found = text.filter(short)
    some = found.slice(0, _KEPT_VALUES).value_counts()
    where.record("keys_zero_padded", f"{width} digits", some.field(0).to_pylist(),
                 some.field(1).to_pylist(), total=len(found))
    return pc.if_else(short, pc.utf8_lpad(text, width=width, padding="0"), text)


def _convert_code(raw: pa.Array, spec: ColumnSpec, counts: ColumnCounts, where: _Where) -> pa.Array:
    """Codes: stripped, labels mapped back to codes, missing to NULL, unknown codes checked."""
    values, indices, weights, nulls = _encode(_to_text(raw, spec))
    counts.empty_nulls += nulls
    values = _strip(values, counts, weights)
    values = _map_labels(values, spec, counts, weights)
    values, nulled = _null_missing_text(values, spec, counts, weights)
    unknown = pc.and_not(pc.invert(pc.is_in(values, value_set=pa.array(list(spec.codes)))),
                         nulled)
    if spec.open_pattern:
        kept = pc.and_(unknown, pc.fill_null(pc.match_substring_regex(values, spec.open_pattern),
                                             False))
        counts.open_codes_kept += _count(kept, weights)
        unknown = pc.and_not(unknown, kept)
    if spec.codes and _count(unknown, weights):
        if _unknown_codes(values, unknown, weights, spec, counts, where):
            values = pc.if_else(unknown, pa.scalar(None, pa.string()), values)
    return values.take(indices)


def _map_labels(values: pa.Array, spec: ColumnSpec, counts: ColumnCounts,
                weights: np.ndarray) -> pa.Array:
    """Value labels (trimmed, case-insensitive) back to their codes; codes win over labels."""
    labels = spec.label_to_code
    if not labels:
        return values
    codes, missing = set(spec.codes), spec.missing_strings
    mapped = [v if v in codes or v in missing else labels.get(v.casefold(), v)
              for v in values.to_pylist()]
    result = pa.array(mapped, pa.string())
    counts.labels_mapped += _count(pc.not_equal(result, values), weights)
    return result


def _unknown_codes(values: pa.Array, unknown: pa.Array, weights: np.ndarray, spec: ColumnSpec,
                   counts: ColumnCounts, where: _Where) -> bool:
    """Record codes outside the code list; True when they are to become NULL.

    An assumed code list keeps them (counted). Otherwise they are a problem, unless
    ``--unknown-codes null`` asks to null them: counted, and a warning when an outcome is built
    from the column; a key column is never nulled (a problem instead).
    """
    total = _count(unknown, weights)
    flags = unknown.to_numpy(zero_copy_only=False)
    found = (values.filter(unknown).to_pylist(), weights[flags].tolist())
    expected = ", ".join(f"{c} ({label})" for c, label in spec.codes.items())
    if where.plan.assumed:
        counts.unknown_codes_kept += total
        where.record("assumed_codes_kept", expected, *found)
        return False
    if where.ctx.unknown_codes == "null" and not where.plan.key:
        counts.unknown_codes_nulled += total
        if spec.outcome:
            where.record("outcome_nulled", expected, *found)
        return True
    kind = "key_not_nullable" if where.ctx.unknown_codes == "null" else "unknown_codes"
    where.record(kind, expected, *found)
    return True


def _convert_date(raw: pa.Array, spec: ColumnSpec, counts: ColumnCounts, where: _Where) -> pa.Array:
    """YYYYMMDD text to date32: open-end aliases to the open end, impossible dates to NULL."""
    if pa.types.is_temporal(raw.type):
        counts.empty_nulls += raw.null_count
        return pc.cast(raw, pa.date32())
    values, indices, weights, nulls = _encode(_to_text(raw, spec))
    counts.empty_nulls += nulls
    values, nulled = _null_missing_text(pc.utf8_trim_whitespace(values), spec, counts, weights)
    alias = pc.is_in(values, value_set=pa.array(sorted(where.ctx.open_end_aliases), pa.string()))
    counts.open_ends_normalised += _count(alias, weights)
    values = pc.if_else(alias, pa.scalar(where.ctx.open_end), values)
    dates = parse_yyyymmdd(values)
    impossible = pc.and_not(dates.is_null(), nulled).fill_null(False)
    counts.impossible_dates += _count(impossible, weights)
    flags = impossible.to_numpy(zero_copy_only=False)
    if flags.any():
        kept = np.flatnonzero(flags)[:_KEPT_VALUES]
        where.record("impossible_dates", "dates as YYYYMMDD (e.g. 20190131)",
                     values.take(pa.array(kept)).to_pylist(), weights[kept].tolist(),
                     total=int(weights[flags].sum()))
    counts.dates_read += _count(pc.invert(nulled).fill_null(False), weights)
    return dates.take(indices)


def parse_yyyymmdd(text: pa.Array) -> pa.Array:
    """8-digit YYYYMMDD strings to date32; anything else (20190231, 00000000, 2019-1-1) NULL."""
    shaped = pc.and_(pc.equal(pc.binary_length(text), 8), pc.utf8_is_decimal(text))
    shaped = shaped.fill_null(False)
    digits = pc.if_else(shaped, text, pa.scalar("00000000")).cast(pa.int64()).to_numpy()
    year, month, day = digits // 10000, digits // 100 % 100, digits % 100
    ok = shaped.to_numpy(zero_copy_only=False) & (year >= 1) & (month >= 1) & (month <= 12)
    first = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    last_day = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(int)
    ok &= (day >= 1) & (day <= last_day)
    days = first.astype("datetime64[D]").astype(np.int64) + day - 1
    return pa.array(days.astype(np.int32), pa.date32(), mask=~ok)


def _convert_number(raw: pa.Array, spec: ColumnSpec, counts: ColumnCounts,
                    where: _Where) -> pa.Array:
    """Numbers (or their text, ',' as decimal separator allowed) to int64/float64."""
    counts.empty_nulls += raw.null_count
    if pa.types.is_dictionary(raw.type):
        raw = raw.cast(raw.type.value_type)
    if _is_number_type(raw):
        numbers = raw.cast(pa.float64())
        nan = pc.is_nan(numbers)
        counts.empty_nulls += _count(nan)
        numbers = pc.if_else(nan, pa.scalar(None, pa.float64()), numbers)
    else:
        numbers = _parse_numbers(raw, spec, counts, where)
    missing = pc.is_in(numbers, value_set=_missing_numbers(spec))
    counts.missing_code_nulls += _count(missing, None)
    numbers = pc.if_else(missing, pa.scalar(None, pa.float64()), numbers)
    if spec.type == "float":
        return numbers
    fraction = pc.not_equal(pc.floor(numbers), numbers)
    if _count(fraction, None):
        _bad_values(numbers, fraction, where, "whole numbers")
        numbers = pc.if_else(fraction, pa.scalar(None, pa.float64()), numbers)
    return pc.cast(numbers, pa.int64())


def _parse_numbers(raw: pa.Array, spec: ColumnSpec, counts: ColumnCounts,
                   where: _Where) -> pa.Array:
    text, _ = _null_missing_text(pc.utf8_trim_whitespace(_to_text(raw, spec)), spec, counts)
    pattern = _INT_TEXT if spec.type == "int" else _FLOAT_TEXT
    bad = pc.invert(pc.match_substring_regex(text, pattern))
    if _count(bad, None):
        _bad_values(text, bad, where, "numbers" if spec.type == "float" else "whole numbers")
        text = pc.if_else(bad, pa.scalar(None, pa.string()), text)
    return pc.cast(pc.replace_substring(text, ",", "."), pa.float64())


def _bad_values(values: pa.Array, bad: pa.Array, where: _Where, expected: str) -> None:
    """Record values of the wrong kind (they become NULL; the file is not stored)."""
    found = pc.value_counts(values.filter(bad.fill_null(False))).to_pylist()
    where.record("bad_values", expected, [f["values"] for f in found],
                 [f["counts"] for f in found])


_CONVERTERS = {
    "key": _convert_text, "str": _convert_text, "code": _convert_code,
    "date": _convert_date, "int": _convert_number, "float": _convert_number,
}
