"""The flow from the residents to the population counts everyone left out for a reason a
reader may not expect (outsider helper-39: three minors in an institution and three children
without a birth year left the children without a line of their own)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from smartstart.errors import SourceError
from smartstart.features import _record_population
from smartstart.features._library import package_library

PERSONS = pd.DataFrame({
    "PLHH": ["3", "4", "10", "1", "1", "1", "10", "1"],
    "age": [40, 38, 15, None, 5, 10, 30, 17],
})


class _Db:
    """What the flow step needs of the run's Database, over a person table."""

    def __init__(self, persons: pd.DataFrame) -> None:
        self.con = duckdb.connect()
        self.con.register("persons", persons)
        self.con.execute("CREATE TABLE person_factors AS SELECT * FROM persons")
        self.steps: list[tuple] = []

    def count(self, name: str) -> int:
        return self.con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]

    def frame(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()

    def record(self, step, rows_in, rows_out, reason, en=("", "")) -> None:
        self.steps.append((step, rows_in, rows_out))


def test_each_condition_of_the_children_is_a_counted_step():
    population = package_library().populations["kinderen"]
    db = _Db(PERSONS)
    # the reference: the conditions in plain Python over the same rows
    known = PERSONS[PERSONS["age"].notna()]
    minors = known[known["age"] < 18]
    children = minors[minors["PLHH"] == "1"]
    _record_population(db, population, "kinderen", len(children))
    assert db.steps == [("leeftijd bekend", 8, len(known)), ("jonger dan 18", len(known),
                                                              len(minors)),
                        ("kinderen (0 tot 18 jaar), thuiswonend", len(minors), len(children))]
    assert [s[1] - s[2] for s in db.steps] == [1, 3, 1]  # the unknown age, adults, the institution


def test_steps_that_are_not_the_filter_stop_the_run():
    population = package_library().populations["kinderen"]
    with pytest.raises(SourceError, match=r"select 3 residents, its filter \(where\) 2"):
        _record_population(_Db(PERSONS), population, "kinderen", 2)


def test_a_population_without_steps_is_one_step():
    population = package_library().populations["personen"]
    db = _Db(PERSONS)
    _record_population(db, population, "personen", 8)
    assert db.steps == [("inwoners", 8, 8)]
