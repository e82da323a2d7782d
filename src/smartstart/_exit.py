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
import multiprocessing
import os
import threading

_registered = False


def skip_final_collection() -> None:
    """Freeze the collector's objects when this process exits (once per process; also a
    worker pool's ``initializer``)."""
    global _registered
    if not _registered:
        atexit.register(gc.freeze)
        _registered = True


def worker_start() -> None:
    """A worker pool's ``initializer``: a quick end (``skip_final_collection``), and an end
    with its parent. A spawned worker waits for work on a queue whose both ends it holds, so a
    parent killed (not ended: its pool never shut down) would leave it waiting for ever; a
    thread waits for the parent's sentinel (a pipe on POSIX, the process handle on Windows)
    and ends the worker when it fires."""
    skip_final_collection()
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_end_with, args=(parent,), daemon=True,
                         name="smartstart-parent-watch").start()


def _end_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()
    os._exit(1)
