"""Spells over time: where each person lived, in which household, with which status.

All tables here are the *intended* (clean) rows as column arrays; dirt is added on writing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartstart.synth._population import YEAR, Population, day

OPEN = day(2050, 12, 31)
REGISTER_START = day(1995, 1, 1)
PLHH_OF_TYPE = np.array([0, 2, 3, 4, 5, 6, 7, 8])  # PLHH of an adult by TYPHH
TYPE_WITHOUT_KIDS = np.array([0, 1, 2, 3, 2, 3, 1, 7])


@dataclass
class Timeline:
    arrive: np.ndarray  # per household: first day at its address in the municipality
    leave: np.ndarray  # per household: last day there (OPEN if still there)
    formed: np.ndarray  # per household: day the household (adults) formed


def make_timeline(rng: np.random.Generator, pop: Population, ref: int, end: int,
                  first: int) -> Timeline:
    n = pop.n_households
    adult = pop.p_role != 2
    youngest_adult = np.full(n, -10**6, dtype=np.int64)
    np.maximum.at(youngest_adult, pop.p_hh[adult], pop.p_birth[adult])
    early = rng.random(n) < 0.45
    arrive = np.where(early, rng.integers(REGISTER_START, day(2005), n),
                      rng.integers(day(2005), ref - 1, n))
    arrive = np.minimum(np.maximum(arrive, youngest_adult + int(16 * YEAR)), ref - 1)
    leave = np.full(n, OPEN, dtype=np.int64)
    stay = ref + rng.exponential(25 * YEAR, n).astype(np.int64)
    leave = np.where(stay < end, stay, leave)
    former, newcomer = pop.hh_status == 1, pop.hh_status == 2
    leave[former] = rng.integers(first, ref - 1, former.sum())
    arrive[former] = np.minimum(arrive[former], leave[former] - 200)
    arrive[newcomer] = rng.integers(ref, end - 30, newcomer.sum())
    leave[newcomer] = OPEN
    leave[pop.hh_foodbank > 0] = OPEN  # clients stay: their target-group status is planted
    oldest_kid = np.full(n, OPEN, dtype=np.int64)
    kid = pop.p_role == 2
    np.minimum.at(oldest_kid, pop.p_hh[kid], pop.p_birth[kid])
    before = rng.uniform(0, 5 * YEAR, n).astype(np.int64)
    formed = np.minimum(arrive, oldest_kid) - before
    formed = np.clip(formed, np.maximum(REGISTER_START, youngest_adult + int(17 * YEAR)), None)
    return Timeline(arrive, leave, formed)


def _group_rank(group: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... within runs of equal values of a sorted group array."""
    starts = np.r_[0, np.flatnonzero(np.diff(group)) + 1]
    lengths = np.diff(np.r_[starts, len(group)])
    return np.arange(len(group)) - np.repeat(starts, lengths)


def address_spells(rng: np.random.Generator, pop: Population, tl: Timeline,
                   earlier_mean: float) -> dict[str, np.ndarray]:
    """Person x address spells: earlier addresses, the municipality address, then outside.

    ``obj`` numbers: household h's address is ``h``; other objects get numbers past the
    households, with ``inside`` telling whether the object lies in the municipality.
    """
    n_hh = pop.n_households
    k = np.where(tl.arrive - REGISTER_START > 365, rng.poisson(earlier_mean, n_hh), 0)
    chain_hh = np.repeat(np.arange(n_hh), k)
    span = (k * rng.uniform(1.0, 6.0, n_hh) * YEAR).astype(np.int64)
    chain_start = np.maximum(REGISTER_START, tl.arrive - span)
    lo, hi = chain_start[chain_hh], tl.arrive[chain_hh]
    cut = lo + (rng.random(len(chain_hh)) * (hi - lo)).astype(np.int64)
    order = np.lexsort((cut, chain_hh))
    cut = cut[order]
    rank = _group_rank(chain_hh)
    cut[rank == 0] = lo[rank == 0]
    nxt = np.r_[cut[1:], 0]
    last = np.r_[chain_hh[1:] != chain_hh[:-1], True]
    chain_end = np.where(last, hi - 1, nxt - 1)
    chain_inside = rng.random(len(chain_hh)) < 0.25
    chain_obj = n_hh + np.arange(len(chain_hh))
    leaving = tl.leave < OPEN
    out_obj = n_hh + len(chain_hh) + np.cumsum(leaving) - 1
    # household spells: earlier chain, the municipality address, the address after leaving
    h_start = np.concatenate([cut, tl.arrive, tl.leave[leaving] + 1])
    h_end = np.concatenate([chain_end, tl.leave, np.full(leaving.sum(), OPEN)])
    h_obj = np.concatenate([chain_obj, np.arange(n_hh), out_obj[leaving]])
    h_inside = np.concatenate([chain_inside, np.ones(n_hh, bool), np.zeros(leaving.sum(), bool)])
    h_of = np.concatenate([chain_hh, np.arange(n_hh), np.flatnonzero(leaving)])
    rows = _expand(pop, h_of, h_start, h_end)
    n_objects = n_hh + len(chain_hh) + leaving.sum()
    inside = np.zeros(n_objects, bool)
    inside[h_obj] = h_inside
    return {"person": rows[0], "start": rows[1], "end": rows[2], "obj": h_obj[rows[3]],
            "inside": inside, "n_objects": n_objects}


def _expand(pop: Population, h_of: np.ndarray, start: np.ndarray, end: np.ndarray):
    """Give every member of a household its spells, clipped to the member's birth."""
    order = np.argsort(h_of, kind="stable")
    counts = np.bincount(h_of, minlength=pop.n_households)
    offsets = np.r_[0, np.cumsum(counts)[:-1]]
    per_person = counts[pop.p_hh]
    person = np.repeat(np.arange(pop.n_persons), per_person)
    local = np.arange(len(person)) - np.repeat(np.cumsum(per_person) - per_person, per_person)
    spell = order[offsets[pop.p_hh][person] + local]
    s = np.maximum(start[spell], pop.p_birth[person])
    keep = s <= end[spell]
    return person[keep], s[keep], end[spell][keep], spell[keep]


def household_spells(pop: Population, tl: Timeline) -> dict[str, np.ndarray]:
    """Person x household spells: a new spell at each child's birth; adults alone before."""
    kid = pop.p_role == 2
    births = np.where(kid & (pop.p_birth > tl.formed[pop.p_hh]), pop.p_birth, -1)
    b_hh = np.concatenate([np.arange(pop.n_households), pop.p_hh[births >= 0]])
    b_day = np.concatenate([tl.formed, births[births >= 0]])
    order = np.lexsort((b_day, b_hh))
    b_hh, b_day = b_hh[order], b_day[order]
    keep = np.r_[True, (b_hh[1:] != b_hh[:-1]) | (b_day[1:] != b_day[:-1])]
    b_hh, b_day = b_hh[keep], b_day[keep]
    last = np.r_[b_hh[1:] != b_hh[:-1], True]
    b_end = np.where(last, OPEN, np.r_[b_day[1:], 0] - 1)
    person, start, end, spell = _expand(pop, b_hh, b_day, b_end)
    member = ~((pop.p_role[person] == 2) & (pop.p_birth[person] > start))
    person, start, end, spell = person[member], start[member], end[member], spell[member]
    return _household_columns(pop, tl, person, start, end, b_hh[spell])


def _household_columns(pop, tl, person, start, end, hh) -> dict[str, np.ndarray]:
    kid_rows = pop.p_role[person] == 2
    key = _spell_key(hh, start)
    size = np.bincount(key)
    n_kids = np.bincount(key, weights=kid_rows)[key].astype(int)
    youngest = np.full(key.max() + 1, -1)
    np.maximum.at(youngest, key[kid_rows], pop.p_birth[person[kid_rows]])
    final = pop.hh_type[hh]
    typhh = np.where(n_kids > 0, final, TYPE_WITHOUT_KIDS[final])
    plhh = np.where(kid_rows, 1, PLHH_OF_TYPE[typhh])
    plhh[(pop.p_role[person] == 3)] = 9
    # before the household formed, adults lived alone (or, if under 18 then, as another member
    # of some other household: never as a child, so they stay out of the child population)
    adult = pop.p_role != 2
    alone_start = np.maximum(REGISTER_START, pop.p_birth)
    alone = adult & (alone_start < tl.formed[pop.p_hh])
    minor = (alone_start - pop.p_birth < int(18 * YEAR))[alone]
    cols = {
        "person": np.r_[person, np.flatnonzero(alone)],
        "start": np.r_[start, alone_start[alone]],
        "end": np.r_[end, tl.formed[pop.p_hh][alone] - 1],
        "hh": np.r_[hh, pop.n_households + np.flatnonzero(alone)],
        "typhh": np.r_[typhh, np.where(minor, 7, 1)],
        "plhh": np.r_[plhh, np.where(minor, 9, 2)],
        "ref": np.r_[(pop.p_role[person] == 0).astype(int), np.where(minor, 0, 1)],
        "size": np.r_[size[key], np.where(minor, 3, 1)],
        "kids": np.r_[n_kids, np.zeros(alone.sum(), int)],
        "youngest": np.r_[youngest[key], np.full(alone.sum(), -1)],
    }
    return cols


def _spell_key(hh: np.ndarray, start: np.ndarray) -> np.ndarray:
    _, key = np.unique(hh.astype(np.int64) * 100_000 + (start - REGISTER_START + 20_000),
                       return_inverse=True)
    return key


def secm_spells(rng: np.random.Generator, pop: Population, ref: int) -> dict[str, np.ndarray]:
    """Student until the current status starts; pensioners worked until 67."""
    age15 = pop.p_birth + int(15 * YEAR)
    switch = np.minimum(pop.p_birth + (rng.uniform(17, 24, pop.n_persons) * YEAR).astype(int),
                        ref - 30)
    at67 = pop.p_birth + int(67 * YEAR)
    has = (pop.p_secm > 0) & (age15 < ref)
    start1 = np.maximum(age15, REGISTER_START)
    rows = []
    student = has & (pop.p_secm != 31) & (switch > start1)
    rows.append((student, start1, switch - 1, np.full(pop.n_persons, 31)))
    s2 = np.where(pop.p_secm == 31, start1, np.maximum(switch, start1))
    pension = has & (pop.p_secm == 25) & (at67 > s2)
    rows.append((pension, s2, at67 - 1, np.full(pop.n_persons, 11)))
    s3 = np.where(pension, at67, s2)
    rows.append((has, s3, np.full(pop.n_persons, OPEN), pop.p_secm.astype(int)))
    person = np.concatenate([np.flatnonzero(m) for m, *_ in rows])
    start = np.concatenate([s[m] for m, s, *_ in rows])
    end = np.concatenate([e[m] for m, _, e, _ in rows])
    code = np.concatenate([c[m] for m, *_, c in rows])
    order = np.lexsort((start, person))
    return {"person": person[order], "start": start[order], "end": end[order],
            "secm": code[order]}
