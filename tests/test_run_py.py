"""run.py, the set-up script: choosing the environments and Chromium's check, without installing."""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run_py(monkeypatch):
    spec = importlib.util.spec_from_file_location("run_py", ROOT / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "CHROMIUM", ROOT / "no-such-chromium")
    return module


@pytest.mark.parametrize(("args", "envs", "rest"), [
    ([], ["pinned", "latest"], []),
    (["--env", "latest", "tests/test_gate.py", "-x"], ["latest"], ["tests/test_gate.py", "-x"]),
    (["-q", "--env=pinned"], ["pinned"], ["-q"]),
])
def test_the_environments_to_test_in(run_py, args, envs, rest):
    assert run_py._split_env(args) == (envs, rest)


def test_an_unknown_environment_stops(run_py):
    with pytest.raises(run_py.SetupError, match="pinned, latest or both"):
        run_py._split_env(["--env", "newest"])


def test_without_chromium_and_root_it_names_the_one_command(run_py, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(run_py.shutil, "which", lambda name: "/usr/bin/apt-get")
    monkeypatch.setattr(run_py.os, "geteuid", lambda: 1000, raising=False)
    assert "sudo apt-get install -y chromium" in run_py.chromium_missing()


def test_on_windows_it_says_which_browser_to_name(run_py, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    assert "SMARTSTART_CHROMIUM" in run_py.chromium_missing()


def test_it_stops_before_installing_anything(run_py, monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(run_py, "ensure_env", lambda env: pytest.fail("installed"))
    assert run_py.run_tests(["pinned"], []) == 1
    assert "stopped" in capsys.readouterr().out


def test_as_root_it_installs_chromium_quietly(run_py, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(run_py.shutil, "which", lambda name: "/usr/bin/apt-get")
    monkeypatch.setattr(run_py.os, "geteuid", lambda: 0, raising=False)
    steps = []

    def apt(step, env):
        steps.append((step, env["DEBIAN_FRONTEND"]))
        return type("Done", (), {"returncode": 0})()

    monkeypatch.setattr(run_py.subprocess, "run", apt)
    assert "not at" in run_py.chromium_missing()  # installed, but the path is still missing
    assert steps == [(["apt-get", "update", "-qq"], "noninteractive"),
                     (["apt-get", "install", "-y", "-qq", "chromium"], "noninteractive")]


def test_both_environments_run_at_once_each_with_its_log_and_summary(run_py, monkeypatch,
                                                                      tmp_path, capsys):
    monkeypatch.setattr(run_py, "LOGS", tmp_path)
    monkeypatch.setattr(run_py, "PROGRESS_EVERY", 0)
    script = ("import sys, time; print('.' * 5 + ' [ 50%]', flush=True); time.sleep(1.5); "
              "print('FAILED tests/test_x.py::test_y' if sys.argv[1] == 'bad' else ''); "
              "print(f'1 {sys.argv[1]} in 1.50s'); sys.exit(sys.argv[1] == 'bad')")
    runs = [run_py._Suite(env, Path(sys.executable), [sys.executable, "-c", script, outcome],
                          dict(os.environ))
            for env, outcome in (("pinned", "passed"), ("latest", "bad"))]
    run_py._run_at_once(runs)
    assert [(r.code, r.summary) for r in runs] == [(0, "1 passed in 1.50s"), (1, "1 bad in 1.50s")]
    assert all(r.seconds >= 1.5 for r in runs)
    assert (tmp_path / "pytest-pinned.log").read_text().endswith("1 passed in 1.50s\n")
    out = capsys.readouterr().out
    assert re.search(r"pinned: passed in \d+ s: 1 passed in 1.50s", out)
    assert "latest: FAILED (pytest exit 1)" in out
    assert "running: pinned 50%, latest 50%" in out  # progress while both run
    failed = out[out.index("the end of"):]
    assert "FAILED tests/test_x.py::test_y" in failed  # the failing log's tail is shown


@pytest.mark.parametrize(("codes", "expected"), [
    ([0, 0], 0), ([0, 1], 1), ([2, 1], 2), ([0, -15], 1), ([-9, 0], 1), ([0, None], 1)])
def test_the_exit_code_fails_when_any_suite_failed_or_was_killed(run_py, codes, expected):
    assert run_py._exit_code(codes) == expected


def test_the_commands_it_starts_may_write_bytecode(run_py, monkeypatch):
    """The environments are installed without compiling every module (pip --no-compile), so
    the commands run.py starts must keep what they compile: PYTHONDONTWRITEBYTECODE (set on
    CI) is left out of their environment, and nothing else is."""
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setenv("SMARTSTART_SOMETHING", "kept")
    given = dict(os.environ)
    child = run_py._compiling(given)
    assert "PYTHONDONTWRITEBYTECODE" not in child and child["SMARTSTART_SOMETHING"] == "kept"
    assert given["PYTHONDONTWRITEBYTECODE"] == "1" and len(child) == len(given) - 1
    started = []
    monkeypatch.setattr(run_py, "ensure_env", lambda env="pinned": Path(sys.executable))
    monkeypatch.setattr(run_py.subprocess, "run", lambda command, **kw: started.append(kw)
                        or type("Done", (), {"returncode": 0})())
    assert run_py.main(["smartstart", "--help"]) == 0
    assert "PYTHONDONTWRITEBYTECODE" not in started[0]["env"]
    source = (ROOT / "run.py").read_text("utf-8")
    assert '"--no-compile"' in source and "child = _compiling(" in source


def test_both_environments_share_the_examples_and_the_languages(run_py, monkeypatch):
    for name in ("SMARTSTART_DISCLOSURE_EXAMPLES", "SMARTSTART_PILOT_EXAMPLES",
                 "SMARTSTART_PILOT_SEED", "SMARTSTART_LANGUAGES"):
        monkeypatch.delenv(name, raising=False)
    pinned, latest = run_py._shared(0, 2), run_py._shared(1, 2)
    assert int(pinned["SMARTSTART_DISCLOSURE_EXAMPLES"]) + int(
        latest["SMARTSTART_DISCLOSURE_EXAMPLES"]) == run_py.PROPERTY_EXAMPLES == 3000
    assert int(pinned["SMARTSTART_PILOT_EXAMPLES"]) + int(
        latest["SMARTSTART_PILOT_EXAMPLES"]) == run_py.PILOT_EXAMPLES
    assert int(pinned["SMARTSTART_DISCLOSURE_EXAMPLES"]) > int(
        latest["SMARTSTART_DISCLOSURE_EXAMPLES"])  # the latest is the slower
    assert (pinned["SMARTSTART_PILOT_SEED"], latest["SMARTSTART_PILOT_SEED"]) == ("0", "1")
    assert {pinned["SMARTSTART_LANGUAGES"], latest["SMARTSTART_LANGUAGES"]} == {"nl", "en"}
    assert run_py._shared(0, 1) == {"SMARTSTART_DISCLOSURE_EXAMPLES": "3000"}
    monkeypatch.setenv("SMARTSTART_LANGUAGES", "nl,en")  # set by hand: left as it is
    assert "SMARTSTART_LANGUAGES" not in run_py._shared(1, 2)


def test_the_shared_languages_are_read_and_checked(monkeypatch):
    import importlib

    import shared_cases

    monkeypatch.setenv("SMARTSTART_LANGUAGES", "en")
    assert importlib.reload(shared_cases).LANGUAGES == ("en",)
    monkeypatch.setenv("SMARTSTART_LANGUAGES", "fr")
    with pytest.raises(ValueError, match="SMARTSTART_LANGUAGES"):
        importlib.reload(shared_cases)
    monkeypatch.delenv("SMARTSTART_LANGUAGES")
    assert importlib.reload(shared_cases).LANGUAGES == ("nl", "en")
