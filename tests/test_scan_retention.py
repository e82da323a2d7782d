"""Deleting a workshop's data: the facilitator deletes a closed session with all its answers
(logged in, with the CSRF token, after a confirmation page); its pages are then not found for
everyone; at start the app deletes the sessions closed more than ``keep_days`` days ago."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from test_scan_support import (
    TestClient,
    csrf_of,
    database,
    databases,
    facilitator,
    join,
    make_app,
    start_workshop,
)

from smartstart.web import database_url
from smartstart.web._models import Answer, Organisation, Respondent, Workshop, now


def _rows(app, workshop: int) -> dict[str, int]:
    """How many rows of each table belong to the workshop."""
    with Session(app.state.scan.store.engine) as db:
        counts = {model.__tablename__: db.scalar(select(func.count()).select_from(model)
                                                 .where(model.workshop_id == workshop))
                  for model in (Answer, Respondent, Organisation)}
        counts["workshop"] = db.scalar(select(func.count()).select_from(Workshop)
                                       .where(Workshop.id == workshop))
    return counts


def _two_sessions(app):
    """A facilitator, a session with 2 respondents and 3 answers, another with 1 answer."""
    boss = facilitator(app)
    first, code = start_workshop(boss, ["Org A", "Org B"])
    kept, kept_code = start_workshop(boss, ["Org C"])
    one, two = join(app, code, "Org A"), join(app, code, "Org B")
    one.answer(1, "2")
    one.answer(2, "dk")
    two.answer(1, "4")
    join(app, kept_code).answer(1, "5")
    return boss, first, kept, one


@pytest.mark.parametrize("kind", databases())
def test_deleting_a_closed_session_removes_its_answers(tmp_path, kind):
    with database(kind, tmp_path) as url:
        app = make_app(tmp_path, database_url(url=url))
        boss, first, kept, respondent = _two_sessions(app)
        assert _rows(app, first) == {"answer": 3, "respondent": 2, "organisation": 2,
                                     "workshop": 1}
        before = _rows(app, kept)
        boss.post(f"/f/w/{first}/close", data={"csrf": csrf_of(boss, "/f/")})
        page = boss.get(f"/f/w/{first}")
        assert f'href="/f/w/{first}/delete"' in page.text
        confirm = boss.get(f"/f/w/{first}/delete")
        assert confirm.status_code == 200
        assert "Deelnemers: 2. Antwoorden: 3." in confirm.text
        assert "niet ongedaan maken" in confirm.text
        reply = boss.post(f"/f/w/{first}/delete", data={"csrf": csrf_of(boss, "/f/"),
                                                        "confirm": "yes"})
        assert reply.url.path == "/f/" and "De sessie is verwijderd" in reply.text
        assert _rows(app, first) == {"answer": 0, "respondent": 0, "organisation": 0,
                                     "workshop": 0}
        assert _rows(app, kept) == before
        # the session's pages are gone, for the facilitator, another login and its respondent
        for client in (boss, facilitator_again(app)):
            for path in ("", "/live", "/report/1", "/report/1/csv", "/compare", "/delete",
                         "/events?once=1"):
                assert client.get(f"/f/w/{first}{path}").status_code == 404, path
        for path in ("/q/1", "/q/2", "/done", "/org"):
            reply = respondent.client.get(path, follow_redirects=False)
            assert reply.status_code == 404 and "Deze pagina bestaat niet" in reply.text, path
        reply = respondent.client.post("/a/3", data={"answer": "3"},
                                       headers={"X-CSRF-Token": respondent.csrf})
        assert reply.status_code == 404 and _rows(app, first)["answer"] == 0
        assert respondent.client.get("/").status_code == 200  # the join page still works
        app.state.scan.store.engine.dispose()


def facilitator_again(app) -> TestClient:
    from smartstart.web import set_password

    set_password(app.state.scan.config.url, "een lang wachtwoord")
    client = TestClient(app)
    reply = client.post("/f/login", data={"csrf": csrf_of(client, "/f/login"),
                                          "secret": "een lang wachtwoord"})
    assert reply.url.path == "/f/"
    return client


def test_deleting_needs_a_login_csrf_confirmation_and_a_closed_session(tmp_path):
    app = make_app(tmp_path)
    boss, first, _kept, _respondent = _two_sessions(app)
    path = f"/f/w/{first}/delete"
    # open: close it first (no page, no deletion)
    assert boss.get(path).status_code == 409
    reply = boss.post(path, data={"csrf": csrf_of(boss, "/f/"), "confirm": "yes"})
    assert reply.status_code == 409 and "Sluit de sessie eerst" in reply.text
    boss.post(f"/f/w/{first}/close", data={"csrf": csrf_of(boss, "/f/")})
    stranger = TestClient(app)
    foreign = csrf_of(stranger, "/")
    refused = [
        (stranger, {"csrf": foreign, "confirm": "yes"}, 303),  # no login
        (boss, {"confirm": "yes"}, 403),  # no CSRF token: a forged form
        (boss, {"csrf": foreign, "confirm": "yes"}, 403),  # another browser's token
        (boss, {"csrf": csrf_of(boss, "/f/")}, 422),  # not through the confirmation page
        (boss, {"csrf": csrf_of(boss, "/f/"), "confirm": "no"}, 422),
    ]
    for client, data, status in refused:
        reply = client.post(path, data=data, follow_redirects=False)
        assert reply.status_code == status, (data, reply.status_code)
    assert _rows(app, first) == {"answer": 3, "respondent": 2, "organisation": 2,
                                 "workshop": 1}
    assert boss.get(path).status_code == 200
    app.state.scan.store.engine.dispose()


def _backdate(app, workshop: int, *, created: int, closed: int | None) -> None:
    with Session(app.state.scan.store.engine) as db, db.begin():
        db.execute(update(Workshop).where(Workshop.id == workshop).values(
            created_at=now() - timedelta(days=created), is_open=closed is None,
            closed_at=None if closed is None else now() - timedelta(days=closed)))


def test_retention_deletes_only_old_closed_sessions(tmp_path):
    url = database_url(tmp_path)
    app = make_app(tmp_path, url, keep_days=0)
    boss = facilitator(app)
    ids = {}
    for name, created, closed in (("old", 200, 100), ("recent", 200, 10), ("open", 400, None),
                                  ("edge", 100, 89)):
        ids[name], code = start_workshop(boss, ["Een"], title=name)
        join(app, code).answer(1, "3")
        _backdate(app, ids[name], created=created, closed=closed)
    app.state.scan.store.engine.dispose()
    again = make_app(tmp_path, url, keep_days=0)  # 0: nothing is deleted, however old
    assert again.state.scan.deleted_at_start == 0
    assert all(_rows(again, wid)["workshop"] == 1 for wid in ids.values())
    again.state.scan.store.engine.dispose()
    again = make_app(tmp_path, url, keep_days=90)
    assert again.state.scan.deleted_at_start == 1
    assert _rows(again, ids["old"]) == {"answer": 0, "respondent": 0, "organisation": 0,
                                        "workshop": 0}
    for name in ("recent", "open", "edge"):
        assert _rows(again, ids[name]) == {"answer": 1, "respondent": 1, "organisation": 1,
                                           "workshop": 1}, name
    again.state.scan.store.engine.dispose()
    again = make_app(tmp_path, url, keep_days=5)
    assert again.state.scan.deleted_at_start == 2  # recent and edge; the open one stays
    assert _rows(again, ids["open"])["answer"] == 1
    again.state.scan.store.engine.dispose()


def test_a_deleted_session_leaves_no_trace_in_the_sqlite_files(tmp_path):
    """SQLite keeps deleted rows in free pages and in the WAL until they are reused:
    secure_delete overwrites them, and a checkpoint after the delete empties the WAL. The
    deleted session's organisation name is nowhere in the database's files; the kept one's is."""
    app = make_app(tmp_path, database_url(tmp_path))
    boss, first, kept, _ = _two_sessions(app)
    boss.post(f"/f/w/{first}/close", data={"csrf": csrf_of(boss, "/f/")})
    def anywhere(text: bytes) -> bool:
        return any(text in f.read_bytes() for f in tmp_path.rglob("*") if f.is_file())

    assert anywhere(b"Org B")  # before: the name is in the files
    boss.post(f"/f/w/{first}/delete", data={"csrf": csrf_of(boss, "/f/"), "confirm": "yes"})
    assert not anywhere(b"Org B") and anywhere(b"Org C")
