"""Small generated pilots at the level of a run's ``work/`` tables (households, children,
durations), for the disclosure property test over whole publications
(``test_disclosure_pilots.py``).

A pilot is drawn from a few parameters (households, target-group size, how many of the target
group rent with allowance, missing values, event rate, which optional factors the delivery
has) and a seed for the rest. What it plants on purpose:

- a DUPLICATED pair: ``rent_allowance`` is tenure level "3" (households and, through the
  household, children), ``single_parent`` is household type "6" (children), as ``same_as`` in
  ``features/factors.yaml`` declares;
- NESTED pairs: ``debt_restructuring`` only in households without an adult in work
  (``adult_works`` false); ``residential_care_12m`` only for children in youth care
  (``prior_youth_care``); optionally ``young_mother`` only in single-parent households;
- missing values in mean factors: households without an income record (tenure, rent
  allowance, income, benefits unknown) plus a few more without disposable income, the age of
  the youngest child and the mother's age only in households with children (a few without);
- a rare outcome among children (out-of-home placement or supervision order).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: household factors a delivery may lack (the core ones are always there)
OPTIONAL_HOUSEHOLD = ("highest_education", "debt_restructuring", "wmo_support",
                      "child_youth_care", "benefit_share", "income_pct_social_minimum",
                      "reference_age", "migration_background")
OPTIONAL_CHILD = ("special_education", "halt_12m", "early_leaving_12m", "protection_12m",
                  "migration_background")


@dataclass(frozen=True)
class PilotSpec:
    """The drawn parameters; everything else follows from ``seed``."""

    households: int = 600
    target: int = 9
    #: of the target group, households renting with allowance (tenure 3)
    target_rented: int = 5
    #: households without an income record (tenure, rent allowance, income unknown)
    no_income_record: int = 10
    #: further households without disposable income (a mean factor missing a few more)
    income_missing: int = 2
    #: target households without the mother's age (a mean factor missing a few)
    mother_missing_target: int = 1
    outcome_rate: float = 0.06
    #: share of the target group that is a single-parent household
    single_parent_target: float = 0.5
    wijken: int = 3
    young_mother_nested: bool = False
    #: optional factors left out (absent from the delivery)
    absent: tuple[str, ...] = ()
    seed: int = 0


@dataclass(frozen=True, eq=False)
class Pilot:
    spec: PilotSpec
    households: pd.DataFrame
    children: pd.DataFrame
    #: days in the target group, one per target household (in the order of ``households``)
    durations: pd.Series


def make_pilot(spec: PilotSpec) -> Pilot:
    rng = np.random.default_rng(spec.seed)
    households = _households(spec, rng)
    children = _children(spec, households, rng)
    # the household flag of a child in youth care comes from the children (a nested pair
    # across units: every such household has a child with prior_youth_care)
    if "child_youth_care" not in spec.absent:
        cared = set(children.loc[children["prior_youth_care"], "household"])
        households["child_youth_care"] = households["household"].isin(cared)
    days = pd.Series(rng.integers(1, 1500, spec.target), name="days")
    households = households.drop(columns=[c for c in spec.absent if c in households])
    children = children.drop(columns=[c for c in spec.absent if c in children])
    # as the run hands them over: written to work/*.parquet and read back (Work.read), so
    # the dtypes are the run's under each pandas (pandas 3: str columns)
    return Pilot(spec, _as_read(households), _as_read(children), days)


def _as_read(frame: pd.DataFrame) -> pd.DataFrame:
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    buffer.seek(0)
    return pd.read_parquet(buffer)


def _households(spec: PilotSpec, rng: np.random.Generator) -> pd.DataFrame:
    n, t = spec.households, spec.target
    target = np.r_[np.ones(t, bool), np.zeros(n - t, bool)]
    wijk = rng.choice([f"0784{i:02d}" for i in range(1, spec.wijken + 1)], n)
    single = rng.random(n) < np.where(target, spec.single_parent_target, 0.08)
    kids_type = rng.choice(["4", "5"], n, p=[0.3, 0.7])
    with_kids = single | (rng.random(n) < np.where(target, 0.4, 0.3))
    no_kids_type = rng.choice(["1", "2", "3", "7"], n, p=[0.4, 0.15, 0.4, 0.05])
    household_type = np.where(single, "6", np.where(with_kids, kids_type, no_kids_type))
    kids = np.where(with_kids, rng.integers(1, 5, n), 0)
    adults = np.where(single, 1, np.where(np.isin(household_type, ["1"]), 1,
                                          np.where(household_type == "7", 3, 2)))
    youngest = pd.array(np.where(with_kids, rng.integers(0, 18, n), 0), dtype="Int64")
    youngest[~with_kids] = pd.NA
    works = rng.random(n) < np.where(target, 0.3, 0.75)
    # tenure: the target group's renters with allowance are planted exactly
    tenure = rng.choice(["1", "2", "3"], n, p=[0.55, 0.25, 0.2]).astype(object)
    tenure[:t] = np.r_[["3"] * spec.target_rented,
                       rng.choice(["1", "2"], t - spec.target_rented, p=[0.3, 0.7])]
    no_record = np.zeros(n, bool)
    no_record[rng.choice(np.arange(t, n), min(spec.no_income_record, n - t),
                         replace=False)] = True
    tenure[no_record] = None
    tenure = pd.Series(tenure, dtype="object")
    rent = tenure.map(lambda v: None if v is None else v == "3").astype("boolean")
    income = pd.array(rng.normal(30_000, 10_000, n).round().clip(1_000), dtype="Int64")
    income[no_record] = pd.NA
    known = np.flatnonzero(~no_record)
    income[rng.choice(known, min(spec.income_missing, len(known)), replace=False)] = pd.NA
    social = pd.array((pd.array(income, dtype="Float64") / 160).round(), dtype="Int64")
    benefit = pd.Series(np.where(works, "0", rng.choice(["1", "2", "3"], n)), dtype="object")
    benefit[no_record] = None
    share = pd.array(np.where(works, 0, rng.integers(20, 100, n)), dtype="Int64")
    share[no_record] = pd.NA
    debt = ~works & (rng.random(n) < np.where(target, 0.25, 0.03))  # nested: no adult in work
    education = pd.array(rng.choice([1, 2, 3], n, p=[0.2, 0.35, 0.45]), dtype="Int32")
    education[rng.random(n) < 0.08] = pd.NA
    mother = pd.array(np.where(with_kids, rng.integers(17, 40, n), 0), dtype="Int64")
    mother[~with_kids] = pd.NA
    kid_target = np.flatnonzero(with_kids[:t])
    mother[kid_target[:spec.mother_missing_target]] = pd.NA
    kid_rest = np.flatnonzero(with_kids[t:]) + t
    mother[rng.choice(kid_rest, min(3, len(kid_rest)), replace=False)] = pd.NA
    if spec.young_mother_nested:  # young mothers only in single-parent households
        mother[~single & with_kids & (pd.array(mother, dtype="Float64") < 22).fillna(False)
               .to_numpy(bool)] = 25
    migration = pd.array(rng.random(n) < 0.15, dtype="boolean")
    migration[no_record] = pd.NA
    return pd.DataFrame({
        "wijk": wijk, "household_type": household_type,
        "household_size": adults + kids, "children_under_18": kids,
        "age_youngest_child": youngest,
        "reference_age": pd.array(rng.integers(19, 90, n), dtype="Int64"),
        "tenure": tenure, "rent_allowance": rent, "disposable_income": income,
        "income_pct_social_minimum": social, "main_benefit": benefit,
        "benefit_share": share, "adult_works": works, "highest_education": education,
        "debt_restructuring": debt, "wmo_support": rng.random(n) < 0.05,
        "child_youth_care": np.zeros(n, bool), "mother_age_first_child": mother,
        "migration_background": migration, "target_group": target,
        "household": np.arange(1, n + 1)})


def _children(spec: PilotSpec, h: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    rows = h.loc[h.index.repeat(h["children_under_18"])].reset_index(drop=True)
    m = len(rows)
    youngest = rows["age_youngest_child"].astype("Float64").fillna(0).to_numpy(float)
    first = ~rows["household"].duplicated().to_numpy()
    age = np.where(first, youngest, np.minimum(17, youngest + rng.integers(1, 8, m)))
    young_mother = (rows["mother_age_first_child"].astype("Float64") < 22).fillna(False)
    single = (rows["household_type"] == "6").to_numpy()
    no_work = ~rows["adult_works"].to_numpy(bool)
    rent = rows["rent_allowance"].fillna(False).to_numpy(bool)
    low_education = (rows["highest_education"] == 1).fillna(False).to_numpy(bool)
    care = rng.random(m) < 0.05 + 0.1 * no_work
    residential = care & (rng.random(m) < 0.2)  # nested: only children in youth care
    risk = (np.log(spec.outcome_rate / (1 - spec.outcome_rate)) - 1.0 + 0.8 * single
            + 0.6 * no_work + 0.7 * young_mother.to_numpy(bool) + 1.2 * care + 0.4 * rent)
    outcome = rng.random(m) < 1 / (1 + np.exp(-risk))
    return pd.DataFrame({
        "wijk": rows["wijk"].to_numpy(), "age": age.astype(int),
        "sex": rng.choice(["1", "2"], m),
        "migration_background": rows["migration_background"].fillna(False).to_numpy(bool),
        "household_type": rows["household_type"].to_numpy(),
        "young_mother": young_mother.to_numpy(bool), "single_parent": single,
        "parent_no_work": no_work, "rent_allowance": rent,
        "parent_low_education": low_education, "prior_youth_care": care,
        "residential_care_12m": residential, "protection_12m": rng.random(m) < 0.01,
        "special_education": rng.random(m) < 0.03, "halt_12m": rng.random(m) < 0.01,
        "early_leaving_12m": rng.random(m) < 0.005, "outcome": outcome,
        "target_group": rows["target_group"].to_numpy(bool),
        "household": rows["household"].to_numpy()})
