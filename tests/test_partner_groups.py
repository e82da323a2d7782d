"""A target group from several partner files (``TargetGroups``): each file read with its own
columns and date format and judged against its own window; the target households are the union,
checked against the union computed with pandas from the two files and the linked persons."""

from __future__ import annotations

import json
import shutil
from datetime import date

import numpy as np
import pandas as pd
import pytest
import yaml

from smartstart.errors import Empty
from smartstart.linking import link
from smartstart.pilot import Study, TargetGroup, TargetGroups, Window

FOOD_WINDOW = Window(start=date(2015, 1, 1), end=date(2022, 12, 31))
DEBT_WINDOW = Window(start=date(2018, 1, 1), end=date(2019, 6, 30))
FOOD = TargetGroup(partner_file="voedselbank", start_column="startdatum",
                   end_column="einddatum", window=FOOD_WINDOW)
DEBT = TargetGroup(partner_file="schuldhulp", rinpersoons_column="rins",
                   rinpersoon_column="rin_persoon", start_column="Begin", end_column="Eind",
                   date_format="YYYYMMDD", window=DEBT_WINDOW)
#: rows of the second file: sampled residents, plus unlinked rows and persons from elsewhere
RESIDENTS, UNLINKED = 700, 15


def _study(target) -> Study:
    return Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1), target_group=target)


@pytest.fixture(scope="module")
def files(demo_run, tmp_path_factory):
    """The demo's food-bank file and a second partner file written here (its own column names,
    YYYYMMDD text dates, a shorter window), with the linked persons on the peildatum."""
    truth = json.loads((demo_run / "cbs" / "truth.json").read_text("utf-8"))
    food = demo_run / "cbs" / truth["demo"]["partner_file"]
    alone = link(demo_run / "store", _study(FOOD), food)
    persons = alone.db.frame("SELECT RINPERSOONS, RINPERSOON, household_id FROM persons_on_date")
    rng = np.random.default_rng(13)
    sample = persons.iloc[rng.choice(len(persons), RESIDENTS, replace=False)]
    starts = pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 5 * 365, RESIDENTS),
                                                          unit="D")
    ends = starts + pd.to_timedelta(rng.integers(30, 900, RESIDENTS), unit="D")
    end_text = ends.strftime("%Y%m%d").to_numpy(dtype=object)
    end_text[rng.random(RESIDENTS) < 0.2] = ""  # still a client: an open end
    rins = np.r_[sample["RINPERSOONS"].to_numpy(dtype=object), ["R"] * UNLINKED]
    rinp = np.r_[sample["RINPERSOON"].to_numpy(dtype=object), [""] * (UNLINKED - 5),
                 ["000000000"] * 5]
    debt = pd.DataFrame({"rins": rins, "rin_persoon": rinp,
                         "Begin": np.r_[starts.strftime("%Y%m%d"), ["20190101"] * UNLINKED],
                         "Eind": np.r_[end_text, [""] * UNLINKED]})
    path = tmp_path_factory.mktemp("partners") / "schuldhulp.csv"
    debt.to_csv(path, sep=";", encoding="latin-1", index=False)
    return {"voedselbank": food, "schuldhulp": path}, persons, alone


def _planted(path, tg: TargetGroup, persons: pd.DataFrame) -> pd.DataFrame:
    """The file's rows in the target group, computed here with pandas: linked, living in a
    household of the municipality on the peildatum, client period overlapping the window."""
    raw = pd.read_csv(path, sep=";", encoding="latin-1", dtype=str, keep_default_na=False)
    fmt = "%Y%m%d" if tg.date_format == "YYYYMMDD" else tg.date_format
    rows = pd.DataFrame({
        "RINPERSOONS": raw[tg.rinpersoons_column].str.strip(),
        "RINPERSOON": raw[tg.rinpersoon_column].str.strip(),
        "start": pd.to_datetime(raw[tg.start_column], format=fmt),
        "end": pd.to_datetime(raw[tg.end_column].where(raw[tg.end_column] != ""), format=fmt
                              ).fillna(pd.Timestamp("2050-12-31"))})
    rows = rows.merge(persons.dropna(subset=["household_id"]), on=["RINPERSOONS", "RINPERSOON"])
    window = (rows["end"] >= pd.Timestamp(tg.window.start)) & \
        (rows["start"] <= pd.Timestamp(tg.window.end))
    return rows[window].assign(cut=rows["end"].clip(upper=pd.Timestamp(tg.window.end)))


@pytest.fixture(scope="module")
def both(files, demo_run):
    paths, _, _ = files
    return link(demo_run / "store",
                _study(TargetGroups(partners=(FOOD, DEBT))), paths)


def test_the_target_households_are_the_union_of_the_files(files, both):
    paths, persons, _ = files
    food = _planted(paths["voedselbank"], FOOD, persons)
    debt = _planted(paths["schuldhulp"], DEBT, persons)
    union = set(food["household_id"]) | set(debt["household_id"])
    got = set(both.db.frame("SELECT household_id FROM target_households")["household_id"])
    assert got == union
    # the files overlap, and each adds households the other has not
    assert set(food["household_id"]) - set(debt["household_id"])
    assert set(debt["household_id"]) - set(food["household_id"])
    assert set(food["household_id"]) & set(debt["household_id"])


def test_durations_are_the_span_over_all_files(files, both):
    paths, persons, _ = files
    rows = pd.concat([_planted(paths["voedselbank"], FOOD, persons),
                      _planted(paths["schuldhulp"], DEBT, persons)])
    span = rows.groupby("household_id").agg(first=("start", "min"), last=("cut", "max"))
    expected = (span["last"] - span["first"]).dt.days.sort_index()
    got = both.durations().set_index("household_id")["days"].sort_index()
    assert got.index.equals(expected.index)
    assert (got.to_numpy() == expected.to_numpy()).all()


def test_match_and_attrition_per_partner(files, both):
    paths, persons, alone = files
    match = both.match
    assert list(dict.fromkeys(match["partner"])) == ["voedselbank", "schuldhulp"]
    debt = match[match["partner"] == "schuldhulp"].set_index("link_status")["n"]
    assert debt.sum() == RESIDENTS + UNLINKED and debt["niet gekoppeld"] == UNLINKED
    planted = _planted(paths["schuldhulp"], DEBT, persons)
    assert debt["doelgroep"] == len(planted)
    assert debt["buiten het venster"] > 0
    food = match[match["partner"] == "voedselbank"].drop(columns="partner")
    assert food.reset_index(drop=True).equals(alone.match.drop(columns="partner"))
    steps = both.attrition.set_index("step")
    per = {p: steps.loc[f"doelgroep: huishoudens uit {p}"] for p in ("voedselbank", "schuldhulp")}
    assert per["schuldhulp"]["rows_in"] == RESIDENTS + UNLINKED
    assert per["schuldhulp"]["rows_out"] == planted["household_id"].nunique()
    assert per["voedselbank"]["rows_out"] == alone.db.count("target_households")
    union = steps.loc["doelgroep: huishoudens"]
    assert union["rows_in"] == per["voedselbank"]["rows_out"] + per["schuldhulp"]["rows_out"]
    assert union["rows_out"] == both.db.count("target_households")
    # partner rows -> households: no "dropped"; the union is households -> households
    assert per["voedselbank"]["changes_unit"] and per["schuldhulp"]["changes_unit"]
    assert not union["changes_unit"]


def test_one_partner_file_links_as_always(files):
    """TargetGroup: one attrition step worded as before, the match of that file only."""
    _, _, alone = files
    steps = alone.attrition
    target = steps[steps["step"].str.startswith("doelgroep")]
    assert list(target["step"]) == ["doelgroep: huishoudens"]
    assert target["reason"].iloc[0] == (
        "huishoudens op de peildatum met een lid in het partnerbestand van wie de klantperiode "
        "overlapt met 2015-01-01 t/m 2022-12-31")
    assert set(alone.match["partner"]) == {"voedselbank"}


def test_no_target_in_any_file_names_each_partner(files, demo_run):
    paths, _, _ = files
    far = Window(start=date(1990, 1, 1), end=date(1990, 12, 31))
    study = _study(TargetGroups(partners=(FOOD.model_copy(update={"window": far}),
                                          DEBT.model_copy(update={"window": far}))))
    with pytest.raises(Empty) as error:
        link(demo_run / "store", study, paths)
    text = f"{error.value} {getattr(error.value, 'hint', '')}"
    assert "voedselbank:" in text and "schuldhulp:" in text and "buiten het venster" in text


def test_a_pilot_with_two_partners_gives_a_sound_bundle(files, demo_run, tmp_path):
    """run_pilot -> bundle: the match table has a block per partner, the check passes, the
    report names each partner."""
    from smartstart.bundle import check_bundle, read_bundle
    from smartstart.pilot import load_pilot
    from smartstart.pipeline import run_pilot
    from smartstart.report._pilot import match as match_part
    from smartstart.report._source import Source
    from smartstart.report._types import Figure

    paths, _, _ = files
    shutil.copy(paths["schuldhulp"], tmp_path / "schuldhulp.csv")
    spec = {"study": {"name": "t", "gemeente": "0784", "peildatum": "2020-01-01",
                      "target_group": {"partners": [FOOD.model_dump(mode="json"),
                                                    DEBT.model_dump(mode="json")],
                                       "label_nl": "klanten", "label_en": "clients"},
                      "analyses": []},
            "paths": {"store": str(demo_run / "store"), "output": str(tmp_path / "results"),
                      "partner_files": {"voedselbank": str(paths["voedselbank"]),
                                        "schuldhulp": str(tmp_path / "schuldhulp.csv")}}}
    (tmp_path / "pilot.yaml").write_text(yaml.safe_dump(spec), "utf-8")
    result = run_pilot(load_pilot(tmp_path / "pilot.yaml"))
    bundle = result.bundle
    match = pd.read_parquet(next(bundle.rglob("match.parquet")))
    assert list(match.columns) == ["partner", "status", "count"]
    assert list(dict.fromkeys(match["partner"])) == ["voedselbank", "schuldhulp"]
    totals = match[match["status"] == "totaal"].set_index("partner")["count"]
    assert totals["schuldhulp"] == RESIDENTS + UNLINKED
    problems, _ = check_bundle(bundle)
    assert problems == []
    assert any("koppeling-2" in p.name for p in bundle.rglob("*"))
    for lang in ("nl", "en"):
        part = match_part(Source(read_bundle(bundle), lang), lang)
        captions = [b.caption for b in part.blocks if isinstance(b, Figure)]
        assert len(captions) == 2
        assert "voedselbank" in captions[0] and "schuldhulp" in captions[1]
