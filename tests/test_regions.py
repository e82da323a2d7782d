"""A pilot of several municipalities (study.gemeenten, study.regio) is linked in one pass and
gives, per municipality, exactly what linking each one alone gives and what the raw tables say."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date

import pandas as pd
import pytest
import yaml

from smartstart.errors import Empty
from smartstart.linking import link
from smartstart.pilot import Study, TargetGroup, Window, load_pilot
from smartstart.sources import SourceError, build_layout, ingest
from smartstart.sources._regions import load_regions
from smartstart.synth import SynthSpec, generate

REGION = (("0784", "Gilze en Rijen"), ("0855", "Tilburg"), ("0785", "Goirle"))
CODES = [code for code, _ in REGION]
P = date(2020, 1, 1)
TARGET = TargetGroup(partner_file="v", start_column="startdatum", end_column="einddatum",
                     window=Window(start=date(2015, 1, 1), end=date(2022, 12, 31)))
KEY = ["RINPERSOONS", "RINPERSOON"]


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    """Three small municipalities with real codes (400 households each), raw parquet."""
    root = tmp_path_factory.mktemp("region")
    generate(root / "cbs", SynthSpec(households=1200, seed=7, fmt="parquet",
                                     municipality=REGION[0], municipalities=REGION))
    ingest(root / "cbs", root / "store")
    return root


def _study(codes: list[str], target: bool = False) -> Study:
    return Study(name="t", gemeenten=codes, peildatum=P, target_group=TARGET if target else None)


def _persons(linked) -> pd.DataFrame:
    frame = linked.db.frame("SELECT * FROM persons_on_date")
    return frame.sort_values(KEY, ignore_index=True)


def _raw_residents(cbs) -> pd.DataFrame:
    """Independently of linking: each person's address on P from the raw delivery (pandas),
    with the municipality of that address in the area table of P's year."""
    a = pd.read_parquet(next(cbs.rglob("GBAADRESOBJECT*BUSV*.parquet")))
    start = pd.to_datetime(a["GBADATUMAANVANGADRESHOUDING"], format="%Y%m%d", errors="coerce")
    end = pd.to_datetime(a["GBADATUMEINDEADRESHOUDING"], format="%Y%m%d", errors="coerce")
    a = a.assign(start=start, end=end).dropna(subset=["start"])
    a = a.sort_values([*KEY, "start", "end"], na_position="last")
    following = a.groupby(KEY)["start"].shift(-1) - pd.Timedelta(days=1)
    a["end"] = a["end"].fillna(following).fillna(pd.Timestamp("2050-12-31"))
    day = pd.Timestamp(P)
    a = a[(a["start"] <= day) & (a["end"] >= day)]
    a = a.sort_values(["start", "end", "RINOBJECTNUMMER"], ascending=False)
    on_date = a.drop_duplicates(KEY)
    areas = pd.read_parquet(next(cbs.rglob(f"VSLGWB{P.year}TAB*.parquet")))
    areas = areas.rename(columns={f"gem{P.year}": "gemeente"})
    return on_date.merge(areas[["SOORTOBJECTNUMMER", "RINOBJECTNUMMER", "gemeente"]],
                         on=["SOORTOBJECTNUMMER", "RINOBJECTNUMMER"])


def test_one_pass_equals_each_municipality_alone_and_the_raw_tables(region):
    together = _persons(link(region / "store", _study(CODES)))
    assert together["gemeente"].notna().all() and set(together["gemeente"]) == set(CODES)
    alone = pd.concat([_persons(link(region / "store", _study([g]))) for g in CODES])
    pd.testing.assert_frame_equal(together, alone.sort_values(KEY, ignore_index=True))
    raw = _raw_residents(region / "cbs")
    expected = raw[raw["gemeente"].isin(CODES)]["gemeente"].value_counts().to_dict()
    assert together["gemeente"].value_counts().to_dict() == expected
    assert min(expected.values()) > 500
    # the demo municipality (the first) keeps its planted residents inside the region
    truth = json.loads((region / "cbs" / "truth.json").read_text("utf-8"))
    assert expected["0784"] == truth["demo"]["on_date"][P.isoformat()]["residents"]


def test_the_layout_reads_every_named_part_once(region, tmp_path, monkeypatch):
    from smartstart.linking import _db

    monkeypatch.setattr(_db, "PARTS_SHARE", 2.0)  # the parts, however much of the store
    store = tmp_path / "store"
    shutil.copytree(region / "store", store)
    build_layout(store)
    parts = store / "_gemeente" / "GBAADRESOBJECTBUS" / "2022"
    seen = pd.concat([pd.read_parquet(parts / f"_gem={g}")[KEY].drop_duplicates()
                      for g in CODES])
    assert seen.duplicated().any()  # someone lived in two of them: the union must dedupe
    study = _study(CODES, target=True)
    partner = next((region / "cbs").rglob("voedselbank_klanten.csv"))
    with_layout = link(store, study, partner)
    assert "layout" in with_layout.db.sources.values()
    full = link(region / "store", study, partner)
    assert set(full.db.sources.values()) == {"full"}
    pd.testing.assert_frame_equal(_persons(with_layout), _persons(full))
    pd.testing.assert_frame_equal(with_layout.match, full.match)
    # parts that hold most of a table (a national run) are read as the full file, once: the
    # same persons and match
    monkeypatch.setattr(_db, "PARTS_SHARE", 0.0)
    most = link(store, study, partner)
    assert set(most.db.sources.values()) == {"full"}
    pd.testing.assert_frame_equal(_persons(most), _persons(full))
    pd.testing.assert_frame_equal(most.match, full.match)
    # and the same flow, step by step, whichever files were read (helper-46: the first steps
    # counted persons who lived there only before the layout's first year)
    for other in (most, full):
        pd.testing.assert_frame_equal(other.attrition, with_layout.attrition)
    # one municipality's part is read as a part, whatever its share
    assert "layout" in link(store, _study(CODES[:1]), None).db.sources.values()


def test_outside_means_outside_every_named_municipality(region, tmp_path):
    source = next((region / "cbs").rglob("voedselbank_klanten.csv"))
    clients = pd.read_csv(source, sep=";", dtype=str, keep_default_na=False, encoding="latin-1")
    raw = _raw_residents(region / "cbs")
    # a client living in 0855 on P: outside a 0784 pilot, inside the region
    tilburg = raw[raw["gemeente"] == "0855"]["RINPERSOON"].iloc[0]
    clients = pd.concat([clients, clients.iloc[[0]].assign(RINPERSOONS="R", RINPERSOON=tilburg)])
    partner = tmp_path / "partner.csv"
    clients.to_csv(partner, sep=";", index=False, encoding="latin-1")
    persons = pd.read_parquet(next((region / "cbs").rglob("GBAPERSOON*.parquet")))
    known = clients[(clients["RINPERSOONS"] == "R")
                    & clients["RINPERSOON"].isin(persons["RINPERSOON"])]

    def outside(codes: list[str]) -> tuple[int, int]:
        """(link status count, independent count) of known clients living elsewhere on P."""
        linked = link(region / "store", _study(codes, target=True), partner)
        status = dict(zip(linked.match["link_status"], linked.match["n"], strict=True))
        here = raw[raw["gemeente"].isin(codes)]["RINPERSOON"]
        return status.get("buiten de gemeente", 0), int((~known["RINPERSOON"].isin(here)).sum())

    region_got, region_expected = outside(CODES)
    demo_got, demo_expected = outside(["0784"])
    assert (region_got, demo_got) == (region_expected, demo_expected)
    assert region_got < demo_got


@pytest.mark.parametrize(("study", "missing"), [
    (_study(["0784", "0002", "0003"]), ["0002", "0003"]),
    # the synthetic delivery has 0784, 0855, 0785 and addresses in seven neighbours
    (Study(name="t", regio="hart_van_brabant", peildatum=P), ["0766", "0797"]),
])
def test_every_named_municipality_without_addresses_is_named_at_once(region, study, missing):
    with pytest.raises(Empty) as error:
        link(region / "store", study)
    named = str(error.value).split(" in VSLGWBTAB")[0]
    assert sorted(re.findall(r"\d{4}", named)) == missing
    # the delivery's codes: eight named, and how many there are (helper-44: 8 of 48, unsaid)
    areas = pd.read_parquet(next((region / "cbs").rglob(f"VSLGWB{P.year}TAB*.parquet")))
    codes = areas[f"gem{P.year}"].dropna().nunique()
    assert codes > 8
    assert re.search(rf"codes there: {codes} codes, the largest (\d{{4}}, ){{7}}\d{{4}}\)",
                     str(error.value))


# --- the pilot's three forms -------------------------------------------------------------

def _load(tmp_path, **place):
    study = {"name": "t", "peildatum": "2020-01-01", **place}
    path = tmp_path / "pilot.yaml"
    path.write_text(yaml.safe_dump({"study": study, "paths": {"store": "s", "output": "o"}}))
    return load_pilot(path).study


@pytest.mark.parametrize(("place", "codes"), [
    ({"gemeente": "784"}, ("0784",)),
    ({"gemeenten": ["0784", 855]}, ("0784", "0855")),
    ({"regio": "hart_van_brabant"},
     ("0766", "0784", "0785", "0797", "0798", "0809", "0824", "0855", "0867")),
    ({"regio": "Hart van Brabant"}, None),
])
def test_three_forms_give_the_municipalities(tmp_path, place, codes):
    study = _load(tmp_path, **place)
    expected = codes or load_regions()["hart_van_brabant"].codes
    assert study.municipalities == expected
    assert study.gemeente == (expected[0] if "gemeente" in place else None)


@pytest.mark.parametrize(("place", "field"), [
    ({}, "gemeente, gemeenten or regio"),
    ({"gemeente": "0784", "regio": "hart_van_brabant"}, "gemeente, regio"),
    ({"gemeente": "0784", "gemeenten": ["0855"]}, "gemeente, gemeenten"),
    ({"regio": "randstad"}, "hart_van_brabant"),  # the known regions are listed
    ({"gemeenten": []}, "gemeenten"),
    ({"gemeenten": ["0784", "784"]}, "gemeenten"),
    ({"gemeenten": ["0784", "Tilburg"]}, "gemeenten"),
])
def test_a_wrong_place_is_a_clear_error(tmp_path, place, field):
    with pytest.raises(SourceError) as error:
        _load(tmp_path, **place)
    assert "pilot.yaml" in str(error.value) and field in str(error.value)


def test_the_region_catalog_holds_cbs_codes():
    hvb = load_regions()["hart_van_brabant"]
    assert hvb.municipalities["0855"] == "Tilburg" and len(hvb.codes) == 9


# --- synth writes the named municipalities ----------------------------------------------

def test_synth_splits_the_households_over_the_named_municipalities():
    from smartstart.cli import _synth_municipalities

    places = _synth_municipalities("hart_van_brabant", None)
    spec = SynthSpec.from_size(households=2000, municipalities=places)
    assert spec.municipality == ("0766", "Dongen") and len(spec.chunk_sizes()) == 9
    assert sum(spec.chunk_sizes()) == 2000 and min(spec.chunk_sizes()) >= 200
    assert _synth_municipalities(None, "0784, 855")[1] == ("0855", "Tilburg")
    with pytest.raises(ValueError, match="200"):
        SynthSpec.from_size(households=1000, municipalities=places)
    with pytest.raises(ValueError, match="unknown region"):
        _synth_municipalities("randstad", None)


def test_a_region_pilot_publishes_its_profile_per_municipality_by_name(region, tmp_path):
    """The whole run on three municipalities with a target group by register rule: the
    household profile shows each municipality by name (not its wijken), checked against the
    household table; the report names the places."""
    from smartstart.bundle import check_bundle, read_bundle
    from smartstart.pipeline import run_pilot
    from smartstart.report import write_report

    path = tmp_path / "pilot.yaml"
    path.write_text(yaml.safe_dump({
        "study": {"name": "Regio", "gemeenten": CODES, "peildatum": str(P),
                  "target_group": {"rule": "main_benefit", "level": "3",
                                   "label_nl": "huishoudens in de bijstand"},
                  "analyses": ["profile", "areas"],
                  "areas": {"level": "gemeente", "measure": "target_group",
                            "select": {"top": 1}}},
        "paths": {"store": str(region / "store"), "output": str(tmp_path / "results")}}),
        "utf-8")
    result = run_pilot(load_pilot(path))
    assert check_bundle(result.bundle)[0] == []
    profile = read_bundle(result.bundle).table("profile_households")
    assert "wijk" not in set(profile["factor"])
    places = profile[profile["factor"] == "gemeente"]
    assert set(places["level"]) == set(CODES)
    households = pd.read_parquet(result.work / "households.parquet")
    for row in places.itertuples():  # households and target households per municipality
        here = households[households["gemeente"] == row.level]
        assert row.count_all == len(here)
        assert row.count_target == here["target_group"].sum()
        assert row.label_nl.split(": ")[1] == dict(REGION)[row.level]
    # the areas analysis per municipality: households and target households, as counted
    areas = read_bundle(result.bundle).table("areas_households").set_index("area")
    for code in CODES:
        here = households[households["gemeente"] == code]
        assert areas.loc[code, "households"] == len(here)
        assert areas.loc[code, "target_households"] == here["target_group"].sum()
    html = write_report(result.bundle, tmp_path / "rapport.html").read_text("utf-8")
    assert "Gilze en Rijen, Tilburg en Goirle" in html
    # the target group is compared with the region's households, and the report says so
    # (helper-44: "in de gemeente" in a region run)
    assert "naast alle huishoudens in de hele regio, op dezelfde kenmerken" in html
    assert "in de hele gemeente" not in html
    # the areas are shrunk towards the region's figure, and the report says so
    assert "meer op naar het gemiddelde van de regio." in " ".join(html.split())
    section = html[html.index('id="gebieden"'):html.index('id="controle"')]
    assert "Goirle" in section and "ontbreekt" not in section


@pytest.mark.parametrize(("study", "kind", "nl", "en"), [
    ({"gemeente": "0784"}, "one", "in de hele gemeente", "in the whole municipality"),
    ({"gemeenten": CODES}, "region", "in de hele regio", "in the whole region"),
    ({"regio": "hart_van_brabant"}, "region", "in de hele regio", "in the whole region"),
    ({"gemeenten": CODES, "all_of_store": True}, "all", "in alle gemeenten van de levering",
     "in all municipalities of the delivery"),
    # a list of one code is one municipality (helper-45)
    ({"gemeenten": ["0784"]}, "one", "in de hele gemeente", "in the whole municipality"),
    # a municipality's section of a region run compares with that municipality
    (Study(name="r", gemeenten=tuple(CODES), peildatum=P).section("0785").model_dump(
        mode="json"), "one", "in de hele gemeente", "in the whole municipality")])
def test_the_report_compares_with_the_place_the_run_covers(study, kind, nl, en):
    from types import SimpleNamespace

    from smartstart.report._pilot import whole
    from smartstart.report._text import term

    assert whole(SimpleNamespace(pilot=study)) == kind
    assert (term("whole", kind, "nl"), term("whole", kind, "en")) == (nl, en)
    # the areas' rule "above the figure of ..." names the same place
    from smartstart.report._areas import _rule

    rule = _rule({"select": {"above_municipality": True}, "level": "wijk", "whole": kind,
                  "measure": "outcome"}, "nl")
    assert rule.endswith(f"boven het cijfer van {term('whole_of', kind, 'nl')} ligt.")
    assert term("whole_of", kind, "nl") == nl.removeprefix("in ").replace("de hele ", "de ")


# --- gemeenten: all (issue 18) ------------------------------------------------------------

@pytest.mark.parametrize("word", ["all", "alle", "ALL"])
def test_all_is_every_municipality_of_the_store_and_nothing_before(tmp_path, word, region):
    from smartstart.linking import every_municipality

    study = _load(tmp_path, gemeenten=word)
    assert study.every_municipality
    with pytest.raises(RuntimeError, match="resolved against the store"):
        _ = study.municipalities
    resolved = every_municipality(region / "store", study)
    # independently of linking: the codes of the raw area table of the peildatum's year
    areas = pd.read_parquet(next((region / "cbs").rglob(f"VSLGWB{P.year}TAB*.parquet")))
    assert resolved.municipalities == tuple(sorted(areas[f"gem{P.year}"].dropna().unique()))
    assert set(CODES) < set(resolved.municipalities) and resolved.every_municipality
    assert every_municipality(region / "store", resolved) is resolved  # once is enough


def test_a_word_that_is_not_all_is_refused(tmp_path):
    with pytest.raises(SourceError, match="gemeenten"):
        _load(tmp_path, gemeenten="allemaal")


def test_all_links_what_naming_every_municipality_links(region):
    from smartstart.linking import every_municipality

    every = every_municipality(region / "store", Study(name="t", gemeenten="all",
                                                       peildatum=P))
    assert _persons(link(region / "store", every)).equals(
        _persons(link(region / "store", _study(list(every.municipalities)))))


def test_a_run_of_all_says_so_in_the_bundle(region, tmp_path):
    from smartstart.bundle import check_bundle, read_bundle
    from smartstart.pipeline import run_pilot

    path = tmp_path / "pilot.yaml"
    path.write_text(yaml.safe_dump({
        "study": {"name": "Alles", "gemeenten": "all", "peildatum": str(P), "analyses": []},
        "paths": {"store": str(region / "store"), "output": str(tmp_path / "results")}}),
        "utf-8")
    result = run_pilot(load_pilot(path))
    assert check_bundle(result.bundle)[0] == []
    study = read_bundle(result.bundle).manifest["pilot"]["study"]
    areas = pd.read_parquet(next((region / "cbs").rglob(f"VSLGWB{P.year}TAB*.parquet")))
    codes = sorted(areas[f"gem{P.year}"].dropna().unique())
    assert study["gemeenten"] == codes and study["all_of_store"] is True
    assert study["place_words"]["nl"] == f"alle gemeenten van de levering ({len(codes)})"


@pytest.mark.parametrize(("place", "words"), [
    ({}, "vielen buiten de gemeente of het venster"),
    ({"gemeenten": CODES}, "vielen buiten de regio of het venster"),
    ({"gemeenten": CODES, "all_of_store": True},
     "vielen buiten alle gemeenten van de levering of het venster")])
def test_the_partner_rows_fell_outside_the_place_the_run_covers(demo_run, place, words):
    """The demo's partner match, read as if its pilot were one municipality, a region or all of
    them: the rows that did not count fell outside that place (a region run said 'buiten de
    gemeente')."""
    from smartstart.bundle import read_bundle
    from smartstart.report._pilot import match
    from smartstart.report._source import Source

    bundle = read_bundle(demo_run / "results" / "bundle")
    study = bundle.manifest["pilot"]["study"]
    bundle.manifest["pilot"]["study"] = {**study, **place}
    part = match(Source(bundle, "nl"), "nl")
    said = " ".join(str(block) for block in part.blocks)
    assert words in said
