"""Plant the outcome catalog (``_outcome_models.MODELS``) in the window [P, P + window_years).

Every draw comes from a stream of its own (``STREAMS``), so the world up to the peildatum P and
the placement/OTS outcome stay as they were: rows are only added (and an open SECMBUS spell
ends where a planted one begins, after P). Where the tables already hold events of an outcome in
the window (youth care, Halt, VSV and Wsnp of the yearly models, the planted placement and OTS),
they are kept: a unit's chance q of such a background event is known from the model that drew
it, and a unit without one gets an extra event with chance (t - q) / (1 - q), t the planted
model's chance, so that P(outcome) = t exactly. Where t < q (counted as ``clipped`` in the
truth) the chance is q.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from smartstart.synth import _events as ev
from smartstart.synth import _tables as tb
from smartstart.synth._format import completed_years, ymd
from smartstart.synth._history import OPEN
from smartstart.synth._outcome_models import MODELS, STREAMS, OutcomeModel
from smartstart.synth._population import WORK, YEAR, day, expit

if TYPE_CHECKING:
    from smartstart.synth._build import Built

Frame = dict[str, np.ndarray]
OTS_SHARE = ev.RISK_KIND_SHARES[1] + ev.RISK_KIND_SHARES[2]
PLACEMENT_SHARE = ev.RISK_KIND_SHARES[0] + ev.RISK_KIND_SHARES[2]


@dataclass
class Planted:
    """One outcome's units (person or household indices), predictors and draws."""

    units: np.ndarray
    predictors: dict[str, np.ndarray]
    lp: np.ndarray
    chance: np.ndarray  # q: of an event already in the tables
    background: np.ndarray
    extra: np.ndarray

    @property
    def event(self) -> np.ndarray:
        return self.background | self.extra

    def clipped(self) -> int:
        return int((expit(self.lp) < self.chance).sum())


class World:
    """What the tables show on the peildatum, per person (and per household where said)."""

    def __init__(self, spec, built: Built, ctx: ev.Context, resident: np.ndarray) -> None:
        pop, facts = built.pop, built.facts
        self.spec, self.pop, self.ctx, self.facts = spec, pop, ctx, facts
        n, h = pop.n_persons, pop.p_hh
        self.ref = day(spec.peildatum.year)
        self.years = range(spec.peildatum.year, spec.peildatum.year + spec.risk.window_years)
        self.stop = min(day(self.years.stop), day(spec.last_year, 12, 31) + 1)
        self.age = completed_years(pop.p_birth, np.full(n, self.ref))
        living = np.zeros(n, bool)
        living[: len(resident)] = resident[:n]
        self.resident = living & (pop.p_birth < self.ref)
        born = pop.p_birth < self.ref
        bijstand = np.zeros(pop.n_households, bool)
        bijstand[h[born & (pop.p_secm == 22)]] = True
        yb = facts["year_before"]
        link = yb["link"]
        rent = tb.rent_allowance_of(yb["inha"], n)
        level = np.zeros(n, dtype=int)
        level[yb["edu"]["RINPERSOON"]] = yb["edu"]["_level"]
        adults = np.flatnonzero(np.isin(pop.p_role, [0, 1]))
        highest = np.zeros(pop.n_households, dtype=int)
        np.maximum.at(highest, h[adults], level[adults])
        self.person = {
            "male": pop.p_sex == 1,
            "youth_12_23": (self.age >= 12) & (self.age <= 23),
            "single_parent": pop.hh_type[h] == 6,
            "one_person": pop.hh_type[h] == 1,
            "parent_no_work": ctx.no_work,
            "own_no_work": ~np.isin(pop.p_secm, WORK),
            "household_bijstand": bijstand[h],
            "rent_allowance": (link >= 0) & rent[np.maximum(link, 0)],
            "low_education": level == 1,
            "household_low_education": highest[h] == 1,
            "prior_youth_care": self._before("JGDHULPBUS", overlap=True),
            "prior_halt": self._before("HALTBUS", overlap=False),
        }

    def _before(self, table: str, overlap: bool) -> np.ndarray:
        sp = self.facts["spells"][table]
        last = sp["end"] if overlap else sp["start"]
        hit = (sp["start"] <= self.ref - 1) & (last >= self.ref - 365)
        out = np.zeros(self.pop.n_persons, bool)
        out[sp["person"][hit]] = True
        return out

    def started(self, table: str) -> np.ndarray:
        """Per person: a spell of ``table`` (as built before planting) starts in the window."""
        sp = self.facts["spells"][table]
        hit = (sp["start"] >= self.ref) & (sp["start"] < self.stop)
        out = np.zeros(self.pop.n_persons, bool)
        out[sp["person"][hit]] = True
        return out

    def aged(self, low: int, high: int | None = None) -> np.ndarray:
        keep = self.resident & (self.age >= low)
        if high is not None:
            keep &= self.age <= high
        return np.flatnonzero(keep)

    def yearly(self, lp: np.ndarray, ages: tuple[float, float]) -> np.ndarray:
        return ev.yearly_chance(self.ctx, lp, ages, self.years)

    def dates(self, rng, n: int, after: bool = False) -> np.ndarray:
        """Days in the window (``after``: from the day after the peildatum)."""
        return rng.integers(self.ref + after, self.stop, n)


def _draw(rng, model: OutcomeModel, units: np.ndarray, predictors: dict[str, np.ndarray],
          chance: np.ndarray, background: np.ndarray) -> Planted:
    coef = model.coefficients
    x = {name: np.asarray(predictors[name])[units].astype(int)
         for name in coef if name != "intercept"}
    lp = np.full(len(units), coef["intercept"])
    for name, values in x.items():
        lp += coef[name] * values
    extra_chance = np.clip((expit(lp) - chance) / (1 - chance), 0, 1)
    extra = ~background & (rng.random(len(units)) < extra_chance)
    return Planted(units, x, lp, chance, background, extra)


def _rng(spec, index: int, name: str) -> np.random.Generator:
    return np.random.default_rng([spec.seed, index, STREAMS[name]])


def _append(frames: list, table: str, extra: Frame, year: int) -> None:
    for i, (name, y, version, frame) in enumerate(frames):
        if name == table and y == year:
            frames[i] = (name, y, version, {k: np.concatenate([np.asarray(frame[k]), extra[k]])
                                            for k in frame})
            return
    frames.append((table, year, 1, extra))


def plant_outcomes(spec, index: int, built: Built, ctx: ev.Context, secm: Frame,
                   resident: np.ndarray) -> None:
    """Add the planted outcomes' rows to ``built.frames``; the draws go to built.facts."""
    w = World(spec, built, ctx, resident)
    out: dict[str, Planted] = {}
    out.update(_children(spec, index, w, built))
    out["halt"] = _halt(spec, index, w, built)
    out["jeugdreclassering"] = _probation(spec, index, w, built)
    out["verdachte"] = _suspects(spec, index, w, built)
    out["voortijdig_schoolverlaten"] = _early_leaving(spec, index, w, built)
    out["problematische_schulden"] = _debts(spec, index, w, built)
    out["instroom_bijstand"] = _bijstand(spec, index, w, built, secm)
    built.facts["outcomes"] = {name: out[name] for name in MODELS}
    built.facts["outcome_world"] = {"ref": w.ref, "stop": w.stop}


def _spells(person, start, end, code) -> Frame:
    return {"person": np.asarray(person), "start": np.asarray(start, dtype=np.int64),
            "end": np.asarray(end, dtype=np.int64), "code": np.asarray(code)}


def _children(spec, index, w: World, built: Built) -> dict[str, Planted]:
    """Protection measures and youth care of the placement/OTS population, and its newborns."""
    risk = built.facts["risk"]
    children, last = risk["children"], spec.last_year
    predictors = {**w.person}
    for name, values in risk["predictors"].items():
        full = np.zeros(w.pop.n_persons, dtype=int)
        full[children] = values
        predictors[name] = full
    risk_chance = expit(risk["lp"])
    rng = _rng(spec, index, "beschermingsmaatregel")
    protect = _draw(rng, MODELS["beschermingsmaatregel"], children, predictors,
                    OTS_SHARE * risk_chance, w.started("JGDBESCHERMBUS")[children])
    who = children[protect.extra]
    start = w.dates(rng, len(who))
    sp = _spells(who, start, start + 365 * rng.integers(1, 3, len(who)),
                 rng.choice([2, 3], size=len(who), p=[0.6, 0.4]))
    _append(built.frames, "JGDBESCHERMBUS", tb.spell_frame(
        built.keys, sp, "JGDBGELDIGHEIDBEGINDATUM", "JGDBGELDIGHEIDEINDDATUM", "JGDBMAATREGEL"),
        last)
    rng = _rng(spec, index, "jeugdhulp")
    care = w.yearly(ev.youth_care_lp(w.ctx), ev.YOUTH_CARE_AGES)[children]
    chance = 1 - (1 - PLACEMENT_SHARE * risk_chance) * (1 - care)
    hulp = _draw(rng, MODELS["jeugdhulp"], children, predictors, chance,
                 w.started("JGDHULPBUS")[children])
    who = children[hulp.extra]
    start = w.dates(rng, len(who))
    sp = _spells(who, start, start + rng.integers(60, 400, len(who)),
                 rng.integers(1, 5, len(who)))
    _append(built.frames, "JGDHULPBUS", tb.spell_frame(
        built.keys, sp, "JGDHGELDIGHEIDBEGINDATUM", "JGDHGELDIGHEIDEINDDATUM", "JGDHHULPVORM"),
        last)
    mother, _ = tb.parents(w.pop)
    newborn = (w.pop.p_birth[children] >= day(spec.peildatum.year - 1)) & (mother[children] >= 0)
    first = Planted(children[newborn], {k: v[newborn] for k, v in hulp.predictors.items()},
                    hulp.lp[newborn], hulp.chance[newborn], hulp.background[newborn],
                    hulp.extra[newborn])
    return {"beschermingsmaatregel": protect, "jeugdhulp": hulp,
            "jeugdhulp_eerste_1000_dagen": first}


def _plant_spells(rng, w: World, built: Built, spec, who: np.ndarray, table: str,
                  columns: tuple[str, str, str], days: tuple[int, int],
                  codes: tuple[list[int], list[float]]) -> None:
    """The planted persons' events as spells of ``table`` in the window: a start, an end
    ``days`` later (drawn), and a code (start, end and code columns named by ``columns``)."""
    start = w.dates(rng, len(who))
    sp = _spells(who, start, start + rng.integers(*days, len(who)),
                 rng.choice(codes[0], size=len(who), p=codes[1]))
    _append(built.frames, table, tb.spell_frame(built.keys, sp, *columns), spec.last_year)


def _halt(spec, index, w: World, built: Built) -> Planted:
    rng = _rng(spec, index, "halt")
    units = w.aged(12, 17)
    p = _draw(rng, MODELS["halt"], units, w.person,
              w.yearly(ev.halt_lp(w.ctx), ev.HALT_AGES)[units], w.started("HALTBUS")[units])
    _plant_spells(rng, w, built, spec, units[p.extra], "HALTBUS",
                  ("HALTDATUMVERWIJZING", "HALTDATUMAFDOENING", "HALTDELICT"), (30, 150),
                  ([1, 2, 3, 4], [.3, .35, .15, .2]))
    return p


def _probation(spec, index, w: World, built: Built) -> Planted:
    rng = _rng(spec, index, "jeugdreclassering")
    units = w.aged(12, 23)
    none = np.zeros(len(units), bool)
    p = _draw(rng, MODELS["jeugdreclassering"], units, w.person, np.zeros(len(units)), none)
    _plant_spells(rng, w, built, spec, units[p.extra], "JGDRECLASSERINGBUS",
                  ("JGDRGELDIGHEIDBEGINDATUM", "JGDRGELDIGHEIDEINDDATUM", "JGDRMAATREGEL"),
                  (180, 730), ([1, 2, 3], [.6, .25, .15]))
    return p


def _suspects(spec, index, w: World, built: Built) -> Planted:
    rng = _rng(spec, index, "verdachte")
    units = w.aged(12)
    none = np.zeros(len(units), bool)
    p = _draw(rng, MODELS["verdachte"], units, w.person, np.zeros(len(units)), none)
    _plant_spells(rng, w, built, spec, units[p.extra], "VERDACHTENBUS",
                  ("VRDGPLEEGDATUM", "VRDGAFDOENINGDATUM", "VRDGMISDRIJF"), (30, 400),
                  ([1, 2, 3, 4, 5, 9], [.3, .2, .2, .1, .1, .1]))
    return p


def _early_leaving(spec, index, w: World, built: Built) -> Planted:
    rng = _rng(spec, index, "voortijdig_schoolverlaten")
    units = w.aged(12, 22)
    p = _draw(rng, MODELS["voortijdig_schoolverlaten"], units, w.person,
              w.yearly(ev.early_leaving_lp(w.ctx), ev.EARLY_LEAVING_AGES)[units],
              w.started("VSVTAB")[units])
    who = units[p.extra]
    when = w.dates(rng, len(who))
    kind = np.where((when - w.pop.p_birth[who]) / YEAR < 18, "VO", "MBO")
    year_of = when.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970
    for year in w.years:
        sel = year_of == year
        _append(built.frames, "VSVTAB", {**tb.person_frame(built.keys, who[sel]),
                                         "VSVDATUMUITSCHRIJVING": ymd(when[sel]),
                                         "VSVONDERWIJSSOORT": kind[sel]}, year)
    return p


def _debts(spec, index, w: World, built: Built) -> Planted:
    """Households: a Wsnp admission of an adult member; the case is the oldest adult's."""
    rng = _rng(spec, index, "problematische_schulden")
    pop, h = w.pop, w.pop.p_hh
    adult = w.resident & (w.age >= 18)
    first, end = day(spec.first_year), day(spec.last_year, 12, 31)
    share = (end - w.ref) / (end - first)  # a case's start is uniform over [first, end)
    none = np.bincount(h[adult], weights=np.log1p(-ev.wsnp_chance(w.ctx, end)[adult] * share),
                       minlength=pop.n_households)
    seen = np.bincount(h[adult & w.started("WSNPPERSBUS")], minlength=pop.n_households) > 0
    units = np.unique(h[adult])
    ref_person = np.full(pop.n_households, -1)
    ref_person[h[pop.p_role == 0]] = np.flatnonzero(pop.p_role == 0)
    hh = {k: np.zeros(pop.n_households, dtype=int) for k in MODELS["problematische_schulden"]
          .coefficients if k != "intercept"}
    for name in hh:  # a household's value: its members' (rent allowance: its reference person's)
        if name == "rent_allowance":
            hh[name] = (ref_person >= 0) & w.person[name][np.maximum(ref_person, 0)]
        else:
            hh[name][h[adult]] = w.person[name][adult]
    p = _draw(rng, MODELS["problematische_schulden"], units, hh, 1 - np.exp(none[units]),
              seen[units])
    order = np.flatnonzero(adult)[np.argsort(pop.p_birth[adult], kind="stable")]
    oldest = np.full(pop.n_households, -1)
    oldest[h[order[::-1]]] = order[::-1]
    who = oldest[units[p.extra]]
    start = w.dates(rng, len(who))
    stop = start + int(3 * YEAR)
    running = stop > end
    kind = rng.choice([1, 2, 3], len(who), p=[.75, .2, .05])
    sp = _spells(who, start, np.where(running, -1, stop), np.where(running, 0, kind))
    frame = tb.spell_frame(built.keys, sp, "Wsnpdatumtoelaat", "Wsnpdatumbeein", "Wsnpsrtbeein",
                           empty_end="")
    frame["Wsnpsrtbeein"] = np.where(running, "", frame["Wsnpsrtbeein"])
    _append(built.frames, "WSNPPERSBUS", frame, spec.last_year)
    built.facts.setdefault("outcome_persons", {})["problematische_schulden"] = who
    return p


def _bijstand(spec, index, w: World, built: Built, secm: Frame) -> Planted:
    """Entry into social assistance: the open SECMBUS spell ends, a SECM 22 spell begins."""
    rng = _rng(spec, index, "instroom_bijstand")
    pop = w.pop
    eligible = (pop.p_secm > 0) & (pop.p_secm != 22)
    units = np.flatnonzero(np.isin(np.arange(pop.n_persons), w.aged(18, 66)) & eligible)
    late = (secm["start"] >= w.ref) & (secm["secm"] == 22)
    seen = np.zeros(pop.n_persons, bool)
    seen[secm["person"][late]] = True
    p = _draw(rng, MODELS["instroom_bijstand"], units, w.person, np.zeros(len(units)),
              seen[units])
    who = units[p.extra]
    start = w.dates(rng, len(who), after=True)  # on the peildatum itself the person is not on 22
    open_row = np.full(pop.n_persons, -1)
    is_open = secm["end"] == OPEN
    open_row[secm["person"][is_open]] = np.flatnonzero(is_open)
    rows = open_row[who]
    for i, (name, y, version, frame) in enumerate(built.frames):
        if name == "SECMBUS":
            end = np.asarray(frame["EINDSECM"]).copy()
            end[rows] = ymd(start - 1)
            built.frames[i] = (name, y, version, {**frame, "EINDSECM": end})
    new = {"person": who, "start": start, "end": np.full(len(who), OPEN),
           "secm": np.full(len(who), 22)}
    _append(built.frames, "SECMBUS", tb.secm(new, built.keys), spec.last_year)
    return p


__all__ = ["Planted", "plant_outcomes"]


def outcomes_truth(spec, built: Built) -> dict:
    """truth.json's ``demo.outcomes``: per outcome its model in words and numbers, and counts."""
    ref = spec.peildatum
    stop = ref.replace(year=ref.year + spec.risk.window_years)
    out = {}
    for name, model in MODELS.items():
        p: Planted = built.facts["outcomes"][name]
        out[name] = {
            "unit": model.unit, "population": model.population, "definition": model.definition,
            "coefficients": dict(model.coefficients), "predictors": model.predictors(),
            "already_in_tables": model.already,
            "window": [ref.isoformat(), stop.isoformat()], "units": int(len(p.units)),
            "events": int(p.event.sum()), "events_already_in_tables": int(p.background.sum()),
            "events_planted": int(p.extra.sum()), "clipped": p.clipped(),
            "prevalence": {k: round(float(v.mean()), 4) if len(v) else 0.0
                           for k, v in p.predictors.items()}}
    return out


def outcome_tables(built: Built) -> dict[str, dict[str, np.ndarray]]:
    """Row-level truth per outcome (synthetic keys only): unit key, predictors, outcome."""
    keys, hs = built.keys, built.household
    ref = built.facts["outcome_world"]["ref"]
    tables = {}
    for name, model in MODELS.items():
        p: Planted = built.facts["outcomes"][name]
        if model.unit == "household":
            at = (hs["start"] <= ref) & (hs["end"] >= ref) & (hs["hh"] < built.pop.n_households)
            start = np.zeros(built.pop.n_households, dtype=np.int64)
            start[hs["hh"][at]] = hs["start"][at]
            unit = {"HUISHOUDNR": keys.household(p.units), "DATUMAANVANGHH": ymd(start[p.units])}
        else:
            unit = {"RINPERSOON": keys.person(p.units)}
        tables[f"outcome_{name}"] = {
            **unit, **{k: v.astype(int) for k, v in p.predictors.items()},
            "outcome": p.event.astype(int), "already_in_tables": p.background.astype(int),
            "linear_predictor": p.lp, "chance_already_in_tables": p.chance}
    return tables
