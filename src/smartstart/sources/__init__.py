"""Read CBS files (.sav, ;-separated Latin-1 .csv, .parquet) into a typed, validated parquet store.

``ingest(source_dir, store)`` finds the files by the table catalog (``catalog.yaml``), converts
codes, dates and numbers chunk by chunk, and writes ``STORE/<TABLE>/<year>.parquet`` plus
``STORE/manifest.json``. Every problem of a delivery is reported at once (``SourceError.problems``);
``ingest(..., check=True)`` validates without writing. ``delivered_years(store, table)`` lists the
years of a table in the store.
"""

from smartstart.sources._catalog import Catalog, load_catalog
from smartstart.sources._convert import UnknownCodes
from smartstart.sources._ingest import IngestEntry, IngestReport, ingest
from smartstart.sources._layout import build_layout
from smartstart.sources._plan import parse_pins
from smartstart.sources._store import StoreWarning, delivered_years
from smartstart.sources.errors import Problem, SourceError

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
