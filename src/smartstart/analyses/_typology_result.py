"""The typology's spec (what to compute) and result (group-level tables and persona cards)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import get_args

import pandas as pd

from smartstart.analyses._typology_cards import PersonaCard
from smartstart.analyses._typology_small import SmallTypes

CAUTION_NL = ("Het profiel laat zien wat in een type vaker voorkomt dan bij de rest van de "
              "{target}. Dat betekent niet dat andere kenmerken in dit type niet voorkomen.")
CAUTION_EN = ("The profile shows what is more common in a type than among the rest of the "
              "{target}. That does not mean that other characteristics do not occur in the type.")


@dataclass(frozen=True)
class TypologySpec:
    """What to compute. ``factors`` cluster the households (default: the household factors in
    the table, without places and audit-only factors); ``profile_factors`` are profiled
    (default: ``factors``). ``names`` / ``names_en`` override generated names, keyed by type
    number or by the generated Dutch name. ``target`` is the target-group column; ``label_nl``
    and ``label_en`` name the target group in the caution text."""

    factors: tuple[str, ...] | None = None
    profile_factors: tuple[str, ...] | None = None
    k_range: tuple[int, int] = (2, 8)
    min_size: int = 10
    small_types: SmallTypes = "merge"
    n_init: int = 10
    #: 20, not 30: on planted worlds (3, 4 and 5 types, two random states) 20 refits choose the
    #: same k, the same types and the same stable flags, stabilities within 0.02, at 70 % of
    #: the CPU (benchmarks/typology_restarts.py); fewer starts per refit (2) lowered the
    #: planted k's stability below a wrong k's within the tie
    n_bootstrap: int = 20
    bootstrap_n_init: int = 4
    min_stability: float = 0.75
    smoothing: float = 1.0
    outlier_share: float = 0.1
    random_state: int = 0
    robustness: bool = True
    target: str = "target_group"
    label_nl: str = "doelgroep"
    label_en: str = "target group"
    names: Mapping[int | str, str] = field(default_factory=dict)
    names_en: Mapping[int | str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        low, high = self.k_range
        if not 1 <= low <= high:
            raise ValueError(f"k_range must be (low, high) with 1 <= low <= high, got {low, high}")
        if self.small_types not in get_args(SmallTypes):
            raise ValueError(f"small_types must be one of {get_args(SmallTypes)}")
        if min(self.min_size, self.n_init, self.bootstrap_n_init) < 1 or self.n_bootstrap < 2:
            raise ValueError("min_size, n_init and bootstrap_n_init >= 1, n_bootstrap >= 2")
        if not (0 <= self.min_stability <= 1 and self.smoothing > 0
                and 0 <= self.outlier_share < 1):
            raise ValueError("need 0 <= min_stability <= 1, smoothing > 0, 0 <= outlier_share < 1")


@dataclass(frozen=True)
class TypologyResult:
    """``types`` (one row per reported type), ``profile`` (long; counts and bases per cell),
    ``selection`` (criteria per k), ``actions`` (small types merged or withheld),
    ``robustness`` (second method's agreement), ``personas``. Group-level only: the type of
    each household is kept by the ``Typology`` estimator (``labels_``), never in a result.

    For the disclosure gate: ``sizes()`` (households per type), ``cell_counts()`` (households
    per category level and type) and ``cell_counts("n")`` (their bases); numbers in the profile
    carry their count of known values. ``selection.smallest_type`` is a count too, and
    ``selection.n`` the households the log-likelihood, BIC and AIC rest on."""

    spec: TypologySpec
    chosen_k: int
    factors: tuple[str, ...]
    selection: pd.DataFrame
    types: pd.DataFrame
    profile: pd.DataFrame
    actions: pd.DataFrame
    robustness: pd.DataFrame
    personas: tuple[PersonaCard, ...]

    @property
    def caution_nl(self) -> str:
        """The caution to show with every profile (the seed's wording)."""
        return CAUTION_NL.format(target=self.spec.label_nl)

    @property
    def caution_en(self) -> str:
        return CAUTION_EN.format(target=self.spec.label_en)

    @property
    def n_types(self) -> int:
        """The number of types reported (after merging or withholding small ones)."""
        return len(self.types)

    def to_frame(self) -> pd.DataFrame:
        return self.types.copy()

    def sizes(self) -> pd.Series:
        """Households per reported type (index: type number)."""
        return self.types.set_index("type")["size"].astype("Int64").rename("size")

    def cell_counts(self, column: str = "count") -> pd.DataFrame:
        """The profile's category cells as a table: a row per (factor, level), a column per
        type; ``column`` "count" (households with the level) or "n" (households with a known
        value of the factor)."""
        levels = self.profile[self.profile["kind"] == "level"]
        wide = levels.pivot(index=["factor", "level"], columns="type", values=column)
        return wide.reindex(columns=list(self.types["type"])).astype("Int64")

    def overview(self, lang: str = "nl") -> pd.DataFrame:
        """The seed's table: a row per factor, a column per type; a category shows the level at
        least half the type has (else "wisselend"), a number its mean."""
        from smartstart.analyses._typology_overview import overview

        return overview(self, lang)
