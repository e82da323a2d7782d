"""Shared by the benchmark scripts: peak memory of a process, running a contender in one, and
a Monte Carlo rate with its standard error."""

from __future__ import annotations

import multiprocessing as mp
import sys
from pathlib import Path
from queue import Empty


def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB (Linux: VmHWM, which exec resets)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    try:
        import resource

        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return kib / 1024 if sys.platform != "darwin" else kib / 2**20
    except ImportError:  # Windows
        import psutil

        return psutil.Process().memory_info().peak_wset / 2**20


def _watched(target, *args) -> None:
    """``target`` in a process that ends with its parent (a benchmark stopped with Ctrl+C or
    kill leaves no contender running, taking a core from the next run)."""
    from smartstart._exit import worker_start

    worker_start()
    target(*args)


def measure(target, *args):
    """Run ``target(*args, queue)`` in a fresh process (spawn: also on Windows); its result."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_watched, args=(target, *args, queue))
    proc.start()
    while True:
        try:
            result = queue.get(timeout=1)
            break
        except Empty:
            if not proc.is_alive():  # it failed: its traceback is on stderr
                raise RuntimeError(f"{target.__name__} ended without a result "
                                   f"(exit code {proc.exitcode})") from None
    proc.join()
    return result


def mc_rate(flags) -> str:
    """The share of true flags in percent with its Monte Carlo standard error."""
    import numpy as np

    r, m = float(np.mean(flags)), len(flags)
    return f"{100 * r:5.1f} % (MC s.e. {100 * np.sqrt(r * (1 - r) / m):.1f})"
