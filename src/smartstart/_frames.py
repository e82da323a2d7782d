"""Frames of a run's work tables in the memory a national run can hold."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa

#: pandas 3's default string type (Arrow-backed, NaN for missing), asked for by name so that
#: pandas 2.3 holds a run's codes the same way: as Python objects the households table of
#: 2.9 M persons took 558 MiB, as this 199 MiB (gemeente, wijk, buurt and the codes)
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each column of text held as Python objects turned into ``TEXT`` (the
    same values; a column of anything else but text stays as it is)."""
    text = [c for c in frame.columns if frame[c].dtype == object
            and pd.api.types.infer_dtype(frame[c], skipna=True) == "string"]
    return frame.astype(dict.fromkeys(text, TEXT)) if text else frame


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or (
        hasattr(pa.types, "is_string_view") and pa.types.is_string_view(kind))


def compact_arrow(table: pa.Table, rest: Callable[[pa.Table], pd.DataFrame]) -> pd.DataFrame:
    """``compact`` of a query result held as Arrow, without first holding its text as Python
    objects: the text columns with a value go to ``TEXT`` straight from Arrow, the other
    columns through ``rest`` (DuckDB's own conversion, so their dtypes are those of ``.df()``:
    an integer column with a NULL is ``Int64``, without one ``int64``). The same frame as
    ``compact(df)``; a national run's household table as Python objects had taken about
    three times the memory of the finished frame (9.8 GiB at 26.5 M persons)."""
    text = [f.name for f in table.schema
            if _is_text(f.type) and table.column(f.name).null_count < table.num_rows]
    others = table.drop_columns(text)
    frame = (rest(others) if others.num_columns
             else pd.DataFrame(index=pd.RangeIndex(table.num_rows)))
    del others
    for position, name in enumerate(table.column_names):
        if name in text:  # a value, so at least one row and chunk
            frame.insert(position, name, TEXT.__from_arrow__(table.column(name)))
    return compact(frame)
