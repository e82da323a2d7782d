"""Risk model: logistic regression of the outcome on configured factors, at child level.

Odds ratios with 95 % Wald intervals and p-values come straight from statsmodels' Logit;
discrimination is the cross-validated AUC (stratified k-fold, DeLong interval), calibration the
Brier score and observed vs predicted per risk decile, both on out-of-fold predictions. The
facts the disclosure gate checks (residual dof, cases per category x outcome, separation,
convergence) are in ``checks`` and ``cells``. No per-child prediction is kept in the result.

The model adapts to the population: a predictor that is unknown, constant or aliased here is
left out and the model is fitted on the rest (``notes``, ``used_spec``; see ``_predictors``).
A model is only withheld for the disclosure rules' reasons; no outcome variation, no usable
predictor or fewer children than parameters raise :class:`~smartstart.errors.LackOfData`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from smartstart.analyses._common import Unit, require_columns, sensitive_attributes
from smartstart.analyses._logit import (
    CONST,
    Design,
    Fit,
    aliased,
    combo_name,
    cv_predictions,
    fit_logit,
    separation,
)
from smartstart.analyses._metrics import brier, calibration_table, delong_auc, hosmer_lemeshow
from smartstart.analyses._predictors import PredictorNote, usable_design
from smartstart.errors import LackOfData
from smartstart.features._library import package_library

#: The seed's risk factors of out-of-home placement or a supervision order: the library's
#: default predictors of that outcome (``outcomes.yaml``).
RISK_FACTORS = package_library().outcomes["uithuisplaatsing_of_ots"].predictors


class SensitivePredictorError(ValueError):
    """An audit-only attribute was configured as a predictor without ``allow_sensitive``."""


@dataclass(frozen=True)
class RiskSpec:
    outcome: str = "outcome"
    predictors: tuple[str, ...] = RISK_FACTORS
    #: AND-combinations of binary predictors added as terms, e.g. (("a", "b"),)
    interactions: tuple[tuple[str, ...], ...] = ()
    #: reference level per category predictor, as (factor, level) pairs; default the largest
    references: tuple[tuple[str, str], ...] = ()
    #: audit attributes (sex, migration background) may be predictors only when this is True
    allow_sensitive: bool = False
    cv_folds: int = 5
    seed: int = 0
    calibration_groups: int = 10
    unit: Unit = "child"
    #: merge a category level, or leave out a predictor, with fewer children than this with
    #: or without the outcome (the run passes the disclosure threshold; 0: keep everything
    #: and let the gate decide)
    min_cases: int = 0

    def __post_init__(self) -> None:
        used = set(self.predictors).intersection(sensitive_attributes(self.unit))
        if used and not self.allow_sensitive:
            raise SensitivePredictorError(
                f"{', '.join(sorted(used))}: audit attribute(s), not predictors; pass "
                "allow_sensitive=True to use them anyway (the model card records it)")
        loose = {p for combo in self.interactions for p in combo} - set(self.predictors)
        if loose:
            raise ValueError(f"interaction parts must be predictors: {sorted(loose)}")
        if self.cv_folds < 2:
            raise ValueError("cv_folds must be at least 2")

    @property
    def sensitive_predictors(self) -> tuple[str, ...]:
        return tuple(p for p in self.predictors if p in sensitive_attributes(self.unit))


@dataclass(frozen=True)
class ModelChecks:
    """What the disclosure gate's regression checks need."""

    n: int
    events: int
    parameters: int
    residual_dof: int
    min_cell: int
    events_per_parameter: float
    converged: bool
    separation: bool
    separation_terms: tuple[str, ...]
    #: terms that are linear combinations of others in the fitted design: empty, since aliased
    #: predictors are left out first (``not_used``); kept as a check the gate can read
    aliased_terms: tuple[str, ...]
    warnings: tuple[str, ...]
    #: predictors left out (unknown, constant or aliased here) and levels without children
    not_used: tuple[PredictorNote, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """check / value rows; a row per note ("not_used" or "level_not_used": the predictor,
        its reason code and the plain words in Dutch and English)."""
        values = {k: (", ".join(v) if isinstance(v, tuple) else v)
                  for k, v in self.__dict__.items() if k != "not_used"}
        frame = pd.DataFrame({"check": list(values), "value": list(values.values()),
                              "reason": "", "note_nl": "", "note_en": ""})
        notes = pd.DataFrame(
            [{"check": "not_used" if n.dropped else "level_not_used", "value": n.predictor,
              "reason": n.code, "note_nl": f"{n.label('nl')}: {n.text('nl')}",
              "note_en": f"{n.label('en')}: {n.text('en')}"} for n in self.not_used],
            columns=frame.columns)
        return pd.concat([frame, notes], ignore_index=True) if len(notes) else frame


@dataclass(frozen=True)
class Performance:
    auc_cv: float
    auc_cv_low: float
    auc_cv_high: float
    auc_cv_se: float
    auc_apparent: float
    brier_cv: float
    brier_null: float
    calibration_intercept: float
    calibration_slope: float
    hosmer_lemeshow: float
    hosmer_lemeshow_p: float
    cv_folds: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"metric": list(self.__dict__), "value": list(self.__dict__.values())})


@dataclass(frozen=True)
class RiskResult:
    spec: RiskSpec
    coefficients: pd.DataFrame = field(repr=False)
    cells: pd.DataFrame = field(repr=False)
    calibration: pd.DataFrame = field(repr=False)
    performance: Performance | None
    checks: ModelChecks
    references: dict[str, str]
    n_dropped: int
    #: predictors not in the fitted model and why, levels without children (in ``checks`` too)
    notes: tuple[PredictorNote, ...] = ()

    @property
    def used_spec(self) -> RiskSpec:
        """The spec of the model as fitted: the predictors and interactions this population
        could estimate (the combinations and the fairness audit use the same)."""
        gone = {n.predictor for n in self.notes if n.dropped}
        return replace(self.spec, predictors=tuple(p for p in self.spec.predictors
                                                   if p not in gone),
                       interactions=tuple(c for c in self.spec.interactions
                                          if combo_name(c) not in gone))

    @property
    def ok(self) -> bool:
        """Converged, identified, not separated: a model that may be reported as a model."""
        c = self.checks
        return c.converged and not c.separation and not c.aliased_terms

    @property
    def sensitive_predictors(self) -> tuple[str, ...]:
        return self.spec.sensitive_predictors

    def to_frame(self) -> pd.DataFrame:
        """Odds ratios with 95 % CIs and p-values, one row per term (constant included)."""
        return self.coefficients.copy()


def risk_model(table: pd.DataFrame, spec: RiskSpec | None = None) -> RiskResult:
    """Fit the logistic model of ``spec.outcome`` on ``spec.predictors``; see the module doc."""
    spec = spec or RiskSpec()
    require_columns(table, [spec.outcome, *spec.predictors])
    usable = usable_design(table, spec.outcome, spec.predictors, spec.interactions,
                           dict(spec.references), spec.unit, spec.min_cases)
    design = usable.design
    fit = fit_logit(design.X, design.y)
    cells = _cells(design)
    checks = replace(_checks(design, fit, cells), not_used=usable.notes)
    coefficients = _coefficients(design, fit, cells)
    performance, calibration = None, pd.DataFrame()
    if fit.result is not None and min(checks.events, checks.n - checks.events) >= spec.cv_folds:
        performance, calibration = _performance(design, fit, spec)
    return RiskResult(spec, coefficients, cells, calibration, performance, checks,
                      design.references, int((~design.kept).sum()), usable.notes)


def _coefficients(design: Design, fit: Fit, cells: pd.DataFrame) -> pd.DataFrame:
    names = list(design.X.columns)
    meta = {t.name: (t.factor, t.level) for t in design.terms}
    frame = pd.DataFrame({"term": names,
                          "factor": [meta.get(n, (CONST, None))[0] for n in names],
                          "level": [meta.get(n, (CONST, None))[1] for n in names]})
    if fit.result is None:
        return frame
    r = fit.result
    ci = np.asarray(r.conf_int(alpha=0.05))
    frame = frame.assign(coef=np.asarray(r.params), se=np.asarray(r.bse),
                         z=np.asarray(r.tvalues), p_value=np.asarray(r.pvalues),
                         ci_low=ci[:, 0], ci_high=ci[:, 1])
    with np.errstate(over="ignore"):
        frame["odds_ratio"] = np.exp(frame["coef"])
        frame["or_low"], frame["or_high"] = np.exp(frame["ci_low"]), np.exp(frame["ci_high"])
    present = cells[cells["present"]].set_index("term")[["n", "events"]]
    return frame.join(present, on="term")


def _cells(design: Design) -> pd.DataFrame:
    """Children and events with and without each term (references of categories included)."""
    rows = []
    y = design.y.astype(bool)
    for name in design.X.columns[1:]:
        x = design.X[name].to_numpy() > 0
        for present, mask in ((True, x), (False, ~x)):
            rows.append({"term": name, "present": present, "n": int(mask.sum()),
                         "events": int(y[mask].sum()), "non_events": int((~y[mask]).sum())})
    for factor, ref in design.references.items():
        mask = (design.data[factor] == ref).to_numpy()
        rows.append({"term": f"{factor}[{ref}] (reference)", "present": True,
                     "n": int(mask.sum()), "events": int(y[mask].sum()),
                     "non_events": int((~y[mask]).sum())})
    return pd.DataFrame(rows, columns=["term", "present", "n", "events", "non_events"])


def _checks(design: Design, fit: Fit, cells: pd.DataFrame) -> ModelChecks:
    n, k = design.X.shape
    events = int(design.y.sum())
    separated, direction = separation(design.X.to_numpy(), design.y)
    terms = tuple(t for t, b in zip(design.X.columns, direction, strict=True) if b != 0)
    cell_min = cells[["events", "non_events"]].to_numpy().min() if len(cells) else 0
    return ModelChecks(n=int(n), events=events, parameters=int(k), residual_dof=int(n - k),
                       min_cell=int(min(cell_min, events, n - events)),
                       events_per_parameter=events / max(k - 1, 1),
                       converged=fit.converged, separation=separated,
                       separation_terms=terms, aliased_terms=aliased(design.X),
                       warnings=fit.warnings)


def _performance(design: Design, fit: Fit, spec: RiskSpec) -> tuple[Performance, pd.DataFrame]:
    X, y = design.X.to_numpy(), design.y
    oof = cv_predictions(X, y, spec.cv_folds, spec.seed)
    auc = delong_auc(y, oof)
    table = calibration_table(y, oof, spec.calibration_groups)
    hl, hl_p = hosmer_lemeshow(table)
    intercept, slope = _calibration_line(y, oof)
    perf = Performance(auc_cv=auc.auc, auc_cv_low=auc.ci_low, auc_cv_high=auc.ci_high,
                       auc_cv_se=auc.se,
                       auc_apparent=delong_auc(y, fit.result.predict(X)).auc,
                       brier_cv=brier(y, oof), brier_null=brier(y, np.full(len(y), y.mean())),
                       calibration_intercept=intercept, calibration_slope=slope,
                       hosmer_lemeshow=hl, hosmer_lemeshow_p=hl_p, cv_folds=spec.cv_folds)
    return perf, table


def _calibration_line(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Logistic recalibration y ~ a + b logit(p): intercept a and slope b (1 and 0 ideal)."""
    clipped = np.clip(p, 1e-10, 1 - 1e-10)
    logit = np.log(clipped / (1 - clipped))
    fit = fit_logit(np.column_stack([np.ones(len(y)), logit]), y)
    if fit.result is None:
        return np.nan, np.nan
    a, b = np.asarray(fit.result.params)
    return float(a), float(b)


def model_predictions(table: pd.DataFrame, spec: RiskSpec) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold risks and the kept-row mask, for audits inside the run (never exported).

    The same predictors as ``risk_model`` (those this population can estimate)."""
    design = usable_design(table, spec.outcome, spec.predictors, spec.interactions,
                           dict(spec.references), spec.unit, spec.min_cases).design
    events = int(design.y.sum())
    if min(events, len(design.y) - events) < spec.cv_folds:
        raise LackOfData("too_few_events", f"fewer children with (or without) the outcome "
                         f"than the {spec.cv_folds} folds of the cross-validation")
    return cv_predictions(design.X.to_numpy(), design.y, spec.cv_folds, spec.seed), design.kept
