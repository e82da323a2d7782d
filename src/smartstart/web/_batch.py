"""Group commit: the answers that arrive while one commit is being synced to disk are
written together in the next transaction, so 200 respondents do not queue for 200 fsyncs. A
request returns (and the respondent sees "Opgeslagen") only after its own commit is on disk."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

MAX_BATCH = 500


class GroupCommit:
    """Runs ``write(batch)`` in one thread for every batch of submitted values; ``write`` must
    commit them in one transaction (and raise if it could not)."""

    def __init__(self, write: Callable[[list[dict]], None], lock, threads: int = 1) -> None:
        """``threads`` writers take batches in turn (PostgreSQL commits in parallel; SQLite's
        ``lock`` lets one write at a time). A respondent's taps arrive one after the other
        (each waits for its answer), so parallel batches never reorder one person's taps."""
        self._write, self._lock = write, lock
        self._queue: queue.Queue[tuple[dict, Future]] = queue.Queue()
        for n in range(threads):
            threading.Thread(target=self._run, name=f"scan-group-commit-{n}",
                             daemon=True).start()

    def submit(self, values: dict, timeout: float = 30.0) -> None:
        """Write ``values``; returns once they are committed (raises what the write raised)."""
        done: Future = Future()
        self._queue.put((values, done))
        done.result(timeout=timeout)

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                with self._lock:
                    self._write([values for values, _ in batch])
            except Exception as error:  # noqa: BLE001 - handed to every waiting request
                for _, done in batch:
                    done.set_exception(error)
            else:
                for _, done in batch:
                    done.set_result(None)
