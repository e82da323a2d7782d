"""The report's building blocks: plain data handed from the section builders to the template."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Literal

Lang = Literal["nl", "en"]
LANGS: tuple[Lang, ...] = ("nl", "en")


@dataclass(frozen=True)
class DataTable:
    """A real table: ``rows`` of display strings; the first column heads its row."""

    kind: ClassVar[str] = "table"

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()

    def is_numeric(self, index: int) -> bool:
        return 0 < index < len(self.numeric) and self.numeric[index]


@dataclass(frozen=True)
class Figure:
    """A chart (inline SVG) with its caption, its description and its data as a table."""

    kind: ClassVar[str] = "figure"

    id: str
    caption: str
    label: str
    svg: str
    table: DataTable
    note: str = ""
    #: the Vega-Lite specification the SVG was rendered from (data inline)
    spec: dict = field(default_factory=dict, compare=False, repr=False)
    #: the bundle output the chart is drawn from, when not the one its part needs
    source: str = ""
    #: the same chart laid out for a phone (``report._narrow``): its SVG, shown below 600 px
    #: instead of ``svg``, and the specification it was rendered from (the same data)
    narrow_svg: str = ""
    narrow_spec: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Figures:
    """Key figures shown as a definition list: (term, value, explanation)."""

    kind: ClassVar[str] = "figures"

    items: tuple[tuple[str, str, str], ...]


@dataclass
class Part:
    """A subsection: heading, paragraphs, and any of figures, tables, lists and cards."""

    kind: ClassVar[str] = "part"

    title: str
    id: str = ""
    paragraphs: list[str] = field(default_factory=list)
    blocks: list[object] = field(default_factory=list)
    #: the bundle output the part is built from ("" for none), set by ``_sections.section``
    output: str = ""
    #: the finding's stable key, ``<section id>/<output or part id>``: where a project team's
    #: interpretation (duiding) is kept beside it, in the dashboard and the report
    finding: str = ""


@dataclass(frozen=True)
class Bullets:
    kind: ClassVar[str] = "bullets"
    items: tuple[str, ...]
    intro: str = ""
    ordered: bool = False


@dataclass(frozen=True)
class Text:
    """A paragraph among the blocks of a part (after a table, say)."""

    kind: ClassVar[str] = "text"

    text: str


@dataclass(frozen=True)
class Html:
    """Markup built by the report itself from escaped text (the model card)."""

    kind: ClassVar[str] = "html"

    markup: str


@dataclass(frozen=True)
class Card:
    """A persona card."""

    kind: ClassVar[str] = "card"

    title: str
    facts: tuple[str, ...]
    traits_title: str
    traits: tuple[str, ...]
    questions_title: str
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Cards:
    kind: ClassVar[str] = "cards"
    cards: tuple[Card, ...]


@dataclass(frozen=True)
class Pointer:
    """A line that sends the reader elsewhere in the report (``target``: a section id)."""

    kind: ClassVar[str] = "pointer"

    text: str
    target: str


@dataclass(frozen=True)
class Note:
    """A short notice (a missing or unreadable part), styled apart."""

    kind: ClassVar[str] = "note"

    text: str


@dataclass
class Section:
    kind: ClassVar[str] = "section"
    id: str
    title: str
    intro: list[str] = field(default_factory=list)
    #: Part, or Note where a part is missing or could not be built
    parts: list[object] = field(default_factory=list)
    #: the bundle outputs of the parts shown ("" for a part built from no single output)
    outputs: list[str] = field(default_factory=list)
    #: statistical detail of the chapter, shown in the technical appendix (and its outputs)
    technical: list[object] = field(default_factory=list)
    technical_outputs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TeamNote:
    """A project team's words beside a finding (issue 17: duiding, a question or a story from
    practice), recorded in the dashboard. Never data: it alters no published number."""

    kind: str  # duiding, vraag or verhaal
    text: str
    author: str = ""
    made: str = ""  # the date it was recorded (YYYY-MM-DD)


@dataclass(frozen=True)
class Term:
    """One entry of the glossary: its anchor in the appendix, name and explanation."""

    id: str
    name: str
    text: str


@dataclass(frozen=True)
class Appendix:
    """The technical appendix: the glossary of the terms the report's chapters use, and per
    chapter (section id) the terms it uses, to link to."""

    id: str
    title: str
    intro: str
    terms: tuple[Term, ...]
    used: dict[str, tuple[Term, ...]] = field(default_factory=dict)
