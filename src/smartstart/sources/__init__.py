"""Read CBS files (.sav, ;-separated Latin-1 .csv, .parquet) into a typed, validated parquet store.

``ingest(source_dir, store)`` finds the files by the table catalog (``catalog.yaml``), converts
codes, dates and numbers chunk by chunk, and writes ``STORE/<TABLE>/<year>.parquet`` plus
``STORE/manifest.json``.
"""

from smartstart.sources._catalog import Catalog, load_catalog
from smartstart.sources._convert import UnknownCodes
from smartstart.sources._ingest import IngestEntry, IngestReport, ingest
from smartstart.sources._layout import build_layout
from smartstart.sources._plan import parse_pins
from smartstart.sources.errors import SourceError

__all__ = [
    "Catalog",
    "IngestEntry",
    "IngestReport",
    "SourceError",
    "UnknownCodes",
    "build_layout",
    "ingest",
    "load_catalog",
    "parse_pins",
]
