"""Read the next chunk in a background thread while the current one is converted and written.

At most ``depth`` chunks wait in the queue, so memory stays bounded. Errors raised while reading
reach the consumer unchanged; when the consumer stops early the reader thread is stopped and
joined, so no file stays open.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_POLL_SECONDS = 0.1


class _Done:
    """Marks the end of the items, carrying the reader's error if there was one."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


def prefetch(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Yield from ``items`` while a thread already reads up to ``depth`` items ahead."""
    waiting: queue.Queue[T | _Done] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    thread = threading.Thread(target=_produce, args=(items, waiting, stop), daemon=True)
    thread.start()
    try:
        while not isinstance(item := waiting.get(), _Done):
            yield item
        if item.error is not None:
            raise item.error
    finally:
        stop.set()
        thread.join()


def _produce(items: Iterator[T], waiting: queue.Queue, stop: threading.Event) -> None:
    done = _Done()
    try:
        for item in items:
            if not _put(waiting, item, stop):
                return
    except BaseException as error:  # handed to the consumer, which re-raises it
        done = _Done(error)
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()
    _put(waiting, done, stop)


def _put(waiting: queue.Queue, item: object, stop: threading.Event) -> bool:
    """Put ``item`` unless the consumer stopped; False when it did."""
    while not stop.is_set():
        try:
            waiting.put(item, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False
