"""Where to start: a rate per area (buurt or wijk), stabilised by empirical Bayes, ranked with
simultaneous rank intervals, and a selection rule that says which near misses cannot be told
apart from the chosen areas.

Small areas have noisy raw rates: a buurt with 12 children and 2 events ranks above every large
buurt by chance. The rates are shrunk towards the municipality's with a beta-binomial model:
``events_i ~ Binomial(n_i, p_i)``, ``p_i ~ Beta(alpha, beta)``, the prior fitted by maximum
marginal likelihood over all areas. Each area's posterior is ``Beta(alpha + events_i, beta +
n_i - events_i)``: its mean is the shrunk rate. The intervals come from draws in which the prior
itself is drawn from its estimate's sampling distribution (normal on the log scale, the
inverse Hessian as covariance): a plug-in prior is too sure of itself and its rank intervals
held the true ranks together in 82 % of simulated municipalities instead of 95 %. Raw rates
keep their Wilson interval beside the shrunk ones. Ranks come from draws of all posteriors
together; each area's rank interval is widened until the intervals of all areas hold together
in 95 % of the draws (simultaneous, so "buurt A is among the top 3" is a statement about the
ranking as a whole, not one of many chances).

Every other share per area (the target group's share, a risk factor's or the high-risk
combination's prevalence) is shrunk the same way, one beta-binomial prior per measure
(``shrunk_rates``: no ranks). Fay-Herriot with covariates is not used: the areas tables publish
no area-level covariate that is not itself one of the shrunk measures, and a model on
unpublished covariates would carry hidden cells into published values. Counts of residents,
households, children and schools are complete register counts: they have no interval.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from smartstart.analyses._common import wilson


@dataclass(frozen=True)
class AreaSpec:
    """``confidence`` of every interval; ``draws`` from the posteriors for the ranks."""

    confidence: float = 0.95
    draws: int = 4000
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.5 < self.confidence < 1:
            raise ValueError("confidence must lie between 0.5 and 1")
        if self.draws < 200:
            raise ValueError("at least 200 draws are needed for rank intervals")


@dataclass(frozen=True)
class AreaRates:
    """Per area: n, events, raw rate with its interval, shrunk rate with its interval, the
    rank (1 = highest shrunk rate) with its simultaneous interval. ``prior``: (alpha, beta)."""

    table: pd.DataFrame
    prior: tuple[float, float]
    spec: AreaSpec
    #: draws from every area's posterior (draws x areas, in the table's order)
    draws: np.ndarray = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def above(self, a: object, b: object) -> float:
        """P(rate of area ``a`` > rate of area ``b``), from the draws."""
        areas = list(self.table["area"])
        return float(np.mean(self.draws[:, areas.index(a)] > self.draws[:, areas.index(b)]))

    def apart(self, a: object, b: object) -> bool:
        """Whether two areas can be told apart: one's rate is above the other's with at least
        the spec's confidence."""
        p = self.above(a, b)
        return p >= self.spec.confidence or p <= 1 - self.spec.confidence


def area_rates(counts: pd.DataFrame, spec: AreaSpec | None = None, area: str = "area",
               n: str = "n", events: str = "events") -> AreaRates:
    """``counts``: one row per area with its number of units and events."""
    spec = spec or AreaSpec()
    table, prior, draws = _posterior(counts, spec, area, n, events)
    hits = table["events"].to_numpy()
    ranks = len(hits) - stats.rankdata(draws, axis=1, method="average") + 1  # 1 = highest
    low, high = simultaneous_ranks(ranks, spec.confidence)
    # equal shrunk shares share the lower rank (1, 3, 3); to 1e-6 (a ten-thousandth of a
    # percentage point), so that a complete pooling (no variance between the areas: the prior's
    # alpha + beta near its 1e10 bound, every share the overall one to 1e-9) ties them all
    shrunk = np.round(table["shrunk"].to_numpy(float), 6)
    table["rank"] = len(hits) - stats.rankdata(shrunk, method="min") + 1
    table["rank_low"], table["rank_high"] = low, high
    return AreaRates(table, prior, spec, draws)


def shrunk_rates(counts: pd.DataFrame, spec: AreaSpec | None = None, area: str = "area",
                 n: str = "n", events: str = "events") -> pd.DataFrame:
    """Raw and shrunk rates with their intervals, without ranks: for every measure besides the
    ranked one (a factor's prevalence, the target group's share)."""
    return _posterior(counts, spec or AreaSpec(), area, n, events)[0]


def _posterior(counts: pd.DataFrame, spec: AreaSpec, area: str, n: str, events: str
               ) -> tuple[pd.DataFrame, tuple[float, float], np.ndarray]:
    frame = counts[[area, n, events]].copy()
    sizes = frame[n].to_numpy(dtype=float)
    hits = frame[events].to_numpy(dtype=float)
    _validate(frame, sizes, hits, area)
    theta, covariance = _fit(hits, sizes)
    alpha, beta = np.exp(theta)
    rng = np.random.default_rng(spec.seed)
    # the prior is estimated: each draw takes its own prior from the estimate's sampling
    # distribution, so intervals and ranks carry that uncertainty too (plug-in is too sure)
    priors = np.exp(rng.multivariate_normal(theta, covariance, size=spec.draws))
    draws = rng.beta(priors[:, :1] + hits, priors[:, 1:] + sizes - hits)
    tail = (1 - spec.confidence) / 2
    raw_low, raw_high = wilson(hits, sizes, z=float(stats.norm.ppf(1 - tail)))
    post_a, post_b = alpha + hits, beta + sizes - hits
    table = pd.DataFrame({
        "area": frame[area].to_numpy(), "n": sizes, "events": hits,
        "raw": np.divide(hits, sizes, out=np.full(len(hits), np.nan), where=sizes > 0),
        "raw_low": raw_low, "raw_high": raw_high,
        "shrunk": post_a / (post_a + post_b),
        "shrunk_low": np.quantile(draws, tail, axis=0),
        "shrunk_high": np.quantile(draws, 1 - tail, axis=0)})
    return table, (float(alpha), float(beta)), draws


def _validate(frame: pd.DataFrame, sizes: np.ndarray, hits: np.ndarray, area: str) -> None:
    problems = []
    if len(frame) < 3:
        problems.append(f"{len(frame)} areas: at least 3 are needed to estimate the spread")
    if frame[area].duplicated().any():
        problems.append(f"areas listed twice: {sorted(frame.loc[frame[area].duplicated(), area])}")
    if np.any(hits < 0) or np.any(hits > sizes) or np.any(np.isnan(sizes + hits)):
        problems.append("events must lie between 0 and n in every area")
    if problems:
        raise ValueError("; ".join(problems))


def fit_prior(events: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """(alpha, beta) of the beta-binomial by maximum marginal likelihood (log scale, started
    from the method of moments). No spread between areas beyond chance gives a very large
    alpha + beta: every area is shrunk all the way to the overall rate."""
    return tuple(np.exp(_fit(events, n)[0]))  # type: ignore[return-value]


def _fit(events: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log(alpha, beta) at the maximum and its covariance (the inverse Hessian of the minus
    log-likelihood, by central differences; zero when the Hessian is not positive)."""
    events, n = np.asarray(events, float), np.asarray(n, float)
    used = n > 0
    events, n = events[used], n[used]
    overall = events.sum() / n.sum()
    if overall in (0.0, 1.0):
        raise ValueError("no area has the outcome (or every unit has it): no rate to rank")

    def minus_loglik(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        return -float(np.sum(special.betaln(events + a, n - events + b) - special.betaln(a, b)))

    start = np.log(np.array([overall, 1 - overall]) * _moment_strength(events, n, overall))
    result = optimize.minimize(minus_loglik, start, method="Nelder-Mead",
                               options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
    return result.x, _covariance(minus_loglik, result.x)


def _covariance(f, x: np.ndarray, h: float = 1e-3) -> np.ndarray:
    hessian = np.zeros((2, 2))
    steps = np.eye(2) * h
    for i in range(2):
        for j in range(2):
            a, b = steps[i], steps[j]
            hessian[i, j] = (f(x + a + b) - f(x + a - b) - f(x - a + b) + f(x - a - b)) / (
                4 * h * h)
    if np.any(np.linalg.eigvalsh(hessian) <= 0):
        return np.zeros((2, 2))
    return np.linalg.inv(hessian)


def _moment_strength(events: np.ndarray, n: np.ndarray, overall: float) -> float:
    """alpha + beta by the method of moments, kept within [2, 1e6]."""
    rates = events / n
    between = np.average((rates - overall) ** 2, weights=n) - overall * (1 - overall) * np.mean(
        1 / n)
    if between <= 0:
        return 1e6
    return float(np.clip(overall * (1 - overall) / between - 1, 2.0, 1e6))


def simultaneous_ranks(ranks: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the narrowest symmetric quantile interval of its ranks such that in
    ``confidence`` of the draws (rows) every column's rank lies in its interval."""
    def intervals(tail: float) -> tuple[np.ndarray, np.ndarray]:
        return (np.floor(np.quantile(ranks, tail, axis=0)),
                np.ceil(np.quantile(ranks, 1 - tail, axis=0)))

    def coverage(tail: float) -> float:
        low, high = intervals(tail)
        return float(np.mean(np.all((ranks >= low) & (ranks <= high), axis=1)))

    lo, hi = 0.0, (1 - confidence) / 2
    if coverage(hi) >= confidence:
        return intervals(hi)
    for _ in range(30):  # the largest tail (narrowest intervals) that still covers
        middle = (lo + hi) / 2
        if coverage(middle) >= confidence:
            lo = middle
        else:
            hi = middle
    return intervals(lo)


@dataclass(frozen=True)
class SelectionRule:
    """The ``top`` areas by shrunk rate among those with at least ``min_n`` units and at least
    ``min_schools`` schools (and any further eligibility the caller marks). ``above``: only
    areas whose shrunk interval lies wholly above this rate (the municipality's); ``top``
    None: no limit on their number."""

    top: int | None = 3
    min_n: int = 0
    above: float | None = None
    min_schools: int = 0


#: why an area is not eligible (``Selection.ineligible["why"]``)
TOO_FEW, FEW_SCHOOLS, NOT_ELIGIBLE = "too_few", "few_schools", "not_eligible"


@dataclass(frozen=True)
class Selection:
    chosen: pd.DataFrame
    #: eligible areas not chosen that cannot be told apart from the last chosen one
    near_misses: pd.DataFrame
    #: with ``why``: too few units (``too_few``), too few schools (``few_schools``), or the
    #: caller's own rule (``not_eligible``)
    ineligible: pd.DataFrame


def select_areas(rates: AreaRates, rule: SelectionRule, eligible: pd.Series | None = None,
                 schools: pd.Series | None = None) -> Selection:
    """Apply ``rule``; ``schools``: the number of schools per area (index: area; an area not
    listed has none), needed when ``rule.min_schools`` > 0; ``eligible``: a boolean per area
    for rules the counts do not hold."""
    table = rates.table
    if rule.min_schools and schools is None:
        raise ValueError("min_schools needs the number of schools per area")
    why = pd.Series("", index=table.index, dtype=object)
    if eligible is not None:
        ok = table["area"].map(eligible).fillna(False).astype(bool).to_numpy()
        why[~ok] = NOT_ELIGIBLE
    if rule.min_schools:
        have = table["area"].map(schools).fillna(0).to_numpy(float)
        why[have < rule.min_schools] = FEW_SCHOOLS
    why[(table["n"] < rule.min_n).to_numpy()] = TOO_FEW
    ok = (why == "").to_numpy()
    candidates = table[ok].sort_values("shrunk", ascending=False)
    above = (candidates["shrunk_low"] > rule.above) if rule.above is not None else (
        pd.Series(True, index=candidates.index))
    chosen = candidates[above].head(rule.top if rule.top is not None else len(candidates))
    rest = candidates.drop(index=chosen.index)
    last = chosen["area"].iloc[-1] if len(chosen) else None
    near = rest[np.array([last is not None and not rates.apart(last, a) for a in rest["area"]],
                         dtype=bool)]
    return Selection(chosen.reset_index(drop=True), near.reset_index(drop=True),
                     table[~ok].assign(why=why[~ok].to_numpy()).reset_index(drop=True))


#: per area, the counts the areas tables publish (``area_counts``; ``residents`` when the
#: households have a size, ``high_risk`` when a combination is given)
AREA_COUNTS = ("residents", "households", "target_households", "children", "outcome_events",
               "high_risk")
#: the column of the high-risk combination's children
HIGH_RISK = "high_risk"


def area_counts(children: pd.DataFrame, households: pd.DataFrame, level: str,
                predictors: tuple[str, ...] = (), combination: tuple[str, ...] = (),
                residents: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per area of ``level`` (``buurt``, ``wijk`` or ``gemeente``) with its wijk:
    residents, households and those in the target group, children (the pilot's population)
    and those with the outcome, per predictor the children who have it, and the children with
    every factor of ``combination`` (the high-risk group, ``high_risk``; a child with a factor
    unknown is not in it). ``residents``: persons per area by their own address (a column per
    level and ``residents``); without it, the members of the households (``household_size``)
    in their household's area. Areas without a code are left out."""
    def flag(frame: pd.DataFrame, column: str) -> pd.Series:
        return frame[column].fillna(False).astype(bool).astype(int)

    h = households.dropna(subset=[level]).assign(
        _t=lambda d: flag(d, "target_group") if "target_group" in d else 0,
        _p=lambda d: d["household_size"].fillna(0) if "household_size" in d else np.nan)
    c = children.dropna(subset=[level]).assign(_o=lambda d: flag(d, "outcome"))
    found = [p for p in predictors if p in c.columns]
    if combination and all(f in c.columns for f in combination):
        c = c.assign(**{HIGH_RISK: np.all([flag(c, f) for f in combination], axis=0)})
        found.append(HIGH_RISK)
    per_h = h.groupby(level).agg(residents=("_p", "sum"), households=("_t", "size"),
                                 target_households=("_t", "sum"))
    if residents is not None:
        per_h["residents"] = residents.groupby(level)["residents"].sum()
    elif "household_size" not in h:
        per_h = per_h.drop(columns="residents")
    per_c = c.assign(**{p: flag(c, p) for p in found}).groupby(level).agg(
        children=("_o", "size"), outcome_events=("_o", "sum"), **{p: (p, "sum") for p in found})
    table = per_h.join(per_c, how="outer").fillna(0).astype(int)
    wijk = h.groupby(level)["wijk"].first() if level == "buurt" else None
    table.insert(0, "wijk", table.index.map(wijk) if wijk is not None else table.index)
    return table.rename_axis("area").reset_index()


def area_schools(schools: pd.DataFrame, level: str) -> pd.DataFrame:
    """One row per area of ``level`` with a school: ``schools``, the school branches located
    there that pupils of the delivery attend (``pupils`` > 0), and ``pupils``, their pupils.
    ``schools``: one row per branch with its area codes, ``pupils`` (the pupils registered at
    its school key) and ``placed`` (False for a key with branches in several areas: its pupils
    cannot be split between them, so they count in none; the branches do count). Without
    pupils' registrations (``pupils`` all unknown) every branch counts and the table has no
    ``pupils``."""
    located = schools.dropna(subset=[level])
    if located["pupils"].isna().all():
        table = located.groupby(level).agg(schools=(level, "size"))
        return table.astype(int).rename_axis("area").reset_index()
    attended = located[located["pupils"].fillna(0) > 0]
    pupils = attended["pupils"].where(attended["placed"].astype(bool), 0)
    table = attended.assign(_p=pupils).groupby(level).agg(schools=("_p", "size"),
                                                         pupils=("_p", "sum"))
    return table.astype(int).rename_axis("area").reset_index()
