"""What to synthesise: sizes, years, seed, format, and the planted parameters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from smartstart._usage import UsageError

SynthFormat = Literal["sav", "csv", "csv-labels", "parquet"]
FORMATS: tuple[str, ...] = ("sav", "csv", "csv-labels", "parquet")

PERSONS_PER_HOUSEHOLD = 2.3
DEMO_MUNICIPALITY = ("0784", "Gilze en Rijen")
DEMO_HOUSEHOLDS = 11_346
#: The seed's food-bank clients: 191 of 11,346 households, in five types (mission.md).
FOODBANK_SHARE = 191 / 11_346
FOODBANK_TYPES: dict[int, tuple[str, int]] = {
    1: ("Geen uitkering", 35),
    2: ("Werkloosheidsuitkering", 38),
    3: ("Jonge alleenstaande ouder in de bijstand", 26),
    4: ("Zorg en ondersteuning (Wmo)", 30),
    5: ("Eenpersoonshuishouden in de bijstand", 62),
}
#: Households of one municipality chunk beyond the demo municipality (national runs).
MUNICIPALITY_HOUSEHOLDS = 25_000
#: Deliveries that differ from the demo, each a named change applied while writing (the
#: population and its planted truth stay the same); implemented in ``_variants.py``.
VARIANTS: dict[str, str] = {
    "names": "file names as CBS writes them: WSNPPERSBUS<year>V<n> beside an older "
             "WSNPPERS<year>BUSV<n>, GBAHUISHOUDENSBUS<year>V<n>, JGDHULPBUS<year>V<n>, "
             "GBAPERSOONTAB<year>V10 beside GBAPERSOON<year>TABV9, SECMBUS...V<n>.SAV, mixed-case "
             "KindOuder<year>TABV<n>; for older years INSCHRWPO<year>TABV<n>, INHATAB<year>V<n> "
             "and KOPPELPERSOONHUISHOUDEN<year>TABV<n>",
    "vslgwb-year": "every VSLGWB file named for the year after the area columns it carries "
                   "(gem2019 in VSLGWB2020TAB03V1)",
    "absent-tables": "no HALT, VSV, WMO, INPATAB, INSCHRWPOTAB, EIGENDOMTAB, "
                     "JGDRECLASSERINGBUS or VERDACHTENBUS delivered",
    "absent-columns": "columns a delivery may lack (optional in the catalog, or unused by the "
                      "planted counts: INHUAF, the parents' countries of birth, ...) left out",
    "partner-sav": "the partner file as CBS returns it linked: <project><partner>CBKV1.sav with "
                   "dates as YYYYMMDD text; unlinked rows S, an empty key or 000000000",
    "partner-sav-dates": "the partner file as CBS returns it linked: <project><partner>CBKV1.sav "
                         "with dates as SPSS dates; unlinked rows S, an empty key or 000000000",
    "assumed-codes": "codes outside the code lists the catalog marks assumed (SOORTOBJECTNUMMER "
                     "B, JGDBMAATREGEL 11/12 for supervision and 21-23 for guardianship as a "
                     "municipal script has them, Wsnpsrtbeein 4, WMOVORM 6, HALTDELICT 5), "
                     "counted in truth.json",
    "year-gap": "INHATAB of the year before the peildatum not delivered (the other years are)",
    "protection-per-year": "JGDBESCHERMBUS as one file per year, each with the measures that "
                           "ran in that year, as known at its end (later ends open)",
}
EXCLUSIVE_VARIANTS = ("partner-sav", "partner-sav-dates")


@dataclass(frozen=True)
class RiskModel:
    """Planted logistic model: out-of-home placement or OTS within `window_years` of peildatum.

    Predictors are defined on what the CBS tables show at the peildatum (see truth.json).
    """

    intercept: float = -5.2
    young_mother: float = 0.6
    single_parent: float = 0.7
    parent_no_work: float = 0.5
    rent_allowance: float = 0.45
    parent_low_education: float = 0.35
    prior_youth_care: float = 1.1
    #: young single mother without work renting with rent allowance: the seed's high-risk group
    combination: float = 1.0
    window_years: int = 3

    def coefficients(self) -> dict[str, float]:
        names = ("intercept", "young_mother", "single_parent", "parent_no_work",
                 "rent_allowance", "parent_low_education", "prior_youth_care", "combination")
        return {n: getattr(self, n) for n in names}


@dataclass(frozen=True)
class SynthSpec:
    households: int = DEMO_HOUSEHOLDS
    seed: int = 1
    fmt: SynthFormat = "sav"
    first_year: int = 2012
    last_year: int = 2022
    municipality: tuple[str, str] = DEMO_MUNICIPALITY
    #: mean number of earlier address spells per person (national files: ~3.9 spells a person)
    earlier_addresses: float = 2.0
    unmatched_share: float = 0.04
    intervention_effect: float = 0.6
    #: which of the seed's five food-bank types to plant in the demo municipality
    foodbank_types: tuple[int, ...] = (1, 2, 3, 4, 5)
    risk: RiskModel = field(default_factory=RiskModel)
    #: names from VARIANTS, applied in a fixed order whatever the order given
    variants: tuple[str, ...] = ()
    #: (code, name) of the municipalities to write, one chunk each in this order, the
    #: households split evenly over them; the first is the demo municipality (``municipality``,
    #: with the partner file and the planted truth). Empty: the demo municipality, then chunks of
    #: MUNICIPALITY_HOUSEHOLDS with invented codes (0001, 0004, ...)
    municipalities: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_size(cls, *, persons: int | None = None, households: int | None = None,
                  **kwargs: object) -> SynthSpec:
        if persons is not None and households is not None:
            raise UsageError("give --persons or --households, not both")
        if persons is not None:
            households = max(1, round(persons / PERSONS_PER_HOUSEHOLD))
        given = kwargs.get("municipalities")
        if given and "municipality" not in kwargs:
            kwargs["municipality"] = tuple(given[0])  # type: ignore[index]
        spec = cls(households=households or DEMO_HOUSEHOLDS, **kwargs)  # type: ignore[arg-type]
        spec.validate()
        return spec

    def validate(self) -> None:
        if self.fmt not in FORMATS:
            raise UsageError(f"unknown format {self.fmt!r}: choose one of {', '.join(FORMATS)}")
        if not self.foodbank_types or not set(self.foodbank_types) <= set(FOODBANK_TYPES):
            raise UsageError(f"foodbank_types must be a non-empty subset of {set(FOODBANK_TYPES)}")
        if self.households < 200:
            raise UsageError("a synthetic municipality needs at least 200 households")
        if not 1995 <= self.first_year < self.last_year - 3:
            raise UsageError("need first_year >= 1995 and at least 5 years of data")
        unknown = [v for v in self.variants if v not in VARIANTS]
        if unknown:
            raise UsageError(f"unknown variant {', '.join(map(repr, unknown))}: choose from "
                             f"{', '.join(VARIANTS)}")
        if all(v in self.variants for v in EXCLUSIVE_VARIANTS):
            raise UsageError(f"choose one of {' and '.join(EXCLUSIVE_VARIANTS)}, not both")
        self._validate_municipalities()

    def _validate_municipalities(self) -> None:
        codes = [code for code, _ in self.municipalities]
        if not codes:
            return
        if any(not (len(c) == 4 and c.isdigit()) for c in codes) or len(set(codes)) < len(codes):
            raise UsageError(f"municipalities must be distinct 4-digit codes, got {codes}")
        if tuple(self.municipalities[0]) != tuple(self.municipality):
            raise UsageError("the first of municipalities is the demo municipality: set "
                             f"municipality to {tuple(self.municipalities[0])}")
        if self.households < 200 * len(codes):
            raise UsageError(f"{len(codes)} municipalities need at least {200 * len(codes)} "
                             "households (200 each)")

    @property
    def peildatum(self) -> date:
        """The planted reference date of the risk model: its outcome window ends with the data."""
        return date(self.last_year - self.risk.window_years + 1, 1, 1)

    @property
    def intervention_year(self) -> int:
        return self.last_year - 3

    def chunk_sizes(self) -> list[int]:
        """Households per municipality: the demo municipality first, then 25k-household ones;
        with ``municipalities``, the households split evenly over them (the first ones get the
        remainder)."""
        if self.municipalities:
            each, extra = divmod(self.households, len(self.municipalities))
            return [each + (i < extra) for i in range(len(self.municipalities))]
        first = min(self.households, DEMO_HOUSEHOLDS)
        rest = self.households - first
        sizes = [first]
        while rest > 0:
            sizes.append(min(rest, MUNICIPALITY_HOUSEHOLDS))
            rest -= sizes[-1]
        return sizes
