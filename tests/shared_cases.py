"""The languages of the heaviest per-language tests (the report and the dashboard in a browser,
at phone width, tampered exports, printed cards): both when run by hand; a CI run shares them
between its two environments, as it shares the property tests' examples (run.py sets
``SMARTSTART_LANGUAGES``: the pinned environment Dutch, the latest English), so that every run
still tests both languages once. The code path is the same in both; the words differ."""

from __future__ import annotations

import os

ALL = ("nl", "en")
LANGUAGES = tuple(os.environ.get("SMARTSTART_LANGUAGES", ",".join(ALL)).split(","))
if not LANGUAGES or not set(LANGUAGES) <= set(ALL):
    raise ValueError(f"SMARTSTART_LANGUAGES={os.environ['SMARTSTART_LANGUAGES']!r}: give "
                     f"languages of {', '.join(ALL)}, separated by commas")
