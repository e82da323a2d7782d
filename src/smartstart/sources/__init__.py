"""Read CBS files (.sav, ;-separated Latin-1 .csv, .parquet) into a typed, validated parquet store.

``ingest(source_dir, store)`` finds the files by the table catalog (``catalog.yaml``), converts
codes, dates and numbers chunk by chunk, and writes ``STORE/<TABLE>/<year>.parquet`` plus
``STORE/manifest.json``. Every problem of a delivery is reported at once (``SourceError.problems``);
``ingest(..., check=True)`` validates without writing. ``delivered_years(store, table)`` lists the
years of a table in the store.
"""

from __future__ import annotations

from importlib import import_module

from smartstart.sources.errors import Problem, SourceError

#: imported when first asked for: a command that only needs the errors (every CLI command
#: imports them to report) does not pay for pandas, pyarrow and the readers
_LAZY = {"Catalog": "_catalog", "load_catalog": "_catalog", "UnknownCodes": "_convert",
         "IngestEntry": "_ingest", "IngestReport": "_ingest", "ingest": "_ingest",
         "build_layout": "_layout", "parse_pins": "_plan", "StoreWarning": "_store",
         "delivered_years": "_store"}


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "Catalog",
    "IngestEntry",
    "IngestReport",
    "Problem",
    "SourceError",
    "StoreWarning",
    "UnknownCodes",
    "build_layout",
    "delivered_years",
    "ingest",
    "load_catalog",
    "parse_pins",
]
