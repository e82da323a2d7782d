"""Events of children and adults: youth care, the planted risk outcome, Halt, VSV, Wmo, Wsnp."""

from __future__ import annotations

import numpy as np

from smartstart.synth._area import Areas
from smartstart.synth._history import OPEN, Timeline
from smartstart.synth._population import WORK, YEAR, Population, day, expit
from smartstart.synth._spec import SynthSpec


def _spells(person, start, end, code) -> dict[str, np.ndarray]:
    return {"person": np.asarray(person), "start": np.asarray(start, dtype=np.int64),
            "end": np.asarray(end, dtype=np.int64), "code": np.asarray(code)}


def _concat(*parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


class Context:
    """Per-person facts the event models share."""

    def __init__(self, pop: Population, tl: Timeline, areas: Areas, spec: SynthSpec) -> None:
        self.pop, self.tl, self.areas, self.spec = pop, tl, areas, spec
        h = pop.p_hh
        self.dep = areas.deprivation[pop.hh_buurt[h]]
        self.pilot = areas.pilot[pop.hh_buurt[h]]
        self.single = pop.hh_type[h] == 6
        adult = np.isin(pop.p_role, [0, 1])
        works = np.zeros(pop.n_households, bool)
        works[h[adult & np.isin(pop.p_secm, WORK)]] = True
        self.no_work = ~works[h]
        low = np.zeros(pop.n_households, bool)
        low[h[adult & (pop.p_edu == 1)]] = True
        self.low_edu_parent = low[h]
        self.fb = pop.hh_foodbank[h]

    def present(self, when: int) -> np.ndarray:
        """Living at the household's municipality address on a day."""
        h = self.pop.p_hh
        return ((self.tl.arrive[h] <= when) & (self.tl.leave[h] >= when)
                & (self.pop.p_birth <= when))

    def age(self, when: int) -> np.ndarray:
        return (when - self.pop.p_birth) / YEAR

    def effect(self, year: int) -> np.ndarray:
        """The planted intervention: lower rates in pilot buurten from the intervention year."""
        hit = self.pilot & (year >= self.spec.intervention_year)
        return np.where(hit, self.spec.intervention_effect, 1.0)


def yearly_events(rng, ctx: Context, lp: np.ndarray, ages: tuple[float, float],
                  years: range) -> tuple[np.ndarray, np.ndarray]:
    """Bernoulli events per person-year among residents aged within ``ages`` on 1 July."""
    persons, days = [], []
    for year in years:
        mid = day(year, 7, 1)
        age = ctx.age(mid)
        at_risk = ctx.present(mid) & (age >= ages[0]) & (age < ages[1])
        p = expit(lp) * ctx.effect(year)
        hit = np.flatnonzero(at_risk & (rng.random(len(p)) < p))
        persons.append(hit)
        days.append(day(year) + rng.integers(0, 365, len(hit)))
    return np.concatenate(persons), np.concatenate(days)


def yearly_chance(ctx: Context, lp: np.ndarray, ages: tuple[float, float],
                  years: range) -> np.ndarray:
    """Per person: the chance of at least one event of ``yearly_events`` in ``years``."""
    none = np.ones(len(lp))
    for year in years:
        mid = day(year, 7, 1)
        age = ctx.age(mid)
        at_risk = ctx.present(mid) & (age >= ages[0]) & (age < ages[1])
        none *= 1 - at_risk * (expit(lp) * ctx.effect(year))
    return 1 - none


YOUTH_CARE_AGES = (0, 18)
HALT_AGES = (12, 18)
EARLY_LEAVING_AGES = (16, 23)


def youth_care_lp(ctx: Context) -> np.ndarray:
    return -2.75 + 0.35 * ctx.dep + 0.5 * ctx.single + 0.4 * ctx.no_work + 0.9 * np.isin(ctx.fb,
                                                                                        [2, 3])


def youth_care(rng, ctx: Context, years: range) -> dict[str, np.ndarray]:
    person, start = yearly_events(rng, ctx, youth_care_lp(ctx), YOUTH_CARE_AGES, years)
    end = start + rng.integers(60, 400, len(start))
    return _spells(person, start, end, rng.integers(1, 5, len(start)))


#: of the planted risk outcome's events: placement only, supervision order (OTS) only, both
RISK_KIND_SHARES = (0.55, 0.3, 0.15)


def risk_outcome(rng, ctx: Context, pop: Population, predictors: dict[str, np.ndarray],
                 children: np.ndarray):
    """Draw the planted outcome for the risk population; returns spells and the linear predictor."""
    coef = ctx.spec.risk.coefficients()
    lp = np.full(len(children), coef["intercept"])
    for name, values in predictors.items():
        lp += coef[name] * values
    event = rng.random(len(children)) < expit(lp)
    ref = day(ctx.spec.peildatum.year)
    window = int(ctx.spec.risk.window_years * YEAR)
    who = children[event]
    when = ref + rng.integers(0, window, len(who))
    kind = rng.choice(3, size=len(who), p=RISK_KIND_SHARES)  # placement, OTS, both
    place = kind != 1
    later = np.minimum(when + rng.integers(0, 30, len(who)), ref + window - 1)
    placement = _spells(who[place], np.where(kind[place] == 2, later[place], when[place]),
                        np.where(kind[place] == 2, later[place], when[place])
                        + rng.integers(180, 1000, place.sum()),
                        rng.choice([11, 12, 13, 14], size=place.sum(), p=[.5, .25, .05, .2]))
    ots = kind != 0
    order = _spells(who[ots], when[ots], when[ots] + 365 * rng.integers(1, 3, ots.sum()),
                    np.ones(ots.sum(), int))
    return placement, order, event, lp


def background_protection(rng, ctx: Context, years: range):
    """Placements and supervision orders before the outcome window (history, not outcome)."""
    lp = -6.3 + 0.4 * ctx.dep + 0.6 * ctx.single
    person, start = yearly_events(rng, ctx, lp, (0, 18), years)
    ots = rng.random(len(person)) < 0.5
    place = ~ots
    placement = _spells(person[place], start[place],
                        start[place] + rng.integers(90, 600, place.sum()),
                        rng.choice([11, 12, 14], size=place.sum()))
    order = _spells(person[ots], start[ots], start[ots] + 365, rng.choice([1, 2], ots.sum(),
                                                                         p=[.9, .1]))
    return placement, order


def halt_lp(ctx: Context) -> np.ndarray:
    male = ctx.pop.p_sex == 1
    return -4.1 + 0.5 * ctx.dep + 0.7 * male + 0.6 * (ctx.fb > 0)


def halt(rng, ctx: Context, years: range) -> dict[str, np.ndarray]:
    person, start = yearly_events(rng, ctx, halt_lp(ctx), HALT_AGES, years)
    return _spells(person, start, start + rng.integers(30, 150, len(start)),
                   rng.choice([1, 2, 3, 4], size=len(start), p=[.3, .35, .15, .2]))


def early_leaving_lp(ctx: Context) -> np.ndarray:
    return -4.4 + 0.5 * ctx.dep + 0.7 * ctx.low_edu_parent + 0.5 * (ctx.fb > 0)


def early_leaving(rng, ctx: Context, years: range) -> dict[str, np.ndarray]:
    person, start = yearly_events(rng, ctx, early_leaving_lp(ctx), EARLY_LEAVING_AGES, years)
    kind = np.where((start - ctx.pop.p_birth[person]) / YEAR < 18, "VO", "MBO")
    return _spells(person, start, start, kind)


def wmo(rng, ctx: Context, first: int, end: int) -> dict[str, np.ndarray]:
    pop = ctx.pop
    age = ctx.age(end)
    p = np.where(age >= 75, 0.3, np.where(pop.p_secm == 24, 0.25, 0.03))
    p[(pop.p_role == 2) | (age < 18)] = 0
    p[(ctx.fb == 4) & (pop.p_role == 0)] = 1.0
    who = np.flatnonzero(rng.random(pop.n_persons) < p)
    start = rng.integers(first, end, len(who))
    start[ctx.fb[who] == 4] = rng.integers(first, day(ctx.spec.peildatum.year) - 1,
                                           (ctx.fb[who] == 4).sum())
    stop = start + (rng.uniform(1, 6, len(who)) * YEAR).astype(int)
    stop = np.where(stop > end, OPEN, stop)
    return _spells(who, start, stop, rng.choice([1, 2, 3, 4, 5], len(who),
                                                p=[.35, .3, .2, .05, .1]))


def wsnp_chance(ctx: Context, end: int) -> np.ndarray:
    """Per person: the chance of a debt-restructuring case (its start uniform in the years)."""
    pop = ctx.pop
    age = ctx.age(end)
    poor = (pop.p_secm == 22) | (pop.hh_income[pop.p_hh] < 20000)
    p = np.where(poor, 0.04, 0.004)
    p[np.isin(ctx.fb, [3, 5])] = 0.15
    p[(pop.p_role == 2) | (age < 20) | (age > 70)] = 0
    return p


def wsnp(rng, ctx: Context, first: int, end: int) -> dict[str, np.ndarray]:
    pop = ctx.pop
    p = wsnp_chance(ctx, end)
    who = np.flatnonzero(rng.random(pop.n_persons) < p)
    start = rng.integers(first, end, len(who))
    stop = start + int(3 * YEAR)
    kind = rng.choice([1, 2, 3], len(who), p=[.75, .2, .05])
    running = stop > end
    return {**_spells(who, start, np.where(running, -1, stop), np.where(running, 0, kind))}


def special_education(rng, ctx: Context, ever_care: np.ndarray) -> np.ndarray:
    """Per child: 0 regular (BO), 1 SBO, 2 SO."""
    p = expit(-3.7 + 0.3 * ctx.dep + 1.0 * ever_care + 0.4 * ctx.low_edu_parent)
    draw = rng.random(len(p))
    return np.where(draw < p * 0.6, 1, np.where(draw < p, 2, 0))


def school_of(rng, ctx: Context) -> np.ndarray:
    """Per person: index of a primary school, in the own buurt when it has one."""
    areas, h = ctx.areas, ctx.pop.p_hh
    buurt = ctx.pop.hh_buurt[h]
    choice = rng.integers(0, len(areas.school_brin), len(buurt))
    for b in np.unique(areas.school_buurt):
        schools = np.flatnonzero(areas.school_buurt == b)
        sel = (buurt == b) & (rng.random(len(buurt)) < 0.85)
        choice[sel] = schools[rng.integers(0, len(schools), sel.sum())]
    return choice
