"""The commands end to end through the CLI: exit codes and what they leave behind."""

from __future__ import annotations

import json
import shutil

from test_report_support import demo_run
from typer.testing import CliRunner

from smartstart.cli import app
from smartstart.demo import run_demo

runner = CliRunner()


def test_synth_then_ingest_through_the_cli(tmp_path):
    source, store = tmp_path / "cbs", tmp_path / "store"
    result = runner.invoke(app, ["synth", str(source), "--households", "300", "--seed", "5"])
    assert result.exit_code == 0, result.output
    truth = json.loads((source / "truth.json").read_text("utf-8"))
    assert truth["spec"]["households"] == 300
    # the households asked for are those living there on the peildatum (helper-41 read the
    # count over the years as a mistake)
    said = " ".join(result.output.split())
    assert truth["demo"]["peildatum_households"] == 300 and "300 of them living there on" in said
    result = runner.invoke(app, ["ingest", str(source), "--store", str(store)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((store / "manifest.json").read_text("utf-8"))
    assert len(manifest["entries"]) == sum(1 for v in truth["versions"].values())


def test_synth_refuses_bad_arguments_and_writes_nothing(tmp_path):
    for args in (["--format", "xlsx"], ["--households", "10"],
                 ["--households", "300", "--persons", "700"]):
        result = runner.invoke(app, ["synth", str(tmp_path / "out"), *args])
        assert result.exit_code == 1, args
        assert not (tmp_path / "out").exists()
        assert not list(tmp_path.iterdir())


def test_synth_help_names_every_variant():
    """protection-per-year was in the README but not in synth --help (helper-41)."""
    from smartstart.cli import HELP
    from smartstart.synth._spec import VARIANTS

    named = {v.strip(" ;") for v in HELP["variant"].split(":", 1)[1].split("truth.json")[0]
             .replace(";", ",").split(",")} - {""}
    assert named == set(VARIANTS)


def test_synth_refuses_a_folder_with_other_files(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    result = runner.invoke(app, ["synth", str(tmp_path), "--households", "300"])
    assert result.exit_code == 1
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_demo_runs_and_reruns(tmp_path_factory, tmp_path):
    first = demo_run(tmp_path_factory, households=400)  # the session's run, copied: read only
    assert (first / "store" / "manifest.json").exists() and (first / "cbs" / "truth.json").exists()
    shutil.copytree(first, tmp_path / "demo", symlinks=True)
    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "demo" / "cbs").rglob("*")
             if p.is_file() and not p.name.endswith(".aux.xml")}  # GDAL's, on reading the map
    second = run_demo(tmp_path / "demo", households=400)
    truth = json.loads(second["truth"].read_text("utf-8"))
    assert truth["demo"]["municipality"]["code"] == "0784"
    # warm: the same seed, size and generator reuse the delivery (not one file written again)
    # and give the same bundle
    assert {p: p.stat().st_mtime_ns for p in files} == files
    outputs = [json.loads((r / "results" / "bundle" / "manifest.json").read_text())["outputs"]
               for r in (first, tmp_path / "demo")]
    assert outputs[0] == outputs[1]
    # another seed writes a new delivery
    third = run_demo(tmp_path / "demo", households=400, seed=2)
    assert json.loads(third["truth"].read_text("utf-8"))["spec"]["seed"] == 2
    assert any(p.stat().st_mtime_ns != t for p, t in files.items() if p.exists())


def test_demo_leaves_foreign_data_alone(tmp_path):
    (tmp_path / "cbs").mkdir()
    (tmp_path / "cbs" / "real.sav").write_bytes(b"not ours")
    result = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert (tmp_path / "cbs" / "real.sav").read_bytes() == b"not ours"


def test_run_help_documents_the_selection_rules_and_the_boundaries_file():
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    from smartstart.pilot import AreaSelect

    for rule in AreaSelect.model_fields:  # every selection rule the pilot accepts
        assert f"{rule}:" in text, rule
    for words in ("paths.boundaries", "wijk- en buurtkaart", "EPSG:28992", "paths.schools"):
        assert words in text, words


def test_the_command_line_starts_without_the_data_libraries():
    """``smartstart --help`` (and every command before it reads data) imports no pandas,
    pyarrow or DuckDB: the package's readers are imported when first used (1.5 s -> 0.3 s)."""
    import subprocess
    import sys

    code = ("import sys, smartstart.cli; "
            "print(sorted(m for m in ('pandas', 'pyarrow', 'duckdb') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_the_command_and_its_workers_skip_the_final_collection():
    """The command (and each spawned worker, ``initializer``) freezes the collector's objects
    at exit (smartstart._exit): the demo's last 0.9 s were the interpreter walking them. An
    exit hook registered before the import runs after the command's and sees them frozen."""
    import subprocess
    import sys

    code = ("import atexit, gc; atexit.register(lambda: print(gc.get_freeze_count() > 0)); "
            "import smartstart.cli")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "True"

    from smartstart._exit import worker_start
    from smartstart.outputs._sections import Workers

    with Workers(2) as workers:
        assert workers.pool(2)._initializer is worker_start


def test_a_command_given_what_it_cannot_use_says_so_and_a_bug_keeps_its_trace(tmp_path,
                                                                              monkeypatch):
    """The CLI turns only named errors (UsageError, SourceError) into one line and exit 1;
    any other ValueError is a bug and leaves with its traceback (before, every ValueError of
    synth, run, demo, report and the scan commands became one line)."""
    import smartstart.synth as synth

    refused = runner.invoke(app, ["synth", str(tmp_path / "a"), "--regio", "nergens"])
    assert refused.exit_code == 1 and "unknown region 'nergens'" in refused.output
    assert not isinstance(refused.exception, ValueError)  # typer's Exit, after the line

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(synth, "generate", broken)
    crashed = runner.invoke(app, ["synth", str(tmp_path / "b"), "--households", "300"])
    assert isinstance(crashed.exception, ValueError) and str(crashed.exception) == "a bug"
