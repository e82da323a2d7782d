"""The risk step: model, fairness audit, high-risk combinations, their profile, the model card.

Order matters for differencing between outputs: the fairness audit is published first, so the
combinations are chosen knowing which groups of children it already shows (a household type
can be a risk factor under another name), and the high-risk profile describes the best
combination that is actually published.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from smartstart import analyses as A
from smartstart.analyses._combinations import beside_traits
from smartstart.analyses._common import as_bool
from smartstart.analyses._fairness import AGE, AGE_BAND, audit_columns
from smartstart.analyses._labels import MERGED
from smartstart.disclosure import merge_small_groups
from smartstart.disclosure._statements import yes
from smartstart.features import factors, library, outcomes
from smartstart.outputs._compare import publish_comparison
from smartstart.outputs._risk import publish_combinations, publish_fairness, publish_model
from smartstart.outputs._withheld import Withheld
from smartstart.outputs._work import Work
from smartstart.pilot import Study

if TYPE_CHECKING:
    from smartstart.outputs import Outputs

def risk_step(study: Study, work: Work, out: Outputs) -> None:
    s, children = study.disclosure, work.children
    # a factor the delivery lacks is not in the table (features lists it as not delivered)
    # the pilot's predictors, or the library's default set for its outcome
    chosen = study.outcome.predictors or outcomes()[study.outcome.name].predictors
    risk = A.risk_model(children, A.RiskSpec(
        predictors=tuple(p for p in chosen if p in children.columns),
        allow_sensitive=study.outcome.allow_sensitive, min_cases=s.min_cell))
    predictors = tuple(risk.spec.predictors) + ("outcome",)
    model = publish_model(risk, s)
    if any(p.record.status != "pass" for p in model):
        # a model that fails the regression checks is reported as such, not exported
        failed = sorted({c.rule for p in model for c in p.record.checks if c.status != "pass"})
        out.withheld += [Withheld(p.record.name, "model", tuple(failed)) for p in model]
        return
    for published in model:
        out.add(published, predictors)
    fairness, audited = _fairness(children, risk, s, out, predictors)
    # the predictors the model could use here (a constant or aliased one is left out)
    library = factors()["child"]
    used = tuple(f for f in risk.used_spec.predictors
                 if f in library and library[f].type == "binary")
    orders = tuple(k for k in A.CombinationSpec().orders if k <= len(used))
    if orders:
        combos = A.find_combinations(children, A.CombinationSpec(
            factors=used, orders=orders, min_children=s.min_cell, min_events=s.min_cell,
            allow_sensitive=study.outcome.allow_sensitive))
        known = _known_groups(risk, audited, out)
        shown = publish_combinations(combos, s, children, known)
        if out.add(shown, predictors):
            _high_risk(children, risk, combos, shown.frame, s, out, predictors)
    else:
        out.withheld.append(Withheld("combinations", "too_few_factors"))
    _card(study, risk, fairness, out)


def _fairness(children: pd.DataFrame, risk: A.RiskResult, s, out: Outputs,
              predictors: tuple[str, ...]) -> tuple[A.FairnessResult, pd.DataFrame]:
    spec = A.FairnessSpec(risk=risk.used_spec)
    # groups of persons (the age band from the child's age), never places: areas belong to
    # the areas analysis. Groups too small to show are merged first (a row left out would come
    # back as the total minus the other groups)
    children = audit_columns(children, spec.groups)
    groups = tuple(g for g in spec.groups if g in children)
    outcome = children[risk.spec.outcome]
    audited = children.assign(**{g: merge_small_groups(children[g], outcome, s, other=MERGED)
                                 for g in groups})
    fairness = A.fairness_audit(audited, spec)
    audit = publish_fairness(fairness, s)
    # the variables as the factor library names them (the age band is the child's age)
    variables = tuple(dict.fromkeys(AGE if g == AGE_BAND else g for g in groups))
    for published in audit:
        out.add(published, predictors + variables)
    # the card counts the differences the bundle shows (those of published metrics)
    shown = audit[1].frame
    shown = shown[shown["outside"].astype(bool) & shown["reliable"].astype(bool)]
    fairness = replace(fairness, bias=replace(fairness.bias, detected=shown))
    return fairness, audited


def _known_groups(risk: A.RiskResult, audited: pd.DataFrame, out: Outputs) -> pd.DataFrame:
    """Groups of children by risk factors that the bundle already shows: all children
    (risk_checks), and a factor whose children are exactly a published audit group (or its
    complement), with that group's n and events."""
    rows = [{"factors": "", "n": risk.checks.n, "events": risk.checks.events}]
    metrics = next((p.frame for p in out.tables if p.record.name == "fairness_metrics"), None)
    if metrics is None:
        return pd.DataFrame(rows)
    outcome = audited[risk.spec.outcome].astype(bool)
    for r in metrics.dropna(subset=["n", "events"]).itertuples():
        members = audited[r.attribute].astype("string") == str(r.group)
        for factor in risk.used_spec.predictors:
            flag = as_bool(audited[factor]).fillna(False).astype(bool)
            if (flag == members).all():
                rows.append({"factors": factor, "n": r.n, "events": r.events})
            elif (flag == ~members).all():
                rows.append({"factors": factor, "n": len(flag) - r.n,
                             "events": int(outcome.sum()) - r.events})
    return pd.DataFrame(rows)


def _high_risk(children: pd.DataFrame, risk: A.RiskResult, combos: A.CombinationResult,
               shown: pd.DataFrame, s, out: Outputs, predictors: tuple[str, ...]) -> None:
    """The profile of the best published (significant, preferably confirmed) combination."""
    candidates = shown[shown["significant"].astype(bool)]
    confirmed = candidates[candidates["confirmed"].astype(bool)]
    best = (confirmed if len(confirmed) else candidates).head(1)
    if best.empty:
        return
    group = tuple(str(best["factors"].iloc[0]).split("+"))
    # characteristics of a group only (the library's ``describes``): not places (the areas
    # analysis answers "where"; a risk profile by buurt would point at neighbourhoods), not the
    # target flag, and not a factor whose levels are a predictor under another name
    names = tuple(n for n, f in factors()["child"].items() if n in children
                  and f.describes and n not in risk.spec.predictors)
    high = A.high_risk_profile(children, combos, group=group,
                               spec=A.ProfileSpec(unit="child", factors=names))
    members = pd.DataFrame({n: as_bool(children[n]) for n in group}).fillna(False).all(axis=1)
    marked = children.assign(high_risk_group=members.to_numpy())

    def published(table: pd.DataFrame):
        return publish_comparison("high_risk_profile", table, marked, "high_risk_group", s,
                                  unit="child", inside=tuple(yes(n) for n in group))

    table = high.table
    if table.empty:  # nothing but audit-only attributes to show: no profile at all
        return
    shown = published(table)
    # an audit-only attribute stays only beside a trait whose difference is still shown after
    # the gate (a suppressed count blanks its direction)
    if len(beside_traits(shown.frame)) < len(shown.frame):
        table = table[~table["audit_only"].astype(bool)]
        if table.empty:
            return
        shown = published(table)
    out.add(shown, tuple(shown.frame["factor"].unique()) + predictors)


def _card(study: Study, risk: A.RiskResult, fairness: A.FairnessResult, out: Outputs) -> None:
    if not {"risk_coefficients", "risk_performance"} <= out.names():
        return
    words = outcomes()[study.outcome.name]
    whom = library().populations[study.population]
    card = A.model_card(risk, fairness, A.CardContext(
        outcome_nl=words.nl, outcome_en=words.en, outcome_short_nl=words.nl_short,
        outcome_short_en=words.en_short, population_nl=whom.nl, population_en=whom.en,
        organisation=study.organisation, programme=study.programme, contact=study.contact,
        gemeente=", ".join(study.municipalities), peildatum=str(study.peildatum),
        window_years=study.outcome.window_years, min_cell=study.disclosure.min_cell))
    based = ("risk_coefficients", "risk_performance", "risk_checks", "fairness_metrics")
    based = tuple(b for b in based if b in out.names())
    out.texts["model_card_nl"] = (card.to_markdown("nl"), based)
    out.texts["model_card_en"] = (card.to_markdown("en"), based)
