"""The planted outcome catalog: one logistic model per outcome in the window [P, P + window).

Each model is data: who it is about, what the outcome is in the tables, and its log-odds over
predictors the pipeline can compute from the tables on the peildatum P. ``_outcomes.py`` plants
them; truth.json repeats them under ``demo.outcomes``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Every predictor, in words: what the tables show on the peildatum P.
PREDICTORS: dict[str, str] = {
    "male": "GBAGESLACHT 1",
    "youth_12_23": "aged 12-23 (completed years, from GBAGEBOORTEJAAR/-MAAND/-DAG) on the "
                   "peildatum",
    "young_mother": "the child's mother (KINDOUDERTAB) was under 22 (completed years) at the "
                    "birth of her first child in KINDOUDERTAB",
    "single_parent": "the person's household on the peildatum (GBAHUISHOUDENSBUS) has TYPHH 6",
    "one_person": "the household on the peildatum has TYPHH 1",
    "parent_no_work": "no parent in the child's household (PLHH 2-8) has SECM 11-15 on the "
                      "peildatum",
    "own_no_work": "the person's SECMBUS spell on the peildatum has no SECM 11-15",
    "household_bijstand": "a member of the household on the peildatum (any PLHH) has SECM 22 "
                          "on the peildatum",
    "rent_allowance": "the income household (KOPPELPERSOONHUISHOUDEN -> INHATAB) of the year "
                      "before the peildatum has INHEHALGR 3 (for a household: that of its "
                      "reference person, REFPERSOONHH 1)",
    "low_education": "the person's level in HOOGSTEOPLTAB of the year before the peildatum "
                     "(first digit of OPLNIVSOI2021AGG4HBmetNIRWO) is 1",
    "household_low_education": "the highest known level (HOOGSTEOPLTAB of the year before the "
                               "peildatum, first digit) of the household's members with PLHH "
                               "2-8 is 1",
    "prior_youth_care": "a JGDHULPBUS spell overlapping the 365 days before the peildatum",
    "prior_halt": "a HALTBUS row with HALTDATUMVERWIJZING in the 365 days before the peildatum",
}


@dataclass(frozen=True)
class OutcomeModel:
    unit: str  # "person" or "household"
    population: str
    definition: str
    coefficients: dict[str, float]  # "intercept" first, then predictor -> log-odds
    #: events of the outcome the tables hold without this model (kept; see _outcomes.py)
    already: str = "none: every event is planted by this model"

    def predictors(self) -> dict[str, str]:
        return {name: PREDICTORS[name] for name in self.coefficients if name != "intercept"}


_RESIDENT = ("residents of the municipality on the peildatum (an address there in "
             "GBAADRESOBJECTBUS and a household spell in GBAHUISHOUDENSBUS on that day)")
_CHILDREN = ("residents under 18 (completed years) on the peildatum in the position of child in "
             "their household (PLHH 1) on the peildatum (the population of the placement/OTS "
             "outcome)")
_WINDOW = "on or after the peildatum and before peildatum + window_years"
_KEPT = ("; kept: a unit without one gets a planted event with chance (t - q) / (1 - q), t "
         "this model's chance and q that of an event already there, so that P(outcome) = t")
_YOUTH_CARE_KEPT = ("the starts of the yearly youth-care model (JGDHHULPVORM 1-4, lower in "
                    "pilot buurten from the intervention year) and the placements of the "
                    "placement/OTS outcome" + _KEPT)
_JEUGDHULP = {"intercept": -0.8, "young_mother": 0.7, "single_parent": 0.6, "parent_no_work": 0.6,
              "rent_allowance": 0.5, "prior_youth_care": 1.0}

MODELS: dict[str, OutcomeModel] = {
    "beschermingsmaatregel": OutcomeModel(
        "person", _CHILDREN,
        "start of any child-protection measure: a JGDBESCHERMBUS spell (any JGDBMAATREGEL: 1 "
        "supervision order as planted by the placement/OTS outcome, 2 guardianship, 3 provisional "
        f"supervision order) with JGDBGELDIGHEIDBEGINDATUM {_WINDOW}",
        {"intercept": -3.4, "single_parent": 0.8, "parent_no_work": 0.7, "rent_allowance": 0.6,
         "young_mother": 0.6, "prior_youth_care": 1.2},
        "the supervision orders (JGDBMAATREGEL 1) of the placement/OTS outcome" + _KEPT),
    "jeugdhulp": OutcomeModel(
        "person", _CHILDREN,
        "start of any youth care: a JGDHULPBUS spell (any JGDHHULPVORM) with "
        f"JGDHGELDIGHEIDBEGINDATUM {_WINDOW}",
        dict(_JEUGDHULP), _YOUTH_CARE_KEPT),
    "jeugdreclassering": OutcomeModel(
        "person", f"{_RESIDENT} aged 12-23 (completed years) on the peildatum",
        "start of youth probation: a JGDRECLASSERINGBUS spell (table assumed) with "
        f"JGDRGELDIGHEIDBEGINDATUM {_WINDOW}",
        {"intercept": -3.6, "male": 1.0, "prior_halt": 1.2, "household_bijstand": 0.8,
         "prior_youth_care": 0.7}),
    "halt": OutcomeModel(
        "person", f"{_RESIDENT} aged 12-17 (completed years) on the peildatum",
        f"a Halt referral: a HALTBUS row with HALTDATUMVERWIJZING {_WINDOW}",
        {"intercept": -2.3, "male": 0.9, "household_bijstand": 0.7, "single_parent": 0.6,
         "prior_youth_care": 0.8},
        "the referrals of the yearly Halt model (ages 12-17, lower in pilot buurten from the "
        "intervention year)" + _KEPT),
    "verdachte": OutcomeModel(
        "person", f"{_RESIDENT} aged 12 or over (completed years) on the peildatum",
        "registered as a suspect of an offence: a VERDACHTENBUS row (table assumed) with "
        f"VRDGPLEEGDATUM {_WINDOW}",
        {"intercept": -4.3, "male": 1.0, "youth_12_23": 0.9, "household_bijstand": 0.8,
         "rent_allowance": 0.5}),
    "voortijdig_schoolverlaten": OutcomeModel(
        "person", f"{_RESIDENT} aged 12-22 (completed years) on the peildatum",
        "early school leaving: a VSVTAB row (any year's file) with VSVDATUMUITSCHRIJVING "
        f"{_WINDOW}",
        {"intercept": -2.3, "male": 0.6, "household_low_education": 0.8,
         "household_bijstand": 0.8, "single_parent": 0.6},
        "the early leavers of the yearly VSV model (ages 16-22, lower in pilot buurten from the "
        "intervention year)" + _KEPT),
    "problematische_schulden": OutcomeModel(
        "household",
        "households on the peildatum (HUISHOUDNR with the DATUMAANVANGHH of the spell that covers "
        "the peildatum) with at least one member who is a resident aged 18 or over on the "
        "peildatum",
        "admission to debt restructuring: a WSNPPERSBUS row of a household member aged 18 or "
        f"over on the peildatum with Wsnpdatumtoelaat {_WINDOW}",
        {"intercept": -3.6, "household_bijstand": 0.9, "rent_allowance": 0.7,
         "single_parent": 0.6, "one_person": 0.5},
        "the cases of the Wsnp model (admissions uniform over the years)" + _KEPT),
    "instroom_bijstand": OutcomeModel(
        "person",
        f"{_RESIDENT} aged 18-66 (completed years) on the peildatum with a SECMBUS spell on the "
        "peildatum whose SECM is not 22",
        f"entry into social assistance: a SECMBUS spell with SECM 22 and AANVSECM {_WINDOW}",
        {"intercept": -4.2, "own_no_work": 1.2, "low_education": 0.8, "single_parent": 0.7,
         "rent_allowance": 0.6}),
    "jeugdhulp_eerste_1000_dagen": OutcomeModel(
        "person",
        "children of the jeugdhulp population born in the calendar year before the peildatum "
        "whose mother is known in KINDOUDERTAB (RINPERSOONMa not ---------)",
        "start of any youth care: a JGDHULPBUS spell (any JGDHHULPVORM) with "
        f"JGDHGELDIGHEIDBEGINDATUM {_WINDOW} (the jeugdhulp outcome, planted by the same "
        "model: these children are part of its population)",
        dict(_JEUGDHULP), _YOUTH_CARE_KEPT),
}

#: The random stream of each outcome: np.random.default_rng([seed, chunk, STREAMS[name]]).
STREAMS: dict[str, int] = {name: 1301 + i for i, name in enumerate(MODELS)}
