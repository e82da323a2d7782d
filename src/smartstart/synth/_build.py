"""Build one municipality: population, history, events, then the delivered table frames."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smartstart.synth import _events as ev
from smartstart.synth import _tables as tb
from smartstart.synth._area import Areas, make_areas
from smartstart.synth._format import rin, ymd
from smartstart.synth._history import (
    OPEN,
    Timeline,
    address_spells,
    household_spells,
    make_timeline,
    secm_spells,
)
from smartstart.synth._outcomes import plant_outcomes
from smartstart.synth._population import Population, day, make_households, make_persons
from smartstart.synth._spec import SynthSpec

Frame = dict[str, np.ndarray]
INDEXED = ("INPATAB", "HOOGSTEOPLTAB", "INSCHRWPOTAB")


@dataclass
class Built:
    frames: list[tuple[str, int, int, Frame]]  # table, year, version, frame
    pop: Population
    areas: Areas
    tl: Timeline
    address: Frame
    household: Frame
    keys: tb.Keys
    facts: dict[str, object]


def build(spec: SynthSpec, index: int, gem: str, households: int, keys: tb.Keys) -> Built:
    rng = np.random.default_rng([spec.seed, index])
    ref, end, first = day(spec.peildatum.year), day(spec.last_year, 12, 31), day(spec.first_year)
    areas = make_areas(rng, gem, households)
    planted = spec.foodbank_types if index == 0 else (1, 2, 3, 4, 5)
    pop = make_persons(rng, make_households(rng, areas, households, planted), ref)
    tl = make_timeline(rng, pop, ref, end, first)
    ad = address_spells(rng, pop, tl, spec.earlier_addresses)
    hs = household_spells(pop, tl)
    sc = secm_spells(rng, pop, ref)
    ctx = ev.Context(pop, tl, areas, spec)
    years = range(spec.first_year, spec.last_year + 1)
    frames: list[tuple[str, int, int, Frame]] = []
    add = frames.append
    last = spec.last_year
    add(("GBAPERSOONTAB", last, 2, tb.gbapersoon(pop, keys)))
    add(("KINDOUDERTAB", last, 1, tb.kindouder(pop, keys)))
    obj_kind = tb.object_kinds(rng, ad["n_objects"])
    add(("GBAADRESOBJECTBUS", last, 1, tb.addresses(ad, keys, obj_kind)))
    add(("GBAHUISHOUDENSBUS", last, 1, tb.households(hs, keys)))
    add(("SECMBUS", last, 1, tb.secm(sc, keys)))
    area = tb.object_areas(rng, ad, pop, areas)
    care = ev.youth_care(rng, ctx, years)
    facts: dict[str, object] = {}
    yearly = _yearly(rng, spec, pop, tl, ctx, care, keys, ad, obj_kind, area, areas)
    frames += yearly["frames"]
    resident = _resident_with_household(ad, hs, ref)
    _protection(rng, spec, ctx, pop, tl, care, yearly, keys, frames, facts, resident)
    _other_events(rng, spec, ctx, keys, frames, first, end, facts)
    facts["object_buurt"] = area[3]
    y = spec.peildatum.year - 1
    facts["year_before"] = {"inha": yearly["inha"][y], "link": yearly["links"][y],
                            "edu": yearly["edu"][y]}
    built = Built(frames, pop, areas, tl, ad, hs, keys, facts)
    plant_outcomes(spec, index, built, ctx, sc, resident)
    return built


def _resident_with_household(ad: Frame, hs: Frame, when: int) -> np.ndarray:
    """Per person: lives in the municipality on ``when`` and has a household spell then."""
    n = max(ad["person"].max(initial=-1), hs["person"].max(initial=-1)) + 1
    at = ad["inside"][ad["obj"]] & (ad["start"] <= when) & (ad["end"] >= when)
    inside = np.zeros(n, bool)
    inside[ad["person"][at]] = True
    with_hh = np.zeros(n, bool)
    with_hh[hs["person"][(hs["start"] <= when) & (hs["end"] >= when)]] = True
    return inside & with_hh


def _yearly(rng, spec, pop, tl, ctx, care, keys, ad, obj_kind, area, areas) -> dict:
    ref_year = spec.peildatum.year
    ever_care = np.isin(np.arange(pop.n_persons), care["person"])
    special = ev.special_education(rng, ctx, ever_care)
    school = ev.school_of(rng, ctx)
    out: dict = {"frames": [], "links": {}, "inha": {}, "edu": {}}
    for year in range(spec.first_year, spec.last_year + 1):
        link = tb.income_links(pop, tl, year)
        inha = tb.income_households(rng, pop, tl, year, ref_year, link)
        edu = tb.education(rng, pop, year)
        out["links"][year], out["inha"][year], out["edu"][year] = link, inha, edu
        born = np.flatnonzero(link >= 0)
        koppel = {**tb.person_frame(keys, born), "RINPERSOONSHKW": np.full(len(born), "R"),
                  "RINPERSOONHKW": keys.person(link[born])}
        indexed = {"INPATAB": tb.personal_income(rng, pop, year, ref_year, link, inha),
                   "HOOGSTEOPLTAB": edu,
                   "INSCHRWPOTAB": tb.pupils(ctx, school, special, areas.school_brin, year)}
        out["frames"] += [("VSLGWBTAB", year, 1, tb.vslgwb(ad, keys, obj_kind, area)),
                          ("KOPPELPERSOONHUISHOUDEN", year, 1, koppel),
                          ("INHATAB", year, 1, {**inha, "_person": inha["RINPERSOONHKW"],
                                                "RINPERSOONHKW":
                                                keys.person(inha["RINPERSOONHKW"])})]
        for table, frame in indexed.items():
            frame = {k: v for k, v in frame.items() if k != "_level"}
            frame["RINPERSOON"] = keys.person(frame["RINPERSOON"])
            out["frames"].append((table, year, 1, frame))
    return out


def _protection(rng, spec, ctx, pop, tl, care, yearly, keys, frames, facts, resident) -> None:
    ref = day(spec.peildatum.year)
    y = spec.peildatum.year - 1
    bg_place, bg_order = ev.background_protection(rng, ctx, range(spec.first_year,
                                                                  spec.peildatum.year))
    history = ev._concat(care, bg_place)
    children, predictors = tb.risk_predictors(ctx, pop, history, yearly["inha"][y],
                                              yearly["links"][y], yearly["edu"][y], ref,
                                              resident)
    placement, order, event, lp = ev.risk_outcome(rng, ctx, pop, predictors, children)
    hulp = ev._concat(history, placement)
    frames.append(("JGDHULPBUS", spec.last_year, 1, tb.spell_frame(
        keys, hulp, "JGDHGELDIGHEIDBEGINDATUM", "JGDHGELDIGHEIDEINDDATUM", "JGDHHULPVORM")))
    bescherm = ev._concat(bg_order, order)
    frames.append(("JGDBESCHERMBUS", spec.last_year, 1, tb.spell_frame(
        keys, bescherm, "JGDBGELDIGHEIDBEGINDATUM", "JGDBGELDIGHEIDEINDDATUM", "JGDBMAATREGEL")))
    facts["risk"] = {"children": children, "predictors": predictors, "event": event, "lp": lp}
    facts["care"] = care
    facts["spells"] = {"JGDHULPBUS": hulp, "JGDBESCHERMBUS": bescherm}


def _other_events(rng, spec, ctx, keys, frames, first, end, facts) -> None:
    years = range(spec.first_year, spec.last_year + 1)
    last = spec.last_year
    h = ev.halt(rng, ctx, years)
    frames.append(("HALTBUS", last, 1, tb.spell_frame(
        keys, h, "HALTDATUMVERWIJZING", "HALTDATUMAFDOENING", "HALTDELICT")))
    vsv = ev.early_leaving(rng, ctx, years)
    year_of = (vsv["start"].astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970)
    for year in years:
        sel = year_of == year
        frames.append(("VSVTAB", year, 1, {**tb.person_frame(keys, vsv["person"][sel]),
                                           "VSVDATUMUITSCHRIJVING": ymd(vsv["start"][sel]),
                                           "VSVONDERWIJSSOORT": vsv["code"][sel]}))
    w = ev.wmo(rng, ctx, first, end)
    frames.append(("WMOBUS", last, 1, tb.spell_frame(
        keys, w, "WMODATUMAANVANG", "WMODATUMEINDE", "WMOVORM")))
    d = ev.wsnp(rng, ctx, first, end)
    frame = tb.spell_frame(keys, d, "Wsnpdatumtoelaat", "Wsnpdatumbeein", "Wsnpsrtbeein",
                           empty_end="")
    frame["Wsnpsrtbeein"] = np.where(d["end"] < 0, "", frame["Wsnpsrtbeein"])
    frames.append(("WSNPPERSBUS", last, 1, frame))
    facts["spells"].update({"HALTBUS": h, "VSVTAB": vsv, "WSNPPERSBUS": d})


def partner_file(rng, spec: SynthSpec, b: Built) -> tuple[Frame, dict]:
    """Food-bank clients: every member of a client household, with the partner's columns."""
    pop, tl = b.pop, b.tl
    ref = day(spec.peildatum.year)
    clients = np.flatnonzero(pop.hh_foodbank > 0)
    former = np.flatnonzero((pop.hh_status == 1) & (tl.leave > day(2016)))
    outside = rng.choice(former, size=min(len(former), max(1, round(0.03 * len(clients)))),
                         replace=False)
    hh = np.r_[clients, outside]
    lo = np.where(np.isin(hh, outside), day(2015), day(2016))
    hi = np.where(np.isin(hh, outside), tl.leave[hh] - 30, ref + 180)
    start = lo + (rng.random(len(hh)) * (hi - lo)).astype(np.int64)
    duration = np.select([rng.random(len(hh)) < 0.13, rng.random(len(hh)) < 0.37],
                         [rng.integers(30, 182, len(hh)), rng.integers(182, 365, len(hh))],
                         rng.integers(366, 1500, len(hh)))
    stop = start + duration
    members = np.flatnonzero(np.isin(pop.p_hh, hh) & (pop.p_birth < ref))
    pos = np.searchsorted(hh, pop.p_hh[members], sorter=np.argsort(hh))
    row_hh = np.argsort(hh)[pos]
    keys = b.keys.person(members)
    unmatched = rng.random(len(members)) < spec.unmatched_share
    rins = np.where(unmatched, rin(rng.integers(0, 10**8, len(members)), salt=991), keys)
    rinss = np.where(unmatched, "S", "R")
    end_text = np.where(stop[row_hh] > day(spec.last_year, 6, 30), "",
                        _dmy(stop[row_hh]))
    frame = {"RINPERSOONS": rinss, "RINPERSOON": rins, "startdatum": _dmy(start[row_hh]),
             "einddatum": end_text,
             "verwijzer": rng.choice(["Wijkteam", "Schuldhulpverlening", "Maatschappelijk werk",
                                      "Huisarts", "Anders"], len(members)),
             "gezinsgrootte": pop.extra["hh_size"][pop.p_hh[members]]}
    found = np.unique(pop.p_hh[members[~unmatched]])
    facts = {"client_households": len(clients), "outside_households": len(outside),
             "target_households": int(np.isin(found, clients).sum()),
             "rows": len(members), "unmatched_rows": int(unmatched.sum()),
             "duration_days": duration, "households": hh, "start": start, "stop": stop}
    return frame, facts


def _dmy(days: np.ndarray) -> np.ndarray:
    """Dates as partners write them: DD-MM-YYYY."""
    text = ymd(days)
    return np.array([f"{t[6:8]}-{t[4:6]}-{t[:4]}" for t in text], dtype="U10")


__all__ = ["OPEN", "Built", "build", "partner_file"]
