"""Frames of a run's work tables in the memory a national run can hold."""

from __future__ import annotations

import numpy as np
import pandas as pd

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
