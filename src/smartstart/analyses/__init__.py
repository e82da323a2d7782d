"""Analyses: pure functions ``analysis(table, spec) -> Result`` over the feature tables.

Results are frozen, group-level only (no per-person value ever), with ``to_frame()``; counts per
cell and the model checks are kept so that every table can pass the disclosure gate.
"""

from smartstart.analyses._areas import (
    AreaRates,
    AreaSpec,
    Selection,
    SelectionRule,
    area_rates,
    select_areas,
)
from smartstart.analyses._combinations import (
    CombinationResult,
    CombinationSpec,
    find_combinations,
    high_risk_profile,
)
from smartstart.analyses._common import ConfirmMethod, DurationUnit, Lang, RankBy, Unit
from smartstart.analyses._effect import (
    EffectResult,
    EffectSpec,
    Estimate,
    evaluate,
)
from smartstart.analyses._effect_mde import MdeResult, minimum_detectable_effect
from smartstart.analyses._effect_panel import EffectInputError
from smartstart.analyses._effect_perm import PoolStatus
from smartstart.analyses._fairness import BiasAnalysis, FairnessResult, FairnessSpec, fairness_audit
from smartstart.analyses._modelcard import CardContext, ModelCard, model_card
from smartstart.analyses._predictors import PredictorNote
from smartstart.analyses._profile import (
    DurationResult,
    DurationSpec,
    ProfileResult,
    ProfileSpec,
    duration_breakdown,
    profile,
)
from smartstart.analyses._risk import (
    RISK_FACTORS,
    RiskResult,
    RiskSpec,
    SensitivePredictorError,
    risk_model,
)
from smartstart.analyses._typology import Typology, typology
from smartstart.analyses._typology_cards import PersonaCard, Trait
from smartstart.analyses._typology_lca import MixedLatentClass
from smartstart.analyses._typology_result import TypologyResult, TypologySpec
from smartstart.analyses._typology_small import SmallTypes

__all__ = [
    "RISK_FACTORS",
    "AreaRates",
    "AreaSpec",
    "Selection",
    "SelectionRule",
    "area_rates",
    "select_areas",
    "BiasAnalysis",
    "CardContext",
    "CombinationResult",
    "CombinationSpec",
    "ConfirmMethod",
    "DurationResult",
    "DurationSpec",
    "DurationUnit",
    "EffectInputError",
    "EffectResult",
    "EffectSpec",
    "Estimate",
    "FairnessResult",
    "FairnessSpec",
    "Lang",
    "MdeResult",
    "MixedLatentClass",
    "ModelCard",
    "PersonaCard",
    "PoolStatus",
    "PredictorNote",
    "ProfileResult",
    "ProfileSpec",
    "RankBy",
    "RiskResult",
    "RiskSpec",
    "SensitivePredictorError",
    "SmallTypes",
    "Trait",
    "Typology",
    "TypologyResult",
    "TypologySpec",
    "Unit",
    "duration_breakdown",
    "evaluate",
    "fairness_audit",
    "find_combinations",
    "high_risk_profile",
    "minimum_detectable_effect",
    "model_card",
    "profile",
    "risk_model",
    "typology",
]
