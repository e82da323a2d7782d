"""Households and persons of one municipality with their planted attributes.

Dates are integer days since 1970-01-01 (numpy ``datetime64[D]`` as int) throughout synth.
Attributes describe the household at the peildatum ``ref``; history is built in ``_history``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smartstart.synth._area import Areas
from smartstart.synth._spec import FOODBANK_SHARE, FOODBANK_TYPES

YEAR = 365.25
#: Household type shares (TYPHH 1..7) of a Dutch small-town municipality.
TYPE_SHARES = np.array([0.33, 0.10, 0.22, 0.06, 0.20, 0.08, 0.01])
WITH_KIDS = np.array([False, False, False, False, True, True, True, False])  # index = TYPHH
HERKOMST = np.array(["6043", "5022", "5007", "5095", "7003", "6029", "7044", "6002", "5001"])
HERKOMST_P = np.array([0.2, 0.2, 0.14, 0.06, 0.1, 0.1, 0.08, 0.06, 0.06])
WORK = (11, 12, 13, 14, 15)


def day(year: int, month: int = 1, dom: int = 1) -> int:
    return int(np.datetime64(f"{year:04d}-{month:02d}-{dom:02d}", "D").astype(int))


def expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Population:
    """Column arrays: ``hh_*`` per household, ``p_*`` per person (``p_hh`` links them)."""

    hh_type: np.ndarray  # TYPHH at the peildatum
    hh_buurt: np.ndarray
    hh_status: np.ndarray  # 0 current, 1 former (left before ref), 2 newcomer (after ref)
    hh_foodbank: np.ndarray  # 0 none, 1..5 planted food-bank type
    hh_tenure: np.ndarray  # INHEHALGR 1/2/3
    hh_income: np.ndarray  # disposable income in the year before ref
    p_hh: np.ndarray
    p_role: np.ndarray  # 0 reference adult, 1 partner, 2 child, 3 other adult
    p_sex: np.ndarray  # 1 man, 2 woman
    p_birth: np.ndarray  # day number
    p_generation: np.ndarray
    p_herkomst: np.ndarray
    p_edu: np.ndarray  # 1 low, 2 middle, 3 high
    p_edu_known: np.ndarray
    p_secm: np.ndarray  # SECM code at ref (0 for children under 15)
    p_income: np.ndarray  # gross personal income
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_households(self) -> int:
        return len(self.hh_type)

    @property
    def n_persons(self) -> int:
        return len(self.p_hh)


def _foodbank_counts(current: int, planted: tuple[int, ...] = (1, 2, 3, 4, 5)) -> np.ndarray:
    """The seed's types in the seed's proportions (largest remainder); others get none."""
    sizes = np.array([n if k in planted else 0 for k, (_, n) in FOODBANK_TYPES.items()],
                     dtype=float)
    total = round(current * FOODBANK_SHARE * sizes.sum() / 191)
    raw = sizes / sizes.sum() * total
    counts = np.floor(raw).astype(int)
    counts[np.argsort(-(raw - counts))[: total - counts.sum()]] += 1
    return counts


def make_households(rng: np.random.Generator, areas: Areas, current: int,
                    planted: tuple[int, ...] = (1, 2, 3, 4, 5)) -> dict[str, np.ndarray]:
    former, newcomer = round(0.30 * current), round(0.12 * current)
    n = current + former + newcomer
    status = np.repeat([0, 1, 2], [current, former, newcomer])
    fb_counts = _foodbank_counts(current, planted)
    foodbank = np.zeros(n, dtype=np.int8)
    fb_idx = rng.choice(current, size=fb_counts.sum(), replace=False)
    foodbank[fb_idx] = np.repeat(np.arange(1, 6), fb_counts)
    dep_weight = areas.weight * np.exp(0.9 * areas.deprivation)
    buurt = rng.choice(areas.n_buurten, size=n, p=areas.weight)
    buurt[foodbank > 0] = rng.choice(areas.n_buurten, size=(foodbank > 0).sum(),
                                     p=dep_weight / dep_weight.sum())
    dep = areas.deprivation[buurt]
    logits = np.log(TYPE_SHARES)[None, :] + np.outer(dep, [0.3, 0, -0.15, 0, -0.2, 0.45, 0.2])
    gumbel = rng.gumbel(size=logits.shape)
    hh_type = (np.argmax(logits + gumbel, axis=1) + 1).astype(np.int8)
    hh_type[foodbank > 0] = np.array([0, 3, 5, 6, 5, 1])[foodbank[foodbank > 0]]
    return {"status": status, "foodbank": foodbank, "buurt": buurt, "type": hh_type, "dep": dep}


def _members(rng: np.random.Generator, hh_type: np.ndarray, foodbank: np.ndarray):
    adults = np.where(np.isin(hh_type, [1, 6]), 1, 2)
    adults[hh_type == 7] = 2 + (rng.random((hh_type == 7).sum()) < 0.3)
    kids = np.where(WITH_KIDS[hh_type], 1 + np.minimum(rng.poisson(1.0, len(hh_type)), 3), 0)
    kids[foodbank == 2] = np.maximum(kids[foodbank == 2], 2)
    return adults, kids


def make_persons(rng: np.random.Generator, hh: dict[str, np.ndarray], ref: int) -> Population:
    hh_type, foodbank, dep = hh["type"], hh["foodbank"], hh["dep"]
    n_adults, n_kids = _members(rng, hh_type, foodbank)
    size = n_adults + n_kids
    p_hh = np.repeat(np.arange(len(hh_type)), size)
    rank = np.arange(len(p_hh)) - np.repeat(np.cumsum(size) - size, size)
    is_kid = rank >= np.repeat(n_adults, size)
    role = np.where(is_kid, 2, np.where(rank == 0, 0, 1)).astype(np.int8)
    role[(hh_type[p_hh] == 7) & (rank > 0)] = 3
    t, fb, d = hh_type[p_hh], foodbank[p_hh], dep[p_hh]

    age = _adult_ages(rng, t, fb)
    # families: mother's age at her first child, children spaced 1.5-4 years
    first_age = np.clip(rng.normal(29.8 - 1.0 * dep - 2.5 * (hh_type == 6), 4.3), 16.5, 44)
    first_age[foodbank == 3] = np.clip(rng.normal(21.0, 1.6, (foodbank == 3).sum()), 16.5, 24)
    oldest = rng.uniform(0, 19, len(hh_type))
    oldest[foodbank == 3] = rng.uniform(3, 9.5, (foodbank == 3).sum())
    oldest[foodbank == 2] = rng.uniform(6, 17, (foodbank == 2).sum())
    kid_rank = np.where(is_kid, rank - np.repeat(n_adults, size), 0)
    gaps = rng.uniform(1.5, 4.0, len(p_hh))
    kid_age = np.clip(oldest[p_hh] - kid_rank * gaps, 0.05, None) - rng.uniform(0, 0.04, len(p_hh))
    has_kids = n_kids[p_hh] > 0
    mother_age = oldest[p_hh] + first_age[p_hh]
    age = np.where(is_kid, kid_age, np.where(has_kids & (role == 0), mother_age, age))
    partner_of_family = has_kids & (role == 1)
    age[partner_of_family] = mother_age[partner_of_family] + rng.normal(2.5, 3.0,
                                                                      partner_of_family.sum())
    sex = _sexes(rng, role, t, has_kids, age)
    birth = (ref - age * YEAR).astype(np.int64)
    generation, herkomst = _origin(rng, p_hh, d, fb, is_kid)
    edu, known = _education(rng, age, d, fb, is_kid)
    secm = _work(rng, age, edu, t, d, fb, role)
    income = _personal_income(rng, secm, edu)
    hh_income = np.bincount(p_hh, weights=income * 0.78, minlength=len(hh_type))
    hh_income = _foodbank_income(rng, hh_income, foodbank)
    tenure = _tenure(rng, hh_income, size, dep, foodbank)
    extra = {"first_age": first_age, "hh_size": size, "hh_kids": n_kids, "hh_adults": n_adults}
    return Population(hh_type, hh["buurt"], hh["status"], foodbank, tenure, hh_income, p_hh,
                      role, sex, birth, generation, herkomst, edu, known, secm, income, extra)


def _adult_ages(rng: np.random.Generator, t: np.ndarray, fb: np.ndarray) -> np.ndarray:
    n = len(t)
    young, mid, old = rng.uniform(20, 40, n), rng.uniform(40, 66, n), rng.uniform(66, 92, n)
    pick = rng.random(n)
    age = np.where(pick < 0.42, young, np.where(pick < 0.68, mid, old))
    couple = np.isin(t, [2, 3])
    age[couple] = np.where(rng.random(couple.sum()) < np.where(t[couple] == 2, 0.7, 0.3),
                           rng.uniform(22, 45, couple.sum()), rng.uniform(45, 88, couple.sum()))
    age[t == 7] = rng.uniform(19, 70, (t == 7).sum())
    age[fb == 1] = rng.normal(50, 5, (fb == 1).sum())
    age[fb == 5] = rng.normal(44, 11, (fb == 5).sum()).clip(20, 66)
    return age


def _sexes(rng, role, t, has_kids, age) -> np.ndarray:
    sex = np.where(rng.random(len(role)) < 0.5, 1, 2).astype(np.int8)
    sex[(role == 0) & (t == 1)] = np.where(rng.random(((role == 0) & (t == 1)).sum())
                                           < np.where(age[(role == 0) & (t == 1)] > 70, 0.65, 0.45),
                                           2, 1)
    couple_first = (role == 0) & np.isin(t, [2, 3, 4, 5])
    sex[couple_first] = 2  # the mother / first partner
    sex[(role == 1) & np.isin(t, [2, 3, 4, 5])] = 1
    single_parent = (role == 0) & (t == 6)
    sex[single_parent] = np.where(rng.random(single_parent.sum()) < 0.85, 2, 1)
    return sex


def _origin(rng, p_hh, d, fb, is_kid) -> tuple[np.ndarray, np.ndarray]:
    n_hh = p_hh.max() + 1
    hh_dep = np.zeros(n_hh)
    hh_dep[p_hh] = d
    hh_fb = np.zeros(n_hh, dtype=np.int8)
    hh_fb[p_hh] = fb
    p_mig = np.clip(0.13 + 0.09 * hh_dep, 0.03, 0.5)
    p_mig[hh_fb == 3] = 0.8
    p_mig[hh_fb == 5] = 0.3
    migrant = rng.random(n_hh) < p_mig
    origin = HERKOMST[rng.choice(len(HERKOMST), size=n_hh, p=HERKOMST_P)]
    first_gen = rng.random(len(p_hh)) < 0.65
    generation = np.where(migrant[p_hh], np.where(is_kid | ~first_gen, 2, 1), 0).astype(np.int8)
    herkomst = np.where(migrant[p_hh], origin[p_hh], "6030")
    return generation, herkomst


def _education(rng, age, d, fb, is_kid) -> tuple[np.ndarray, np.ndarray]:
    latent = rng.normal(0, 1, len(age)) - 0.55 * d + 0.4 * (age < 45)
    edu = np.select([latent < -0.55, latent < 0.45], [1, 2], 3).astype(np.int8)
    edu[fb == 1], edu[fb == 2] = 2, 3
    edu[np.isin(fb, [3, 4, 5])] = 1
    edu[is_kid] = 1
    known = (rng.random(len(age)) < np.where(age < 50, 0.9, 0.72)) & (age >= 15)
    known[(fb > 0) & ~is_kid] = True
    return edu, known


def _work(rng, age, edu, t, d, fb, role) -> np.ndarray:
    n = len(age)
    working = rng.random(n) < expit(1.1 + 0.6 * (edu - 2) - 0.45 * d - 0.9 * (t == 6))
    other = rng.choice([21, 22, 24, 32], size=n, p=[0.16, 0.34, 0.3, 0.2])
    secm = np.where(working, rng.choice([11, 13], size=n, p=[0.9, 0.1]), other)
    secm = np.where(age < 24, np.where(rng.random(n) < 0.5, 31, secm), secm)
    secm = np.where(age >= 67, 25, secm)
    adult = role != 2
    fixed = {1: (11, 32), 2: (21, 11), 3: (22, 22), 4: (24, 32), 5: (22, 22)}
    for kind, (first, second) in fixed.items():
        sel = (fb == kind) & adult
        secm[sel] = np.where(role[sel] == 0, first, second)
    secm[(role == 2) & (age < 15)] = 0
    secm[(role == 2) & (age >= 15)] = 31
    return secm.astype(np.int16)


def _personal_income(rng, secm, edu) -> np.ndarray:
    wage = np.exp(rng.normal(np.log(np.array([1, 27000, 36000, 52000]))[edu], 0.3))
    base = {21: 17000, 22: 12500, 24: 19000, 25: 24000, 31: 3000, 32: 0, 0: 0}
    income = np.zeros(len(secm))
    for code, amount in base.items():
        income[secm == code] = amount * np.exp(rng.normal(0, 0.12, (secm == code).sum()))
    worker = np.isin(secm, WORK)
    income[worker] = wage[worker]
    return income.round()


def _foodbank_income(rng, income: np.ndarray, foodbank: np.ndarray) -> np.ndarray:
    planted = {1: (22000, 1800), 2: (18000, 1800), 3: (14000, 1200), 4: (20000, 6000),
               5: (14000, 1200)}
    income = income.copy()
    for kind, (mean, sd) in planted.items():
        sel = foodbank == kind
        income[sel] = rng.normal(mean, sd, sel.sum()).clip(9000)
    return np.maximum(income, 8000).round()


def _tenure(rng, income, size, d, foodbank) -> np.ndarray:
    equiv = income / np.sqrt(size)
    owner = rng.random(len(income)) < expit(-0.9 + 3.1 * np.log(equiv / 14000) - 0.5 * d)
    allowance = rng.random(len(income)) < expit(4.5 - 6.0 * (equiv / 22000))
    tenure = np.where(owner, 1, np.where(allowance, 3, 2)).astype(np.int8)
    planted = {1: 1, 3: 3, 4: 2, 5: 3}
    for kind, code in planted.items():
        tenure[foodbank == kind] = code
    sel = foodbank == 2
    tenure[sel] = rng.choice([1, 2, 3], size=sel.sum())
    return tenure
