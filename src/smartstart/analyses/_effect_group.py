"""Did it work, for a treated group of persons (a partner file's clients, each from the year
of their own start): the imputation estimator on a person x year panel, with standard errors
clustered by household.

``evaluate_group(panel, first_start, spec)``: ``panel`` holds one row per person-year at risk
(``person``, ``year``, ``cohort`` = birth year, ``household`` = the cluster, ``start`` = the
year the person's treatment starts or NA, ``event`` 0/1). The person is treated from their
start year on (event time 0: the year of the start, partly treated).

- **Estimator** (Borusyak, Jaravel and Spiess 2024): person and birth-year x year fixed effects
  are fitted on the untreated person-years (every person never treated in the window, and the
  treated persons' years before their start); each treated person-year's effect is its outcome
  minus the imputed untreated outcome, and the effect (percentage points) is their mean. It is
  robust to effects that differ by start year and time since the start, where two-way fixed
  effects are not. The same per year since the start (``horizons``).
- **Standard errors** clustered by household: the two-stage GMM form of Gardner (2022), which
  accounts for the first stage's estimation (what pyfixest's ``did2s`` computes; the tests check
  it against it). With many treated households (each a cluster) this is sound; with few it is
  not: below ``MIN_CLUSTERS`` treated households no p-value or interval is given
  (``status`` ``too_small``), below ``OK_CLUSTERS`` the status is ``coarse``.
- **Pre-trend check**: on the untreated person-years, leads for the ``leads`` years before the
  start beside the fixed effects, tested jointly (CRV1 Wald F test, clustered by household).
  Passing it does not prove parallel trends (Roth 2022); it is a warning light.
- **Placebo in time**: the years before each start alone, the start moved ``placebo_shift``
  years back, estimated and tested the same way.
- **Minimum detectable effect** (at 80 % power and the plan's alpha) from the estimate's
  standard error: the effect this evaluation would find with 80 % probability.

The fixed effects are solved by block Gauss-Seidel on the normal equations (sparse, person x
cell), to 1e-11; no person-level number leaves this module, only the results below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from smartstart.analyses._effect_panel import EffectInputError
from smartstart.analyses._effect_types import Estimate, PreTrend

#: treated households (clusters) below which clustered inference is not given / is coarse
MIN_CLUSTERS = 20
OK_CLUSTERS = 50
#: leads of the pre-trend check (years before the start)
LEADS = 3
TOLERANCE = 1e-11
MAX_SWEEPS = 20000


@dataclass(frozen=True)
class GroupSpec:
    alternative: str = "two-sided"
    alpha: float = 0.05
    placebo_shift: int = 2
    power: float = 0.8
    leads: int = LEADS


@dataclass(frozen=True)
class GroupResult:
    """The evaluation of a treated group. ``headline``: the imputation estimate with its
    clustered interval and p-value (NaN while ``status`` is ``too_small``). ``baseline``: the
    treated person-years' imputed untreated rate (percentage points). ``horizons`` and
    ``leads``: per event time, with ``n`` treated (or lead) person-years and their ``events``.
    ``dropped``: persons left out, by reason."""

    spec: GroupSpec
    headline: Estimate
    horizons: pd.DataFrame
    leads: pd.DataFrame
    pretrend: PreTrend
    placebo_time: Estimate | None
    baseline: float
    treated_persons: int
    treated_households: int
    treated_obs: int
    treated_events: int
    comparison_persons: int
    clusters: int
    status: str
    mde: float
    dropped: dict[str, int]
    years: tuple[int, ...]

    @property
    def relative(self) -> float:
        return self.headline.estimate / self.baseline if self.baseline > 0 else math.nan

    @property
    def mde_relative(self) -> float:
        return self.mde / self.baseline if self.baseline > 0 else math.nan


@dataclass(frozen=True)
class _Fit:
    att: np.ndarray      # per column of the second stage (percentage points)
    se: np.ndarray
    n: np.ndarray        # treated person-years per column
    events: np.ndarray
    baseline: float
    clusters: int        # treated clusters


def evaluate_group(panel: pd.DataFrame, first_start: int,
                   spec: GroupSpec | None = None) -> GroupResult:
    """See the module's docstring. Persons whose treatment started before ``first_start``
    (the programme's first year) are left out, and so are treated persons without a year at
    risk before their start (their own level cannot be estimated); both are counted."""
    spec = spec or GroupSpec()
    frame, dropped = prepared(panel, first_start)
    if not frame["treated"].any():
        raise EffectInputError(["no treated person-year: no client of the partner file lived "
                                "in the pilot's municipalities at the plan's ages after their "
                                "start, with a year before it"])
    overall = _imputation(frame, np.ones((int(frame["treated"].sum()), 1)))
    att, se = float(overall.att[0]), float(overall.se[0])
    status = ("too_small" if overall.clusters < MIN_CLUSTERS
              else "coarse" if overall.clusters < OK_CLUSTERS else "ok")
    headline = _estimate("imputation", att, se, overall.clusters, spec, status)
    horizons = _horizons(frame, spec, status)
    leads, pretrend = _pretrend(frame, spec)
    z = (stats.norm.ppf(1 - spec.alpha / (2 if spec.alternative == "two-sided" else 1))
         + stats.norm.ppf(spec.power))
    mde = -z * se if spec.alternative != "greater" else z * se
    return GroupResult(
        spec=spec, headline=headline, horizons=horizons, leads=leads, pretrend=pretrend,
        placebo_time=_placebo_time(frame, spec), baseline=overall.baseline,
        treated_persons=int(frame.loc[frame["treated"], "person"].nunique()),
        treated_households=overall.clusters, treated_obs=int(overall.n[0]),
        treated_events=int(overall.events[0]),
        comparison_persons=int(frame.loc[frame["start"].isna(), "person"].nunique()),
        clusters=int(frame["household"].nunique()), status=status,
        mde=float(mde) if status != "too_small" else math.nan, dropped=dropped,
        years=tuple(sorted(int(y) for y in frame["year"].unique())))


def prepared(panel: pd.DataFrame, first_start: int) -> tuple[pd.DataFrame, dict[str, int]]:
    frame = panel[["person", "year", "cohort", "household", "start", "event"]].copy()
    start = pd.to_numeric(frame["start"], errors="coerce").astype(float)
    early = (start < first_start).to_numpy()
    dropped = {"started_before": int(frame.loc[early, "person"].nunique())}
    frame = frame[~early].copy()
    frame["start"] = start[~early]
    frame["treated"] = frame["start"].notna() & (frame["year"] >= frame["start"])
    clients = frame["start"].notna()
    before = frame[clients & ~frame["treated"]].groupby("person").size()
    lacking = set(frame.loc[clients, "person"]) - set(before.index)
    dropped["no_year_before"] = len(lacking)
    frame = frame[~frame["person"].isin(lacking)].reset_index(drop=True)
    return frame, dropped


def _index(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, int, int]:
    person = pd.factorize(frame["person"])[0]
    cell = pd.factorize(frame["cohort"].astype(np.int64) * 10000 + frame["year"])[0]
    return person, cell, int(person.max()) + 1, int(cell.max()) + 1


def _solve(person: np.ndarray, cell: np.ndarray, shape: tuple[int, int], rhs_p: np.ndarray,
           rhs_c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The normal equations of two crossed fixed effects on the observations given (person,
    cell), right-hand sides per person and per cell (columns), by block Gauss-Seidel."""
    counts = sparse.csr_matrix((np.ones(len(person)), (person, cell)), shape=shape)
    n_p = np.asarray(counts.sum(axis=1)).ravel()[:, None]
    n_c = np.asarray(counts.sum(axis=0)).ravel()[:, None]
    alpha = np.zeros_like(rhs_p, dtype=float)
    lam = np.zeros_like(rhs_c, dtype=float)
    scale = max(1.0, float(np.abs(rhs_p).max(initial=0) / max(n_p.min(initial=1), 1)))
    for _ in range(MAX_SWEEPS):
        alpha = np.divide(rhs_p - counts @ lam, n_p, out=np.zeros_like(alpha), where=n_p > 0)
        new = np.divide(rhs_c - counts.T @ alpha, n_c, out=np.zeros_like(lam), where=n_c > 0)
        change = float(np.abs(new - lam).max(initial=0))
        lam = new
        if change < TOLERANCE * scale:
            return alpha, lam
    raise ArithmeticError(f"the fixed effects did not converge in {MAX_SWEEPS} sweeps "
                          f"(last change {change:.2e})")


def _imputation(frame: pd.DataFrame, columns: np.ndarray) -> _Fit:
    """The imputation estimator for each column of ``columns`` (treated person-years x K, the
    second stage's regressors: 1 for the overall effect, event-time dummies for horizons),
    with Gardner's GMM standard errors clustered by household."""
    person, cell, n_person, n_cell = _index(frame)
    treated = frame["treated"].to_numpy()
    y = frame["event"].to_numpy(float) * 100
    untreated = ~treated
    p0, c0 = person[untreated], cell[untreated]
    shape = (n_person, n_cell)
    known = np.zeros(n_cell, bool)
    known[c0] = True
    if not known[cell[treated]].all():
        raise EffectInputError(["a treated person-year's birth year and year has no untreated "
                                "person-year to compare it with"])
    alpha, lam = _solve(p0, c0, shape, np.bincount(p0, y[untreated], n_person)[:, None],
                        np.bincount(c0, y[untreated], n_cell)[:, None])
    fitted = alpha[person, 0] + lam[cell, 0]
    resid = y - fitted                        # untreated: first-stage residuals
    x2 = columns
    n = x2.sum(axis=0)
    att = (x2 * resid[treated, None]).sum(axis=0) / np.where(n > 0, n, np.nan)
    # Gardner's GMM: v = (X10'X10)^-1 X1'X2, solved as the same normal equations
    pt, ct = person[treated], cell[treated]
    rhs_p = np.stack([np.bincount(pt, x2[:, k], n_person) for k in range(x2.shape[1])], 1)
    rhs_c = np.stack([np.bincount(ct, x2[:, k], n_cell) for k in range(x2.shape[1])], 1)
    v_p, v_c = _solve(p0, c0, shape, rhs_p, rhs_c)
    weight = v_p[p0] + v_c[c0]                # untreated person-years x K
    cluster = pd.factorize(frame["household"])[0]
    g_t, g_0 = cluster[treated], cluster[untreated]
    second = resid[treated, None] - (x2 * np.nan_to_num(att)).sum(axis=1, keepdims=True)
    score = np.zeros((cluster.max() + 1, x2.shape[1]))
    for k in range(x2.shape[1]):
        score[:, k] = (np.bincount(g_t, x2[:, k] * second[:, 0], len(score))
                       - np.bincount(g_0, weight[:, k] * resid[untreated], len(score)))
    se = np.sqrt((score ** 2).sum(axis=0)) / np.where(n > 0, n, np.nan)
    events = (x2 * frame.loc[treated, "event"].to_numpy()[:, None]).sum(axis=0)
    return _Fit(att=att, se=se, n=n, events=events,
                baseline=float(fitted[treated].mean()),
                clusters=int(len(np.unique(g_t))))


def _estimate(method: str, value: float, se: float, clusters: int, spec: GroupSpec,
              status: str) -> Estimate:
    if status == "too_small" or not np.isfinite(se) or se <= 0 or clusters < 2:
        return Estimate(method, value, math.nan, (math.nan, math.nan), se, math.nan,
                        (math.nan, math.nan))
    t = stats.t(df=clusters - 1)
    p = {"two-sided": 2 * t.sf(abs(value / se)), "less": t.cdf(value / se),
         "greater": t.sf(value / se)}[spec.alternative]
    half = t.ppf(1 - spec.alpha / 2) * se
    ci = (value - half, value + half)
    return Estimate(method, value, float(p), ci, se, float(p), ci)


def _horizons(frame: pd.DataFrame, spec: GroupSpec, status: str) -> pd.DataFrame:
    treated = frame[frame["treated"]]
    h = (treated["year"] - treated["start"]).astype(int).to_numpy()
    times = np.unique(h)
    fit = _imputation(frame, (h[:, None] == times[None, :]).astype(float))
    rows = []
    for k, time in enumerate(times):
        est = _estimate("horizon", float(fit.att[k]), float(fit.se[k]), fit.clusters, spec,
                        status)
        rows.append({"event_time": int(time), "estimate": est.estimate, "se": est.se_cluster,
                     "ci_low": est.ci[0], "ci_high": est.ci[1], "p_value": est.p_value,
                     "n": int(fit.n[k]), "events": int(fit.events[k])})
    return pd.DataFrame(rows)


def _pretrend(frame: pd.DataFrame, spec: GroupSpec) -> tuple[pd.DataFrame, PreTrend]:
    """Leads (event times -1 .. -leads) beside the fixed effects on the untreated person-years,
    CRV1 by household, and their joint Wald F test."""
    data = frame[~frame["treated"]].reset_index(drop=True)
    time = (data["year"] - data["start"]).to_numpy(float)
    leads = [k for k in range(1, spec.leads + 1) if (time == -k).any()]
    empty = pd.DataFrame(columns=["event_time", "estimate", "se", "ci_low", "ci_high",
                                  "p_value", "n", "events"])
    if not leads:
        return empty, PreTrend(0, math.nan, math.nan)
    x = np.stack([(time == -k).astype(float) for k in leads], 1)
    y = data["event"].to_numpy(float) * 100
    person, cell, n_person, n_cell = _index(data)
    z = np.column_stack([y, x])
    a, b = _solve(person, cell, (n_person, n_cell),
                  np.stack([np.bincount(person, z[:, k], n_person) for k in range(z.shape[1])], 1),
                  np.stack([np.bincount(cell, z[:, k], n_cell) for k in range(z.shape[1])], 1))
    tilde = z - a[person] - b[cell]
    ty, tx = tilde[:, 0], tilde[:, 1:]
    bread = np.linalg.inv(tx.T @ tx)
    coef = bread @ tx.T @ ty
    resid = ty - tx @ coef
    cluster = pd.factorize(data["household"])[0]
    groups = cluster.max() + 1
    scores = np.stack([np.bincount(cluster, tx[:, k] * resid, groups)
                       for k in range(tx.shape[1])], 1)
    vcov = groups / (groups - 1) * bread @ (scores.T @ scores) @ bread
    se = np.sqrt(np.diag(vcov))
    lead_clusters = int(len(np.unique(cluster[x.any(axis=1)])))
    t = stats.t(df=max(lead_clusters - 1, 1))
    rows = []
    for k, lead in enumerate(leads):
        half = t.ppf(1 - spec.alpha / 2) * se[k]
        mask = x[:, k] > 0
        rows.append({"event_time": -lead, "estimate": float(coef[k]), "se": float(se[k]),
                     "ci_low": float(coef[k] - half), "ci_high": float(coef[k] + half),
                     "p_value": float(2 * t.sf(abs(coef[k] / se[k]))),
                     "n": int(mask.sum()), "events": int(data.loc[mask, "event"].sum())})
    wald = float(coef @ np.linalg.solve(vcov, coef)) / len(leads)
    p = float(stats.f(len(leads), max(lead_clusters - 1, 1)).sf(wald))
    if lead_clusters < MIN_CLUSTERS:
        p = math.nan
    return (pd.DataFrame(rows).sort_values("event_time").reset_index(drop=True),
            PreTrend(len(leads), math.nan, p))


def _placebo_time(frame: pd.DataFrame, spec: GroupSpec) -> Estimate | None:
    """The years before each start alone, the start moved ``placebo_shift`` years back."""
    pre = frame[~frame["treated"]].copy()
    pre["start"] = pre["start"] - spec.placebo_shift
    pre["treated"] = pre["start"].notna() & (pre["year"] >= pre["start"])
    clients = pre["start"].notna()
    before = set(pre.loc[clients & ~pre["treated"], "person"])
    pre = pre[~clients | pre["person"].isin(before)].reset_index(drop=True)
    if not pre["treated"].any():
        return None
    fit = _imputation(pre, np.ones((int(pre["treated"].sum()), 1)))
    status = "too_small" if fit.clusters < MIN_CLUSTERS else "ok"
    return _estimate("placebo_time", float(fit.att[0]), float(fit.se[0]), fit.clusters, spec,
                     status)


__all__ = ["GroupResult", "GroupSpec", "evaluate_group", "prepared"]
