"""Linking and features against the planted truth, and the reference-date rule's edge cases."""

from __future__ import annotations

import json
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartstart.features import build_features, factors
from smartstart.linking import link, sql_text
from smartstart.pilot import OutcomeSpec, Study, TargetGroup, Window
from smartstart.sources import ingest
from smartstart.synth import SynthSpec, generate

PREDICTORS = ["young_mother", "single_parent", "parent_no_work", "rent_allowance",
              "parent_low_education", "prior_youth_care", "outcome"]


# --- the reference-date rule ----------------------------------------------------------------

def _on_date(rows: list[tuple], when: date, covering: bool = False):
    con = duckdb.connect()
    frame = pd.DataFrame(rows, columns=["RINPERSOON", "start", "end", "obj"])
    frame["RINPERSOONS"] = "R"
    con.register("frame", frame)  # typed as the store types them, also when all are NULL
    con.execute('CREATE TABLE spells AS SELECT RINPERSOONS, CAST(RINPERSOON AS VARCHAR) AS '
                'RINPERSOON, CAST(start AS DATE) AS start, CAST("end" AS DATE) AS "end", '
                'CAST(obj AS VARCHAR) AS obj FROM frame')
    sql = sql_text("spell_on_date", source="spells", start_col="start", end_col="end",
                   tiebreak="obj")
    got = con.execute(sql, {"peildatum": when}).df()
    picked = dict(zip(got["RINPERSOON"], got["obj"], strict=True))
    return (picked, int(got["_covering"].sum())) if covering else picked


P = date(2020, 1, 1)


@pytest.mark.parametrize(("rows", "expected"), [
    ([("a", "2019-01-01", "2020-01-01", "x")], {"a": "x"}),          # ends on the peildatum
    ([("a", "2020-01-01", "2050-12-31", "x")], {"a": "x"}),          # starts on it
    ([("a", "2010-01-01", "2019-12-31", "x")], {}),                  # ends the day before
    ([("a", "2020-01-02", "2050-12-31", "x")], {}),                  # starts the day after
    ([("a", "2010-01-01", None, "x")], {"a": "x"}),                  # no end, no next: open
    ([("a", "2010-01-01", None, "x"), ("a", "2015-06-01", "2050-12-31", "y")], {"a": "y"}),
    ([("a", "2010-01-01", None, "x"), ("a", "2020-01-02", "2050-12-31", "y")], {"a": "x"}),
    ([("a", "2010-01-01", None, "x"), ("a", "2020-01-01", "2050-12-31", "y")], {"a": "y"}),
    ([("a", None, "2050-12-31", "x")], {}),                          # no start: left out
    ([("a", "2018-01-01", "2020-02-01", "x"), ("a", "2019-12-15", "2050-12-31", "y")],
     {"a": "y"}),                                                    # overlap: latest start
    ([("a", "2018-01-01", "2020-02-01", "x"), ("a", "2018-01-01", "2050-12-31", "y")],
     {"a": "y"}),                                                    # same start: latest end
    ([("a", "2018-01-01", "2050-12-31", "x"), ("a", "2018-01-01", "2050-12-31", "y")],
     {"a": "y"}),                                                    # full tie: tie-break col
    ([("a", "2018-01-01", "2050-12-31", "x"), ("b", "2021-01-01", "2050-12-31", "y")],
     {"a": "x"}),
])
def test_reference_date_rule(rows, expected):
    assert _on_date(rows, P) == expected


def _reference_on_date(rows: list[tuple], when: date) -> tuple[dict[str, str], int]:
    """Rules 1-4 of spell_on_date.sql written out per person, without SQL; and the spells
    that cover the date (a person's overlapping spells each)."""
    picked, spells = {}, 0
    for person in {r[0] for r in rows}:
        dated = sorted((r for r in rows if r[0] == person and r[1] is not None),
                       key=lambda r: (r[1], r[2] is None, r[2] or date.max))
        covering = []
        for i, (_, start, end, obj) in enumerate(dated):
            if end is None:
                end = dated[i + 1][1] - timedelta(days=1) if i + 1 < len(dated) \
                    else date(2050, 12, 31)
            if start <= when <= end:
                covering.append((start, end, obj))
        if covering:
            picked[person] = max(covering)[2]
            spells += len(covering)
    return picked, spells


_DAYS = st.one_of(st.none(), st.integers(0, 40).map(lambda d: P + timedelta(days=d - 20)))
_SPELL = st.tuples(st.sampled_from("abcd"), _DAYS,
                   st.one_of(_DAYS, st.just(date(2050, 12, 31))), st.sampled_from("xyz"))


@settings(max_examples=300, deadline=None)
@given(st.lists(_SPELL, max_size=12, unique_by=lambda r: (r[0], r[1])))
def test_reference_date_rule_against_a_rule_written_out(rows):
    # several persons, some with and some without a missing end, overlapping spells and ties
    # (a person's starts are unique: ingest refuses a BUS key that repeats with its start)
    strings = [(p, s and s.isoformat(), e and e.isoformat(), o) for p, s, e, o in rows]
    assert _on_date(strings, P, covering=True) == _reference_on_date(rows, P)


_SINCE = P - timedelta(days=8)
_ANY_DAY = st.one_of(st.none(), st.integers(0, 40).map(lambda d: P + timedelta(days=d - 20)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), _ANY_DAY, _ANY_DAY, st.sampled_from("xyz")),
                max_size=12, unique_by=lambda r: (r[0], r[1])))
def test_the_spells_a_layout_from_vanaf_keeps_give_every_later_peildatum_the_same(rows):
    """``lasting_sql`` (a ``--vanaf`` layout's address, household and status spells, and the
    flow's address spells): on its rows the reference-date rule gives every peildatum from
    ``$since`` on what the rule written out gives on all rows, ends before starts included;
    every spell that starts on or after ``$since`` or covers it stays (the outcome windows and
    the on-date checks of events); applied again it keeps every row."""
    from smartstart.sources._layout import lasting_sql

    con = duckdb.connect()
    frame = pd.DataFrame(rows, columns=["RINPERSOON", "start", "end", "obj"])
    con.register("frame", frame)
    con.execute("CREATE TABLE spells AS SELECT 'R' AS RINPERSOONS, CAST(RINPERSOON AS VARCHAR) "
                "AS RINPERSOON, CAST(start AS DATE) AS GBADATUMAANVANGADRESHOUDING, CAST(\"end\" "
                "AS DATE) AS GBADATUMEINDEADRESHOUDING, CAST(obj AS VARCHAR) AS RINOBJECTNUMMER "
                "FROM frame")
    keep = lasting_sql("spells", "GBAADRESOBJECTBUS")
    con.execute(f"CREATE TABLE kept AS {keep}", {"since": _SINCE})
    columns = "RINPERSOON, GBADATUMAANVANGADRESHOUDING, GBADATUMEINDEADRESHOUDING, RINOBJECTNUMMER"
    kept = con.execute(f"SELECT {columns} FROM kept").fetchall()
    again = con.execute(f"SELECT {columns} FROM ({lasting_sql('kept', 'GBAADRESOBJECTBUS')})",
                        {"since": _SINCE}).fetchall()
    scan = lasting_sql("spells", "GBAADRESOBJECTBUS", scan=True)
    scanned = con.execute(f"SELECT {columns} FROM ({scan})", {"since": _SINCE}).fetchall()
    assert sorted(again, key=str) == sorted(kept, key=str) == sorted(scanned, key=str)
    assert len(kept) <= len(rows)
    sql = sql_text("spell_on_date", source="kept", start_col="GBADATUMAANVANGADRESHOUDING",
                   end_col="GBADATUMEINDEADRESHOUDING", tiebreak="RINOBJECTNUMMER")
    for day in range(0, 30, 3):
        when = _SINCE + timedelta(days=day)
        got = con.execute(sql, {"peildatum": when}).df()
        picked = dict(zip(got["RINPERSOON"], got["RINOBJECTNUMMER"], strict=True))
        assert (picked, int(got["_covering"].sum())) == _reference_on_date(rows, when), when
    stays = {r for r in rows if r[1] is not None and (
        r[1] >= _SINCE or (r[1] <= _SINCE and (r[2] is None or r[2] >= _SINCE)))}
    assert stays <= set(kept)


# --- against the planted truth ------------------------------------------------------------

@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("linking")
    generate(root / "cbs", SynthSpec(households=1500, seed=11))
    ingest(root / "cbs", root / "store")
    truth = json.loads((root / "cbs" / "truth.json").read_text("utf-8"))
    return root, truth


def _study(peildatum: date) -> Study:
    window = Window(start=date(2015, 1, 1), end=date(2022, 12, 31))
    return Study(name="t", gemeente="0784", peildatum=peildatum,
                 target_group=TargetGroup(partner_file="v", start_column="startdatum",
                                          end_column="einddatum", window=window))


@pytest.mark.parametrize("year", [2014, 2017, 2020, 2022])
def test_residents_and_households_equal_the_truth(world, year):
    root, truth = world
    linked = link(root / "store", _study(date(year, 1, 1)))
    planted = truth["demo"]["on_date"][f"{year}-01-01"]
    persons = linked.db.frame("SELECT household_id, TYPHH FROM persons_on_date")
    assert len(persons) == planted["residents"]
    assert persons["household_id"].isna().sum() == planted["residents_without_household"]
    households = persons.dropna().drop_duplicates("household_id")
    assert len(households) == planted["households"]
    assert households["TYPHH"].value_counts().to_dict() == planted["households_by_type"]


def test_target_group_and_children_equal_the_truth(world):
    root, truth = world
    partner = root / "cbs" / truth["demo"]["partner_file"]
    study = _study(date(2020, 1, 1))
    linked = link(root / "store", study, partner)
    tables = build_features(linked.db, study)
    food = truth["demo"]["foodbank"]
    assert tables.households["target_group"].sum() == food["target_households"]
    status = dict(zip(linked.match["link_status"], linked.match["n"], strict=True))
    assert status["niet gekoppeld"] == food["unmatched_rows"]
    planted = pd.read_parquet(root / "cbs" / "truth" / "children.parquet")
    got = tables.children.merge(planted, on="RINPERSOON", how="outer", suffixes=("", "_t"),
                                indicator=True)
    assert (got["_merge"] == "both").all()
    assert len(got) == truth["demo"]["risk_model"]["children"]
    for name in PREDICTORS:
        assert (got[name].astype(int) == got[f"{name}_t"].astype(int)).all(), name
    assert tables.children["outcome"].sum() == truth["demo"]["risk_model"]["events"]


def test_factor_library_describes_every_column(world):
    root, _ = world
    study = _study(date(2020, 1, 1))
    tables = build_features(link(root / "store", study).db, study)
    keys = {"household_id", "RINPERSOONS", "RINPERSOON"}
    lib = factors()
    assert set(tables.households.columns) - keys == set(lib["household"])
    # the pilot's outcome is a column of its own (the outcome library's definition)
    assert set(tables.children.columns) - keys == set(lib["child"]) | {"outcome"}
    assert all(f.nl and f.en and f.sources for unit in lib.values() for f in unit.values())


def test_attrition_flow_is_consistent(world):
    root, truth = world
    study = _study(date(2020, 1, 1))
    linked = link(root / "store", study)
    build_features(linked.db, study)
    flow = linked.attrition.set_index("step")
    assert (flow["rows_out"] <= flow["rows_in"]).all()
    residents = truth["demo"]["on_date"]["2020-01-01"]["residents"]
    assert flow.loc["inwoners op peildatum", "rows_out"] == residents


def test_household_factors_equal_the_planted_households(world):
    root, truth = world
    study = _study(date(2020, 1, 1))
    partner = root / "cbs" / truth["demo"]["partner_file"]
    tables = build_features(link(root / "store", study, partner).db, study)
    got = tables.households.assign(HUISHOUDNR=tables.households["household_id"].str[:12])
    planted = pd.read_parquet(root / "cbs" / "truth" / "households.parquet")
    both = got.merge(planted, on="HUISHOUDNR", suffixes=("", "_t"))
    # every household on the peildatum is a planted household, or a person living alone
    # before joining one (the generator's pre-formation spells)
    alone = got[~got["HUISHOUDNR"].isin(planted["HUISHOUDNR"])]
    assert (alone["household_size"] == 1).all()
    assert len(both) + len(alone) == len(got)
    assert (both["household_type"].astype(int) == both["typhh"]).all()
    # tenure of the income year: planted for households formed before that year ended
    formed = both[both["formed"] <= "20181231"]
    assert (formed["tenure"].astype(int) == formed["tenure_t"]).all()
    # the target group consists of planted food-bank households, every type present
    target = both[both["target_group"]]
    assert (target["foodbank_type"] > 0).all()
    types = target["foodbank_type"].value_counts().to_dict()
    planted_types = {int(k): v["households"] for k, v in truth["demo"]["foodbank"]["types"].items()}
    assert all(0 < types.get(k, 0) <= n for k, n in planted_types.items())


def test_demo_scale_children_equal_the_truth_exactly(demo_run, demo_world):
    """Rare cases (teen parents, newcomers) only show up at scale: check the demo size too
    (the demo's own delivery, synthesised and ingested once per session)."""
    tables, truth = demo_world
    truth = truth["demo"]
    planted = pd.read_parquet(demo_run / "cbs" / "truth" / "children.parquet")
    got = tables.children.merge(planted, on="RINPERSOON", how="outer", suffixes=("", "_t"),
                                indicator=True)
    assert (got["_merge"] == "both").all() and len(got) == truth["risk_model"]["children"]
    for name in PREDICTORS:
        assert (got[name].astype(int) == got[f"{name}_t"].astype(int)).all(), name
    assert tables.households["target_group"].sum() == truth["foodbank"]["target_households"]


def test_the_outcome_column_follows_the_pilots_outcome(world):
    root, _ = world
    study = _study(date(2020, 1, 1))
    either = build_features(link(root / "store", study).db, study).children
    outcome = {}
    for name in ("uithuisplaatsing", "ots"):
        chosen = study.model_copy(update={"outcome": OutcomeSpec(name=name)})
        outcome[name] = build_features(link(root / "store", chosen).db, chosen).children
    placement, ots = outcome["uithuisplaatsing"]["outcome"], outcome["ots"]["outcome"]
    assert placement.sum() > 0 and ots.sum() > 0
    assert (either["outcome"] == (placement | ots)).all()


def test_the_two_connections_of_linking_read_different_tables(world, monkeypatch):
    """link() runs the households beside the income and status on a second connection: a
    view of one table made by both at once would be a write-write conflict of DuckDB's
    catalog, an error that comes and goes. Each reads its own tables."""
    from smartstart.linking import Database

    root, _ = world
    seen: list[tuple[set, set]] = []
    merge = Database.merge

    def watched(self, other):
        seen.append((set(self.read), set(other.read)))
        merge(self, other)

    monkeypatch.setattr(Database, "merge", watched)
    link(root / "store", _study(date(2020, 1, 1)))
    (main, branch), = seen
    assert {"GBAHUISHOUDENSBUS", "GBAPERSOONTAB"} <= main and {"INHATAB", "SECMBUS"} <= branch
    assert not main & branch
