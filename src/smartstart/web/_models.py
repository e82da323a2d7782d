"""The quick scan's tables (SQLAlchemy 2). Nothing personal: a respondent is a random id."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class Workshop(Base):
    """One workshop session: its join code, language, and whether it is open."""

    __tablename__ = "workshop"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    lang: Mapped[str] = mapped_column(String(2))
    is_open: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)


class Organisation(Base):
    __tablename__ = "organisation"
    __table_args__ = (UniqueConstraint("workshop_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]


class Respondent(Base):
    """A random anonymous id (also the respondent's cookie); no name, no e-mail, no address."""

    __tablename__ = "respondent"
    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)


class Answer(Base):
    """A respondent's answer to an item: level 1..5, or NULL for "weet ik niet"."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("respondent_id", "item_id", name="uq_answer_item"),
                      Index("ix_answer_workshop", "workshop_id"))
    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshop.id"))
    respondent_id: Mapped[str] = mapped_column(ForeignKey("respondent.id"))
    item_id: Mapped[str] = mapped_column(String(40))
    level: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=now)


class Login(Base):
    """A facilitator's login session: the sha256 of its cookie, never the cookie itself."""

    __tablename__ = "login"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]


class Setting(Base):
    """The password hash, the CSRF key and the one-time admin token's hash."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(400))


class Interpretation(Base):
    """A project team's words beside a finding of a bundle (issue 17, duiding): an
    interpretation, a question or a story from practice. Never data: no published number
    changes. ``bundle`` is the sha256 of the bundle's manifest, so the words stay with the
    bundle they were written about, wherever its folder is."""

    __tablename__ = "interpretation"
    __table_args__ = (Index("ix_interpretation_bundle", "bundle"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    bundle: Mapped[str] = mapped_column(String(64))
    finding: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(String(2000))
    author: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=now)
