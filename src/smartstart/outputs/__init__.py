"""From microdata to what may leave: run the pilot's analyses and pass each table through the gate.

``publish(study, work)`` runs the analyses the pilot asks for on the run's household and child
tables and returns every output as published (suppressed cells blank) with its verdict and the
rules that ``smartstart check`` applies again. Nothing here suppresses by itself: the tables
are built here, protected in ``disclosure``. Outputs that fail stay out of the bundle and are
listed as withheld.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from smartstart import analyses as A
from smartstart.disclosure import Published, Undeclared, attack_register, register_of
from smartstart.disclosure._sections import in_section, shared_variables
from smartstart.errors import LackOfData
from smartstart.features import factors, identical_levels, nested_levels, person_counts
from smartstart.outputs._areas import areas_step
from smartstart.outputs._compare import publish_comparison
from smartstart.outputs._effect import effect_step
from smartstart.outputs._flow import publish_attrition, publish_duration, publish_match
from smartstart.outputs._steps import risk_step
from smartstart.outputs._types import publish_typology
from smartstart.outputs._work import Work
from smartstart.pilot import Study

TITLES: dict[str, tuple[str, str]] = {
    "attrition": ("Van bestanden naar huishoudens: wat bij elke stap afviel",
                  "From files to households: what each step left out"),
    "match": ("Koppeling van het partnerbestand", "Linking the partner file"),
    # the other households: of the municipality, or of all the region's (helper-44)
    "profile_households": ("De doelgroep vergeleken met de andere huishoudens",
                           "The target group compared with the other households"),
    "duration": ("Hoe lang huishoudens al in de doelgroep zitten",
                 "How long households have been in the target group"),
    "risk_coefficients": ("Risicofactoren: odds ratio's", "Risk factors: odds ratios"),
    "risk_checks": ("Controles van het model", "Model checks"),
    "risk_performance": ("Hoe goed het model onderscheidt", "How well the model discriminates"),
    "risk_calibration": ("Voorspeld en waargenomen per tiende", "Predicted and observed by decile"),
    "combinations": ("Combinaties van risicofactoren", "Combinations of risk factors"),
    "high_risk_profile": ("De hoogrisicogroep vergeleken met de andere kinderen",
                          "The high-risk group compared with the other children"),
    "fairness_metrics": ("Prestaties per groep", "Performance by group"),
    "fairness_disparities": ("Verschillen tussen groepen", "Differences between groups"),
    "fairness_proxies": ("Verborgen kenmerken (proxy's)", "Hidden attributes (proxies)"),
    "typology_types": ("Huishoudtypen", "Household types"),
    "typology_profile": ("Profiel per huishoudtype", "Profile by household type"),
    "typology_overview": ("Huishoudtypen in één overzicht", "Household types at a glance"),
    "typology_overview_en": ("Huishoudtypen in één overzicht (Engels)",
                             "Household types at a glance (English)"),
    "typology_selection": ("Keuze van het aantal typen", "Choosing the number of types"),
    "typology_actions": ("Kleine typen", "Small types"),
    "typology_robustness": ("Controle met een tweede methode", "Check with a second method"),
    "typology_personas": ("Persona's", "Personas"),
    "profile": ("Profiel van de doelgroep", "Profile of the target group"),
    "risk": ("Risicomodel", "Risk model"),
    "typology": ("Huishoudtypen", "Household types"),
    "areas_households": ("Huishoudens en doelgroep per gebied",
                         "Households and target group by area"),
    "areas_children": ("Uitkomst en risicofactoren per gebied",
                       "Outcome and risk factors by area"),
    "areas_residents": ("Inwoners per gebied", "Residents by area"),
    "areas_schools": ("Scholen en hun leerlingen per gebied", "Schools and their pupils by area"),
    "areas": ("Waar beginnen we?", "Where to start?"),
    "effect_estimates": ("Het effect met zijn interval", "The effect with its interval"),
    "effect_event_study": ("Het effect per jaar sinds de start",
                           "The effect per year since the start"),
    "effect_placebo": ("Schijneffecten in vergelijkingsbuurten (kwantielen)",
                       "Placebo effects in comparison buurten (quantiles)"),
    "effect_inference": ("Waar de evaluatie op rust", "What the evaluation rests on"),
    "effect": ("Werkt het?", "Does it work?"),
}


@dataclass
class Outputs:
    """Everything a run publishes: tables that passed, texts, and what was withheld and why."""

    tables: list[Published] = field(default_factory=list)
    texts: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    withheld: list[tuple[str, str]] = field(default_factory=list)
    variables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: analyses that could not run for lack of data: (analysis, typed reason, detail)
    lacking: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, published: Published, variables: tuple[str, ...] = ()) -> bool:
        name = published.record.name
        if published.record.status != "pass":
            failed = [c.rule for c in published.record.checks if c.status != "pass"]
            self.withheld.append((name, ", ".join(failed)))
            return False
        self.tables.append(published)
        self.variables[name] = variables
        return True

    def names(self) -> set[str]:
        return {p.record.name for p in self.tables}


def publish(study: Study, work: Work, progress: Callable[[str], None] = lambda _: None,
            *, flow: bool = True, released: Released | None = None,
            beside: Callable | None = None) -> Outputs:
    """``flow``: the linking's attrition and the partner file's match too (False for one
    municipality's section of a region run: those are the region's, ``_sections``).
    ``released``: the counts of bundles released before (``released_counts``), registered
    together with this run's. ``beside``: submits a job to a spawned worker
    (``ProcessPoolExecutor.submit``): the household types are found there while this process
    runs the steps after them, and take their place among the outputs as if run in turn."""
    s, out = study.disclosure, Outputs()
    if flow:
        progress("koppeling")
        out.add(publish_attrition(work.attrition, s))
        if work.match is not None:
            out.add(publish_match(work.match, s))
    steps = (("profile", "profiel van de doelgroep", _profile),
             ("risk", "risicomodel, combinaties en fairness", risk_step),
             ("typology", "huishoudtypen", _typology),
             ("areas", "waar beginnen we", areas_step),
             ("effect", "werkt het", effect_step))
    pending = None
    for analysis, label, step in steps:
        if analysis not in study.analyses:
            continue
        progress(label)
        if analysis == "typology" and beside is not None and study.target_group is not None:
            pending = (_marks(out), beside(typology_beside, study.model_dump(mode="json"),
                                           study.library, work.households,
                                           *_public_sets(out)))
            continue
        _step(analysis, step, study, work, out)
    if pending is not None:
        progress("huishoudtypen")
        marks, future = pending
        _insert(out, marks, future.result())
    progress("alle uitkomsten samen")
    _register(out, s, released)
    return out


def _step(analysis: str, step: Callable, study: Study, work: Work, out: Outputs) -> None:
    try:
        step(study, work, out)
    except LackOfData as lack:
        # too little data for the analysis (a named lack, never a bug: anything else
        # propagates and fails the run): nothing of it leaves, the report says why
        out.withheld.append((analysis, f"analyse niet uitgevoerd: {lack}"))
        out.lacking.append((analysis, lack.reason, lack.detail))


def typology_beside(study: dict, library: Path | None, households, levels: frozenset,
                    binary: frozenset) -> Outputs:
    """A worker's entry: the household types' outputs, through the gate, as ``_typology``
    makes them after the steps before it (their published levels: ``levels``, ``binary``)."""
    from smartstart.features import using

    with using(library):
        study_ = Study.model_validate(study)
        out = Outputs()
        work = Work(households, households.iloc[:0], None, None, None)
        _step("typology", lambda st, w, o: _typology(st, w, o, _public_from(levels, binary)),
              study_, work, out)
        return out


def _marks(out: Outputs) -> tuple[int, int, int, int]:
    return len(out.tables), len(out.withheld), len(out.lacking), len(out.texts)


def _insert(out: Outputs, marks: tuple[int, int, int, int], part: Outputs) -> None:
    """``part``'s outputs where they would be had its step run at ``marks``."""
    tables, withheld, lacking, texts = marks
    out.tables[tables:tables] = part.tables
    out.withheld[withheld:withheld] = part.withheld
    out.lacking[lacking:lacking] = part.lacking
    items = list(out.texts.items())
    out.texts.clear()
    out.texts.update([*items[:texts], *part.texts.items(), *items[texts:]])
    out.variables.update(part.variables)


#: the rule an output withheld by the register fails (its words: report/text.yaml)
REGISTER = "register"


def _register(out: Outputs, settings: object, released: Released | None = None) -> None:
    """Every output's counts together (the register), for one bundle (and the bundles
    released before, ``released``)."""
    key = released.own if released is not None else None
    register_together({key: out}, settings, released)


@dataclass(frozen=True)
class Released:
    """The counts of bundles released before a run (``paths.released``), as statements of
    the run's register: ``own`` is the key of the run's outputs there (None, or the
    municipality's code when the run is one municipality of a released region's)."""

    statements: tuple
    own: str | None
    names: tuple[str, ...]


def released_counts(roots: tuple[Path, ...], codes: tuple[str, ...], peildatum: str,
                    settings: object) -> Released | None:
    """The counting tables of bundles released before, read as the register of this run
    (``codes`` on ``peildatum``) reads them: a region's bundle as it is, a municipality's as
    its section (``in_section``). A bundle about none of this run's municipalities shares no
    units with it and is left out. Every bundle of another peildatum, or of a region that is
    not this run's but shares a municipality with it, is an error (its units are not this
    run's), all named at once; so is a folder that is not a bundle."""
    from smartstart.bundle import verify_files
    from smartstart.bundle._check import _counting
    from smartstart.sources.errors import SourceError

    if not roots:
        return None
    missing = [f"{root}: not a bundle (no manifest.json)" for root in roots
               if not (Path(root) / "manifest.json").is_file()]
    if missing:
        raise SourceError("paths.released: " + "; ".join(missing),
                          hint="name the bundle folders themselves (…/bundle)")
    # the numbers as they left: a bundle changed since (a file edited, added or gone) is not
    # what an attacker holds, so checking against it proves nothing
    changed = [f"{root}: {p.where}: {p.problem}" for root in roots
               for p in verify_files(Path(root))]
    if changed:
        raise SourceError("paths.released: bundles that are not as they were released: "
                          + "; ".join(changed),
                          hint="copy each bundle again from where it was released "
                          "(smartstart check BUNDLE says what changed)")
    read = [_counting(Path(root)) for root in roots]
    problems = [f"{root}: peildatum {date}, this run's is {peildatum}"
                for root, _, date, _, _ in read if date != peildatum]
    regions = {tuple(sorted(c)) for _, c, _, _, _ in read if len(c) > 1}
    frame = tuple(sorted(codes)) if len(codes) > 1 else next(
        (r for r in regions if codes[0] in r), tuple(codes))
    problems += [f"{root}: the region {', '.join(c)}, this run's is {', '.join(frame)}"
                 for root, c, _, _, _ in read
                 if len(c) > 1 and tuple(sorted(c)) != frame and set(c) & set(frame)]
    if problems:
        raise SourceError("paths.released: bundles whose units are not this run's: "
                          + "; ".join(problems),
                          hint="list only bundles of this run's municipalities on its "
                          "peildatum (a region's bundle, its sections, runs of its "
                          "municipalities alone)")
    shared, statements, names, unread = shared_variables(), [], [], []
    for root, c, _, _, entries in read:
        if not set(c) & set(frame):
            continue
        try:
            found = register_of(entries, settings)
        except Undeclared as error:
            unread.append(f"{root}: {error}")
            continue
        statements += found if len(frame) == 1 or len(c) > 1 else [
            in_section(st, c[0], shared) for st in found]
        names.append(str(root))
    if unread:
        raise SourceError("paths.released: bundles whose counts cannot be read: "
                          + "; ".join(unread),
                          hint="smartstart check BUNDLE says what is wrong with each; list "
                          "only bundles this version of smartstart made")
    own = codes[0] if len(codes) == 1 and len(frame) > 1 else None
    return Released(tuple(statements), own, tuple(names))


def register_together(parts: Mapping[str | None, Outputs], settings: object,
                      released: Released | None = None) -> None:
    """Every output's counts of every part together (the register): while a blank count is
    narrowed down by all published counts, an output about the same units is withheld (rule
    ``register``): the last one whose absence alone ends the narrowing, else the last one.
    ``parts``: the run's own outputs (key None) and, in a region run, each municipality's
    section (key: its code), whose counts are about that municipality's units only.
    ``released``: counts of bundles released before, known to the attacker and never
    withheld; when they narrow a count down by themselves no output of this run can help,
    and that is an error."""
    from smartstart.sources.errors import SourceError

    said: dict[int, list] = {}  # each table's statements, read once for the whole loop
    fixed = list(released.statements) if released is not None else []
    if fixed:
        alone = [f for f in attack_register(fixed, identical_levels(), settings,
                                            nested_levels()) if f.narrowed]
        if alone:
            raise SourceError(
                f"paths.released: the released bundles together already narrow down "
                f"{len(alone)} small count(s), e.g. {alone[0].statement.where} to "
                f"[{alone[0].lower:g}, {alone[0].upper:g}]",
                hint="smartstart check on those bundles together names the counts; this run "
                "cannot undo what was released")
    while True:
        held = [(code, p) for code, out in parts.items() for p in out.tables]
        findings = _findings(held, settings, said, fixed)
        narrowed = [f for f in findings if f.narrowed]
        if not narrowed:
            return
        unit = narrowed[0].statement.unit
        candidates = [(code, p) for code, p in reversed(held) if _unit(p) == unit]
        if {f.statement.unit for f in narrowed} != {unit}:
            # another unit is narrowed too: no one table of this unit ends that, so none
            # ends "the narrowing", and the last one goes
            _withhold(parts[candidates[0][0]], candidates[0][1])
            continue
        # statements about other units never constrain these: only this unit's tables are
        # attacked again for each candidate (the same answer, a fraction of the LPs); and only
        # the candidates that bind every narrowed bound (``Finding.binding``): without any
        # other, that bound stays where it is, so trying it cannot end the narrowing. Without
        # a candidate every interval is as wide or wider: only the narrowed counts and those
        # pinned at 0 (not narrowed while 0, ``_attack_unit``) can be narrowed then, and only
        # they are bounded again. So a candidate whose try ends the narrowing leaves nothing
        # narrowed in the whole register (no other unit had any): withheld, the loop ends
        # without a whole attack more. When none does, the last one goes and the loop attacks
        # everything again.
        mine = [q for q in held if _unit(q[1]) == unit]
        again = frozenset(f.statement.where for f in findings
                          if f.statement.unit == unit and (f.narrowed or f.upper <= 0))
        ends = next((c for c in candidates if _binds(c, narrowed)
                     and not _narrowed([q for q in mine if q[1] is not c[1]], settings, said,
                                       fixed, again)), None)
        code, last = ends or candidates[0]
        _withhold(parts[code], last)
        if ends is not None:
            return


def _binds(candidate: tuple[str | None, Published], narrowed: list) -> bool:
    """Whether the output binds every narrowed count's narrowed bound(s), by its name in the
    register (a section's with its municipality's code)."""
    name = _named(*candidate)
    return all(f.binding is None or name in f.binding for f in narrowed)


def _named(code: str | None, p: Published) -> str:
    """An output's name in the register: a section's with its municipality's code."""
    return p.record.name if code is None else f"{p.record.name}@{code}"


def _unit(published: Published) -> str | None:
    return published.rules.cells.get("unit") if published.rules.cells else None


def _withhold(out: Outputs, last: Published) -> None:
    out.tables.remove(last)
    out.variables.pop(last.record.name, None)
    out.withheld.append((last.record.name, REGISTER))
    # a text that rests on it (the model card on the fairness audit) goes with it
    for name, (_, based_on) in list(out.texts.items()):
        if last.record.name in based_on:
            del out.texts[name]
            out.withheld.append((name, REGISTER))


def _narrowed(held: list[tuple[str | None, Published]], settings: object,
              said: dict[int, list] | None = None, fixed: list | None = None,
              only: frozenset[str] | None = None) -> list:
    """The narrowed small counts of the register of ``held`` (``only``: of these counts)."""
    return [f for f in _findings(held, settings, said, fixed, only) if f.narrowed]


def _findings(held: list[tuple[str | None, Published]], settings: object,
              said: dict[int, list] | None = None, fixed: list | None = None,
              only: frozenset[str] | None = None) -> list:
    statements, shared, said = list(fixed or ()), shared_variables(), {} if said is None else said
    for code, p in held:
        if id(p) not in said:
            found = register_of([(_named(code, p), p.frame, p.rules.cells,
                                  {(r, c): label for r, c, label in p.record.shown})], settings)
            said[id(p)] = found if code is None else [in_section(st, code, shared)
                                                      for st in found]
        statements += said[id(p)]
    return attack_register(statements, identical_levels(), settings, nested_levels(),
                           only=only)


def _profile(study: Study, work: Work, out: Outputs) -> None:
    tg = study.target_group
    # buurt is left to the areas analysis: its buurten add up to their wijk, a hierarchy a
    # per-factor table cannot protect (a buurt would be its wijk minus the other buurten)
    # the municipality only when the pilot has several (results per municipality), and then
    # not its wijken: a wijk lies in one municipality, a hierarchy a per-factor table cannot
    # protect (like the buurten in their wijk)
    place = "wijk" if len(study.municipalities) == 1 else "gemeente"
    # no mean of a count of persons (household size, children under 18): the mean times its
    # n is the number of persons or children of the group, a count of another unit that the
    # register cannot join to the areas' counts of residents and children (a red team took
    # a section's children, 661, less the region's children per wijk: a hidden wijk's 9)
    names = tuple(n for n in factors()["household"] if n in work.households
                  and n not in ({"wijk", "gemeente", "buurt"} - {place}) and n != "target_group"
                  and n not in person_counts())
    spec = A.ProfileSpec(unit="household", factors=names,
                         label_nl=tg.label_nl if tg else "doelgroep",
                         label_en=tg.label_en if tg else "target group")
    result = A.profile(work.households, spec)
    out.add(publish_comparison("profile_households", result.table, work.households,
                               "target_group", study.disclosure),
            tuple(result.table["factor"].unique()) + ("target_group",))
    if work.durations is not None and len(work.durations):
        days = work.durations.rename("duration").to_frame()
        out.add(publish_duration(A.duration_breakdown(days), study.disclosure),
                ("target_group", "duration"))


def _public_levels(out: Outputs) -> Callable[[str, str], bool]:
    """Which levels' counts in the target group the published target-group profile shows (a
    binary factor's "no" is its total minus "yes", so it is shown when "yes" is)."""
    return _public_from(*_public_sets(out))


def _public_sets(out: Outputs) -> tuple[frozenset, frozenset]:
    """The shown (factor, level) pairs and binary factors of the target-group profile."""
    profile = next((p.frame for p in out.tables if p.record.name == "profile_households"), None)
    if profile is None:
        return frozenset(), frozenset()
    shown = profile[profile["count_target"].notna()]
    levels = {(str(f), str(lv)) for f, lv in zip(shown["factor"], shown["level"], strict=True)}
    binary = set(shown.loc[shown["type"] == "binary", "factor"].astype(str))
    return frozenset(levels), frozenset(binary)


def _public_from(levels: frozenset, binary: frozenset) -> Callable[[str, str], bool]:
    return lambda factor, level: (factor, level) in levels or (
        factor in binary and level in ("True", "False"))


def _typology(study: Study, work: Work, out: Outputs,
              public: Callable[[str, str], bool] | None = None) -> None:
    tg = study.target_group
    if tg is None:
        out.withheld.append(("typology", "geen doelgroep ingesteld"))
        return
    spec = A.TypologySpec(min_size=study.disclosure.min_cell, label_nl=tg.label_nl,
                          label_en=tg.label_en)
    households = work.households.drop(columns=["household"], errors="ignore")
    result = A.typology(households, spec)
    public = _public_levels(out) if public is None else public
    for published in publish_typology(result, study.disclosure, public):
        out.add(published, result.factors)
    if "typology_profile" in out.names():
        out.texts["typology_caution_nl"] = (result.caution_nl, ("typology_profile",))
        out.texts["typology_caution_en"] = (result.caution_en, ("typology_profile",))
