"""The export bundle: the only thing that leaves a run, written atomically and verifiable.

A bundle is a folder::

    manifest.json        pilot, input file hashes, package version, seed, timestamps, outputs,
                         and every other file declared (path, kind, output, sha256)
    disclosure_log.json  per output: status, rule results, suppressed cells and why
    variables.csv        variables x outputs, to spot differencing between outputs
    tables/NAME.csv      every table as CSV and parquet (only checked tables get in)
    tables/NAME.parquet
    texts/NAME.md        texts built from checked tables (model card, persona cards)
    charts/NAME.vl.json  the report's charts: Vega-Lite spec, data inline from one table,
    charts/NAME.svg      and the SVG rendered from it
    exports/tabellen.xlsx  every table in one Excel workbook (Dutch headers, rounded as
                         published, the gate's labels, a front sheet; ``bundle._exports``)
    exports/csv/NAME.csv every table as Dutch Excel CSV (``;``, decimal comma, BOM)
    exports/en/          the same in English: tables.xlsx (English headers and front sheet) and
                         csv/NAME.csv (``,``, decimal point, BOM)
    checksums.sha256     sha256 of every other file, a convenience: the manifest is the
                         authority, and ``smartstart check`` trusts the content of the files

It is written to ``NAME.partial`` and renamed when complete; a failed run leaves no bundle.
Reports and the web app read bundles only (``read_bundle``).
"""

from smartstart.bundle._check import check_bundle, check_together
from smartstart.bundle._exports import ShownTable
from smartstart.bundle._read import Bundle, BundleProblem, read_bundle, shown, verify_files
from smartstart.bundle._svg import svg_of
from smartstart.bundle._write import BundleWriter, CheckedTable

__all__ = ["Bundle", "BundleProblem", "BundleWriter", "CheckedTable", "ShownTable",
           "check_bundle", "check_together", "read_bundle", "shown", "svg_of", "verify_files"]
