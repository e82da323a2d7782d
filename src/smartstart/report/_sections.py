"""The report's outline: which bundle outputs feed which section, in one place, and the
builders that turn them into sections. A part whose outputs are absent is left out; a section
with none of its outputs says so; what the manifest lists as withheld is said in the section it
belongs to (``owns``); a part whose table lacks a column says what is missing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from smartstart.report import (
    _areas,
    _disclosure,
    _effect,
    _fairness,
    _pilot,
    _risk,
    _summary,
    _typology,
)
from smartstart.report._source import Source, broken
from smartstart.report._text import t, term, texts
from smartstart.report._types import Lang, Note, Part, Pointer, Section

Builder = Callable[[Source, Lang], Part | None]  # None: nothing to show (an empty table)


@dataclass(frozen=True)
class PartSpec:
    needs: str  # the bundle output the part is built from ("{lang}" is filled in)
    build: Builder
    #: statistical detail (odds ratios, AUC, calibration, fairness metrics, the choice of the
    #: number of types): shown in the technical appendix, the chapter points to it (issue 17:
    #: the main text for people, the technique in an appendix)
    technical: bool = False


@dataclass(frozen=True)
class SectionSpec:
    id: str
    title: str  # key in text.yaml
    intro: str
    parts: tuple[PartSpec, ...]
    owns: tuple[str, ...] = ()  # withheld outputs (or analyses) starting with these belong here
    #: the analysis of study.analyses the section reports (None: always shown); a section the
    #: pilot did not ask for is left out of the report
    asked: str | None = None


OUTLINE: tuple[SectionSpec, ...] = (
    # the Kernboodschap first: what the data says, from the published numbers (issue 17)
    SectionSpec("kernboodschap", "sum_title", "sum_intro", (PartSpec("", _summary.summary),)),
    SectionSpec("pilot", "s1_title", "s1_intro", (
        PartSpec("attrition", _pilot.attrition),
        PartSpec("match", _pilot.match)), ("attrition", "match")),
    SectionSpec("doelgroep", "s2_title", "s2_intro", (
        PartSpec("profile_households", _pilot.profile),
        PartSpec("duration", _pilot.duration)), ("profile", "duration"), "profile"),
    # where to start comes early: the method first finds where problems are to be expected
    SectionSpec("gebieden", "s6_title", "s6_intro", (
        PartSpec("areas_children", _areas.ranking),
        PartSpec("areas_children", _areas.choice),
        PartSpec("areas_children", _areas.factors)), ("areas",), "areas"),
    SectionSpec("risico", "s3_title", "s3_intro", (
        PartSpec("combinations", _risk.combinations),
        PartSpec("high_risk_profile", _risk.high_risk),
        PartSpec("risk_coefficients", _risk.odds_ratios, technical=True),
        PartSpec("risk_performance", _risk.performance, technical=True),
        PartSpec("risk_calibration", _risk.calibration, technical=True),
        PartSpec("fairness_metrics", _fairness.fairness, technical=True),
        PartSpec("model_card_{lang}", _fairness.model_card, technical=True)),
        ("risk", "combinations", "high_risk", "fairness", "model_card"), "risk"),
    SectionSpec("typen", "s4_title", "s4_intro", (
        PartSpec("typology_types", _typology.type_sizes),
        PartSpec("typology_personas", _typology.personas),
        PartSpec("typology_overview", _typology.overview),
        PartSpec("typology_selection", _typology.method, technical=True)), ("typology",),
        "typology"),
    # did it work: the monitor and the evaluation, after the design (issue 15)
    SectionSpec("werkt-het", "s7_title", "s7_intro", (
        PartSpec("effect_inference", _effect.monitor),
        PartSpec("effect_estimates", _effect.estimate),
        PartSpec("effect_inference", _effect.power),
        PartSpec("effect_event_study", _effect.event_study)), ("effect",), "effect"),
    SectionSpec("controle", "s5_title", "s5_intro", (
        PartSpec("", _disclosure.settings),
        PartSpec("", _disclosure.not_in_bundle))),
)


def sections(src: Source, lang: Lang) -> list[Section]:
    """The report's sections: those the pilot asked for (study.analyses), and the others; the
    technical appendix with the chapters' statistical detail, when there is any, before the
    output check (which the checker reads last)."""
    asked = set(src.pilot.get("analyses") or ())
    chapters = [section(spec, src, lang) for spec in OUTLINE
                if spec.asked is None or spec.asked in asked]
    annex = technical_appendix(chapters, lang)
    if annex is None:
        return chapters
    at = next((i for i, c in enumerate(chapters) if c.id == "controle"), len(chapters))
    return [*chapters[:at], annex, *chapters[at:]]


#: the technical appendix's section id (its link target from the chapters)
TECHNICAL = "techniek"


def technical_appendix(chapters: list[Section], lang: Lang) -> Section | None:
    """The chapters' technical parts under one heading, each titled with its chapter."""
    parts, outputs = [], []
    for chapter in chapters:
        for part in chapter.technical:
            if isinstance(part, Part):
                part = replace(part, title=t("tech_part", lang, chapter=chapter.title,
                                                 part=part.title))
            parts.append(part)
        outputs += chapter.technical_outputs
    if not parts:
        return None
    return Section(TECHNICAL, t("tech_title", lang), [t("tech_intro", lang)], parts, outputs)


def _missing(src: Source, names: str, lang: Lang) -> str:
    """Why a chapter's outputs are absent: in a municipality's section of a region run, the
    region's bundle holds the linking (``section_of``); the section's note names no output
    (helper-44: "(attrition, match)" and an effect evaluation no one asked for)."""
    region = src.bundle.manifest.get("section_of")
    if isinstance(region, dict):
        place = region.get("place_words") or {}
        where = place.get(lang) if isinstance(place, dict) else None
        key = ("missing_section_linking"
               if set(names.split(", ")) <= {"attrition", "match"} else "missing_section")
        return t(key, lang, region=str(where or region.get("name") or "?"))
    return t("missing", lang, names=names)


def section(spec: SectionSpec, src: Source, lang: Lang) -> Section:
    words = {"target": _target(src, lang), "outcome": _outcome(src, lang),
             "population": _population(src, lang),
             "whole": term("whole", _pilot.whole(src), lang)}
    intro = spec.intro
    if f"{intro}_no_partner" in texts() and not _has_partner(src):
        intro = f"{intro}_no_partner"
    if f"{intro}_group" in texts() and _effect.is_group(src):  # a treated group's words
        intro = f"{intro}_group"
    if f"{intro}_planned" in texts() and _effect.is_planned(src):  # before the start
        intro = f"{intro}_planned"
    result = Section(spec.id, t(spec.title, lang, **words), [t(intro, lang, **words)])
    present = [p for p in spec.parts if not p.needs or src.has(p.needs.format(lang=lang))]
    result.parts.extend(_disclosure.notices(src, spec.owns, lang))
    if not present:
        if not result.parts:
            names = ", ".join(dict.fromkeys(p.needs.format(lang=lang) for p in spec.parts))
            result.parts.append(Note(_missing(src, names, lang)))
        return result
    for part in present:
        try:
            built = part.build(src, lang)
        except KeyError as error:
            built = broken(error, lang)
        if built is None:
            continue
        if isinstance(built, Part):
            built.output = built.output or part.needs.format(lang=lang)
            built.finding = finding_key(spec.id, part.needs.replace("_{lang}", ""), built.id)
        if part.technical:
            result.technical.append(built)
            result.technical_outputs.append(part.needs.format(lang=lang))
        else:
            result.parts.append(built)
            result.outputs.append(part.needs.format(lang=lang))
    if result.technical:
        result.parts.append(Pointer(t("tech_moved", lang), TECHNICAL))
    return result


def finding_key(section_id: str, output: str, part_id: str) -> str:
    """A finding's stable key across languages and runs: its section, the bundle output it is
    built from (without its language) and the part's own id (one output feeds several parts)."""
    return "/".join(x for x in (section_id, output, part_id) if x)


def _has_partner(src: Source) -> bool:
    """Whether the pilot's target group comes from one or more partners' files."""
    group = src.pilot.get("target_group") or {}
    return isinstance(group, dict) and bool(group.get("partner_file") or group.get("partners"))


def _outcome(src: Source, lang: Lang) -> str:
    """The pilot's outcome in words, as the bundle states them (the library's words)."""
    outcome = src.pilot.get("outcome") or {}
    words = outcome.get(lang) if isinstance(outcome, dict) else None
    return str(words or t("outcome_default", lang))


def _population(src: Source, lang: Lang) -> str:
    """The pilot's population in words (``kinderen``), as the bundle states them."""
    words = src.pilot.get("population_words") or {}
    return str(words.get(f"{lang}_short") or t("population_default", lang))


def _target(src: Source, lang: Lang) -> str:
    group = src.pilot.get("target_group") or {}
    return str(group.get(f"label_{lang}") or t("target", lang).lower())
