"""Nothing fails silently: an empty step stops the run with its cause and no bundle; only a
named lack of data turns an analysis into "not run"; a full disk is one line."""

from __future__ import annotations

import errno
import json

import pandas as pd
import pytest
from run_variants import DEMO, copy_world, duplicate_rows, pilot
from typer.testing import CliRunner

from smartstart import outputs
from smartstart.cli import app
from smartstart.errors import DuplicateKeys, Empty, LackOfData, SourceError
from smartstart.outputs import publish
from smartstart.outputs._work import Work
from smartstart.pilot import load_pilot
from smartstart.pipeline import run_pilot
from smartstart.report import write_report
from smartstart.report._text import texts

runner = CliRunner()
TARGET = DEMO["study"]["target_group"]


@pytest.fixture(scope="module")
def world(run_world):
    return run_world  # built once per session; each test alters a copy (copy_world)


def _cli(path):
    return runner.invoke(app, ["run", str(path)])


def test_a_municipality_not_in_the_area_table_stops_naming_the_codes_there(world, tmp_path):
    root = copy_world(world, tmp_path)
    # without areas: with them the boundaries file is read first and names 0363 as missing
    # there (tests/test_boundaries.py)
    path = pilot(root, gemeente="0363", analyses=["profile", "risk"])
    with pytest.raises(Empty) as error:
        run_pilot(load_pilot(path))
    assert error.value.step == "residents"
    assert "0784" in str(error.value)  # the municipality the delivery does hold
    result = _cli(path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not (root / "results" / "bundle").exists()


def test_a_peildatum_before_every_address_spell_stops_naming_the_dates(world, tmp_path):
    root = copy_world(world, tmp_path)
    path = pilot(root, peildatum="1990-01-01", allow_nearest_year=True)
    with pytest.raises(Empty) as error:
        run_pilot(load_pilot(path))
    assert error.value.step == "residents"
    spells = pd.read_parquet(next((root / "store" / "GBAADRESOBJECTBUS").glob("*.parquet")))
    first = spells["GBADATUMAANVANGADRESHOUDING"].min()  # no spell of anyone starts earlier
    assert str(first) in str(error.value)
    assert _cli(path).exit_code == 1
    assert not (root / "results").exists()


def test_a_date_format_that_does_not_fit_stops_before_linking(world, tmp_path):
    root = copy_world(world, tmp_path)
    path = pilot(root, target_group={**TARGET, "date_format": "%Y-%m-%d"})
    with pytest.raises(SourceError) as error:
        run_pilot(load_pilot(path))
    assert "startdatum" in str(error.value) and "%Y-%m-%d" in str(error.value)
    assert _cli(path).exit_code == 1
    assert not (root / "results").exists()


def test_no_target_household_stops_with_the_link_statuses(world, tmp_path):
    root = copy_world(world, tmp_path)
    path = pilot(root, target_group={**TARGET, "window": {"start": "1990-01-01",
                                                          "end": "1991-01-01"}})
    with pytest.raises(Empty) as error:
        run_pilot(load_pilot(path))
    assert error.value.step == "target_group"
    assert "buiten het venster" in str(error.value)
    assert _cli(path).exit_code == 1
    assert not (root / "results").exists()


def test_an_outcome_window_past_the_delivery_stops_naming_its_tables(world, tmp_path):
    """A window that runs past the newest year of the outcome's tables would count their
    later events as absent (helper-41: it ran without a word). The delivery ends in 2022."""
    root = copy_world(world, tmp_path)
    for peildatum, hint in (("2021-06-01", "window_years: 1"), ("2023-01-01", "2020-01-01")):
        path = pilot(root, peildatum=peildatum, allow_nearest_year=True)
        with pytest.raises(SourceError) as error:
            run_pilot(load_pilot(path))
        said = str(error.value) + " " + (error.value.hint or "")
        assert "JGDHULPBUS (2022)" in said and "JGDBESCHERMBUS (2022)" in said, said
        assert "2020-01-01 or earlier" in said and hint in said, said
        assert _cli(path).exit_code == 1
        assert not (root / "results").exists()


def test_the_problems_of_the_inputs_come_at_once_before_linking(world, tmp_path, monkeypatch):
    """A partner file whose dates do not fit the pilot's format and a window past the delivery:
    both in one error, before anything is linked (helper-41: one run per problem)."""
    import smartstart._to_work as to_work

    def no_linking(*args, **kwargs):
        raise AssertionError("linked before the inputs were checked")

    monkeypatch.setattr(to_work, "link", no_linking)
    root = copy_world(world, tmp_path)
    path = pilot(root, peildatum="2021-06-01", allow_nearest_year=True,
                 target_group={**TARGET, "date_format": "%Y-%m-%d"})
    with pytest.raises(SourceError) as error:
        run_pilot(load_pilot(path))
    said = str(error.value)
    assert said.startswith("2 problems with the pilot's inputs:"), said
    assert "startdatum" in said and "%Y-%m-%d" in said, said
    assert "JGDHULPBUS (2022)" in said and "window_years: 1" in said, said
    assert said.count("what to do:") == 2, said
    result = _cli(path)
    assert result.exit_code == 1
    assert "startdatum" in result.output and "JGDHULPBUS (2022)" in result.output, result.output
    assert not (root / "results").exists()


def test_an_outcome_without_cases_stops_naming_its_tables(world, tmp_path, monkeypatch):
    """A peildatum after the delivery (nearest years allowed; the window's check above left
    out, as for a delivery whose outcome tables reach on but hold no case): no outcome can
    start."""
    import smartstart.features as features
    import smartstart.pipeline as pipeline

    for module in (features, pipeline):
        monkeypatch.setattr(module, "require_window", lambda *args: None)
    root = copy_world(world, tmp_path)
    path = pilot(root, peildatum="2023-01-01", allow_nearest_year=True)
    with pytest.raises(Empty) as error:
        run_pilot(load_pilot(path))
    assert error.value.step == "outcome"
    assert "JGDHULPBUS" in str(error.value) and "JGDBESCHERMBUS" in str(error.value)
    assert _cli(path).exit_code == 1
    assert not (root / "results").exists()


def test_a_duplicated_person_stops_instead_of_counting_twice(world, tmp_path):
    root = copy_world(world, tmp_path)
    partner = world / "cbs" / "Partner" / "Voedselbank" / "voedselbank_klanten.csv"
    keys = [line.split(";")[1] for line in partner.read_text("latin-1").splitlines()[1:4]
            if line.startswith("R;")]
    duplicate_rows(root / "store", "GBAPERSOONTAB", 2022, keys)
    with pytest.raises(DuplicateKeys) as error:
        run_pilot(load_pilot(pilot(root)))
    assert error.value.table == "GBAPERSOONTAB"
    assert error.value.count == len(keys) and "GBAPERSOON" in error.value.file


def test_the_effect_analysis_without_a_plan_is_refused_at_load(tmp_path):
    path = pilot(tmp_path, analyses=["profile", "effect"])
    with pytest.raises(SourceError) as error:
        load_pilot(path)
    assert "study.effect" in str(error.value)
    assert _cli(path).exit_code == 1


def test_a_full_disk_is_one_line_not_a_traceback(world, tmp_path, monkeypatch):
    import smartstart._to_work as to_work

    def full(work, *args):
        raise OSError(errno.ENOSPC, "No space left on device", str(work))

    monkeypatch.setattr(to_work, "_write_atomically", full)
    root = copy_world(world, tmp_path)
    result = _cli(pilot(root, analyses=["profile"]))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    # the linking's steps as they were done (a line each without a terminal), then the error
    said = [line for line in result.output.strip().splitlines()
            if not line.startswith("koppelen en kenmerken berekenen: ")]
    assert len(said) <= 2 and said[0].startswith("error: No space left")  # wrapped at most once


@pytest.fixture(scope="module")
def work(world, tmp_path_factory):
    root = copy_world(world, tmp_path_factory.mktemp("work"))
    run_pilot(load_pilot(pilot(root, analyses=["profile"])))
    return Work.read(root / "results" / "work"), load_pilot(pilot(root)).study


def test_only_a_named_lack_of_data_is_caught(work, monkeypatch):
    tables, study = work

    def thin(study, work, out):
        raise LackOfData("too_few_households", "two households")

    monkeypatch.setattr(outputs, "_typology", thin)
    out = publish(study.model_copy(update={"analyses": ("typology",)}), tables)
    assert out.lacking == [("typology", "too_few_households", "two households")]
    assert [name for name, _ in out.withheld] == ["typology"]

    def bug(study, work, out):
        raise ValueError("a bug, not a lack of data")

    monkeypatch.setattr(outputs, "_typology", bug)
    with pytest.raises(ValueError):
        publish(study.model_copy(update={"analyses": ("typology",)}), tables)


def test_the_manifest_records_an_analysis_not_run(world, tmp_path, monkeypatch):
    def thin(study, work, out):
        raise LackOfData("too_few_households", "two households")

    monkeypatch.setattr(outputs, "_typology", thin)
    root = copy_world(world, tmp_path)
    result = _cli(pilot(root, analyses=["profile", "typology"]))
    assert result.exit_code == 0, result.output
    manifest = json.loads((root / "results" / "bundle" / "manifest.json").read_text("utf-8"))
    assert manifest["lack_of_data"] == [{"analysis": "typology", "reason": "too_few_households",
                                         "detail": "two households"}]
    assert "typology" in {w["name"] for w in manifest["withheld"]}
    html = write_report(root / "results" / "bundle", tmp_path / "r.html").read_text("utf-8")
    assert texts()["lack_reason"]["too_few_households"]["nl"] in html  # the typed reason


@pytest.mark.parametrize("error", [
    Empty("residents", "0002: no one lives there", hint="check the code"),
    DuplicateKeys("GBAPERSOONTAB", "persons.parquet", ("RINPERSOONS", "RINPERSOON"), 3, "R 1"),
    LackOfData("too_few_households", "fewer than the typology needs"),
    SourceError("bad file", hint="fix it", kind="unreadable"),
])
def test_an_error_crosses_into_another_process_whole(error, spawned):
    """A per_gemeente run's workers are spawned: their errors come back pickled, with their
    type, message and fields (an error that cannot be unpickled broke the whole pool)."""
    import pickle

    back = pickle.loads(pickle.dumps(error))
    assert (type(back), str(back), back.__dict__) == (type(error), str(error), error.__dict__)
    with pytest.raises(type(error)) as raised:
        spawned.submit(_raise, error).result()
    assert (str(raised.value), raised.value.__dict__) == (str(error), error.__dict__)
    assert spawned.submit(_raise, None).result() is None  # the worker lives on


@pytest.fixture(scope="module")
def spawned():
    """One spawned worker for the errors above (each start imports this module again)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool


def _raise(error: Exception | None) -> None:
    if error is not None:
        raise error
