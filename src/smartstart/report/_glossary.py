"""The report's technical appendix: a short glossary (``glossary.yaml``) of the statistical
terms its chapters use. A term is listed when a chapter of the report uses it: when a part
built from one of its ``outputs`` is shown, or when one of its ``sections`` is in the report
(a profile-only pilot has no AUC). Every chapter links to the terms it uses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from smartstart._yaml import safe_load
from smartstart.report._sections import OUTLINE
from smartstart.report._types import LANGS, Appendix, Lang, Section, Term

APPENDIX_ID = "begrippen"


@dataclass(frozen=True)
class Entry:
    """A term as ``glossary.yaml`` states it: where the report uses it, and its words."""

    key: str
    outputs: frozenset[str]
    sections: frozenset[str]
    words: dict  # lang -> {"term": ..., "text": ...}

    @property
    def anchor(self) -> str:
        return f"begrip-{self.key.replace('_', '-')}"

    def used_in(self, section: Section) -> bool:
        return section.id in self.sections or bool(self.outputs & set(section.outputs))


@cache
def glossary() -> tuple[dict, tuple[Entry, ...]]:
    """The appendix's words and every entry of ``glossary.yaml``, checked on first use: each
    names outputs or chapters of the report's outline, and has a name and text per language."""
    data = safe_load(resources.files("smartstart.report").joinpath("glossary.yaml")
                     .read_text("utf-8"))
    entries = tuple(Entry(str(key), frozenset(spec.get("outputs") or ()),
                          frozenset(spec.get("sections") or ()),
                          {lang: spec[lang] for lang in LANGS})
                    for key, spec in data["terms"].items())
    _validate(entries)
    return data["appendix"], entries


def _validate(entries: Sequence[Entry]) -> None:
    outputs = {p.needs for spec in OUTLINE for p in spec.parts if p.needs}
    sections = {spec.id for spec in OUTLINE}
    for entry in entries:
        unknown = (entry.outputs - outputs) | (entry.sections - sections)
        if unknown or not (entry.outputs or entry.sections):
            raise ValueError(f"glossary.yaml: {entry.key} names no part of the report's "
                             f"outline ({sorted(unknown) or 'nothing'})")
        if not all(entry.words[lang].get(k) for lang in LANGS for k in ("term", "text")):
            raise ValueError(f"glossary.yaml: {entry.key} lacks a term or text in a language")


def appendix(sections: Sequence[Section], lang: Lang) -> Appendix | None:
    """The appendix of the terms ``sections`` use, in the alphabetical order of their names,
    with the terms of each section (None: no chapter uses any)."""
    words, entries = glossary()
    used = {s.id: tuple(_term(e, lang) for e in entries if e.used_in(s)) for s in sections}
    terms = sorted({term for mine in used.values() for term in mine},
                   key=lambda term: term.name.casefold())
    if not terms:
        return None
    return Appendix(APPENDIX_ID, words["title"][lang], words["intro"][lang], tuple(terms),
                    {key: mine for key, mine in used.items() if mine})


def _term(entry: Entry, lang: Lang) -> Term:
    words = entry.words[lang]
    return Term(entry.anchor, words["term"], " ".join(words["text"].split()))


def appendix_words(lang: Lang) -> dict[str, str]:
    """The appendix's own words in ``lang`` (its link from the report, a chapter's list)."""
    words, _ = glossary()
    return {key: value[lang] for key, value in words.items()}
