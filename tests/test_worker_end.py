"""A spawned worker ends with its parent (``smartstart._exit.worker_start``): a run killed
from outside (its pools never shut down) leaves no worker behind waiting for work."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import pytest

from smartstart._exit import skip_final_collection, worker_start


def _pid() -> int:
    return os.getpid()


def _parent(initializer, out) -> None:
    """A run's process: a pool of one spawned worker, its pid sent, then waiting to be killed."""
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=initializer)
    out.put(pool.submit(_pid).result())
    time.sleep(600)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (ended, not yet reaped by its new parent) is ended
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _orphan_after(initializer, seconds: float) -> bool:
    """Whether the worker of a killed parent is still there after ``seconds``."""
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    parent = ctx.Process(target=_parent, args=(initializer, out))
    parent.start()
    worker = out.get(timeout=120)
    assert _alive(worker)
    parent.kill()
    parent.join()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and _alive(worker):
        time.sleep(0.1)
    alive = _alive(worker)
    if alive:
        os.kill(worker, 9)
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_ends_when_its_parent_is_killed():
    assert not _orphan_after(worker_start, 20)
    # the reference: without the watch, the worker is still waiting for work
    assert _orphan_after(skip_final_collection, 3)
