"""Fairness audit of the risk model: performance and calibration by group, disparity ratios,
a proxy check of the excluded attributes, and the Dutch three-step bias analysis.

The groups are groups of persons: the child's sex, migration background, household type and
age band (0-3, 4-11, 12-17, from the child's ``age``; :func:`audit_columns`). Places are not
audit groups and not proxy features (``PLACES``): where problems are to be expected is the areas
analysis's question, and a model's performance by wijk would be a risk statement about a
neighbourhood. The proxy check asks whether the model's own predictors stand in for an excluded
attribute; the model does not use a place, so a place cannot carry an attribute into its score.

The scores are the risk model's cross-validated predictions, computed here and never returned;
``spec.score`` may name a column of predicted risks to audit another model. Disparities are
ratios against a reference group (default the largest) and flagged outside 0.8-1.25 (the
four-fifths rule). Whether a difference is justified and acceptable is for people to judge:
``bias`` carries the numbers and the fields they fill in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from smartstart.analyses._common import (
    as_bool,
    factor_info,
    lower_first,
    require_columns,
    sensitive_attributes,
)
from smartstart.analyses._labels import level_label
from smartstart.analyses._logit import build_design, cv_predictions
from smartstart.analyses._metrics import delong_auc, rates_at
from smartstart.analyses._risk import RiskSpec, model_predictions

AUDIT_GROUPS = ("sex", "migration_background", "household_type", "age_band")
#: never an audit group or a proxy feature: areas belong to the areas analysis
PLACES = frozenset({"wijk", "buurt"})
AGE_BAND = "age_band"
#: the column the age band is computed from (the child's age in years on the peildatum)
AGE = "age"
#: the child's age band: code, lowest and highest age in whole years, Dutch and English label
AGE_BANDS = (("0-3", 0, 3, "0 tot 4 jaar", "aged 0-3"),
             ("4-11", 4, 11, "4 tot 12 jaar", "aged 4-11"),
             ("12-17", 12, 17, "12 tot 18 jaar", "aged 12-17"))
UNKNOWN = "(onbekend)"
#: groups shown in this order (the age bands young to old), the rest after them by code
GROUP_ORDER = {AGE_BAND: tuple(code for code, *_ in AGE_BANDS)}
#: labels of the audit attributes that are not in the factor library, and of their levels
ATTRIBUTE_LABELS = {AGE_BAND: ("leeftijd van het kind", "age of the child")}
GROUP_LABELS = {AGE_BAND: {**{code: (nl, en) for code, _, _, nl, en in AGE_BANDS},
                           UNKNOWN: ("leeftijd onbekend", "age unknown")}}
RATIO_METRICS = ("selection_rate", "tpr", "fpr", "ppv", "calibration", "auc")
TO_BE_JUDGED_NL = ("Nog niet beoordeeld. Of dit verschil gerechtvaardigd en aanvaardbaar is, "
                   "moeten mensen beoordelen (het projectteam, met betrokkenen), niet het model.")
TO_BE_JUDGED_EN = ("Not yet judged. Whether this difference is justified and acceptable must be "
                   "judged by people (the project team, with those concerned), not by the model.")


@dataclass(frozen=True)
class FairnessSpec:
    risk: RiskSpec = field(default_factory=RiskSpec)
    groups: tuple[str, ...] = AUDIT_GROUPS
    #: a column of predicted risks to audit instead of the risk model's CV predictions
    score: str | None = None
    #: flag children at or above this predicted risk; None: the top `flag_share` of risks
    threshold: float | None = None
    flag_share: float = 0.1
    #: reference group per attribute as (attribute, level); default the largest group
    references: tuple[tuple[str, str], ...] = ()
    ratio_bounds: tuple[float, float] = (0.8, 1.25)
    #: a disparity counts as reliable when both groups have at least this many events
    min_events: int = 10
    #: proxy check: attributes kept out of the model (None: the sensitive ones not used),
    #: predicted from the model's predictors plus `proxy_extra`; flagged at AUC >= proxy_auc
    proxy_attributes: tuple[str, ...] | None = None
    proxy_extra: tuple[str, ...] = ()
    proxy_auc: float = 0.7

    def __post_init__(self) -> None:
        places = sorted(PLACES & {*self.groups, *self.proxy_extra, *(self.proxy_attributes or ())})
        if places:
            raise ValueError(f"the fairness audit groups persons, not places ({', '.join(places)})"
                             ": areas belong to the areas analysis")


@dataclass(frozen=True)
class BiasAnalysis:
    """The three steps: detect (numbers), justify and accept (people fill these in)."""

    detected: pd.DataFrame = field(repr=False)
    justification_nl: str = TO_BE_JUDGED_NL
    justification_en: str = TO_BE_JUDGED_EN
    justified: bool | None = None
    acceptance_nl: str = TO_BE_JUDGED_NL
    acceptance_en: str = TO_BE_JUDGED_EN
    acceptable: bool | None = None
    judged_by: str | None = None

    def judge(self, **fields: object) -> BiasAnalysis:
        """A copy with the project team's judgement filled in (justified, acceptable, texts)."""
        return replace(self, **fields)  # type: ignore[arg-type]


@dataclass(frozen=True)
class FairnessResult:
    spec: FairnessSpec
    threshold: float
    overall: dict[str, float]
    metrics: pd.DataFrame = field(repr=False)
    disparities: pd.DataFrame = field(repr=False)
    proxies: pd.DataFrame = field(repr=False)
    bias: BiasAnalysis
    score_source: str

    def to_frame(self) -> pd.DataFrame:
        """Performance and calibration per group (counts included for the disclosure gate)."""
        return self.metrics.copy()

    def largest_gaps(self, n: int = 5, reliable_only: bool = True) -> pd.DataFrame:
        """Per attribute and metric the widest ratio between two groups, widest first."""
        rows = self.metrics.dropna(subset=["group"])
        if reliable_only:
            rows = rows[rows["events"] >= self.spec.min_events]
        out = []
        for (attribute, metric), part in _long(rows).groupby(["attribute", "metric"]):
            part = part.dropna(subset=["value"])
            if len(part) < 2 or part["value"].min() <= 0:
                continue
            hi, lo = part.loc[part["value"].idxmax()], part.loc[part["value"].idxmin()]
            high, low = hi["value"], lo["value"]
            out.append({"attribute": attribute, "metric": metric, "high_group": hi["group"],
                        "high": high, "low_group": lo["group"], "low": low,
                        "ratio": high / low, "difference": high - low})
        frame = pd.DataFrame(out, columns=["attribute", "metric", "high_group", "high",
                                           "low_group", "low", "ratio", "difference"])
        return frame.sort_values("ratio", ascending=False, ignore_index=True).head(n)


def fairness_audit(table: pd.DataFrame, spec: FairnessSpec | None = None) -> FairnessResult:
    """Audit predicted risks by group; see the module doc."""
    spec = spec or FairnessSpec()
    table = audit_columns(table, spec.groups)
    groups = [g for g in spec.groups if g in table.columns]
    y, score, rows, source = _scores(table, spec)
    threshold = spec.threshold if spec.threshold is not None else float(
        np.quantile(score, 1 - spec.flag_share))
    flagged = score >= threshold
    metrics = pd.concat([_group_metrics(y, score, flagged, rows[g], g) for g in groups],
                        ignore_index=True) if groups else _empty_metrics()
    disparities = _disparities(metrics, spec)
    overall = {"n": len(y), "events": int(y.sum()), "auc": delong_auc(y, score).auc,
               **{k: v for k, v in rates_at(y, flagged).items() if k in ("tpr", "fpr")}}
    detected = disparities[disparities["outside"] & disparities["reliable"]].reset_index(
        drop=True)
    return FairnessResult(spec, threshold, overall, metrics, disparities,
                          proxy_check(table, spec), BiasAnalysis(detected), source)


def age_band(age: pd.Series) -> pd.Series:
    """The age band (``AGE_BANDS``' codes) of each age in years; missing when the age is
    missing or outside 0-17 (not a child)."""
    years = np.floor(pd.to_numeric(age, errors="coerce").astype(float))
    out = pd.Series(pd.NA, index=age.index, dtype="string", name=AGE_BAND)
    for code, low, high, _, _ in AGE_BANDS:
        out[(years >= low) & (years <= high)] = code
    return out


def audit_columns(table: pd.DataFrame, groups: tuple[str, ...] = AUDIT_GROUPS) -> pd.DataFrame:
    """``table`` with the derived audit groups it asks for and lacks: the age band from the
    child's age (a copy; the table itself is not changed)."""
    if AGE_BAND in groups and AGE_BAND not in table.columns and AGE in table.columns:
        return table.assign(**{AGE_BAND: age_band(table[AGE])})
    return table


def group_label(attribute: str, level: object, lang: str = "nl") -> str:
    """A group's label: the age bands' own, else the factor library's (``level_label``)."""
    own = GROUP_LABELS.get(attribute, {}).get(str(level))
    if own is not None:
        return own[0] if lang == "nl" else own[1]
    return level_label(attribute, level, lang)


def attribute_label(attribute: str, lang: str = "nl") -> str:
    """An audit attribute in words (lower case), the age band's own or the factor library's."""
    own = ATTRIBUTE_LABELS.get(attribute)
    if own is not None:
        return own[0] if lang == "nl" else own[1]
    info = factor_info(attribute, "child")
    return lower_first(info.nl if lang == "nl" else info.en)


def _scores(table: pd.DataFrame, spec: FairnessSpec
            ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, str]:
    outcome = spec.risk.outcome
    if spec.score is not None:
        require_columns(table, [outcome, spec.score])
        y = as_bool(table[outcome])
        kept = (y.notna() & table[spec.score].notna()).to_numpy()
        score = table[spec.score].to_numpy(dtype=float)[kept]
        source = f"column {spec.score}"
    else:
        score, kept = model_predictions(table, spec.risk)
        y = as_bool(table[outcome])
        source = f"{spec.risk.cv_folds}-fold cross-validated risk model"
    return y[kept].to_numpy(dtype=bool), score, table.loc[kept], source


def _group_metrics(y: np.ndarray, score: np.ndarray, flagged: np.ndarray, column: pd.Series,
                   attribute: str) -> pd.DataFrame:
    values = column.astype("string").fillna(UNKNOWN).to_numpy()
    rows = []
    order = GROUP_ORDER.get(attribute, ())
    for level in sorted(set(values), key=lambda v: (order.index(v) if v in order
                                                    else len(order), v)):
        m = values == level
        auc = delong_auc(y[m], score[m])
        expected = float(score[m].sum())
        rows.append({"attribute": attribute, "group": level,
                     "label_nl": group_label(attribute, level, "nl"),
                     "label_en": group_label(attribute, level, "en"),
                     "n": int(m.sum()), "events": int(y[m].sum()),
                     **rates_at(y[m], flagged[m]), "flagged": int(flagged[m].sum()),
                     "auc": auc.auc, "auc_low": auc.ci_low, "auc_high": auc.ci_high,
                     "observed": float(y[m].mean()), "predicted": float(score[m].mean()),
                     "expected_events": expected,
                     "calibration": y[m].sum() / expected if expected > 0 else np.nan})
    return pd.DataFrame(rows)


def _empty_metrics() -> pd.DataFrame:
    return pd.DataFrame(columns=["attribute", "group", "n", "events", *RATIO_METRICS])


def _long(metrics: pd.DataFrame) -> pd.DataFrame:
    return metrics.melt(id_vars=["attribute", "group", "events"], value_vars=list(RATIO_METRICS),
                        var_name="metric", value_name="value")


def _disparities(metrics: pd.DataFrame, spec: FairnessSpec) -> pd.DataFrame:
    chosen = dict(spec.references)
    rows = []
    for attribute, part in metrics.groupby("attribute", sort=False):
        ref = chosen.get(attribute) or str(part.sort_values(
            ["n", "group"], ascending=[False, True]).iloc[0]["group"])
        base = part.set_index("group").loc[ref]
        for _, row in part.iterrows():
            if row["group"] == ref:
                continue
            for metric in RATIO_METRICS:
                value, reference = float(row[metric]), float(base[metric])
                ratio = value / reference if reference > 0 else np.nan
                rows.append({"attribute": attribute, "group": row["group"],
                             "reference": ref, "metric": metric, "value": value,
                             "reference_value": reference, "ratio": ratio,
                             "difference": value - reference,
                             "outside": bool(np.isfinite(ratio) and not (
                                 spec.ratio_bounds[0] <= ratio <= spec.ratio_bounds[1])),
                             "reliable": bool(min(row["events"], base["events"])
                                              >= spec.min_events)})
    return pd.DataFrame(rows, columns=["attribute", "group", "reference", "metric", "value",
                                       "reference_value", "ratio", "difference", "outside",
                                       "reliable"])


def proxy_check(table: pd.DataFrame, spec: FairnessSpec) -> pd.DataFrame:
    """How well each excluded attribute is predicted by the model's predictors (plus
    ``proxy_extra``, never a place): can the model's score stand in for the attribute?"""
    risk = spec.risk
    attributes = spec.proxy_attributes
    if attributes is None:
        attributes = tuple(sorted(sensitive_attributes(risk.unit) - set(risk.predictors)))
    features = [*risk.predictors, *(f for f in spec.proxy_extra if f not in risk.predictors)]
    features = [f for f in features if f in table.columns]
    rows = []
    for attribute in (a for a in attributes if a in table.columns):
        text = table[attribute].astype("string")
        levels = sorted(text.dropna().unique())
        for level in levels[1:] if len(levels) == 2 else levels:
            target = text.eq(level).astype("boolean")
            rows.append({"attribute": attribute, "level": level,
                         "label_nl": group_label(attribute, level, "nl"),
                         "label_en": group_label(attribute, level, "en"),
                         **_proxy_auc(table.assign(_proxy_target=target), features, risk)})
    frame = pd.DataFrame(rows, columns=["attribute", "level", "label_nl", "label_en", "n",
                                        "positives", "auc", "auc_low", "auc_high"])
    frame["flagged"] = frame["auc"] >= spec.proxy_auc
    frame["features"] = ", ".join(features)
    return frame


def _proxy_auc(frame: pd.DataFrame, features: list[str], risk: RiskSpec) -> dict:
    design = build_design(frame, "_proxy_target", features, unit=risk.unit)
    positives = int(design.y.sum())
    if positives < risk.cv_folds or len(design.y) - positives < risk.cv_folds:
        return {"n": len(design.y), "positives": positives, "auc": np.nan,
                "auc_low": np.nan, "auc_high": np.nan}
    auc = delong_auc(design.y, cv_predictions(design.X.to_numpy(), design.y, risk.cv_folds,
                                              risk.seed))
    return {"n": len(design.y), "positives": positives, "auc": auc.auc,
            "auc_low": auc.ci_low, "auc_high": auc.ci_high}
