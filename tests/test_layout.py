"""The by-municipality layout gives exactly what the full files give, and goes stale safely."""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date

import pandas as pd
import pytest
from run_variants import copy_world

from smartstart.features import build_features
from smartstart.linking import link
from smartstart.pilot import Study, TargetGroup, Window
from smartstart.sources import build_layout, ingest
from smartstart.sources._layout import layout_unused
from smartstart.synth import SynthSpec, generate

TWO = (("0784", "Gilze en Rijen"), ("0001", "gemeente 0001"))
STUDY = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1),
              target_group=TargetGroup(partner_file="v", start_column="startdatum",
                                       end_column="einddatum",
                                       window=Window(start=date(2015, 1, 1),
                                                     end=date(2022, 12, 31))))


@pytest.fixture(scope="module")
def laid_out(tmp_path_factory):
    root = tmp_path_factory.mktemp("layout")
    # two municipalities of 1,500 households (12,000 before: the demo's 11,346 and 654): the
    # layout is a partition by municipality, its tests compare the tables it gives with the
    # full files' row for row and need both municipalities, not a large one
    generate(root / "cbs", SynthSpec(households=3_000, seed=5, municipalities=TWO))
    ingest(root / "cbs", root / "store")
    build_layout(root / "store")
    return root


def _tables(root, gemeente="0784"):
    # the food bank's clients live in 0784: a pilot elsewhere with it would have an empty target
    # group, which stops a run, so the other municipality is linked without one
    own = gemeente == "0784"
    study = STUDY.model_copy(update={"gemeente": gemeente,
                                     "target_group": STUDY.target_group if own else None})
    partner = root / "cbs" / "Partner" / "Voedselbank" / "voedselbank_klanten.csv"
    linked = link(root / "store", study, partner if own else None)
    return build_features(linked.db, study), linked


def _equal_to_full_files(root, aside, gemeente="0784"):
    """A municipality's tables from the layout of ``root`` equal those from the full files
    (the layout is moved to ``aside`` for the second run and back)."""
    with_layout, linked = _tables(root, gemeente)
    assert "layout" in linked.db.sources.values()
    shutil.move(root / "store" / "_gemeente", aside / "_gemeente")
    try:
        without, plain = _tables(root, gemeente)
        assert set(plain.db.sources.values()) == {"full"}
    finally:
        shutil.move(aside / "_gemeente", root / "store" / "_gemeente")
    assert len(with_layout.children) > 0
    pd.testing.assert_frame_equal(with_layout.households, without.households)
    pd.testing.assert_frame_equal(with_layout.children, without.children)
    if gemeente == "0784":
        pd.testing.assert_frame_equal(linked.match, plain.match)
    else:
        assert linked.match is None and plain.match is None


@pytest.mark.parametrize("gemeente", ["0784", "0001"])
def test_layout_equals_full_files(laid_out, tmp_path, gemeente):
    _equal_to_full_files(laid_out, tmp_path, gemeente)


def test_a_changed_store_makes_the_layout_stale(laid_out, tmp_path):
    manifest = laid_out / "store" / "manifest.json"
    original = manifest.read_text("utf-8")
    data = json.loads(original)
    data["entries"][0]["sha256"] = "0" * 64
    manifest.write_text(json.dumps(data), "utf-8")
    try:
        _, linked = _tables(laid_out)
        assert set(linked.db.sources.values()) == {"full"}
        # the run's summary says why, and what to do
        assert "opslag is veranderd" in layout_unused(laid_out / "store", ("0784",),
                                                      STUDY.peildatum)
    finally:
        manifest.write_text(original, "utf-8")
    assert layout_unused(laid_out / "store", ("0784", "0001"), STUDY.peildatum) is None
    assert layout_unused(laid_out / "cbs", ("0784",), STUDY.peildatum) is None  # none there


def test_a_partner_person_from_elsewhere_is_outside_not_unknown(laid_out, tmp_path):
    import duckdb

    store = laid_out / "store"
    here = store / "_gemeente" / "GBAPERSOONTAB" / "2022" / "_gem=0784" / "*.parquet"
    there = store / "_gemeente" / "GBAPERSOONTAB" / "2022" / "_gem=0001" / "*.parquet"
    stranger = duckdb.sql(
        f"SELECT RINPERSOON FROM read_parquet('{there.as_posix()}') WHERE RINPERSOON NOT IN "
        f"(SELECT RINPERSOON FROM read_parquet('{here.as_posix()}')) LIMIT 1").fetchall()[0][0]
    source = laid_out / "cbs" / "Partner" / "Voedselbank" / "voedselbank_klanten.csv"
    partner = pd.read_csv(source, sep=";", encoding="latin-1", dtype=str, keep_default_na=False)
    extra = partner.iloc[[0]].assign(RINPERSOONS="R", RINPERSOON=stranger)
    path = tmp_path / "partner.csv"
    pd.concat([partner, extra]).to_csv(path, sep=";", index=False, encoding="latin-1")

    def outside() -> int:
        match = link(store, STUDY, path).match.set_index("link_status")["n"]
        return int(match.get("buiten de gemeente", 0))

    with_layout = outside()
    shutil.move(store / "_gemeente", tmp_path / "_gemeente")
    try:
        assert outside() == with_layout
    finally:
        shutil.move(tmp_path / "_gemeente", store / "_gemeente")
    baseline = link(store, STUDY, source).match.set_index("link_status")["n"]
    assert with_layout == int(baseline.get("buiten de gemeente", 0)) + 1


def _parts(folder) -> pd.DataFrame:
    frame = pd.read_parquet(folder)
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def test_adding_one_table_splits_that_table_only(laid_out, tmp_path):
    """Issue 18: a rebuild keeps the parts of every unchanged table (same file, same
    membership) and splits only the table that is new since the last build; the result is
    the fresh build's, row for row. A change of who-lives-where splits everything again."""
    store = tmp_path / "store"
    shutil.copytree(laid_out / "store", store)
    again = build_layout(store)
    assert again.split == () and len(again.kept) > 20  # nothing changed: nothing split
    info = store / "_gemeente" / "layout.json"
    recorded = json.loads(info.read_text())
    added = "JGDBESCHERMBUS/2022"
    assert added in recorded["sources"]
    # the last build as it was before the youth-protection file was delivered
    del recorded["sources"][added]
    info.write_text(json.dumps(recorded))
    shutil.rmtree(store / "_gemeente" / "JGDBESCHERMBUS" / "2022")
    rebuilt = build_layout(store)
    assert rebuilt.split == (added,)
    assert added not in rebuilt.kept and "GBAPERSOONTAB/2022" in rebuilt.kept
    fresh = laid_out / "store" / "_gemeente"
    for table in ("JGDBESCHERMBUS/2022", "GBAPERSOONTAB/2022", "INHATAB/2021"):
        for part in ("_gem=0784", "_gem=0001"):
            pd.testing.assert_frame_equal(_parts(store / "_gemeente" / table / part),
                                          _parts(fresh / table / part))
    _, linked = _tables(tmp_path, "0001")
    assert "layout" in linked.db.sources.values()
    # another address file: who belongs where may change, so every table is split again
    recorded = json.loads(info.read_text())
    key = next(k for k in recorded["sources"] if k.startswith("VSLGWBTAB/"))
    recorded["sources"][key] = "0" * 64
    info.write_text(json.dumps(recorded))
    assert build_layout(store).kept == ()


def test_the_layout_serves_from_the_first_area_year(laid_out, tmp_path):
    """The parts hold the persons with an address spell lasting into the first area year
    (VSLGWBTAB): on 1 January of that year the layout gives the full files' tables; a
    peildatum before it (the nearest area year) reads the full files, and a person whose
    only spells in the municipality ended before it is in no part."""
    import duckdb

    store = laid_out / "store"
    years = sorted(int(p.stem) for p in (store / "VSLGWBTAB").glob("*.parquet"))
    served = json.loads((store / "_gemeente" / "layout.json").read_text())["from"]
    assert served == f"{years[0]}-01-01"
    first = STUDY.model_copy(update={"peildatum": date(years[0], 1, 1),
                                     "allow_nearest_year": True})
    before = STUDY.model_copy(update={"peildatum": date(years[0] - 2, 6, 30),
                                      "allow_nearest_year": True})

    def tables(study):
        partner = laid_out / "cbs" / "Partner" / "Voedselbank" / "voedselbank_klanten.csv"
        linked = link(store, study, partner)
        return build_features(linked.db, study), linked

    on_first, linked = tables(first)
    assert "layout" in linked.db.sources.values()
    early, linked_early = tables(before)
    assert set(linked_early.db.sources.values()) == {"full"}
    assert layout_unused(store, ("0784",), before.peildatum) == (
        f"de indeling per gemeente dient peildatums vanaf {years[0]}-01-01; een eerdere "
        "peildatum leest altijd de volledige bestanden")
    shutil.move(store / "_gemeente", tmp_path / "_gemeente")
    try:
        plain, _ = tables(first)
    finally:
        shutil.move(tmp_path / "_gemeente", store / "_gemeente")
    assert len(on_first.households) > 0 and len(early.households) > 0
    pd.testing.assert_frame_equal(on_first.households, plain.households)
    pd.testing.assert_frame_equal(on_first.children, plain.children)
    # the address part of 0784 holds exactly the rule's persons, found here on the text keys
    spells = (store / "GBAADRESOBJECTBUS").glob("*.parquet")
    address = max(spells, key=lambda p: int(p.stem)).as_posix()
    objects = "[" + ", ".join(f"'{p.as_posix()}'" for p in (store / "VSLGWBTAB").glob("*")) + "]"
    part = (store / "_gemeente" / "GBAADRESOBJECTBUS" / "2022" / "_gem=0784").as_posix()
    rule = duckdb.sql(f"""
        SELECT DISTINCT RINPERSOONS, RINPERSOON FROM read_parquet('{address}') AS a
        SEMI JOIN (SELECT * FROM read_parquet({objects}) WHERE gem = '0784') AS o
            USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)
        WHERE coalesce(GBADATUMEINDEADRESHOUDING, DATE '9999-12-31')
              >= DATE '{years[0]}-01-01'""").fetchall()
    inside = duckdb.sql(f"SELECT DISTINCT RINPERSOONS, RINPERSOON "
                        f"FROM '{part}/*.parquet'").fetchall()
    assert len(rule) > 1000 and set(inside) == set(rule)


@pytest.mark.parametrize("pool", ["delivery", "region"])
def test_the_effect_panel_pool_is_whole_with_a_layout(laid_out, tmp_path, pool):
    """The effect panel's comparison pool may reach beyond the pilot's municipalities (the
    delivery's every buurt): its residents and events are then read from the full files, not
    from the pilot's parts (which hold only persons who ever lived in the pilot)."""
    from smartstart.features._panel import effect_panel
    from smartstart.linking import Database, StudyDates

    plan = {"start": 2019, "treated": {"buurten": ["07840103"]}, "outcomes": ["jeugdhulp"],
            "pool": pool, "years": [2016, 2021]}
    study = Study(name="t", gemeente="0784", peildatum=date(2020, 1, 1), analyses=("effect",),
                  effect=plan)

    def panel() -> pd.DataFrame:
        db = Database(laid_out / "store", StudyDates.of(study))
        frame = effect_panel(db, study.effect, study.municipalities, study.regio)
        return frame.sort_values(["outcome", "year", "area"]).reset_index(drop=True)

    with_layout = panel()
    shutil.move(laid_out / "store" / "_gemeente", tmp_path / "_gemeente")
    try:
        without = panel()
    finally:
        shutil.move(tmp_path / "_gemeente", laid_out / "store" / "_gemeente")
    assert with_layout["gemeente"].nunique() > 2  # the synthetic delivery's neighbours too
    pd.testing.assert_frame_equal(with_layout, without)


def test_a_layout_of_named_municipalities_serves_those_only(laid_out, tmp_path):
    """``smartstart layout --gemeenten 0001``: the parts of 0001 alone, the same rows as the
    whole layout's; a pilot of 0784 then reads the full files (its absent parts are not 'no
    rows'), a pilot of 0001 its parts, with the full files' tables. An unknown code is an
    error that names it, and the CLI ends with a summary."""
    from typer.testing import CliRunner

    from smartstart.cli import app
    from smartstart.sources.errors import SourceError

    store = tmp_path / "store"
    shutil.copytree(laid_out / "store", store, ignore=shutil.ignore_patterns("_gemeente"))
    shutil.copytree(laid_out / "store" / "_gemeente", store / "_gemeente")
    result = CliRunner().invoke(app, ["layout", "--store", str(store), "--gemeenten", "0001"])
    assert result.exit_code == 0, result.output
    assert "klaar" in result.output and "0001" in result.output
    said = " ".join(result.output.split())  # the layout of all it replaced, said (helper-44)
    assert "vorige indeling vervangen: die diende alle gemeenten, peildatums vanaf" in said
    assert "deze dient gemeente 0001, peildatums vanaf" in said
    assert json.loads((store / "_gemeente" / "layout.json").read_text())["gemeenten"] == ["0001"]
    assert not list((store / "_gemeente").glob("*/*/_gem=0784"))
    fresh = laid_out / "store" / "_gemeente"
    for table in ("GBAPERSOONTAB/2022", "INHATAB/2021", "VSLGWBTAB/2020", "KINDOUDERTAB/2022"):
        pd.testing.assert_frame_equal(_parts(store / "_gemeente" / table / "_gem=0001"),
                                      _parts(fresh / table / "_gem=0001"), obj=table)
    here, linked = _tables(tmp_path, "0001")
    assert "layout" in linked.db.sources.values()
    whole, _ = _tables(laid_out, "0001")
    pd.testing.assert_frame_equal(here.households, whole.households)
    shutil.copytree(laid_out / "cbs" / "Partner", tmp_path / "cbs" / "Partner")
    _, other = _tables(tmp_path, "0784")
    assert set(other.db.sources.values()) == {"full"}
    assert "heeft gemeente 0784 van deze pilot niet" in layout_unused(store, ("0001", "0784"),
                                                                      STUDY.peildatum)
    with pytest.raises(SourceError, match="9999"):
        build_layout(store, ("0001", "9999"))
    bad = CliRunner().invoke(app, ["layout", "--store", str(store), "--regio", "nergens"])
    assert bad.exit_code == 1 and "nergens" in bad.output


def test_a_layout_that_cannot_be_written_is_one_clear_line(laid_out, tmp_path, monkeypatch):
    """A full disk while splitting (DuckDB's IOException): exit 1 with what to do, the last
    layout left as it was."""
    import duckdb
    from typer.testing import CliRunner

    from smartstart.cli import app
    from smartstart.sources import _layout

    store = tmp_path / "store"
    shutil.copytree(laid_out / "store", store)
    info = store / "_gemeente" / "layout.json"
    recorded = json.loads(info.read_text())
    del recorded["sources"]["JGDBESCHERMBUS/2022"]  # as if delivered since: it is split
    info.write_text(json.dumps(recorded))
    before = info.read_text()

    def full(*_args, **_kwargs):
        raise duckdb.IOException('Could not write file "x.tmp": No space left on device')

    monkeypatch.setattr(_layout, "_split", full)
    result = CliRunner().invoke(app, ["layout", "--store", str(store)])
    assert result.exit_code == 1
    said = " ".join(result.output.split())  # the console wraps at 80 columns
    assert "No space left on device" in said and "free about twice" in said
    assert "Traceback" not in result.output
    assert (store / "_gemeente" / "layout.json").read_text() == before
    assert not (store / "_gemeente.partial").exists()


def test_every_person_keyed_table_is_laid_out(laid_out):
    """Each table of the store keyed on the person (by the catalog, not a list kept by hand:
    youth probation and suspects were missing from one) has its parts in the layout, so an
    outcome read from it does not fall back to the national file."""
    from smartstart.sources._catalog import load_catalog
    from smartstart.sources._store import read_manifest

    catalog = load_catalog()
    keyed = {t for t, _ in read_manifest(laid_out / "store")
             if catalog.table(t).key[:2] == ("RINPERSOONS", "RINPERSOON")}
    assert {"JGDRECLASSERINGBUS", "VERDACHTENBUS", "GBAADRESOBJECTBUS"} <= keyed
    missing = sorted(t for t in keyed if not (laid_out / "store" / "_gemeente" / t).is_dir())
    # but those that nothing reads (the data request says not to ask for them)
    assert missing == ["INPATAB"]


def test_a_layout_from_a_later_year_serves_from_then(laid_out, tmp_path):
    """``smartstart layout --vanaf Y``: the parts hold the persons with an address spell at an
    address of the municipality (by the area files from Y on) lasting into Y, and of a yearly
    table the years from Y - 1 and its newest (of the area file VSLGWBTAB from Y); on a
    peildatum from 1 January Y every table is read from the parts and the tables equal the
    full files'; a peildatum before Y reads the full files; a year after the newest area file
    is an error that names the years."""
    import duckdb
    from typer.testing import CliRunner

    from smartstart.cli import app
    from smartstart.sources.errors import SourceError

    store = tmp_path / "store"
    shutil.copytree(laid_out / "store", store, ignore=shutil.ignore_patterns("_gemeente"))
    shutil.copytree(laid_out / "cbs" / "Partner", tmp_path / "cbs" / "Partner")
    years = sorted(int(p.stem) for p in (store / "VSLGWBTAB").glob("*.parquet"))
    since = years[-2]
    result = CliRunner().invoke(app, ["layout", "--store", str(store), "--vanaf", str(since)])
    assert result.exit_code == 0, result.output
    assert f"peildatum vanaf {since}-01-01" in " ".join(result.output.split())
    parts = store / "_gemeente"
    assert json.loads((parts / "layout.json").read_text())["from"] == f"{since}-01-01"
    # income of the year before a peildatum from ``since`` to the last area year
    inha = sorted(int(p.name) for p in (parts / "INHATAB").iterdir())
    assert inha == [y for y in years if since - 1 <= y <= years[-1] - 1]
    # the area file of the peildatum's own year only: the year before is never read from parts
    assert sorted(int(p.name) for p in (parts / "VSLGWBTAB").iterdir()) == [
        y for y in years if y >= since]

    def tables(study):
        partner = tmp_path / "cbs" / "Partner" / "Voedselbank" / "voedselbank_klanten.csv"
        linked = link(store, study, partner)
        return build_features(linked.db, study), linked

    # two years of outcome: the delivery ends in the year after ``since``
    outcome = STUDY.outcome.model_copy(update={"window_years": 2})
    on_since = STUDY.model_copy(update={"peildatum": date(since, 1, 1), "outcome": outcome})
    here, linked = tables(on_since)
    # (the partner's unknown keys are looked up in the full person file, as with any layout)
    assert {k for k, v in linked.db.sources.items()
            if v != "layout" and not k.endswith("_full")} == set()
    earlier, linked_earlier = tables(STUDY.model_copy(update={
        "peildatum": date(since - 1, 12, 31), "outcome": outcome}))
    assert set(linked_earlier.db.sources.values()) == {"full"}
    # the flow starts from the persons with a spell there lasting into the peildatum, with or
    # without a layout: it says so
    assert f"tot de peildatum (01-01-{since})" in linked.attrition["reason"].iloc[0]
    assert f"tot de peildatum (31-12-{since - 1})" in linked_earlier.attrition["reason"].iloc[0]
    assert f"--vanaf {since - 1}" in layout_unused(store, ("0784",), date(since - 1, 12, 31))
    shutil.move(parts, tmp_path / "_gemeente")
    try:
        plain, linked_plain = tables(on_since)
    finally:
        shutil.move(tmp_path / "_gemeente", parts)
    assert len(here.households) > 0 and len(earlier.households) > 0
    pd.testing.assert_frame_equal(here.households, plain.households)
    pd.testing.assert_frame_equal(here.children, plain.children)
    # the flow too, its first steps included (helper-48: they counted from another day)
    pd.testing.assert_frame_equal(linked.attrition, linked_plain.attrition)
    # the address part holds exactly the rule's persons, fewer than the whole layout's
    address = max((store / "GBAADRESOBJECTBUS").glob("*.parquet"), key=lambda p: int(p.stem))
    objects = "[" + ", ".join(f"'{(store / 'VSLGWBTAB' / f'{y}.parquet').as_posix()}'"
                              for y in years if y >= since) + "]"
    rule = duckdb.sql(f"""
        SELECT DISTINCT RINPERSOONS, RINPERSOON FROM read_parquet('{address.as_posix()}') AS a
        SEMI JOIN (SELECT * FROM read_parquet({objects}) WHERE gem = '0784') AS o
            USING (SOORTOBJECTNUMMER, RINOBJECTNUMMER)
        WHERE coalesce(GBADATUMEINDEADRESHOUDING, DATE '9999-12-31') >= DATE '{since}-01-01'
        """).fetchall()

    def persons(folder) -> set:
        part = (folder / "GBAADRESOBJECTBUS" / address.stem / "_gem=0784").as_posix()
        return set(duckdb.sql(f"SELECT DISTINCT RINPERSOONS, RINPERSOON "
                              f"FROM '{part}/*.parquet'").fetchall())

    assert len(rule) > 1000 and persons(parts) == set(rule)
    assert len(persons(laid_out / "store" / "_gemeente")) > len(rule)
    with pytest.raises(SourceError, match=f"{years[-1] + 1}.*delivered: {years[0]}"):
        build_layout(store, since=years[-1] + 1)


def test_a_vanaf_before_the_first_area_year_is_the_layout_of_every_year(laid_out, tmp_path):
    """``--vanaf`` at or before the first area year serves what the layout of every year
    serves: recorded as that layout, so switching between the two splits nothing again
    (helper-44: every switch re-split every file)."""
    store = tmp_path / "store"
    shutil.copytree(laid_out / "store", store)
    years = sorted(int(p.stem) for p in (store / "VSLGWBTAB").glob("*.parquet"))
    built = build_layout(store, since=years[0] - 20)
    assert built.split == () and len(built.kept) > 20
    assert built.served == date(years[0], 1, 1)
    assert json.loads((store / "_gemeente" / "layout.json").read_text())["since"] is None


def test_parts_written_in_several_files_give_the_full_files_tables(laid_out, tmp_path):
    """A part may be several files: DuckDB's partitioned writer closes and reopens files
    beyond ``partitioned_write_max_open_files`` (``_open_files``: half the process's limit
    where that is below one per municipality; with DuckDB's default of 100, 30,505 files for
    288 municipalities); linking reads every file of a part. Here each part of 0784 is
    rewritten as two files, half its rows each."""
    import pyarrow.parquet as pq

    shutil.copytree(laid_out / "cbs", tmp_path / "cbs")
    shutil.copytree(laid_out / "store", tmp_path / "store")
    parts = list((tmp_path / "store" / "_gemeente").glob("*/*/_gem=0784"))
    assert parts
    for part in parts:
        (only,) = part.glob("*.parquet")
        rows = pq.read_table(only)
        only.unlink()
        half = rows.num_rows // 2
        pq.write_table(rows.slice(0, half), part / "a.parquet")
        pq.write_table(rows.slice(half), part / "b.parquet")
    (tmp_path / "aside").mkdir()
    _equal_to_full_files(tmp_path, tmp_path / "aside")


@pytest.mark.skipif(sys.platform == "win32", reason="no resource module on Windows")
@pytest.mark.parametrize(("soft", "expected"), [(256, 128), (1024, 512), (20_000, 1_000),
                                                (None, 1_000), (1, 1)])
def test_the_writer_keeps_a_file_per_municipality_open_within_the_process_limit(
        monkeypatch, soft, expected):
    """One open file per municipality (so a part is one file), at most half the process's limit
    on open files (macOS: 256 by default), and all of ``OPEN_FILES`` without a limit."""
    import resource

    from smartstart.sources import _layout

    limit = resource.RLIM_INFINITY if soft is None else soft
    monkeypatch.setattr(resource, "getrlimit", lambda which: (limit, resource.RLIM_INFINITY))
    assert _layout._open_files() == expected


def test_without_a_process_limit_on_open_files_the_writer_keeps_them_all(monkeypatch):
    """Windows has no ``resource`` module: all of ``OPEN_FILES``."""
    from smartstart.sources import _layout

    monkeypatch.setitem(sys.modules, "resource", None)  # import resource: ImportError
    assert _layout._open_files() == _layout.OPEN_FILES == 1_000


def test_the_demo_from_a_vanaf_layout_equals_the_demo_without_one(demo_run, tmp_path):
    """The demo's whole run (profile, risk, typology, areas with schools) from a layout laid
    out from the peildatum's year: every table of ``work/`` and of the bundle as without a
    layout, the flow included (helper-48: its first steps counted from the layout's first day,
    and the pupils per school only those who lived in the municipality: 3,269 of 3,295)."""
    from rich.console import Console

    from smartstart.pilot import load_pilot
    from smartstart.pipeline import run_pilot

    copy_world(demo_run, tmp_path)  # the store copied, the CBS files shared
    shutil.copy(demo_run / "pilot.yaml", tmp_path / "pilot.yaml")
    study = load_pilot(tmp_path / "pilot.yaml").study
    build_layout(tmp_path / "store", since=study.peildatum.year)
    assert layout_unused(tmp_path / "store", study.municipalities, study.peildatum) is None
    run_pilot(load_pilot(tmp_path / "pilot.yaml"), console=Console(quiet=True))
    compared = 0
    for folder in ("work", "bundle/tables"):
        for theirs in sorted((demo_run / "results" / folder).glob("*.parquet")):
            ours = pd.read_parquet(tmp_path / "results" / folder / theirs.name)
            theirs_frame = pd.read_parquet(theirs)
            # row order is free, but the flow's and the durations' (helper-48: they varied)
            if folder == "work" and theirs.name not in ("attrition.parquet", "durations.parquet"):
                ours, theirs_frame = (f.sort_values(list(f.columns), ignore_index=True)
                                      for f in (ours, theirs_frame))
            pd.testing.assert_frame_equal(ours, theirs_frame, obj=f"{folder}/{theirs.name}")
            compared += 1
    assert compared > 20
    schools = pd.read_parquet(tmp_path / "results" / "work" / "schools.parquet")
    assert schools["pupils"].sum() > 1000
