"""One municipality's CBS tables as string/number column arrays, keyed by (table, year)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartstart.synth import _events as ev
from smartstart.synth._area import Areas, outside_area_codes
from smartstart.synth._format import codes, completed_years, parts, rin, ymd, zpad
from smartstart.synth._history import OPEN, Timeline
from smartstart.synth._population import YEAR, Population, day, expit

Frame = dict[str, np.ndarray]
BENEFIT_TYPE = {22: 3, 21: 1, 24: 2, 23: 4}  # SECM -> INHUAFTYP, in order of precedence
MAIN_SOURCE = {11: "11", 12: "12", 13: "13", 21: "21", 22: "22", 23: "23", 24: "24",
               25: "25", 31: "26", 32: "99", 0: "99"}
_MAIN_SOURCE = np.full(100, "99", dtype=object)
_MAIN_SOURCE[list(MAIN_SOURCE)] = list(MAIN_SOURCE.values())
_MAIN_SOURCE = _MAIN_SOURCE.astype(str)
EDU_CODES = {1: ["1111", "1211", "1212", "1213"], 2: ["2111", "2121", "2131"],
             3: ["3111", "3211"]}


@dataclass(frozen=True)
class Keys:
    person_offset: int
    household_offset: int
    object_offset: int

    def person(self, idx: np.ndarray) -> np.ndarray:
        return rin(self.person_offset + np.asarray(idx))

    def household(self, idx: np.ndarray) -> np.ndarray:
        return rin(self.household_offset + np.asarray(idx), digits=12, salt=7_777_777)

    def obj(self, idx: np.ndarray) -> np.ndarray:
        # 16 digits, as the catalog (a BAG object number) has them: 12 made every synthetic
        # ingest warn that all object keys had lost leading zeros (helper-41)
        return rin(self.object_offset + np.asarray(idx), digits=16, salt=424_242)


def person_frame(keys: Keys, person: np.ndarray) -> Frame:
    """Person key columns; ``_person`` keeps the index (columns starting with _ are not written)."""
    return {"RINPERSOONS": np.full(len(person), "R"), "RINPERSOON": keys.person(person),
            "_person": np.asarray(person)}


def gbapersoon(pop: Population, keys: Keys) -> Frame:
    y, m, d = parts(pop.p_birth)
    native = pop.p_generation != 1
    parent_land = np.where(pop.p_generation > 0, pop.p_herkomst, "6030")
    return {**person_frame(keys, np.arange(pop.n_persons)),
            "GBAGESLACHT": codes(pop.p_sex), "GBAGEBOORTEJAAR": zpad(y, 4),
            "GBAGEBOORTEMAAND": zpad(m, 2), "GBAGEBOORTEDAG": zpad(d, 2),
            "GBAGENERATIE": codes(pop.p_generation), "GBAHERKOMSTGROEPERING": pop.p_herkomst,
            "GBAGEBOORTELANDNL": np.where(native, "1", "0"),
            "GBAGEBOORTELAND": np.where(native, "6030", pop.p_herkomst),
            "GBAGEBOORTELANDMOEDER": parent_land, "GBAGEBOORTELANDVADER": parent_land}


def parents(pop: Population) -> tuple[np.ndarray, np.ndarray]:
    """Per person: index of the legal mother and father (-1 unknown)."""
    n = pop.n_persons
    mother, father = np.full(n, -1), np.full(n, -1)
    kid = pop.p_role == 2
    for role in (0, 1):
        adult = np.flatnonzero(pop.p_role == role)
        first = np.full(pop.n_households, -1)
        first[pop.p_hh[adult]] = adult
        parent = first[pop.p_hh]
        is_mother = kid & (parent >= 0) & (pop.p_sex[np.maximum(parent, 0)] == 2)
        is_father = kid & (parent >= 0) & (pop.p_sex[np.maximum(parent, 0)] == 1)
        mother[is_mother] = parent[is_mother]
        father[is_father] = parent[is_father]
    return mother, father


def kindouder(pop: Population, keys: Keys) -> Frame:
    mother, father = parents(pop)
    frame = person_frame(keys, np.arange(pop.n_persons))
    for suffix, parent in (("pa", father), ("Ma", mother)):
        known = parent >= 0
        frame[f"RINPERSOONS{suffix}"] = np.where(known, "R", "-")
        frame[f"RINPERSOON{suffix}"] = np.where(known, keys.person(np.maximum(parent, 0)),
                                                "---------")
    return frame


def object_kinds(rng, n_objects: int) -> np.ndarray:
    """SOORTOBJECTNUMMER per address object: nearly all dwellings, a few berths and pitches."""
    return np.where(rng.random(n_objects) < 0.995, "VBO", rng.choice(["LIG", "STA"], n_objects))


def addresses(ad: Frame, keys: Keys, kinds: np.ndarray) -> Frame:
    return {**person_frame(keys, ad["person"]), "GBADATUMAANVANGADRESHOUDING": ymd(ad["start"]),
            "GBADATUMEINDEADRESHOUDING": ymd(ad["end"]),
            "SOORTOBJECTNUMMER": kinds[ad["obj"]], "RINOBJECTNUMMER": keys.obj(ad["obj"])}


def object_areas(rng, ad: Frame, pop: Population, areas: Areas) -> tuple[np.ndarray, ...]:
    """Municipality, wijk and buurt of every address object (fixed over the years)."""
    n_obj, n_hh = ad["n_objects"], pop.n_households
    buurt = rng.choice(areas.n_buurten, size=n_obj, p=areas.weight)
    buurt[:n_hh] = pop.hh_buurt
    gem, wc, bc = outside_area_codes(rng, n_obj)
    inside = ad["inside"]
    gem = np.where(inside, areas.gem, gem)
    wc = np.where(inside, areas.wc[buurt], wc)
    bc = np.where(inside, areas.bc[buurt], bc)
    return gem, wc, bc, np.where(inside, buurt, -1)


def vslgwb(ad: Frame, keys: Keys, kinds: np.ndarray, area: tuple[np.ndarray, ...]) -> Frame:
    n_obj = ad["n_objects"]
    return {"SOORTOBJECTNUMMER": kinds, "RINOBJECTNUMMER": keys.obj(np.arange(n_obj)),
            "gem": area[0], "wc": area[1], "bc": area[2]}


def households(hs: Frame, keys: Keys) -> Frame:
    youngest = np.where(hs["youngest"] >= 0, parts(np.maximum(hs["youngest"], 0))[0], -1)
    return {**person_frame(keys, hs["person"]), "DATUMAANVANGHH": ymd(hs["start"]),
            "DATUMEINDEHH": ymd(hs["end"]), "HUISHOUDNR": keys.household(hs["hh"]),
            "TYPHH": codes(hs["typhh"]), "PLHH": codes(hs["plhh"]),
            "REFPERSOONHH": codes(hs["ref"]), "AANTALPERSHH": hs["size"].astype(float),
            "AANTALKINDHH": hs["kids"].astype(float),
            "GEBJAARJONGSTEKINDHH": np.where(youngest >= 0, zpad(youngest, 4), "----")}


def secm(sc: Frame, keys: Keys) -> Frame:
    code = sc["secm"]
    flag = {"XKOPPELBIJSTANDSECM": 22, "XKOPPELWERKLUITKSECM": 21, "XKOPPELZIEKTEAOSECM": 24}
    return {**person_frame(keys, sc["person"]), "AANVSECM": ymd(sc["start"]),
            "EINDSECM": ymd(sc["end"]), "SECM": codes(code),
            **{name: np.where(code == c, "1", "") for name, c in flag.items()}}


def spell_frame(keys: Keys, sp: Frame, start: str, end: str, code: str,
                empty_end: str | None = None) -> Frame:
    stop = ymd(np.maximum(sp["end"], 0))
    if empty_end is not None:
        stop = np.where(sp["end"] < 0, empty_end, stop)
    return {**person_frame(keys, sp["person"]), start: ymd(sp["start"]), end: stop,
            code: codes(sp["code"])}


def breadwinner(pop: Population) -> np.ndarray:
    """Per household: the adult with the highest personal income (main breadwinner)."""
    adult = np.flatnonzero(pop.p_role != 2)
    order = adult[np.lexsort((-pop.p_income[adult], pop.p_hh[adult]))]
    first = np.r_[True, pop.p_hh[order][1:] != pop.p_hh[order][:-1]]
    bw = np.full(pop.n_households, -1)
    bw[pop.p_hh[order][first]] = order[first]
    return bw


def income_links(pop: Population, tl: Timeline, year: int) -> np.ndarray:
    """KOPPELPERSOONHUISHOUDEN of a year: each person's main breadwinner (-1 not yet born)."""
    end = day(year, 12, 31)
    bw = breadwinner(pop)[pop.p_hh]
    alone = (pop.p_role != 2) & (end < tl.formed[pop.p_hh])
    link = np.where(alone, np.arange(pop.n_persons), bw)
    return np.where(pop.p_birth <= end, link, -1)


def income_households(rng, pop: Population, tl: Timeline, year: int, ref_year: int,
                      link: np.ndarray) -> Frame:
    """INHATAB rows (one per main breadwinner) with their household's attributes."""
    who = np.unique(link[link >= 0])
    h = pop.p_hh[who]
    single = day(year, 12, 31) < tl.formed[h]
    growth = 1.02 ** (year - ref_year + 1) * np.exp(rng.normal(0, 0.04, len(who)))
    income = np.where(single, pop.p_income[who] * 0.78, pop.hh_income[h]) * growth
    income = np.maximum(income, 6000).round()
    tenure = np.where(single, np.where(income < 18000, 3, 2), pop.hh_tenure[h])
    adults = np.where(single, 1, pop.extra["hh_adults"][h])
    kids = np.where(single, 0, pop.extra["hh_kids"][h])
    benefit = _benefit_type(pop, h, single, who)
    social_min = (14_500 + 6_000 * (adults - 1) + 1_500 * kids) * 1.02 ** (year - ref_year)
    median = 37_000 * 1.02 ** (year - ref_year)
    z = np.log(income / median) / 0.55
    pct = np.clip(np.floor(_norm_cdf(z) * 100) + 1, 1, 100)
    share = np.where(benefit > 0, np.clip(rng.normal(75, 15, len(who)), 20, 100), 0).round()
    return {"RINPERSOONSHKW": np.full(len(who), "R"), "RINPERSOONHKW": who,
            "INHBESTINKH": income, "INHP100HBEST": pct, "INHARMSOC": (100 * income /
                                                                      social_min).round(),
            "INHEHALGR": codes(tenure), "INHUAF": share, "INHUAFTYP": codes(benefit),
            "INHBBIHJ": _MAIN_SOURCE[pop.p_secm[who]]}


def _benefit_type(pop: Population, h: np.ndarray, single: np.ndarray, who: np.ndarray):
    benefit = np.zeros(len(h), dtype=int)
    adult = pop.p_role != 2
    for code, kind in reversed(list(BENEFIT_TYPE.items())):
        has = np.zeros(pop.n_households, bool)
        has[pop.p_hh[adult & (pop.p_secm == code)]] = True
        own = pop.p_secm[who] == code
        benefit = np.where(np.where(single, own, has[h]), kind, benefit)
    return benefit


def _norm_cdf(z: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz-Stegun 7.1.26, error < 1.5e-7), vectorised."""
    x = np.abs(z) / np.sqrt(2)
    t = 1 / (1 + 0.3275911 * x)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027
                                                                          + t * 1.061405429))))
    erf = 1 - poly * np.exp(-x * x)
    return 0.5 * (1 + np.sign(z) * erf)


def personal_income(rng, pop: Population, year: int, ref_year: int, link: np.ndarray,
                    inha: Frame) -> Frame:
    end = day(year, 12, 31)
    who = np.flatnonzero(pop.p_birth + int(15 * YEAR) <= end)
    growth = 1.02 ** (year - ref_year + 1)
    gross = (pop.p_income[who] * growth * np.exp(rng.normal(0, 0.05, len(who)))).round()
    is_bw = np.isin(who, inha["RINPERSOONHKW"])
    allowance = rent_allowance_of(inha, pop.n_persons)[who] & is_bw
    kids = pop.extra["hh_kids"][pop.p_hh[who]]
    low = pop.hh_income[pop.p_hh[who]] < 40_000
    return {**person_frame_idx(who), "INPPERSBRUT": gross, "INPBELI": (gross * 0.8).round(),
            "INPT7340HRS": np.where(allowance, rng.integers(1800, 4200, len(who)), 0),
            "INPPH868ZTS": np.where((gross < 35_000) & (gross > 0), 1_250, 0),
            "INPT6325KGB": np.where(is_bw & low & (kids > 0), 1_400 * kids, 0)}


def rent_allowance_of(inha: Frame, n_persons: int) -> np.ndarray:
    """Per person index: is this person the breadwinner of a household with rent allowance."""
    out = np.zeros(n_persons, dtype=bool)
    out[inha["RINPERSOONHKW"][inha["INHEHALGR"] == "3"]] = True
    return out


def person_frame_idx(who: np.ndarray) -> Frame:
    """Placeholder keys as indices; replaced by real keys when the chunk is finalised."""
    return {"RINPERSOONS": np.full(len(who), "R"), "RINPERSOON": who, "_person": who}


def education(rng, pop: Population, year: int) -> Frame:
    end = day(year, 12, 31)
    who = np.flatnonzero(pop.p_edu_known & (pop.p_birth + int(15 * YEAR) <= end)
                         & (pop.p_role != 2))
    code = np.empty(len(who), dtype="U4")
    for level, options in EDU_CODES.items():
        sel = pop.p_edu[who] == level
        code[sel] = np.array(options)[rng.integers(0, len(options), sel.sum())]
    weight = rng.uniform(1.0, 1.5, len(who)).round(4)
    return {**person_frame_idx(who), "OPLNIVSOI2021AGG4HBmetNIRWO": code,
            "GEWICHTHOOGSTEOPL": weight, "_level": pop.p_edu[who].astype(int)}


def pupils(ctx: ev.Context, school: np.ndarray, special: np.ndarray, brin: np.ndarray,
           year: int) -> Frame:
    when = day(year, 10, 1)
    age = completed_years(ctx.pop.p_birth, np.full(ctx.pop.n_persons, when))
    who = np.flatnonzero(ctx.present(when) & (age >= 4) & (age <= 11))
    group = np.clip(age[who] - 3, 1, 8)
    kind = np.array(["BO", "SBO", "SO"])[special[who]]
    return {**person_frame_idx(who), "WPOTYPEPO": kind,
            "WPOLEERJAAR": np.char.rjust(group.astype(str), 2), "WPOBRIN_crypt": brin[school[who]]}


def risk_predictors(ctx: ev.Context, pop: Population, care: Frame, inha: Frame,
                    link: np.ndarray, edu: Frame, ref: int,
                    resident: np.ndarray) -> tuple[np.ndarray, dict]:
    """The planted predictors, defined on what the tables show (see truth.json)."""
    age = completed_years(pop.p_birth, np.full(pop.n_persons, ref))
    living = np.zeros(pop.n_persons, bool)
    living[: len(resident)] = resident[: pop.n_persons]
    children = np.flatnonzero((pop.p_role == 2) & (age < 18) & (pop.p_birth < ref) & living)
    mother, _ = parents(pop)
    m = mother[children]
    first_birth = np.full(pop.n_persons, np.iinfo(np.int64).max)
    kids = np.flatnonzero(mother >= 0)
    np.minimum.at(first_birth, mother[kids], pop.p_birth[kids])
    known = m >= 0
    mother_age = np.where(known, completed_years(pop.p_birth[np.maximum(m, 0)],
                                                 np.minimum(first_birth[np.maximum(m, 0)],
                                                            OPEN)), 99)
    rent = rent_allowance_of(inha, pop.n_persons)[np.maximum(link[children], 0)]
    known_edu = np.zeros(pop.n_persons, dtype=int)
    known_edu[edu["RINPERSOON"]] = edu["_level"]
    highest = np.zeros(pop.n_households, dtype=int)
    adults = np.flatnonzero(np.isin(pop.p_role, [0, 1]))
    np.maximum.at(highest, pop.p_hh[adults], known_edu[adults])
    before = (care["start"] <= ref - 1) & (care["end"] >= ref - 365)
    prior = np.isin(children, care["person"][before])
    p = {"young_mother": (mother_age < 22).astype(int),
         "single_parent": ctx.single[children].astype(int),
         "parent_no_work": ctx.no_work[children].astype(int),
         "rent_allowance": rent.astype(int),
         "parent_low_education": (highest[pop.p_hh[children]] == 1).astype(int),
         "prior_youth_care": prior.astype(int)}
    p["combination"] = (p["young_mother"] & p["single_parent"] & p["parent_no_work"]
                        & p["rent_allowance"])
    return children, p


__all__ = ["Keys", "expit"]
