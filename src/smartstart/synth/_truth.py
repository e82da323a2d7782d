"""The planted truth: file tallies for every municipality, detail for the demo municipality."""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np

from smartstart.sources._catalog import TableSpec
from smartstart.synth._build import Built
from smartstart.synth._format import ymd
from smartstart.synth._history import OPEN
from smartstart.synth._outcomes import outcome_tables, outcomes_truth
from smartstart.synth._population import day
from smartstart.synth._spec import FOODBANK_TYPES, SynthSpec

RISK_DEFINITIONS = {
    "outcome": "start of youth care with residential stay (JGDHULPBUS JGDHHULPVORM 11-14) or of "
               "a supervision order (JGDBESCHERMBUS JGDBMAATREGEL 1) on or after the peildatum "
               "and before peildatum + window_years",
    "population": "residents under 18 on the peildatum in the position of child in their "
                  "household (PLHH 1) on the peildatum",
    "young_mother": "the child's mother (KINDOUDERTAB) was under 22 (completed years) at the "
                    "birth of her first child in KINDOUDERTAB",
    "single_parent": "the child's household on the peildatum has TYPHH 6",
    "parent_no_work": "no parent in the child's household (PLHH 3-7) has SECM 11-15 on the "
                      "peildatum",
    "rent_allowance": "the child's income household (KOPPELPERSOONHUISHOUDEN -> INHATAB) of the "
                      "year before the peildatum has INHEHALGR 3",
    "parent_low_education": "the highest known level (HOOGSTEOPLTAB of the year before the "
                            "peildatum, first digit) of the parents in the household is 1",
    "prior_youth_care": "a JGDHULPBUS spell overlapping the 365 days before the peildatum",
    "combination": "young_mother and single_parent and parent_no_work and rent_allowance",
}


class Tally:
    """Per delivered file: rows and the distribution of every code column."""

    def __init__(self) -> None:
        self.files: dict[str, dict] = {}

    def add(self, rel: str, table: TableSpec, year: int, version: int, frame: dict) -> None:
        entry = self.files.setdefault(rel, {"table": table.name, "year": year,
                                            "version": version, "rows": 0,
                                            "codes": defaultdict(Counter),
                                            "missing": Counter(), "padded": Counter(),
                                            "impossible_dates": Counter(),
                                            "open_end_aliases": Counter()})
        entry["rows"] += len(frame[next(iter(table.columns))])
        for name, col in table.columns.items():
            missing = col.missing_strings
            if col.type != "code" and not missing:
                continue
            # each distinct value once (a code column has a handful): the text of a value,
            # and so what it counts as, does not depend on the row
            values = np.asarray(frame[name])
            distinct, counts = np.unique(values.astype(str) if values.dtype.kind == "O"
                                         else values, return_counts=True)
            raw = distinct.astype(str)
            text = np.char.strip(raw)
            if col.type == "code":
                entry["padded"][name] += int(counts[text != raw].sum())
                is_missing = np.isin(text, list(missing))
                entry["missing"][name] += int(counts[is_missing].sum())
                for value, n in zip(text[~is_missing].tolist(), counts[~is_missing].tolist(),
                                    strict=True):
                    entry["codes"][name][value] += n
            else:
                if col.type in ("int", "float"):
                    text = np.char.replace(text, ".0", "") if text.dtype.kind == "U" else text
                entry["missing"][name] += int(counts[np.isin(text, list(missing))].sum())

    def add_dirt(self, rel: str, kind: str, counts: dict[str, int]) -> None:
        for column, n in counts.items():
            self.files[rel][kind][column] += n

    def to_json(self) -> dict:
        return {rel: {k: ({c: dict(v) for c, v in val.items()} if k == "codes"
                          else dict(val) if isinstance(val, Counter) else val)
                      for k, val in entry.items()} for rel, entry in sorted(self.files.items())}


def residents_truth(b: Built, removed: np.ndarray, years: range) -> dict:
    """Residents and households on 1 January of each year, from the intended spells."""
    ad, hs = b.address, b.household
    inside = ad["inside"][ad["obj"]]
    keep = ~np.isin(hs["person"], removed)
    out = {}
    for year in years:
        when = day(year)
        cov = inside & (ad["start"] <= when) & (ad["end"] >= when)
        # latest start wins where spells overlap (intended spells do not overlap)
        residents = np.unique(ad["person"][cov])
        hcov = keep & (hs["start"] <= when) & (hs["end"] >= when) & np.isin(hs["person"],
                                                                             residents)
        key = hs["hh"][hcov].astype(np.int64) * 100_000 + (hs["start"][hcov] - day(1950))
        uniq, first = np.unique(key, return_index=True)
        types = Counter(hs["typhh"][hcov][first].tolist())
        with_hh = np.unique(hs["person"][hcov])
        out[f"{year}-01-01"] = {
            "residents": int(len(residents)), "households": int(len(uniq)),
            "households_by_type": {str(k): int(v) for k, v in sorted(types.items())},
            "residents_without_household": int(len(residents) - len(with_hh))}
    return out


def demo_truth(spec: SynthSpec, b: Built, partner: dict, removed: np.ndarray) -> dict:
    pop, areas = b.pop, b.areas
    risk = b.facts["risk"]
    ref = day(spec.peildatum.year)
    children, predictors, event = risk["children"], risk["predictors"], risk["event"]
    hh = partner["households"]
    inside = hh[np.isin(hh, np.flatnonzero(pop.hh_foodbank > 0))]
    duration = partner["duration_days"]
    planted = _planted_rates(b)
    return {
        "municipality": {"code": areas.gem, "name": spec.municipality[1]},
        "areas": [{"wc": str(areas.wc[i]), "bc": str(areas.bc[i]),
                   "deprivation": round(float(areas.deprivation[i]), 3),
                   "household_share": round(float(areas.weight[i]), 4),
                   "schools": int((areas.school_buurt == i).sum()), "pilot": bool(areas.pilot[i]),
                   **planted[i]}
                  for i in range(areas.n_buurten)],
        "on_date": residents_truth(b, removed, range(spec.first_year, spec.last_year + 1)),
        "foodbank": {
            "types": {str(k): {"name": name, "seed_households": n,
                               "households": int((pop.hh_foodbank == k).sum())}
                      for k, (name, n) in FOODBANK_TYPES.items() if k in spec.foodbank_types},
            "client_households_in_municipality": int(len(inside)),
            "client_households_moved_away": partner["outside_households"],
            "target_households": partner["target_households"],
            "partner_rows": partner["rows"], "unmatched_rows": partner["unmatched_rows"],
            "duration_share": {"lt_6_months": round(float((duration < 182).mean()), 3),
                               "6_to_12_months": round(float(((duration >= 182)
                                                              & (duration < 366)).mean()), 3),
                               "gt_1_year": round(float((duration >= 366).mean()), 3)},
            "window": ["2015-01-01", f"{spec.last_year}-12-31"]},
        "risk_model": {
            "peildatum": spec.peildatum.isoformat(), "window_years": spec.risk.window_years,
            "coefficients": spec.risk.coefficients(), "definitions": RISK_DEFINITIONS,
            "children": int(len(children)), "events": int(event.sum()),
            "prevalence": {k: round(float(v.mean()), 4) for k, v in predictors.items()},
            "combination_children": int(predictors["combination"].sum()),
            "combination_events": int(event[predictors["combination"] == 1].sum())},
        "intervention": {
            "pilot_buurten": [str(x) for x in areas.bc[areas.pilot]],
            "from_year": spec.intervention_year, "relative_risk": spec.intervention_effect,
            "outcomes": ["youth care without residential stay (JGDHHULPVORM 1-4), yearly starts "
                         "of children 0-17", "Halt referrals of ages 12-17",
                         "early school leaving (VSVTAB) of ages 16-22"],
            "applies_to": "residents of the pilot buurten (by their household's address)"},
        "peildatum_households": int(((b.tl.arrive <= ref) & (b.tl.leave >= ref)).sum()),
        "outcomes": outcomes_truth(spec, b),
    }


def _planted_rates(b: Built) -> list[dict]:
    """Per buurt: the risk population's children living there on the peildatum and their mean
    planted chance of the risk outcome (expit of the planted linear predictor): the rate an
    areas analysis estimates (read only: no draw, so no table changes)."""
    risk = b.facts["risk"]
    buurt = b.pop.hh_buurt[b.pop.p_hh[risk["children"]]]
    chance = 1 / (1 + np.exp(-np.asarray(risk["lp"], dtype=float)))
    out = []
    for i in range(b.areas.n_buurten):
        mine = buurt == i
        out.append({"risk_children": int(mine.sum()),
                    "planted_rate": round(float(chance[mine].mean()), 5) if mine.any() else None})
    return out


def truth_tables(b: Built, partner: dict) -> dict[str, dict[str, np.ndarray]]:
    """Row-level truth for tests of later steps (synthetic keys only; never a tool output)."""
    pop, keys, risk = b.pop, b.keys, b.facts["risk"]
    ref_open = np.minimum(b.tl.leave, OPEN)
    hh = {"household": np.arange(pop.n_households),
          "HUISHOUDNR": keys.household(np.arange(pop.n_households)),
          "formed": ymd(b.tl.formed),
          "foodbank_type": pop.hh_foodbank.astype(int),
          "buurt": b.areas.bc[pop.hh_buurt], "typhh": pop.hh_type.astype(int),
          "tenure": pop.hh_tenure.astype(int), "income": pop.hh_income,
          "arrive": ymd(b.tl.arrive), "leave": ymd(ref_open),
          "reference_person": keys.person(np.flatnonzero(pop.p_role == 0))}
    children = risk["children"]
    kids = {"RINPERSOON": keys.person(children), **{k: v for k, v in risk["predictors"].items()},
            "outcome": risk["event"].astype(int), "linear_predictor": risk["lp"]}
    return {"households": hh, "children": kids, **outcome_tables(b)}
