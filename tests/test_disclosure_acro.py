"""Peer comparison with ACRO (SACRO): same tables and models through both gates.

Where both implement a rule (threshold, zeros, NK dominance, p-ratio, negatives, residual dof)
the verdicts agree cell by cell. Where ACRO is not safe, smartstart is: a suppressed cell that
the totals give away, a logit with a separating dummy on 3 persons, minima and maxima.

ACRO pins pandas<=2.3.3, so it runs in an environment of its own (``.venv-acro``, made by
``run.py`` from ``requirements/acro.txt``; ``SMARTSTART_ACRO_PYTHON`` names another python):
``tests/peers/acro_side.py`` runs every ACRO call there in one subprocess, JSON in and out, and
smartstart's verdicts are computed here, with whatever pandas this environment has. Without
that environment the tests skip on a developer's machine and fail on CI (``CI`` set).
"""

from __future__ import annotations

import json
import os
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from smartstart.disclosure import (
    Settings,
    Table,
    attack,
    check_counts,
    check_magnitude,
    check_min_max,
    check_regression,
    protect_counts,
    record,
)

ROOT = Path(__file__).resolve().parents[1]
SIDE = Path(__file__).resolve().parent / "peers" / "acro_side.py"
# ACRO's defaults: threshold 10, dof 10, NK (2, 0.9), p 0.1, zeros disclosive
ACRO_SETTINGS = Settings(zeros_disclosive=True)
SEEDS = range(12)


def _acro_python() -> Path:
    named = os.environ.get("SMARTSTART_ACRO_PYTHON")
    if named:
        return Path(named)
    folder = ROOT / ".venv-acro"
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _microdata(seed: int) -> pd.DataFrame:
    """Groups of very different sizes, so some cells are small, some empty, some dominated."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(60, 400))
    sizes = rng.dirichlet(np.full(4, 0.6))
    frame = pd.DataFrame({"g": rng.choice(list("abcd"), n, p=sizes),
                          "h": rng.choice(list("xyz"), n, p=[0.6, 0.3, 0.1]),
                          "v": rng.gamma(1.5, 100.0, n)})
    big = rng.choice(n, size=int(rng.integers(0, 4)), replace=False)
    frame.loc[big, "v"] *= rng.uniform(20, 200, len(big))
    return frame


def _negative() -> pd.DataFrame:
    return pd.DataFrame({"g": ["a"] * 12 + ["b"] * 12, "v": [-5.0] + [10.0] * 23})


def _dof_logit(n: int) -> tuple[np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(n)
    exog = pd.DataFrame({"const": 1.0, "age": rng.normal(30, 5, n), "z": rng.normal(0, 1, n)})
    return (rng.random(n) < 0.5).astype(float), exog


def _separating_logit() -> tuple[np.ndarray, pd.DataFrame]:
    rng = np.random.default_rng(0)
    exog = pd.DataFrame({"const": 1.0, "age": rng.normal(30, 5, 200), "d": 0.0})
    exog.loc[:2, "d"] = 1.0
    outcome = (rng.random(200) < 0.4).astype(float)
    outcome[:3] = 1.0
    return outcome, exog


def _small_cell_table() -> pd.DataFrame:
    counts = {("a", "x"): 30, ("a", "y"): 25, ("b", "x"): 4, ("b", "y"): 40, ("c", "x"): 22,
              ("c", "y"): 15}
    rows = [key for key, n in counts.items() for _ in range(n)]
    return pd.DataFrame(rows, columns=["g", "h"]).assign(all="all")


def _extremes() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"g": np.repeat(["a", "b"], 300), "h": np.tile(["x", "y"], 300),
                         "v": rng.gamma(1.5, 100.0, 600)})


def _columns(frame: pd.DataFrame) -> dict[str, list]:
    return {name: frame[name].tolist() for name in frame.columns}


def _crosstab(frame: pd.DataFrame, index: str, columns: str, margins: bool = False) -> dict:
    return {"op": "crosstab", "data": _columns(frame[[index, columns]]), "index": index,
            "columns": columns, "margins": margins}


def _pivot(frame: pd.DataFrame, index: str, columns: str | None, aggfunc) -> dict:
    return {"op": "pivot_table", "data": _columns(frame), "index": index, "columns": columns,
            "values": "v", "aggfunc": aggfunc}


def _logit(outcome: np.ndarray, exog: pd.DataFrame) -> dict:
    return {"op": "logit", "endog": outcome.tolist(), "exog": _columns(exog)}


def _sessions() -> dict[str, dict]:
    """Every ACRO call of this module: one session per test, as ACRO would be used."""
    calls = {f"counts-{s}": [_crosstab(_microdata(s), "g", "h")] for s in SEEDS}
    calls |= {f"magnitude-{s}": [_pivot(_microdata(s), "g", "h", "sum")] for s in SEEDS}
    calls["negative"] = [_pivot(_negative(), "g", None, "sum")]
    calls |= {f"dof-{n}": [_logit(*_dof_logit(n))] for n in (12, 200)}
    calls["separating"] = [_logit(*_separating_logit())]
    calls["extremes"] = [_pivot(_extremes(), "g", "h", ["min", "max"])]
    calls["shape"] = [_crosstab(_microdata(3), "g", "h", margins=True)]
    sessions = {name: {"suppress": False, "calls": c} for name, c in calls.items()}
    small = _small_cell_table()
    sessions["totals"] = {"suppress": True, "calls": [_crosstab(small, "g", "h", margins=True),
                                                      _crosstab(small, "h", "all")]}
    return sessions


@pytest.fixture(scope="module")
def acro(tmp_path_factory) -> dict[str, list[dict]]:
    """ACRO's answers (status, sdc, table) to every call, from ACRO's own environment."""
    python = _acro_python()
    if not python.exists():
        message = (f"ACRO's environment is missing ({python}): `python3 run.py test` makes it, "
                   "or pip install -r requirements/acro.txt into a venv and set "
                   "SMARTSTART_ACRO_PYTHON to its python")
        if os.environ.get("CI", "").lower() not in {"", "0", "false"}:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    done = subprocess.run([str(python), str(SIDE)], input=json.dumps({"sessions": _sessions()}),
                          capture_output=True, text=True, cwd=tmp_path_factory.mktemp("acro"),
                          timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    answer = json.loads(done.stdout)
    assert answer["acro"] == "1.0.2", answer  # the version the expectations below were made on
    return answer["sessions"]


def _mask(output: dict, checks: tuple[str, ...], shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    for check in checks:
        for row, col in output["sdc"]["cells"].get(check, []):
            mask[row, col] = True
    return mask


def _frame(table: dict) -> pd.DataFrame:
    """ACRO's table as pandas gave it there (NaN for a suppressed cell)."""
    return pd.DataFrame(np.array(table["data"], dtype=float),
                        index=pd.Index(table["index"], name=table["index_name"]),
                        columns=pd.Index(table["columns"], name=table["columns_name"]))


def _fit(outcome: np.ndarray, exog: pd.DataFrame) -> object:
    """The logit ACRO fits (``sm.Logit(endog, exog).fit()``), fitted here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sm.Logit(outcome, exog).fit(disp=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_threshold_and_zeros_agree_cell_by_cell(acro, seed):
    data = _microdata(seed)
    (output,) = acro[f"counts-{seed}"]
    ours = check_counts(pd.crosstab(data.g, data.h), ACRO_SETTINGS)
    shape = ours[0].mask.shape
    assert _frame(output["table"]).shape == shape
    theirs = _mask(output, ("MinimumThresholdCheck", "PresenceOfZeroCheck"), shape)
    np.testing.assert_array_equal(ours[0].mask.to_numpy() | ours[1].mask.to_numpy(), theirs)
    assert record("t", ours).status == output["status"]


@pytest.mark.parametrize("seed", SEEDS)
def test_dominance_p_ratio_and_contributors_agree_cell_by_cell(acro, seed):
    data = _microdata(seed)
    (output,) = acro[f"magnitude-{seed}"]
    ours = {c.rule: c for c in check_magnitude(data, ["g", "h"], "v", ACRO_SETTINGS,
                                                margins=False)}
    shape = ours["dominance"].mask.shape
    ours["few"] = ours["contributors"].mask | ours["zeros"].mask  # ACRO counts 0 < 10
    for rule, check in (("dominance", "NKCheck"), ("p_ratio", "PPercentCheck"),
                        ("few", "MinimumThresholdCheck")):
        found = ours[rule] if isinstance(ours[rule], pd.DataFrame) else ours[rule].mask
        np.testing.assert_array_equal(found.to_numpy(), _mask(output, (check,), shape),
                                      err_msg=rule)
    assert record("m", [c for c in ours.values() if not isinstance(c, pd.DataFrame)]
                  ).status == output["status"]


def test_negative_contributions_are_a_review_in_both(acro):
    ours = record("n", check_magnitude(_negative(), ["g"], "v", ACRO_SETTINGS, margins=False))
    assert ours.status == acro["negative"][0]["status"] == "review"


@pytest.mark.parametrize(("n", "verdict"), [(12, "fail"), (200, "pass")])
def test_residual_dof_agrees_on_a_logit(acro, n, verdict):
    fitted = _fit(*_dof_logit(n))
    ours = {c.rule: c.status for c in check_regression(fitted, ACRO_SETTINGS)}
    assert ours["dof"] == acro[f"dof-{n}"][0]["status"] == verdict


def test_acro_totals_give_away_a_suppressed_cell_and_ours_do_not(acro):
    data = _small_cell_table()
    two_way_output, one_way_output = acro["totals"]
    two_way, one_way = _frame(two_way_output["table"]), _frame(one_way_output["table"])
    assert np.isnan(two_way.loc["b", "x"])
    assert one_way_output["sdc"]["summary"]["MinimumThresholdCheck"] == 0  # 56 and 80
    # ACRO's margins leave the suppressed persons out: the true column total gives them back
    recovered = one_way.loc["x", "all"] - two_way.loc[["a", "c"], "x"].sum()
    assert recovered == 4
    assert len(data) - two_way.loc["All", "All"] == 4  # and so does the number of persons

    protected = protect_counts(pd.crosstab(data.g, data.h, margins=True), ACRO_SETTINGS)
    published = protected.to_frame()
    assert np.isnan(published.loc["b", "x"])
    assert published.loc["All", "x"] == one_way.loc["x", "all"]  # true totals, nothing to add
    assert published.loc["All", "All"] == len(data)
    intervals = protected.intervals()
    cell = protected.pattern.primary
    assert intervals.lower[cell].tolist() == [0.0] and intervals.upper[cell].tolist() == [9.0]
    exact = attack(published.to_numpy(), protected.suppressed, protected.table,
                   protected.pattern.lower_bounds, protected.pattern.upper_bounds)
    assert (exact.upper - exact.lower)[cell].tolist() == [9.0]


def test_acro_passes_a_logit_with_a_dummy_that_separates_three_persons(acro):
    assert acro["separating"][0]["status"] == "pass"
    fitted = _fit(*_separating_logit())
    ours = {c.rule: c for c in check_regression(fitted, ACRO_SETTINGS)}
    assert {r: c.status for r, c in ours.items()} == {
        "dof": "pass", "category_cases": "fail", "separation": "fail", "convergence": "fail"}
    assert ours["category_cases"].details["empty"] is True
    assert ours["separation"].mask.loc["d", "flag"]
    assert ours["separation"].details["fitted_extremes"] is True
    assert record("logit", ours.values(), kind="regression").status == "fail"


def test_acro_releases_minima_and_maxima_and_ours_refuses(acro):
    assert acro["extremes"][0]["status"] == "pass"
    data = _extremes()
    table = data.pivot_table(index="g", columns="h", values="v", aggfunc=["min", "max"])
    np.testing.assert_allclose(table.to_numpy(), acro["extremes"][0]["table"]["data"])
    assert check_min_max(table).status == "fail"
    assert record("extremes", [check_min_max(table)], kind="extremes").status == "fail"


def test_acro_and_smartstart_see_the_same_table_shape(acro):
    table = _frame(acro["shape"][0]["table"])
    np.testing.assert_array_equal(table.to_numpy(),
                                  pd.crosstab(_microdata(3).g, _microdata(3).h,
                                              margins=True).to_numpy())
    assert Table.from_frame(table).to_frame().shape == table.shape
