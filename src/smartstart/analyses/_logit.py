"""Logistic regression plumbing: design matrix, statsmodels fit, separation check, CV predictions.

Everything here works on arrays inside one run; nothing returned by a public function holds a
per-child value.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from smartstart.analyses._common import as_bool, factor_info

CONST = "const"


@dataclass(frozen=True)
class Term:
    """One column of the design: a binary factor, a category level, or an AND-combination."""

    name: str
    factor: str
    level: str | None = None
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Design:
    X: pd.DataFrame
    y: np.ndarray
    terms: tuple[Term, ...]
    references: dict[str, str]
    kept: np.ndarray
    #: the predictor columns of the kept rows, as used (bool or level text), for cell counts
    data: pd.DataFrame
    #: (factor, level) of category levels with no child among the kept rows: a configured
    #: reference (the largest level is used instead) or a declared category of the column
    empty_levels: tuple[tuple[str, str], ...] = ()


def combo_name(parts: Sequence[str]) -> str:
    return " & ".join(parts)


def build_design(table: pd.DataFrame, outcome: str, predictors: Sequence[str],
                 interactions: Sequence[Sequence[str]] = (),
                 references: Mapping[str, str] | None = None, unit: str = "child") -> Design:
    """Complete cases; binary factors as 0/1, categories as treatment dummies."""
    data = {}
    for name in predictors:
        kind = factor_info(name, unit, table[name]).type  # type: ignore[arg-type]
        column = table[name]
        data[name] = as_bool(column) if kind == "binary" else column.astype("string")
    frame = pd.DataFrame(data, index=table.index)
    y = as_bool(table[outcome])
    kept = (frame.notna().all(axis=1) & y.notna()).to_numpy()
    frame = frame[kept]
    columns, terms, refs = {CONST: np.ones(int(kept.sum()))}, [], {}
    empty: list[tuple[str, str]] = []
    for name in predictors:
        if pd.api.types.is_bool_dtype(frame[name].dtype):
            columns[name] = frame[name].astype(float).to_numpy()
            terms.append(Term(name, name))
            continue
        present = set(frame[name].unique())
        declared = getattr(table[name].dtype, "categories", None)
        empty += [(name, str(c)) for c in (declared if declared is not None else ())
                  if str(c) not in present]
        chosen = (references or {}).get(name)
        if chosen is not None and chosen not in present:
            if (name, chosen) not in empty:
                empty.append((name, chosen))
            chosen = None
        ref = _reference(frame[name], chosen)
        refs[name] = ref
        for level in sorted(frame[name].unique()):
            if level != ref:
                term = Term(f"{name}[{level}]", name, str(level))
                columns[term.name] = frame[name].eq(level).astype(float).to_numpy()
                terms.append(term)
    for parts in interactions:
        term = Term(combo_name(parts), combo_name(parts), parts=tuple(parts))
        columns[term.name] = frame[list(parts)].all(axis=1).astype(float).to_numpy()
        terms.append(term)
    X = pd.DataFrame(columns, index=frame.index)
    return Design(X, y[kept].to_numpy(dtype=float), tuple(terms), refs, kept, frame,
                  tuple(empty))


def _reference(column: pd.Series, chosen: str | None) -> str:
    """The chosen level (it has children), or the largest level (ties: the first by name)."""
    if chosen is not None:
        return chosen
    counts = column.value_counts()
    if counts.empty:
        return ""
    top = counts[counts == counts.max()].index
    return str(sorted(top)[0])


def aliased(X: pd.DataFrame) -> tuple[str, ...]:
    """Columns that are linear combinations of earlier ones (rank deficiency)."""
    out, kept = [], []
    values = X.to_numpy(dtype=float)
    for j, name in enumerate(X.columns):
        trial = values[:, [*kept, j]]
        if np.linalg.matrix_rank(trial) < trial.shape[1]:
            out.append(str(name))
        else:
            kept.append(j)
    return tuple(out)


@dataclass(frozen=True)
class Fit:
    result: object  # statsmodels LogitResults
    converged: bool
    warnings: tuple[str, ...]


def fit_logit(X: pd.DataFrame | np.ndarray, y: np.ndarray, maxiter: int = 100) -> Fit:
    """statsmodels Logit by Newton-Raphson; warnings are recorded, not printed."""
    import statsmodels.api as sm  # deferred: half a second of every start, models or not
    from statsmodels.tools import sm_exceptions

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = sm.Logit(y, X).fit(method="newton", maxiter=maxiter, disp=0)
        except (np.linalg.LinAlgError, sm_exceptions.PerfectSeparationError) as error:
            return Fit(None, False, (f"{type(error).__name__}: {error}",))
    kinds = tuple(sorted({w.category.__name__ for w in caught}))
    converged = bool(result.mle_retvals.get("converged", False))
    return Fit(result, converged, kinds)


def separation(X: np.ndarray, y: np.ndarray, tol: float = 1e-6) -> tuple[bool, np.ndarray]:
    """(Quasi-)complete separation by the linear program of Konis (2007).

    Maximise sum_i s_i x_i'b subject to s_i x_i'b >= 0 and -1 <= b <= 1, with s = 2y - 1.
    The optimum is 0 unless some direction b separates the outcomes; that b is returned.
    """
    X = np.asarray(X, dtype=float)
    signed = X * (2 * np.asarray(y, dtype=float) - 1)[:, None]
    res = linprog(-signed.sum(axis=0), A_ub=-signed, b_ub=np.zeros(len(X)),
                  bounds=[(-1, 1)] * X.shape[1], method="highs")
    if res.status != 0:
        return False, np.zeros(X.shape[1])
    scale = max(1.0, float(np.abs(signed).sum(axis=0).max()))
    found = -res.fun > tol * scale
    return bool(found), np.where(np.abs(res.x) > 1e-9, res.x, 0.0) if found else np.zeros(
        X.shape[1])


def newton_logit(X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None,
                 maxiter: int = 30, tol: float = 1e-8) -> np.ndarray:
    """Weighted logistic MLE by Newton-Raphson (a tiny ridge keeps separated fits finite).

    For the many small refits of bootstrap confirmation; reported models use statsmodels.
    """
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    beta = np.zeros(X.shape[1])
    ridge = 1e-6 * np.eye(X.shape[1])
    for _ in range(maxiter):
        p = 1 / (1 + np.exp(-np.clip(X @ beta, -30, 30)))
        grad = X.T @ (w * (y - p))
        hess = (X * (w * p * (1 - p))[:, None]).T @ X + ridge
        step = np.linalg.solve(hess, grad)
        beta += step
        if np.abs(step).max() < tol:
            break
    return beta


def newton_logits(X: np.ndarray, y: np.ndarray, weights: np.ndarray, maxiter: int = 30,
                  tol: float = 1e-8) -> np.ndarray:
    """``newton_logit`` for every row of ``weights`` (fits x rows of ``X``) at once: the same
    Newton steps, each fit stopped where ``newton_logit`` stops it; one row of coefficients
    per fit. The bootstrap's hundreds of refits of one design in a few array operations."""
    weights = np.atleast_2d(np.asarray(weights, dtype=float))
    beta = np.zeros((len(weights), X.shape[1]))
    ridge = 1e-6 * np.eye(X.shape[1])
    pairs = (X[:, :, None] * X[:, None, :]).reshape(len(X), -1)  # each row's x x', flat
    going = np.arange(len(weights))
    for _ in range(maxiter):
        if not going.size:
            break
        w = weights[going]
        p = 1 / (1 + np.exp(-np.clip(beta[going] @ X.T, -30, 30)))
        grad = (w * (y - p)) @ X
        hess = ((w * p * (1 - p)) @ pairs).reshape(-1, X.shape[1], X.shape[1]) + ridge
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        beta[going] += step
        going = going[np.abs(step).max(axis=1) >= tol]
    return beta


def cv_predictions(X: np.ndarray, y: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Out-of-fold predicted risks of the same logistic model (stratified k-fold)."""
    X = np.asarray(X, dtype=float)
    out = np.full(len(y), np.nan)
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(X, y):
        varying = np.ptp(X[train], axis=0) > 0
        varying[0] = True  # the constant
        fit = fit_logit(X[train][:, varying], y[train])
        if fit.result is None:
            out[test] = y[train].mean()
            continue
        out[test] = fit.result.predict(X[test][:, varying])
    return out
