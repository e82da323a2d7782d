"""The quick scan's store: answers saved by many threads at once are all there, once each, with
the last value; a failed group commit fails every request in it (none is acknowledged)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_scan_support import database, databases

from smartstart.maturity import load_bank
from smartstart.web._batch import GroupCommit
from smartstart.web._db import make_engine, migrate
from smartstart.web._models import Answer
from smartstart.web._store import Store

ITEMS = [item.id for item in load_bank().items]


@pytest.mark.parametrize("kind", databases())
def test_concurrent_answers_are_all_saved_once(tmp_path, kind):
    with database(kind, tmp_path) as url:
        store = Store(make_engine(url))
        migrate(store.engine)
        workshop = store.create_workshop("t", ["A"], "nl")
        people = [store.respondent(store.join(workshop, workshop.organisations[0][0]))
                  for _ in range(8)]
        jobs = [(p, item, level) for p in people for item in ITEMS for level in (2, 4)]

        def save(job):  # each item twice, in order: the last (4) must be kept
            person, item, level = job
            store.save_answer(person, item, level)

        by_person = {}
        for job in jobs:
            by_person.setdefault((job[0].id, job[1]), []).append(job)
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda key: [save(j) for j in by_person[key]], by_person))
        with Session(store.engine) as db:
            rows = db.execute(select(Answer.respondent_id, Answer.item_id, Answer.level)).all()
            count = db.scalar(select(func.count()).select_from(Answer))
        assert count == len(people) * len(ITEMS) == len({(r, i) for r, i, _ in rows})
        assert {level for _r, _i, level in rows} == {4}
        store.engine.dispose()


def test_a_failed_group_commit_fails_every_request_in_it():
    lock, started, release = threading.Lock(), threading.Event(), threading.Event()
    batches: list[list[dict]] = []

    def write(batch):
        batches.append(batch)
        if len(batches) == 1:  # hold the first commit so the next requests form one batch
            started.set()
            release.wait(5)
            return
        raise OSError("disk full")

    group = GroupCommit(write, lock)
    with ThreadPoolExecutor(6) as pool:
        first = pool.submit(group.submit, {"n": 0})
        assert started.wait(5)
        rest = [pool.submit(group.submit, {"n": n}) for n in range(1, 6)]
        while group._queue.qsize() < 5:
            threading.Event().wait(0.01)
        release.set()
        assert first.result(5) is None
        for future in rest:
            with pytest.raises(OSError, match="disk full"):
                future.result(5)
    assert [len(b) for b in batches] == [1, 5]
