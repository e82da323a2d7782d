"""Wijken and buurten that differ in deprivation, with primary schools and pilot buurten."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Municipalities around the demo municipality, for addresses outside it (code, name).
NEIGHBOURS = ("0855", "0758", "0785", "0824", "0798", "0867", "0809", "0826", "0757", "0796")
PILOT_BUURTEN = 3
SCHOOLS_PER_PILOT_BUURT = 3


@dataclass(frozen=True)
class Areas:
    gem: str
    wc: np.ndarray  # per buurt: 6-character wijk code
    bc: np.ndarray  # per buurt: 8-character buurt code
    deprivation: np.ndarray  # per buurt, standard-normal scale, higher = more deprived
    weight: np.ndarray  # per buurt share of households
    pilot: np.ndarray  # per buurt: pilot neighbourhood of the intervention
    school_brin: np.ndarray  # per school: encrypted BRIN
    school_buurt: np.ndarray  # per school: buurt index

    @property
    def n_buurten(self) -> int:
        return len(self.bc)


def make_areas(rng: np.random.Generator, gem: str, households: int) -> Areas:
    n_buurten = int(np.clip(round(households / 600), 4, 60))
    n_wijken = int(np.clip(round(n_buurten / 3), 2, 20))
    wijk_of = np.sort(np.concatenate([np.arange(n_wijken),
                                      rng.integers(0, n_wijken, n_buurten - n_wijken)]))
    wijk_dep = rng.normal(0, 0.8, n_wijken)
    deprivation = wijk_dep[wijk_of] + rng.normal(0, 0.5, n_buurten)
    deprivation = (deprivation - deprivation.mean()) / deprivation.std()
    weight = rng.gamma(4.0, 1.0, n_buurten)
    weight /= weight.sum()
    within = np.zeros(n_buurten, dtype=int)
    for w in range(n_wijken):
        idx = np.flatnonzero(wijk_of == w)
        within[idx] = np.arange(1, len(idx) + 1)
    wc = np.array([f"{gem}{w + 1:02d}" for w in wijk_of])
    bc = np.array([f"{wc[b]}{within[b]:02d}" for b in range(n_buurten)])
    pilot = np.zeros(n_buurten, dtype=bool)
    pilot[np.argsort(-deprivation)[:PILOT_BUURTEN]] = True
    school_buurt = _place_schools(rng, households, weight, pilot)
    brin = _codes(rng, len(school_buurt), 8)
    return Areas(gem, wc, bc, deprivation, weight, pilot, brin, school_buurt)


def _place_schools(rng: np.random.Generator, households: int, weight: np.ndarray,
                   pilot: np.ndarray) -> np.ndarray:
    """Pilot buurten get three schools each (the seed chose buurten with >= 3 schools)."""
    others = max(3, round(households / 1600))
    placed = rng.choice(len(weight), size=others, p=weight)
    return np.sort(np.concatenate([np.repeat(np.flatnonzero(pilot), SCHOOLS_PER_PILOT_BUURT),
                                   placed]))


def _codes(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    alphabet = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))
    letters = alphabet[rng.integers(0, len(alphabet), (n, width))]
    return np.array(["".join(row) for row in letters])


def outside_area_codes(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Municipality, wijk and buurt codes of addresses in the surrounding municipalities."""
    gem = np.array(NEIGHBOURS)[rng.integers(0, len(NEIGHBOURS), n)]
    wijk = rng.integers(1, 12, n)
    buurt = rng.integers(1, 9, n)
    wc = np.char.add(gem, np.char.zfill(wijk.astype(str), 2))
    bc = np.char.add(wc, np.char.zfill(buurt.astype(str), 2))
    return gem, wc, bc
