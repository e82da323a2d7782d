"""A project team's words beside a bundle's findings (duiding), kept in the scan's database.

They are the team's words, not data: stored apart from the bundle, never written into it, so no
published number can change. The report takes them as ``TeamNote``s (``notes_for_report``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from smartstart.report import TeamNote
from smartstart.web._models import Interpretation
from smartstart.web._store import Store

KINDS = ("duiding", "vraag", "verhaal")
MAX_TEXT, MAX_AUTHOR = 2000, 80
#: notes kept per finding and per bundle: a meeting's words, not a store for anything else
MAX_PER_FINDING, MAX_PER_BUNDLE = 50, 1000


@dataclass(frozen=True)
class NoteView:
    id: int
    finding: str
    kind: str
    text: str
    author: str
    created_at: datetime

    def for_report(self) -> TeamNote:
        return TeamNote(self.kind, self.text, self.author, self.created_at.strftime("%Y-%m-%d"))


def check_note(kind: str, text: str, author: str, finding: str) -> str | None:
    """What is wrong with a note (a key of the dashboard's words), or None."""
    if kind not in KINDS:
        return "note_kind"
    if not text.strip() or len(text) > MAX_TEXT:
        return "note_text"
    if len(author) > MAX_AUTHOR or not finding or len(finding) > 200:
        return "note_text"
    return None


def room(store: Store, bundle: str, finding: str) -> str | None:
    """``note_full`` when the finding or the bundle holds as many notes as allowed."""
    with Session(store.engine) as db:
        counts = db.execute(select(
            func.count(), func.count().filter(Interpretation.finding == finding))
            .where(Interpretation.bundle == bundle)).one()
    return "note_full" if counts[0] >= MAX_PER_BUNDLE or counts[1] >= MAX_PER_FINDING else None


def add_note(store: Store, bundle: str, finding: str, kind: str, text: str,
             author: str = "") -> int:
    with store._writing, Session(store.engine) as db, db.begin():
        row = Interpretation(bundle=bundle, finding=finding, kind=kind, text=text.strip(),
                             author=author.strip())
        db.add(row)
        db.flush()
        return row.id


def delete_note(store: Store, bundle: str, note_id: int) -> bool:
    with store._writing, Session(store.engine) as db, db.begin():
        gone = db.execute(delete(Interpretation).where(Interpretation.id == note_id,
                                                       Interpretation.bundle == bundle))
        return bool(gone.rowcount)


def notes(store: Store, bundle: str) -> dict[str, list[NoteView]]:
    """The notes on ``bundle`` (its manifest's sha256) by finding, oldest first."""
    with Session(store.engine) as db:
        rows = db.scalars(select(Interpretation).where(Interpretation.bundle == bundle)
                          .order_by(Interpretation.id)).all()
        found: dict[str, list[NoteView]] = defaultdict(list)
        for r in rows:
            found[r.finding].append(NoteView(r.id, r.finding, r.kind, r.text, r.author,
                                             r.created_at))
        return dict(found)


def notes_for_report(store: Store, bundle: str) -> dict[str, list[TeamNote]]:
    return {k: [n.for_report() for n in v] for k, v in notes(store, bundle).items()}
