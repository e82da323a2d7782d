"""A quick end for a process that imported the analysis libraries.

At exit the interpreter's garbage collector walks every object still alive: pandas', scipy's,
scikit-learn's, statsmodels' and Altair's modules and whatever the run kept. For the demo that
took about 0.9 s of the command's wall time after its work was done, and as long again in its
worker process (which its parent waits for). Freezing the collector's objects at exit skips
that walk; the memory goes back to the system with the process either way. Files are closed
by the code that writes them (atomically), never left to the collector."""

from __future__ import annotations

import atexit
import gc

_registered = False


def skip_final_collection() -> None:
    """Freeze the collector's objects when this process exits (once per process; also a
    worker pool's ``initializer``)."""
    global _registered
    if not _registered:
        atexit.register(gc.freeze)
        _registered = True
