"""Combinations of risk factors: an exhaustive search over AND-combinations of binary factors.

Every 2- and 3-way combination (4-way on request) with at least ``min_children`` children and
``min_events`` events is tested against the children outside it (one-sided Fisher exact test),
with Wilson intervals for its risk, lift against the base rate, and Benjamini-Hochberg q-values.
Significant groups are then confirmed as interaction terms: the combination's indicator is
added to the main-effects logistic model of all searched factors and refitted on bootstrap
samples; a group is confirmed when the bootstrap 95 % percentile interval of that odds ratio
lies above 1 (the group's risk is more than the sum of its factors). With additive risk factors
every combination of several of them has a high lift; the interaction is what marks a
combination as a group of its own, so confirmed groups rank first by default.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from smartstart.analyses._common import (
    ConfirmMethod,
    RankBy,
    as_bool,
    factor_info,
    lower_first,
    require_columns,
    sensitive_attributes,
    wilson,
)
from smartstart.analyses._logit import combo_name, newton_logit, newton_logits
from smartstart.analyses._profile import ProfileResult, ProfileSpec, profile
from smartstart.analyses._risk import RISK_FACTORS, SensitivePredictorError
from smartstart.errors import LackOfData
from smartstart.features import factors


@dataclass(frozen=True)
class CombinationSpec:
    outcome: str = "outcome"
    factors: tuple[str, ...] = RISK_FACTORS
    orders: tuple[int, ...] = (2, 3)
    #: best first: "interaction" puts confirmed groups first, by the bootstrap lower bound of
    #: their interaction odds ratio (risk beyond the sum of the factors), then the others by
    #: the lower bound of the lift; "lift_low" ranks all by the lower bound of the lift;
    #: "p_value" by the Fisher p-value (favours large groups)
    rank_by: RankBy = "interaction"
    #: minimum support: children in the group and events among them (disclosure minimum)
    min_children: int = 10
    min_events: int = 10
    #: false discovery rate of the Benjamini-Hochberg correction
    alpha: float = 0.05
    confirm: ConfirmMethod = "bootstrap"
    n_boot: int = 200
    #: how many significant groups are confirmed (lowest p-values first); None: all
    max_confirm: int | None = None
    seed: int = 0
    allow_sensitive: bool = False

    def __post_init__(self) -> None:
        used = set(self.factors).intersection(sensitive_attributes("child"))
        if used and not self.allow_sensitive:
            raise SensitivePredictorError(
                f"{', '.join(sorted(used))}: audit attribute(s), not risk factors; pass "
                "allow_sensitive=True to search them anyway")
        if not self.orders or min(self.orders) < 1 or max(self.orders) > len(self.factors):
            raise ValueError(f"orders must lie between 1 and {len(self.factors)}")


@dataclass(frozen=True)
class CombinationResult:
    spec: CombinationSpec
    table: pd.DataFrame = field(repr=False)
    n: int
    events: int
    base_rate: float
    tested: int
    too_small: int

    def to_frame(self) -> pd.DataFrame:
        """One row per tested group with enough support, best first (``spec.rank_by``)."""
        return self.table.copy()

    def best(self, confirmed_only: bool = True) -> tuple[str, ...] | None:
        """The factors of the first-ranked significant (and confirmed) group."""
        rows = self.table[self.table["confirmed"]] if confirmed_only else self.table
        rows = rows[rows["significant"]]
        return None if rows.empty else tuple(rows.iloc[0]["factors"])


def find_combinations(table: pd.DataFrame, spec: CombinationSpec | None = None
                      ) -> CombinationResult:
    """Search, test, correct and confirm; see the module doc."""
    spec = spec or CombinationSpec()
    require_columns(table, [spec.outcome, *spec.factors])
    data = pd.DataFrame({n: as_bool(table[n]) for n in (*spec.factors, spec.outcome)})
    data = data.dropna().astype(bool)
    X, y = data[list(spec.factors)].to_numpy(), data[spec.outcome].to_numpy()
    base = float(y.mean())
    rows, too_small = [], 0
    for k in sorted(set(spec.orders)):
        for idx in combinations(range(len(spec.factors)), k):
            row = _group_row(X[:, idx].all(axis=1), y, base)
            if row["n"] < spec.min_children or row["events"] < spec.min_events:
                too_small += 1
                continue
            rows.append({"factors": tuple(spec.factors[i] for i in idx), "order": k, **row})
    frame = _finish(pd.DataFrame(rows, columns=_COLUMNS), spec, X, y)
    return CombinationResult(spec, frame, len(y), int(y.sum()), base, len(rows), too_small)


_COLUMNS = ["factors", "order", "n", "events", "risk", "ci_low", "ci_high", "lift",
            "lift_low", "lift_high", "p_value"]


def _group_row(mask: np.ndarray, y: np.ndarray, base: float) -> dict:
    n, events = int(mask.sum()), int(y[mask].sum())
    low, high = (float(v) for v in wilson(events, n))
    total, all_events = len(y), int(y.sum())
    # P(X >= events) for X ~ hypergeometric: Fisher's exact test, one-sided (higher risk)
    p = float(stats.hypergeom.sf(events - 1, total, all_events, n)) if n else 1.0
    risk = events / n if n else np.nan
    return {"n": n, "events": events, "risk": risk, "ci_low": low, "ci_high": high,
            "lift": risk / base, "lift_low": low / base, "lift_high": high / base,
            "p_value": p}


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values)."""
    p = np.asarray(p, dtype=float)
    if p.size == 0:
        return p
    order = np.argsort(p)
    scaled = p[order] * p.size / np.arange(1, p.size + 1)
    q = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty_like(p)
    out[order] = np.minimum(q, 1.0)
    return out


def _finish(frame: pd.DataFrame, spec: CombinationSpec, X: np.ndarray, y: np.ndarray
            ) -> pd.DataFrame:
    frame = frame.sort_values(["p_value", "lift"], ascending=[True, False], ignore_index=True)
    frame.insert(1, "combination", [combo_name(f) for f in frame["factors"]])
    frame["q_value"] = benjamini_hochberg(frame["p_value"].to_numpy())
    frame["significant"] = frame["q_value"] <= spec.alpha
    for col in ("interaction_or", "interaction_low", "interaction_high", "confirm_share"):
        frame[col] = np.nan
    frame["confirmed"] = False
    if spec.confirm == "bootstrap":
        chosen = frame.index[frame["significant"]][: spec.max_confirm]
        for i, values in zip(chosen, _bootstrap(frame.loc[chosen, "factors"], spec, X, y),
                             strict=True):
            frame.loc[i, list(values)] = list(values.values())
    frame = _rank(frame, spec.rank_by)
    frame["label_nl"] = [_label(f, "nl") for f in frame["factors"]]
    frame["label_en"] = [_label(f, "en") for f in frame["factors"]]
    return frame


def _rank(frame: pd.DataFrame, rank_by: RankBy) -> pd.DataFrame:
    if rank_by == "p_value":
        ordered = frame
    elif rank_by == "lift_low":
        ordered = frame.sort_values(["lift_low", "lift"], ascending=False, kind="stable")
    else:
        # a confirmed lower bound beyond LOG_OR_BOUND is not published (NaN): it is the highest
        strength = frame["interaction_low"].fillna(np.inf).where(frame["confirmed"], -np.inf)
        ordered = frame.assign(_s=strength).sort_values(
            ["confirmed", "_s", "lift_low"], ascending=False, kind="stable").drop(columns="_s")
    ordered = ordered.reset_index(drop=True)
    ordered.insert(0, "rank", np.arange(1, len(ordered) + 1))
    return ordered


def _bootstrap(groups: pd.Series, spec: CombinationSpec, X: np.ndarray, y: np.ndarray
               ) -> list[dict]:
    """Interaction odds ratio of each group beyond the main effects, with bootstrap CI.

    The factors are binary, so children are pooled into cells (factor pattern x outcome) and
    each bootstrap sample is a reweighting of those cells: the same fit, far fewer rows.
    """
    code = X.astype(np.int64) @ (1 << np.arange(X.shape[1])) * 2 + y
    cells, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    Xc, yc = X[first], y[first].astype(float)
    names = list(spec.factors)
    main = np.column_stack([np.ones(len(cells)), Xc.astype(float)])
    designs = [np.column_stack([main, Xc[:, [names.index(f) for f in g]].all(axis=1)])
               for g in groups]
    rng = np.random.default_rng(spec.seed)
    weights = np.array([np.bincount(inverse, minlength=len(cells), weights=rng.multinomial(
        len(y), np.full(len(y), 1 / len(y)))) for _ in range(spec.n_boot)])
    draws = np.column_stack([newton_logits(d, yc, weights)[:, -1] for d in designs]
                            ) if designs else np.empty((spec.n_boot, 0))
    size = np.bincount(inverse, minlength=len(cells)).astype(float)
    out = []
    for j, d in enumerate(designs):
        point = newton_logit(d, yc, size)[-1]
        low, high = np.quantile(draws[:, j], [0.025, 0.975])
        out.append({"interaction_or": _bounded(point), "interaction_low": _bounded(low),
                    "interaction_high": _bounded(high),
                    "confirm_share": float((draws[:, j] > 0).mean()),
                    "confirmed": bool(low > 0)})
    return out


#: an interaction's log odds ratio beyond which its fit separated the children (a resample
#: without a child of the combination lacking the outcome: Newton then stops wherever its steps
#: got small, an odds ratio of 1e7 or 1e8): that bound of the interval is not estimable
LOG_OR_BOUND = float(np.log(1000))


def _bounded(log_or: float) -> float:
    """The odds ratio, or NaN (shown as '–') where the fit ran off (``LOG_OR_BOUND``): a limit
    of 100,994,907 went to the team's Excel (helper-41)."""
    return float(np.exp(log_or)) if abs(log_or) <= LOG_OR_BOUND else float("nan")


def _label(names: tuple[str, ...], lang: str) -> str:
    words = [lower_first(getattr(factor_info(n, "child"), lang)) for n in names]
    joiner = " en " if lang == "nl" else " and "
    return joiner.join(words)


def high_risk_profile(table: pd.DataFrame, result: CombinationResult,
                      group: tuple[str, ...] | None = None,
                      spec: ProfileSpec | None = None) -> ProfileResult:
    """Profile of the children in a high-risk group (default the best confirmed one) vs the rest.

    The group's own factors show as 100 %: it is described, not discovered, by them. An
    audit-only attribute (``audit_only`` in factors.yaml: migration background) is there to
    check equal treatment, not to describe the group: its rows are marked (``audit_only``),
    claim no direction and say so in their phrase, and are kept only beside at least one other
    trait with a clear difference (``beside_traits``), never as the group's only trait.
    """
    chosen = group or result.best() or result.best(confirmed_only=False)
    if chosen is None:
        raise LackOfData("no_combination", "no significant combination to profile")
    require_columns(table, chosen)
    mask = pd.DataFrame({n: as_bool(table[n]) for n in chosen}).fillna(False).all(axis=1)
    marked = table.assign(high_risk_group=mask.to_numpy())
    base = spec or ProfileSpec(unit="child")
    spec = ProfileSpec(unit=base.unit, target="high_risk_group", factors=base.factors,
                       min_smd=base.min_smd, alpha=base.alpha, label_nl="hoogrisicogroep",
                       label_en="high-risk group")
    found = profile(marked, spec)
    return replace(found, table=beside_traits(_mark_audit(found.table, spec.unit)))


#: the phrase of an audit-only row: what it is for, not a difference of the group
AUDIT_PHRASES = {"nl": "{}: alleen ter controle op gelijke behandeling, geen kenmerk van de groep",
                 "en": "{}: only to check equal treatment, not a trait of the group"}


def _mark_audit(frame: pd.DataFrame, unit: str) -> pd.DataFrame:
    audit = frame["factor"].map(lambda n: _audit_only(str(n), unit)).astype(bool)
    frame = frame.assign(audit_only=audit.to_numpy())
    if not audit.any():
        return frame
    frame["direction"] = frame["direction"].astype(object).where(~audit, None)
    for lang in ("nl", "en"):
        words = frame.loc[audit, f"label_{lang}"].map(lambda x: lower_first(str(x)))
        frame.loc[audit, f"phrase_{lang}"] = [AUDIT_PHRASES[lang].format(w) for w in words]
    return frame


def _audit_only(name: str, unit: str) -> bool:
    library = factors().get(unit, {})
    return name in library and library[name].audit_only


def beside_traits(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without its audit-only rows when no other row shows a clear difference
    (direction higher or lower): an audit-only attribute is never a group's only trait."""
    if "audit_only" not in frame.columns:
        return frame
    audit = frame["audit_only"].astype(bool)
    others = frame.loc[~audit, "direction"].isin(["higher", "lower"]).any()
    return frame if others or not audit.any() else frame[~audit].reset_index(drop=True)
