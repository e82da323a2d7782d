"""``study.effect``: the evaluation plan, written down before the results are seen.

```yaml
study:
  analyses: [effect]
  effect:
    start: 2019                     # the first year the intervention runs (1 January)
    treated: {buurten: ["07840103", "07840303", "07840401"]}   # everyone in these buurten
    outcomes: [jeugdhulp]           # outcomes of the library (a household outcome: an event
                                    # of anyone in the household on 1 January)
    ages: [0, 17]                   # the unit: residents of these ages on 1 January, by the
                                    # buurt of their address that day; the outcome: at least one
                                    # event that calendar year
    pool: region                    # comparison buurten: of the pilot's region, or: delivery
    estimator: imputation           # DiD by imputation (Borusyak et al.), or twfe (two-way FE)
    synthetic: true                 # synthetic DiD beside it, as a second opinion
    inference: permutation          # treatment reassigned to as many comparison buurten
    alternative: two-sided          # or less (the intervention lowers the rate), greater
    alpha: 0.05
    years: [2012, 2022]             # optional: every year the delivery covers
    min_units: 20                   # a comparison buurt needs this many units every year
```

Or a treated group from a partner file (a programme's clients, each from their own start):

```yaml
  effect:
    start: 2016                     # the programme's first year: clients who started before
                                    # it are left out (counted)
    treated:
      partner_file: gezinscoach     # a name under paths.partner_files
      start_column: startdatum      # each client's start (the year it falls in: event time 0)
      date_format: "%d-%m-%Y"
      household: true               # also the members of the client's household that day
    outcomes: [jeugdhulp]
    ages: [0, 17]
    inference: cluster              # standard errors clustered by household (many treated
                                    # households); permutation is for treated buurten
```

Before the start, with candidate buurten (from the areas analysis) and a ``start`` after the
delivery's last year, the run gives the power before the start: the minimum detectable effect
over the planned years up to ``years[1]`` (years after the delivery are planned, not read;
without ``years``, three years from the start).

The group's comparison is every other resident of the pilot's municipalities of the plan's ages
(``pool`` is for buurten only): person and birth-year x year fixed effects, the imputation
estimator (Borusyak et al.) with staggered starts, see ``analyses/_effect_group.py``.

The plan's hash (``plan_hash``: sha256 of its canonical JSON, keys sorted) is recorded in the
bundle, so that a plan changed after the results were seen shows.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Pool = Literal["region", "delivery"]
Estimator = Literal["imputation", "twfe"]
Inference = Literal["permutation", "cluster"]
Alternative = Literal["two-sided", "less", "greater"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Treated(_Frozen):
    """Who is treated: everyone living in the named buurten (8-digit CBS buurt codes), or a
    partner file's clients (``partner_file``, a name under ``paths.partner_files``), each from
    the year of their own start, with (``household``) the members of their household on that
    day. The file's columns as for a target group (``linking/_partner.py``)."""

    buurten: tuple[str, ...] | None = None
    partner_file: str | None = None
    rinpersoons_column: str = "RINPERSOONS"
    rinpersoon_column: str = "RINPERSOON"
    start_column: str = "startdatum"
    date_format: str = "%d-%m-%Y"
    household: bool = True

    @field_validator("buurten", mode="before")
    @classmethod
    def _codes(cls, value: object) -> tuple[str, ...] | None:
        if value is None:
            return None
        items = [value] if isinstance(value, str | int) else list(value)  # type: ignore[arg-type]
        codes = tuple(str(v).strip() for v in items)
        bad = [c for c in codes if not (c.isdigit() and len(c) == 8)]
        if bad:
            raise ValueError("a buurt is an 8-digit CBS buurt code (gemeente, wijk, buurt: "
                             f"07840103), got {', '.join(map(repr, bad))}")
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if not codes or twice:
            raise ValueError("treated.buurten must list at least one buurt, each once"
                             + (f" ({', '.join(twice)} twice)" if twice else ""))
        return codes

    @model_validator(mode="after")
    def _one(self) -> Treated:
        if (self.buurten is None) == (self.partner_file is None):
            raise ValueError("treated: give buurten (everyone living there) or partner_file, "
                             "not both and not neither")
        return self

    @property
    def group(self) -> bool:
        """A treated group of persons (a partner file), not buurten."""
        return self.partner_file is not None


class EffectPlan(_Frozen):
    """The evaluation plan (see the module's docstring)."""

    start: int = Field(ge=1995, le=2100)
    treated: Treated
    outcomes: tuple[str, ...] = Field(min_length=1)
    ages: tuple[int, int] = (0, 17)
    pool: Pool = "region"
    estimator: Estimator = "imputation"
    synthetic: bool = True
    #: permutation (treated buurten) or cluster (a treated group: standard errors clustered by
    #: household); when not given, the one that fits the treated
    inference: Inference = "permutation"
    alternative: Alternative = "two-sided"
    alpha: float = Field(0.05, gt=0, lt=0.5)
    permutations: int = Field(5000, ge=100)
    #: years the start is moved back for the placebo in time
    placebo_shift: int = Field(2, ge=1)
    years: tuple[int, int] | None = None
    min_units: int = Field(20, ge=1)

    @field_validator("outcomes", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        items = [value] if isinstance(value, str) else list(value or ())  # type: ignore[call-overload]
        twice = sorted({o for o in items if items.count(o) > 1})
        if twice:
            raise ValueError(f"outcomes: {', '.join(twice)} named twice")
        return items

    @model_validator(mode="before")
    @classmethod
    def _inference(cls, data: object) -> object:
        """Without ``inference``, a treated group gets cluster (the hash of a buurten plan is
        unchanged by this default)."""
        if isinstance(data, dict) and "inference" not in data:
            treated = data.get("treated")
            if isinstance(treated, dict) and treated.get("partner_file") is not None:
                return {**data, "inference": "cluster"}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> EffectPlan:
        low, high = self.ages
        if not 0 <= low <= high <= 120:
            raise ValueError(f"ages: [youngest, oldest] within 0-120, got [{low}, {high}]")
        if self.inference == "cluster" and not self.treated.group:
            raise ValueError("inference: cluster with treated buurten: with one to three "
                             "treated buurten clustered standard errors reject a true null "
                             "far too often (12-63 % instead of 5 %); use permutation")
        if self.inference == "permutation" and self.treated.group:
            raise ValueError("inference: permutation with a treated group: reassigning a "
                             "partner's clients to other residents is not built; use cluster "
                             "(standard errors clustered by household, valid with many "
                             "treated households)")
        if self.years is not None:
            first, last = self.years
            if not first < self.start <= last:
                raise ValueError(f"years [{first}, {last}] must hold years before the start "
                                 f"({self.start}) and the start itself")
        return self

    def canonical(self) -> str:
        """The plan as canonical JSON (keys sorted, no spaces): what the hash is of."""
        return canonical_json(self.model_dump(mode="json"))

    def plan_hash(self) -> str:
        return hash_of(self.model_dump(mode="json"))


#: the key under which the bundle records the plan's hash, beside the plan
HASH_KEY = "plan_sha256"


def canonical_json(plan: dict) -> str:
    return json.dumps({k: v for k, v in plan.items() if k != HASH_KEY}, sort_keys=True,
                      separators=(",", ":"))


def hash_of(plan: dict) -> str:
    """sha256 of a plan as the manifest holds it (``model_dump(mode="json")``), its recorded
    hash left out: what ``smartstart check`` recomputes."""
    return hashlib.sha256(canonical_json(plan).encode("utf-8")).hexdigest()


def check_plan(plan: EffectPlan, municipalities: tuple[str, ...], regio: str | None,
               outcomes: dict) -> list[str]:
    """What the plan asks that this pilot cannot give (empty: sound): treated buurten outside
    the pilot's municipalities, outcomes the library lacks, a region pool without a region.
    Every outcome of the library counts per year: a person's own events, and for a household
    outcome (debts, entry into bijstand) also those of anyone in the person's household on
    1 January; an entry outcome counts the starts of its spells in the year."""
    problems = []
    outside = [b for b in plan.treated.buurten or () if b[:4] not in municipalities]
    if outside:
        problems.append(f"treated buurten {', '.join(outside)} lie outside the pilot's "
                        f"municipalities ({', '.join(municipalities)}; a buurt code starts "
                        "with its municipality's)")
    for name in plan.outcomes:
        outcome = outcomes.get(name)
        if outcome is None:
            problems.append(f"outcome {name!r} is not in the outcome library (choose from "
                            f"{', '.join(sorted(outcomes))})")
    if (plan.pool == "region" and not plan.treated.group and regio is None
            and region_of(municipalities) is None):
        problems.append("pool region: the pilot's municipalities lie in no region of "
                        "sources/regions.yaml; use pool: delivery")
    return problems


def region_of(municipalities: tuple[str, ...]) -> str | None:
    """The first region of the catalog that holds every one of the municipalities."""
    from smartstart.sources._regions import load_regions

    for key, region in load_regions().items():
        if set(municipalities) <= set(region.codes):
            return key
    return None


def pool_municipalities(plan: EffectPlan, municipalities: tuple[str, ...],
                        regio: str | None) -> tuple[str, ...] | None:
    """The municipalities whose buurten are in the comparison pool (None: every one in the
    delivery)."""
    from smartstart.sources._regions import load_regions

    if plan.pool == "delivery":
        return None
    key = regio or region_of(municipalities)
    if key is None:
        return municipalities
    return tuple(dict.fromkeys((*municipalities, *load_regions()[key].codes)))
