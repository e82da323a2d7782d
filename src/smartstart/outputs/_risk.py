"""The risk model, its high-risk combinations and its fairness audit through the gate.

A model is exported only when it passes the regression checks (dof, cases per category x
outcome, no separation, converged); otherwise its tables fail and stay out of the bundle.
A predictor left out because it is constant or aliased here is named in ``risk_checks``: that
states an empty cell (no child with the other value), published under the zeros policy; when
zeros are disclosive the model is withheld instead (rule ``zeros``).
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from smartstart.analyses import CombinationResult, FairnessResult, RiskResult
from smartstart.analyses._common import factor_info
from smartstart.analyses._fairness import AGE, AGE_BAND, AGE_BANDS, FairnessSpec
from smartstart.analyses._labels import MERGED, level_label
from smartstart.disclosure import (
    CheckResult,
    Embedded,
    Published,
    Rules,
    check_regression,
    cube_counts,
    protect_frame,
    withhold_groups,
)
from smartstart.disclosure._options import settings_of
from smartstart.disclosure._precision import (
    CALIBRATION_PRECISION,
    COEFFICIENT_PRECISION,
    GROUP_PRECISION,
    PERFORMANCE_DECIMALS,
    precision_of,
    round_coefficients,
    round_metrics,
)
from smartstart.disclosure._statements import KNOWN, declare, yes

#: no counts per term: a factor's children and events, next to the combinations of factors,
#: would give groups such as "young mother, not in the best combination" back (the regression
#: checks on cases per category x outcome are in risk_checks)
COEFFICIENTS = ["term", "factor", "level", "coef", "se", "z", "p_value", "odds_ratio", "or_low",
                "or_high"]


def publish_model(risk: RiskResult, settings: object) -> list[Published]:
    notes = _notes_check(risk, settings)
    model_checks = (*check_regression(risk.checks, settings), *notes)
    # at a stated precision: exact coefficients are the exact fit, whose score equations
    # narrow small cells of factors x outcome down (disclosure._precision)
    coefficients = _labelled(round_coefficients(risk.coefficients[[c for c in COEFFICIENTS
                                                                   if c in risk.coefficients]]))
    out = [protect_frame("risk_coefficients", coefficients.reset_index(drop=True),
                         Rules(precision=precision_of(coefficients, COEFFICIENT_PRECISION)),
                         settings=settings, kind="regression", extra=model_checks),
           protect_frame("risk_checks", _checks_frame(risk, settings),
                         Rules(regression=True, cells=declare(
                             "child", ("keys", "check", "value"),
                             {"n": (), "events": (OUTCOME,)})),
                         settings=settings, kind="regression", extra=notes)]
    if risk.performance is not None:
        # not the Hosmer-Lemeshow statistic: with each decile's n and expected events it is a
        # sum of squares that gives the suppressed events per decile back
        performance = risk.performance.to_frame()
        performance = performance[~performance["metric"].str.startswith("hosmer_lemeshow")]
        # AUC and Brier are exact functions of the cells too: at a stated precision. No
        # likelihood statistic is published (the n it rests on is in risk_checks anyway)
        performance = round_metrics(performance.reset_index(drop=True))
        rules = Rules(precision=tuple(PERFORMANCE_DECIMALS.items()),
                      precision_rows=("metric", "value"))
        out.append(protect_frame("risk_performance", performance, rules, settings=settings,
                                 kind="regression", extra=model_checks))
        out.append(_calibration(risk.calibration, settings, notes))
    return out


def _checks_frame(risk: RiskResult, settings: object) -> pd.DataFrame:
    """The model checks as published. The fewest children of any predictor level x outcome
    is stated as the threshold it passed (``min_cell``), not as its value: every such cell is
    at least that (the rule says so), and the exact minimum is a bound on a cell that, with
    a twin level (single parent = household type 6) and the fairness audit's counts, narrowed
    a small cell of the audit down (64 - 33 - 12 - 17 = 2, found by the pilot property test)."""
    frame = risk.checks.to_frame().astype({"value": str})
    floor = settings_of(settings).min_cell
    at = frame["check"] == "min_cell"
    values = pd.to_numeric(frame.loc[at, "value"], errors="coerce")
    frame.loc[at, "value"] = [str(min(int(v), floor)) if pd.notna(v) else "" for v in values]
    return frame


def _notes_check(risk: RiskResult, settings: object) -> tuple[CheckResult, ...]:
    """A note on a left-out predictor or empty level states a zero: fine unless zeros are
    disclosive (then every risk table fails, so the model is withheld for that rule)."""
    zeros = bool(getattr(settings, "zeros_disclosive", False))
    if not risk.notes or not zeros:
        return ()
    mask = pd.DataFrame({"flag": True}, index=pd.Index(
        [n.predictor for n in risk.notes], name="term"))
    return (CheckResult("zeros", "fail", f"{len(risk.notes)} predictors or levels left out "
                        "as constant, unknown or aliased: each states an empty cell", mask,
                        {"zeros_disclosive": True}),)


def _labelled(coefficients: pd.DataFrame) -> pd.DataFrame:
    """Dutch and English labels per term ("Type huishouden: eenouderhuishouden")."""
    def label(row: pd.Series, lang: str) -> str:
        if row["term"] == "const":
            return "constante" if lang == "nl" else "constant"
        if "+" in str(row["factor"]) or "*" in str(row["term"]):
            parts = str(row["factor"]).replace("*", "+").split("+")
            joiner = " en " if lang == "nl" else " and "
            return joiner.join(getattr(factor_info(p, "child"), lang) for p in parts)
        name = getattr(factor_info(str(row["factor"]), "child"), lang)
        level = row.get("level")
        if level is None or pd.isna(level) or str(level) in ("", "True", "1"):
            return name
        return f"{name}: {level_label(str(row['factor']), level, lang)}"

    return coefficients.assign(label_nl=coefficients.apply(label, axis=1, args=("nl",)),
                               label_en=coefficients.apply(label, axis=1, args=("en",)))


def _calibration(calibration: pd.DataFrame, settings: object,
                 extra: tuple[CheckResult, ...] = ()) -> Published:
    """Deciles x (events, no events), with each decile's n as its total."""
    frame = calibration.reset_index(drop=True)
    for column, digits in CALIBRATION_PRECISION.items():  # sums of exact fitted risks
        if column in frame:
            frame[column] = frame[column].astype(float).round(digits)
    events = frame["events"].to_numpy(dtype=float)
    interior = np.column_stack([events, frame["n"].to_numpy(dtype=float) - events])
    places: dict[tuple[int, ...], list[tuple[Hashable, str]]] = {}
    for i in range(len(frame)):
        places[(i, 0)] = [(i, "events")]
        places[(i, 2)] = [(i, "n")]
    table = Embedded.build(interior, ("group", "outcome"), (list(frame["group"]), ["yes", "no"]),
                           places)
    rules = Rules(counts=("n", "events"), shares=(("events", "n"),),
                  derived=(("observed", ("events", "n")),
                           ("expected_events", ("n",)), ("predicted", ("n",))),
                  precision=precision_of(frame, CALIBRATION_PRECISION),
                  cells=declare("child", ("value", "group", "decile"),
                                {"n": (), "events": (OUTCOME,)}))
    return protect_frame("risk_calibration", frame, rules, [table], settings, kind="shares",
                         extra=extra)


def publish_combinations(result: CombinationResult, settings: object, data: pd.DataFrame,
                         known: pd.DataFrame) -> Published:
    """Groups with enough support, best first; a group is withheld when, with the better
    groups and the groups ``known`` from other outputs (factors, n, events; all children as
    factors ""), it would narrow a small cell of factors x outcome down (differencing)."""
    spec = result.spec
    frame = result.to_frame()
    frame = frame.assign(factors=frame["factors"].map("+".join),
                         non_events=frame["n"] - frame["events"]).reset_index(drop=True)
    cube = cube_counts(data, spec.factors, spec.outcome)
    frame, _ = withhold_groups(frame, known[["factors", "n", "events"]], spec.factors, cube,
                               settings)
    total = known[known["factors"] == ""].iloc[0]
    # the interaction odds ratios are the coefficients of a logit fit: at a stated precision
    interaction = {c: 2 for c in INTERACTION if c in frame}
    frame = frame.assign(**{c: frame[c].astype(float).round(d) for c, d in interaction.items()})
    rules = Rules(counts=("n", "events", "non_events"), shares=(("events", "n"),),
                  nested=("factors", "n", "events"),
                  groups=("factors", "n", "events", float(total["n"]), float(total["events"])),
                  precision=tuple(interaction.items()),
                  cells=declare("child", ("set", "factors"),
                                {"n": (), "events": (OUTCOME,), "non_events": (NO_OUTCOME,)}))
    return protect_frame("combinations", frame.reset_index(drop=True), rules, settings=settings,
                         kind="shares")


INTERACTION = ("interaction_or", "interaction_low", "interaction_high")
#: the register's conditions (disclosure._statements): the child has the outcome, is flagged
OUTCOME, NO_OUTCOME = yes("outcome"), yes("outcome", "0")
FLAGGED, NOT_FLAGGED = yes("flagged"), yes("flagged", "0")
#: the audit's groups are persons (sex, migration background, household type, age band), each
#: attribute a partition of the same children (a ``pair`` row: the variable is the attribute,
#: the group its value; the merged group is every value no other row names). An age band is a
#: band of the child's known age (the register's variable ``age``, which the high-risk profile
#: counts as known): every child in a band has a known age
AGE_BAND_KNOWN = ((AGE_BAND, "in", tuple(code for code, *_ in AGE_BANDS)), (AGE, "in", (KNOWN,)))
FAIRNESS_CELLS = declare("child", ("pair", "attribute", "group"), {
    "n": (), "events": (OUTCOME,), "flagged": (FLAGGED,), "tp": (OUTCOME, FLAGGED),
    "fn": (OUTCOME, NOT_FLAGGED), "fp": (NO_OUTCOME, FLAGGED), "tn": (NO_OUTCOME, NOT_FLAGGED)},
    merged=MERGED, within=(AGE_BAND_KNOWN,))
CONFUSION = {"tp": (0, 0), "fn": (0, 1), "fp": (1, 0), "tn": (1, 1)}
MARGINS = {"events": (0, 2), "flagged": (2, 0), "n": (2, 2)}
FAIRNESS_DERIVED = (("tpr", ("tp", "fn")), ("fpr", ("fp", "tn")), ("ppv", ("tp", "fp")),
                    ("selection_rate", ("flagged", "n")), ("auc", ("events", "n")),
                    ("auc_low", ("events", "n")), ("auc_high", ("events", "n")),
                    ("observed", ("events", "n")), ("predicted", ("n",)),
                    ("expected_events", ("n",)), ("calibration", ("events", "n")))


def publish_fairness(result: FairnessResult, settings: object) -> list[Published]:
    metrics = result.metrics.dropna(subset=["group"]).reset_index(drop=True)
    metrics = metrics.assign(group=metrics["group"].astype(str))
    # AUC and calibration per group are functions of the group's cells: at a stated precision
    precision = precision_of(metrics, GROUP_PRECISION)
    metrics = metrics.assign(**{c: metrics[c].astype(float).round(d) for c, d in precision})
    tables = [_confusion(rows) for _, rows in metrics.groupby("attribute", sort=False)]
    rules = Rules(counts=("n", "events", "flagged", "tp", "fn", "fp", "tn"),
                  derived=FAIRNESS_DERIVED, cells=FAIRNESS_CELLS, precision=precision)
    published = protect_frame("fairness_metrics", metrics, rules, tables, settings,
                              kind="shares")
    return [published, _disparities(result.disparities, published.frame, settings),
            _proxies(result.proxies, settings)]


def _confusion(rows: pd.DataFrame) -> Embedded:
    """groups x outcome (event, none) x flagged (yes, no) with every margin."""
    interior = np.zeros((len(rows), 2, 2))
    places: dict[tuple[int, ...], list[tuple[Hashable, str]]] = {}
    for i, (index, row) in enumerate(rows.iterrows()):
        for column, (o, f) in CONFUSION.items():
            interior[i, o, f] = row[column]
            places[(i, o, f)] = [(index, column)]
        for column, (o, f) in MARGINS.items():
            places[(i, o, f)] = [(index, column)]
    # published elsewhere: each group's size (the profiles) and the totals over all children
    fixed = np.zeros((len(rows) + 1, 3, 3), dtype=bool)
    fixed[-1], fixed[:, 2, 2] = True, True
    return Embedded.build(interior, ("group", "outcome", "flagged"),
                          (list(rows["group"]), ["event", "none"], ["yes", "no"]), places,
                          fixed)


#: decimals of a published disparity's ratio and difference
DISPARITY_DECIMALS = 3


def _disparities(disparities: pd.DataFrame, metrics: pd.DataFrame, settings: object
                 ) -> Published:
    """Only ratios of metrics that are published for both groups."""
    frame = disparities.assign(group=disparities["group"].astype(str),
                               reference=disparities["reference"].astype(str))
    long = metrics.melt(id_vars=["attribute", "group"], var_name="metric", value_name="shown")
    shown = long.set_index(["attribute", "group", "metric"])["shown"]

    def known(attribute: str, group: str, metric: str) -> bool:
        key = (attribute, group, metric)
        return key in shown.index and pd.notna(shown.loc[key])

    keep = [known(r.attribute, r.group, r.metric) and known(r.attribute, r.reference, r.metric)
            for r in frame.itertuples()]
    frame = frame[keep].reset_index(drop=True)
    # the values as fairness_metrics publishes them (AUC and calibration rounded there), and
    # the ratio and difference of those: no more precision than the metrics table has
    value = np.array([float(shown.loc[(r.attribute, r.group, r.metric)])
                      for r in frame.itertuples()])
    reference = np.array([float(shown.loc[(r.attribute, r.reference, r.metric)])
                          for r in frame.itertuples()])
    ratio = np.divide(value, reference, out=np.full(len(value), np.nan), where=reference > 0)
    low, high = FairnessSpec().ratio_bounds  # the run audits with the default bounds
    frame = frame.assign(value=value, reference_value=reference,
                         ratio=np.round(ratio, DISPARITY_DECIMALS),
                         difference=np.round(value - reference, DISPARITY_DECIMALS),
                         outside=np.isfinite(ratio) & ~((ratio >= low) & (ratio <= high)))
    rules = Rules(precision=(("ratio", DISPARITY_DECIMALS), ("difference", DISPARITY_DECIMALS)))
    return protect_frame("fairness_disparities", frame, rules, settings=settings)


def _proxies(proxies: pd.DataFrame, settings: object) -> Published:
    frame = proxies.reset_index(drop=True)
    if "features" in frame:
        frame = frame.assign(features=frame["features"].map(
            lambda v: ", ".join(v) if isinstance(v, (list, tuple, np.ndarray)) else v))
    precision = precision_of(frame, GROUP_PRECISION)
    frame = frame.assign(**{c: frame[c].astype(float).round(d) for c, d in precision})
    rules = Rules(counts=("n", "positives"), derived=tuple(
        (c, ("n", "positives")) for c in ("auc", "auc_low", "auc_high", "flagged")),
        precision=precision,
        cells=declare("child", ("pair", "attribute", "level"), {"n": (), "positives": ()},
                      whole=("n",), merged=MERGED))
    return protect_frame("fairness_proxies", frame, rules, settings=settings)
