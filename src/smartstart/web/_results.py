"""A workshop's results per organisation: theme scores, advice, the CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from smartstart.maturity import Bank, ThemeScore, score
from smartstart.web._store import Store, WorkshopView


@dataclass(frozen=True)
class OrganisationResult:
    id: int | None
    name: str
    respondents: int
    scores: tuple[ThemeScore, ...]


def results(store: Store, bank: Bank, workshop: WorkshopView) -> list[OrganisationResult]:
    """One result per organisation of the workshop (in its order), also without answers."""
    grouped = store.answers_by_organisation(workshop.id)
    out = []
    for oid, name in workshop.organisations:
        answers = grouped.get(oid, [])
        out.append(OrganisationResult(oid, name, len({a.respondent for a in answers}),
                                      score(bank, answers)))
    return out


def to_csv(bank: Bank, result: OrganisationResult, lang: str) -> str:
    """The organisation's report as CSV: Dutch Excel's ; and decimal comma for nl."""
    delimiter, comma = (";", True) if lang == "nl" else (",", False)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["organisation", "theme_id", "theme", "level", "level_name", "spread",
                     "discuss", "respondents", "answers", "dont_know", "advice"])
    for theme, s in zip(bank.themes, result.scores, strict=True):
        level = s.advice_level
        writer.writerow([
            result.name, theme.id, theme.name(lang), _number(s.level, comma),
            bank.level(level).name(lang) if level else "", _number(s.spread, comma),
            int(s.discuss), s.respondents, s.answers, s.dont_know,
            theme.advice[level](lang) if level else ""])
    return buffer.getvalue()


def _number(value: float | None, comma: bool) -> str:
    if value is None:
        return ""
    text = f"{value:g}"
    return text.replace(".", ",") if comma else text
