"""Cross-validation with tau-Argus (``pytauargus``: CBS's engine with open solvers).

tau-Argus protects the same count tables (frequency rule ``FREQ(10, 30)``, optimal secondary
suppression). Both ways round: our attacker confirms that tau-Argus's patterns keep every
unsafe cell within its own protection levels, and with those same primary cells and levels our
optimal pattern is also safe and never costs more (cost = cell value in both).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from smartstart.disclosure import Table, attack, find_pattern

pytauargus = pytest.importorskip("pytauargus")

TABLES = [
    [[3, 25, 40], [30, 12, 50], [22, 31, 7]],
    [[14, 2, 33, 18], [25, 40, 11, 6], [31, 12, 19, 45]],
    [[5, 60], [44, 8], [17, 23], [30, 12]],
    [[12, 1, 30], [2, 40, 25], [33, 21, 4], [15, 16, 17]],
]


def _microdata(cells: list[list[int]]) -> pd.DataFrame:
    rows = [(f"a{i}", f"b{j}") for i, row in enumerate(cells) for j, n in enumerate(row)
            for _ in range(n)]
    return pd.DataFrame(rows, columns=["A", "B"]).assign(one=1)


def _tau(cells: list[list[int]], workdir) -> pd.DataFrame:
    result = pytauargus.protect(_microdata(cells), tables=["A", "B"], response="one",
                                safety_rules="FREQ(10,30)", suppress="OPT(1)",
                                workdir=str(workdir))
    return pd.DataFrame(result.tables[0].rows)


def _grid(tau: pd.DataFrame, column: str, shape: tuple[int, int]) -> np.ndarray:
    """tau-Argus's rows (``Total`` for the margins) laid out like our table."""
    rows = [f"a{i}" for i in range(shape[0] - 1)] + ["Total"]
    cols = [f"b{j}" for j in range(shape[1] - 1)] + ["Total"]
    return tau.pivot(index="A", columns="B", values=column).loc[rows, cols].to_numpy()


@pytest.mark.parametrize("cells", TABLES)
def test_tau_argus_patterns_pass_our_attacker_and_ours_cost_no_more(cells, tmp_path,
                                                                    monkeypatch):
    monkeypatch.chdir(tmp_path)  # tau-Argus writes its solver logs to the working folder
    table = Table.from_array(cells)
    tau = _tau(cells, tmp_path)
    values = _grid(tau, "one", table.shape).astype(float)
    np.testing.assert_array_equal(values, table.values)
    status = _grid(tau, "status", table.shape)
    unsafe, hidden = status == "U", np.isin(status, ["U", "M", "D"])
    np.testing.assert_array_equal(unsafe, (table.values > 0) & (table.values < 10))
    upper = _grid(tau, "upper", table.shape).astype(float)
    lower = _grid(tau, "lower", table.shape).astype(float)

    theirs = attack(np.where(hidden, np.nan, values), hidden, table, cells=unsafe)
    assert (theirs.upper[unsafe] >= values[unsafe] + upper[unsafe] - 1e-6).all()
    assert (theirs.lower[unsafe] <= values[unsafe] - lower[unsafe] + 1e-6).all()

    ours = find_pattern(values, table.structure, unsafe, upper, lower, method="optimal")
    mine = attack(np.where(ours.suppressed, np.nan, values), ours.suppressed, table,
                  cells=unsafe)
    assert (mine.upper[unsafe] >= values[unsafe] + upper[unsafe] - 1e-6).all()
    assert (mine.lower[unsafe] <= values[unsafe] - lower[unsafe] + 1e-6).all()
    assert ours.cost <= values[hidden & ~unsafe].sum() + 1e-6
