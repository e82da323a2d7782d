"""Turning numbers into the strings CBS delivers: keys, YYYYMMDD dates, padded codes."""

from __future__ import annotations

import numpy as np

_SCRAMBLE = 387_420_489  # odd and not a multiple of 5: a bijection modulo 10**k


def rin(index: np.ndarray, digits: int = 9, salt: int = 12_345_679) -> np.ndarray:
    """Unique zero-padded pseudonymous keys from global indices (bijective for < 10**digits)."""
    mod = 10**digits
    value = (np.asarray(index, dtype=np.int64) * _SCRAMBLE + salt) % mod
    return zpad(value, digits)


def ymd(days: np.ndarray) -> np.ndarray:
    """Day numbers (days since 1970-01-01) as 8-character YYYYMMDD strings."""
    year, month, dom = parts(days)
    return (year * 10_000 + month * 100 + dom).astype(str)


def parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of day numbers as integer arrays."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    dom = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    return year, month, dom


def completed_years(birth: np.ndarray, when: np.ndarray) -> np.ndarray:
    """Age in completed years on a day, as a person's age is counted."""
    by, bm, bd = parts(birth)
    wy, wm, wd = parts(when)
    return wy - by - ((wm < bm) | ((wm == bm) & (wd < bd)))


def codes(values: np.ndarray) -> np.ndarray:
    return np.asarray(values).astype(str)


def zpad(values: np.ndarray, width: int) -> np.ndarray:
    values = np.asarray(values)
    if values.size == 0:
        return np.array([], dtype=f"U{width}")
    return np.char.zfill(values.astype(str), width)
