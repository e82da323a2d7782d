"""No linking keys in any output: CBS person, address, household and school keys.

A column (or index level) is a key when its name contains ``RINPERSOON``, ``RINOBJECTNUMMER``,
``HUISHOUDNR`` or ``BRIN`` (as in ``WPOBRIN_crypt``), in any case, or is a person's number of
another making (``person``, ``id``, ``*_id``, ``bsn``, ``klantnummer``: a red team added a
``person`` column of the run's own numbers to a bundle and check passed it). A value is a key
when it is text or an integer of 9 digits (``RINPERSOON``) or 10 to 16 digits (``RINOBJECTNUMMER``,
``HUISHOUDNR``). Floats are not read as keys (a sum of money may have 9 digits; no count
can: the Netherlands has fewer than 10^8 inhabitants). Buurt codes have 8 digits and pass.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from smartstart.disclosure._check import CheckResult, as_frame, result

KEY_NAMES = re.compile(r"rinpersoon|rinobjectnummer|huishoudnr|brin"
                       # a person's number of any making (a run's own numbering, a partner's
                       # client number, a BSN): the whole column name
                       r"|^(?:id|.+_id|person|persoon|persoonsnummer|bsn|klantnummer"
                       r"|client_?number)$", re.IGNORECASE)
KEY_VALUES = re.compile(r"\d{9,16}")


def check_linking_keys(table: pd.DataFrame | pd.Series) -> CheckResult:
    """Flag every cell in a key column, a key row (index) or holding a key-like value."""
    frame = as_frame(table)
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    named = [any(_is_key_name(part) for part in _parts(c)) for c in frame.columns]
    mask.loc[:, named] = True
    if frame.shape[1]:
        mask |= np.column_stack([_key_values(frame.iloc[:, i]) for i in range(frame.shape[1])])
    mask |= _index_flags(frame.columns.names, frame.columns)[None, :]
    mask |= _index_flags(frame.index.names, frame.index)[:, None]
    count = int(mask.to_numpy().sum())
    return result("linking_keys", mask, f"{count} cells with linking keys", cells=count)


def _key_values(column: pd.Series) -> np.ndarray:
    """``_is_key_value`` of every cell: whole columns of numbers at once (a float or bool
    column holds no key; an integer one holds a key where it has 9 to 16 digits), cell by cell
    for any other column."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_float_dtype(dtype):
        return np.zeros(len(column), dtype=bool)
    if pd.api.types.is_integer_dtype(dtype):
        if isinstance(dtype, pd.api.extensions.ExtensionDtype):  # Int64 and kin: NA no key
            column = column.fillna(0).astype(dtype.numpy_dtype)
        size = np.abs(column.to_numpy())  # the most negative int64 stays negative: no key
        return (size >= 10 ** 8) & (size < 10 ** 16)
    return column.map(_is_key_value).to_numpy(dtype=bool)


def _index_flags(names: list, index: pd.Index) -> np.ndarray:
    if any(_is_key_name(name) for name in names):
        return np.ones(len(index), dtype=bool)
    return np.array([any(_is_key_value(part) for part in _parts(key)) for key in index],
                    dtype=bool)


def _parts(key: object) -> tuple:
    return key if isinstance(key, tuple) else (key,)


def _is_key_name(name: object) -> bool:
    return name is not None and bool(KEY_NAMES.search(str(name)))


def _is_key_value(value: object) -> bool:
    if isinstance(value, (bool, np.bool_, float, np.floating)):
        return False
    if isinstance(value, (int, np.integer)):
        return bool(KEY_VALUES.fullmatch(str(abs(int(value)))))
    return isinstance(value, str) and bool(KEY_VALUES.fullmatch(value.strip()))
