"""Regression outputs: degrees of freedom, cases per category and outcome, separation, convergence.

Accepts a fitted statsmodels-like result (``df_resid``, ``model.exog``/``endog``/``exog_names``,
``mle_retvals`` or ``converged``, ``predict()``), an object with checks already computed
(``residual_dof``, ``converged``, ``min_cell``, ``separation``, ``separation_terms``), or
:class:`RegressionFacts` with plain numbers. Facts that are not given make a check "review".
Categorical predictors are the 0/1 columns of the design matrix (dummies), the outcome is
categorical when it only takes 0 and 1. The mask has one row per term plus one for the outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from smartstart.disclosure._check import CheckResult, result
from smartstart.disclosure._options import Settings, settings_of

EXTREME = 1e-6  # fitted probabilities within this of 0 or 1 mean (quasi-)separation


@dataclass(frozen=True, eq=False)
class RegressionFacts:
    """What the checks need from a fitted model.

    With ``exog`` (design matrix) and ``endog`` (outcome) the cell and separation checks are
    computed; otherwise ``min_cases`` (smallest category x outcome count) and ``separating``
    (terms with separation, ``()`` for none) are taken as given.
    """

    df_resid: float
    converged: bool = True
    exog: pd.DataFrame | None = None
    endog: pd.Series | None = None
    probabilities: np.ndarray | None = None
    outcome: str = "outcome"
    min_cases: int | None = None
    separating: tuple[str, ...] | None = None
    names: tuple[str, ...] = ()

    @property
    def terms(self) -> list[str]:
        if self.exog is not None:
            return [str(c) for c in self.exog.columns]
        extra = [t for t in (self.separating or ()) if t not in self.names]
        return [*self.names, *extra]


def regression_facts(fitted: object) -> RegressionFacts:
    """Read the facts from a fitted statsmodels-like result (nothing is refitted)."""
    if isinstance(fitted, RegressionFacts):
        return fitted
    if not hasattr(fitted, "model") and hasattr(fitted, "residual_dof"):
        return _computed(fitted)
    model = fitted.model
    exog = np.asarray(model.exog, dtype=float)
    names = list(getattr(model, "exog_names", None) or [f"x{i}" for i in range(exog.shape[1])])
    outcome = str(getattr(model, "endog_names", None) or "outcome")
    endog = pd.Series(np.asarray(model.endog, dtype=float).ravel(), name=outcome)
    binary_model = hasattr(model, "cdf") and _is_binary(endog)
    return RegressionFacts(
        df_resid=float(fitted.df_resid), converged=_converged(fitted),
        exog=pd.DataFrame(exog, columns=names), endog=endog,
        probabilities=np.asarray(fitted.predict(), dtype=float) if binary_model else None,
        outcome=outcome)


def _computed(checks: object) -> RegressionFacts:
    """Checks an analysis already computed (e.g. ``analyses``' ``ModelChecks``)."""
    terms = tuple(str(t) for t in getattr(checks, "separation_terms", ()) or ())
    separated = getattr(checks, "separation", None)
    separating = None if separated is None else (terms or ("model",) if separated else ())
    minimum = getattr(checks, "min_cell", None)
    return RegressionFacts(df_resid=float(checks.residual_dof),
                           converged=bool(getattr(checks, "converged", True)),
                           min_cases=None if minimum is None else int(minimum),
                           separating=separating)


def check_regression(fitted: object, settings: object | None = None) -> tuple[CheckResult, ...]:
    """dof >= min_dof; min_cell cases per category x outcome; no separation; converged."""
    s = settings_of(settings)
    facts = regression_facts(fitted)
    index = pd.Index([*facts.terms, facts.outcome], name="term")
    every = pd.DataFrame({"flag": True}, index=index)
    none = ~every
    return (
        result("dof", every if facts.df_resid < s.min_dof else none,
               f"residual degrees of freedom {facts.df_resid:g}, minimum {s.min_dof}",
               df_resid=facts.df_resid, min_dof=s.min_dof),
        _category_cases(facts, s, none),
        _separation(facts, none),
        result("convergence", none if facts.converged else every,
               "converged" if facts.converged else "did not converge",
               converged=facts.converged),
    )


def _category_cases(facts: RegressionFacts, s: Settings, none: pd.DataFrame) -> CheckResult:
    if facts.exog is None or facts.endog is None:
        return _given_cases(facts, s, none)
    y = facts.endog.to_numpy()
    groups = [y == v for v in (0, 1)] if _is_binary(facts.endog) else [np.ones(len(y), bool)]
    counts = {name: _smallest(facts.exog[name].to_numpy(), groups)
              for name in _binary_columns(facts.exog)}
    outcome = min(int(g.sum()) for g in groups) if len(groups) == 2 else len(y)
    flags = {**{str(n): c < s.min_cell for n, c in counts.items()},
             facts.outcome: outcome < s.min_cell}
    mask = none.copy()
    mask.loc[list(flags), "flag"] = list(flags.values())
    empty = min([*counts.values(), outcome]) == 0
    return result("category_cases", mask, f"terms with fewer than {s.min_cell} cases per "
                  "category x outcome", min_cell=s.min_cell, empty=empty)


def _given_cases(facts: RegressionFacts, s: Settings, none: pd.DataFrame) -> CheckResult:
    if facts.min_cases is None:
        return CheckResult("category_cases", "review", "cases per category not given", none,
                           {"checked": False})
    mask = none.copy()
    mask.loc[facts.outcome, "flag"] = facts.min_cases < s.min_cell
    return result("category_cases", mask, f"fewer than {s.min_cell} cases per category x "
                  "outcome", min_cell=s.min_cell, empty=facts.min_cases == 0)


def _given_separation(facts: RegressionFacts, none: pd.DataFrame) -> CheckResult:
    if facts.separating is None:
        return CheckResult("separation", "review", "separation not checked", none,
                           {"checked": False})
    mask = none.copy()
    mask.loc[list(facts.separating), "flag"] = True
    return result("separation", mask, f"{len(facts.separating)} terms with separation",
                  separating=len(facts.separating))


def _separation(facts: RegressionFacts, none: pd.DataFrame) -> CheckResult:
    if facts.endog is None and facts.probabilities is None:
        return _given_separation(facts, none)
    if facts.endog is None or not _is_binary(facts.endog):
        return result("separation", none, "outcome not binary", checked=False)
    mask = none.copy()
    y = facts.endog.to_numpy()
    if facts.exog is not None:
        for name in _binary_columns(facts.exog):
            cases = _smallest(facts.exog[name].to_numpy(), [y == 0, y == 1])
            mask.loc[str(name), "flag"] = cases == 0
    p = facts.probabilities
    extremes = int(((p <= EXTREME) | (p >= 1 - EXTREME)).sum()) if p is not None else 0
    mask.loc[facts.outcome, "flag"] = extremes > 0
    return result("separation", mask, "separating terms or fitted probabilities at 0 or 1",
                  fitted_extremes=extremes > 0, separating=int(mask["flag"].sum()) - (extremes > 0))


def _binary_columns(exog: pd.DataFrame) -> list[str]:
    return [name for name in exog.columns
            if set(np.unique(exog[name].to_numpy())) == {0.0, 1.0}]


def _smallest(column: np.ndarray, groups: Sequence[np.ndarray]) -> int:
    return min(int(((column == v) & g).sum()) for v in (0.0, 1.0) for g in groups)


def _is_binary(values: pd.Series) -> bool:
    return set(np.unique(values.to_numpy())) <= {0.0, 1.0}


def _converged(fitted: object) -> bool:
    retvals = getattr(fitted, "mle_retvals", None)
    if isinstance(retvals, dict) and "converged" in retvals:
        return bool(retvals["converged"])
    return bool(getattr(fitted, "converged", True))
