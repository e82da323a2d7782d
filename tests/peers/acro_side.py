"""ACRO's side of tests/test_disclosure_acro.py, run with the python of ACRO's own environment.

ACRO pins pandas<=2.3.3, so it does not live in smartstart's environments: run.py makes
`.venv-acro` (requirements/acro.txt) and the test runs this script there as a subprocess.
JSON in (stdin), JSON out (stdout); it imports acro, pandas and numpy only, never smartstart.

In:  {"sessions": {NAME: {"suppress": bool, "calls": [CALL, ...]}}}
     CALL = {"op": "crosstab", "data": {col: [...]}, "index": col, "columns": col,
             "margins": bool}
          | {"op": "pivot_table", "data": {...}, "index": col, "columns": col | null,
             "values": col, "aggfunc": str | [str]}
          | {"op": "logit", "endog": [...], "exog": {col: [...]}}
Out: {NAME: [{"status": str, "sdc": {...}, "table": {"index", "columns", "data"} | null}]}
     with NaN as null; table labels of a MultiIndex as lists.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import sys
import warnings
from importlib.metadata import version

import numpy as np
import pandas as pd


def _plain(value: object) -> object:
    """numpy scalars and arrays, tuples and NaN as plain JSON."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _table(frame: object) -> dict | None:
    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        return None
    return {"index": _plain(list(frame.index)), "columns": _plain(list(frame.columns)),
            "index_name": frame.index.name, "columns_name": frame.columns.name,
            "data": _plain(frame.to_numpy(dtype=float))}


def _call(session: object, call: dict) -> dict:
    if call["op"] == "logit":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            session.logit(np.asarray(call["endog"], dtype=float), pd.DataFrame(call["exog"]))
        table = None
    else:
        data = pd.DataFrame(call["data"])
        if call["op"] == "crosstab":
            table = session.crosstab(data[call["index"]], data[call["columns"]],
                                     margins=call.get("margins", False))
        else:
            table = session.pivot_table(data, index=call["index"], columns=call.get("columns"),
                                        values=call["values"], aggfunc=call["aggfunc"])
    output = list(session.results.results.values())[-1]
    return {"status": output.status, "sdc": _plain(output.sdc), "table": _table(table)}


def main() -> int:
    import acro

    logging.getLogger("acro").setLevel(logging.WARNING)
    request = json.load(sys.stdin)
    answer = {}
    with contextlib.redirect_stdout(sys.stderr):  # what ACRO and statsmodels print
        for name, spec in request["sessions"].items():
            session = acro.ACRO(suppress=spec["suppress"])
            answer[name] = [_call(session, call) for call in spec["calls"]]
    json.dump({"acro": version("acro"), "pandas": pd.__version__, "sessions": answer},
              sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
