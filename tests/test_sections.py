"""``per_gemeente: true`` (issue 18): a region run also publishes every municipality's own
analyses, each in a bundle of its own, identical to what that municipality's run alone
publishes; and the register holds over all the run's bundles together (an attacker has them
all)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from smartstart.bundle import check_bundle, read_bundle
from smartstart.bundle._check import _study_settings
from smartstart.disclosure import attack_register, register_of
from smartstart.disclosure._sections import in_section, shared_variables
from smartstart.features import identical_levels, nested_levels, using
from smartstart.pilot import load_pilot
from smartstart.pipeline import run_pilot
from smartstart.sources import ingest
from smartstart.synth import SynthSpec, generate

REGION = (("0784", "Gilze en Rijen"), ("0855", "Tilburg"), ("0785", "Goirle"))
CODES = [code for code, _ in REGION]
#: the municipalities also run alone (two of the three: each section takes the same path, and
#: a run alone costs a tenth of the suite's time budget for this module)
ALONE = (CODES[0], CODES[2])
STUDY = {"peildatum": "2020-01-01",
         "target_group": {"rule": "main_benefit", "level": "3",
                          "label_nl": "huishoudens in de bijstand"},
         "analyses": ["profile", "typology", "areas"],
         "areas": {"level": "wijk", "measure": "outcome", "select": {"top": 2}}}
#: what only a run of its own publishes: the linking's flow is the region's in a region run
FLOW = {"attrition", "match", "duration"}


def _run(root: Path, name: str, place: dict, workers: int = 2, released=()):
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump({
        "study": {"name": name, **place, **STUDY},
        "paths": {"store": str(root / "store"), "output": str(root / name),
                  "workers": workers, "released": [str(r) for r in released]}}), "utf-8")
    return run_pilot(load_pilot(path))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three municipalities of 800 households: the region with its sections, and two of them
    alone (``ALONE``)."""
    root = tmp_path_factory.mktemp("sections")
    generate(root / "cbs", SynthSpec(households=2400, seed=7, fmt="parquet",
                                     municipality=REGION[0], municipalities=REGION))
    ingest(root / "cbs", root / "store")
    region = _run(root, "regio", {"gemeenten": CODES, "per_gemeente": True})
    alone = {code: _run(root, f"alone-{code}", {"gemeente": code}) for code in ALONE}
    return root, region, alone


def _tables(bundle: Path) -> dict[str, pd.DataFrame]:
    read = read_bundle(bundle)
    return {o["name"]: read.table(o["name"]) for o in read.outputs
            if (bundle / "tables" / f"{o['name']}.parquet").exists()}


def test_a_municipality_publishes_the_same_alone_and_inside_the_region(runs):
    _, region, alone = runs
    sections = dict(region.sections)
    published = by_register = 0
    assert sorted(sections) == sorted(CODES)
    for code in CODES:
        assert sections[code] == region.bundle.parent / "gemeenten" / code / "bundle"
        assert check_bundle(sections[code])[0] == []
        study = read_bundle(sections[code]).manifest["pilot"]["study"]
        assert study["name"] == f"regio: {dict(REGION)[code]}"  # the report's title
        if code not in alone:
            continue
        inside, own = _tables(sections[code]), _tables(alone[code].bundle)
        assert set(inside) <= set(own), code
        assert len(inside) >= 6, code  # types and areas each published
        for name, frame in inside.items():
            published += 1
            pd.testing.assert_frame_equal(frame, own[name], obj=f"{code}: {name}")
        # what only the run alone publishes: the linking's flow, and what the register of the
        # whole run withholds (a section's count beside the region's counts of the other
        # municipalities can be a difference that reveals a small one; the run alone has no
        # region beside it)
        withheld = {w["name"]: w["rules"] for w in
                    read_bundle(sections[code]).manifest["withheld"]}
        for name in set(own) - set(inside) - FLOW:
            assert withheld[name] == ["register"], (code, name)
            by_register += 1
        # the section's own manifest names its municipality, as the run alone does
        assert (study["gemeente"], study["place_words"]) == (
            code, read_bundle(alone[code].bundle).manifest["pilot"]["study"]["place_words"])
    assert published >= len(ALONE) * 6 and by_register < published


def test_a_section_s_report_points_to_the_region_for_the_linking(runs):
    """A section has no linking flow of its own (the region's bundle has it): its report says
    where to look, not that the pilot did not ask for it; a run alone says the latter."""
    from smartstart.report import report_context
    from smartstart.report._text import t

    _, region, alone = runs
    code, bundle = next((c, b) for c, b in region.sections if c in alone)
    words = read_bundle(region.bundle).manifest["pilot"]["study"]["place_words"]

    def notes(path: Path, lang: str) -> list[str]:
        return [p.text for s in report_context(read_bundle(path), lang)["sections"]
                for p in s.parts if p.kind == "note"]

    for lang in ("nl", "en"):
        said = notes(bundle, lang)
        assert t("missing_section_linking", lang, region=words[lang]) in said, said
        assert not any("attrition" in n or "effect" in n for n in said), said
        not_asked = t("missing", lang, names="NAMES").split("NAMES")[1]
        assert not any(not_asked in n for n in said), said
    assert not any(words["nl"] in n for n in notes(alone[code].bundle, "nl"))


def test_the_sections_and_the_region_count_the_same_households(runs):
    """The region's profile row of a municipality (an independent count) equals the section's
    total of households and target households (its first factor's rows summed)."""
    _, region, _ = runs
    places = read_bundle(region.bundle).table("profile_households")
    places = places[places["factor"] == "gemeente"].set_index("level")
    compared = 0
    for code, bundle in region.sections:
        if not (bundle / "tables" / "profile_households.parquet").exists():
            continue  # withheld by the register of the whole run (the test above)
        compared += 1
        profile = read_bundle(bundle).table("profile_households")
        first = profile[profile["factor"] == profile["factor"].iloc[0]]
        assert first["n_all"].iloc[0] == places.loc[code, "count_all"]
        assert first["n_target"].iloc[0] == places.loc[code, "count_target"]
    assert compared >= 1


def _statements(bundle: Path, code: str | None, shared: frozenset[str]) -> list:
    read = read_bundle(bundle)
    entries = []
    for output in read.outputs:
        rules = output.get("rules") or {}
        if not rules.get("cells") or not (bundle / "tables" / f"{output['name']}.parquet"
                                          ).exists():
            continue
        shown = read.verdict(output["name"]).get("shown") or []
        entries.append((output["name"] if code is None else f"{output['name']}@{code}",
                        read.table(output["name"]), rules["cells"],
                        {(int(r), str(c)): str(label) for r, c, label in shown}))
    found = register_of(entries, _study_settings(read.manifest))
    return found if code is None else [in_section(s, code, shared) for s in found]


def _every_bundle(region) -> tuple[list, object]:
    """Every count of the region's bundle and of its sections' (read back), and the settings
    (with the library active)."""
    shared = shared_variables()
    statements = _statements(region.bundle, None, shared)
    for code, bundle in region.sections:
        statements += _statements(bundle, code, shared)
    return statements, _study_settings(read_bundle(region.bundle).manifest)


def test_no_small_count_is_narrowed_by_all_the_bundles_of_the_run_together(runs):
    """The attacker's LP over every count of the region's bundle and the three sections'
    (read back from the bundles): no blank small count is narrowed, and the statements are
    consistent (a section's count of its municipality agrees with the region's)."""
    _, region, _ = runs
    with using(None):
        statements, settings = _every_bundle(region)
        findings = attack_register(statements, identical_levels(), settings, nested_levels())
    assert len({s.output.split("@")[-1] for s in statements}) >= 4
    assert any(s.value is None for s in statements)  # there are blanks to narrow
    assert [f.statement.where for f in findings if f.narrowed] == []


def test_no_published_mean_gives_a_number_of_persons_back(runs):
    """Red team (helper-40): a section's mean number of children under 18 per household times
    its n (0.726 x 911: only 661 rounds to it) is the municipality's children, and with the
    region's children per wijk it gave a hidden wijk's 9 exactly. The register counts units of
    one kind at a time and cannot join the two, so no table of the run publishes the mean of
    a count of persons (a factor of type count) with its n: the route has no input."""
    from smartstart.features import factors

    _, region, _ = runs
    counts = {name for unit in factors().values() for name, f in unit.items()
              if f.type == "count"}
    assert {"children_under_18", "household_size"} <= counts
    bundles = [region.bundle, *(region.bundle.parent / "gemeenten").glob("*/bundle")]
    assert len(bundles) == 4
    for bundle in bundles:
        for name, frame in _tables(bundle).items():
            if "statistic" in frame and "factor" in frame:
                means = frame[(frame["statistic"] == "mean") & frame["factor"].isin(counts)]
                assert means.empty, (bundle, name, means["factor"].tolist())


def test_the_sections_own_variables_of_one_kind_are_one_variable_in_the_lp(runs, monkeypatch):
    """type@0784 and type@0855 never count the same units, so the register's LP takes them as
    one variable (a region of nine had not been solved in eight minutes): every blank count's
    interval is the same as with a variable per section."""
    from smartstart.disclosure import _sections

    _, region, _ = runs
    with using(None):
        statements, settings = _every_bundle(region)

        def variables(sts):
            return {var for st in sts for _, conds in st.terms for var, _, _ in conds}

        merged = _sections.one_per_kind(statements)
        own = {v for v in variables(statements) if "@" in v}
        assert len(own) >= 2  # the household types of two sections
        assert {v for v in variables(merged) if "@" in v} == {
            v.rpartition("@")[0] + "@section" for v in own}
        findings = attack_register(statements, identical_levels(), settings, nested_levels())
        monkeypatch.setattr(_sections, "one_per_kind", list)
        apart = attack_register(statements, identical_levels(), settings, nested_levels())
    assert len(findings) == len(apart) > 0
    assert [(f.statement.where, f.lower, f.upper, f.narrowed) for f in findings] == [
        (f.statement.where, f.lower, f.upper, f.narrowed) for f in apart]


def test_a_section_variable_named_outside_its_municipality_is_not_merged():
    from smartstart.disclosure._sections import one_per_kind
    from smartstart.disclosure._statements import Statement, level_text

    here = ("gemeente", "in", (level_text("0784"),))  # as in_section spells it
    inside = Statement("a@0784", 0, "count", "household",
                       ((1, (("type@0784", "in", ("1",)), here)),), 4.0)
    there = ("gemeente", "in", (level_text("0855"),))
    twin = Statement("a@0855", 0, "count", "household",
                     ((1, (("type@0855", "in", ("1",)), there)),), 6.0)
    assert {c[0] for st in one_per_kind([inside, twin]) for _, cs in st.terms for c in cs} == {
        "type@section", "gemeente"}
    stray = Statement("b", 0, "count", "household", ((1, (("type@0784", "in", ("1",)),)),), 9.0)
    # type@0784 counts units outside 0784 there: it stays a variable of its own
    kept = one_per_kind([inside, twin, stray])
    assert (kept[0], kept[2]) == (inside, stray)
    assert kept[1].terms == ((1, (("type@section", "in", ("1",)), there)),)


def _pid(_job: int) -> int:
    import os

    return os.getpid()


def test_the_run_s_workers_serve_both_steps():
    """The sections' analyses and then their bundles run on the same spawned processes (each
    imports the pipeline once), not in this one; leaving the run ends them."""
    import os

    from rich.console import Console

    from smartstart.outputs._sections import Workers, _on_workers

    quiet = Console(quiet=True)
    with Workers(2) as workers:
        first = set(_on_workers(_pid, [1, 2, 3, 4], workers, quiet, "analyses"))
        second = set(_on_workers(_pid, [1, 2, 3, 4], workers, quiet, "bundels"))
        pool = workers.pool(4)
    assert second <= first and 1 <= len(first) <= 2 and os.getpid() not in first
    with pytest.raises(RuntimeError):  # shut down
        pool.submit(_pid, 1)
    with Workers(1) as alone:
        assert set(_on_workers(_pid, [1, 2], alone, quiet, "x")) == {os.getpid()}


def test_per_gemeente_needs_several_municipalities(tmp_path):
    from smartstart.sources import SourceError

    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"study": {"name": "x", "gemeente": "0784",
                                              "per_gemeente": True, **STUDY},
                                    "paths": {"store": "s", "output": "o"}}), "utf-8")
    with pytest.raises(SourceError, match="per_gemeente"):
        load_pilot(path)


def _checked(roots: list[Path]):
    """``smartstart check`` of ``roots``, with what its check of each bundle alone and of
    them together found (the command's own calls, watched: each bundle is checked once)."""
    from unittest import mock

    from typer.testing import CliRunner

    import smartstart.bundle as api
    from smartstart.cli import app

    alone, together = {}, []
    real_alone, real_together = api.check_bundle, api.check_together

    def one(path, *args, **kwargs):
        found = real_alone(path, *args, **kwargs)
        alone[str(path)] = found[0]
        return found

    def all_of(paths, *args, **kwargs):
        found = real_together(paths, *args, **kwargs)
        together.extend(found)
        return found

    with mock.patch.object(api, "check_bundle", one), \
            mock.patch.object(api, "check_together", all_of):
        result = CliRunner().invoke(app, ["check", *map(str, roots)])
    assert sorted(alone) == sorted(map(str, roots)), result.output
    return result, alone, together


def test_check_reads_the_run_s_bundles_together_and_finds_a_difference(runs, tmp_path):
    """``smartstart check`` of the region's bundle and its sections: sound alone and together.
    Then the attack the run's register prevents, planted: a section's profile withheld by that
    register put back (from the municipality's run alone, where it was safe) makes the bundles
    together narrow a small count, which only the check together finds."""
    import shutil

    from smartstart.bundle import check_together

    _, region, alone = runs
    roots = [region.bundle, *(bundle for _, bundle in region.sections)]
    result, alone_found, together = _checked(roots)
    assert result.exit_code == 0, result.output
    assert alone_found == {str(r): [] for r in roots} and together == []
    # a section whose register-withheld table came back: a copy with the run alone's table
    code, name = next((c, w["name"]) for c, b in region.sections if c in alone
                      for w in read_bundle(b).manifest["withheld"] if w["rules"] == ["register"])
    tampered = tmp_path / "gemeenten" / code / "bundle"
    shutil.copytree(alone[code].bundle, tampered)  # the run alone: sound by itself
    swapped = [tampered if r == dict(region.sections)[code] else r for r in roots]
    result, alone_found, problems = _checked(swapped)
    assert alone_found[str(tampered)] == []  # sound by itself, as in its own run
    assert problems and {p.kind for p in problems} == {"register"}
    assert any(p.where.endswith(f"@{code}") or "@" not in p.where for p in problems)
    assert result.exit_code == 1 and "register" in result.output
    # bundles of different runs cannot be joined, and the check says so
    other = check_together([alone[ALONE[0]].bundle, alone[ALONE[1]].bundle])
    assert [p.kind for p in other] == ["not_one_run"]


def test_a_run_alone_after_the_region_is_registered_with_what_was_released(runs):
    """An attacker's pass: the region's bundle minus two municipalities run alone gave the
    third one's hidden count (its own run alone published the rest). A run that names the
    bundles released before (``paths.released``) is registered together with them: what it
    publishes narrows nothing down in all of them together, where the same run without them
    does."""
    from smartstart.bundle._check import check_together

    root, region, alone = runs
    released = [region.bundle, *(folder for _, folder in region.sections)]
    found = {code: check_together([region.bundle, alone[code].bundle]) for code in ALONE}
    code = next(c for c in ALONE if found[c])  # the world has such a municipality
    plain = found[code]
    assert all(p.kind == "register" for p in plain)
    careful = _run(root, f"careful-{code}", {"gemeente": code}, released=released)
    assert check_together([region.bundle, careful.bundle]) == []
    assert {name for name, why in careful.withheld if "register" in why} > \
        {name for name, why in alone[code].withheld if "register" in why}


def test_released_bundles_of_other_units_are_named_or_left_out(runs):
    from smartstart.outputs import released_counts
    from smartstart.sources import SourceError

    _, region, alone = runs
    settings = _study_settings(read_bundle(region.bundle).manifest)
    with pytest.raises(SourceError) as error:
        released_counts((region.bundle, alone[ALONE[0]].bundle), tuple(CODES), "2021-01-01",
                        settings)
    assert str(error.value).count("peildatum 2020-01-01") == 2
    with pytest.raises(SourceError) as error:
        released_counts((region.bundle,), tuple(CODES[:2]), "2020-01-01", settings)
    assert "the region" in str(error.value)
    other = released_counts((alone[ALONE[0]].bundle,), (ALONE[1],), "2020-01-01", settings)
    assert other.names == () and other.statements == ()
    elsewhere = released_counts((region.bundle,), ("0758",), "2020-01-01", settings)
    assert elsewhere.names == () and elsewhere.own is None
    with pytest.raises(SourceError) as error:
        released_counts((region.bundle.parent,), (ALONE[1],), "2020-01-01", settings)
    assert "not a bundle" in str(error.value)
    inside = released_counts((region.bundle,), (ALONE[1],), "2020-01-01", settings)
    assert inside.own == ALONE[1] and inside.statements


def test_a_released_bundle_changed_since_is_an_error(runs, tmp_path):
    """``paths.released`` is checked against the bundles as they left: one with an edited
    table or an added file is an error that names the file (an attacker holds the released
    numbers, not the edited ones)."""
    from smartstart.outputs import released_counts
    from smartstart.sources import SourceError

    _, region, _ = runs
    settings = _study_settings(read_bundle(region.bundle).manifest)
    copy = tmp_path / "bundle"
    shutil.copytree(region.bundle, copy)
    edited = sorted(p for p in copy.rglob("*.csv"))[0]
    edited.write_text(edited.read_text("utf-8") + "\n", "utf-8")
    (copy / "extra.txt").write_text("x", "utf-8")
    with pytest.raises(SourceError) as error:
        released_counts((copy,), (ALONE[1],), "2020-01-01", settings)
    message = str(error.value)
    assert edited.relative_to(copy).as_posix() in message and "extra.txt" in message
    assert released_counts((region.bundle,), (ALONE[1],), "2020-01-01", settings).statements


def test_a_released_bundle_whose_counts_cannot_be_read_is_an_error(runs, tmp_path):
    """A released bundle whose count declarations cannot be read (hashes made to fit, as by
    another tool) is an error naming it and what is wrong, not a register without its counts."""
    from test_check_tamper import _fit_hashes

    from smartstart.outputs import released_counts
    from smartstart.sources import SourceError

    _, region, _ = runs
    settings = _study_settings(read_bundle(region.bundle).manifest)
    copy = tmp_path / "bundle"
    shutil.copytree(region.bundle, copy)
    manifest = json.loads((copy / "manifest.json").read_text("utf-8"))
    output = next(o for o in manifest["outputs"]
                  if isinstance(o.get("rules"), dict) and o["rules"].get("cells"))
    output["rules"]["cells"]["unit"] = None
    (copy / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    _fit_hashes(copy)
    with pytest.raises(SourceError) as error:
        released_counts((copy,), (ALONE[1],), "2020-01-01", settings)
    assert str(copy) in str(error.value)
    assert f"{output['name']}: cells.unit is not a name" in str(error.value)


def test_the_run_says_what_each_section_withheld(runs, tmp_path):
    """The run's result (and its summary) names every output a section's bundle withheld, with
    the sections that withheld it: exactly what the sections' manifests list (helper-44: a
    municipality's profile was withheld and the summary did not say so)."""
    from rich.console import Console

    from smartstart.pipeline import _summary, titles

    root, region, _ = runs
    listed: dict[str, list[str]] = {}
    for code, folder in region.sections:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        for name in dict.fromkeys(str(w["name"]) for w in manifest.get("withheld") or ()):
            listed.setdefault(name, []).append(code)
    assert dict(region.section_withheld) == {k: tuple(v) for k, v in listed.items()}
    assert listed, "the fixture's sections withhold something (else this test says nothing)"
    console = Console(record=True, width=200)
    pilot = load_pilot(root / "regio.yaml")

    class Linked:
        class db:
            attrition = []
            sources: dict = {}

    _summary(console, pilot, Linked, region)
    said = console.export_text()
    for name, codes in listed.items():
        assert f"niet in de bundel van {len(codes)} gemeente(n): {titles(name)[0]}" in said
        assert codes[0] in said


def test_the_work_tables_are_by_municipality_so_a_section_reads_few_row_groups(runs, tmp_path):
    """A section reads its municipality's rows with a filter on ``gemeente``: the work tables
    are written by municipality (each one's rows in their order), so parquet's lowest and
    highest code per row group let it skip the others (a national run read 7.7 M households
    per section)."""
    import numpy as np
    import pyarrow.parquet as pq

    from smartstart._to_work import ROW_GROUP, by_place

    _, region, _ = runs
    for name in ("households", "children"):
        codes = pd.read_parquet(region.work / f"{name}.parquet", columns=["gemeente"])
        assert codes["gemeente"].is_monotonic_increasing, name
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"gemeente": rng.choice(CODES, 120_000), "row": range(120_000)})
    written = by_place(frame)
    written.to_parquet(tmp_path / "h.parquet", index=False, row_group_size=ROW_GROUP)
    meta = pq.ParquetFile(tmp_path / "h.parquet").metadata
    ranges = [(meta.row_group(i).column(0).statistics.min,
               meta.row_group(i).column(0).statistics.max) for i in range(meta.num_row_groups)]
    for code in CODES:
        own = written[written["gemeente"] == code]
        assert own["row"].is_monotonic_increasing  # the order it had
        touched = sum(low <= code <= high for low, high in ranges)
        assert touched <= len(own) // ROW_GROUP + 2, (code, touched)
    assert meta.num_row_groups >= 120_000 // ROW_GROUP
