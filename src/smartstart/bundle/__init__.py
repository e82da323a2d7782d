"""The export bundle: the only thing that leaves a run, written atomically and verifiable.

A bundle is a folder::

    manifest.json        pilot, input file hashes, package version, seed, timestamps, outputs
    disclosure_log.json  per output: status, rule results, suppressed cells and why
    variables.csv        variables x outputs, to spot differencing between outputs
    tables/NAME.csv      every table as CSV and parquet (only checked tables get in)
    tables/NAME.parquet
    texts/NAME.md        texts built from checked tables (model card, persona cards)
    checksums.sha256     sha256 of every other file

It is written to ``NAME.partial`` and renamed when complete; a failed run leaves no bundle.
Reports and the web app read bundles only (``read_bundle``).
"""

from smartstart.bundle._check import check_bundle
from smartstart.bundle._read import Bundle, BundleProblem, read_bundle, verify_files
from smartstart.bundle._write import BundleWriter, CheckedTable

__all__ = ["Bundle", "BundleProblem", "BundleWriter", "CheckedTable", "check_bundle",
           "read_bundle", "verify_files"]
