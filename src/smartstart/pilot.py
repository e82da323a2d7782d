"""A pilot is one YAML file: the study (what to compute) apart from the paths of this machine.

```yaml
study:
  name: Voedselbank Gilze en Rijen
  gemeente: "0784"                  # or gemeenten: ["0784", "0855"], or regio: hart_van_brabant,
                                    # or gemeenten: all (every municipality of the delivery)
  # per_gemeente: true              # several municipalities: each one's own bundle as well
  peildatum: 2020-01-01
  target_group:
    partner_file: voedselbank       # a name under paths.partner_files
    start_column: startdatum
    end_column: einddatum
    date_format: "%d-%m-%Y"
    window: {start: 2015-01-01, end: 2022-12-31}
  outcome: {name: uithuisplaatsing_of_ots, window_years: 3}
  analyses: [profile, risk, typology, areas]   # and effect, with study.effect (the plan)
  areas: {level: buurt, measure: outcome, select: {top: 3, min_children: 50}}
  disclosure: {min_cell: 10}
  allow_nearest_year: false         # true: a yearly table's missing year -> the nearest one
paths:                              # relative paths are taken from the YAML file's folder
  store: store
  output: results
  partner_files: {voedselbank: cbs/Partner/Voedselbank/voedselbank_klanten.csv}  # .sav, .parquet
```
A separate paths file (``--paths machine.yaml``) may replace the ``paths`` section, so the same
study runs unchanged inside and outside the secure environment.

A target group from several partners' files: the households with a member in any of the files
whose client period overlaps that file's own window (each file keeps its own columns and date
format; a household in more than one file counts once). The report shows the match per file:

```yaml
study:
  target_group:
    partners:
      - partner_file: voedselbank
        start_column: startdatum
        end_column: einddatum
        date_format: "%d-%m-%Y"
        window: {start: 2015-01-01, end: 2022-12-31}
      - partner_file: schuldhulp
        rinpersoons_column: rins
        rinpersoon_column: rin_persoon
        start_column: Begin
        end_column: Eind
        date_format: YYYYMMDD
        window: {start: 2018-01-01, end: 2019-06-30}
    label_nl: huishoudens met geldzorgen
    label_en: households with money worries
paths:
  partner_files: {voedselbank: cbs/Partner/voedselbank.csv, schuldhulp: cbs/Partner/schuld.sav}
```
A household's duration in the target group runs from the first client start of its linked
members in any file to the last client end, each end cut at its own file's window end.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

import yaml
from pydantic import (
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from smartstart._effect_plan import EffectPlan, check_plan
from smartstart._target import (  # the target group's models, re-exported here
    TargetGroup,
    TargetGroups,
    TargetKind,
    TargetRule,
    Window,  # noqa: F401 - used by callers of smartstart.pilot
    _Frozen,
)
from smartstart.errors import problems_of
from smartstart.sources._regions import find_region, load_regions
from smartstart.sources.errors import SourceError

Analysis = Literal["profile", "risk", "typology", "areas", "effect"]
#: analyses the method names but that are not built yet: refused at load, with this reason
NOT_BUILT: dict[str, str] = {}


class OutcomeSpec(_Frozen):
    """The pilot's outcome: a name of the outcome library (``features/outcomes.yaml``, or the
    pilot's own ``study.library``), checked when the run reads the library."""

    name: str = "uithuisplaatsing_of_ots"
    window_years: int = Field(3, ge=1, le=10)
    #: the risk model's predictors; None: the library's default set for this outcome
    predictors: tuple[str, ...] | None = None
    #: migration background or another audit-only attribute as a predictor: only with this flag,
    #: and the model card records it
    allow_sensitive: bool = False


class AreaSelect(_Frozen):
    """Which areas to start in. ``top``: the N with the highest expected (shrunk) rate;
    ``above_municipality``: every area whose interval lies above the municipality's rate (with
    ``top`` as well: at most N of them); neither: the top 3. ``min_children``: only areas with
    at least this many units of the population (children by default) are eligible;
    ``min_schools``: only areas with at least this many schools (needs ``paths.schools``)."""

    top: int | None = Field(None, ge=1)
    above_municipality: bool = False
    min_children: int = Field(0, ge=0)
    min_schools: int = Field(0, ge=0)


class AreasSpec(_Frozen):
    """``study.areas``: the level (``buurt``, ``wijk``, or ``gemeente`` for a pilot of several
    municipalities: results per municipality), the measure ranked (``outcome``: the
    outcome's rate in the pilot's population; ``target_group``: the target group's share of the
    households) and the selection rule."""

    level: Literal["buurt", "wijk", "gemeente"] = "buurt"
    measure: Literal["outcome", "target_group"] = "outcome"
    select: AreaSelect = AreaSelect()


class DisclosureSettings(_Frozen):
    min_cell: int = Field(10, ge=1)
    min_dof: int = Field(10, ge=1)
    dominance_n: int = 2
    dominance_k: float = 0.9
    p_ratio: float = 0.1
    zeros_disclosive: bool = False


class Study(_Frozen):
    """Exactly one of ``gemeente`` (one municipality), ``gemeenten`` (several) or ``regio`` (a
    named region of ``sources/regions.yaml``) names where the pilot runs; ``municipalities``
    is the codes whichever was given, linked in one pass."""

    name: str
    gemeente: str | None = None
    gemeenten: tuple[str, ...] | None = None
    regio: str | None = None
    peildatum: date
    #: who runs the pilot: shown in the report's header and the model card (never a default)
    organisation: str | None = None
    programme: str | None = None
    #: a role or a shared mailbox, not a person's name (the bundle travels)
    contact: str | None = None
    #: the target group: a partner file's clients, a register rule, or none (the whole
    #: population)
    target_group: TargetKind | None = None
    outcome: OutcomeSpec = OutcomeSpec()
    #: whose rows the risk model and the person table hold: a population of the library
    #: (kinderen, jongeren, pasgeborenen, huishoudens, personen; features/populations.yaml)
    population: str = "kinderen"
    #: a folder with the pilot's own factors.yaml and/or outcomes.yaml, added to smartstart's
    #: library (relative to the pilot file's folder)
    library: Path | None = None
    analyses: tuple[Analysis, ...] = ()
    #: the areas analysis (``analyses: [..., areas]``): level, measure and selection rule
    areas: AreasSpec = AreasSpec()
    #: the evaluation plan (``analyses: [..., effect]``; ``_effect_plan.py``)
    effect: EffectPlan | None = None
    disclosure: DisclosureSettings = DisclosureSettings()
    #: when a yearly table lacks the year the run needs, use the nearest delivered year
    #: (recorded in the manifest and the report) instead of stopping
    allow_nearest_year: bool = False
    #: set by the run for ``gemeenten: all`` once the store's codes are filled in
    all_of_store: bool = False
    #: a pilot of several municipalities: also every municipality's own analyses, each in a
    #: bundle of its own (``results/gemeenten/<code>/bundle``), as if it ran alone; the
    #: register checks them together with the region's (``outputs/_sections``)
    per_gemeente: bool = False

    @field_validator("analyses", mode="before")
    @classmethod
    def _built(cls, value: object) -> object:
        names = [value] if isinstance(value, str) else list(value or ())
        refused = [f"{n!r}: {NOT_BUILT[n]}" for n in names if n in NOT_BUILT]
        if refused:
            raise ValueError("; ".join(refused) + "; remove it from study.analyses")
        return value

    @field_validator("gemeente", mode="before")
    @classmethod
    def _gemeente(cls, value: object) -> str | None:
        return None if value is None else _code(value, "gemeente")

    @field_validator("gemeenten", mode="before")
    @classmethod
    def _gemeenten(cls, value: object) -> tuple[str, ...] | None:
        if value is None:
            return None
        if isinstance(value, str) and value.strip().lower() in EVERY_WORDS:
            return EVERY  # every municipality of the delivery, found in the store at run time
        if isinstance(value, str | int):
            value = [value]
        codes = tuple(_code(v, "gemeenten") for v in value)  # type: ignore[union-attr]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if not codes or twice:
            raise ValueError("gemeenten must list at least one municipality, each once"
                             + (f" ({', '.join(twice)} twice)" if twice else ""))
        return codes

    @field_validator("regio", mode="before")
    @classmethod
    def _regio(cls, value: object) -> str | None:
        if value is None:
            return None
        return find_region(str(value))[0]

    @model_validator(mode="after")
    def _profile_needs_a_group(self) -> Study:
        """profile and typology are about the target group: without one, say so when the
        pilot is read, not after the run (typology was withheld at the end; helper-41)."""
        what = {"profile": "compares the target group with the population",
                "typology": "finds the household types of the target group"}
        for analysis, does in what.items():
            if analysis in self.analyses and self.target_group is None:
                raise ValueError(f"the analysis {analysis} {does}: set study.target_group (a "
                                 "partner file, or a register rule such as rule: "
                                 f"main_benefit, level: 3), or remove {analysis} from "
                                 "study.analyses")
        return self

    @model_validator(mode="after")
    def _effect_planned(self) -> Study:
        if "effect" in self.analyses and self.effect is None:
            raise ValueError("the analysis effect needs an evaluation plan: set study.effect "
                             "(start, treated, outcomes; see the README)")
        return self

    @model_validator(mode="after")
    def _one_place(self) -> Study:
        given = [f for f in ("gemeente", "gemeenten", "regio") if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of gemeente, gemeenten or regio"
                             f" (given: {', '.join(given) or 'none'})")
        if self.per_gemeente and self.gemeente is not None:
            raise ValueError("per_gemeente: true needs several municipalities (gemeenten or "
                             "regio); a pilot of one municipality is already per gemeente")
        return self

    def section(self, code: str) -> Study:
        """The study of one municipality's section of a ``per_gemeente`` run: the same
        analyses on that municipality alone (the effect evaluation is the region's)."""
        from smartstart.sources._regions import municipality_names

        return self.model_copy(update={
            "name": f"{self.name}: {municipality_names().get(code, code)}",
            "gemeente": code, "gemeenten": None, "regio": None, "all_of_store": False,
            "per_gemeente": False, "effect": None,
            "analyses": tuple(a for a in self.analyses if a != "effect")})

    @property
    def partner_group(self) -> TargetGroup | None:
        """The target group when it comes from one partner file (None for several, a rule or
        none)."""
        return self.target_group if isinstance(self.target_group, TargetGroup) else None

    @property
    def partner_groups(self) -> tuple[TargetGroup, ...]:
        """Every partner file the target group comes from (empty for a rule or none)."""
        if isinstance(self.target_group, TargetGroups):
            return self.target_group.partners
        return (self.target_group,) if isinstance(self.target_group, TargetGroup) else ()

    @property
    def every_municipality(self) -> bool:
        """``gemeenten: all``, before or after the store's codes were filled in."""
        return self.gemeenten == EVERY or self.all_of_store

    def with_municipalities(self, codes: tuple[str, ...]) -> Study:
        """The study of ``gemeenten: all`` with the codes the store holds filled in."""
        if not codes:
            raise ValueError("gemeenten: all, but the delivery's area table holds no "
                             "municipality")
        return self.model_copy(update={"gemeenten": tuple(codes), "all_of_store": True})

    @property
    def municipalities(self) -> tuple[str, ...]:
        """The pilot's municipality codes (one for ``gemeente``), in the order given."""
        if self.gemeenten == EVERY:
            raise RuntimeError("gemeenten: all is resolved against the store first "
                               "(pipeline.resolve_places)")
        if self.regio is not None:
            return load_regions()[self.regio].codes
        return self.gemeenten if self.gemeenten is not None else (self.gemeente or "",)


#: ``gemeenten: all`` (or ``alle``): every municipality the delivery holds on the peildatum
EVERY_WORDS = ("all", "alle")
EVERY: tuple[str, ...] = ("all",)


def _code(value: object, field: str) -> str:
    text = str(value).strip()
    if not (text.isdigit() and len(text) <= 4):
        raise ValueError(f"{field}: a municipality is a 4-digit CBS code (e.g. 0784), "
                         f"got {value!r}")
    return text.zfill(4)


class Paths(_Frozen):
    store: Path
    output: Path
    partner_files: dict[str, Path] = {}
    #: the CBS wijk- en buurtkaart GeoPackage the user supplies (public; read offline): the
    #: areas' names and the maps
    boundaries: Path | None = None
    #: the school-location file the user supplies (school key, and a buurt code or RD
    #: coordinates): schools per buurt
    schools: Path | None = None
    #: worker processes for a ``per_gemeente`` run's sections (None: at most 2, at most the
    #: machine's cores); each holds one municipality's tables
    workers: int | None = Field(default=None, ge=1)
    #: GiB that DuckDB may hold while linking and building the factor tables, and half of it
    #: beside the work frames after; beyond it, its tables go to a folder in ``output``
    #: (``linking.Database``; the default is ``linking.MEMORY_GIB``, not imported here: it
    #: would load DuckDB with the pilot). More is faster for a national run
    memory_gib: float = Field(default=4.0, ge=0.25)
    #: bundles released before (a region's, its sections, a municipality's run alone) on this
    #: run's peildatum: whoever receives this run's bundle may hold them too, so the run's
    #: counts are registered together with theirs and withheld until no small count is
    #: narrowed down (``outputs.released_counts``)
    released: tuple[Path, ...] = ()

    def resolved(self, base: Path) -> Paths:
        def fix(p: Path) -> Path:
            return p if p.is_absolute() else (base / p)

        return Paths(store=fix(self.store), output=fix(self.output),
                     partner_files={k: fix(v) for k, v in self.partner_files.items()},
                     boundaries=fix(self.boundaries) if self.boundaries else None,
                     schools=fix(self.schools) if self.schools else None,
                     workers=self.workers, memory_gib=self.memory_gib,
                     released=tuple(fix(r) for r in self.released))


class Pilot(_Frozen):
    study: Study
    paths: Paths

    @model_validator(mode="after")
    def _partner_known(self) -> Pilot:
        unknown = [tg.partner_file for tg in self.study.partner_groups
                   if tg.partner_file not in self.paths.partner_files]
        if unknown:
            known = ", ".join(sorted(self.paths.partner_files)) or "none"
            raise ValueError(f"study.target_group: partner_file {', '.join(map(repr, unknown))} "
                             f"not listed under paths.partner_files (listed: {known})")
        effect = self.study.effect
        if effect is not None and effect.treated.group and (
                effect.treated.partner_file not in self.paths.partner_files):
            known = ", ".join(sorted(self.paths.partner_files)) or "none"
            raise ValueError(f"study.effect.treated: partner_file {effect.treated.partner_file!r} "
                             f"not listed under paths.partner_files (listed: {known})")
        return self

    @model_validator(mode="after")
    def _schools_known(self) -> Pilot:
        if self.study.areas.select.min_schools and self.paths.schools is None:
            raise ValueError("study.areas.select.min_schools needs the school-location file: "
                             "set paths.schools (a school key with a buurt code or RD x/y per "
                             "school branch; see the README), or remove min_schools")
        return self


def load_pilot(path: Path | str, paths_file: Path | str | None = None) -> Pilot:
    """Read and validate a pilot YAML; errors name the file and the offending field."""
    path = Path(path)
    raw = _read_yaml(path)
    if paths_file is not None:
        machine = _read_yaml(Path(paths_file))
        # a file of the paths alone (store: ..., output: ...) is read as its paths section
        flat = "paths" not in machine and set(machine) & set(Paths.model_fields)
        raw["paths"] = machine if flat else machine.get("paths")
        base = Path(paths_file).resolve().parent
    else:
        base = path.resolve().parent
    try:
        pilot = Pilot.model_validate(raw)
    except ValidationError as error:
        errors = error.errors()
        if paths_file is not None and errors and all(e["loc"][:1] == ("paths",) for e in errors):
            raise SourceError(f"{paths_file}: invalid paths: {problems_of(error)}",
                              hint="the file holds a 'paths:' section (or only its keys: "
                              "store, output, partner_files, boundaries, schools, workers, "
                              "memory_gib); "
                              "see the README") from None
        raise SourceError(f"{path}: invalid pilot configuration: {problems_of(error)}",
                          hint="see the example pilot in the README") from None
    study = pilot.study
    if study.library is not None and not study.library.is_absolute():
        study = study.model_copy(update={"library": path.resolve().parent / study.library})
    _check_library(study, path)
    return pilot.model_copy(update={"paths": pilot.paths.resolved(base), "study": study})


def _check_library(study: Study, path: Path) -> None:
    """The outcome and predictors the pilot names are in its library (all problems at once)."""
    from smartstart.features._library import load_library, package_library

    lib = load_library(study.library) if study.library is not None else package_library()
    outcome = study.outcome
    if outcome.name not in lib.outcomes:
        raise SourceError(f"{path}: study.outcome.name {outcome.name!r} is not in the outcome "
                          "library", hint="choose one of " + ", ".join(sorted(lib.outcomes))
                          + ", or add it in study.library")
    if study.population not in lib.populations:
        raise SourceError(f"{path}: study.population {study.population!r} is not a population "
                          "of the library", hint="choose one of "
                          + ", ".join(sorted(lib.populations)))
    rule = study.target_group if isinstance(study.target_group, TargetRule) else None
    if rule is not None:
        f = lib.factors.get(rule.rule)
        if f is None or "household" not in f.units or f.type not in ("binary", "category"):
            raise SourceError(f"{path}: study.target_group.rule {rule.rule!r} is not a binary "
                              "or category household factor of the library",
                              hint="name one, such as child_youth_care or main_benefit")
        if f.type == "category" and f.levels and rule.level not in f.levels:
            raise SourceError(f"{path}: study.target_group.level {rule.level!r} is not a level "
                              f"of {rule.rule}", hint="choose one of " + ", ".join(f.levels))
    if study.effect is not None:
        wrong = check_plan(study.effect, study.municipalities, study.regio, lib.outcomes)
        if wrong:
            raise SourceError(f"{path}: study.effect: " + "; ".join(wrong),
                              hint="fix the evaluation plan (see the README)")
    problems = []
    for name in outcome.predictors or ():
        f = lib.factors.get(name)
        if f is None or "child" not in f.units:
            problems.append(f"{name!r} is not a child factor of the library")
        elif f.role == "audit" and not outcome.allow_sensitive:
            problems.append(f"{name!r} is audited for fairness, not a predictor (set "
                            "study.outcome.allow_sensitive: true to use it; the model card "
                            "records it)")
        elif f.role not in ("predictor", "audit"):
            problems.append(f"{name!r} has role {f.role}, not predictor")
    if problems:
        raise SourceError(f"{path}: study.outcome.predictors: " + "; ".join(problems),
                          hint="name factors with role predictor in factors.yaml")


def _read_yaml(path: Path) -> dict:
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        raise SourceError(f"{path}: pilot file not found", hint="check the path") from None
    except yaml.YAMLError as error:
        raise SourceError(f"{path}: not valid YAML ({error})", hint="fix the YAML syntax") from None
    if not isinstance(raw, dict):
        raise SourceError(f"{path}: expected a mapping with 'study' and 'paths'",
                          hint="see the example pilot in the README")
    return raw
