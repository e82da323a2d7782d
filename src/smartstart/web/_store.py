"""What the app reads and writes: workshops, respondents, answers, logins, settings."""

from __future__ import annotations

import secrets
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, bindparam, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smartstart.maturity import Answer as Scored
from smartstart.web._batch import GroupCommit
from smartstart.web._models import Answer, Login, Organisation, Respondent, Setting, Workshop, now

#: join codes: 8 characters from 32 (no I, O, 0, 1), 32**8 = 1.1e12 codes (40 bits)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
#: seconds a respondent found is remembered (its workshop's state may be that old if another
#: process closed it; one server process per database, as `scan serve` runs, sees it at once)
CACHE_SECONDS = 2.0


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(text: str) -> str | None:
    """The code typed (spaces, dashes, lower case allowed), or None if it cannot be one."""
    code = "".join(ch for ch in text.upper() if ch not in " -")
    if len(code) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in code):
        return None
    return code


@dataclass(frozen=True)
class WorkshopView:
    id: int
    code: str
    title: str
    lang: str
    is_open: bool
    created_at: datetime
    organisations: tuple[tuple[int, str], ...]

    @property
    def display_code(self) -> str:
        return f"{self.code[:4]}-{self.code[4:]}"


@dataclass(frozen=True)
class RespondentView:
    id: str
    workshop: WorkshopView
    organisation_id: int | None


_RESPONDENT = (
    select(Respondent.organisation_id, Workshop.id, Workshop.code, Workshop.title, Workshop.lang,
           Workshop.is_open, Workshop.created_at)
    .join(Workshop, Workshop.id == Respondent.workshop_id)
    .where(Respondent.id == bindparam("id")))


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time; waiting writers would poll its lock with growing
        # sleeps (up to 100 ms each). Queueing them on a lock in this process is fairer and
        # faster. (One server process per SQLite file; PostgreSQL needs no such lock.)
        sqlite_ = engine.dialect.name == "sqlite"
        self._writing = threading.Lock() if sqlite_ else nullcontext()
        # answers go through a group commit on both databases: one transaction (one sync to
        # disk) for all answers that arrive while the previous one is being committed
        self._group = GroupCommit(self._upsert, self._writing, threads=1 if sqlite_ else 3)
        self._recent: dict[str, tuple[float, RespondentView]] = {}
        self._closed: set[int] = set()
        insert = (sqlite if sqlite_ else postgresql).insert(Answer)
        self._upsert_statement = insert.on_conflict_do_update(
            index_elements=["respondent_id", "item_id"],
            set_={"level": insert.excluded.level, "updated_at": insert.excluded.updated_at})

    # --- workshops ------------------------------------------------------------------------
    def create_workshop(self, title: str, organisations: list[str], lang: str) -> WorkshopView:
        for _ in range(10):  # a collision of 40-bit codes is rare; try again if it happens
            try:
                with self._writing, Session(self.engine) as db, db.begin():
                    workshop = Workshop(code=new_code(), title=title, lang=lang)
                    db.add(workshop)
                    db.flush()
                    db.add_all(Organisation(workshop_id=workshop.id, name=name, position=i)
                               for i, name in enumerate(organisations))
                    wid = workshop.id
                return self.workshop(wid)
            except IntegrityError:
                continue
        raise RuntimeError("no free join code after 10 tries")

    def workshop(self, workshop_id: int) -> WorkshopView | None:
        with Session(self.engine) as db:
            row = db.get(Workshop, workshop_id)
            return None if row is None else self._view(db, row)

    def open_workshop_by_code(self, code: str) -> WorkshopView | None:
        with Session(self.engine) as db:
            row = db.scalar(select(Workshop).where(Workshop.code == code, Workshop.is_open))
            return None if row is None else self._view(db, row)

    def workshops(self) -> list[WorkshopView]:
        with Session(self.engine) as db:
            rows = db.scalars(select(Workshop).order_by(Workshop.id.desc())).all()
            return [self._view(db, row) for row in rows]

    def close_workshop(self, workshop_id: int) -> None:
        with self._writing, Session(self.engine) as db, db.begin():
            row = db.get(Workshop, workshop_id)
            if row is not None and row.is_open:
                row.is_open, row.closed_at = False, now()
        self._closed.add(workshop_id)

    def delete_workshop(self, workshop_id: int) -> bool:
        """Delete a closed workshop with its organisations, respondents and answers; False if
        there is no such closed workshop (an open one is closed first, so nobody is answering)."""
        return bool(self._delete(Workshop.id == workshop_id, Workshop.is_open.is_(False)))

    def delete_closed_before(self, cutoff: datetime) -> int:
        """Delete the workshops closed before ``cutoff`` (retention); returns how many."""
        return len(self._delete(Workshop.is_open.is_(False), Workshop.closed_at < cutoff))

    def _delete(self, *where) -> list[int]:
        """One transaction: answers, respondents, organisations, then the workshops (the
        foreign keys' order); the respondents remembered in this process are forgotten."""
        with self._writing, Session(self.engine) as db, db.begin():
            ids = list(db.scalars(select(Workshop.id).where(*where)))
            for model in (Answer, Respondent, Organisation) if ids else ():
                db.execute(delete(model).where(model.workshop_id.in_(ids)))
            if ids:
                db.execute(delete(Workshop).where(Workshop.id.in_(ids)))
        if ids and self.engine.dialect.name == "sqlite":
            # the WAL still holds the pages as they were before: copy back and empty it
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        for respondent, (_until, view) in list(self._recent.items()):
            if view.workshop.id in ids:
                self._recent.pop(respondent, None)
        return ids

    @staticmethod
    def _view(db: Session, row: Workshop) -> WorkshopView:
        organisations = db.execute(
            select(Organisation.id, Organisation.name).where(Organisation.workshop_id == row.id)
            .order_by(Organisation.position)).all()
        return WorkshopView(row.id, row.code, row.title, row.lang, row.is_open, row.created_at,
                            tuple((oid, name) for oid, name in organisations))

    # --- respondents and answers ----------------------------------------------------------
    def join(self, workshop: WorkshopView, organisation_id: int | None) -> str:
        respondent = secrets.token_urlsafe(24)
        with self._writing, Session(self.engine) as db, db.begin():
            db.add(Respondent(id=respondent, workshop_id=workshop.id,
                              organisation_id=organisation_id))
        return respondent

    def respondent(self, respondent_id: str, organisations: bool = False
                   ) -> RespondentView | None:
        """The respondent and its workshop (SQLAlchemy Core, one query; this is on every
        answer's path, so a found respondent is remembered for CACHE_SECONDS: a workshop closed
        by this process is seen at once, one closed by another process within that time)."""
        cached = self._recent.get(respondent_id)
        if cached is not None and not organisations and cached[0] > time.monotonic() \
                and cached[1].workshop.id not in self._closed:
            return cached[1]
        with self.engine.connect() as connection:
            row = connection.execute(_RESPONDENT, {"id": respondent_id}).first()
        if row is None:
            return None
        organisation_id, *workshop = row
        view = WorkshopView(*workshop, ())
        if organisations:
            view = self.workshop(view.id)
        found = RespondentView(respondent_id, view, organisation_id)
        if len(self._recent) > 100_000:
            self._recent.clear()
        self._recent[respondent_id] = (time.monotonic() + CACHE_SECONDS, found)
        return found

    def set_organisation(self, respondent_id: str, organisation_id: int) -> None:
        with self._writing, Session(self.engine) as db, db.begin():
            db.get_one(Respondent, respondent_id).organisation_id = organisation_id
        self._recent.pop(respondent_id, None)

    def save_answer(self, respondent: RespondentView, item_id: str, level: int | None) -> None:
        """Insert or replace this respondent's answer to the item (an upsert: idempotent);
        returns when it is committed (together with the answers that came with it)."""
        values = {"workshop_id": respondent.workshop.id, "respondent_id": respondent.id,
                  "item_id": item_id, "level": level, "updated_at": now()}
        self._group.submit(values)

    def _upsert(self, rows: list[dict]) -> None:
        """One transaction; a later tap on the same item wins (kept alone: one row per key)."""
        last = {(row["respondent_id"], row["item_id"]): row for row in rows}
        with self.engine.begin() as connection:
            connection.execute(self._upsert_statement, list(last.values()))

    def answers_of(self, respondent_id: str) -> dict[str, int | None]:
        with Session(self.engine) as db:
            rows = db.execute(select(Answer.item_id, Answer.level)
                              .where(Answer.respondent_id == respondent_id)).all()
            return dict(rows)

    def answers_by_organisation(self, workshop_id: int) -> dict[int | None, list[Scored]]:
        """Every answer of a workshop, grouped by the respondent's organisation."""
        with Session(self.engine) as db:
            rows = db.execute(
                select(Respondent.organisation_id, Answer.respondent_id, Answer.item_id,
                       Answer.level)
                .join(Respondent, Respondent.id == Answer.respondent_id)
                .where(Answer.workshop_id == workshop_id)).all()
        grouped: dict[int | None, list[Scored]] = {}
        for organisation, respondent, item, level in rows:
            grouped.setdefault(organisation, []).append(Scored(respondent, item, level))
        return grouped

    def change_stamp(self, workshop_id: int) -> tuple:
        """Changes when an answer or respondent arrives or changes (cheap: for the live view)."""
        with Session(self.engine) as db:
            answers = db.execute(select(func.count(), func.max(Answer.updated_at))
                                 .where(Answer.workshop_id == workshop_id)).one()
            people = db.scalar(select(func.count()).select_from(Respondent)
                               .where(Respondent.workshop_id == workshop_id))
            is_open = db.scalar(select(Workshop.is_open).where(Workshop.id == workshop_id))
            return (*answers, people, is_open)

    # --- facilitator logins and settings --------------------------------------------------
    def add_login(self, token_hash: str, hours: int) -> None:
        with self._writing, Session(self.engine) as db, db.begin():
            db.execute(delete(Login).where(Login.expires_at < now()))
            db.add(Login(token_hash=token_hash, expires_at=now() + timedelta(hours=hours)))

    def login_valid(self, token_hash: str) -> bool:
        with Session(self.engine) as db:
            row = db.get(Login, token_hash)
            return row is not None and row.expires_at > now()

    def end_login(self, token_hash: str) -> None:
        with self._writing, Session(self.engine) as db, db.begin():
            db.execute(delete(Login).where(Login.token_hash == token_hash))

    def setting(self, key: str) -> str | None:
        with Session(self.engine) as db:
            row = db.get(Setting, key)
            return None if row is None else row.value

    def set_setting(self, key: str, value: str | None) -> None:
        with self._writing, Session(self.engine) as db, db.begin():
            row = db.get(Setting, key)
            if value is None:
                if row is not None:
                    db.delete(row)
            elif row is None:
                db.add(Setting(key=key, value=value))
            else:
                row.value = value

    def take_setting(self, key: str, expected: str) -> bool:
        """Delete the setting if it equals ``expected``; True if this call deleted it (once)."""
        with self._writing, self.engine.begin() as connection:
            done = connection.execute(delete(Setting).where(Setting.key == key,
                                                            Setting.value == expected))
            return done.rowcount == 1
