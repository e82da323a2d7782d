"""Issue 12, the model routes: an attacker holding only the bundle.

Exact coefficients. With binary predictors a logit's data are the cells of factors x outcome;
coefficients at full precision are the exact fit, and its score equations ``X'(y - p) = 0``
are equations in those cells that, with the totals, narrow small cells down. Published at the
stated precision (``disclosure._precision``), tables that differ from the true one in a small
cell by the whole range 1 .. min_cell - 1, and agree with every published margin, give exactly
the same publication: the attacker cannot tell them apart. (At full precision they differ.)

Model-selection statistics. BIC - AIC = p (ln n - 2) gives n back; the typology's selection
table publishes them only when n is published (the type sizes add up to it).
"""

from __future__ import annotations

from itertools import product
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from smartstart.analyses import risk_model
from smartstart.analyses._risk import RiskSpec
from smartstart.disclosure import Rules, check_published
from smartstart.outputs._risk import publish_model

FACTORS = ("young_mother", "single_parent", "parent_no_work")
PATTERNS = np.array(list(product((0, 1), repeat=len(FACTORS))))
#: events and non-events per pattern of the three factors (the last pattern: 3 and 4 children)
TRUE = np.array([[10, 600], [12, 150], [12, 180], [10, 40],
                 [6, 80], [4, 20], [3, 25], [3, 4]])
MIN_CELL = 10


def _children(cube: np.ndarray) -> pd.DataFrame:
    rows = []
    for pattern, (events, none) in zip(PATTERNS, cube, strict=True):
        rows += [(*pattern.astype(bool), True)] * int(events)
        rows += [(*pattern.astype(bool), False)] * int(none)
    return pd.DataFrame(rows, columns=[*FACTORS, "outcome"])


def _published(cube: np.ndarray) -> dict[str, pd.DataFrame]:
    """What the product publishes of the risk model fitted on this table."""
    risk = risk_model(_children(cube), RiskSpec(predictors=FACTORS))
    out = {p.record.name: p.frame for p in publish_model(risk, None)}
    assert all(p.record.status == "pass" for p in publish_model(risk, None))
    return out


def _same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> bool:
    names = ("risk_coefficients", "risk_checks")
    return all(a[n].equals(b[n]) for n in names)


def _alternative(cube: np.ndarray, cell: tuple[int, int], value: int, slack: float,
                 half_unit: float = 0.005) -> np.ndarray | None:
    """A table as close to ``cube`` as possible with ``cell`` at ``value`` that keeps every
    margin an attacker may know (all children, events, each factor's children and events) and
    whose score equations at the published coefficients hold within ``slack`` times their
    first-order slack over the rounding box (``half_unit`` per coefficient)."""
    x = np.c_[np.ones(len(PATTERNS)), PATTERNS]
    risk = risk_model(_children(cube), RiskSpec(predictors=FACTORS))
    p = 1 / (1 + np.exp(-x @ risk.coefficients["coef"].to_numpy()))
    w = p * (1 - p) * half_unit * x.sum(axis=1)
    m = 2 * len(PATTERNS)
    rows, low, high = [], [], []

    def add(row: np.ndarray, lo: float, hi: float) -> None:
        rows.append(np.r_[row, np.zeros(m)])
        low.append(lo)
        high.append(hi)

    flat = cube.ravel().astype(float)
    for j in range(x.shape[1]):
        events = np.zeros(m)
        events[0::2] = x[:, j]
        children = np.zeros(m)
        children[0::2] = children[1::2] = x[:, j]
        add(events, events @ flat, events @ flat)
        add(children, children @ flat, children @ flat)
        # sum x_j (e - n p) within +- slack * sum x_j n w (n = e + non-events of a pattern)
        score = np.zeros(m)
        score[0::2] = x[:, j] * (1 - p)
        score[1::2] = -x[:, j] * p
        room = np.zeros(m)
        room[0::2] = room[1::2] = slack * x[:, j] * w
        add(score - room, -np.inf, 0.0)
        add(score + room, 0.0, np.inf)
    target = np.zeros(m)
    target[2 * cell[0] + cell[1]] = 1
    add(target, value, value)
    for i in range(m):  # d_i >= |c_i - c0_i|
        for sign in (1, -1):
            row = np.zeros(2 * m)
            row[i], row[m + i] = sign, -1
            rows.append(row)
            low.append(-np.inf)
            high.append(sign * flat[i])
    found = milp(np.r_[np.zeros(m), np.ones(m)], integrality=np.r_[np.ones(m), np.zeros(m)],
                 constraints=LinearConstraint(np.array(rows), low, high),
                 bounds=Bounds(0, np.inf), options={"time_limit": 20})
    if found.x is None:
        return None
    return np.round(found.x[:m]).astype(int).reshape(cube.shape)


def _indistinguishable(cell: tuple[int, int], value: int) -> np.ndarray | None:
    """An alternative table with ``cell`` at ``value`` whose publication equals the truth's."""
    truth = _published(TRUE)
    for slack in (0.5, 0.25, 0.1, 0.05):
        other = _alternative(TRUE, cell, value, slack)
        if other is not None and _same(_published(other), truth):
            return other
    return None


#: small cells of factors x outcome in patterns of at least min_cell children (events 4 of 24,
#: 3 of 28) and the small cells of the pattern of 7 children (3 events, 4 without)
WHOLE_RANGE = [((5, 0), 1), ((5, 0), MIN_CELL - 1), ((6, 0), 1), ((6, 0), MIN_CELL - 1)]
TINY_PATTERN = [((7, 0), 1), ((7, 1), 1)]


@pytest.mark.parametrize(("cell", "value"), WHOLE_RANGE + TINY_PATTERN)
def test_rounded_coefficients_leave_a_small_cell_its_range(cell, value):
    """Same totals, same events, same children and events per factor, and the same published
    coefficients and checks: the attacker cannot tell the small cell at ``value`` from the
    truth. (A cell of a pattern with fewer than min_cell children reaches 1 but, in this
    search, not min_cell - 1: the pattern itself would have to grow.)"""
    other = _indistinguishable(cell, value)
    assert other is not None, f"no table with cell {cell} at {value} gives the same output"
    assert other[cell] == value and 0 < TRUE[cell] < MIN_CELL
    assert other.sum() == TRUE.sum() and other[:, 0].sum() == TRUE[:, 0].sum()


def test_full_precision_tells_those_tables_apart():
    """The route on exact coefficients: the tables the rounded publication cannot tell from
    the truth have another exact fit (so the exact score equations rule them out)."""
    exact = risk_model(_children(TRUE), RiskSpec(predictors=FACTORS)).coefficients["coef"]
    for cell, value in WHOLE_RANGE:
        other = _alternative(TRUE, cell, value, 0.5)
        assert other is not None
        refit = risk_model(_children(other), RiskSpec(predictors=FACTORS)).coefficients["coef"]
        assert np.abs(refit.to_numpy() - exact.to_numpy()).max() > 1e-6


def test_coefficients_are_published_at_their_stated_precision():
    published = publish_model(risk_model(_children(TRUE), RiskSpec(predictors=FACTORS)), None)
    frames = {p.record.name: p for p in published}
    coefficients = frames["risk_coefficients"]
    stated = dict(coefficients.rules.precision)
    assert stated["coef"] == 2 and stated["se"] == 2 and stated["odds_ratio"] == 2
    frame = coefficients.frame
    # the odds ratio and its interval say no more than the rounded log-odds and se
    assert np.allclose(frame["odds_ratio"], np.exp(frame["coef"]).round(2))
    assert np.allclose(frame["or_low"], np.exp(frame["coef"] - 1.959964 * frame["se"]).round(2))
    rules = Rules.from_dict(coefficients.rules.to_dict())
    assert all(c.status == "pass" for c in check_published(frame, rules))
    exact = frame.assign(coef=frame["coef"] + 0.001234)  # an exact coefficient put back
    failed = {c.rule for c in check_published(exact, rules) if c.status != "pass"}
    assert failed == {"precision"}
    performance = frames["risk_performance"]
    assert performance.rules.precision_rows == ("metric", "value")
    auc = performance.frame.set_index("metric")["value"]["auc_cv"]
    assert auc == round(auc, 2)


def _selection(n: int, sizes: list[float]):
    from smartstart.outputs._types import _selection as select

    p = np.array([9, 14])
    ll = np.array([-40.0, -35.0])
    table = pd.DataFrame({"k": [2, 3], "log_likelihood": ll, "n_parameters": p,
                          "bic": -2 * ll + p * np.log(n), "aic": -2 * ll + 2 * p,
                          "stability": [0.9, 0.8], "stability_sd": [0.1, 0.1],
                          "in_bracket": [True, True], "chosen": [True, False],
                          "smallest_type": [3, 1], "n": n})
    result = SimpleNamespace(selection=table)
    types = SimpleNamespace(frame=pd.DataFrame({"size": sizes}))
    return select(result, types)  # type: ignore[arg-type]


def test_bic_and_aic_are_blank_when_their_n_is_not_published():
    """(BIC - AIC + 2p) / p = ln n: 9 clients, n = 3 households typed, no size published."""
    hidden = _selection(3, [np.nan, np.nan])
    frame = hidden.frame
    assert frame[["log_likelihood", "bic", "aic"]].isna().all().all()
    assert "n" not in frame and "smallest_type" not in frame
    assert hidden.rules.likelihood_n is None and hidden.record.status == "pass"
    assert frame["bic_best"].any() and frame["chosen"].any()  # the choice is still shown
    # the checker re-checks it from the bundle: BIC put back fails
    rules = Rules.from_dict(hidden.rules.to_dict())
    put_back = frame.assign(bic=[10.0, 12.0])
    assert {c.rule for c in check_published(put_back, rules) if c.status != "pass"} == {
        "likelihood"}


def test_bic_and_aic_are_published_with_their_n():
    shown = _selection(30, [18.0, 12.0])
    frame = shown.frame
    assert frame[["log_likelihood", "bic", "aic"]].notna().all().all()
    assert shown.rules.likelihood_n == 30 and shown.record.status == "pass"
    rules = Rules.from_dict(shown.rules.to_dict())
    other = frame.assign(bic=frame["aic"] + frame["n_parameters"] * (np.log(7) - 2))
    assert {c.rule for c in check_published(other, rules) if c.status != "pass"} == {
        "likelihood"}  # BIC that rests on another n than the published one
